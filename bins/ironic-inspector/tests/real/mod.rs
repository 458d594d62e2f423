//! Real OpenStack pieces for end-to-end tests: Ironic 32 all-in-one and the
//! service under test, each started in a temporary directory, on loopback,
//! with bounded waits, and stopped by PID through `watchdog.py` — which also
//! stops them when the test process ends, however it ends.
//!
//! The Python environments come from `.ci/venvs` (`target/venvs/<name>`, or
//! `$INSPECTOR_TEST_VENVS/<name>`); a test whose environment is missing prints
//! `SKIPPED <test>: <reason>` and passes without checking anything.

#![allow(dead_code, clippy::unwrap_used)] // Each test file uses part of it.

pub(crate) mod keystone;
pub(crate) mod swift;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The directory of the support scripts.
pub(crate) fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real")
}

/// The Python environment `name` made by `.ci/venvs`, or why there is none.
pub(crate) fn venv(name: &str) -> Result<PathBuf, String> {
    let root = match std::env::var_os("INSPECTOR_TEST_VENVS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/venvs"),
    };
    let venv = root.join(name);
    if venv.join("bin/python3").exists() {
        Ok(venv)
    } else {
        Err(format!(
            "no Python environment {} (made by .ci/venvs)",
            venv.display()
        ))
    }
}

/// Says that `test` did not run, and why (also in the run's record).
pub(crate) fn skip(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
    record(&format!("{test}: SKIPPED: {reason}"));
    SKIPPED.with(|skipped| skipped.set(true));
}

