//! The real binary under systemd's service protocol: `READY=1` with where it
//! listens, `WATCHDOG=1` at half of `WATCHDOG_USEC`, `STOPPING=1` on SIGTERM,
//! read from a notification socket the test binds as systemd would.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::config;

/// Collects notifications until `done` says the list is complete (20 s at most).
fn notifications_until(socket: &UnixDatagram, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !done(&seen) {
        assert!(
            Instant::now() < deadline,
            "only these notifications: {seen:?}"
        );
        if let Ok(length) = socket.recv(&mut buffer) {
            seen.push(String::from_utf8_lossy(&buffer[..length]).into_owned());
        }
    }
    seen
}

#[test]
fn systemd_hears_ready_then_the_watchdog_then_stopping() {
    let sockets = tempfile::tempdir().unwrap();
    let path = sockets.path().join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let service = common::start_with_env(
        &config("http://127.0.0.1:9", "auth_strategy = noauth\n", ""),
        |_| {},
        &[
            ("NOTIFY_SOCKET", path.as_os_str()),
            ("WATCHDOG_USEC", std::ffi::OsStr::new("400000")),
        ],
    );
    let count = |seen: &[String], what: &str| seen.iter().filter(|m| m.contains(what)).count();
    let seen = notifications_until(&socket, |seen| {
        count(seen, "READY=1") == 1 && count(seen, "WATCHDOG=1") >= 3
    });
    let ready = seen.iter().find(|m| m.contains("READY=1")).unwrap();
    assert!(
        ready.contains(&format!("STATUS=serving the API on {}", service.url)),
        "{ready}"
    );
    // The shell's own `kill`: a minimal system may have no kill binary.
    let status = std::process::Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &service.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let seen = notifications_until(&socket, |seen| count(seen, "STOPPING=1") == 1);
    assert_eq!(count(&seen, "READY=1"), 0, "{seen:?}");
}
