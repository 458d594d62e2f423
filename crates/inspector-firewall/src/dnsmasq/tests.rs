//! The dnsmasq driver: host files written per MAC, and the commands it runs.

use std::sync::Arc;

use super::*;
use crate::filter::Firewall;
use crate::runner::RecordingRunner;

fn inputs(active: bool) -> SyncInputs {
    crate::inputs::two_ports(active)
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| {
            let path = e.expect("entry").path();
            (
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read_to_string(&path).expect("reads"),
            )
        })
        .collect();
    files.sort();
    files
}

fn driver(dir: &Path, purge: bool, discovery: bool) -> (Firewall, Arc<RecordingRunner>) {
    let runner = Arc::new(RecordingRunner::default());
    let options = DnsmasqOptions {
        purge,
        start_command: "systemctl start dnsmasq".into(),
        stop_command: "systemctl stop dnsmasq".into(),
        discovery,
        ..DnsmasqOptions::in_dir(dir)
    };
    let driver = DnsmasqDriver::new(options, runner.clone()).expect("valid");
    (Firewall::new(Box::new(driver)), runner)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn the_reference_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("52:54:00:aa:bb:01"),
        "52:54:00:aa:bb:01,ignore\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("52:54:00:aa:bb:09"),
        "52:54:00:aa:bb:09,ignore\n",
    )
    .expect("write");
    let (filter, runner) = driver(dir.path(), false, false);
    filter.init(&inputs(true)).expect("initialises");
    assert_eq!(runner.take(), vec!["sh -c systemctl start dnsmasq"]);
    assert_eq!(
        files(dir.path()),
        pairs(&[
            ("52:54:00:aa:bb:01", "52:54:00:aa:bb:01\n"),
            ("52:54:00:aa:bb:02", "52:54:00:aa:bb:02,ignore\n"),
            ("52:54:00:aa:bb:09", "52:54:00:aa:bb:09\n"),
            ("unknown_hosts_filter", "*:*:*:*:*:*\n"),
        ])
    );
    filter.sync(&inputs(false)).expect("syncs");
    assert_eq!(
        files(dir.path()),
        pairs(&[
            ("52:54:00:aa:bb:01", "52:54:00:aa:bb:01,ignore\n"),
            ("52:54:00:aa:bb:02", "52:54:00:aa:bb:02,ignore\n"),
            ("52:54:00:aa:bb:09", "52:54:00:aa:bb:09,ignore\n"),
            ("unknown_hosts_filter", "*:*:*:*:*:*,ignore\n"),
        ])
    );
    filter.tear_down();
    assert_eq!(runner.take(), vec!["sh -c systemctl stop dnsmasq"]);
    assert_eq!(files(dir.path()).len(), 4, "tear-down leaves the files");
}

#[test]
fn discovery_keeps_unknown_hosts_open_and_purge_empties_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("stale"), "x").expect("write");
    let (filter, _runner) = driver(dir.path(), true, true);
    filter.init(&inputs(false)).expect("initialises");
    assert_eq!(
        files(dir.path()),
        pairs(&[
            ("52:54:00:aa:bb:01", "52:54:00:aa:bb:01,ignore\n"),
            ("52:54:00:aa:bb:02", "52:54:00:aa:bb:02,ignore\n"),
            ("unknown_hosts_filter", "*:*:*:*:*:*\n"),
        ])
    );
}

#[test]
fn a_failing_start_command_fails_init_and_stops_dnsmasq() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (filter, runner) = driver(dir.path(), true, false);
    runner.fail("sh -c systemctl start");
    assert!(filter.init(&inputs(true)).is_err());
    assert_eq!(
        runner.take(),
        vec![
            "sh -c systemctl start dnsmasq",
            "sh -c systemctl stop dnsmasq"
        ]
    );
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (filter, _runner) = driver(&dir.path().join("absent"), false, false);
    let error = filter.init(&inputs(true)).expect_err("fails");
    assert!(error.to_string().starts_with("cannot list"), "{error}");
}
