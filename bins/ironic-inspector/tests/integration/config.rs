//! `inspector.conf` handling of the real binary: a value of the wrong type
//! stops it with a message naming the place; an unknown option is a warning.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use common::config;

#[test]
fn a_value_of_the_wrong_type_stops_the_service_naming_file_section_and_option() {
    let (code, path, stderr) =
        common::run_to_exit("[DEFAULT]\nauth_strategy = noauth\n[api]\nrequest_timeout = soon\n");
    assert_eq!(code, Some(1));
    for expected in [
        path.display().to_string().as_str(),
        "[api]",
        "request_timeout",
        "soon",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected:?} missing from {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_nothing_reads_are_ignored_with_a_warning() {
    let service = common::start(&config(
        "http://127.0.0.1:9",
        "auth_strategy = noauth\nlisten_prot = 6000\n",
        "[iptables]\nfirewall_chian = typo\n",
    ));
    let answer = reqwest::get(format!("{}/v1", service.url)).await.unwrap();
    assert_eq!(answer.status(), 200);
    let log = service.log();
    for (section, option) in [("DEFAULT", "listen_prot"), ("iptables", "firewall_chian")] {
        let expected = format!("[{section}] {option} is not used by this service; ignored");
        assert!(
            log.iter()
                .any(|line| line.contains(&expected) && line.contains("WARN")),
            "{expected:?} missing from {log:#?}"
        );
    }
    assert!(
        !log.iter()
            .any(|line| line.contains("introspection_delay is not")),
        "a known option is not reported: {log:#?}"
    );
}
