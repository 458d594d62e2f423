//! Shared by the benchmarks: the service binary started with a configuration
//! file, and where it listens.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `ironic-inspector --config-file <config>`; returns the process and
/// its `http://...` base URL once it logged where it listens.
pub(crate) fn spawn_service(config: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("--config-file")
        .arg(config)
        .env("RUST_LOG", "warn,ironic_inspector=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the service starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let _ = sender.send(line[at + "listening on ".len()..].trim().to_owned());
            }
        }
    });
    let url = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the service says where it listens");
    (child, url)
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`); 0 when unreadable.
#[allow(dead_code)] // Not every benchmark reads it.
pub(crate) fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

/// Writes the benchmarks' `inspector.conf` in `dir`: loopback, a free port,
/// SQLite at `database`, the fake Ironic at `ironic_url`, no rate limits, no
/// PXE filter, no clean-up; returns its path.
#[allow(dead_code)] // Not every benchmark uses it.
pub(crate) fn write_config(dir: &Path, database: &Path, ironic_url: &str) -> std::path::PathBuf {
    let config = dir.join("inspector.conf");
    std::fs::write(
        &config,
        format!(
            "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = 0\nclean_up_period = 0\n\
             [database]\nconnection = sqlite:///{}\n[ironic]\nauth_type = none\nendpoint_override = {ironic_url}\n\
             [api]\ncontinue_rate_per_client = 0\ncontinue_rate_overall = 0\n[pxe_filter]\ndriver = noop\n",
            database.display()
        ),
    )
    .expect("the configuration is written");
    config
}
