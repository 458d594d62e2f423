//! The plain-text account of an introspection for people: the record, where
//! it stands, each event of its timeline as a sentence, and the ramdisk
//! reports that matched no node meanwhile.

use std::fmt::Write;

use inspector_node_cache::{NodeInfo, TimelineEvent, UnmatchedReport};
use serde_json::Value;

use crate::timeline::{diagnosis, list};

/// The account of `record` from its timeline and the unmatched reports
/// since it started.
pub fn explain_text(
    record: &NodeInfo,
    events: &[TimelineEvent],
    unmatched: &[UnmatchedReport],
) -> String {
    let mut out = String::new();
    let time = |t: &chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let _ = writeln!(out, "Node {}", record.uuid);
    let _ = writeln!(out, "  state:    {}", record.state.as_str());
    if let Some(started) = &record.started_at {
        let _ = writeln!(out, "  started:  {}", time(started));
    }
    match &record.finished_at {
        Some(finished) => {
            let _ = writeln!(out, "  finished: {}", time(finished));
        }
        None => {
            let _ = writeln!(out, "  finished: not yet");
        }
    }
    if let Some(error) = &record.error {
        let _ = writeln!(out, "  error:    {error}");
    }
    if !record.is_finished() {
        let text = diagnosis(events, unmatched);
        if !text.is_empty() {
            let _ = writeln!(out, "  where it stands: {text}");
        }
    }
    let _ = writeln!(out, "\nTimeline ({} events, oldest first):", events.len());
    for event in events {
        let _ = writeln!(out, "  {}  {}", time(&event.at), sentence(event));
    }
    if !unmatched.is_empty() {
        let _ = writeln!(
            out,
            "\nRamdisk reports that matched no node since the start ({}):",
            unmatched.len()
        );
        for report in unmatched {
            let _ = writeln!(
                out,
                "  {}  from {}: MACs {}; BMC addresses {}; {}",
                time(&report.at),
                report
                    .client_address
                    .as_deref()
                    .unwrap_or("an unknown address"),
                none_if_empty(&report.macs.join(", ")),
                none_if_empty(&report.bmc_addresses.join(", ")),
                report.reason
            );
        }
    }
    out
}

fn none_if_empty(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

fn yes_no(value: &Value) -> &'static str {
    if value.as_bool() == Some(true) {
        "yes"
    } else {
        "no"
    }
}

/// `(request req-1 from 192.0.2.1)`, or less when unknown.
fn origin(detail: &Value) -> String {
    match (
        detail["request_id"].as_str(),
        detail["client_address"].as_str(),
    ) {
        (Some(id), Some(client)) => format!(" (request {id} from {client})"),
        (Some(id), None) => format!(" (request {id})"),
        (None, Some(client)) => format!(" (from {client})"),
        (None, None) => String::new(),
    }
}

fn hooks(detail: &Value) -> String {
    let failed: Vec<String> = detail["failed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} ({})",
                f["hook"].as_str().unwrap_or("?"),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let failed = if failed.is_empty() {
        "none".to_owned()
    } else {
        failed.join("; ")
    };
    format!(
        "{} hooks: ok {}; failed {failed}",
        detail["phase"].as_str().unwrap_or("processing"),
        list(&detail["ok"])
    )
}

fn rules(detail: &Value) -> String {
    let applied: Vec<String> = detail["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            format!(
                "{} (actions {})",
                rule["description"].as_str().unwrap_or("?"),
                list(&rule["actions"])
            )
        })
        .collect();
    if applied.is_empty() {
        "rules checked: none applied".to_owned()
    } else {
        format!("rules applied: {}", applied.join("; "))
    }
}

