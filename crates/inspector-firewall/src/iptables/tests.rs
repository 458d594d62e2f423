//! The iptables driver: the chains and rules it asks the runner for.

use std::sync::Arc;

use super::*;
use crate::filter::Firewall;
use crate::runner::RecordingRunner;

/// The options of these tests: interface `br-ctlplane`, chain `ironic-inspector`, IPv4.
fn options() -> IptablesOptions {
    IptablesOptions {
        interface: "br-ctlplane".into(),
        chain: "ironic-inspector".into(),
        ethoib_interfaces: Vec::new(),
        ip_version: 4,
        deny_unknown_macs: false,
        discovery: false,
    }
}

fn inputs(active: bool) -> SyncInputs {
    crate::inputs::two_ports(active)
}

fn driver(options: IptablesOptions) -> (Firewall, Arc<RecordingRunner>) {
    let runner = Arc::new(RecordingRunner::default());
    let driver = IptablesDriver::new(options, runner.clone()).expect("valid options");
    (Firewall::new(Box::new(driver)), runner)
}

const JUMP_TEMP: &str = "INPUT -i br-ctlplane -p udp --dport 67 -j ironic-inspector_temp";
const JUMP: &str = "INPUT -i br-ctlplane -p udp --dport 67 -j ironic-inspector";

/// The command lines of one chain replacement with `rules`.
fn replacement(rules: &[&str]) -> Vec<String> {
    let mut script = String::from("*filter\n:ironic-inspector_temp - [0:0]\n");
    for rule in rules {
        script.push_str(&format!("-A ironic-inspector_temp {rule}\n"));
    }
    script.push_str(&format!("-I {JUMP_TEMP}\nCOMMIT\n"));
    vec![
        format!("iptables -w -D {JUMP_TEMP}"),
        "iptables -w -F ironic-inspector_temp".into(),
        "iptables -w -X ironic-inspector_temp".into(),
        format!("iptables-restore -w --noflush <<< {script}"),
        format!("iptables -w -D {JUMP}"),
        "iptables -w -F ironic-inspector".into(),
        "iptables -w -X ironic-inspector".into(),
        "iptables -w -E ironic-inspector_temp ironic-inspector".into(),
    ]
}

#[test]
fn the_reference_example() {
    let (filter, runner) = driver(options());
    runner.fail("iptables -w -D");
    runner.fail("iptables -w -C");
    filter.init(&inputs(true)).expect("initialises");
    let mut expected = vec![
        "iptables -w -h".to_owned(),
        "iptables-restore -w --noflush <<< *filter\nCOMMIT\n".to_owned(),
        format!("iptables -w -C {JUMP_TEMP}"),
        format!("iptables -w -D {JUMP_TEMP}"),
        "iptables -w -F ironic-inspector_temp".into(),
        "iptables -w -X ironic-inspector_temp".into(),
    ];
    expected.extend(replacement(&[
        "-m mac --mac-source 52:54:00:aa:bb:02 -j DROP",
        "-j ACCEPT",
    ]));
    assert_eq!(runner.take(), expected);

    filter.sync(&inputs(true)).expect("syncs");
    assert!(
        runner.take().is_empty(),
        "unchanged inputs issue no command"
    );

    filter.sync(&inputs(false)).expect("syncs");
    assert_eq!(runner.take(), replacement(&["-j REJECT"]));
    filter.sync(&inputs(false)).expect("syncs");
    assert!(runner.take().is_empty());
}

#[test]
fn deny_unknown_macs_accepts_only_macs_under_introspection() {
    let (filter, runner) = driver(IptablesOptions {
        deny_unknown_macs: true,
        ..options()
    });
    runner.fail("iptables -w -D");
    runner.fail("iptables -w -C");
    filter.init(&inputs(true)).expect("initialises");
    let calls = runner.take();
    assert_eq!(
        calls[calls.len() - 8..],
        replacement(&["-m mac --mac-source 52:54:00:aa:bb:01 -j ACCEPT", "-j DROP"])[..]
    );
    // Disabled, then the same MACs again: the chain is rebuilt (upstream kept REJECT).
    filter.sync(&inputs(false)).expect("syncs");
    runner.take();
    filter.sync(&inputs(true)).expect("syncs");
    assert_eq!(
        runner.take(),
        replacement(&["-m mac --mac-source 52:54:00:aa:bb:01 -j ACCEPT", "-j DROP"])
    );
}

