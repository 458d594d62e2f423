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
