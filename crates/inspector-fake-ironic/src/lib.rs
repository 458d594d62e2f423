//! A stateful fake Ironic, served over real HTTP on a loopback port.
//!
//! This crate owns an imitation of the part of Ironic's v1 REST API the
//! service uses: nodes (properties, extra, driver_info, traits, power state,
//! boot device, provision state with the manage / inspect / abort
//! transitions, maintenance, names), ports (MAC uniqueness, `pxe_enabled`,
//! `extra`, `local_link_connection`, `physical_network`), version discovery
//! and microversion headers, JSON patches with Ironic's errors, HTTP basic
//! and Keystone token authentication (with a tiny Keystone). It records every
//! request and injects faults: node locked (409) for N calls, 503, latency.
//!
//! It is a test tool: it knows nothing of the service's crates, so the real
//! client is tested against Ironic's wire format, not against itself.

mod patch;
mod ports;
mod server;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use state::{FakeError, FakeResult, Faults, IronicState, RecordedRequest};
use uuid::Uuid;

/// How clients must authenticate.
#[derive(Debug, Clone, Default)]
pub enum FakeAuth {
    /// No authentication.
    #[default]
    None,
    /// HTTP basic authentication.
    HttpBasic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// Keystone tokens issued by the fake's `/identity/v3/auth/tokens`.
    Keystone {
        /// The user accepted by the password method.
        username: String,
        /// Its password.
        password: String,
        /// An application credential (id, secret) accepted too.
        application_credential: Option<(String, String)>,
        /// The region of the catalog's endpoints.
        region: String,
    },
}

/// Settings of a fake.
#[derive(Debug, Clone)]
pub struct FakeIronicConfig {
    /// Authentication.
    pub auth: FakeAuth,
    /// Oldest API version served; default 1.1.
    pub min_version: (u16, u16),
    /// Newest API version served; default 1.89.
    pub max_version: (u16, u16),
    /// Largest page of a list; default 1000 (Ironic's `[api] max_limit`).
    pub page_size: usize,
}

impl Default for FakeIronicConfig {
    fn default() -> Self {
        Self {
            auth: FakeAuth::None,
            min_version: (1, 1),
            max_version: (1, 89),
            page_size: 1000,
        }
    }
}

/// A running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeIronic {
    address: SocketAddr,
    state: Arc<Mutex<IronicState>>,
    tokens: Arc<Mutex<HashMap<String, Vec<String>>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeIronic {
    /// Starts a fake with default settings on `127.0.0.1:<random port>`.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(FakeIronicConfig::default()).await
    }

    /// Starts a fake with `config`.
    pub async fn start_with(config: FakeIronicConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(IronicState {
            public_url: format!("http://{address}"),
            ..IronicState::default()
        }));
        let tokens = Arc::new(Mutex::new(HashMap::new()));
        let shared = server::Shared {
            state: state.clone(),
            config: Arc::new(config),
            tokens: tokens.clone(),
        };
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = server::router(shared);
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "fake Ironic stopped");
            }
        });
        Ok(Self {
            address,
            state,
            tokens,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:<port>`: Ironic's root (use as `endpoint_override`).
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Issues a Keystone token carrying `roles`, as a user would obtain one
    /// (the fake's identity endpoint validates it).
    pub fn issue_token(&self, roles: &[&str]) -> String {
        let token = format!("gAAAA{}", Uuid::new_v4().simple());
        self.tokens.lock().expect("token lock").insert(
            token.clone(),
            roles.iter().map(|r| (*r).to_owned()).collect(),
        );
        token
    }

    /// The Keystone URL (`auth_url`) of the fake's identity endpoint.
    pub fn auth_url(&self) -> String {
        format!("http://{}/identity/v3", self.address)
    }

    /// The state, to arrange and inspect nodes and ports directly.
    pub fn state(&self) -> MutexGuard<'_, IronicState> {
        self.state
            .lock()
            .expect("fake state lock is never poisoned")
    }

    /// Creates a node as `POST /v1/nodes` would and returns its UUID.
    pub fn add_node(&self, body: serde_json::Value) -> Uuid {
        let node = self.state().create_node(&body).expect("a valid node body");
        node["uuid"]
            .as_str()
            .and_then(|u| Uuid::parse_str(u).ok())
            .expect("created nodes have a UUID")
    }

    /// Creates a port and returns its UUID.
    pub fn add_port(&self, node: Uuid, address: &str) -> Uuid {
        let port = self
            .state()
            .create_port(&serde_json::json!({"node_uuid": node.to_string(), "address": address}))
            .expect("a valid port");
        port["uuid"]
            .as_str()
            .and_then(|u| Uuid::parse_str(u).ok())
            .expect("created ports have a UUID")
    }

    /// Answers 409 "node locked" to the next `count` requests about `node`.
    pub fn lock_node(&self, node: Uuid, count: u32) {
        self.state().faults.node_locked.insert(node, count);
    }

    /// Answers 503 to the next `count` requests.
    pub fn make_unavailable(&self, count: u32) {
        self.state().faults.unavailable = count;
    }

    /// Delays every answer by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.state().faults.latency = latency;
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }
}

impl Drop for FakeIronic {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
