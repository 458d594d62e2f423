//! `TestApp`: the router, its database and its fake Ironic, and one call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request};
use inspector_api::{ApiOptions, AppState, Auth, Htpasswd, router};
use inspector_config::{ConductorOptions, ConfigSources, HookOptions, IronicOptions};
use inspector_core::{Conductor, ConductorParts};
use inspector_fake_ironic::FakeIronic;
use inspector_hooks::HookSet;
use inspector_ironic::HttpIronic;
use inspector_node_cache::Backend;
use inspector_node_cache::testing::TestDatabase;
use serde_json::Value;
use tower::ServiceExt;

/// The microversion request header.
pub(crate) const VERSION: &str = "x-openstack-ironic-inspector-api-version";

/// One answer: status, headers and body text.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    /// The body as JSON (`null` when it is not JSON).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The message of an error body.
    pub(crate) fn error(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The API over a fresh SQLite database and a fresh fake Ironic.
pub(crate) struct TestApp {
    router: Router,
    pub(crate) fake: FakeIronic,
    _database: TestDatabase,
}

impl TestApp {
    /// Without authentication (`auth_strategy = noauth`).
    pub(crate) async fn new() -> Self {
        Self::with_auth(Auth::NoAuth).await
    }

    /// With HTTP basic authentication of `admin` / `s3cret`.
    pub(crate) async fn with_http_basic() -> Self {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let htpasswd = Htpasswd::parse(&format!("admin:{hash}\n")).unwrap();
        Self::with_auth(Auth::HttpBasic(htpasswd)).await
    }

    async fn with_auth(auth: Auth) -> Self {
        let fake = FakeIronic::start().await.unwrap();
        let database = TestDatabase::migrated(Backend::Sqlite).unwrap();
        let text = format!(
            "[ironic]\nauth_type = none\nendpoint_override = {}\n",
            fake.url()
        );
        let sources =
            ConfigSources::from_text(&text, std::path::Path::new("inspector.conf")).unwrap();
        let ironic = HttpIronic::new(&IronicOptions::from_sources(&sources).unwrap())
            .await
            .unwrap();
        let hooks = HookSet::from_options(&HookOptions::default()).unwrap();
        let options = ConductorOptions {
            introspection_delay: 0,
            ..ConductorOptions::default()
        };
        let mut parts =
            ConductorParts::new(database.node_cache(), Arc::new(ironic), hooks, options);
        parts.retry_pause = Duration::from_millis(10);
        let api = ApiOptions {
            healthcheck: true,
            ..ApiOptions::default()
        };
        let state = AppState::new(Conductor::new(parts), api, auth);
        Self {
            router: router(state),
            fake,
            _database: database,
        }
    }

    /// Sends one request: `body` as JSON text when given, `headers` as they are.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1:5050");
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request
            .body(body.map_or_else(Body::empty, |text| Body::from(text.to_owned())))
            .unwrap();
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// `GET path`.
    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, &[]).await
    }

    /// `POST path` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(&body.to_string()), &[])
            .await
    }

    /// `DELETE path`.
    pub(crate) async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None, &[]).await
    }
}
