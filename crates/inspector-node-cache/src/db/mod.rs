//! The connection pool and the bridge from async callers to blocking diesel work.

mod connection;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod driver_connection;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod drivers;
mod group_commit;
mod state_type;
#[cfg(feature = "postgres")]
mod tls;

use std::time::Duration;

use diesel::r2d2::Pool;
use tracing::{info, warn};

use connection::ConnectionManager;
pub(crate) use connection::{AnyConnection, MultiBackend};
pub(crate) use state_type::{DbState, NodeStateSql as NodeStateSqlType};

use crate::error::{Error, Result};
use crate::url::DatabaseUrl;

/// Runs blocking database work off async tasks: on this thread, or, when
/// this thread is inside a runtime (a blocking call from async code, as in
/// command-line tools and tests), on a scoped thread of its own, since a
/// network connection's runtime cannot run inside another one.
pub(crate) fn off_async<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return work();
    }
    std::thread::scope(|scope| match scope.spawn(work).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Opens one connection outside any pool (administration: creating and
/// dropping databases).
#[cfg(feature = "testing")]
pub(crate) fn connect_once(
    url: &DatabaseUrl,
) -> std::result::Result<AnyConnection, diesel::r2d2::Error> {
    use diesel::r2d2::ManageConnection;
    ConnectionManager::new(url.clone(), true).connect()
}

/// The database engine behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, bundled: the embedded default (one process only).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

/// Pool settings, from oslo.db's `[database]` options.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Upper bound of open connections (`max_pool_size + max_overflow`).
    pub max_size: u32,
    /// How long a caller waits for a free connection (`pool_timeout`).
    pub checkout_timeout: Duration,
    /// Connections older than this are replaced (`connection_recycle_time`).
    pub max_lifetime: Duration,
    /// Connection attempts when opening the pool; -1 retries forever (`max_retries`).
    pub connect_attempts: i64,
    /// Pause between attempts (`retry_interval`).
    pub retry_interval: Duration,
    /// SQLite `synchronous = FULL` (true, the default) or `OFF` (`sqlite_synchronous`).
    pub sqlite_synchronous: bool,
}

impl PoolOptions {
    /// Pool settings from `[database]`.
    pub fn from_config(options: &inspector_config::DatabaseOptions) -> Self {
        Self {
            max_size: options
                .max_pool_size
                .saturating_add(options.max_overflow)
                .max(1),
            checkout_timeout: Duration::from_secs(options.pool_timeout.max(1)),
            max_lifetime: Duration::from_secs(options.connection_recycle_time.max(1)),
            connect_attempts: options.max_retries,
            retry_interval: Duration::from_secs(options.retry_interval),
            sqlite_synchronous: options.sqlite_synchronous,
        }
    }
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self::from_config(&inspector_config::DatabaseOptions::default())
    }
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    url: DatabaseUrl,
    /// SQLite's single writer (group commit); `None` on servers with row locks.
    writer: Option<group_commit::GroupCommit>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// How many transactions `conn` is inside (1: a transaction, 2 or more:
/// savepoints in it); `None` when its transaction state is broken.
pub(crate) fn transaction_depth(conn: &mut AnyConnection) -> Option<u32> {
    use diesel::Connection;
    use diesel::connection::{TransactionManager, TransactionManagerStatus};
    match <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(status) => Some(
            status
                .transaction_depth()
                .map_or(0, std::num::NonZeroU32::get),
        ),
        TransactionManagerStatus::InError => None,
    }
}

impl Db {
    /// Opens a pool, trying to connect `connect_attempts` times; blocking.
    pub fn open_blocking(url: &DatabaseUrl, options: &PoolOptions) -> Result<Self> {
        let manager = ConnectionManager::new(url.clone(), options.sqlite_synchronous);
        let mut attempt: i64 = 0;
        loop {
            attempt += 1;
            match off_async(|| manager.check()) {
                Ok(()) => break,
                Err(error)
                    if options.connect_attempts >= 0
                        && attempt >= options.connect_attempts.max(1) =>
                {
                    return Err(Error::Connect {
                        url: url.to_string(),
                        message: error.to_string(),
                    });
                }
                Err(error) => {
                    warn!(%url, attempt, %error, "database not reachable, retrying");
                    std::thread::sleep(options.retry_interval);
                }
            }
        }
        let max_size = match url.backend() {
            // SQLite has one writer; a few readers are plenty.
            Backend::Sqlite => options.max_size.clamp(1, 8),
            _ => options.max_size,
        };
        let pool = Pool::builder()
            // Connections are opened on demand and then kept until idle for
            // ten minutes. No eager minimum: r2d2 would re-open connections on
            // its own threads at any time, and a client library still
            // connecting while the process exits crashes in its TLS clean-up.
            .min_idle(Some(0))
            .max_size(max_size)
            .connection_timeout(options.checkout_timeout)
            .max_lifetime(Some(options.max_lifetime))
            .test_on_check_out(false)
            .build(manager)
            .map_err(|error| Error::Connect {
                url: url.to_string(),
                message: error.to_string(),
            })?;
        info!(%url, "database pool open");
        let writer = match url.backend() {
            Backend::Sqlite => Some(group_commit::GroupCommit::start(pool.clone()).map_err(
                |error| Error::Connect {
                    url: url.to_string(),
                    message: format!("cannot start the database writer: {error}"),
                },
            )?),
            _ => None,
        };
        Ok(Self {
            pool,
            url: url.clone(),
            writer,
        })
    }

    /// Opens a pool from an async context (the connection attempts block a
    /// worker of the blocking pool, not the runtime).
    pub async fn open(url: &DatabaseUrl, options: &PoolOptions) -> Result<Self> {
        let (url, options) = (url.clone(), options.clone());
        tokio::task::spawn_blocking(move || Self::open_blocking(&url, &options)).await?
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Where the pool connects, password hidden when displayed.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs blocking diesel work on the blocking thread pool, inside the caller's span.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let mut conn = pool.get()?;
                work(&mut conn)
            })
        })
        .await?
    }

    /// Like [`Db::run`] for a read by key (a record, its attributes, the
    /// look-up of a MAC): on SQLite, with a connection idle in the pool, it
    /// runs on the calling thread, since such a read takes microseconds and
    /// in WAL mode never waits for the writer; handing it to the blocking
    /// pool and back would cost more than the read. Elsewhere as [`Db::run`].
    pub(crate) async fn read_by_key<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
    {
        if self.backend() == Backend::Sqlite
            && let Some(mut conn) = self.pool.try_get()
        {
            return work(&mut conn);
        }
        self.run(work).await
    }

    /// Like [`Db::run`] for work that writes. On SQLite the writes of all
    /// tasks go to one writer that commits those queued together in one
    /// transaction (group commit), each in its own savepoint.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(work).await,
            None => self.run(work).await,
        }
    }

    /// Runs blocking diesel work on the calling thread (command-line tools).
    pub(crate) fn run_blocking<T: Send>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T> + Send,
    ) -> Result<T> {
        off_async(|| {
            let mut conn = self.pool.get()?;
            work(&mut conn)
        })
    }
}
