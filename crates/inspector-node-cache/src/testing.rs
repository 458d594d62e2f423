//! Throw-away databases on every backend, for tests and benchmarks.
//!
//! SQLite databases live in a temporary directory. PostgreSQL and MySQL
//! databases are created on the servers named by `TEST_POSTGRES_URL` and
//! `TEST_MYSQL_URL` and dropped afterwards; when a variable is unset the
//! backend is skipped with a message on standard error.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;

use crate::{Backend, DatabaseUrl, Db, InProcessLocks, NodeCache, PoolOptions, Result};

/// Unwraps a database made by [`TestDatabase`], or returns from the calling
/// test when its backend is not configured (the skip was already printed).
#[macro_export]
macro_rules! database_or_skip {
    ($database:expr) => {
        match $database {
            Some(database) => database,
            None => return,
        }
    };
}

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
        f.debug_struct("TestDatabase")
            .field("url", &self.url)
            .finish()
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
        Backend::Sqlite => {
            return Some(DatabaseUrl::parse("sqlite:///unused.sqlite").expect("valid URL"));
        }
        Backend::Postgres => POSTGRES_URL_VAR,
        Backend::Mysql => MYSQL_URL_VAR,
    };
    match std::env::var(var) {
        Ok(text) if !text.is_empty() => {
            Some(DatabaseUrl::parse(&text).unwrap_or_else(|e| panic!("{var}: {e}")))
        }
        _ => {
            let thread = std::thread::current();
            let test = thread.name().unwrap_or("test");
            // Written past the test harness's capture so that a skip is never silent.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {var} is not set, no {backend:?} server to test against"
            );
            None
        }
    }
}

impl TestDatabase {
    /// A new empty database on `backend`, or `None` when the backend is not configured.
    pub fn empty(backend: Backend) -> Option<Self> {
        Self::empty_with(backend, &test_pool_options())
    }

    /// [`TestDatabase::empty`] with explicit pool settings.
    pub fn empty_with(backend: Backend, options: &PoolOptions) -> Option<Self> {
        let server = server_url(backend)?;
        let name = format!("inspector_test_{}", uuid::Uuid::new_v4().simple());
        let (url, dir, server) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("inspector.sqlite");
                let url = DatabaseUrl::parse(&format!("sqlite:///{}", path.display()))
                    .expect("valid URL");
                (url, Some(dir), None)
            }
            Backend::Postgres | Backend::Mysql => {
                admin_execute(&server, &create_statement(backend, &name));
                (server.with_database(&name), None, Some((server, name)))
            }
        };
        let db = Db::open_blocking(&url, options)
            .unwrap_or_else(|e| panic!("cannot open the test database {url}: {e}"));
        Some(Self {
            url,
            db,
            _dir: dir,
            server,
        })
    }

    /// An existing database (kept when the value is dropped), e.g. to fill the
    /// database of a service before it starts.
    pub fn existing(url: &DatabaseUrl) -> Result<Self> {
        let db = Db::open_blocking(url, &test_pool_options())?;
        Ok(Self {
            url: url.clone(),
            db,
            _dir: None,
            server: None,
        })
    }

    /// A new database with every migration applied.
    pub fn migrated(backend: Backend) -> Option<Self> {
        Self::migrated_with(backend, &test_pool_options())
    }

    /// [`TestDatabase::migrated`] with explicit pool settings.
    pub fn migrated_with(backend: Backend, options: &PoolOptions) -> Option<Self> {
        let test = Self::empty_with(backend, options)?;
        test.db
            .upgrade_blocking(None)
            .expect("migrations apply to an empty database");
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

    /// The text column `line` of every row `sql` returns (checks such as
    /// `SELECT integrity_check AS line FROM pragma_integrity_check`).
    pub fn lines(&self, sql: &str) -> Result<Vec<String>> {
        let sql = sql.to_owned();
        let rows: Vec<Line> = self
            .db
            .run_blocking(move |conn| Ok(diesel::sql_query(sql).load(conn)?))?;
        Ok(rows.into_iter().map(|row| row.line).collect())
    }

    /// Number of rows in `table`.
    pub fn count_rows(&self, table: &str) -> Result<i64> {
        let rows: Vec<Line> = self.db.run_blocking(|conn| {
            Ok(diesel::sql_query(format!(
                "SELECT CAST(COUNT(*) AS CHAR(20)) AS line FROM {table}"
            ))
            .load(conn)?)
        })?;
        let count = rows
            .first()
            .map(|row| row.line.trim().to_owned())
            .unwrap_or_default();
        Ok(count.parse().unwrap_or(-1))
    }

    /// A sorted, backend-specific description of the schema (columns with
    /// types, nullability and defaults; keys; indexes; enum values), leaving
    /// out diesel's own bookkeeping table. Two databases with the same
    /// description have the same schema.
    pub fn schema(&self) -> Result<Vec<String>> {
        let queries: &[&str] = match self.backend() {
            Backend::Sqlite => &[
                "SELECT m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p.\"notnull\" || ' default=' || \
                 COALESCE(p.dflt_value, 'NULL') || ' pk=' || p.pk AS line \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE '__diesel%'",
                "SELECT m.name || ' fk ' || f.\"from\" || ' -> ' || f.\"table\" || '(' || f.\"to\" || ')' AS line \
                 FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
                "SELECT m.name || ' index ' || i.name || ' unique=' || i.\"unique\" || ' origin=' || i.origin || ' ' || \
                 (SELECT group_concat(c.name) FROM pragma_index_info(i.name) c) AS line \
                 FROM sqlite_master m JOIN pragma_index_list(m.name) i \
                 WHERE m.type = 'table' AND m.name NOT LIKE '__diesel%'",
                "SELECT 'check ' || m.name || ': ' || CASE WHEN m.sql LIKE '%CHECK (state IN%' THEN 'state' ELSE '' END \
                 || CASE WHEN m.sql LIKE '%IN (0, 1)%' THEN ' bool' ELSE '' END AS line \
                 FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE '__diesel%'",
            ],
            Backend::Postgres => &[
                "SELECT CAST(table_name || '.' || column_name || ' ' || \
                 CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END || \
                 COALESCE('(' || character_maximum_length || ')', '') || ' nullable=' || is_nullable || \
                 ' default=' || COALESCE(column_default, 'NULL') AS TEXT) AS line \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name NOT LIKE '__diesel%'",
                "SELECT CAST(tc.table_name || ' ' || tc.constraint_type || ' ' || tc.constraint_name || ' ' || \
                 kcu.column_name || COALESCE(' -> ' || ccu.table_name || '(' || ccu.column_name || ')', '') AS TEXT) AS line \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
                 AND kcu.table_schema = tc.table_schema \
                 LEFT JOIN information_schema.constraint_column_usage ccu ON tc.constraint_type = 'FOREIGN KEY' \
                 AND ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema \
                 WHERE tc.table_schema = current_schema() AND tc.table_name NOT LIKE '__diesel%'",
                "SELECT CAST(indexdef AS TEXT) AS line FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename NOT LIKE '__diesel%'",
                "SELECT CAST('enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS TEXT) AS line \
                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname",
            ],
            Backend::Mysql => &[
                "SELECT CAST(CONCAT(table_name, '.', column_name, ' ', column_type, ' nullable=', is_nullable, \
                 ' default=', COALESCE(column_default, 'NULL'), ' extra=', extra) AS CHAR) AS line \
                 FROM information_schema.columns WHERE table_schema = DATABASE() \
                 AND table_name NOT LIKE '\\_\\_diesel%'",
                "SELECT CAST(CONCAT(table_name, ' key ', constraint_name, ' ', column_name, \
                 COALESCE(CONCAT(' -> ', referenced_table_name, '(', referenced_column_name, ')'), '')) AS CHAR) AS line \
                 FROM information_schema.key_column_usage WHERE table_schema = DATABASE() \
                 AND table_name NOT LIKE '\\_\\_diesel%'",
                "SELECT CAST(CONCAT(table_name, ' index ', index_name, ' unique=', 1 - non_unique, ' ', column_name) AS CHAR) AS line \
                 FROM information_schema.statistics WHERE table_schema = DATABASE() \
                 AND table_name NOT LIKE '\\_\\_diesel%'",
                "SELECT CAST(CONCAT(table_name, ' engine=', engine, ' collation=', table_collation) AS CHAR) AS line \
                 FROM information_schema.tables WHERE table_schema = DATABASE() \
                 AND table_name NOT LIKE '\\_\\_diesel%'",
            ],
        };
        let mut lines = Vec::new();
        for query in queries {
            let rows: Vec<Line> = self
                .db
                .run_blocking(|conn| Ok(diesel::sql_query(*query).load(conn)?))?;
            lines.extend(rows.into_iter().map(|row| row.line));
        }
        lines.sort();
        Ok(lines)
    }
}

