//! The PXE filter drivers for real, every privileged command through this
//! helper and the shipped filters, inside network namespaces made by the
//! test: iptables rules compared with `iptables-save`, a sync killed half-way
//! and repaired by a restart, and a real dnsmasq answering (or not) a real
//! DHCP client over a veth pair. Needs root, `ip`, `iptables`, `dnsmasq` and
//! `dhclient` (installed by `.ci/run`); otherwise each test says why it skips.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use inspector_firewall::{
    DnsmasqDriver, DnsmasqOptions, Firewall, IptablesDriver, IptablesOptions, PortMac, SyncInputs,
    SystemRunner,
};

mod support;

const HELPER: &str = env!("CARGO_BIN_EXE_ironic-inspector-rootwrap");

/// Why the system cannot run these tests, if it cannot.
fn missing_requirement(tools: &[&str]) -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not running as root".into());
    }
    for tool in tools {
        let found = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .any(|dir| Path::new(dir).join(tool).exists());
        if !found {
            return Some(format!("{tool} is not installed"));
        }
    }
    None
}

macro_rules! require {
    ($name:expr, $($tool:expr),+) => {
        if let Some(reason) = missing_requirement(&[$($tool),+]) {
            let _ = writeln!(std::io::stderr(), "SKIPPED {}: {reason}", $name);
            return;
        }
    };
}

/// A network namespace, deleted on drop.
struct Namespace(String);

impl Namespace {
    fn new(tag: &str) -> Self {
        let name = format!("ii-{tag}-{}", std::process::id());
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        assert!(
            Command::new("ip")
                .args(["netns", "add", &name])
                .status()
                .unwrap()
                .success()
        );
        Self(name)
    }

    fn exec(&self, command: &[&str]) -> std::process::Output {
        Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(command)
            .output()
            .unwrap()
    }

