//! Schema migrations and upstream's alembic bookkeeping (upstream's history,
//! adopting an upstream database and `stamp` are in `alembic.rs`).
//!
//! The first embedded migration of every backend creates upstream's schema at
//! its final alembic revision and records that revision in `alembic_version`,
//! so upstream tools keep recognising the database. Our own later migrations
//! are tracked by diesel in `__diesel_schema_migrations` only. A database that
//! upstream created is adopted: its alembic head is taken as our first
//! migration having run.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tracing::{info, warn};

use crate::db::{AnyConnection, Backend, Db};
use crate::error::{Error, Result};
use crate::schema::alembic_version;

mod alembic;

use alembic::{INITIAL_VERSION, UPSTREAM_TABLES, adopt_upstream, stamp};
pub use alembic::{KNOWN_REVISIONS, Revision, UPSTREAM_HEAD};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("../../migrations/mysql");

/// What a database's schema is, as far as migrations are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaStatus {
    /// No upstream table at all: `upgrade` creates everything.
    Empty,
    /// Upstream tables but no `alembic_version`: must be stamped first.
    Unversioned,
    /// A versioned schema.
    Versioned {
        /// The alembic revision recorded, if the table has a row.
        alembic: Option<String>,
        /// Our migrations already applied (diesel versions).
        applied: Vec<String>,
        /// Our migrations not applied yet.
        pending: Vec<String>,
    },
}

impl SchemaStatus {
    /// Whether the schema is the one this build expects (nothing pending).
    pub fn is_current(&self) -> bool {
        matches!(self, SchemaStatus::Versioned { alembic: Some(rev), pending, .. } if rev == UPSTREAM_HEAD && pending.is_empty())
    }
}

diesel::table! {
    /// diesel's record of applied migrations.
    #[sql_name = "__diesel_schema_migrations"]
    schema_migrations (version) {
        version -> Text,
    }
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

fn embedded(backend: Backend) -> Result<&'static EmbeddedMigrations> {
    match backend {
        Backend::Sqlite => Ok(&SQLITE),
        #[cfg(feature = "postgres")]
        Backend::Postgres => Ok(&POSTGRES),
        #[cfg(feature = "mysql")]
        Backend::Mysql => Ok(&MYSQL),
        #[allow(unreachable_patterns)]
        other => Err(Error::Schema(format!(
            "this build has no {other:?} support"
        ))),
    }
}

/// Every migration version embedded for `backend`, in order.
fn all_versions(backend: Backend) -> Result<Vec<String>> {
    use diesel::migration::MigrationSource;
    let migrations = MigrationSource::<diesel::sqlite::Sqlite>::migrations(embedded(backend)?)
        .map_err(|e| Error::Schema(format!("embedded migrations are unreadable: {e}")))?;
    let mut versions: Vec<String> = migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    versions.sort();
    Ok(versions)
}

fn tables(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let query = match conn {
        AnyConnection::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table'",
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(_) => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(_) => {
            "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
    };
    let rows: Vec<TableName> = diesel::sql_query(query).load(conn)?;
    Ok(rows.into_iter().map(|row| row.name).collect())
}

fn backend_of(conn: &AnyConnection) -> Backend {
    match conn {
        AnyConnection::Sqlite(_) => Backend::Sqlite,
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(_) => Backend::Postgres,
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(_) => Backend::Mysql,
    }
}

fn applied_versions(conn: &mut AnyConnection, existing: &[String]) -> Result<Vec<String>> {
    if !existing.iter().any(|t| t == "__diesel_schema_migrations") {
        return Ok(Vec::new());
    }
    let rows: Vec<TableName> = diesel::sql_query(
        "SELECT version AS name FROM __diesel_schema_migrations ORDER BY version",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.name).collect())
}

/// Reads the schema status.
pub(crate) fn status(conn: &mut AnyConnection) -> Result<SchemaStatus> {
    let existing = tables(conn)?;
    let has = |name: &str| existing.iter().any(|t| t == name);
    if !has("alembic_version") {
        return Ok(if UPSTREAM_TABLES.iter().any(|t| has(t)) {
            SchemaStatus::Unversioned
        } else {
            SchemaStatus::Empty
        });
    }
    let alembic = alembic_version::table
        .select(alembic_version::version_num)
        .first::<String>(conn)
        .optional()?;
    let mut applied = applied_versions(conn, &existing)?;
    if alembic.as_deref() == Some(UPSTREAM_HEAD) && !applied.iter().any(|v| v == INITIAL_VERSION) {
        // Created by upstream: its head is our first migration.
        applied.insert(0, INITIAL_VERSION.to_owned());
    }
    let pending = all_versions(backend_of(conn))?
        .into_iter()
        .filter(|v| !applied.contains(v))
        .collect();
    Ok(SchemaStatus::Versioned {
        alembic,
        applied,
        pending,
    })
}

/// Runs `work` with the diesel migration harness of the connection's backend.
fn with_harness<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut dyn HarnessOps) -> diesel::migration::Result<T>,
) -> Result<T> {
    let result = match conn {
        AnyConnection::Sqlite(c) => work(&mut Ops {
            conn: c,
            source: || SQLITE,
        }),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => work(&mut Ops {
            conn: c,
            source: || POSTGRES,
        }),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => work(&mut Ops {
            conn: c,
            source: || MYSQL,
        }),
    };
    result.map_err(|e| Error::Schema(format!("migration failed: {e}")))
}

/// The migration operations we use, over any backend's harness.
trait HarnessOps {
    fn applied_migrations(&mut self) -> diesel::migration::Result<Vec<String>>;
    fn run_next(&mut self) -> diesel::migration::Result<Option<String>>;
}

