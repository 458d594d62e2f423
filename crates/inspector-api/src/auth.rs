//! Authentication: `noauth`, `http_basic` (an htpasswd file of bcrypt
//! hashes) and `keystone` (tokens and the default policy, see `keystone.rs`).
//! `/`, `/<version>`, `/v1/continue` and `/healthcheck` stay public.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::AppState;
use crate::error::ApiError;
use crate::keystone::{KeystoneTokens, is_public_rule, policy_rule};
use crate::policy::Credentials;

/// How requests are authenticated.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// Everything is open (`auth_strategy = noauth`).
    #[default]
    NoAuth,
    /// HTTP basic authentication against an htpasswd file (`auth_strategy = http_basic`).
    HttpBasic(Htpasswd),
    /// Keystone tokens and the default policy (`auth_strategy = keystone`).
    Keystone(Arc<KeystoneTokens>),
}

/// The users of an htpasswd file (bcrypt hashes only).
#[derive(Debug, Clone)]
pub struct Htpasswd {
    users: Vec<(String, String)>,
}

impl Htpasswd {
    /// Reads the file; every entry must be a bcrypt hash (`$2y$`, `$2a$`, `$2b$`).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|user| {
            format!("Invalid configuration file. Only bcrypt digested passwords are supported for {user}")
        })
    }

    /// Parses htpasswd text; the error is the first user without a bcrypt hash.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut users = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((user, hash)) = line.split_once(':') else {
                continue;
            };
            if !["$2y$", "$2a$", "$2b$"].iter().any(|p| hash.starts_with(p)) {
                return Err(user.to_owned());
            }
            users.push((user.to_owned(), hash.to_owned()));
        }
        Ok(Self { users })
    }

    fn check(&self, user: &str, password: &[u8]) -> bool {
        self.users
            .iter()
            .find(|(name, _)| name == user)
            .is_some_and(|(_, hash)| bcrypt::verify(password, hash).unwrap_or(false))
    }
}

/// Whether a path is served without authentication.
fn is_public(path: &str) -> bool {
    let segments: Vec<&str> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    segments.len() <= 1 || path == "/v1/continue" || path == "/v1/continue/"
}

/// The middleware's own 400, with the reason as the error message (upstream
/// puts it in the status line and sends an empty body).
fn malformed(reason: &str) -> Response {
    tracing::info!(%reason, "rejected an Authorization header");
    crate::error::ApiError::bad_request(reason).into_response()
}

/// Authenticates the request; private routes need an authenticated user.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let users = match &state.auth {
        Auth::NoAuth => return next.run(request).await,
        Auth::Keystone(tokens) => return keystone(tokens, request, next).await,
        Auth::HttpBasic(users) => users,
    };
    let authenticated = match request.headers().get(header::AUTHORIZATION) {
        None => false,
        Some(value) => {
            let value = value.to_str().unwrap_or_default().trim();
            let Some((scheme, token)) = value.split_once(char::is_whitespace) else {
                return malformed("Could not parse Authorization header");
            };
            if !scheme.eq_ignore_ascii_case("basic") {
                return malformed(&format!("Unsupported authorization type \"{scheme}\""));
            }
            let decoded = base64::engine::general_purpose::STANDARD.decode(token.trim());
            let Some((user, password)) = decoded.ok().and_then(|bytes| {
                let at = bytes.iter().position(|b| *b == b':')?;
                let user = String::from_utf8(bytes[..at].to_vec()).ok()?;
                Some((user, bytes[at + 1..].to_vec()))
            }) else {
                return malformed("Could not decode authorization token");
            };
            users.check(&user, &password)
        }
    };
    if authenticated || is_public(request.uri().path()) {
        return next.run(request).await;
    }
    unauthenticated(HeaderValue::from_static(
        "Basic realm=\"Baremetal Introspection API\"",
    ))
}

/// 401 with the JSON error and `challenge` as `WWW-Authenticate`.
fn unauthenticated(challenge: HeaderValue) -> Response {
    let mut response = ApiError {
        status: 401,
        message: "Authentication required".into(),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    response
}

/// A token header's value, if any.
fn token<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `keystone`: public routes are checked without a token; others need a valid
/// `X-Auth-Token` (and, when sent, a valid `X-Service-Token`) whose
/// credentials the route's policy rule accepts (401, else 403).
async fn keystone(tokens: &KeystoneTokens, request: Request, next: Next) -> Response {
    let version = request
        .extensions()
        .get::<crate::version::Requested>()
        .map_or(crate::MAX_VERSION, |requested| requested.0);
    let rule = policy_rule(request.method(), request.uri().path(), version);
    let mut credentials = Credentials::default();
    if is_public_rule(rule) {
        credentials.is_public_api = true;
    } else {
        if let Some(service_token) = token(&request, "x-service-token")
            && tokens.credentials(service_token).await.is_none()
        {
            tracing::info!("invalid service token");
            return unauthenticated(tokens.challenge().clone());
        }
        match token(&request, "x-auth-token") {
            Some(user_token) => match tokens.credentials(user_token).await {
                Some(found) => credentials = found,
                None => return unauthenticated(tokens.challenge().clone()),
            },
            None => return unauthenticated(tokens.challenge().clone()),
        }
    }
    if tokens.policy().enforce(rule, &credentials) {
        return next.run(request).await;
    }
    if credentials.is_public_api {
        return unauthenticated(tokens.challenge().clone());
    }
    tracing::info!(roles = ?credentials.roles, rule, "denied by policy");
    ApiError {
        status: 403,
        message: "Access denied by policy".into(),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths() {
        for path in ["/", "/v1", "/v1/", "/v2", "/v1/continue"] {
            assert!(is_public(path), "{path}");
        }
        for path in ["/v1/introspection", "/v1/introspection/x", "/v1/rules"] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn only_bcrypt_entries() {
        assert!(
            Htpasswd::parse(
                "admin:$2y$05$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY\n\n"
            )
            .is_ok()
        );
        assert_eq!(Htpasswd::parse("a:{SHA}xyz").unwrap_err(), "a");
    }
}
