//! Schema migrations and upstream's alembic bookkeeping.
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

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("../../migrations/mysql");

/// Upstream's final alembic revision, which our first migration reproduces.
pub const UPSTREAM_HEAD: &str = "b55109d5063a";

/// diesel's version of our first migration (the upstream head schema).
const INITIAL_VERSION: &str = "20191211000000";

/// Tables of upstream's schema, in creation order.
const UPSTREAM_TABLES: &[&str] = &[
    "nodes",
    "attributes",
    "options",
    "rules",
    "rule_conditions",
    "rule_actions",
    "introspection_data",
    "alembic_version",
];

/// One revision of upstream's alembic history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// The alembic revision id.
    pub id: &'static str,
    /// The revision it follows.
    pub down_revision: Option<&'static str>,
    /// Creation date.
    pub created: &'static str,
    /// What it changed.
    pub message: &'static str,
}

/// Upstream's alembic history, oldest first.
pub const KNOWN_REVISIONS: [Revision; 10] = [
    rev("578f84f38d", None, "2015-09-15", "inital_db_schema"),
    rev("d588418040d", Some("578f84f38d"), "2015-09-21", "add_rules"),
    rev(
        "e169a4a81d88",
        Some("d588418040d"),
        "2016-02-16",
        "add_invert_field_to_rule_condition",
    ),
    rev(
        "d2e48801c8ef",
        Some("e169a4a81d88"),
        "2016-07-29",
        "introducing_node_state_attribute",
    ),
    rev(
        "d00d6e3f38c4",
        Some("d2e48801c8ef"),
        "2016-12-15",
        "change_created_finished_at_type",
    ),
    rev(
        "882b2d84cb1b",
        Some("d00d6e3f38c4"),
        "2017-01-13",
        "attribute_constraints_relaxing",
    ),
    rev(
        "18440d0834af",
        Some("882b2d84cb1b"),
        "2017-12-11",
        "introducing_the_aborting_state",
    ),
    rev(
        "2970d2d44edc",
        Some("18440d0834af"),
        "2016-05-16",
        "add_manage_boot_to_nodes",
    ),
    rev(
        "bf8dec16023c",
        Some("2970d2d44edc"),
        "2018-07-19",
        "add_introspection_data_table",
    ),
    rev(
        UPSTREAM_HEAD,
        Some("bf8dec16023c"),
        "2019-12-11",
        "add_scope_column_to_rules",
    ),
];

const fn rev(
    id: &'static str,
    down_revision: Option<&'static str>,
    created: &'static str,
    message: &'static str,
) -> Revision {
    Revision {
        id,
        down_revision,
        created,
        message,
    }
}

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

/// Records our first migration as applied (a database upstream created).
fn adopt_upstream(conn: &mut AnyConnection) -> Result<()> {
    with_harness(conn, |harness| harness.applied_migrations().map(drop))?;
    diesel::insert_into(schema_migrations::table)
        .values(schema_migrations::version.eq(INITIAL_VERSION))
        .execute(conn)?;
    info!(
        revision = UPSTREAM_HEAD,
        "adopted a database created by upstream ironic-inspector"
    );
    Ok(())
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

fn stamp(conn: &mut AnyConnection, requested: &str) -> Result<()> {
    let backend = backend_of(conn);
    let revision = match requested {
        "head" | "heads" => UPSTREAM_HEAD,
        other => KNOWN_REVISIONS
            .iter()
            .find(|r| r.id == other)
            .map(|r| r.id)
            .ok_or_else(|| {
                Error::Schema(format!("Can't locate revision identified by '{other}'"))
            })?,
    };
    // `head` marks every migration of ours applied, like alembic's `stamp head`;
    // upstream's head marks only the first one (the upstream schema).
    let mark_ours = match (requested, revision) {
        ("head" | "heads", _) => all_versions(backend)?,
        (_, UPSTREAM_HEAD) => vec![INITIAL_VERSION.to_owned()],
        _ => Vec::new(),
    };
    with_harness(conn, |harness| harness.applied_migrations().map(drop))?;
    conn.transaction(|conn| {
        if !tables(conn)?.iter().any(|t| t == "alembic_version") {
            conn.batch_execute(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
                 CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
            )?;
        }
        diesel::delete(alembic_version::table).execute(conn)?;
        diesel::insert_into(alembic_version::table)
            .values(alembic_version::version_num.eq(revision))
            .execute(conn)?;
        diesel::delete(schema_migrations::table).execute(conn)?;
        for version in &mark_ours {
            diesel::insert_into(schema_migrations::table)
                .values(schema_migrations::version.eq(version))
                .execute(conn)?;
        }
        Ok::<_, Error>(())
    })?;
    info!(revision, "stamped");
    Ok(())
}
