//! Upstream's alembic history and bookkeeping: the revisions, adopting a
//! database upstream created, and `stamp`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tracing::info;

use super::{all_versions, backend_of, schema_migrations, tables, with_harness};
use crate::db::AnyConnection;
use crate::error::{Error, Result};
use crate::schema::alembic_version;

/// Upstream's final alembic revision, which our first migration reproduces.
pub const UPSTREAM_HEAD: &str = "b55109d5063a";

/// diesel's version of our first migration (the upstream head schema).
pub(super) const INITIAL_VERSION: &str = "20191211000000";

/// Tables of upstream's schema, in creation order.
pub(super) const UPSTREAM_TABLES: &[&str] = &[
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

/// Records our first migration as applied (a database upstream created).
pub(super) fn adopt_upstream(conn: &mut AnyConnection) -> Result<()> {
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

pub(super) fn stamp(conn: &mut AnyConnection, requested: &str) -> Result<()> {
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
