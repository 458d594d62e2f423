//! The options of `[api]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[api]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "api",
        "continue_rate_per_client",
        K::Integer,
        Some("50"),
        "Requests per second to /v1/continue accepted from one client address; more are answered \
        503 (Service Unavailable) with Retry-After, which the ramdisk retries. Set to 0 to \
        disable this limit.",
    ),
    opt(
        "api",
        "continue_rate_overall",
        K::Integer,
        Some("1000"),
        "Requests per second to /v1/continue accepted from all clients together; more are \
        answered 503 (Service Unavailable) with Retry-After. Set to 0 to disable this limit.",
    ),
    opt(
        "api",
        "request_timeout",
        K::Integer,
        Some("60"),
        "Seconds after which a request other than /v1/continue is answered 503 (Service \
        Unavailable). Set to 0 to disable the time-out.",
    ),
    opt(
        "api",
        "max_continue_body_size",
        K::Integer,
        Some("16777216"),
        "Largest body accepted on /v1/continue, in bytes; larger ones are answered 413 (Request \
        Entity Too Large) before they are read.",
    ),
    opt(
        "api",
        "continue_body_budget",
        K::Integer,
        Some("16777216"),
        "Bytes of /v1/continue bodies held at once by all requests together (counted by their \
        Content-Length, or the largest accepted size without one); a post beyond it is answered \
        503 (Service Unavailable) with Retry-After, which the ramdisk retries. Set to 0 to \
        disable this limit.",
    ),
    opt(
        "api",
        "trusted_proxies",
        K::List,
        None,
        "Addresses or networks (CIDR) of the proxies in front of the service (a load balancer, \
        Ironic forwarding /v1/continue_inspection): for requests from them, the client address \
        used by the rate limits and the timeline is taken from X-Forwarded-For. Unset means \
        X-Forwarded-For is never trusted.",
    ),
    opt(
        "api",
        "max_connections",
        K::Integer,
        Some("4096"),
        "Client connections served at once; further clients wait in the listen backlog until one \
        closes. Each takes a file descriptor: keep it below the process's open-file limit \
        (LimitNOFILE in the systemd unit). Set to 0 to disable this limit.",
    ),
    opt(
        "api",
        "header_read_timeout",
        K::Integer,
        Some("60"),
        "Seconds a client has to send the head (request line and headers) of each request, the \
        time an idle keep-alive connection waits for its next request included; the connection \
        is closed after it. Set to 0 to disable the time-out.",
    ),
];
