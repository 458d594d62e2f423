//! Advertising the API by multicast DNS (`[DEFAULT] enable_mdns`), as
//! upstream does: service type `_openstack._tcp.local.`, instance
//! `baremetal-introspection`, the TXT properties `path` and `protocol` where
//! the address and port do not imply them, and `[mdns] params`. Withdrawn at
//! shutdown.

use std::net::IpAddr;

use anyhow::{Context, bail};
use inspector_config::MdnsOptions;
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

/// The DNS-SD service type of OpenStack services.
const SERVICE_TYPE: &str = "_openstack._tcp.local.";
/// The instance name: the service's catalog type.
const INSTANCE: &str = "baremetal-introspection";

/// A running advertisement.
pub(crate) struct Advertisement {
    daemon: ServiceDaemon,
    fullname: String,
}

/// What goes into the service record for `endpoint` (the API's URL).
#[derive(Debug, PartialEq, Eq)]
struct Record {
    /// Addresses to announce; empty when the API listens on every address.
    addresses: Vec<IpAddr>,
    port: u16,
    properties: Vec<(String, String)>,
}

/// The record for `endpoint` with `[mdns] params` (the endpoint's own
/// `path` and `protocol` win, as upstream).
fn record(endpoint: &str, params: &[(String, String)]) -> anyhow::Result<Record> {
    let url = url::Url::parse(endpoint).with_context(|| format!("invalid endpoint {endpoint}"))?;
    let port = url
        .port_or_known_default()
        .with_context(|| format!("no port in {endpoint}"))?;
    let addresses = match url.host() {
        Some(url::Host::Ipv4(ip)) => [IpAddr::V4(ip)]
            .into_iter()
            .filter(|ip| !ip.is_unspecified())
            .collect(),
        Some(url::Host::Ipv6(ip)) => [IpAddr::V6(ip)]
            .into_iter()
            .filter(|ip| !ip.is_unspecified())
            .collect(),
        Some(url::Host::Domain(name)) => {
            use std::net::ToSocketAddrs;
            let resolved: Vec<IpAddr> = (name, port)
                .to_socket_addrs()
                .with_context(|| format!("could not resolve hostname {name}"))?
                .map(|address| address.ip())
                .collect();
            if resolved.is_empty() {
                bail!("no suitable addresses found for {name}");
            }
            resolved
        }
        None => bail!("no host in {endpoint}"),
    };
    let mut properties: Vec<(String, String)> = params.to_vec();
    let mut set = |key: &str, value: &str| {
        properties.retain(|(k, _)| k != key);
        properties.push((key.to_owned(), value.to_owned()));
    };
    if !matches!(url.path(), "" | "/") {
        set("path", url.path());
    }
    let default_port = matches!((url.scheme(), port), ("http", 80) | ("https", 443));
    if !default_port {
        set("protocol", url.scheme());
    }
    Ok(Record {
        addresses,
        port,
        properties,
    })
}

/// This machine's name as an mDNS host (`<name>.local.`).
fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "ironic-inspector".to_owned());
    let short = name.split('.').next().unwrap_or("ironic-inspector");
    format!("{short}.local.")
}

/// Advertises `endpoint` (tried `[mdns] registration_attempts` times).
pub(crate) fn advertise(options: &MdnsOptions, endpoint: &str) -> anyhow::Result<Advertisement> {
    let record = record(endpoint, &options.params)?;
    let daemon = ServiceDaemon::new().context("cannot start the mDNS responder")?;
    if !options.interfaces.is_empty() {
        daemon
            .disable_interface(IfKind::All)
            .context("cannot select the mDNS interfaces")?;
        for interface in &options.interfaces {
            let ip: IpAddr = interface
                .parse()
                .with_context(|| format!("[mdns] interfaces: {interface} is not an IP address"))?;
            daemon
                .enable_interface(IfKind::Addr(ip))
                .context("cannot select the mDNS interfaces")?;
        }
    }
    let mut addresses = record.addresses.clone();
    if addresses.is_empty() {
        addresses = options
            .interfaces
            .iter()
            .filter_map(|ip| ip.parse().ok())
            .collect();
    }
    let info = ServiceInfo::new(
        SERVICE_TYPE,
        INSTANCE,
        &host_name(),
        addresses.as_slice(),
        record.port,
        record.properties.as_slice(),
    )
    .context("invalid mDNS service record")?;
    // Listening on every address: announce this machine's addresses.
    let info = if addresses.is_empty() {
        info.enable_addr_auto()
    } else {
        info
    };
    let fullname = info.get_fullname().to_owned();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match daemon.register(info.clone()) {
            Ok(()) => break,
            Err(error) if attempt < options.registration_attempts => {
                tracing::debug!(%error, attempt, "mDNS registration failed, retrying");
                std::thread::sleep(std::time::Duration::from_millis(100 << attempt.min(6)));
            }
            Err(error) => return Err(error).context("cannot register the mDNS service"),
        }
    }
    tracing::info!(endpoint, service = %fullname, "advertised by mDNS");
    Ok(Advertisement { daemon, fullname })
}

impl Advertisement {
    /// Withdraws the service (a goodbye packet) and stops the responder.
    pub(crate) fn withdraw(self) {
        match self.daemon.unregister(&self.fullname) {
            Ok(done) => {
                let _ = done.recv_timeout(std::time::Duration::from_secs(2));
            }
            Err(error) => tracing::warn!(%error, "could not withdraw the mDNS service"),
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(std::time::Duration::from_secs(2));
        }
        tracing::info!("mDNS advertisement withdrawn");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[rstest::rstest]
    #[case::plain_http_port("http://192.0.2.1:5050", &[], vec!["192.0.2.1"], 5050, &[("protocol", "http")])]
    #[case::default_port_and_path("https://192.0.2.1/inspector", &[], vec!["192.0.2.1"], 443, &[("path", "/inspector")])]
    #[case::every_address("http://0.0.0.0:5050", &[], vec![], 5050, &[("protocol", "http")])]
    #[case::ipv6("http://[2001:db8::1]:80", &[], vec!["2001:db8::1"], 80, &[])]
    #[case::params_then_derived(
        "http://192.0.2.1:5050",
        &[("ipa_debug", "1"), ("protocol", "ignored")],
        vec!["192.0.2.1"],
        5050,
        &[("ipa_debug", "1"), ("protocol", "http")]
    )]
    fn records_match_upstream(
        #[case] endpoint: &str,
        #[case] params: &[(&str, &str)],
        #[case] addresses: Vec<&str>,
        #[case] port: u16,
        #[case] properties: &[(&str, &str)],
    ) {
        let record = record(endpoint, &pairs(params)).unwrap();
        assert_eq!(
            record,
            Record {
                addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
                port,
                properties: pairs(properties),
            }
        );
    }
}
