//! The per-introspection timeline: the events the engine records as it works
//! on a node, and the diagnosis of a time-out read from them.
//!
//! Events of one step are collected and written together, off the ramdisk's
//! answer where possible; a failed write is logged and never fails the
//! introspection.

use chrono::NaiveDateTime;
use inspector_node_cache::{TimelineEvent, UnmatchedReport};
use inspector_types::NodeUuid;
use serde_json::Value;

use crate::conductor::Conductor;

/// Who made a request that starts or feeds an introspection, as its
/// timeline records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The request id (`x-openstack-request-id`).
    pub request_id: Option<String>,
    /// The address the request came from.
    pub client_address: Option<String>,
}

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

    /// Notes the outcome of the pre-processing hooks: the failing ones with
    /// their texts, the others ok.
    pub(crate) fn note_preprocessing(
        &mut self,
        conductor: &Conductor,
        failures: &[(&'static str, String)],
    ) {
        let ok: Vec<&str> = conductor
            .parts()
            .hooks
            .names()
            .into_iter()
            .filter(|name| failures.iter().all(|(failed, _)| failed != name))
            .collect();
        let failed: Vec<Value> = failures
            .iter()
            .map(|(hook, message)| serde_json::json!({"hook": hook, "message": message}))
            .collect();
        self.note(
            conductor,
            "hooks",
            serde_json::json!({"phase": "preprocessing", "ok": ok, "failed": failed}),
        );
    }

    /// When the last event noted happened.
    pub(crate) fn last_at(&self) -> Option<NaiveDateTime> {
        self.events.last().map(|event| event.at)
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

/// Where an introspection stands, from its timeline and the ramdisk reports
/// that matched no node since it started: the last thing that happened and
/// what never did. The text after `Introspection timeout: ` and
/// `Canceled by operator: `; empty when the timeline says nothing.
pub fn diagnosis(events: &[TimelineEvent], unmatched: &[UnmatchedReport]) -> String {
    let last = |kind: &str| events.iter().rev().find(|e| e.kind == kind);
    if let Some(post) = last("ramdisk_post") {
        let stopped = events.last().map_or("ramdisk_post", |e| e.kind.as_str());
        return format!(
            "a ramdisk called back at {} and processing stopped after {stopped}",
            at(post.at)
        );
    }
    let own_macs = last("lookup_attributes").map_or(Value::Null, |e| e.detail["macs"].clone());
    let own_bmcs = last("started").map_or(Value::Null, |e| e.detail["bmc_addresses"].clone());
    let nobody = match unmatched.last() {
        None => "no ramdisk called back".to_owned(),
        Some(report) => {
            let from = report
                .client_address
                .as_deref()
                .map_or_else(String::new, |address| format!(" from {address}"));
            let reported = format!(
                "at {}{from} with MACs {} and BMC addresses {}",
                at(report.at),
                join(&report.macs),
                join(&report.bmc_addresses)
            );
            let what = match unmatched.len() {
                1 => format!("a ramdisk called back {reported} but matched no node"),
                n => format!("{n} ramdisks called back and matched no node, the last {reported}"),
            };
            format!(
                "{what} (this node's MACs: {}; BMC addresses: {})",
                list(&own_macs),
                list(&own_bmcs)
            )
        }
    };
    if let Some(reboot) = events
        .iter()
        .rev()
        .find(|e| e.kind == "power_action" && e.detail["target"] == "reboot")
    {
        return format!("the reboot was sent at {} and {nobody}", at(reboot.at));
    }
    if let Some(waiting) = last("waiting") {
        let macs = if unmatched.is_empty() {
            format!(" (the node's MACs: {})", list(&own_macs))
        } else {
            String::new()
        };
        return format!(
            "boot is not managed by the service; waiting since {} and {nobody}{macs}",
            at(waiting.at)
        );
    }
    match last("started") {
        Some(started) => format!(
            "started at {} and the boot preparation never finished",
            at(started.at)
        ),
        None => String::new(),
    }
}

fn at(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn join(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
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
            at: at_second(second),
            kind: kind.to_owned(),
            detail,
        }
    }

    fn at_second(second: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(10, 0, second))
            .expect("a valid time")
    }

    fn unmatched(second: u32, client: Option<&str>, macs: &[&str]) -> UnmatchedReport {
        UnmatchedReport {
            id: i64::from(second),
            at: at_second(second),
            client_address: client.map(str::to_owned),
            macs: macs.iter().map(|m| (*m).to_owned()).collect(),
            bmc_addresses: vec![],
            reason: "Could not find a node".into(),
        }
    }

    fn rebooted() -> Vec<TimelineEvent> {
        vec![
            event(0, "started", json!({"bmc_addresses": ["192.0.2.10"]})),
            event(
                0,
                "lookup_attributes",
                json!({"macs": ["52:54:00:00:00:01"]}),
            ),
            event(1, "power_action", json!({"target": "reboot"})),
            event(2, "waiting", json!({})),
        ]
    }

    #[rstest::rstest]
    #[case::reboot_sent_nobody_called(
        vec![event(0, "started", json!({})), event(1, "power_action", json!({"target": "reboot"})),
             event(2, "waiting", json!({}))],
        vec![],
        "the reboot was sent at 2026-01-01T10:00:01Z and no ramdisk called back"
    )]
    #[case::unmanaged_boot(
        vec![event(0, "started", json!({})),
             event(0, "lookup_attributes", json!({"macs": ["52:54:00:00:00:01", "52:54:00:00:00:02"]})),
             event(1, "waiting", json!({}))],
        vec![],
        "boot is not managed by the service; waiting since 2026-01-01T10:00:01Z and no ramdisk called back \
         (the node's MACs: 52:54:00:00:00:01, 52:54:00:00:00:02)"
    )]
    #[case::one_unmatched_report(
        rebooted(),
        vec![unmatched(7, Some("192.0.2.99"), &["52:54:00:99:00:01", "52:54:00:99:00:02"])],
        "the reboot was sent at 2026-01-01T10:00:01Z and a ramdisk called back at 2026-01-01T10:00:07Z \
         from 192.0.2.99 with MACs 52:54:00:99:00:01, 52:54:00:99:00:02 and BMC addresses none but matched \
         no node (this node's MACs: 52:54:00:00:00:01; BMC addresses: 192.0.2.10)"
    )]
    #[case::several_unmatched_reports(
        rebooted(),
        vec![unmatched(5, None, &["52:54:00:99:00:01"]), unmatched(9, None, &[])],
        "the reboot was sent at 2026-01-01T10:00:01Z and 2 ramdisks called back and matched no node, \
         the last at 2026-01-01T10:00:09Z with MACs none and BMC addresses none \
         (this node's MACs: 52:54:00:00:00:01; BMC addresses: 192.0.2.10)"
    )]
    #[case::unmanaged_boot_unmatched(
        vec![event(0, "lookup_attributes", json!({"macs": ["52:54:00:00:00:01"]})),
             event(1, "waiting", json!({}))],
        vec![unmatched(3, Some("::1"), &["52:54:00:99:00:01"])],
        "boot is not managed by the service; waiting since 2026-01-01T10:00:01Z and a ramdisk called back \
         at 2026-01-01T10:00:03Z from ::1 with MACs 52:54:00:99:00:01 and BMC addresses none but matched \
         no node (this node's MACs: 52:54:00:00:00:01; BMC addresses: none)"
    )]
    #[case::processing_stopped(
        vec![event(1, "power_action", json!({})), event(2, "waiting", json!({})),
             event(5, "ramdisk_post", json!({})), event(6, "hooks", json!({}))],
        vec![unmatched(3, None, &[])],
        "a ramdisk called back at 2026-01-01T10:00:05Z and processing stopped after hooks"
    )]
    #[case::boot_preparation_stuck(
        vec![event(0, "started", json!({}))],
        vec![],
        "started at 2026-01-01T10:00:00Z and the boot preparation never finished"
    )]
    #[case::nothing_recorded(vec![], vec![], "")]
    fn golden_diagnoses(
        #[case] events: Vec<TimelineEvent>,
        #[case] reports: Vec<UnmatchedReport>,
        #[case] expected: &str,
    ) {
        assert_eq!(diagnosis(&events, &reports), expected);
    }
}
