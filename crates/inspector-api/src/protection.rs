//! Protection of the service: admission to the public `/v1/continue` (a rate
//! limit per client address and overall, a body size limit checked before the
//! body is read, and a budget of body bytes held by all posts together) and a
//! time-out on the other requests.
//!
//! A post turned away for load gets 503 with `Retry-After`, which the ramdisk
//! retries (it does not retry 4xx); every early answer carries
//! `Connection: close`, since the body it did not read is still on the wire.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::AppState;
use crate::client::ClientAddress;
use crate::error::ApiError;

/// Limits of `/v1/continue`.
#[derive(Debug, Clone)]
pub struct ContinueLimits {
    per_client: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    overall: Option<Arc<DefaultDirectRateLimiter>>,
}

impl ContinueLimits {
    /// At most `per_client` requests per second from one address and `overall`
    /// in total; 0 disables a limit.
    pub fn new(per_client: u32, overall: u32) -> Self {
        Self {
            per_client: NonZeroU32::new(per_client)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_second(n)))),
            overall: NonZeroU32::new(overall)
                .map(|n| Arc::new(RateLimiter::direct(Quota::per_second(n)))),
        }
    }

    /// Forgets addresses not seen recently (call periodically).
    pub fn retain_recent(&self) {
        if let Some(limiter) = &self.per_client {
            limiter.retain_recent();
        }
    }

    /// `None` when allowed, else how long to wait.
    ///
    /// The limiters' own clock is read, and only for a refusal: making a
    /// clock calibrates it, which costs more than the check.
    fn check(&self, client: IpAddr) -> Option<Duration> {
        if let Some(limiter) = &self.per_client
            && let Err(not_until) = limiter.check_key(&client)
        {
            return Some(not_until.wait_time_from(limiter.clock().now()));
        }
        if let Some(limiter) = &self.overall
            && let Err(not_until) = limiter.check()
        {
            return Some(not_until.wait_time_from(limiter.clock().now()));
        }
        None
    }
}

impl Default for ContinueLimits {
    fn default() -> Self {
        Self::new(0, 0)
    }
}

/// The bytes of `/v1/continue` bodies all requests may hold at once,
/// counted in KiB; a post takes its `Content-Length` (or the largest accepted
/// size) before its body is read and gives it back when answered.
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyBudget {
    kib: Option<(Arc<Semaphore>, u32)>,
}

impl BodyBudget {
    /// A budget of `bytes`; 0 disables it.
    pub(crate) fn new(bytes: u64) -> Self {
        let total = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        Self {
            kib: (total > 0).then(|| (Arc::new(Semaphore::new(total as usize)), total)),
        }
    }

    /// Holds `bytes` of the budget (at most all of it, so that one post larger
    /// than the budget can still go alone), or `None` when they are not free.
    fn hold(&self, bytes: u64) -> Option<Option<OwnedSemaphorePermit>> {
        let Some((semaphore, total)) = &self.kib else {
            return Some(None);
        };
        let wanted = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, *total);
        semaphore
            .clone()
            .try_acquire_many_owned(wanted)
            .ok()
            .map(Some)
    }
}

/// The declared body length, if any.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// An early answer: the body was not read, so the connection is closed.
fn early(error: ApiError, retry_after: Option<Duration>) -> Response {
    let mut response = error.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if let Some(wait) = retry_after {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
            headers.insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// Admits a `/v1/continue` post: within the rates (else 503 and `Retry-After`),
/// not declared larger than the limit (else 413), and within the body budget
/// (else 503 and `Retry-After`).
pub(crate) async fn admit_continue(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |client| client.0);
    if let Some(wait) = state.limits.check(client) {
        tracing::warn!(%client, "too many /v1/continue requests");
        return early(
            ApiError::unavailable("Too many requests to /v1/continue, please retry later"),
            Some(wait),
        );
    }
    let limit = state.options.max_continue_body as u64;
    let declared = content_length(request.headers());
    if let Some(length) = declared.filter(|length| *length > limit) {
        return early(
            ApiError {
                status: 413,
                message: format!(
                    "Request body too large: {length} bytes, the limit is {limit} bytes"
                ),
            },
            None,
        );
    }
    let Some(_held) = state.bodies.hold(declared.unwrap_or(limit)) else {
        tracing::warn!(%client, "too many /v1/continue bodies in flight");
        return early(
            ApiError::unavailable(
                "Too many /v1/continue bodies are being processed, please retry later",
            ),
            Some(Duration::from_secs(1)),
        );
    };
    next.run(request).await
}

/// Ends requests (other than `/v1/continue`, whose processing must not be cut
/// short) that take longer than the configured time with 503.
pub(crate) async fn timeout(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.options.request_timeout;
    if limit.is_zero() || request.uri().path().starts_with("/v1/continue") {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            ApiError::unavailable("The request timed out, please retry later").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_client_then_overall() {
        let limits = ContinueLimits::new(2, 3);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        assert!(limits.check(a).is_none());
        assert!(limits.check(a).is_none());
        assert!(
            limits.check(a).is_some(),
            "a third request from one client within the second"
        );
        assert!(limits.check(b).is_none());
        assert!(
            limits.check(b).is_some(),
            "the overall limit of 3 is used up"
        );
        assert!(ContinueLimits::default().check(a).is_none());
    }

    #[test]
    fn body_budget_is_shared_and_given_back() {
        let budget = BodyBudget::new(10 * 1024);
        let first = budget.hold(6 * 1024).expect("6 of 10 KiB");
        assert!(budget.hold(6 * 1024).is_none(), "only 4 KiB are left");
        assert!(budget.hold(4 * 1024).is_some(), "4 KiB fit");
        drop(first);
        assert!(
            budget.hold(100 * 1024).is_some(),
            "a body larger than the budget goes alone"
        );
        assert!(BodyBudget::new(0).hold(u64::MAX).is_some(), "0 disables it");
    }
}
