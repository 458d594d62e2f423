//! Who the client is: the peer's address, or, when the peer is one of
//! `[api] trusted_proxies`, the nearest untrusted address its
//! `X-Forwarded-For` names. The rate limits and the timeline use it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::AppState;

/// The client's address, in the request's extensions (absent on a Unix socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub(crate) IpAddr);

/// Puts the [`ClientAddress`] of the request in its extensions.
pub(crate) async fn resolve(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(peer) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
    {
        let client = client_address(peer, request.headers(), &state.options.trusted_proxies);
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// The client behind `peer`: `X-Forwarded-For` is read from its right end
/// (the hop nearest to us) while the hops are trusted proxies; the first
/// untrusted hop is the client. A hop that is not an address ends the walk
/// at the last trusted one, so a forged header can only name a trusted proxy.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(address) = parse_hop(hop) else {
            break;
        };
        client = address;
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// `192.0.2.1`, `192.0.2.1:5050`, `2001:db8::1` or `[2001:db8::1]:5050`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use rstest::rstest;

    use super::*;

    fn networks(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().unwrap()).collect()
    }

    #[rstest]
    #[case::untrusted_peer_ignores_the_header("203.0.113.9", Some("10.0.0.5"), &["192.0.2.0/24"], "203.0.113.9")]
    #[case::no_trusted_proxies("192.0.2.1", Some("10.0.0.5"), &[], "192.0.2.1")]
    #[case::trusted_peer_names_the_client("192.0.2.1", Some("10.0.0.5"), &["192.0.2.0/24"], "10.0.0.5")]
    #[case::chain_of_trusted_proxies("192.0.2.1", Some("10.0.0.5, 192.0.2.7"), &["192.0.2.0/24"], "10.0.0.5")]
    #[case::forged_left_hop_is_not_taken("192.0.2.1", Some("6.6.6.6, 10.0.0.5"), &["192.0.2.0/24"], "10.0.0.5")]
    #[case::garbage_hop_stops_at_the_proxy("192.0.2.1", Some("not-an-address"), &["192.0.2.0/24"], "192.0.2.1")]
    #[case::no_header("192.0.2.1", None, &["192.0.2.0/24"], "192.0.2.1")]
    #[case::hop_with_a_port("192.0.2.1", Some("[2001:db8::5]:4000"), &["192.0.2.1/32"], "2001:db8::5")]
    #[case::mapped_peer("::ffff:192.0.2.1", Some("10.0.0.5"), &["192.0.2.0/24"], "10.0.0.5")]
    fn client_from_forwarded_for(
        #[case] peer: &str,
        #[case] forwarded: Option<&str>,
        #[case] trusted: &[&str],
        #[case] expected: &str,
    ) {
        let mut headers = HeaderMap::new();
        if let Some(forwarded) = forwarded {
            headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).unwrap());
        }
        let client = client_address(peer.parse().unwrap(), &headers, &networks(trusted));
        assert_eq!(client, expected.parse::<IpAddr>().unwrap());
    }
}
