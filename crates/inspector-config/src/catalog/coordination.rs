//! The options of `[coordination]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[coordination]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "coordination",
        "locks",
        K::String,
        Some("process"),
        "Where node locks live: in this process, or in the database for several processes sharing \
        one PostgreSQL or MySQL database.",
    )
    .with_choices(&[
        ("process", "in the memory of this process (one process)"),
        (
            "database",
            "in the database, with the periodic tasks' leases",
        ),
    ]),
    opt(
        "coordination",
        "node_locked_retry_attempts",
        K::Integer,
        Some("3"),
        "Further attempts to take a node lock that another holder has before giving up.",
    ),
    opt(
        "coordination",
        "node_locked_retry_interval",
        K::Float,
        Some("1.0"),
        "Seconds between two attempts to take a node lock.",
    ),
    opt(
        "coordination",
        "lock_heartbeat_interval",
        K::Float,
        Some("10.0"),
        "Seconds between two heartbeats of the node locks this process holds (locks = database).",
    ),
    opt(
        "coordination",
        "lock_expiry",
        K::Float,
        Some("60.0"),
        "Seconds without a heartbeat after which a node lock is taken over (locks = database). \
        Must be more than twice lock_heartbeat_interval.",
    ),
    opt(
        "coordination",
        "lease_ttl",
        K::Float,
        Some("30.0"),
        "Seconds a periodic task's lease lasts unless its holder renews it (locks = database).",
    ),
];
