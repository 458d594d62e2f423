//! `/v1/rules`: create, list, get, delete one, delete all. Rule links are
//! relative (`<prefix>/v1/rules/<uuid>`); create answers 201 from 1.6 on.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inspector_rules::RuleDocument;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, json};
use crate::links::{path_segment, script_root};
use crate::version::Requested;

fn links(rule: &RuleDocument, headers: &HeaderMap) -> Value {
    json!([{
        "href": format!("{}/v1/rules/{}", script_root(headers), path_segment(&rule.uuid)),
        "rel": "self",
    }])
}

fn short(rule: &RuleDocument, headers: &HeaderMap) -> Value {
    json!({
        "description": rule.description,
        "links": links(rule, headers),
        "scope": rule.scope,
        "uuid": rule.uuid,
    })
}

fn full(rule: &RuleDocument, headers: &HeaderMap) -> Value {
    json!({
        "actions": rule.actions.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
        "conditions": rule.conditions.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        "description": rule.description,
        "links": links(rule, headers),
        "scope": rule.scope,
        "uuid": rule.uuid,
    })
}

fn no_content() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
    )
        .into_response()
}

/// `GET /v1/rules`.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rules = state.conductor.rules().await?;
    let rules: Vec<Value> = rules.iter().map(|rule| short(rule, &headers)).collect();
    Ok(json(StatusCode::OK, &json!({ "rules": rules })))
}

/// `POST /v1/rules`.
pub(crate) async fn create(
    State(state): State<AppState>,
    requested: Option<axum::Extension<Requested>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    store(&state, requested, &headers, &rule_body(&body)?).await
}

/// `POST /v1/rules/<uuid>`: creates the rule with that UUID, as
/// openstacksdk's `create_introspection_rule` asks (upstream answers 405).
pub(crate) async fn create_with_uuid(
    State(state): State<AppState>,
    requested: Option<axum::Extension<Requested>>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut rule = rule_body(&body)?;
    if let Some(fields) = rule.as_object_mut() {
        match fields.get("uuid") {
            None | Some(Value::Null) => {
                fields.insert("uuid".into(), Value::String(uuid));
            }
            Some(Value::String(given)) if *given == uuid => {}
            Some(given) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid rule: the UUID in the body ({given}) is not the one in the URL ({uuid})"
                )));
            }
        }
    }
    store(&state, requested, &headers, &rule).await
}

fn rule_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!("Invalid rule: the body is not valid JSON: {error}"))
    })
}

async fn store(
    state: &AppState,
    requested: Option<axum::Extension<Requested>>,
    headers: &HeaderMap,
    body: &Value,
) -> Result<Response, ApiError> {
    let rule = state.conductor.create_rule(body).await?;
    let version = requested.map_or(crate::MAX_VERSION, |r| (r.0).0);
    let status = if version < (1, 6) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(json(status, &full(&rule, headers)))
}

/// `DELETE /v1/rules`.
pub(crate) async fn delete_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.conductor.delete_rules().await?;
    Ok(no_content())
}

/// `GET /v1/rules/<uuid>`.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rule = state.conductor.rule(&uuid).await?;
    Ok(json(StatusCode::OK, &full(&rule, &headers)))
}

/// `DELETE /v1/rules/<uuid>`.
pub(crate) async fn delete_one(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    state.conductor.delete_rule(&uuid).await?;
    Ok(no_content())
}
