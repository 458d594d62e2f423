//! Absolute links built from the request (spec §4): `Host`, or the last value
//! of `X-Forwarded-Proto/Host/Port/Prefix`; default ports dropped.

use axum::http::HeaderMap;

fn last(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    value
        .rsplit(',')
        .next()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `<scheme>://<host>[:<port>]<prefix>`, without a trailing `/`.
pub(crate) fn root(headers: &HeaderMap) -> String {
    let scheme = last(headers, "x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
    let host_header = last(headers, "x-forwarded-host")
        .or_else(|| {
            headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let (host, mut port) = split_host_port(&host_header);
    if let Some(forwarded) = last(headers, "x-forwarded-port") {
        port = Some(forwarded);
    }
    let default_port = if scheme == "https" { "443" } else { "80" };
    let port = port.filter(|p| p != default_port);
    let prefix = script_root(headers);
    match port {
        Some(port) => format!("{scheme}://{host}:{port}{prefix}"),
        None => format!("{scheme}://{host}{prefix}"),
    }
}

/// The path prefix the service is mounted under (`X-Forwarded-Prefix`), without a trailing `/`.
pub(crate) fn script_root(headers: &HeaderMap) -> String {
    last(headers, "x-forwarded-prefix")
        .map(|p| p.trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// Percent-encodes a path segment (`{` → `%7B`; letters, digits and `:` stay).
pub(crate) fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'@' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn split_host_port(value: &str) -> (String, Option<String>) {
    if value.starts_with('[') {
        return match value.rsplit_once("]:") {
            Some((host, port)) => (format!("{host}]"), Some(port.to_owned())),
            None => (value.to_owned(), None),
        };
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host.to_owned(), Some(port.to_owned())),
        _ => (value.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn roots_like_upstream() {
        assert_eq!(
            root(&headers(&[("host", "127.0.0.1:5050")])),
            "http://127.0.0.1:5050"
        );
        assert_eq!(root(&headers(&[("host", "myhost:80")])), "http://myhost");
        assert_eq!(
            root(&headers(&[
                ("host", "h"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "h.example"),
                ("x-forwarded-port", "443")
            ])),
            "https://h.example"
        );
        assert_eq!(
            root(&headers(&[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "h.example"),
                ("x-forwarded-port", "80")
            ])),
            "https://h.example:80"
        );
        assert_eq!(
            root(&headers(&[("x-forwarded-host", "[2001:db8::1]")])),
            "http://[2001:db8::1]"
        );
        assert_eq!(
            root(&headers(&[(
                "x-forwarded-host",
                "first.example, second.example"
            )])),
            "http://second.example"
        );
        assert_eq!(
            root(&headers(&[
                ("host", "a"),
                ("x-forwarded-prefix", "/baremetal-introspection/")
            ])),
            "http://a/baremetal-introspection"
        );
    }
}
