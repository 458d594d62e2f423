//! `auth_strategy = keystone`: validating `X-Auth-Token` against Keystone's
//! token API with the service's own session, a short cache of the answers, and
//! the default policy (who may call which route).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method};
use osauth::client::AuthenticatedClient;
use serde_json::Value;

/// Builds the service's authenticated Keystone client (called lazily, again
/// after a failure, so the service starts even while Keystone is down).
pub type ServiceClientFactory = Arc<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<AuthenticatedClient, String>> + Send>>
        + Send
        + Sync,
>;

/// Cached answers kept at most; older ones are dropped first when full.
const CACHE_CAPACITY: usize = 10_000;

/// Who a valid token belongs to, as far as the policy cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Role names of the token.
    pub roles: Vec<String>,
    /// Whether the token is scoped to the whole system (`system: {all: true}`).
    pub system_scope_all: bool,
}

impl Identity {
    fn has(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the default policy lets this identity call a route of `rule`.
    pub fn allows(&self, rule: PolicyRule) -> bool {
        let admin = self.has("admin") || self.has("service");
        match rule {
            PolicyRule::Public => true,
            PolicyRule::Admin => admin,
            PolicyRule::Reader => admin || (self.has("reader") && self.system_scope_all),
        }
    }

    fn from_token_document(document: &Value) -> Self {
        let token = &document["token"];
        Self {
            roles: token["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|role| role["name"].as_str().map(str::to_owned))
                .collect(),
            system_scope_all: token["system"]["all"].as_bool().unwrap_or(false),
        }
    }
}

/// The default policy rule guarding a route (upstream's `policies.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRule {
    /// `rule:public_api`: version discovery and `/v1/continue`.
    Public,
    /// READER: `(role:reader and system_scope:all) or role:admin or role:service`.
    Reader,
    /// ADMIN: `role:admin or role:service`.
    Admin,
}

impl PolicyRule {
    /// The rule of `method path`; a path no route serves needs ADMIN.
    pub fn of(method: &Method, path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] | [_] | ["v1", "continue"] => Self::Public,
            ["v1", "introspection"] | ["v1", "introspection", _] if method == Method::GET => {
                Self::Reader
            }
            _ => Self::Admin,
        }
    }
}

/// Validates tokens against Keystone and remembers the answers for a while.
pub struct KeystoneTokens {
    factory: ServiceClientFactory,
    client: tokio::sync::OnceCell<AuthenticatedClient>,
    validate_url: reqwest::Url,
    challenge: HeaderValue,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Option<Identity>)>>,
}