/// One event as a sentence.
pub fn sentence(event: &TimelineEvent) -> String {
    let d = &event.detail;
    let answer = d["answer"].as_str().unwrap_or("accepted");
    match event.kind.as_str() {
        "started" => format!(
            "introspection started{}; boot managed by the service: {}; BMC addresses {}",
            origin(d),
            yes_no(&d["manage_boot"]),
            list(&d["bmc_addresses"])
        ),
        "lookup_attributes" => format!("look-up attributes stored: MACs {}", list(&d["macs"])),
        "pxe_filter_synced" => format!("PXE filter synced, allowing MACs {}", list(&d["macs"])),
        "boot_device_set" => format!(
            "boot device set to {} (persistent: {}); Ironic answered: {answer}",
            d["device"].as_str().unwrap_or("pxe"),
            yes_no(&d["persistent"])
        ),
        "power_action" => format!(
            "power action {} sent; Ironic answered: {answer}",
            d["target"].as_str().unwrap_or("?")
        ),
        "waiting" => "waiting for the ramdisk to call back".to_owned(),
        "ramdisk_post" => {
            let matched: Vec<String> = d["matched_by"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    format!(
                        "{} {}",
                        m["name"].as_str().unwrap_or("?"),
                        m["value"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            format!(
                "ramdisk data received{}: MACs {}; BMC addresses {}; matched by {}",
                origin(d),
                list(&d["macs"]),
                list(&d["bmc_addresses"]),
                none_if_empty(&matched.join(", "))
            )
        }
        "hooks" => hooks(d),
        "ironic_updated" => format!(
            "Ironic updated: node fields {}; ports created {}, updated {}, deleted {}",
            list(&d["node_fields"]),
            list(&d["ports_created"]),
            list(&d["ports_updated"]),
            list(&d["ports_deleted"])
        ),
        "data_stored" => "introspection data stored".to_owned(),
        "rules_applied" => rules(d),
        "finished" => "finished".to_owned(),
        "error" => format!("error: {}", d["message"].as_str().unwrap_or("")),
        "abort" => "abort requested".to_owned(),
        "aborted" => format!("aborted: {}", d["message"].as_str().unwrap_or("")),
        "timed_out" => format!("timed out (timeout {} s)", d["timeout"]),
        "reapply" => "re-applying the stored data".to_owned(),
        other => format!("{other} {d}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;

    #[rstest::rstest]
    #[case::started(
        "started",
        json!({"manage_boot": true, "bmc_addresses": ["192.0.2.10"], "request_id": "req-1", "client_address": "::1"}),
        "introspection started (request req-1 from ::1); boot managed by the service: yes; BMC addresses 192.0.2.10"
    )]
    #[case::refused_reboot(
        "power_action",
        json!({"target": "reboot", "answer": "power driver refused"}),
        "power action reboot sent; Ironic answered: power driver refused"
    )]
    #[case::post(
        "ramdisk_post",
        json!({"macs": ["52:54:00:00:00:01"], "bmc_addresses": [], "client_address": "192.0.2.5",
               "matched_by": [{"name": "mac", "value": "52:54:00:00:00:01"}]}),
        "ramdisk data received (from 192.0.2.5): MACs 52:54:00:00:00:01; BMC addresses none; \
         matched by mac 52:54:00:00:00:01"
    )]
    #[case::hook_failed(
        "hooks",
        json!({"phase": "processing", "ok": ["scheduler"], "failed": [{"hook": "capabilities", "message": "boom"}]}),
        "processing hooks: ok scheduler; failed capabilities (boom)"
    )]
    #[case::ironic(
        "ironic_updated",
        json!({"node_fields": ["/properties/memory_mb"], "ports_created": ["52:54:00:00:00:02"],
               "ports_updated": [], "ports_deleted": []}),
        "Ironic updated: node fields /properties/memory_mb; ports created 52:54:00:00:00:02, updated none, deleted none"
    )]
    #[case::rules(
        "rules_applied",
        json!({"rules": [{"uuid": "u", "description": "set the rack", "actions": ["set-attribute", "extend-attribute"]}]}),
        "rules applied: set the rack (actions set-attribute, extend-attribute)"
    )]
    #[case::no_rules("rules_applied", json!({"rules": []}), "rules checked: none applied")]
    #[case::timeout("timed_out", json!({"timeout": 3600}), "timed out (timeout 3600 s)")]
    #[case::unknown("future_kind", json!({"a": 1}), "future_kind {\"a\":1}")]
    fn golden_sentences(#[case] kind: &str, #[case] detail: Value, #[case] expected: &str) {
        let event = TimelineEvent {
            at: NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .expect("a valid time"),
            kind: kind.to_owned(),
            detail,
        };
        assert_eq!(sentence(&event), expected);
    }
}