thread_local! {
    /// Whether the test on this thread skipped (its [`Timed`] then records nothing).
    static SKIPPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Appends a line to `target/real-server-tests.txt`, the record of this
/// run's real-server tests (`.ci/run` prints it; cargo hides the output of
/// passing tests).
fn record(line: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/real-server-tests.txt");
    if let Ok(mut file) = File::options().create(true).append(true).open(path) {
        let _ = writeln!(file, "{line}");
    }
}

/// Records how long the test that holds it took, and whether it passed.
pub(crate) struct Timed {
    test: &'static str,
    started: Instant,
}

/// Starts timing `test` (from before its servers start, if it starts them).
pub(crate) fn timed(test: &'static str) -> Timed {
    Timed {
        test,
        started: Instant::now(),
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        if SKIPPED.with(std::cell::Cell::get) {
            return;
        }
        let outcome = if std::thread::panicking() {
            "FAILED"
        } else {
            "ok"
        };
        record(&format!(
            "{}: {outcome} in {:.1} s",
            self.test,
            self.started.elapsed().as_secs_f64()
        ));
    }
}

/// A temporary directory for a server's state, kept after the run (and
/// named on standard error) when `INSPECTOR_TEST_KEEP` is set.
pub(crate) fn state_dir(what: &str) -> tempfile::TempDir {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("{what}-"))
        .tempdir()
        .unwrap();
    if std::env::var_os("INSPECTOR_TEST_KEEP").is_some() {
        dir.disable_cleanup(true);
        let _ = writeln!(std::io::stderr(), "{what}: {}", dir.path().display());
    }
    dir
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process run by `watchdog.py`: it lives while we hold its standard input.
pub(crate) struct Supervised {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where its standard output and error go.
    pub(crate) log: PathBuf,
}

impl Supervised {
    /// Starts `program` with `args` under the watchdog, output to `log`.
    pub(crate) fn spawn(program: &Path, args: &[&str], envs: &[(&str, &str)], log: &Path) -> Self {
        let output = File::options().create(true).append(true).open(log).unwrap();
        let mut child = Command::new("python3")
            .arg(scripts().join("watchdog.py"))
            .arg(program)
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            log: log.to_owned(),
        }
    }

    /// Whether the process has exited.
    pub(crate) fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the server (SIGTERM, SIGKILL after 10 s) and waits for it.
    pub(crate) fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.exited() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What it printed so far.
    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `check` every 100 ms until it gives a value or `limit` passes.
pub(crate) async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The service under test on a fixed loopback port, restartable on the same
/// port and database.
pub(crate) struct Inspector {
    process: Supervised,
    config: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    pub(crate) port: u16,
    /// Its private directory (`{dir}` in the configuration).
    pub(crate) dir: tempfile::TempDir,
}

impl Inspector {
    /// Starts the service on `port` with `config` (`{dir}`: its directory,
    /// `{port}`: its port) and waits until it answers.
    pub(crate) async fn start(port: u16, config: &str) -> Self {
        let dir = state_dir("inspector");
        let path = dir.path().join("inspector.conf");
        std::fs::write(
            &path,
            config
                .replace("{dir}", &dir.path().display().to_string())
                .replace("{port}", &port.to_string()),
        )
        .unwrap();
        let process = Self::spawn(&path, &dir.path().join("inspector.log"));
        let mut inspector = Self {
            process,
            config: path,
            url: format!("http://127.0.0.1:{port}"),
            port,
            dir,
        };
        inspector.wait_ready().await;
        inspector
    }

    fn spawn(config: &Path, log: &Path) -> Supervised {
        Supervised::spawn(
            Path::new(env!("CARGO_BIN_EXE_ironic-inspector")),
            &["--config-file", config.to_str().unwrap()],
            &[("RUST_LOG", "info")],
            log,
        )
    }

    /// Waits until the service answers, and checks that the one answering is
    /// ours (it says so in its log) rather than another process on the port.
    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let url = format!("{}/", self.url);
        let listening = format!("listening on http://127.0.0.1:{}", self.port);
        let runs = self.log().matches(&listening).count();
        wait_for("the service to answer", Duration::from_secs(30), || {
            let request = http.get(&url).send();
            async move { request.await.ok().filter(|r| r.status() == 200) }
        })
        .await;
        assert!(
            !self.process.exited() && self.log().matches(&listening).count() > runs,
            "the service did not start on port {}:\n{}",
            self.port,
            self.log()
        );
    }

    /// Stops the service (SIGTERM) and starts it again with the same
    /// configuration, port and database.
    pub(crate) async fn restart(&mut self) {
        self.process.stop();
        self.process = Self::spawn(&self.config, &self.process.log.clone());
        self.wait_ready().await;
    }

    /// What the service logged so far (all runs).
    pub(crate) fn log(&self) -> String {
        self.process.output()
    }

    /// Starts the introspection of `uuid` through the API, boot not managed
    /// (expects 202), and posts its ramdisk data; the post's status.
    pub(crate) async fn introspect_unmanaged(&self, uuid: &str, mac: &str, bmc: &str) -> u16 {
        let http = reqwest::Client::new();
        let started = http
            .post(format!(
                "{}/v1/introspection/{uuid}?manage_boot=false",
                self.url
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 202);
        let posted = http
            .post(format!("{}/v1/continue", self.url))
            .json(&payload(mac, bmc))
            .send()
            .await
            .unwrap();
        posted.status().as_u16()
    }

    /// Its configuration file.
    pub(crate) fn config(&self) -> &Path {
        &self.config
    }

    /// What `ironic-inspector explain <uuid>` prints with this service's
    /// configuration (read from its database while it runs).
    pub(crate) fn explain(&self, uuid: &str) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
            .args([
                "explain",
                uuid,
                "--config-file",
                self.config.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "explain: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The requests the service answered so far, as `METHOD path`, in order.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| line.contains("http_request{") && line.contains(": request status="))
            .filter_map(|line| {
                let method = line.split("method=").nth(1)?.split(' ').next()?;
                let path = line.split("path=").nth(1)?.split('}').next()?;
                Some(format!("{method} {path}"))
            })
            .collect()
    }
}

/// Ironic 32 (API and conductor in one process, SQLite, `noauth`,
/// `fake-hardware`) whose `inspector` inspect interface drives `inspector`.
pub(crate) struct Ironic {
    process: Supervised,
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// Who the tests call Ironic as, with Keystone authentication.
    user: Option<KeystoneUser>,
    /// Its state directory; `images/` holds stand-in kernel and ramdisk files.
    pub(crate) dir: tempfile::TempDir,
}

/// How long an asynchronous vendor passthru call of a `fake` vendor
/// interface holds its node's lock (`[fake] vendor_delay`): how a test makes
/// Ironic refuse a node's power actions.
pub(crate) const VENDOR_LOCK_SECONDS: u32 = 40;

/// How Ironic is configured beyond the fixed parts.
pub(crate) struct IronicOptions {
    /// `[inspector] status_check_period`, seconds.
    pub(crate) status_check_period: u32,
    /// `[conductor] inspect_wait_timeout`, seconds.
    pub(crate) inspect_wait_timeout: u32,
    /// The service's port (`[inspector] endpoint_override` on loopback).
    pub(crate) inspector_port: u16,
    /// Keystone authentication (of Ironic's API, and of its calls to the
    /// service) instead of `noauth`.
    pub(crate) keystone: Option<KeystoneUser>,
}

/// A Keystone user with a project-scoped role: who Ironic validates tokens
/// as, calls the service as, and who the tests call Ironic as.
#[derive(Debug, Clone)]
pub(crate) struct KeystoneUser {
    /// The identity root, `http://127.0.0.1:<port>`.
    pub(crate) auth_url: String,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) project: String,
}

impl KeystoneUser {
    /// keystoneauth password options for this user.
    pub(crate) fn options(&self) -> String {
        format!(
            "auth_type = password\nauth_url = {}\nusername = {}\npassword = {}\nproject_name = {}\n\
             user_domain_name = Default\nproject_domain_name = Default\n",
            self.auth_url, self.username, self.password, self.project
        )
    }

    /// A fresh system-scoped token (they may not last long): the tests'
    /// own calls to Ironic, some of which (`/v1/drivers`) only the system
    /// scope may make.
    async fn token(&self) -> String {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.username, "domain": {"id": "default"}, "password": self.password}}},
            "scope": {"system": {"all": true}},
        }});
        let answer = reqwest::Client::new()
            .post(format!("{}/v3/auth/tokens", self.auth_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201, "a token for {}", self.username);
        answer.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }
}

