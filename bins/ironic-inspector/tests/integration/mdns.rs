//! The mDNS advertisement against real resolvers, in two network namespaces
//! joined by a veth pair (nothing leaves the machine): python-zeroconf and
//! ironic-python-agent's own look-up find the API; stopping the service
//! withdraws it.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::real;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A network namespace, deleted on drop.
struct Namespace(String);

impl Namespace {
    fn new(tag: &str) -> Result<Self, String> {
        let name = format!("ii-{tag}-{}", std::process::id());
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        match Command::new("ip").args(["netns", "add", &name]).output() {
            Ok(output) if output.status.success() => Ok(Self(name)),
            Ok(output) => Err(format!(
                "cannot create a network namespace: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(error) => Err(format!("cannot run ip: {error}")),
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.0, program]);
        command
    }

    fn ok(&self, args: &[&str]) {
        let status = self.command(args[0]).args(&args[1..]).status().unwrap();
        assert!(status.success(), "{args:?} in {}", self.0);
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// The server and client namespaces, 192.0.2.1 and 192.0.2.2 on a veth pair.
fn network() -> Result<(Namespace, Namespace), String> {
    let (server, client) = (Namespace::new("mdns-s")?, Namespace::new("mdns-c")?);
    let id = std::process::id() % 100_000;
    let (veth_s, veth_c) = (format!("ms{id}"), format!("mc{id}"));
    let ok = |args: &[&str]| {
        let status = Command::new(args[0]).args(&args[1..]).status().unwrap();
        assert!(status.success(), "{args:?}");
    };
    ok(&[
        "ip", "link", "add", &veth_s, "type", "veth", "peer", "name", &veth_c,
    ]);
    ok(&["ip", "link", "set", &veth_s, "netns", &server.0]);
    ok(&["ip", "link", "set", &veth_c, "netns", &client.0]);
    for (ns, veth, address) in [
        (&server, &veth_s, "192.0.2.1/24"),
        (&client, &veth_c, "192.0.2.2/24"),
    ] {
        ns.ok(&["ip", "addr", "add", address, "dev", veth]);
        ns.ok(&["ip", "link", "set", veth, "up"]);
        ns.ok(&["ip", "link", "set", "lo", "up"]);
    }
    Ok((server, client))
}

/// Reads lines of `child`'s stdout until one satisfies `wanted` (bounded).
fn line_of(reader: &mut impl BufRead, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).unwrap();
        assert!(read > 0, "{what}: the output ended");
        if wanted(line.trim()) {
            return line.trim().to_owned();
        }
    }
}

/// Waits (bounded) until `log` holds `text`.
fn wait_for_log(log: &std::path::Path, text: &str, service: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let content = std::fs::read_to_string(log).unwrap_or_default();
        if content.contains(text) {
            return;
        }
        assert!(
            service.try_wait().unwrap().is_none(),
            "the service exited:\n{content}"
        );
        assert!(
            Instant::now() < deadline,
            "no {text:?} within 20 s:\n{content}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn real_resolvers_find_the_advertised_api() {
    const TEST: &str = "real_resolvers_find_the_advertised_api";
    let _timed = real::timed(TEST);
    let venv = match real::venv("ipa") {
        Ok(venv) => venv,
        Err(reason) => return real::skip(TEST, &reason),
    };
    let (server, client) = match network() {
        Ok(pair) => pair,
        Err(reason) => return real::skip(TEST, &reason),
    };
    let dir = real::state_dir("mdns");
    let config = dir.path().join("inspector.conf");
    std::fs::write(
        &config,
        format!(
            "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 192.0.2.1\nlisten_port = 5050\n\
             enable_mdns = true\n\
             [database]\nconnection = sqlite:///{}/inspector.sqlite\n\
             [ironic]\nauth_type = none\nendpoint_override = http://127.0.0.1:9\n\
             [pxe_filter]\ndriver = noop\n[mdns]\nparams = ipa_debug:1\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let log = dir.path().join("inspector.log");
    let mut service = server
        .command(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("--config-file")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    wait_for_log(&log, "advertised by mDNS", &mut service);

    // The ramdisk's own look-up, as with `ipa-inspection-callback-url=mdns`.
    let python = venv.join("bin/python3");
    let probe = real::scripts().join("mdns_probe.py");
    let agent = client
        .command(python.to_str().unwrap())
        .arg(&probe)
        .arg("agent")
        .output()
        .unwrap();
    assert!(
        agent.status.success(),
        "the agent's look-up: {}",
        String::from_utf8_lossy(&agent.stderr)
    );
    let found: Value = serde_json::from_slice(&agent.stdout).unwrap();
    assert_eq!(
        found,
        json!({"endpoint": "http://192.0.2.1:5050", "properties": {"ipa_debug": "1"}})
    );

    // python-zeroconf: the record itself, then its withdrawal at shutdown.
    let mut browser = client
        .command(python.to_str().unwrap())
        .arg(&probe)
        .args(["zeroconf", "15"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut output = BufReader::new(browser.stdout.take().unwrap());
    let record: Value =
        serde_json::from_str(&line_of(&mut output, "the record", |l| l.starts_with('{'))).unwrap();
    assert_eq!(record["found"], true, "{record}");
    assert_eq!(record["addresses"], json!(["192.0.2.1"]));
    assert_eq!(record["port"], 5050);
    assert_eq!(
        record["properties"],
        json!({"ipa_debug": "1", "protocol": "http"})
    );
    assert!(
        record["server"]
            .as_str()
            .is_some_and(|s| s.ends_with(".local.")),
        "{record}"
    );
    let stopped = Command::new("kill")
        .args(["-TERM", &service.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert_eq!(
        line_of(&mut output, "the withdrawal", |l| !l.is_empty()),
        "withdrawn"
    );
    assert!(browser.wait().unwrap().success());
    let exit = service.wait().unwrap();
    assert!(exit.success(), "the service stopped cleanly: {exit:?}");
    let content = std::fs::read_to_string(&log).unwrap();
    assert!(
        content.contains("mDNS advertisement withdrawn"),
        "{content}"
    );
    drop((server, client));
}
