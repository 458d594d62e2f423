//! BMC addresses of an Ironic node (spec §3.2 step 4): the first non-empty
//! address field of `driver_info`, resolved, loopback dropped.

use std::net::IpAddr;

use serde_json::{Map, Value};

/// The first non-empty BMC address field of `driver_info`, unless IPMI bridging is used.
pub(crate) fn bmc_field(
    driver_info: &Map<String, Value>,
    extra_fields: &[String],
) -> Option<String> {
    if driver_info
        .get("ipmi_bridging")
        .is_some_and(|b| b.as_str() != Some("no"))
    {
        return None;
    }
    std::iter::once("ipmi_address")
        .chain(extra_fields.iter().map(String::as_str))
        .find_map(|field| {
            driver_info
                .get(field)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        })
        .map(str::to_owned)
}

/// The host part of a BMC field value (URLs are parsed; brackets stripped).
fn host(value: &str) -> String {
    let host = if value.contains("//") {
        url::Url::parse(value)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    } else {
        value.to_owned()
    };
    host.replace(['[', ']'], "")
}

/// Resolves a BMC field value to its last IPv4 and last IPv6 address.
pub(crate) async fn resolve(value: &str) -> (Option<String>, Option<String>) {
    let host = host(value);
    if host.is_empty() {
        return (None, None);
    }
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => match tokio::net::lookup_host((host.as_str(), 0)).await {
            Ok(found) => found.map(|a| a.ip()).collect(),
            Err(error) => {
                tracing::warn!(bmc = %host, %error, "cannot resolve the BMC address");
                return (None, None);
            }
        },
    };
    let (mut v4, mut v6) = (None, None);
    for ip in addresses {
        if ip.is_loopback() {
            tracing::warn!(bmc = %ip, "ignoring a loopback BMC address");
            continue;
        }
        match ip {
            IpAddr::V4(ip) => v4 = Some(ip.to_string()),
            IpAddr::V6(ip) => v6 = Some(ip.to_string()),
        }
    }
    (v4, v6)
}

/// The resolved BMC addresses of a node, empty ones dropped.
pub(crate) async fn addresses(
    driver_info: &Map<String, Value>,
    extra_fields: &[String],
) -> Vec<String> {
    match bmc_field(driver_info, extra_fields) {
        Some(value) => {
            let (v4, v6) = resolve(&value).await;
            v4.into_iter().chain(v6).collect()
        }
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn info(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn fields_urls_brackets_and_loopback() {
        let fields = vec!["redfish_address".to_owned()];
        assert_eq!(
            addresses(&info(json!({"ipmi_address": "10.0.0.5"})), &fields).await,
            ["10.0.0.5"]
        );
        assert_eq!(
            addresses(
                &info(json!({"redfish_address": "https://[FD00::5]:8000/redfish/v1"})),
                &fields
            )
            .await,
            ["fd00::5"]
        );
        assert_eq!(
            addresses(
                &info(json!({"ipmi_address": "", "redfish_address": "10.0.0.6"})),
                &fields
            )
            .await,
            ["10.0.0.6"]
        );
        assert!(
            addresses(&info(json!({"ipmi_address": "127.0.0.1"})), &fields)
                .await
                .is_empty()
        );
        assert!(
            addresses(
                &info(json!({"ipmi_address": "10.0.0.5", "ipmi_bridging": "single"})),
                &fields
            )
            .await
            .is_empty()
        );
        assert_eq!(
            addresses(
                &info(json!({"ipmi_address": "10.0.0.5", "ipmi_bridging": "no"})),
                &fields
            )
            .await,
            ["10.0.0.5"]
        );
    }
}
