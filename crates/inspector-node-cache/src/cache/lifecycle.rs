//! State changes of a record: events, finishing, time-outs and removal of
//! records whose node left Ironic.

use std::collections::HashSet;

use chrono::TimeDelta;
use diesel::prelude::*;
use inspector_fsm::{Event, State, Strictness};
use inspector_types::NodeUuid;
use tracing::{error, info, warn};

use super::rows::{self, NodeChanges, write_transaction};
use super::{EventRows, NodeCache, NodeInfo, TimelineEvent};
use crate::db::DbState;
use crate::error::{Error, Result};
use crate::schema::nodes;

/// What the periodic clean-up does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanUpPolicy {
    /// `[DEFAULT] timeout`: seconds after which an unfinished introspection
    /// fails with `Introspection timeout`; 0 or less disables time-outs.
    pub timeout: i64,
    /// `[DEFAULT] node_status_keep_time`: seconds to keep finished records;
    /// 0 or less keeps them until the node leaves Ironic.
    pub node_status_keep_time: i64,
}

/// Outcome of the transaction of [`NodeCache::finished`].
enum Finish {
    Done(Option<String>, State),
    Refused(inspector_fsm::InvalidTransition),
}

impl NodeCache {
    /// Applies `event` to the record (§1.5 of the spec).
    ///
    /// A valid event writes the new state (self-loops write nothing) guarded by
    /// `version_id`. An invalid event fails with [`Error::InvalidEvent`]; when
    /// `strictness` is strict the record is first finished with an `error`
    /// event carrying that message.
    pub async fn fsm_event(
        &self,
        node: &mut NodeInfo,
        event: Event,
        strictness: Strictness,
    ) -> Result<()> {
        self.fsm_event_recording(node, event, strictness, Vec::new())
            .await
    }

    /// [`NodeCache::fsm_event`], appending `timeline` to the record's timeline
    /// in the same transaction as the new state (only when the event is valid).
    #[tracing::instrument(skip_all, fields(node = %node.uuid, state = %node.state, %event))]
    pub async fn fsm_event_recording(
        &self,
        node: &mut NodeInfo,
        event: Event,
        strictness: Strictness,
        timeline: Vec<TimelineEvent>,
    ) -> Result<()> {
        match inspector_fsm::apply(node.state, event, strictness) {
            Ok(transition) if !transition.changes_state() => {
                self.record_events(node.uuid, timeline).await
            }
            Ok(transition) => {
                let changes = NodeChanges {
                    state: Some(DbState(transition.to)),
                    ..Default::default()
                };
                let timeline = EventRows::new(timeline, self.timeline_keep)?;
                self.commit(node, changes, timeline).await?;
                info!(from = %transition.from, to = %transition.to, "updating node state");
                node.state = transition.to;
                Ok(())
            }
            Err(refusal) => {
                if refusal.fail_introspection {
                    error!(error = %refusal.error, "invalid event");
                    self.finished_recording(
                        node,
                        Event::Error,
                        Some(refusal.error.to_string()),
                        timeline,
                    )
                    .await?;
                } else {
                    warn!(error = %refusal.error, "invalid event");
                }
                Err(Error::InvalidEvent(refusal.error))
            }
        }
    }

    /// Sets `started_at` to now (re-processing restarts the clock of the time-out);
    /// `finished_at` and `error` keep their values. Guarded by `version_id`.
    pub async fn restart_clock(&self, node: &mut NodeInfo) -> Result<()> {
        let now = self.now();
        let changes = NodeChanges {
            started_at: Some(Some(now)),
            ..Default::default()
        };
        self.commit(node, changes, EventRows::default()).await?;
        node.started_at = Some(now);
        Ok(())
    }

