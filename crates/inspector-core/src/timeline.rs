//! The per-introspection timeline: the events the engine records as it works
//! on a node, and the diagnosis of a time-out read from them.
//!
//! Events of one step are collected and written together, off the ramdisk's
//! answer where possible; a failed write is logged and never fails the
//! introspection.

use inspector_node_cache::TimelineEvent;
use inspector_types::NodeUuid;
use serde_json::Value;

use crate::conductor::Conductor;

/// Events of one step of an introspection, written together, in the
/// transaction of the state change they lead to where there is one.
#[derive(Debug, Default)]
pub(crate) struct Steps {
    events: Vec<TimelineEvent>,
}

impl Steps {
    /// Notes an event of `kind` now.
    pub(crate) fn note(&mut self, conductor: &Conductor, kind: &str, detail: Value) {
        self.events.push(conductor.cache().event(kind, detail));
    }

    /// The events noted, oldest first.
    pub(crate) fn into_events(self) -> Vec<TimelineEvent> {
        self.events
    }
}

impl Conductor {
    /// Writes timeline events of `uuid` on their own (when no state change
    /// goes with them); a failure is only logged.
    pub(crate) async fn record_timeline(&self, uuid: NodeUuid, events: Vec<TimelineEvent>) {
        if let Err(error) = self.cache().record_events(uuid, events).await {
            tracing::warn!(node = %uuid, %error, "could not record the timeline");
        }
    }
}

/// Why an introspection timed out, from its timeline: what was the last thing
/// that happened, and what never did. Empty when the timeline says nothing.
pub fn timeout_diagnosis(events: &[TimelineEvent]) -> String {
    let last = |kind: &str| events.iter().rev().find(|e| e.kind == kind);
    let at = |event: &TimelineEvent| event.at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if let Some(post) = last("ramdisk_post") {
        let stopped = events.last().map_or("ramdisk_post", |e| e.kind.as_str());
        return format!(
            "a ramdisk called back at {} and processing stopped after {stopped}",
            at(post)
        );
    }
    if let Some(reboot) = last("power_action") {
        return format!(
            "the reboot was sent at {} and no ramdisk called back",
            at(reboot)
        );
    }
    if let Some(waiting) = last("waiting") {
        let macs = last("lookup_attributes")
            .map(|e| e.detail["macs"].clone())
            .unwrap_or(Value::Null);
        return format!(
            "boot is not managed by the service; waiting since {} and no ramdisk called back (the node's MACs: {})",
            at(waiting),
            list(&macs)
        );
    }
    match last("started") {
        Some(started) => format!(
            "started at {} and the boot preparation never finished",
            at(started)
        ),
        None => String::new(),
    }
}

/// `a, b` for a JSON list of strings, `none` when empty.
pub(crate) fn list(values: &Value) -> String {
    let items: Vec<&str> = values
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;

    fn event(second: u32, kind: &str, detail: Value) -> TimelineEvent {
        TimelineEvent {
            at: NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(10, 0, second))
                .expect("a valid time"),
            kind: kind.to_owned(),
            detail,
        }
    }

    #[rstest::rstest]
    #[case::reboot_sent_nobody_called(
        vec![event(0, "started", json!({})), event(1, "power_action", json!({"target": "reboot"})),
             event(2, "waiting", json!({}))],
        "the reboot was sent at 2026-01-01T10:00:01Z and no ramdisk called back"
    )]
    #[case::unmanaged_boot(
        vec![event(0, "started", json!({})),
             event(0, "lookup_attributes", json!({"macs": ["52:54:00:00:00:01", "52:54:00:00:00:02"]})),
             event(1, "waiting", json!({}))],
        "boot is not managed by the service; waiting since 2026-01-01T10:00:01Z and no ramdisk called back \
         (the node's MACs: 52:54:00:00:00:01, 52:54:00:00:00:02)"
    )]
    #[case::processing_stopped(
        vec![event(1, "power_action", json!({})), event(2, "waiting", json!({})),
             event(5, "ramdisk_post", json!({})), event(6, "hooks", json!({}))],
        "a ramdisk called back at 2026-01-01T10:00:05Z and processing stopped after hooks"
    )]
    #[case::boot_preparation_stuck(
        vec![event(0, "started", json!({}))],
        "started at 2026-01-01T10:00:00Z and the boot preparation never finished"
    )]
    #[case::nothing_recorded(vec![], "")]
    fn golden_diagnoses(#[case] events: Vec<TimelineEvent>, #[case] expected: &str) {
        assert_eq!(timeout_diagnosis(&events), expected);
    }
}
