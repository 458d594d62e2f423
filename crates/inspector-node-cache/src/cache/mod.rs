//! Node-cache operations: the introspection record of a node and everything
//! stored beside it.

mod data;
mod lifecycle;
mod lookup;
mod record;
mod rows;
mod rules;
mod timeline;
mod unmatched;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use inspector_fsm::{Event, State};
use inspector_types::NodeUuid;
use tracing::{debug, info};

pub use lifecycle::CleanUpPolicy;
pub use lookup::LookupQuery;
pub use record::NodeInfo;
use rows::{NodeRow, write_transaction};
pub(crate) use timeline::EventRows;
pub use timeline::TimelineEvent;
pub use unmatched::{NewUnmatchedReport, UnmatchedReport};

use crate::clock::{Clock, SystemClock};
use crate::db::{Backend, Db, DbState};
use crate::error::{Error, Result};
use crate::ironic::{IronicError, IronicNodes};
use crate::locks::NodeLocks;
use crate::schema::{attributes, nodes, options};

/// Name of the lookup attribute holding BMC addresses (v4 and v6).
pub(crate) const BMC_ADDRESS: &str = "bmc_address";
/// Name of the lookup attribute holding MAC addresses.
pub(crate) const MAC: &str = "mac";

/// The node cache: introspection records in the database plus node locks.
#[derive(Clone)]
pub struct NodeCache {
    db: Db,
    locks: Arc<dyn NodeLocks>,
    clock: Arc<dyn Clock>,
    explain_timeout: Option<TimeoutExplainer>,
    timeline_keep: i64,
    unmatched_keep: i64,
}

/// Turns a timed-out record's timeline, and the ramdisk reports that matched
/// no node since it started, into the text after `Introspection timeout: `
/// (nothing is added when it returns an empty text).
pub type TimeoutExplainer =
    Arc<dyn Fn(&[TimelineEvent], &[UnmatchedReport]) -> String + Send + Sync>;

impl fmt::Debug for NodeCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeCache")
            .field("db", &self.db)
            .field("locks", &self.locks)
            .finish_non_exhaustive()
    }
}

impl NodeCache {
    /// A node cache over `db`, locking nodes with `locks`.
    pub fn new(db: Db, locks: Arc<dyn NodeLocks>) -> Self {
        Self::with_clock(db, locks, Arc::new(SystemClock))
    }

    /// A node cache with a custom clock (tests).
    /// It keeps what an empty `[timeline]` says until
    /// [`NodeCache::keeping_events`] and [`NodeCache::keeping_unmatched`] say otherwise.
    pub fn with_clock(db: Db, locks: Arc<dyn NodeLocks>, clock: Arc<dyn Clock>) -> Self {
        let timeline = inspector_config::TimelineOptions::default();
        Self {
            db,
            locks,
            clock,
            explain_timeout: None,
            timeline_keep: timeline.max_events,
            unmatched_keep: timeline.max_unmatched_reports,
        }
    }

    /// Keeping the newest `count` timeline events of each record (at least one).
    pub fn keeping_events(mut self, count: i64) -> Self {
        self.timeline_keep = count.max(1);
        self
    }

    /// Keeping the newest `count` unmatched ramdisk reports (at least one).
    pub fn keeping_unmatched(mut self, count: i64) -> Self {
        self.unmatched_keep = count.max(1);
        self
    }