impl Ironic {
    /// Creates Ironic's database and starts it; waits (2 minutes at most)
    /// until its conductor serves `fake-hardware`.
    pub(crate) async fn start(venv: &Path, options: IronicOptions) -> Self {
        let dir = state_dir("ironic");
        let root = dir.path().display().to_string();
        for sub in ["state", "tftpboot/master", "images", "master", "httpboot"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        for file in ["kernel", "ramdisk"] {
            std::fs::write(dir.path().join("images").join(file), file).unwrap();
        }
        let port = free_port();
        let (strategy, keystone) = match &options.keystone {
            None => ("noauth", String::new()),
            Some(user) => (
                "keystone",
                format!(
                    // Elevated access: the service role in the `service` project
                    // reaches every node, as the service's own user needs.
                    "[DEFAULT]\nrbac_service_role_elevated_access = true\n\
                     [keystone_authtoken]\n{}www_authenticate_uri = {}\n[inspector]\n{}",
                    user.options(),
                    user.auth_url,
                    user.options()
                ),
            ),
        };
        let config = format!(
            "[DEFAULT]\n\
             host = 127.0.0.1\n\
             auth_strategy = {strategy}\n\
             rpc_transport = none\n\
             state_path = {root}/state\n\
             enabled_hardware_types = fake-hardware\n\
             enabled_bios_interfaces = no-bios\n\
             enabled_boot_interfaces = fake,pxe\n\
             enabled_console_interfaces = no-console\n\
             enabled_deploy_interfaces = fake\n\
             enabled_firmware_interfaces = no-firmware\n\
             enabled_inspect_interfaces = inspector,no-inspect\n\
             enabled_management_interfaces = fake\n\
             enabled_network_interfaces = noop\n\
             enabled_power_interfaces = fake\n\
             enabled_raid_interfaces = no-raid\n\
             enabled_rescue_interfaces = no-rescue\n\
             enabled_storage_interfaces = noop\n\
             enabled_vendor_interfaces = fake,no-vendor\n\
             default_boot_interface = fake\n\
             default_deploy_interface = fake\n\
             default_inspect_interface = inspector\n\
             default_network_interface = noop\n\
             [api]\nhost_ip = 127.0.0.1\nport = {port}\napi_workers = 1\n\
             [database]\nconnection = sqlite:///{root}/ironic.sqlite\n\
             [dhcp]\ndhcp_provider = none\n\
             [fake]\nvendor_delay = {VENDOR_LOCK_SECONDS}\n\
             [conductor]\nautomated_clean = false\ncheck_provision_state_interval = 1\n\
             inspect_wait_timeout = {timeout}\nsync_power_state_interval = -1\n\
             file_url_allowed_paths = {root}/images\n\
             deploy_kernel = file://{root}/images/kernel\n\
             deploy_ramdisk = file://{root}/images/ramdisk\n\
             [inspector]\nendpoint_override = http://127.0.0.1:{inspector}\n\
             require_managed_boot = false\nstatus_check_period = {period}\n\
             callback_endpoint_override = http://inspector.test:{inspector}\npower_off = true\n\
             [oslo_concurrency]\nlock_path = {root}/state/locks\n\
             [pxe]\ntftp_root = {root}/tftpboot\ntftp_master_path = {root}/tftpboot/master\n\
             images_path = {root}/images\ninstance_master_path = {root}/master\n\
             [deploy]\nhttp_root = {root}/httpboot\nhttp_url = http://127.0.0.1:1\n{keystone}",
            timeout = options.inspect_wait_timeout,
            inspector = options.inspector_port,
            period = options.status_check_period,
        );
        let config_path = dir.path().join("ironic.conf");
        std::fs::write(&config_path, config).unwrap();
        let config_arg = config_path.to_str().unwrap();
        let dbsync = Command::new(venv.join("bin/ironic-dbsync"))
            .args(["--config-file", config_arg, "create_schema"])
            .output()
            .unwrap();
        assert!(
            dbsync.status.success(),
            "ironic-dbsync: {}",
            String::from_utf8_lossy(&dbsync.stderr)
        );
        let mut process = Supervised::spawn(
            &venv.join("bin/python3"),
            &[
                scripts().join("ironic_allinone.py").to_str().unwrap(),
                "--config-file",
                config_arg,
            ],
            &[("PYTHONWARNINGS", "ignore")],
            &dir.path().join("ironic.log"),
        );
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let drivers = format!("{url}/v1/drivers");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(
                !process.exited(),
                "Ironic exited at start:\n{}",
                process.output()
            );
            let mut request = http
                .get(&drivers)
                .header("X-OpenStack-Ironic-API-Version", "latest");
            if let Some(user) = &options.keystone {
                request = request.header("X-Auth-Token", user.token().await);
            }
            let answer = request.send().await;
            if let Ok(answer) = answer
                && let Ok(body) = answer.json::<Value>().await
                && body["drivers"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|d| d["name"] == "fake-hardware"))
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "Ironic did not serve fake-hardware within 2 minutes:\n{}",
                process.output()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Self {
            process,
            url,
            user: options.keystone,
            dir,
        }
    }

