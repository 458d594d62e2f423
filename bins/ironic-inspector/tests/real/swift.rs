//! OpenStack Swift 2.38 on loopback for the real-Swift tests: one-replica
//! rings, account, container and object servers on a directory of this
//! test, a proxy with tempauth (user `test:tester`, key `testing`), and the
//! memcached tempauth keeps its tokens in.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{Supervised, free_port, state_dir, wait_for};

/// A running Swift.
pub(crate) struct Swift {
    servers: Vec<Supervised>,
    proxy: Option<Supervised>,
    /// `http://127.0.0.1:<port>`, the proxy.
    pub(crate) url: String,
    proxy_config: std::path::PathBuf,
    venv: std::path::PathBuf,
    dir: tempfile::TempDir,
}

/// A tempauth token and the account's storage URL.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) token: String,
    pub(crate) storage_url: String,
}

impl Swift {
    /// Builds the rings and starts every server (a minute at most); `None`
    /// with the reason when memcached is missing.
    pub(crate) async fn start(venv: &Path) -> Result<Self, String> {
        Self::start_with(venv, None).await
    }

    /// [`Swift::start`] with a proxy that authenticates through Keystone
    /// (keystonemiddleware validating tokens as `user`, whose project roles
    /// `admin` and `service` may use any account) instead of tempauth.
    pub(crate) async fn start_with_keystone(
        venv: &Path,
        user: &super::KeystoneUser,
    ) -> Result<Self, String> {
        Self::start_with(venv, Some(user)).await
    }