    /// With the error of a timed-out record explained from its timeline.
    pub fn explaining_timeouts(mut self, explain: TimeoutExplainer) -> Self {
        self.explain_timeout = Some(explain);
        self
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The node locks.
    pub fn locks(&self) -> &dyn NodeLocks {
        &*self.locks
    }

    /// The current time at the precision the database keeps (microseconds;
    /// whole seconds on MySQL's `DATETIME`, which would otherwise round up).
    pub(crate) fn now(&self) -> NaiveDateTime {
        let now = self.clock.now();
        match self.db.backend() {
            Backend::Mysql => now.trunc_subsecs(0),
            _ => now.trunc_subsecs(6),
        }
    }

    /// Replaces any record of `uuid` with a fresh one in `state`, storing the
    /// non-empty lookup attributes; deletes the node's options and stored
    /// introspection data. One transaction.
    #[tracing::instrument(skip_all, fields(node = %uuid))]
    pub async fn add_node(
        &self,
        uuid: NodeUuid,
        state: State,
        manage_boot: bool,
        attributes: &[(&str, Vec<String>)],
    ) -> Result<NodeInfo> {
        let row = NodeRow::new(uuid, state, self.now(), manage_boot);
        let attributes: Vec<(String, Vec<String>)> = attributes
            .iter()
            .map(|(name, values)| ((*name).to_owned(), values.clone()))
            .collect();
        let stored = row.clone();
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    replace_record(conn, &stored, &attributes, true)?;
                    Ok(())
                })
            })
            .await?;
        info!(%state, "introspection record created");
        NodeInfo::from_row(row)
    }

    /// Starts introspection of `uuid`: applies `start` (leniently) to an
    /// existing record, refusing with [`Error::InvalidEvent`] in states that
    /// do not allow it, then replaces the record with a fresh `starting` one
    /// holding `bmc_addresses`. One transaction; a concurrent writer makes it
    /// fail with [`Error::StateRace`].
    #[tracing::instrument(skip_all, fields(node = %uuid))]
    pub async fn start_introspection(
        &self,
        uuid: NodeUuid,
        manage_boot: bool,
        bmc_addresses: Vec<String>,
    ) -> Result<NodeInfo> {
        let row = NodeRow::new(
            uuid,
            inspector_fsm::initial::STARTED,
            self.now(),
            manage_boot,
        );
        let stored = row.clone();
        let attributes = vec![(BMC_ADDRESS.to_owned(), bmc_addresses)];
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    let existing = rows::find_node(conn, uuid)?;
                    if let Some(existing) = &existing {
                        let to = inspector_fsm::next(existing.state.0, Event::Start).inspect_err(
                            |error| {
                                tracing::warn!(%error, "invalid event");
                            },
                        )?;
                        debug!(from = %existing.state.0, %to, "restarting introspection");
                        let changes = rows::NodeChanges {
                            state: Some(DbState(to)),
                            version_id: Some(rows::new_version()),
                            ..Default::default()
                        };
                        if !rows::update_versioned(
                            conn,
                            uuid,
                            existing.version_id.as_deref(),
                            &changes,
                        )? {
                            return Err(Error::StateRace(uuid));
                        }
                    }
                    // Without a row to guard, a concurrent start's insert makes ours
                    // fail on the primary key instead of silently replacing it.
                    replace_record(conn, &stored, &attributes, existing.is_some()).map_err(
                        |error| {
                            if error.is_unique_violation() {
                                Error::StateRace(uuid)
                            } else {
                                error
                            }
                        },
                    )
                })
            })
            .await?;
        info!("introspection started");
        NodeInfo::from_row(row)
    }

    /// The record of `uuid`, holding no lock.
    pub async fn get_node(&self, uuid: NodeUuid) -> Result<NodeInfo> {
        let row = self
            .db
            .read_by_key(move |conn| rows::find_node(conn, uuid))
            .await?;
        NodeInfo::from_row(row.ok_or(Error::NodeNotInCache(uuid))?)
    }

    /// The record of the node identified by a UUID or, through Ironic, by a name.
    pub async fn get_node_by_ident(
        &self,
        ident: &str,
        ironic: &dyn IronicNodes,
    ) -> Result<NodeInfo> {
        let uuid = match NodeUuid::parse(ident) {
            Ok(uuid) => uuid,
            Err(_) => ironic.node_uuid(ident).await.map_err(|error| match error {
                IronicError::NotFound(_) => Error::IronicNodeNotFound(ident.to_owned()),
                IronicError::BadRequest(message) => Error::IronicBadRequest {
                    ident: ident.to_owned(),
                    message,
                },
                IronicError::Other(message) => Error::Ironic(message),
            })?,
        };
        self.get_node(uuid).await
    }

    /// Records newest first (by `started_at`, then UUID, both descending),
    /// strictly after `marker` in that order, at most `limit`, optionally only
    /// in `states`. An unknown marker is [`Error::RecordMissing`].
    pub async fn list_nodes(
        &self,
        marker: Option<NodeUuid>,
        limit: Option<i64>,
        states: Option<Vec<State>>,
    ) -> Result<Vec<NodeInfo>> {
        let rows = self
            .db
            .run(move |conn| {
                let mut query = nodes::table.select(NodeRow::as_select()).into_boxed();
                if let Some(marker) = marker {
                    let row = rows::find_node(conn, marker)?.ok_or(Error::RecordMissing(marker))?;
                    let key = row.uuid.clone();
                    query = match row.started_at {
                        Some(at) => query.filter(
                            nodes::started_at
                                .lt(at)
                                .or(nodes::started_at.eq(at).and(nodes::uuid.lt(key)))
                                .or(nodes::started_at.is_null()),
                        ),
                        None => query.filter(nodes::started_at.is_null().and(nodes::uuid.lt(key))),
                    };
                }
                if let Some(states) = states {
                    query = query.filter(nodes::state.eq_any(states.into_iter().map(DbState)));
                }
                if let Some(limit) = limit {
                    query = query.limit(limit);
                }
                Ok(query
                    .order((nodes::started_at.desc(), nodes::uuid.desc()))
                    .load::<NodeRow>(conn)?)
            })
            .await?;
        rows.into_iter().map(NodeInfo::from_row).collect()
    }

    /// Adds lookup attribute rows `name = value` for each non-empty value.
    pub async fn add_attribute(
        &self,
        uuid: NodeUuid,
        name: &str,
        values: Vec<String>,
    ) -> Result<()> {
        let name = name.to_owned();
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    rows::insert_attributes(conn, uuid, &name, &values)
                })
            })
            .await
    }

    /// The lookup attributes of a record: name → values, sorted.
    pub async fn attributes(&self, uuid: NodeUuid) -> Result<BTreeMap<String, Vec<String>>> {
        let rows: Vec<(String, Option<String>)> = self
            .db
            .read_by_key(move |conn| {
                Ok(attributes::table
                    .filter(attributes::node_uuid.eq(uuid.to_string()))
                    .select((attributes::name, attributes::value))
                    .order((attributes::name, attributes::value))
                    .load(conn)?)
            })
            .await?;
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in rows {
            map.entry(name).or_default().extend(value);
        }
        Ok(map)
    }

    /// Deletes every lookup attribute of a record.
    pub async fn delete_attributes(&self, uuid: NodeUuid) -> Result<()> {
        self.db
            .write(move |conn| rows::delete_attributes(conn, uuid))
            .await
    }

    /// The options of a record, values decoded from JSON.
    pub async fn options(&self, uuid: NodeUuid) -> Result<BTreeMap<String, serde_json::Value>> {
        let rows: Vec<(String, Option<String>)> = self
            .db
            .read_by_key(move |conn| {
                Ok(options::table
                    .filter(options::uuid.eq(uuid.to_string()))
                    .select((options::name, options::value))
                    .load(conn)?)
            })
            .await?;
        rows.into_iter()
            .map(|(name, value)| {
                let value = match value {
                    Some(text) => serde_json::from_str(&text)?,
                    None => serde_json::Value::Null,
                };
                Ok((name, value))
            })
            .collect()
    }

    /// Sets one option of a record (stored JSON-encoded), replacing any previous value.
    pub async fn set_option(
        &self,
        uuid: NodeUuid,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<()> {
        let (name, encoded) = (name.to_owned(), serde_json::to_string(value)?);
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    let key = uuid.to_string();
                    diesel::delete(
                        options::table
                            .filter(options::uuid.eq(&key))
                            .filter(options::name.eq(&name)),
                    )
                    .execute(conn)?;
                    diesel::insert_into(options::table)
                        .values((
                            options::uuid.eq(&key),
                            options::name.eq(&name),
                            options::value.eq(&encoded),
                        ))
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    /// The MACs of all records (finished records have none): the MACs under introspection.
    pub async fn active_macs(&self) -> Result<std::collections::BTreeSet<String>> {
        let values: Vec<Option<String>> = self
            .db
            .run(|conn| {
                Ok(attributes::table
                    .inner_join(nodes::table)
                    .filter(attributes::name.eq(MAC))
                    .select(attributes::value)
                    .load(conn)?)
            })
            .await?;
        Ok(values.into_iter().flatten().collect())
    }

    /// The number of records in each state (states without records left out).
    pub async fn count_by_state(&self) -> Result<Vec<(State, i64)>> {
        let rows: Vec<(DbState, i64)> = self
            .db
            .run(|conn| {
                Ok(nodes::table
                    .group_by(nodes::state)
                    .select((nodes::state, diesel::dsl::count_star()))
                    .load(conn)?)
            })
            .await?;
        let mut counts: Vec<(State, i64)> =
            rows.into_iter().map(|(state, n)| (state.0, n)).collect();
        counts.sort_by_key(|(state, _)| *state);
        Ok(counts)
    }

    /// Whether at least one record is unfinished.
    pub async fn introspection_active(&self) -> Result<bool> {
        self.db
            .run(|conn| {
                let found: Option<String> = nodes::table
                    .filter(nodes::finished_at.is_null())
                    .select(nodes::uuid)
                    .first(conn)
                    .optional()?;
                Ok(found.is_some())
            })
            .await
    }
}

/// Deletes the record of the row's UUID with its dependents (only stray
/// dependents when `replace_existing` is false), inserts the row and its
/// attributes.
fn replace_record(
    conn: &mut crate::db::AnyConnection,
    row: &NodeRow,
    attributes: &[(String, Vec<String>)],
    replace_existing: bool,
) -> Result<()> {
    let uuid = rows::stored_uuid(&row.uuid)?;
    if replace_existing {
        rows::delete_node(conn, uuid)?;
    } else {
        rows::delete_dependents(conn, uuid)?;
    }
    rows::insert_node(conn, row)?;
    for (name, values) in attributes {
        rows::insert_attributes(conn, uuid, name, values)?;
    }
    Ok(())
}
