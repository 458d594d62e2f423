//! Sync time of each PXE filter driver for 10,000 MACs (target ≤ 1 s): the
//! first sync (everything written) and a sync after one node's introspection
//! started (one change). iptables runs for real in a network namespace,
//! through this helper and the shipped filters (needs root and iptables).

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_firewall::{
    DnsmasqDriver, DnsmasqOptions, FilterDriver, Firewall, IptablesDriver, IptablesOptions,
    NoopDriver, PortMac, SyncInputs, SystemRunner,
};

#[path = "../tests/support/mod.rs"]
mod support;

const MACS: usize = 10_000;

fn inputs(active: &[usize]) -> SyncInputs {
    SyncInputs {
        ports: (0..MACS)
            .map(|i| PortMac {
                address: support::mac(i),
                client_id: None,
            })
            .collect(),
        active_cache: active
            .iter()
            .map(|i| support::mac(*i))
            .collect::<BTreeSet<_>>(),
        introspection_active: true,
    }
}

fn measure(name: &str, driver: Box<dyn FilterDriver>) {
    let filter = Firewall::new(driver);
    let started = Instant::now();
    filter.init(&inputs(&[0])).unwrap();
    let first = started.elapsed();
    let started = Instant::now();
    filter.sync(&inputs(&[0, 1])).unwrap();
    let change = started.elapsed();
    let started = Instant::now();
    filter.sync(&inputs(&[0, 1])).unwrap();
    let unchanged = started.elapsed();
    filter.tear_down();
    let verdict = |d: Duration| {
        if d <= Duration::from_secs(1) {
            "ok"
        } else {
            "MISSED"
        }
    };
    println!(
        "pxe_filter/{name}/{MACS}_macs: first sync {first:.1?} ({}), one change {change:.1?} ({}), unchanged {unchanged:.1?}; target <= 1 s",
        verdict(first),
        verdict(change)
    );
}

fn main() {
    measure("noop", Box::new(NoopDriver));

    let dir = tempfile::tempdir().unwrap();
    let runner = Arc::new(SystemRunner::with_prefix(vec![]));
    measure(
        "dnsmasq",
        Box::new(DnsmasqDriver::new(DnsmasqOptions::in_dir(dir.path()), runner).unwrap()),
    );

    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if !root || !Path::new("/usr/sbin/iptables").exists() {
        println!("pxe_filter/iptables: SKIPPED (needs root and iptables)");
        return;
    }
    let ns = format!("ii-bench-{}", std::process::id());
    assert!(
        Command::new("ip")
            .args(["netns", "add", &ns])
            .status()
            .unwrap()
            .success()
    );
    let config = support::rootwrap_config(dir.path(), None);
    let runner = Arc::new(SystemRunner::with_prefix(vec![
        "ip".into(),
        "netns".into(),
        "exec".into(),
        ns.clone(),
        env!("CARGO_BIN_EXE_ironic-inspector-rootwrap").into(),
        config.display().to_string(),
    ]));
    measure(
        "iptables",
        Box::new(
            IptablesDriver::new(
                IptablesOptions {
                    interface: "br-bench".into(),
                    chain: "ironic-inspector".into(),
                    ethoib_interfaces: Vec::new(),
                    ip_version: 4,
                    deny_unknown_macs: false,
                    discovery: false,
                },
                runner,
            )
            .unwrap(),
        ),
    );
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
}