    /// What Ironic logged so far.
    pub(crate) fn log(&self) -> String {
        self.process.output()
    }

    /// Calls Ironic's REST API at its latest microversion.
    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        // A client per call: the tests sharing this Ironic run on runtimes of
        // their own, and pooled connections die with the runtime that made them.
        let mut request = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .header("X-OpenStack-Ironic-API-Version", "latest");
        if let Some(user) = &self.user {
            request = request.header("X-Auth-Token", user.token().await);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Enrolls a `fake-hardware` node with `fields` (name, interfaces,
    /// driver_info, ...) and makes it `manageable`; returns its UUID.
    pub(crate) async fn enroll(&self, fields: Value, macs: &[&str]) -> String {
        let mut body = json!({"driver": "fake-hardware"});
        for (key, value) in fields.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, node) = self.call("POST", "/v1/nodes", Some(body)).await;
        assert_eq!(status, 201, "{node}");
        let uuid = node["uuid"].as_str().unwrap().to_owned();
        for mac in macs {
            let (status, port) = self
                .call(
                    "POST",
                    "/v1/ports",
                    Some(json!({"node_uuid": uuid, "address": mac})),
                )
                .await;
            assert_eq!(status, 201, "{port}");
        }
        self.provision(&uuid, "manage").await;
        self.wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
            .await;
        uuid
    }

    /// `PUT /v1/nodes/<uuid>/states/provision` with `target`.
    pub(crate) async fn provision(&self, uuid: &str, target: &str) {
        let (status, body) = self
            .call(
                "PUT",
                &format!("/v1/nodes/{uuid}/states/provision"),
                Some(json!({"target": target})),
            )
            .await;
        assert_eq!(status, 202, "{target} {uuid}: {body}");
    }

    /// The node document.
    pub(crate) async fn node(&self, uuid: &str) -> Value {
        let (status, node) = self.call("GET", &format!("/v1/nodes/{uuid}"), None).await;
        assert_eq!(status, 200, "{node}");
        node
    }

    /// The node's ports (every field).
    pub(crate) async fn ports(&self, uuid: &str) -> Vec<Value> {
        let (status, body) = self
            .call("GET", &format!("/v1/ports/detail?node={uuid}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["ports"].as_array().unwrap().clone()
    }

    /// Waits until the node's provision state is one of `states` (and not
    /// moving towards another, unless it waits or failed); returns the node.
    pub(crate) async fn wait_for_state(
        &self,
        uuid: &str,
        states: &[&str],
        limit: Duration,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let node = self.node(uuid).await;
            let state = node["provision_state"].as_str().unwrap_or_default();
            let settled = node["target_provision_state"].is_null()
                || state.ends_with(" wait")
                || state.ends_with(" failed");
            if states.contains(&state) && settled {
                return node;
            }
            assert!(
                Instant::now() < deadline,
                "node {uuid} is {state}, not one of {states:?}, after {limit:?}: last_error {}",
                node["last_error"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A ramdisk payload (the upstream fixture, its first interface only) for a
/// machine with this PXE MAC and BMC.
pub(crate) fn payload(mac: &str, bmc: &str) -> Value {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    let first = data["inventory"]["interfaces"][0].clone();
    data["inventory"]["interfaces"] = json!([first]);
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["inventory"]["bmc_address"] = json!(bmc);
    data["inventory"]["bmc_v6address"] = json!("");
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data
}