impl std::fmt::Debug for KeystoneTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeystoneTokens")
            .field("validate_url", &self.validate_url.as_str())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl KeystoneTokens {
    /// Validation through `auth_url` (with or without its `/v3`), answers
    /// cached for `ttl`; `www_authenticate_uri` goes into the 401 challenge
    /// (`auth_url` when unset).
    pub fn new(
        auth_url: &str,
        www_authenticate_uri: Option<&str>,
        ttl: Duration,
        factory: ServiceClientFactory,
    ) -> Result<Self, String> {
        let base = auth_url.trim_end_matches('/');
        let v3 = if base.ends_with("/v3") {
            base.to_owned()
        } else {
            format!("{base}/v3")
        };
        let validate_url = reqwest::Url::parse(&format!("{v3}/auth/tokens"))
            .map_err(|e| format!("[keystone_authtoken] auth_url {auth_url:?}: {e}"))?;
        let uri = www_authenticate_uri.unwrap_or(auth_url);
        Ok(Self {
            factory,
            client: tokio::sync::OnceCell::new(),
            validate_url,
            challenge: HeaderValue::from_str(&format!("Keystone uri=\"{uri}\""))
                .map_err(|e| format!("[keystone_authtoken] www_authenticate_uri {uri:?}: {e}"))?,
            ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The `WWW-Authenticate` value of a 401.
    pub fn challenge(&self) -> &HeaderValue {
        &self.challenge
    }

    /// Who `token` belongs to; `None` when it is invalid, expired, or Keystone
    /// cannot tell (unreachable, service credentials refused).
    pub async fn identity(&self, token: &str) -> Option<Identity> {
        if let Some(answer) = self.cached(token) {
            return answer;
        }
        let answer = self.ask_keystone(token).await.ok()?;
        self.remember(token, answer.clone());
        answer
    }

    fn cached(&self, token: &str) -> Option<Option<Identity>> {
        let cache = self.cache.lock().expect("token cache lock");
        cache
            .get(token)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, answer)| answer.clone())
    }

    fn remember(&self, token: &str, answer: Option<Identity>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().expect("token cache lock");
        if cache.len() >= CACHE_CAPACITY {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(token.to_owned(), (Instant::now(), answer));
    }

    /// Keystone's answer: `Ok(None)` for a token it does not know (cached),
    /// `Err` when it could not answer (not cached).
    async fn ask_keystone(&self, token: &str) -> Result<Option<Identity>, ()> {
        let client = self
            .client
            .get_or_try_init(|| (self.factory)())
            .await
            .map_err(|error| tracing::warn!(%error, "cannot authenticate to Keystone"))?;
        let response = client
            .request(Method::GET, self.validate_url.clone())
            .header("x-subject-token", token)
            .send_unchecked()
            .await
            .map_err(|error| tracing::warn!(%error, "cannot validate a token"))?;
        match response.status().as_u16() {
            200 => {
                let document: Value = response
                    .json()
                    .await
                    .map_err(|error| tracing::warn!(%error, "unreadable token validation"))?;
                Ok(Some(Identity::from_token_document(&document)))
            }
            404 => Ok(None),
            status => {
                tracing::warn!(status, "Keystone refused to validate a token");
                Err(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(roles: &[&str], system_scope_all: bool) -> Identity {
        Identity {
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            system_scope_all,
        }
    }

    #[test]
    fn policy_rules_of_routes() {
        let cases = [
            (Method::GET, "/", PolicyRule::Public),
            (Method::GET, "/v1", PolicyRule::Public),
            (Method::POST, "/v1/continue", PolicyRule::Public),
            (Method::GET, "/v1/introspection", PolicyRule::Reader),
            (Method::GET, "/v1/introspection/n1", PolicyRule::Reader),
            (Method::POST, "/v1/introspection/n1", PolicyRule::Admin),
            (
                Method::POST,
                "/v1/introspection/n1/abort",
                PolicyRule::Admin,
            ),
            (Method::GET, "/v1/introspection/n1/data", PolicyRule::Admin),
            (
                Method::GET,
                "/v1/introspection/n1/data/unprocessed",
                PolicyRule::Admin,
            ),
            (Method::GET, "/v1/rules", PolicyRule::Admin),
            (Method::DELETE, "/v1/rules/x", PolicyRule::Admin),
        ];
        for (method, path, rule) in cases {
            assert_eq!(PolicyRule::of(&method, path), rule, "{method} {path}");
        }
    }

    #[test]
    fn default_policy_by_role() {
        use PolicyRule::{Admin, Public, Reader};
        for (roles, system, rule, allowed) in [
            (&["admin"][..], false, Admin, true),
            (&["service"][..], false, Admin, true),
            (&["member"][..], false, Admin, false),
            (&["member"][..], false, Reader, false),
            (&["member"][..], false, Public, true),
            (&["reader"][..], true, Reader, true),
            (&["reader"][..], false, Reader, false),
            (&["reader"][..], true, Admin, false),
            (&["admin"][..], false, Reader, true),
        ] {
            assert_eq!(
                identity(roles, system).allows(rule),
                allowed,
                "{roles:?} system={system} {rule:?}"
            );
        }
    }

    #[test]
    fn roles_and_system_scope_from_a_token_document() {
        let document = serde_json::json!({"token": {
            "roles": [{"id": "1", "name": "reader"}, {"id": "2", "name": "member"}],
            "system": {"all": true}
        }});
        assert_eq!(
            Identity::from_token_document(&document),
            identity(&["reader", "member"], true)
        );
    }
}