struct Ops<'a, C: 'static> {
    conn: &'a mut C,
    /// Builds the migration source (it is not `Clone`).
    source: fn() -> EmbeddedMigrations,
}

impl<C, DB> HarnessOps for Ops<'_, C>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB> + diesel::Connection<Backend = DB>,
    EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
{
    fn applied_migrations(&mut self) -> diesel::migration::Result<Vec<String>> {
        Ok(self
            .conn
            .applied_migrations()?
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    fn run_next(&mut self) -> diesel::migration::Result<Option<String>> {
        let pending = self.conn.pending_migrations((self.source)())?;
        let Some(next) = pending.into_iter().next() else {
            return Ok(None);
        };
        let version = self.conn.run_migration(&*next)?;
        Ok(Some(version.to_string()))
    }
}

impl Db {
    /// The schema status; blocking.
    pub fn schema_status_blocking(&self) -> Result<SchemaStatus> {
        self.run_blocking(status)
    }

    /// Applies migrations up to `target` (`None` or `head`: all); returns the
    /// diesel versions applied. Blocking.
    pub fn upgrade_blocking(&self, target: Option<&str>) -> Result<Vec<String>> {
        self.run_blocking(|conn| upgrade(conn, target))
    }

    /// Records `revision` as the current one without running migrations. Blocking.
    pub fn stamp_blocking(&self, revision: &str) -> Result<()> {
        self.run_blocking(|conn| stamp(conn, revision))
    }
}

fn normalise_target(target: Option<&str>, backend: Backend) -> Result<Option<String>> {
    match target {
        None | Some("head" | "heads") => Ok(None),
        Some(UPSTREAM_HEAD) => Ok(Some(INITIAL_VERSION.to_owned())),
        Some(other) if all_versions(backend)?.iter().any(|v| v == other) => {
            Ok(Some(other.to_owned()))
        }
        Some(other) if KNOWN_REVISIONS.iter().any(|r| r.id == other) => {
            Err(Error::Schema(format!(
                "cannot upgrade to revision {other}: it is older than {UPSTREAM_HEAD}, the oldest schema this release creates"
            )))
        }
        Some(other) => Err(Error::Schema(format!(
            "Can't locate revision identified by '{other}'"
        ))),
    }
}

fn upgrade(conn: &mut AnyConnection, target: Option<&str>) -> Result<Vec<String>> {
    let backend = backend_of(conn);
    let target = normalise_target(target, backend)?;
    match status(conn)? {
        SchemaStatus::Unversioned => {
            return Err(Error::Schema(
                "the database has ironic-inspector tables but no alembic_version table; \
                 stamp it with the revision its schema matches (`stamp --revision REV`) before upgrading"
                    .to_owned(),
            ));
        }
        SchemaStatus::Versioned {
            alembic, applied, ..
        } => match alembic.as_deref() {
            Some(UPSTREAM_HEAD) if !recorded_initial(conn)? => {
                debug_assert!(applied.iter().any(|v| v == INITIAL_VERSION));
                adopt_upstream(conn)?;
            }
            Some(UPSTREAM_HEAD) => {}
            Some(old) if KNOWN_REVISIONS.iter().any(|r| r.id == old) => {
                return Err(Error::Schema(format!(
                    "the database is at upstream revision {old}; this release upgrades databases from revision \
                     {UPSTREAM_HEAD} (ironic-inspector 10.0 and later) only: upgrade it with upstream's \
                     ironic-inspector-dbsync first"
                )));
            }
            Some(unknown) => {
                return Err(Error::Schema(format!(
                    "Can't locate revision identified by '{unknown}'"
                )));
            }
            None => {
                return Err(Error::Schema(
                    "alembic_version is empty; stamp the database with the revision its schema matches".to_owned(),
                ));
            }
        },
        SchemaStatus::Empty => {}
    }
    let mut done = Vec::new();
    loop {
        if let Some(target) = &target
            && (done.contains(target) || status_applied(conn)?.contains(target))
        {
            break;
        }
        let before = tables(conn)?;
        match with_harness(conn, |harness| harness.run_next()) {
            Ok(Some(version)) => {
                info!(%version, "applied migration");
                done.push(version);
            }
            Ok(None) => break,
            Err(error) => {
                undo_partial_ddl(conn, &before);
                return Err(error);
            }
        }
    }
    Ok(done)
}

/// Whether diesel itself recorded our first migration.
fn recorded_initial(conn: &mut AnyConnection) -> Result<bool> {
    let existing = tables(conn)?;
    Ok(applied_versions(conn, &existing)?
        .iter()
        .any(|v| v == INITIAL_VERSION))
}

fn status_applied(conn: &mut AnyConnection) -> Result<Vec<String>> {
    match status(conn)? {
        SchemaStatus::Versioned { applied, .. } => Ok(applied),
        _ => Ok(Vec::new()),
    }
}

/// MySQL commits every DDL statement on its own: drop the upstream tables a
/// failed migration created so that the database is left as it was.
fn undo_partial_ddl(conn: &mut AnyConnection, before: &[String]) {
    if backend_of(conn) != Backend::Mysql {
        return; // PostgreSQL and SQLite rolled the whole migration back.
    }
    let Ok(after) = tables(conn) else { return };
    for table in UPSTREAM_TABLES.iter().rev() {
        let created = after.iter().any(|t| t == table) && !before.iter().any(|t| t == table);
        if created && let Err(error) = conn.batch_execute(&format!("DROP TABLE {table}")) {
            warn!(%table, %error, "could not drop a table of the failed migration");
        }
    }
}
