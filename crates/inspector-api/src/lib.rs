//! The HTTP API v1 (microversions 1.0–1.19) as a library.
//!
//! This crate owns what a client sees: routes, microversion negotiation and
//! headers, the error body, the two JSON encodings, links built from the
//! request, and the mapping of engine errors to statuses (`error.rs` is the only
//! place that picks one). It calls `inspector-core` for everything and knows
//! nothing about the database or Ironic.

mod auth;
mod client;
mod encoding;
mod error;
mod handlers;
mod health;
mod keystone;
mod links;
mod metrics;
mod policy;
mod protection;
mod rules;
mod version;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use inspector_config::{ApiProtectionOptions, ConductorOptions, DefaultOptions};
use inspector_core::Conductor;

pub use auth::{Auth, Htpasswd};
pub use encoding::{encode_python, encode_sorted};
pub use error::ApiError;
pub use keystone::{KeystoneTokens, ServiceClientFactory, is_public_rule, policy_rule};
pub use policy::{Credentials, Policy};
pub use protection::ContinueLimits;
pub use version::{MAX_VERSION, MIN_VERSION};

/// API settings.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// `[DEFAULT] api_max_limit`: default and maximum page size.
    pub api_max_limit: i64,
    /// `[DEFAULT] can_manage_boot`.
    pub can_manage_boot: bool,
    /// `[DEFAULT] debug`: 500 bodies carry the error text.
    pub debug: bool,
    /// `[api] max_continue_body_size`: largest body accepted on `/v1/continue` (bytes).
    pub max_continue_body: usize,
    /// `[api] continue_body_budget`: bytes of `/v1/continue` bodies held at once; 0 disables.
    pub continue_body_budget: u64,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Largest body accepted elsewhere (bytes).
    pub max_body: usize,
    /// Serve `/healthcheck` (`[healthcheck] enabled`).
    pub healthcheck: bool,
    /// Time limit of a request other than `/v1/continue`; zero disables it.
    pub request_timeout: std::time::Duration,
}

/// Largest body accepted outside `/v1/continue` (rules and the like are small).
const MAX_BODY: usize = 1024 * 1024;

impl ApiOptions {
    /// The settings of `[DEFAULT]` (`api_max_limit`, `debug`, `can_manage_boot`,
    /// `[healthcheck] enabled`) and `[api]`.
    pub fn from_config(
        defaults: &DefaultOptions,
        conductor: &ConductorOptions,
        protection: &ApiProtectionOptions,
    ) -> Self {
        Self {
            api_max_limit: defaults.api_max_limit.max(1),
            can_manage_boot: conductor.can_manage_boot,
            debug: defaults.debug,
            max_continue_body: usize::try_from(protection.max_continue_body_size)
                .unwrap_or(usize::MAX),
            continue_body_budget: protection.continue_body_budget,
            trusted_proxies: protection.trusted_proxies.clone(),
            max_body: MAX_BODY,
            healthcheck: defaults.healthcheck,
            request_timeout: std::time::Duration::from_secs(protection.request_timeout),
        }
    }
}

/// The settings an empty `inspector.conf` gives.
impl Default for ApiOptions {
    fn default() -> Self {
        Self::from_config(
            &DefaultOptions::default(),
            &ConductorOptions::default(),
            &ApiProtectionOptions::default(),
        )
    }
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) conductor: Conductor,
    pub(crate) options: Arc<ApiOptions>,
    pub(crate) auth: Auth,
    pub(crate) limits: ContinueLimits,
    pub(crate) bodies: protection::BodyBudget,
    pub(crate) requests: metrics::RequestCounters,
}

impl AppState {
    /// The API over `conductor`.
    pub fn new(conductor: Conductor, options: ApiOptions, auth: Auth) -> Self {
        Self {
            conductor,
            bodies: protection::BodyBudget::new(options.continue_body_budget),
            options: Arc::new(options),
            auth,
            limits: ContinueLimits::default(),
            requests: metrics::RequestCounters::default(),
        }
    }

    /// With rate limits on `/v1/continue`.
    pub fn with_limits(mut self, limits: ContinueLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// The API: every route, each also answered with one trailing slash
/// (`GET /v1/introspection/` as `GET /v1/introspection`, as upstream does).
pub fn router(state: AppState) -> Router {
    use tower::Layer;
    let routes = routes(state);
    Router::new()
        .fallback_service(tower::util::MapRequestLayer::new(trim_trailing_slash).layer(routes))
}

/// Removes one trailing slash from the path (never from `/` itself); routing
/// happens after this, so the request reaches the route without the slash.
fn trim_trailing_slash<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    let uri = request.uri();
    let path = uri.path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = match uri.query() {
            Some(query) => format!("{}?{query}", &path[..path.len() - 1]),
            None => path[..path.len() - 1].to_owned(),
        };
        let mut parts = uri.clone().into_parts();
        if let Ok(path_and_query) = trimmed.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

/// Every route of the API, one line each.
fn routes(state: AppState) -> Router {
    use handlers::{continue_, introspection as i, timeline as t, versions};
    let continue_limit = axum::extract::DefaultBodyLimit::max(state.options.max_continue_body);
    let api = Router::new()
        .route("/", get(versions::root))
        .route("/{version}", get(versions::version))
        .route(
            "/v1/continue",
            post(continue_::ramdisk_data).layer(continue_limit).layer(
                axum::middleware::from_fn_with_state(state.clone(), protection::admit_continue),
            ),
        )
        .route("/v1/introspection", get(i::list))
        .route(
            "/v1/introspection/{node_id}/timeline",
            get(t::timeline).fallback(t::other_method),
        )
        .route("/v1/introspection/{node_id}", get(i::status).post(i::start))
        .route("/v1/introspection/{node_id}/abort", post(i::abort))
        .route("/v1/introspection/{node_id}/data", get(i::data))
        .route(
            "/v1/introspection/{node_id}/data/unprocessed",
            get(i::unprocessed).post(i::reapply),
        )
        .route(
            "/v1/rules",
            get(rules::list)
                .post(rules::create)
                .delete(rules::delete_all),
        )
        .route(
            "/v1/rules/{uuid}",
            get(rules::get_one)
                .post(rules::create_with_uuid)
                .delete(rules::delete_one),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(state.options.max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            protection::timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn(version::negotiate));
    let api = Router::new()
        .route("/metrics", get(metrics::render))
        .merge(api);
    let app = if state.options.healthcheck {
        Router::new()
            .route("/healthcheck", get(health::healthcheck))
            .merge(api)
    } else {
        api
    };
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        client::resolve,
    ))
    .layer(axum::middleware::from_fn(error::json_errors))
    .layer(axum::middleware::from_fn(health::request_id))
    .with_state(state)
}
