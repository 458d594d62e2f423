//! Protection of the service: a rate limit on the public `/v1/continue` (per
//! client address and overall; 429 with `Retry-After`) and a time-out on the
//! other requests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppState;
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
    fn check(&self, client: IpAddr) -> Option<Duration> {
        let now = DefaultClock::default().now();
        if let Some(limiter) = &self.per_client
            && let Err(not_until) = limiter.check_key(&client)
        {
            return Some(not_until.wait_time_from(now));
        }
        if let Some(limiter) = &self.overall
            && let Err(not_until) = limiter.check()
        {
            return Some(not_until.wait_time_from(now));
        }
        None
    }
}

impl Default for ContinueLimits {
    fn default() -> Self {
        Self::new(0, 0)
    }
}

/// Refuses `/v1/continue` beyond the configured rates with 429 and `Retry-After`.
pub(crate) async fn limit_continue(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if let Some(wait) = state.limits.check(client) {
        tracing::warn!(%client, "too many /v1/continue requests");
        let mut response = ApiError {
            status: 429,
            message: "Too many requests, please retry later".into(),
        }
        .into_response();
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
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
        Err(_) => ApiError {
            status: 503,
            message: "The request timed out, please retry later".into(),
        }
        .into_response(),
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
}