#[test]
fn discovery_keeps_dhcp_open_to_unknown_macs_without_introspection() {
    let (filter, runner) = driver(IptablesOptions {
        discovery: true,
        ..options()
    });
    runner.fail("iptables -w -D");
    runner.fail("iptables -w -C");
    filter.init(&inputs(false)).expect("initialises");
    let calls = runner.take();
    assert_eq!(
        calls[calls.len() - 8..],
        replacement(&[
            "-m mac --mac-source 52:54:00:aa:bb:01 -j DROP",
            "-m mac --mac-source 52:54:00:aa:bb:02 -j DROP",
            "-j ACCEPT"
        ])[..]
    );
}

#[test]
fn ipv6_uses_ip6tables_and_port_547_and_old_iptables_lose_w() {
    let (filter, runner) = driver(IptablesOptions {
        ip_version: 6,
        ..options()
    });
    runner.fail("ip6tables -w -h");
    runner.fail("ip6tables-restore -w");
    filter.init(&inputs(false)).expect("initialises");
    let calls = runner.take();
    assert_eq!(calls[0], "ip6tables -w -h");
    assert_eq!(
        calls[2],
        "ip6tables -C INPUT -i br-ctlplane -p udp --dport 547 -j ironic-inspector_temp"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("ip6tables-restore --noflush <<< "))
    );
}

#[test]
fn a_failed_sync_keeps_the_chains_and_the_next_one_sets_up_again() {
    let (filter, runner) = driver(options());
    runner.fail("iptables -w -D");
    runner.fail("iptables -w -C");
    filter.init(&inputs(true)).expect("initialises");
    runner.take();
    runner.fail("iptables-restore -w --noflush <<< *filter\n:");
    assert!(filter.sync(&inputs(false)).is_err());
    assert_eq!(filter.state(), crate::DriverState::Uninitialized);
    assert!(
        !runner
            .take()
            .iter()
            .any(|c| c.contains("-F ironic-inspector\n") || c.ends_with("-X ironic-inspector")),
        "the chain in force is not removed after a failure"
    );
    runner
        .failing
        .lock()
        .expect("lock")
        .retain(|p| !p.starts_with("iptables-restore"));
    filter.sync(&inputs(false)).expect("set up again");
    assert_eq!(filter.state(), crate::DriverState::Initialized);
}

#[test]
fn a_hooked_temporary_chain_left_by_a_dead_process_becomes_the_main_chain() {
    let (filter, runner) = driver(options());
    runner.fail("iptables -w -D");
    filter.init(&inputs(true)).expect("initialises");
    let calls = runner.take();
    assert_eq!(
        calls[2..8],
        [
            format!("iptables -w -C {JUMP_TEMP}"),
            format!("iptables -w -D {JUMP}"),
            "iptables -w -F ironic-inspector".to_owned(),
            "iptables -w -X ironic-inspector".to_owned(),
            "iptables -w -E ironic-inspector_temp ironic-inspector".to_owned(),
            format!("iptables -w -D {JUMP_TEMP}"),
        ]
    );
}

#[test]
fn deny_unknown_macs_with_discovery_is_a_configuration_error() {
    let error = IptablesDriver::new(
        IptablesOptions {
            deny_unknown_macs: true,
            discovery: true,
            ..options()
        },
        Arc::new(RecordingRunner::default()),
    )
    .expect_err("refused");
    assert!(
        error
            .to_string()
            .starts_with("Configuration error: [pxe_filter]deny_unknown_macs is enabled")
    );
}
