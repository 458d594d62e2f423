//! The options of `[database]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[database]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "database",
        "connection",
        K::String,
        Some("sqlite:///ironic_inspector.sqlite"),
        "The SQLAlchemy connection string to use to connect to the database: sqlite:///<file>, \
        mysql+pymysql://<user>:<password>@<host>/<database> or \
        postgresql://<user>:<password>@<host>/<database>.",
    ),
    opt(
        "database",
        "max_pool_size",
        K::Integer,
        Some("5"),
        "Maximum number of SQL connections to keep open in a pool; the pool holds at most \
        max_pool_size + max_overflow connections.",
    ),
    opt(
        "database",
        "max_overflow",
        K::Integer,
        Some("50"),
        "Connections allowed beyond max_pool_size when the pool is busy.",
    ),
    opt(
        "database",
        "pool_timeout",
        K::Integer,
        Some("30"),
        "Seconds to wait for a free connection from the pool.",
    ),
    opt(
        "database",
        "connection_recycle_time",
        K::Integer,
        Some("3600"),
        "Connections which have been present in the connection pool longer than this number of \
        seconds will be replaced with a new one the next time they are checked out from the pool.",
    ),
    opt(
        "database",
        "max_retries",
        K::Integer,
        Some("10"),
        "Maximum number of database connection retries during startup. Set to -1 to specify an \
        infinite retry count.",
    ),
    opt(
        "database",
        "retry_interval",
        K::Integer,
        Some("10"),
        "Interval (in seconds) between retries of opening a SQL connection.",
    ),
    opt(
        "database",
        "sqlite_synchronous",
        K::Boolean,
        Some("true"),
        "If True, SQLite uses synchronous mode.",
    ),
];
