//! A tiny Keystone: `POST /identity/v3/auth/tokens` (password, application
//! credential and token methods) with a catalog pointing at the fake, and
//! `GET` of the same path to validate a token.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Shared, base_url};
use crate::FakeAuth;
use crate::state::FakeError;

/// Keystone's `POST /v3/auth/tokens` for the password, application
/// credential and token methods, answering with a catalog that points at the fake.
pub(super) async fn issue_token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let FakeAuth::Keystone {
        username,
        password,
        application_credential,
        region,
    } = &shared.config.auth
    else {
        return FakeError::new(404, "The resource could not be found.").into_response();
    };
    let identity = &body["auth"]["identity"];
    let methods: Vec<&str> = identity["methods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let accepted = match methods.first().copied() {
        Some("password") => {
            let user = &identity["password"]["user"];
            (user["name"].as_str() == Some(username) || user["id"].as_str() == Some(username))
                && user["password"].as_str() == Some(password)
        }
        Some("application_credential") => {
            application_credential.as_ref().is_some_and(|(id, secret)| {
                identity["application_credential"]["id"].as_str() == Some(id)
                    && identity["application_credential"]["secret"].as_str() == Some(secret)
            })
        }
        Some("token") => identity["token"]["id"].as_str().is_some_and(|token| {
            shared
                .tokens
                .lock()
                .expect("token lock")
                .contains_key(token)
        }),
        _ => false,
    };
    if !accepted {
        return keystone_unauthorized();
    }
    let token = format!("gAAAA{}", Uuid::new_v4().simple());
    shared
        .tokens
        .lock()
        .expect("token lock")
        .insert(token.clone(), vec!["admin".to_owned()]);
    let base = base_url(&headers);
    let endpoints: Vec<Value> = ["internal", "public"]
        .iter()
        .map(|interface| json!({"interface": interface, "region": region, "region_id": region, "url": base}))
        .collect();
    let document = json!({"token": {
        "methods": methods,
        "expires_at": "2099-12-31T23:59:59.000000Z",
        "issued_at": "2026-01-01T00:00:00.000000Z",
        "user": {"id": "u-1", "name": username, "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "p-1", "name": "service", "domain": {"id": "default", "name": "Default"}},
        "roles": [{"id": "r-1", "name": "admin"}],
        "catalog": [{"type": "baremetal", "name": "ironic", "id": "s-1", "endpoints": endpoints}],
    }});
    let mut response = (StatusCode::CREATED, axum::Json(document)).into_response();
    response.headers_mut().insert(
        "x-subject-token",
        HeaderValue::from_str(&token).expect("valid header"),
    );
    response
}

/// Keystone's 401 body.
fn keystone_unauthorized() -> Response {
    let error = json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}});
    (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response()
}

/// Keystone's `GET /v3/auth/tokens`: validates `X-Subject-Token` for a caller
/// holding a valid `X-Auth-Token`; 404 for an unknown subject token.
pub(super) async fn validate_token(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (caller_known, subject) = {
        let tokens = shared.tokens.lock().expect("token lock");
        (
            header("x-auth-token").is_some_and(|caller| tokens.contains_key(caller)),
            header("x-subject-token").and_then(|t| Some((t, tokens.get(t)?.clone()))),
        )
    };
    if !caller_known {
        return keystone_unauthorized();
    }
    let Some((subject, roles)) = subject else {
        let error = json!({"error": {"code": 404, "message": "Could not find token.", "title": "Not Found"}});
        return (StatusCode::NOT_FOUND, axum::Json(error)).into_response();
    };
    let roles: Vec<Value> = roles
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"id": format!("r-{i}"), "name": name}))
        .collect();
    let document = json!({"token": {
        "methods": ["password"],
        "expires_at": "2099-12-31T23:59:59.000000Z",
        "issued_at": "2026-01-01T00:00:00.000000Z",
        "user": {"id": "u-2", "name": "operator", "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "p-2", "name": "admin", "domain": {"id": "default", "name": "Default"}},
        "roles": roles,
    }});
    let mut response = (StatusCode::OK, axum::Json(document)).into_response();
    response.headers_mut().insert(
        "x-subject-token",
        HeaderValue::from_str(subject).expect("valid header"),
    );
    response
}
