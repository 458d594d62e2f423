//! Microversion negotiation (spec §2.3) and the min/max headers on every answer.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Oldest microversion.
pub const MIN_VERSION: (i64, i64) = (1, 0);
/// Newest microversion.
pub const MAX_VERSION: (i64, i64) = (1, 19);

/// [`MAX_VERSION`] as the headers and the version document spell it.
pub(crate) const MAX_VERSION_TEXT: &str = "1.19";

const HEADER: &str = "x-openstack-ironic-inspector-api-version";

/// The microversion a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Requested(pub(crate) (i64, i64));

/// Python's `int()` of text: whitespace, sign, underscores between digits.
pub(crate) fn python_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    text.replace('_', "").parse().ok()
}

fn parse(value: &str) -> Result<(i64, i64), ()> {
    if value.trim().is_empty() || value.eq_ignore_ascii_case("latest") {
        return Ok(MAX_VERSION);
    }
    let (major, minor) = value.split_once('.').ok_or(())?;
    Ok((python_int(major).ok_or(())?, python_int(minor).ok_or(())?))
}

/// Checks the requested version before anything else and adds the version
/// headers to whatever the application answers.
pub(crate) async fn negotiate(mut request: Request, next: Next) -> Response {
    let value = request
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_owned());
    let requested = match value.as_deref().map(parse).unwrap_or(Ok(MAX_VERSION)) {
        Ok(version) => version,
        Err(()) => {
            return with_headers(
                ApiError::bad_request(
                    "Malformed API version: expected string in form of X.Y or latest",
                )
                .into_response(),
            );
        }
    };
    if requested < MIN_VERSION || requested > MAX_VERSION {
        return with_headers(
            ApiError {
                status: 406,
                message: format!(
                    "Unsupported API version {}.{}, supported range is {}.{} to {}.{}",
                    requested.0,
                    requested.1,
                    MIN_VERSION.0,
                    MIN_VERSION.1,
                    MAX_VERSION.0,
                    MAX_VERSION.1
                ),
            }
            .into_response(),
        );
    }
    request.extensions_mut().insert(Requested(requested));
    with_headers(next.run(request).await)
}

fn with_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-openstack-ironic-inspector-api-minimum-version",
        HeaderValue::from_static("1.0"),
    );
    headers.insert(
        "x-openstack-ironic-inspector-api-maximum-version",
        HeaderValue::from_static(MAX_VERSION_TEXT),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_upstream() {
        assert_eq!(parse(""), Ok((1, 19)));
        assert_eq!(parse("LATEST"), Ok((1, 19)));
        assert_eq!(
            MAX_VERSION_TEXT,
            format!("{}.{}", MAX_VERSION.0, MAX_VERSION.1)
        );
        assert_eq!(parse("1.5"), Ok((1, 5)));
        assert_eq!(parse(" 1 . 5 "), Ok((1, 5)));
        assert_eq!(parse("+1.+5"), Ok((1, 5)));
        assert_eq!(parse("1.05"), Ok((1, 5)));
        assert_eq!(parse("1_0.1_8"), Ok((10, 18)));
        assert_eq!(parse("1.-1"), Ok((1, -1)));
        for bad in ["abc", "1", "1.1.1", "1.x", "v1.2", "0x1.2"] {
            assert_eq!(parse(bad), Err(()), "{bad}");
        }
    }
}