    async fn start_with(
        venv: &Path,
        keystone: Option<&super::KeystoneUser>,
    ) -> Result<Self, String> {
        let memcached = ["/usr/bin/memcached", "/usr/local/bin/memcached"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .ok_or("memcached is not installed (tempauth keeps its tokens there)")?;
        let dir = state_dir("swift");
        let root = dir.path().display().to_string();
        std::fs::create_dir_all(dir.path().join("node/sdb")).unwrap();
        std::fs::write(
            dir.path().join("swift.conf"),
            "[swift-hash]\nswift_hash_path_suffix = inspector-tests\nswift_hash_path_prefix = inspector-tests\n\
             [storage-policy:0]\nname = Policy-0\ndefault = yes\n",
        )
        .unwrap();
        let builder = venv.join("bin/swift-ring-builder");
        let mut servers = Vec::new();
        let cache_port = free_port();
        servers.push(Supervised::spawn(
            Path::new(memcached),
            &[
                "-u",
                "root",
                "-l",
                "127.0.0.1",
                "-p",
                &cache_port.to_string(),
            ],
            &[],
            &dir.path().join("memcached.log"),
        ));
        for kind in ["account", "container", "object"] {
            let port = free_port();
            let ring = format!("{root}/{kind}.builder");
            for args in [
                vec!["create", "4", "1", "1"],
                vec!["add", &format!("r1z1-127.0.0.1:{port}/sdb"), "100"],
                vec!["rebalance"],
            ] {
                let output = Command::new(&builder)
                    .arg(&ring)
                    .args(&args)
                    .output()
                    .unwrap();
                // `rebalance` exits 1 on warnings that do not matter here.
                assert!(
                    output.status.code().is_some_and(|code| code <= 1),
                    "swift-ring-builder {args:?}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            let config = dir.path().join(format!("{kind}-server.conf"));
            std::fs::write(
                &config,
                format!(
                    "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\ndevices = {root}/node\n\
                     mount_check = false\nswift_dir = {root}\nworkers = 0\nlog_name = {kind}\n\
                     [pipeline:main]\npipeline = {kind}-server\n\
                     [app:{kind}-server]\nuse = egg:swift#{kind}\n"
                ),
            )
            .unwrap();
            servers.push(Supervised::spawn(
                &venv.join(format!("bin/swift-{kind}-server")),
                &[config.to_str().unwrap()],
                &[("PYTHONWARNINGS", "ignore")],
                &dir.path().join(format!("{kind}.log")),
            ));
        }
        let port = free_port();
        let proxy_config = dir.path().join("proxy-server.conf");
        let (auth, auth_filters) = match keystone {
            None => ("tempauth".to_owned(), String::new()),
            Some(user) => (
                "authtoken keystoneauth".to_owned(),
                format!(
                    "[filter:authtoken]\npaste.filter_factory = keystonemiddleware.auth_token:filter_factory\n\
                     delay_auth_decision = true\nwww_authenticate_uri = {url}\n{options}\
                     [filter:keystoneauth]\nuse = egg:swift#keystoneauth\noperator_roles = admin, service\n",
                    url = user.auth_url,
                    options = user.options()
                ),
            ),
        };
        std::fs::write(
            &proxy_config,
            format!(
                "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nswift_dir = {root}\nworkers = 0\n\
                 [pipeline:main]\n\
                 pipeline = catch_errors proxy-logging cache {auth} proxy-logging proxy-server\n{auth_filters}\
                 [app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\
                 [filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n\
                 [filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{cache_port}\n\
                 [filter:catch_errors]\nuse = egg:swift#catch_errors\n\
                 [filter:proxy-logging]\nuse = egg:swift#proxy_logging\n"
            ),
        )
        .unwrap();
        let mut swift = Self {
            servers,
            proxy: None,
            url: format!("http://127.0.0.1:{port}"),
            proxy_config,
            venv: venv.to_path_buf(),
            dir,
        };
        swift.start_proxy();
        let swift_ref = &swift;
        if keystone.is_some() {
            let info = format!("{}/info", swift.url);
            wait_for("Swift to answer", Duration::from_secs(60), || {
                let request = reqwest::get(info.clone());
                async move { request.await.ok().filter(|r| r.status() == 200) }
            })
            .await;
        } else {
            wait_for(
                "Swift to authenticate",
                Duration::from_secs(60),
                || async move { swift_ref.try_account().await },
            )
            .await;
        }
        Ok(swift)
    }

    fn start_proxy(&mut self) {
        self.proxy = Some(Supervised::spawn(
            &self.venv.join("bin/swift-proxy-server"),
            &[self.proxy_config.to_str().unwrap()],
            &[("PYTHONWARNINGS", "ignore")],
            &self.dir.path().join("proxy.log"),
        ));
    }

    /// Stops the proxy: Swift is down for its clients.
    pub(crate) fn stop_proxy(&mut self) {
        if let Some(mut proxy) = self.proxy.take() {
            proxy.stop();
        }
    }

    async fn try_account(&self) -> Option<Account> {
        let answer = reqwest::Client::new()
            .get(format!("{}/auth/v1.0", self.url))
            .header("X-Auth-User", "test:tester")
            .header("X-Auth-Key", "testing")
            .send()
            .await
            .ok()?;
        if answer.status() != 200 {
            return None;
        }
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Some(Account {
            token: header("x-auth-token")?,
            storage_url: header("x-storage-url")?,
        })
    }

    /// A tempauth token of `test:tester` and its storage URL.
    pub(crate) async fn account(&self) -> Account {
        self.try_account().await.expect("tempauth answers")
    }

    /// `GET` of an object straight from Swift: status, `X-Delete-At`, body.
    pub(crate) async fn object(
        &self,
        container: &str,
        name: &str,
    ) -> (u16, Option<String>, String) {
        let account = self.account().await;
        let answer = reqwest::Client::new()
            .get(format!("{}/{container}/{name}", account.storage_url))
            .header("X-Auth-Token", &account.token)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let delete_at = answer
            .headers()
            .get("x-delete-at")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, delete_at, answer.text().await.unwrap())
    }

    /// What the servers logged so far.
    pub(crate) fn log(&self) -> String {
        self.servers
            .iter()
            .chain(self.proxy.iter())
            .map(Supervised::output)
            .collect::<Vec<_>>()
            .join("\n")
    }
}
