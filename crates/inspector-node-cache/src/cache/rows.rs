//! Rows of the node-cache tables and the queries on them. Every function takes
//! the connection and runs inside whatever transaction the caller opened.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use inspector_types::{NodeUuid, State};

use crate::db::{AnyConnection, DbState, MultiBackend};
use crate::error::{Error, Result};
use crate::schema::{attributes, introspection_data, introspection_events, nodes, options};

/// A `nodes` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = nodes, check_for_backend(MultiBackend))]
pub(crate) struct NodeRow {
    pub(crate) uuid: String,
    pub(crate) version_id: Option<String>,
    pub(crate) state: DbState,
    pub(crate) started_at: Option<NaiveDateTime>,
    pub(crate) finished_at: Option<NaiveDateTime>,
    pub(crate) error: Option<String>,
    pub(crate) manage_boot: Option<bool>,
}

/// Changes to a `nodes` row; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = nodes)]
pub(crate) struct NodeChanges {
    pub(crate) version_id: Option<String>,
    pub(crate) state: Option<DbState>,
    pub(crate) started_at: Option<Option<NaiveDateTime>>,
    pub(crate) finished_at: Option<Option<NaiveDateTime>>,
    pub(crate) error: Option<Option<String>>,
}

/// An `attributes` row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attributes)]
pub(crate) struct NewAttribute<'a> {
    pub(crate) uuid: String,
    pub(crate) node_uuid: &'a str,
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// Whether `conn` is inside a savepoint (a transaction nested in another),
/// as every write of SQLite's group commit is.
fn in_savepoint(conn: &mut AnyConnection) -> bool {
    crate::db::transaction_depth(conn).is_some_and(|depth| depth >= 2)
}

/// Attempts of a transaction that the database aborted as a deadlock victim
/// (MySQL's gap locks make concurrent starts of new records deadlock often).
const TRANSACTION_ATTEMPTS: u32 = 20;

/// Runs `work` in one transaction, retried on deadlocks after a random pause
/// that grows with each attempt (processes sharing a database otherwise meet
/// again in the same deadlock). On SQLite the writer's batch already holds
/// the write lock, so a read before a write never fails to upgrade, and each
/// write already runs in a savepoint of its own, which is then the unit: a
/// second one inside it would cost two more statements and change nothing.
pub(crate) fn write_transaction<T>(
    conn: &mut AnyConnection,
    mut work: impl FnMut(&mut AnyConnection) -> Result<T>,
) -> Result<T> {
    if in_savepoint(conn) {
        return work(conn);
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = conn.transaction(&mut work);
        match result {
            Err(error) if attempt < TRANSACTION_ATTEMPTS && error.is_transient() => {
                tracing::debug!(%error, attempt, "retrying a transaction after a deadlock");
                // Up to 8 ms after the first deadlock, doubling to at most a second.
                let ceiling = 2_u128.pow((attempt + 2).min(10));
                let pause = uuid::Uuid::new_v4().as_u128() % ceiling + 1;
                std::thread::sleep(std::time::Duration::from_millis(
                    u64::try_from(pause).unwrap_or(1),
                ));
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, attempt, "a transaction failed as a deadlock victim every time; giving up");
                return Err(error);
            }
            other => return other,
        }
    }
}

pub(crate) fn find_node(conn: &mut AnyConnection, uuid: NodeUuid) -> Result<Option<NodeRow>> {
    // `load` runs the statement to completion: a half-read statement would keep
    // SQLite's read snapshot open on the pooled connection.
    Ok(nodes::table
        .find(uuid.to_string())
        .select(NodeRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

pub(crate) fn insert_node(conn: &mut AnyConnection, row: &NodeRow) -> Result<()> {
    diesel::insert_into(nodes::table)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// Updates the row only if its `version_id` is still `expected`; false when
/// another writer got there first (or the row is gone).
pub(crate) fn update_versioned(
    conn: &mut AnyConnection,
    uuid: NodeUuid,
    expected: Option<&str>,
    changes: &NodeChanges,
) -> Result<bool> {
    let target = nodes::table.filter(nodes::uuid.eq(uuid.to_string()));
    let updated = match expected {
        Some(version) => diesel::update(target.filter(nodes::version_id.eq(version)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(target.filter(nodes::version_id.is_null()))
            .set(changes)
            .execute(conn)?,
    };
    Ok(updated == 1)
}

/// Deletes a record and everything that refers to it (no cascades in the schema).
pub(crate) fn delete_node(conn: &mut AnyConnection, uuid: NodeUuid) -> Result<()> {
    delete_dependents(conn, uuid)?;
    diesel::delete(nodes::table.filter(nodes::uuid.eq(uuid.to_string()))).execute(conn)?;
    Ok(())
}

/// Deletes the attributes, options and stored data of a record.
pub(crate) fn delete_dependents(conn: &mut AnyConnection, uuid: NodeUuid) -> Result<()> {
    let key = uuid.to_string();
    delete_attributes(conn, uuid)?;
    diesel::delete(options::table.filter(options::uuid.eq(&key))).execute(conn)?;
    diesel::delete(introspection_data::table.filter(introspection_data::uuid.eq(&key)))
        .execute(conn)?;
    diesel::delete(introspection_events::table.filter(introspection_events::node_uuid.eq(&key)))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn delete_attributes(conn: &mut AnyConnection, uuid: NodeUuid) -> Result<()> {
    diesel::delete(attributes::table.filter(attributes::node_uuid.eq(uuid.to_string())))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn delete_options(conn: &mut AnyConnection, uuid: NodeUuid) -> Result<()> {
    diesel::delete(options::table.filter(options::uuid.eq(uuid.to_string()))).execute(conn)?;
    Ok(())
}

/// Adds one attribute row per value; empty values are skipped.
pub(crate) fn insert_attributes(
    conn: &mut AnyConnection,
    uuid: NodeUuid,
    name: &str,
    values: &[String],
) -> Result<()> {
    let node_uuid = uuid.to_string();
    let rows: Vec<NewAttribute<'_>> = values
        .iter()
        .filter(|value| !value.is_empty())
        .map(|value| NewAttribute {
            uuid: NodeUuid::new_random().to_string(),
            node_uuid: &node_uuid,
            name,
            value,
        })
        .collect();
    // One statement per row: batch inserts are not portable to SQLite through diesel.
    for row in rows {
        diesel::insert_into(attributes::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Parses a UUID read from the database.
pub(crate) fn stored_uuid(text: &str) -> Result<NodeUuid> {
    NodeUuid::parse(text).map_err(|_| Error::Corrupt(format!("{text:?} is not a UUID")))
}

impl NodeRow {
    pub(crate) fn new(
        uuid: NodeUuid,
        state: State,
        started_at: NaiveDateTime,
        manage_boot: bool,
    ) -> Self {
        Self {
            uuid: uuid.to_string(),
            version_id: Some(new_version()),
            state: DbState(state),
            started_at: Some(started_at),
            finished_at: None,
            error: None,
            manage_boot: Some(manage_boot),
        }
    }
}

/// A fresh `version_id`.
pub(crate) fn new_version() -> String {
    NodeUuid::new_random().to_string()
}