    /// Writes `changes` plus a fresh `version_id` if the row still has the
    /// version this snapshot read; otherwise [`Error::StateRace`].
    async fn commit(
        &self,
        node: &mut NodeInfo,
        mut changes: NodeChanges,
        timeline: EventRows,
    ) -> Result<()> {
        let (uuid, expected) = (node.uuid, node.version_id.clone());
        let version = rows::new_version();
        changes.version_id = Some(version.clone());
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    if rows::update_versioned(conn, uuid, expected.as_deref(), &changes)? {
                        timeline.insert(conn, uuid)
                    } else {
                        Err(Error::StateRace(uuid))
                    }
                })
            })
            .await?;
        node.version_id = Some(version);
        Ok(())
    }

    /// Ends the introspection of a record with `event` and an optional error
    /// text (spec §2.5): deletes its lookup attributes and options, applies
    /// `event` leniently, stores `finished_at` and `error`, and releases the
    /// record's lock — after the write, whatever its outcome, so that a waiter
    /// never reads the record half-finished.
    ///
    /// One transaction. When `event` is invalid in the record's state, the
    /// attributes and options are still deleted (as upstream does) but the
    /// state, `finished_at` and `error` stay, and [`Error::InvalidEvent`] is returned.
    #[tracing::instrument(skip_all, fields(node = %node.uuid, state = %node.state, %event))]
    pub async fn finished(
        &self,
        node: &mut NodeInfo,
        event: Event,
        error: Option<String>,
    ) -> Result<()> {
        self.finished_recording(node, event, error, Vec::new())
            .await
    }

    /// [`NodeCache::finished`], appending `timeline` to the record's timeline
    /// in the same transaction.
    pub async fn finished_recording(
        &self,
        node: &mut NodeInfo,
        event: Event,
        error: Option<String>,
        timeline: Vec<TimelineEvent>,
    ) -> Result<()> {
        let outcome = match EventRows::new(timeline, self.timeline_keep) {
            Ok(timeline) => self.finish_record(node, &[event], error, timeline).await,
            Err(error) => Err(error),
        };
        node.release_lock();
        outcome
    }

    /// Ends a failed introspection in `error` with `error` as its text, like
    /// [`NodeCache::finished`] with an `error` event — except that a record
    /// still `waiting` (matched, but processing not yet begun) goes through
    /// `processing` in the same transaction, since the table has no `error`
    /// event from `waiting`. Upstream leaves such a record `waiting` without
    /// an error until the time-out.
    /// `timeline` is appended to the record's timeline in the same transaction.
    #[tracing::instrument(skip_all, fields(node = %node.uuid, state = %node.state))]
    pub async fn failed(
        &self,
        node: &mut NodeInfo,
        error: String,
        timeline: Vec<TimelineEvent>,
    ) -> Result<()> {
        let events: &[Event] = if node.state == State::Waiting {
            &[Event::Process, Event::Error]
        } else {
            &[Event::Error]
        };
        let outcome = match EventRows::new(timeline, self.timeline_keep) {
            Ok(timeline) => {
                self.finish_record(node, events, Some(error), timeline)
                    .await
            }
            Err(error) => Err(error),
        };
        node.release_lock();
        outcome
    }

    async fn finish_record(
        &self,
        node: &mut NodeInfo,
        events: &[Event],
        error: Option<String>,
        timeline: EventRows,
    ) -> Result<()> {
        let events = events.to_vec();
        let (uuid, state, expected) = (node.uuid, node.state, node.version_id.clone());
        let finished_at = self.now();
        let stored_error = error.clone();
        let outcome = self
            .db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    rows::delete_attributes(conn, uuid)?;
                    rows::delete_options(conn, uuid)?;
                    let path = events
                        .iter()
                        .try_fold(state, |from, event| inspector_fsm::next(from, *event));
                    let to = match path {
                        Ok(to) => to,
                        Err(refused) => return Ok(Finish::Refused(refused)),
                    };
                    let version = rows::new_version();
                    let changes = NodeChanges {
                        version_id: Some(version.clone()),
                        state: (to != state).then_some(DbState(to)),
                        finished_at: Some(Some(finished_at)),
                        error: Some(stored_error.clone()),
                        ..Default::default()
                    };
                    if rows::update_versioned(conn, uuid, expected.as_deref(), &changes)? {
                        timeline.insert(conn, uuid)?;
                        Ok(Finish::Done(Some(version), to))
                    } else {
                        Err(Error::StateRace(uuid))
                    }
                })
            })
            .await?;
        match outcome {
            Finish::Done(version, to) => {
                if to != node.state {
                    info!(from = %node.state, %to, "updating node state");
                }
                node.version_id = version;
                node.state = to;
                node.finished_at = Some(finished_at);
                node.error = error;
                Ok(())
            }
            Finish::Refused(refused) => {
                warn!(error = %refused, "invalid event");
                Err(Error::InvalidEvent(refused))
            }
        }
    }

    /// Fails unfinished introspections older than the time-out and, when
    /// configured, deletes finished records older than the keep time.
    /// Returns the UUIDs that timed out. Records locked by someone else are
    /// skipped this round.
    #[tracing::instrument(skip_all)]
    pub async fn clean_up(&self, policy: CleanUpPolicy) -> Result<Vec<NodeUuid>> {
        let now = self.now();
        if policy.node_status_keep_time > 0 {
            self.delete_finished_before(now - TimeDelta::seconds(policy.node_status_keep_time))
                .await?;
        }
        if policy.timeout <= 0 {
            return Ok(Vec::new());
        }
        let threshold = now - TimeDelta::seconds(policy.timeout);
        let candidates: Vec<String> = self
            .db
            .run(move |conn| {
                Ok(nodes::table
                    .filter(nodes::finished_at.is_null())
                    .filter(nodes::started_at.lt(threshold))
                    .select(nodes::uuid)
                    .order(nodes::uuid)
                    .load(conn)?)
            })
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        error!(nodes = ?candidates, "introspection has timed out");
        let mut timed_out = Vec::new();
        for candidate in candidates {
            let uuid = rows::stored_uuid(&candidate)?;
            let mut node = self.get_node(uuid).await?;
            if !node.acquire_lock(self.locks(), false).await? {
                info!(node = %uuid, "node is locked, skipping its time-out this round");
                continue;
            }
            // Re-read under the lock: the record may have moved on meanwhile.
            let lock = node.lock.take();
            node = self.get_node(uuid).await?;
            node.lock = lock;
            if node.finished_at.is_some() || node.started_at.is_some_and(|at| at > threshold) {
                continue;
            }
            if node.state != State::Waiting {
                error!(node = %uuid, state = %node.state, "timeout occurred while introspection was in an active state");
            }
            let mut message = "Introspection timeout".to_owned();
            if let Some(explain) = &self.explain_timeout {
                // A story that cannot be read leaves the plain text: the
                // time-out itself must happen.
                let since = node.started_at.unwrap_or_default();
                let read = async {
                    Ok::<_, Error>((
                        self.timeline(uuid).await?,
                        self.unmatched_since(since).await?,
                    ))
                };
                let (events, unmatched) = read.await.unwrap_or_else(|error| {
                    warn!(node = %uuid, %error, "cannot read the timeline to explain the time-out");
                    (Vec::new(), Vec::new())
                });
                let diagnosis = explain(&events, &unmatched);
                if !diagnosis.is_empty() {
                    message = format!("{message}: {diagnosis}");
                }
            }
            let timed_out_event =
                self.event("timed_out", serde_json::json!({"timeout": policy.timeout}));
            self.finished_recording(
                &mut node,
                Event::Timeout,
                Some(message),
                vec![timed_out_event],
            )
            .await?;
            timed_out.push(uuid);
        }
        Ok(timed_out)
    }

    /// Deletes finished records whose `finished_at` is before `cutoff`.
    async fn delete_finished_before(&self, cutoff: chrono::NaiveDateTime) -> Result<()> {
        let deleted = self
            .db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    let uuids: Vec<String> = nodes::table
                        .filter(nodes::finished_at.lt(cutoff))
                        .select(nodes::uuid)
                        .load(conn)?;
                    for uuid in &uuids {
                        rows::delete_node(conn, rows::stored_uuid(uuid)?)?;
                    }
                    Ok(uuids.len())
                })
            })
            .await?;
        if deleted > 0 {
            info!(
                count = deleted,
                "deleted finished records past node_status_keep_time"
            );
        }
        Ok(())
    }

    /// Deletes the records of nodes that are not in `ironic_uuids` (nodes gone
    /// from Ironic), each under its node lock; returns the deleted UUIDs.
    #[tracing::instrument(skip_all)]
    pub async fn delete_nodes_not_in_list(
        &self,
        ironic_uuids: &HashSet<NodeUuid>,
    ) -> Result<Vec<NodeUuid>> {
        let all: Vec<String> = self
            .db
            .run(|conn| {
                Ok(nodes::table
                    .select(nodes::uuid)
                    .order(nodes::uuid)
                    .load(conn)?)
            })
            .await?;
        let mut deleted = Vec::new();
        for text in all {
            let uuid = rows::stored_uuid(&text)?;
            if ironic_uuids.contains(&uuid) {
                continue;
            }
            warn!(node = %uuid, "Node {uuid} was deleted from Ironic, dropping from Ironic Inspector database");
            let _lock = self.locks.lock(uuid).await?;
            self.db
                .write(move |conn| write_transaction(conn, |conn| rows::delete_node(conn, uuid)))
                .await?;
            deleted.push(uuid);
        }
        Ok(deleted)
    }
}
