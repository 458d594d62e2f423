//! Keystone 27 (SQLite, fernet tokens) on loopback for the real-Keystone
//! tests: bootstrapped with an `admin` user, a `service` project holding the
//! `ironic-inspector` service user (role `service`, and system `admin` for the
//! tests' own calls to Ironic) and a `member` user, all
//! with the password [`PASSWORD`]. Tokens last [`TOKEN_SECONDS`], so that a
//! test can see one expire.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Supervised, free_port, state_dir, wait_for};

/// Every user's password.
pub(crate) const PASSWORD: &str = "s3cret";

/// `[token] expiration`: how long a token is valid, seconds.
pub(crate) const TOKEN_SECONDS: u64 = 15;

/// A running Keystone.
pub(crate) struct Keystone {
    process: Supervised,
    /// `http://127.0.0.1:<port>` (the identity root; the API is under `/v3`).
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl Keystone {
    /// Creates Keystone's database, keys and bootstrap data, serves it and
    /// adds the service project, its users and roles (a minute at most).
    pub(crate) async fn start(venv: &Path) -> Self {
        let dir = state_dir("keystone");
        let root = dir.path().display().to_string();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let config = dir.path().join("keystone.conf");
        std::fs::write(
            &config,
            format!(
                "[DEFAULT]\n[database]\nconnection = sqlite:///{root}/keystone.sqlite\n\
                 [token]\nprovider = fernet\nexpiration = {TOKEN_SECONDS}\n\
                 [fernet_tokens]\nkey_repository = {root}/fernet-keys\n\
                 [fernet_receipts]\nkey_repository = {root}/fernet-keys\n\
                 [credential]\nkey_repository = {root}/credential-keys\n"
            ),
        )
        .unwrap();
        let config_arg = config.to_str().unwrap();
        let manage = venv.join("bin/keystone-manage");
        let user = ["--keystone-user", "root", "--keystone-group", "root"];
        let public = format!("{url}/v3");
        for args in [
            vec!["db_sync"],
            [vec!["fernet_setup"], user.to_vec()].concat(),
            [vec!["credential_setup"], user.to_vec()].concat(),
            vec![
                "bootstrap",
                "--bootstrap-password",
                PASSWORD,
                "--bootstrap-public-url",
                &public,
                // keystonemiddleware looks for the internal one.
                "--bootstrap-internal-url",
                &public,
                "--bootstrap-region-id",
                "RegionOne",
            ],
        ] {
            let output = Command::new(&manage)
                .args(["--config-file", config_arg])
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "keystone-manage {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        // Write-ahead logging: a request that left a read transaction open
        // (Keystone's pool keeps connections) does not lock out the next write.
        let wal = Command::new(venv.join("bin/python3"))
            .args([
                "-c",
                "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('pragma journal_mode=wal')",
            ])
            .arg(dir.path().join("keystone.sqlite"))
            .status()
            .unwrap();
        assert!(wal.success(), "switching Keystone's database to WAL");
        let process = Supervised::spawn(
            &venv.join("bin/keystone-wsgi-public"),
            &["--host", "127.0.0.1", "--port", &port.to_string()],
            &[
                ("OS_KEYSTONE_CONFIG_FILES", config_arg),
                ("PYTHONWARNINGS", "ignore"),
            ],
            &dir.path().join("keystone.log"),
        );
        let versions = format!("{url}/v3");
        wait_for("Keystone to answer", Duration::from_secs(60), || {
            let request = reqwest::get(versions.clone());
            async move { request.await.ok().filter(|r| r.status() == 200) }
        })
        .await;
        let keystone = Self {
            process,
            url,
            _dir: dir,
        };
        let service = keystone
            .create(
                "projects",
                "project",
                json!({"name": "service", "domain_id": "default"}),
            )
            .await;
        // Bootstrap made the roles `admin`, `manager`, `member`, `reader` and `service`.
        let role = keystone.find("roles", "service").await;
        let member_role = keystone.find("roles", "member").await;
        let admin_role = keystone.find("roles", "admin").await;
        for (name, project_role) in [("ironic-inspector", &role), ("member", &member_role)] {
            let user = keystone
                .create(
                    "users",
                    "user",
                    json!({"name": name, "password": PASSWORD, "domain_id": "default"}),
                )
                .await;
            keystone
                .call(
                    "PUT",
                    &format!("/v3/projects/{service}/users/{user}/roles/{project_role}"),
                    None,
                )
                .await;
            if name == "ironic-inspector" {
                // System admin too, for the tests' own calls to Ironic.
                keystone
                    .call(
                        "PUT",
                        &format!("/v3/system/users/{user}/roles/{admin_role}"),
                        None,
                    )
                    .await;
            }
        }
        keystone
    }

    /// A call to Keystone's API as the admin (a fresh token each time: they
    /// do not last); returns the JSON body.
    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let admin = self.token("admin", "admin").await;
        let mut request = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .header("X-Auth-Token", admin);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn create(&self, collection: &str, member: &str, fields: Value) -> String {
        let body = self
            .call(
                "POST",
                &format!("/v3/{collection}"),
                Some(json!({ member: fields })),
            )
            .await;
        body[member]["id"].as_str().unwrap().to_owned()
    }

    async fn find(&self, collection: &str, name: &str) -> String {
        let body = self
            .call("GET", &format!("/v3/{collection}?name={name}"), None)
            .await;
        body[collection][0]["id"].as_str().unwrap().to_owned()
    }

    /// Lists `url` in the catalog as the public and internal endpoints of a
    /// service of `service_type`.
    pub(crate) async fn register(&self, service_type: &str, url: &str) {
        let service = self
            .create(
                "services",
                "service",
                json!({"type": service_type, "name": service_type}),
            )
            .await;
        for interface in ["public", "internal"] {
            self.create(
                "endpoints",
                "endpoint",
                json!({"service_id": service, "interface": interface, "url": url,
                       "region_id": "RegionOne"}),
            )
            .await;
        }
    }

    /// A project-scoped token of `user` (password [`PASSWORD`]) for `project`.
    pub(crate) async fn token(&self, user: &str, project: &str) -> String {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": PASSWORD}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }});
        let answer = reqwest::Client::new()
            .post(format!("{}/v3/auth/tokens", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201, "a token for {user}");
        answer.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Revokes `token`.
    pub(crate) async fn revoke(&self, token: &str) {
        let admin = self.token("admin", "admin").await;
        let answer = reqwest::Client::new()
            .delete(format!("{}/v3/auth/tokens", self.url))
            .header("X-Auth-Token", admin)
            .header("X-Subject-Token", token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 204, "revoking a token");
    }

    /// The `ironic-inspector` service user, scoped to the `service` project.
    pub(crate) fn service_user(&self) -> super::KeystoneUser {
        super::KeystoneUser {
            auth_url: self.url.clone(),
            username: "ironic-inspector".into(),
            password: PASSWORD.into(),
            project: "service".into(),
        }
    }

    /// What Keystone logged so far.
    pub(crate) fn log(&self) -> String {
        self.process.output()
    }
}