/// A node put under introspection by [`TestDatabase::populate_waiting_nodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulatedNode {
    /// The record.
    pub uuid: crate::NodeUuid,
    /// Its one MAC lookup attribute.
    pub mac: String,
    /// Its BMC address lookup attribute.
    pub bmc_address: String,
}

impl TestDatabase {
    /// Puts `count` nodes in `waiting`, each with one MAC and one BMC
    /// address, using multi-row inserts (fast set-up for large tests).
    pub fn populate_waiting_nodes(&self, count: usize) -> Result<Vec<PopulatedNode>> {
        let nodes: Vec<PopulatedNode> = (0..count)
            .map(|i| PopulatedNode {
                uuid: crate::NodeUuid::new_random(),
                mac: format!(
                    "02:00:{:02x}:{:02x}:{:02x}:{:02x}",
                    (i >> 24) & 0xff,
                    (i >> 16) & 0xff,
                    (i >> 8) & 0xff,
                    i & 0xff
                ),
                bmc_address: format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff),
            })
            .collect();
        let manage_boot = match self.backend() {
            Backend::Postgres => "true",
            _ => "1",
        };
        for chunk in nodes.chunks(500) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|n| {
                    format!(
                        "('{}', '{}', 'waiting', '2026-01-01 00:00:00', {manage_boot})",
                        n.uuid,
                        uuid::Uuid::new_v4()
                    )
                })
                .collect();
            let attributes: Vec<String> = chunk
                .iter()
                .flat_map(|n| {
                    [("mac", &n.mac), ("bmc_address", &n.bmc_address)].map(|(name, value)| {
                        format!(
                            "('{}', '{}', '{name}', '{value}')",
                            uuid::Uuid::new_v4(),
                            n.uuid
                        )
                    })
                })
                .collect();
            self.execute_sql(&format!(
                "INSERT INTO nodes (uuid, version_id, state, started_at, manage_boot) VALUES {};\n\
                 INSERT INTO attributes (uuid, node_uuid, name, value) VALUES {};",
                rows.join(", "),
                attributes.join(", ")
            ))?;
        }
        Ok(nodes)
    }
}

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
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
    let result: std::result::Result<(), String> = match server.backend() {
        Backend::Postgres | Backend::Mysql => crate::db::off_async(|| {
            crate::db::connect_once(server)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(statement).map_err(|e| e.to_string()))
        }),
        other => Err(format!("{other:?} is not built in")),
    };
    if let Err(error) = result {
        panic!("{statement} on {server}: {error}");
    }
}
