//! Throw-away databases on every backend, for tests and benchmarks.
//!
//! SQLite databases live in a temporary directory. PostgreSQL and MySQL
//! databases are created on the servers named by `TEST_POSTGRES_URL` and
//! `TEST_MYSQL_URL` and dropped afterwards; when a variable is unset the
//! backend is skipped with a message on standard error.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::{Backend, DatabaseUrl, Db, InProcessLocks, NodeCache, PoolOptions, Result};

/// Environment variable naming the PostgreSQL server used by tests.
pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";
/// Environment variable naming the MySQL / MariaDB server used by tests.
pub const MYSQL_URL_VAR: &str = "TEST_MYSQL_URL";

/// A database that exists for the lifetime of the value.
pub struct TestDatabase {
    url: DatabaseUrl,
    db: Db,
    _dir: Option<tempfile::TempDir>,
    server: Option<(DatabaseUrl, String)>,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase").field("url", &self.url).finish()
    }
}

/// Pool settings small enough for many databases at once.
pub fn test_pool_options() -> PoolOptions {
    PoolOptions {
        max_size: 8,
        checkout_timeout: Duration::from_secs(30),
        max_lifetime: Duration::from_secs(3600),
        connect_attempts: 1,
        retry_interval: Duration::from_secs(0),
        sqlite_synchronous: false,
    }
}

/// The server URL for `backend`, or `None` after telling why the backend is skipped.
pub fn server_url(backend: Backend) -> Option<DatabaseUrl> {
    let var = match backend {
        Backend::Sqlite => return Some(DatabaseUrl::parse("sqlite:///unused.sqlite").expect("valid URL")),
        Backend::Postgres => POSTGRES_URL_VAR,
        Backend::Mysql => MYSQL_URL_VAR,
    };
    match std::env::var(var) {
        Ok(text) if !text.is_empty() => Some(DatabaseUrl::parse(&text).unwrap_or_else(|e| panic!("{var}: {e}"))),
        _ => {
            let thread = std::thread::current();
            let test = thread.name().unwrap_or("test");
            // Written past the test harness's capture so that a skip is never silent.
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {var} is not set, no {backend:?} server to test against");
            None
        }
    }
}

impl TestDatabase {
    /// A new empty database on `backend`, or `None` when the backend is not configured.
    pub fn empty(backend: Backend) -> Option<Self> {
        let server = server_url(backend)?;
        let name = format!("inspector_test_{}", uuid::Uuid::new_v4().simple());
        let (url, dir, server) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("inspector.sqlite");
                let url = DatabaseUrl::parse(&format!("sqlite:///{}", path.display())).expect("valid URL");
                (url, Some(dir), None)
            }
            Backend::Postgres | Backend::Mysql => {
                admin_execute(&server, &create_statement(backend, &name));
                (server.with_database(&name), None, Some((server, name)))
            }
        };
        let db = Db::open_blocking(&url, &test_pool_options())
            .unwrap_or_else(|e| panic!("cannot open the test database {url}: {e}"));
        Some(Self {
            url,
            db,
            _dir: dir,
            server,
        })
    }

    /// A new database with every migration applied.
    pub fn migrated(backend: Backend) -> Option<Self> {
        let test = Self::empty(backend)?;
        test.db.upgrade_blocking(None).expect("migrations apply to an empty database");
        Some(test)
    }

    /// The database's location.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The connection pool.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A node cache over this database with in-process locks.
    pub fn node_cache(&self) -> NodeCache {
        NodeCache::new(self.db.clone(), Arc::new(InProcessLocks::new()))
    }

    /// Runs raw SQL statements (fixtures).
    pub fn execute_sql(&self, sql: &str) -> Result<()> {
        self.db.run_blocking(|conn| Ok(conn.batch_execute(sql)?))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.server {
            let statement = match server.backend() {
                Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                _ => format!("DROP DATABASE IF EXISTS {name}"),
            };
            admin_execute(server, &statement);
        }
    }
}

fn create_statement(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Mysql => format!("CREATE DATABASE {name} CHARACTER SET utf8"),
        _ => format!("CREATE DATABASE {name}"),
    }
}

fn admin_execute(server: &DatabaseUrl, statement: &str) {
    let result = match server.backend() {
        #[cfg(feature = "postgres")]
        Backend::Postgres => diesel::PgConnection::establish(server.target())
            .map_err(|e| e.to_string())
            .and_then(|mut c| c.batch_execute(statement).map_err(|e| e.to_string())),
        #[cfg(feature = "mysql")]
        Backend::Mysql => diesel::MysqlConnection::establish(server.target())
            .map_err(|e| e.to_string())
            .and_then(|mut c| c.batch_execute(statement).map_err(|e| e.to_string())),
        other => Err(format!("{other:?} is not built in")),
    };
    if let Err(error) = result {
        panic!("{statement} on {server}: {error}");
    }
}
