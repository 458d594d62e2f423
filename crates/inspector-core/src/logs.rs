//! Ramdisk logs (spec §4.12): the base64 tarball in `data.logs`, written to
//! `[processing] ramdisk_logs_dir` under `ramdisk_logs_filename_format`.

use std::path::PathBuf;

use base64::Engine;
use chrono::{DateTime, Utc};
use inspector_hooks::{IntrospectionData, bmc_addresses, pxe_mac};
use inspector_types::NodeUuid;

/// Expands `{uuid}`, `{mac}`, `{bmc}`, `{dt}` and `{dt:<strftime>}` (Python's
/// `%f` means microseconds).
fn file_name(format: &str, uuid: &str, mac: &str, bmc: &str, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let field = &rest[start + 1..start + end];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        match name {
            "uuid" => out.push_str(uuid),
            "mac" => out.push_str(mac),
            "bmc" => out.push_str(bmc),
            "dt" if spec.is_empty() => out.push_str(&now.naive_utc().to_string()),
            "dt" => out.push_str(&now.format(&spec.replace("%f", "%6f")).to_string()),
            _ => out.push_str(&rest[start..=start + end]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The ramdisk logs of a post, taken out of its data before processing
/// (nothing else reads them, and the data is never stored with them), with
/// the MAC and BMC address that name their file.
#[derive(Debug)]
pub(crate) struct RamdiskLogs {
    logs: Option<String>,
    mac: String,
    bmc: String,
}

impl RamdiskLogs {
    /// Removes `logs` from `data`.
    pub(crate) fn take(data: &mut IntrospectionData) -> Self {
        let mac = pxe_mac(data).map_or_else(|| "unknown".to_owned(), |m| m.replace(':', ""));
        let bmc = bmc_addresses(data)
            .0
            .unwrap_or_else(|| "unknown".to_owned());
        let logs = match data.remove("logs") {
            Some(serde_json::Value::String(logs)) if !logs.is_empty() => Some(logs),
            _ => None,
        };
        Self { logs, mac, bmc }
    }

    /// Writes the logs, if any and if configured; failures are only logged.
    pub(crate) fn store(&self, dir: Option<&str>, format: &str, node: Option<NodeUuid>) {
        let Some(logs) = &self.logs else {
            tracing::warn!("No logs were passed by the ramdisk");
            return;
        };
        let Some(dir) = dir else {
            tracing::warn!(
                "ramdisk logs were received, but [processing] ramdisk_logs_dir is not set"
            );
            return;
        };
        let uuid = node.map_or_else(|| "unknown".to_owned(), |u| u.to_string());
        let path =
            PathBuf::from(dir).join(file_name(format, &uuid, &self.mac, &self.bmc, Utc::now()));
        let written = base64::engine::general_purpose::STANDARD
            .decode(logs.trim())
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                std::fs::write(&path, bytes).map_err(|e| e.to_string())
            });
        match written {
            Ok(()) => tracing::info!(path = %path.display(), "ramdisk logs stored"),
            Err(error) => {
                tracing::error!(path = %path.display(), %error, "could not store the ramdisk logs")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn file_names_like_upstream() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 10, 11, 12).unwrap()
            + chrono::TimeDelta::microseconds(123_456);
        assert_eq!(
            file_name("{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz", "u-1", "m", "b", now),
            "u-1_20240501-101112.123456.tar.gz"
        );
        assert_eq!(
            file_name(
                "{mac}-{bmc}-{other}.tgz",
                "u",
                "525400aabb01",
                "10.0.0.5",
                now
            ),
            "525400aabb01-10.0.0.5-{other}.tgz"
        );
    }

    #[test]
    fn logs_are_decoded_into_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data = json!({"logs": "aGVsbG8=", "boot_interface": "01-52-54-00-aa-bb-01", "ipmi_address": "10.0.0.5"});
        let mut data = data.as_object().cloned().unwrap();
        let dir_text = dir.path().join("logs").display().to_string();
        let logs = RamdiskLogs::take(&mut data);
        assert!(data.get("logs").is_none(), "taken out of the data");
        logs.store(Some(&dir_text), "{uuid}_{mac}_{bmc}.tar.gz", None);
        let written =
            std::fs::read(dir.path().join("logs/unknown_525400aabb01_10.0.0.5.tar.gz")).unwrap();
        assert_eq!(written, b"hello");
    }
}
