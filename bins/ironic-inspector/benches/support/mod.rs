//! Shared by the benchmarks: the service binary started with a configuration
//! file, and where it listens; the fake Ironic in a process of its own.

#[allow(dead_code)] // Not every benchmark uses it.
pub(crate) mod fake_ironic;

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
/// PXE filter, no clean-up, no pause between power actions; returns its path.
#[allow(dead_code)] // Not every benchmark uses it.
pub(crate) fn write_config(dir: &Path, database: &Path, ironic_url: &str) -> std::path::PathBuf {
    let config = dir.join("inspector.conf");
    std::fs::write(
        &config,
        format!(
            "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = 0\nclean_up_period = 0\n\
             introspection_delay = 0\n\
             [database]\nconnection = sqlite:///{}\n[ironic]\nauth_type = none\nendpoint_override = {ironic_url}\n\
             [api]\ncontinue_rate_per_client = 0\ncontinue_rate_overall = 0\n[pxe_filter]\ndriver = noop\n",
            database.display()
        ),
    )
    .expect("the configuration is written");
    config
}

/// CPU time (user + system) the process `pid` has used so far, from
/// `/proc/<pid>/stat` (clock ticks of 10 ms on Linux); zero when unreadable.
#[allow(dead_code)] // Not every benchmark reads it.
pub(crate) fn cpu_time(pid: u32) -> Duration {
    const TICKS_PER_SECOND: u64 = 100; // USER_HZ, fixed on Linux
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: fields are counted after its `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 1000 / TICKS_PER_SECOND)
}

/// The service's `/metrics` text.
#[allow(dead_code)] // Not every benchmark reads metrics.
pub(crate) async fn metrics(http: &reqwest::Client, base: &str) -> String {
    let answer = http.get(format!("{base}/metrics")).send().await.unwrap();
    answer.text().await.unwrap()
}

/// Waits until the service's `/metrics` has the line `expected` (polled
/// every 100 ms, so that the polls add little to its CPU time).
#[allow(dead_code)] // Not every benchmark waits for a metric.
pub(crate) async fn wait_for_metric(http: &reqwest::Client, base: &str, expected: &str) {
    while !metrics(http, base)
        .await
        .lines()
        .any(|line| line == expected)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `p` quantile (0 to 1) of `sorted` latencies.
#[allow(dead_code)] // Not every benchmark reports latencies.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
