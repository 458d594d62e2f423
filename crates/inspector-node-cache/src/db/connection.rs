//! One connection type over every backend, and how connections are opened.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;

use crate::db::Backend;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::db::drivers;
use crate::url::DatabaseUrl;

/// A connection to any supported backend (diesel's `MultiConnection`).
///
/// Code written against it uses the SQL common to all backends; the few
/// backend-specific statements match on the variant.
#[derive(diesel::MultiConnection)]
// A few pooled connections per process; the derive cannot take boxed variants.
#[allow(clippy::large_enum_variant)]
pub(crate) enum AnyConnection {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(drivers::PgConnection),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    Mysql(drivers::MysqlConnection),
    /// SQLite.
    Sqlite(diesel::SqliteConnection),
}

impl AnyConnection {
    /// Whether a statement found the connection to the server gone.
    fn is_lost(&self) -> bool {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(conn) => conn.is_lost(),
            #[cfg(feature = "mysql")]
            Self::Mysql(conn) => conn.is_lost(),
            Self::Sqlite(_) => false,
        }
    }
}

/// Opens connections of the backend the URL names (never by trial and error).
#[derive(Debug)]
pub(crate) struct ConnectionManager {
    url: DatabaseUrl,
    sqlite_synchronous: bool,
}

impl ConnectionManager {
    pub(crate) fn new(url: DatabaseUrl, sqlite_synchronous: bool) -> Self {
        Self {
            url,
            sqlite_synchronous,
        }
    }

    /// Opens and closes one connection.
    pub(crate) fn check(&self) -> Result<(), diesel::r2d2::Error> {
        self.connect().map(drop)
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        use diesel::r2d2::Error as E;
        let target = self.url.target();
        match self.url.backend() {
            Backend::Sqlite => {
                let mut conn =
                    diesel::SqliteConnection::establish(target).map_err(E::ConnectionError)?;
                // oslo.db: `sqlite_synchronous = false` turns syncing off; true keeps the default.
                let synchronous = if self.sqlite_synchronous {
                    "FULL"
                } else {
                    "OFF"
                };
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
                ))
                .map_err(E::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => <drivers::PgConnection as diesel::Connection>::establish(target)
                .map(AnyConnection::Postgres)
                .map_err(E::ConnectionError),
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut conn = <drivers::MysqlConnection as diesel::Connection>::establish(target)
                    .map_err(E::ConnectionError)?;
                // Upstream's oslo.db default; makes MySQL reject bad data instead of mangling it.
                conn.batch_execute("SET SESSION sql_mode = 'TRADITIONAL'")
                    .map_err(E::QueryError)?;
                Ok(AnyConnection::Mysql(conn))
            }
            #[allow(unreachable_patterns)]
            other => Err(E::ConnectionError(diesel::ConnectionError::BadConnection(
                format!("this build has no {other:?} support; rebuild with its cargo feature"),
            ))),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection left inside a transaction (a panic half-way through one),
    /// or one whose server went away, is discarded, never handed out again.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::connection::{TransactionManager, TransactionManagerStatus};
        if conn.is_lost() {
            return true;
        }
        match <AnyConnection as diesel::Connection>::TransactionManager::transaction_manager_status_mut(conn) {
            TransactionManagerStatus::Valid(status) => status.transaction_depth().is_some(),
            TransactionManagerStatus::InError => true,
        }
    }
}
