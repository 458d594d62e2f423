//! The timeline of a record's introspection: what happened to it, when, with
//! the facts an operator needs (beyond upstream's schema). Bounded per record
//! and deleted with it.

use chrono::NaiveDateTime;
use diesel::Connection;
use diesel::prelude::*;
use inspector_types::NodeUuid;
use serde_json::Value;

use super::NodeCache;
use super::rows::write_transaction;
use crate::db::AnyConnection;
use crate::error::Result;
use crate::schema::introspection_events;

/// One step of an introspection.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// When it happened (the database's precision).
    pub at: NaiveDateTime,
    /// What happened: a short fixed name (`started`, `waiting`, `ramdisk_post`, ...).
    pub kind: String,
    /// The facts, as a JSON object.
    pub detail: Value,
}

impl NodeCache {
    /// A timeline event of `kind` at the current time.
    pub fn event(&self, kind: &str, detail: Value) -> TimelineEvent {
        TimelineEvent {
            at: self.now(),
            kind: kind.to_owned(),
            detail,
        }
    }

    /// Appends `events` to the timeline of `uuid`, then keeps only its newest
    /// [`NodeCache::keeping_events`] events. One transaction.
    pub async fn record_events(&self, uuid: NodeUuid, events: Vec<TimelineEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let rows = EventRows::new(events, self.timeline_keep)?;
        self.db
            .write(move |conn| write_transaction(conn, |conn| rows.insert(conn, uuid)))
            .await
    }

    /// When the last event of `kind` in the timeline of `uuid` happened.
    pub async fn last_event_at(&self, uuid: NodeUuid, kind: &str) -> Result<Option<NaiveDateTime>> {
        let kind = kind.to_owned();
        self.db
            .read_by_key(move |conn| {
                Ok(introspection_events::table
                    .filter(introspection_events::node_uuid.eq(uuid.to_string()))
                    .filter(introspection_events::kind.eq(kind))
                    .order(introspection_events::id.desc())
                    .select(introspection_events::created_at)
                    .first(conn)
                    .optional()?)
            })
            .await
    }

    /// The timeline of `uuid`, oldest first (empty for an unknown record).
    pub async fn timeline(&self, uuid: NodeUuid) -> Result<Vec<TimelineEvent>> {
        let rows: Vec<(NaiveDateTime, String, String)> = self
            .db
            .run(move |conn| {
                Ok(introspection_events::table
                    .filter(introspection_events::node_uuid.eq(uuid.to_string()))
                    .order(introspection_events::id.asc())
                    .select((
                        introspection_events::created_at,
                        introspection_events::kind,
                        introspection_events::detail,
                    ))
                    .load(conn)?)
            })
            .await?;
        rows.into_iter()
            .map(|(at, kind, detail)| {
                Ok(TimelineEvent {
                    at,
                    kind,
                    detail: serde_json::from_str(&detail)?,
                })
            })
            .collect()
    }
}

/// Timeline events encoded for the database, inserted inside a transaction of
/// their caller (so that an event and the state change it tells of are written
/// together).
#[derive(Debug, Clone, Default)]
pub(crate) struct EventRows {
    rows: Vec<(NaiveDateTime, String, String)>,
    keep: i64,
}

impl EventRows {
    pub(crate) fn new(events: Vec<TimelineEvent>, keep: i64) -> Result<Self> {
        let rows = events
            .into_iter()
            .map(|event| Ok((event.at, event.kind, serde_json::to_string(&event.detail)?)))
            .collect::<Result<_>>()?;
        Ok(Self { rows, keep })
    }

    /// Inserts the events of `uuid`, then drops all but its newest `keep` —
    /// in a savepoint of its own: events the database refuses (a detail too
    /// long for MySQL's `TEXT`) are dropped and logged, never failing the
    /// state change they go with. A deadlock still fails the transaction,
    /// which is then retried whole.
    pub(crate) fn insert(&self, conn: &mut AnyConnection, uuid: NodeUuid) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        match conn.transaction(|conn| self.insert_all(conn, uuid)) {
            // Only when the savepoint was rolled back and the caller's
            // transaction is still open: a database that dropped the whole
            // transaction (MySQL on some lock time-outs) must fail it.
            Err(error) if !error.is_transient() && still_in_transaction(conn) => {
                tracing::warn!(node = %uuid, %error, "timeline events dropped");
                Ok(())
            }
            outcome => outcome,
        }
    }

    fn insert_all(&self, conn: &mut AnyConnection, uuid: NodeUuid) -> Result<()> {
        let key = uuid.to_string();
        for (at, kind, detail) in &self.rows {
            diesel::insert_into(introspection_events::table)
                .values((
                    introspection_events::node_uuid.eq(&key),
                    introspection_events::created_at.eq(at),
                    introspection_events::kind.eq(kind),
                    introspection_events::detail.eq(detail),
                ))
                .execute(conn)?;
        }
        // The newest event past the ones kept, if any: it and the older ones
        // go (two statements: MySQL cannot delete from a table its subquery reads).
        let oldest_dropped: Option<i64> = introspection_events::table
            .filter(introspection_events::node_uuid.eq(&key))
            .order(introspection_events::id.desc())
            .offset(self.keep.max(1))
            .select(introspection_events::id)
            .first(conn)
            .optional()?;
        if let Some(id) = oldest_dropped {
            diesel::delete(
                introspection_events::table
                    .filter(introspection_events::node_uuid.eq(&key))
                    .filter(introspection_events::id.le(id)),
            )
            .execute(conn)?;
        }
        Ok(())
    }
}

/// Whether `conn` is still inside a usable transaction.
fn still_in_transaction(conn: &mut AnyConnection) -> bool {
    crate::db::transaction_depth(conn).is_some_and(|depth| depth >= 1)
}
