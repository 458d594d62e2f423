//! The layers around the v1 routes: microversion negotiation, HTTP basic and
//! Keystone token authentication, injected faults, and the request record.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Shared, VERSION_HEADER, version_string};
use crate::FakeAuth;
use crate::state::{FakeError, RecordedRequest};

/// The API version a request asked for, checked against the fake's range.
#[derive(Debug, Clone, Copy)]
pub(super) struct RequestedVersion(pub(super) (u16, u16));

pub(super) async fn negotiate_version(
    State(shared): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    let (min, max) = (shared.config.min_version, shared.config.max_version);
    let header = request
        .headers()
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let requested = match header.as_deref() {
        None => min,
        Some("latest") => max,
        Some(text) => match text
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        {
            Some(version) => version,
            None => {
                return FakeError::bad_request(format!(
                    "Invalid value for {VERSION_HEADER} header: {text}"
                ))
                .into_response();
            }
        },
    };
    let mut response = if requested < min || requested > max {
        FakeError::new(
            406,
            format!(
                "Version {} was requested but the minor version is not supported by this service. The supported version range is: [{}, {}].",
                version_string(requested),
                version_string(min),
                version_string(max)
            ),
        )
        .into_response()
    } else {
        request.extensions_mut().insert(RequestedVersion(requested));
        next.run(request).await
    };
    let headers = response.headers_mut();
    for (name, version) in [
        ("x-openstack-ironic-api-minimum-version", min),
        ("x-openstack-ironic-api-maximum-version", max),
        ("x-openstack-ironic-api-version", requested),
    ] {
        headers.insert(
            name,
            HeaderValue::from_str(&version_string(version)).expect("valid header"),
        );
    }
    response
}

pub(super) async fn authenticate(
    State(shared): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let allowed = match &shared.config.auth {
        FakeAuth::None => true,
        FakeAuth::HttpBasic { username, password } => {
            let expected = format!("Basic {}", base64(&format!("{username}:{password}")));
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
        }
        FakeAuth::Keystone { .. } => headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|token| {
                shared
                    .tokens
                    .lock()
                    .expect("token lock")
                    .contains_key(token)
            }),
    };
    if allowed {
        return next.run(request).await;
    }
    let mut response =
        FakeError::new(401, "The request you have made requires authentication.").into_response();
    if matches!(shared.config.auth, FakeAuth::HttpBasic { .. }) {
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"Baremetal API\""),
        );
    }
    response
}

pub(super) async fn faults(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let latency = shared.state().faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = request.uri().path().to_owned();
    let injected = {
        let mut state = shared.state();
        if state.take_unavailable() {
            Some(FakeError::new(
                503,
                "No conductor service is available, please retry later.",
            ))
        } else {
            let node = path
                .strip_prefix("/v1/nodes/")
                .and_then(|rest| rest.split('/').next())
                .and_then(|ident| state.resolve(ident).ok());
            node.filter(|uuid| state.take_node_locked(*uuid)).map(|uuid| {
                FakeError::new(
                    409,
                    format!("Node {uuid} is locked by host fake-conductor, please retry after the current operation is completed."),
                )
            })
        }
    };
    match injected {
        Some(error) => error.into_response(),
        None => next.run(request).await,
    }
}

pub(super) async fn record(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let mut entry = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        api_version: parts
            .headers
            .get(VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: parts
            .headers
            .get("x-openstack-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(&bytes).ok(),
        status: 0,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = response.status().as_u16();
    shared.state().requests.push(entry);
    response
}

/// Standard base64 (for the expected `Authorization: Basic` header).
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64("admin:secret"), "YWRtaW46c2VjcmV0");
        assert_eq!(base64("a"), "YQ==");
        assert_eq!(base64("ab"), "YWI=");
        assert_eq!(base64("abc"), "YWJj");
    }
}
