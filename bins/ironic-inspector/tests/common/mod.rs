//! Starting the real binary for end-to-end tests.

#![allow(dead_code, clippy::unwrap_used)] // Each test file uses part of it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) mod fault_proxy;

/// A running service; killed when dropped.
pub(crate) struct Service {
    child: Child,
    /// `http://127.0.0.1:<port>` (`https://...` with TLS, `unix:<path>` on a UNIX socket).
    pub(crate) url: String,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Service {
    /// Kills the process with SIGKILL (no clean-up of any kind) and reaps it.
    #[allow(dead_code)] // Not every test binary kills services.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    #[allow(dead_code)] // Not every test binary needs it.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its private directory (configuration, SQLite database).
    #[allow(dead_code)] // Not every test binary reads it.
    pub(crate) fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Starts the service again on the same directory and configuration
    /// (after [`Service::kill`]); `url` is where it listens now.
    #[allow(dead_code)] // Not every test binary restarts services.
    pub(crate) fn restart(&mut self) {
        let (child, url, log) = spawn(&self._dir.path().join("inspector.conf"), &[]);
        self.child = child;
        self.url = url;
        self.log = log;
    }

    /// The lines the service logged so far.
    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the service with `config` (the text of `inspector.conf`, where
/// `{dir}` stands for a private temporary directory) and waits until it listens.
pub(crate) fn start(config: &str) -> Service {
    start_prepared(config, |_| {})
}

/// [`start`], after `prepare` wrote what the configuration refers to in `{dir}`.
pub(crate) fn start_prepared(config: &str, prepare: impl FnOnce(&Path)) -> Service {
    start_with_env(config, prepare, &[])
}

/// [`start_prepared`] with these environment variables set.
pub(crate) fn start_with_env(
    config: &str,
    prepare: impl FnOnce(&Path),
    env: &[(&str, &std::ffi::OsStr)],
) -> Service {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let path = dir.path().join("inspector.conf");
    std::fs::write(
        &path,
        config.replace("{dir}", &dir.path().display().to_string()),
    )
    .unwrap();
    let (child, url, log) = spawn(&path, env);
    Service {
        child,
        url,
        log,
        _dir: dir,
    }
}

/// Runs the binary with the configuration at `path`; returns it once it listens.
fn spawn(
    path: &Path,
    env: &[(&str, &std::ffi::OsStr)],
) -> (Child, String, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("--config-file")
        .arg(path)
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on ") {
                let _ = sender.send(line[at + "listening on ".len()..].trim().to_owned());
            }
            lines.lock().unwrap().push(line);
        }
    });
    let url = receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("the service starts and says where it listens");
    (child, url, log)
}

/// The `inspector.conf` of the tests: loopback, random port, SQLite in `{dir}`,
/// the fake Ironic at `ironic_url`, data stored in the database.
pub(crate) fn config(ironic_url: &str, extra_default: &str, extra_sections: &str) -> String {
    format!(
        "[DEFAULT]\n{extra_default}listen_address = 127.0.0.1\nlisten_port = 0\nintrospection_delay = 0\n\
         http_basic_auth_user_file = {{dir}}/htpasswd\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\nauth_type = none\nendpoint_override = {ironic_url}\nretry_interval = 0\n\
         [processing]\nstore_data = database\n[healthcheck]\nenabled = true\n\
         [pxe_filter]\ndriver = noop\n{extra_sections}"
    )
}

/// Runs the service with `config` (written to `inspector.conf` in a fresh
/// directory, also its working directory) expecting it to stop by itself;
/// returns its exit code, the path of the file and what it wrote on stderr.
pub(crate) fn run_to_exit(config: &str) -> (Option<i32>, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inspector.conf");
    std::fs::write(&path, config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("--config-file")
        .arg(&path)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), path, stderr)
}

/// The status of `node` once its introspection finished (10 s at most).
#[allow(dead_code)] // Not every test binary waits for introspections.
pub(crate) async fn finished_status(
    http: &reqwest::Client,
    url: &str,
    node: &str,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = get_json(http, &format!("{url}/v1/introspection/{node}")).await;
        if status["finished"] == true {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "introspection did not finish: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The JSON body of `GET url`.
#[allow(dead_code)] // Not every test binary reads JSON.
pub(crate) async fn get_json(http: &reqwest::Client, url: &str) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// The upstream ramdisk fixture as posted by a machine whose first interface
/// (and PXE boot interface) has `mac`.
#[allow(dead_code)] // Not every test binary posts ramdisk data.
pub(crate) fn payload(mac: &str) -> serde_json::Value {
    let mut data: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = serde_json::json!(mac);
    data["boot_interface"] = serde_json::json!(format!("01-{}", mac.replace(':', "-")));
    data
}

/// `POST /v1/introspection/<node>?manage_boot=0`: starts an introspection
/// without boot management; returns the answer.
#[allow(dead_code)] // Not every test binary starts introspections.
pub(crate) async fn start_introspection(
    http: &reqwest::Client,
    url: &str,
    node: &str,
) -> reqwest::Response {
    http.post(format!("{url}/v1/introspection/{node}?manage_boot=0"))
        .send()
        .await
        .unwrap()
}