    /// `iptables-save` lines of the filter table about the inspector.
    fn rules(&self) -> Vec<String> {
        let output = self.exec(&["iptables-save", "-t", "filter"]);
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| l.contains("inspector"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Commands run in `ns` through the helper (as `sudo helper conf` would).
fn runner(ns: &Namespace, config: &Path) -> Arc<SystemRunner> {
    Arc::new(SystemRunner::with_prefix(vec![
        "ip".into(),
        "netns".into(),
        "exec".into(),
        ns.0.clone(),
        HELPER.into(),
        config.display().to_string(),
    ]))
}

fn ports(macs: &[String]) -> Vec<PortMac> {
    macs.iter()
        .map(|m| PortMac {
            address: m.clone(),
            client_id: None,
        })
        .collect()
}

fn iptables_options() -> IptablesOptions {
    IptablesOptions {
        interface: "br-test".into(),
        chain: "ironic-inspector".into(),
        ethoib_interfaces: Vec::new(),
        ip_version: 4,
        deny_unknown_macs: false,
        discovery: false,
    }
}

fn expected(rules: &[&str]) -> Vec<String> {
    let mut lines = vec![
        ":ironic-inspector - [0:0]".to_owned(),
        "-A INPUT -i br-test -p udp -m udp --dport 67 -j ironic-inspector".to_owned(),
    ];
    lines.extend(rules.iter().map(|r| format!("-A ironic-inspector {r}")));
    lines
}

#[test]
fn iptables_sync_cycles_produce_the_expected_rules() {
    require!(
        "iptables_sync_cycles_produce_the_expected_rules",
        "ip",
        "iptables",
        "iptables-save"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = support::rootwrap_config(dir.path(), None);
    let ns = Namespace::new("ipt");
    let filter = Firewall::new(Box::new(
        IptablesDriver::new(iptables_options(), runner(&ns, &config)).unwrap(),
    ));
    let all = [support::mac(1), support::mac(2), support::mac(3)];
    let active = |macs: &[String]| SyncInputs {
        ports: ports(&all),
        active_cache: macs.iter().cloned().collect(),
        introspection_active: !macs.is_empty(),
    };

    filter.init(&active(&[support::mac(1)])).unwrap();
    assert_eq!(
        ns.rules(),
        expected(&[
            "-m mac --mac-source 52:54:00:00:00:02 -j DROP",
            "-m mac --mac-source 52:54:00:00:00:03 -j DROP",
            "-j ACCEPT"
        ])
    );
    filter
        .sync(&active(&[support::mac(1), support::mac(3)]))
        .unwrap();
    assert_eq!(
        ns.rules(),
        expected(&["-m mac --mac-source 52:54:00:00:00:02 -j DROP", "-j ACCEPT"])
    );
    filter.sync(&active(&[])).unwrap();
    assert_eq!(
        ns.rules(),
        expected(&["-j REJECT --reject-with icmp-port-unreachable"])
    );
    filter.tear_down();
    assert!(
        ns.rules().is_empty(),
        "tear-down leaves no inspector chain: {:?}",
        ns.rules()
    );
}

/// The child process of `a_sync_killed_half_way_is_repaired_by_a_restart`:
/// inside the namespace, syncs alternating MAC sets until it is killed.
#[test]
#[ignore = "run as a child process by a_sync_killed_half_way_is_repaired_by_a_restart"]
fn child_syncs_until_killed() {
    let Ok(config) = std::env::var("PXE_FILTER_CHILD_CONFIG") else {
        return;
    };
    let runner = Arc::new(SystemRunner::with_prefix(vec![HELPER.into(), config]));
    let filter = Firewall::new(Box::new(
        IptablesDriver::new(iptables_options(), runner).unwrap(),
    ));
    let all: Vec<String> = (0..600).map(support::mac).collect();
    let mut round = 0_usize;
    loop {
        let active: BTreeSet<String> = all.iter().skip(round % 2).step_by(2).cloned().collect();
        let inputs = SyncInputs {
            ports: ports(&all),
            active_cache: active,
            introspection_active: true,
        };
        let result = if round == 0 {
            filter.init(&inputs)
        } else {
            filter.sync(&inputs)
        };
        result.unwrap();
        round += 1;
    }
}

#[test]
fn a_sync_killed_half_way_is_repaired_by_a_restart() {
    require!(
        "a_sync_killed_half_way_is_repaired_by_a_restart",
        "ip",
        "iptables",
        "iptables-save"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = support::rootwrap_config(dir.path(), None);
    let ns = Namespace::new("kill");
    // Kill points spread over the next syncs once the first one is done.
    for delay in [0_u64, 23, 57, 91, 130] {
        let mut child: Child = Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "child_syncs_until_killed",
                "--nocapture",
            ])
            .env("PXE_FILTER_CHILD_CONFIG", &config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !ns.rules().iter().any(|r| r.starts_with("-A INPUT")) {
            assert!(
                std::time::Instant::now() < deadline,
                "the child never synced"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(delay));
        // SIGKILL: no reset, no clean-up.
        child.kill().unwrap();
        child.wait().unwrap();
        // Whatever the moment, the first chain INPUT jumps to is complete:
        // DHCP is neither open to every MAC nor closed to the active ones.
        let rules = ns.rules();
        let first_jump = rules.iter().find(|r| r.starts_with("-A INPUT"));
        assert!(first_jump.is_some(), "a chain stays hooked in: {rules:?}");
        if let Some(first) = first_jump {
            let chain = first.rsplit(' ').next().unwrap();
            let body: Vec<&String> = rules
                .iter()
                .filter(|r| r.starts_with(&format!("-A {chain} ")))
                .collect();
            assert_eq!(
                body.last().map(|r| r.ends_with("-j ACCEPT")),
                Some(true),
                "{rules:?}"
            );
            assert_eq!(body.len(), 301, "a complete chain: 300 DROPs and ACCEPT");
        }
    }
    // Restart: a new process (here: a new driver) initialises and syncs.
    let filter = Firewall::new(Box::new(
        IptablesDriver::new(iptables_options(), runner(&ns, &config)).unwrap(),
    ));
    let all: Vec<String> = (0..4).map(support::mac).collect();
    filter
        .init(&SyncInputs {
            ports: ports(&all),
            active_cache: BTreeSet::from([support::mac(0)]),
            introspection_active: true,
        })
        .unwrap();
    assert_eq!(
        ns.rules(),
        expected(&[
            "-m mac --mac-source 52:54:00:00:00:01 -j DROP",
            "-m mac --mac-source 52:54:00:00:00:02 -j DROP",
            "-m mac --mac-source 52:54:00:00:00:03 -j DROP",
            "-j ACCEPT"
        ])
    );
}

/// A dnsmasq in `server`, a DHCP client in `client`, over a veth pair.
struct DhcpLab {
    /// Kept for its lifetime: the namespace goes when the lab does.
    _server: Namespace,
    client: Namespace,
    dnsmasq: Child,
    dir: PathBuf,
}

impl DhcpLab {
    fn new(hostsdir: &Path, dir: &Path) -> Self {
        let server = Namespace::new("dhs");
        let client = Namespace::new("dhc");
        let (veth_s, veth_c) = (
            format!("vs{}", std::process::id() % 100_000),
            format!("vc{}", std::process::id() % 100_000),
        );
        let ok = |cmd: &[&str]| {
            assert!(
                Command::new(cmd[0])
                    .args(&cmd[1..])
                    .status()
                    .unwrap()
                    .success(),
                "{cmd:?}"
            )
        };
        ok(&[
            "ip", "link", "add", &veth_s, "type", "veth", "peer", "name", &veth_c,
        ]);
        ok(&["ip", "link", "set", &veth_s, "netns", &server.0]);
        ok(&["ip", "link", "set", &veth_c, "netns", &client.0]);
        server.exec(&["ip", "addr", "add", "10.77.0.1/24", "dev", &veth_s]);
        server.exec(&["ip", "link", "set", &veth_s, "up"]);
        client.exec(&["ip", "link", "set", &veth_c, "up"]);
        let dnsmasq = Command::new("ip")
            .args([
                "netns",
                "exec",
                &server.0,
                "dnsmasq",
                "--no-daemon",
                "--port=0",
                "--bind-interfaces",
            ])
            .arg(format!("--interface={veth_s}"))
            .arg("--dhcp-range=10.77.0.10,10.77.0.50,1h")
            .arg(format!("--dhcp-hostsdir={}", hostsdir.display()))
            .arg(format!("--dhcp-leasefile={}", dir.join("leases").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        Self {
            _server: server,
            client,
            dnsmasq,
            dir: dir.to_path_buf(),
        }
    }

    /// Whether a client with `mac` gets a lease within a few seconds.
    fn gets_lease(&self, mac: &str) -> bool {
        let veth = format!("vc{}", std::process::id() % 100_000);
        self.client.exec(&["ip", "link", "set", &veth, "down"]);
        self.client
            .exec(&["ip", "link", "set", &veth, "address", mac]);
        self.client.exec(&["ip", "addr", "flush", "dev", &veth]);
        self.client.exec(&["ip", "link", "set", &veth, "up"]);
        let lease_file = self
            .dir
            .join(format!("client-{}.leases", mac.replace(':', "")));
        let _ = std::fs::remove_file(&lease_file);
        let pid_file = self.dir.join("dhclient.pid");
        // `-1`: one attempt; it exits 0 once bound (and goes on in the
        // background, stopped below), else `timeout` ends it.
        let status = Command::new("timeout")
            .args([
                "5",
                "ip",
                "netns",
                "exec",
                &self.client.0,
                "dhclient",
                "-1",
                "-lf",
            ])
            .arg(&lease_file)
            .arg("-pf")
            .arg(&pid_file)
            .arg(&veth)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        self.client
            .exec(&["dhclient", "-x", "-pf", &pid_file.display().to_string()]);
        status.success()
    }
}

impl Drop for DhcpLab {
    fn drop(&mut self) {
        let _ = self.dnsmasq.kill();
        let _ = self.dnsmasq.wait();
    }
}

#[test]
fn dnsmasq_answers_only_the_macs_the_filter_allows() {
    require!(
        "dnsmasq_answers_only_the_macs_the_filter_allows",
        "ip",
        "dnsmasq",
        "dhclient",
        "timeout"
    );
    let dir = tempfile::tempdir().unwrap();
    let hostsdir = dir.path().join("hosts");
    std::fs::create_dir(&hostsdir).unwrap();
    let lab = DhcpLab::new(&hostsdir, dir.path());
    let runner = Arc::new(SystemRunner::with_prefix(vec![]));
    let filter = Firewall::new(Box::new(
        DnsmasqDriver::new(DnsmasqOptions::in_dir(&hostsdir), runner).unwrap(),
    ));
    let (inspected, other) = (
        "52:54:00:77:00:01".to_owned(),
        "52:54:00:77:00:02".to_owned(),
    );
    let inputs = |active: bool| SyncInputs {
        ports: ports(&[inspected.clone(), other.clone()]),
        active_cache: if active {
            BTreeSet::from([inspected.clone()])
        } else {
            BTreeSet::new()
        },
        introspection_active: active,
    };
    filter.init(&inputs(true)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        lab.gets_lease(&inspected),
        "the node under introspection gets a lease"
    );
    assert!(
        !lab.gets_lease(&other),
        "an Ironic node not under introspection gets none"
    );

    // The introspection ends: after the next sync the node gets no lease.
    filter.sync(&inputs(false)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !lab.gets_lease(&inspected),
        "a node leaving introspection stops getting leases"
    );
}
