//! `auth_strategy = keystone`: validating `X-Auth-Token` (and `X-Service-Token`)
//! against Keystone's token API with the service's own session, a short cache
//! of the answers, and the policy rule of each route.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method};
use osauth::client::AuthenticatedClient;
use serde_json::Value;

use crate::policy::{Credentials, Policy};

/// Builds the service's authenticated Keystone client (called lazily, again
/// after a failure, so the service starts even while Keystone is down).
pub type ServiceClientFactory = Arc<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<AuthenticatedClient, String>> + Send>>
        + Send
        + Sync,
>;

/// Cached answers kept at most; older ones are dropped first when full.
const CACHE_CAPACITY: usize = 10_000;

/// The credentials of a validated token document.
fn credentials_of(document: &Value) -> Credentials {
    let token = &document["token"];
    let text = |value: &Value| value.as_str().map(str::to_owned);
    Credentials {
        roles: token["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|role| text(&role["name"]))
            .collect(),
        system_scope: (token["system"]["all"].as_bool() == Some(true)).then(|| "all".to_owned()),
        project_id: text(&token["project"]["id"]),
        user_id: text(&token["user"]["id"]),
        is_public_api: false,
    }
}

/// The policy rule guarding `method path` at microversion `version`
/// (upstream's `policies.py`, and from 1.19 this service's own); a path no
/// route serves is checked against `introspection:start`'s ADMIN rule.
pub fn policy_rule(method: &Method, path: &str, version: (i64, i64)) -> &'static str {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let timeline_calls = version >= crate::handlers::timeline::TIMELINE_VERSION;
    match (segments.as_slice(), method) {
        ([], _) => "introspection",
        ([_], _) => "introspection:version",
        (["v1", "continue"], _) => "introspection:continue",
        (["v1", "introspection", "unmatched"], &Method::GET) if timeline_calls => {
            "introspection:unmatched"
        }
        (["v1", "introspection", _, "timeline"], &Method::GET) if timeline_calls => {
            "introspection:timeline"
        }
        (["v1", "introspection"] | ["v1", "introspection", _], &Method::GET) => {
            "introspection:status"
        }
        (["v1", "introspection", _], _) => "introspection:start",
        (["v1", "introspection", _, "abort"], _) => "introspection:abort",
        (["v1", "introspection", _, "data", "unprocessed"], &Method::POST) => {
            "introspection:reapply"
        }
        (
            ["v1", "introspection", _, "data"] | ["v1", "introspection", _, "data", "unprocessed"],
            _,
        ) => "introspection:data",
        (["v1", "rules"] | ["v1", "rules", _], &Method::GET) => "introspection:rule:get",
        (["v1", "rules"] | ["v1", "rules", _], &Method::POST) => "introspection:rule:create",
        (["v1", "rules"] | ["v1", "rules", _], &Method::DELETE) => "introspection:rule:delete",
        _ => "introspection:start",
    }
}

/// Whether a rule guards a public route (served without a token).
pub fn is_public_rule(rule: &str) -> bool {
    matches!(
        rule,
        "introspection" | "introspection:version" | "introspection:continue"
    )
}

/// Validates tokens against Keystone and remembers the answers for a while.
pub struct KeystoneTokens {
    factory: ServiceClientFactory,
    client: tokio::sync::OnceCell<AuthenticatedClient>,
    validate_url: reqwest::Url,
    challenge: HeaderValue,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Option<Credentials>)>>,
    policy: Policy,
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
            policy: Policy::defaults(),
        })
    }

    /// With `policy` instead of the default rules.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy requests are checked against.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The `WWW-Authenticate` value of a 401.
    pub fn challenge(&self) -> &HeaderValue {
        &self.challenge
    }

    /// Who `token` belongs to; `None` when it is invalid, expired, or Keystone
    /// cannot tell (unreachable, service credentials refused).
    pub async fn credentials(&self, token: &str) -> Option<Credentials> {
        if let Some(answer) = self.cached(token) {
            return answer;
        }
        let answer = self.ask_keystone(token).await.ok()?;
        self.remember(token, answer.clone());
        answer
    }

    fn cached(&self, token: &str) -> Option<Option<Credentials>> {
        let cache = self.cache.lock().expect("token cache lock");
        cache
            .get(token)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, answer)| answer.clone())
    }

    fn remember(&self, token: &str, answer: Option<Credentials>) {
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
    async fn ask_keystone(&self, token: &str) -> Result<Option<Credentials>, ()> {
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
                Ok(Some(credentials_of(&document)))
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

    #[test]
    fn policy_rules_of_routes() {
        let cases = [
            (Method::GET, "/", "introspection"),
            (Method::GET, "/v1", "introspection:version"),
            (Method::POST, "/v1/continue", "introspection:continue"),
            (Method::GET, "/v1/introspection", "introspection:status"),
            (Method::GET, "/v1/introspection/n1", "introspection:status"),
            (
                Method::GET,
                "/v1/introspection/n1/timeline",
                "introspection:timeline",
            ),
            (
                Method::GET,
                "/v1/introspection/unmatched",
                "introspection:unmatched",
            ),
            (Method::POST, "/v1/introspection/n1", "introspection:start"),
            (
                Method::POST,
                "/v1/introspection/n1/abort",
                "introspection:abort",
            ),
            (
                Method::GET,
                "/v1/introspection/n1/data",
                "introspection:data",
            ),
            (
                Method::GET,
                "/v1/introspection/n1/data/unprocessed",
                "introspection:data",
            ),
            (
                Method::POST,
                "/v1/introspection/n1/data/unprocessed",
                "introspection:reapply",
            ),
            (Method::GET, "/v1/rules", "introspection:rule:get"),
            (Method::GET, "/v1/rules/x", "introspection:rule:get"),
            (Method::POST, "/v1/rules", "introspection:rule:create"),
            (Method::DELETE, "/v1/rules", "introspection:rule:delete"),
            (Method::DELETE, "/v1/rules/x", "introspection:rule:delete"),
            (Method::GET, "/v1/unknown/route", "introspection:start"),
        ];
        for (method, path, rule) in cases {
            assert_eq!(policy_rule(&method, path, (1, 19)), rule, "{method} {path}");
        }
        // Before 1.19 these paths are what they always were.
        for (path, rule) in [
            ("/v1/introspection/unmatched", "introspection:status"),
            ("/v1/introspection/n1/timeline", "introspection:start"),
        ] {
            assert_eq!(policy_rule(&Method::GET, path, (1, 18)), rule, "{path}");
        }
    }

    #[test]
    fn credentials_from_a_token_document() {
        let document = serde_json::json!({"token": {
            "roles": [{"id": "1", "name": "reader"}, {"id": "2", "name": "member"}],
            "system": {"all": true},
            "project": {"id": "p1"}, "user": {"id": "u1"}
        }});
        assert_eq!(
            credentials_of(&document),
            Credentials {
                roles: vec!["reader".into(), "member".into()],
                system_scope: Some("all".into()),
                project_id: Some("p1".into()),
                user_id: Some("u1".into()),
                is_public_api: false,
            }
        );
    }
}
