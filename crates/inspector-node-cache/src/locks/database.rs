//! Node locks stored in the database, so that several service processes
//! sharing one PostgreSQL or MySQL database coordinate through it, as
//! Ironic's conductors do with their node reservations.
//!
//! * An exclusive lock is a `node_locks` row: taking it is one `INSERT` that
//!   the primary key lets exactly one process win. The row names its holder
//!   (host, process, a random part) and the time it was taken.
//! * Holders refresh `heartbeat_at` of their rows; a row whose heartbeat is
//!   older than the expiry belongs to a dead process and is taken over with a
//!   conditional `UPDATE` (one winner), which is logged.
//! * Waiting: `lock` retries a configured number of times with a pause (the
//!   "blocking" mode), [`DbLocks::lock_patient`] until it succeeds, `try_lock`
//!   once. Waiters of the same process queue in memory first.
//! * Shared use takes nothing in the database; [`SharedLock::upgrade`] turns
//!   it into the exclusive lock.
//! * Dropping a [`NodeLock`] deletes the row (then lets the next waiter of
//!   this process in), on every path out of the work.

use std::time::Duration;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use inspector_types::NodeUuid;
use tracing::{debug, warn};

use super::{InProcessLocks, LockError, NodeLock, NodeLocks};
use crate::db::Db;
use crate::schema::node_locks;

/// How database locks wait and expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbLockOptions {
    /// Further attempts of a blocking acquisition after the first.
    pub retry_attempts: u32,
    /// Pause between attempts.
    pub retry_interval: Duration,
    /// How often holders refresh their rows.
    pub heartbeat_interval: Duration,
    /// A row whose heartbeat is older than this belongs to a dead process.
    pub expiry: Duration,
}

impl DbLockOptions {
    /// The waits and expiry of `[coordination]`.
    pub fn from_config(options: &inspector_config::CoordinationOptions) -> Self {
        Self {
            retry_attempts: options.node_locked_retry_attempts,
            retry_interval: Duration::from_secs_f64(options.node_locked_retry_interval),
            heartbeat_interval: Duration::from_secs_f64(options.lock_heartbeat_interval),
            expiry: Duration::from_secs_f64(options.lock_expiry),
        }
    }
}

/// What an empty `[coordination]` gives.
impl Default for DbLockOptions {
    fn default() -> Self {
        Self::from_config(&inspector_config::CoordinationOptions::default())
    }
}

/// This process's name in lock and lease rows: host, process id, random part.
pub fn holder_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

/// The database server's clock: every process compares times from the same
/// clock, whatever the clocks of their hosts say.
pub(super) fn db_now(conn: &mut crate::db::AnyConnection) -> crate::error::Result<NaiveDateTime> {
    Ok(diesel::select(diesel::dsl::now).get_result::<NaiveDateTime>(conn)?)
}

pub(super) fn unavailable(error: impl std::fmt::Display) -> LockError {
    LockError::Unavailable(error.to_string())
}

/// The outcome of one attempt at a lock row.
enum Taken {
    No,
    Inserted,
    Reused,
    From(String),
}

/// Node locks in the `node_locks` table.
#[derive(Debug, Clone)]
pub struct DbLocks {
    db: Db,
    holder: String,
    options: DbLockOptions,
    local: InProcessLocks,
    /// The nodes whose rows this process holds right now.
    held: Arc<Mutex<BTreeSet<String>>>,
}

impl DbLocks {
    /// Locks held as `holder` (see [`holder_id`]).
    pub fn new(db: Db, holder: String, options: DbLockOptions) -> Self {
        Self {
            db,
            holder,
            options,
            local: InProcessLocks::new(),
            held: Arc::default(),
        }
    }

    fn held_rows(&self) -> Vec<String> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// This process's holder name.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Refreshes the heartbeat of the rows this process holds, forever (spawn
    /// it); says so when rows were taken over meanwhile.
    pub async fn run_heartbeat(self) {
        let mut ticker = tokio::time::interval(self.options.heartbeat_interval);
        loop {
            ticker.tick().await;
            let rows = self.held_rows();
            if rows.is_empty() {
                continue;
            }
            let (holder, expected) = (self.holder.clone(), rows.len());
            let result = self
                .db
                .write(move |conn| {
                    let at = db_now(conn)?;
                    Ok(diesel::update(
                        node_locks::table
                            .filter(node_locks::holder.eq(&holder))
                            .filter(node_locks::node_uuid.eq_any(&rows)),
                    )
                    .set(node_locks::heartbeat_at.eq(at))
                    .execute(conn)?)
                })
                .await;
            match result {
                Ok(refreshed) if refreshed < expected => warn!(
                    lost = expected - refreshed,
                    "node locks of this process were taken over (heartbeats came too late)"
                ),
                Ok(_) => {}
                Err(error) => warn!(%error, "cannot refresh node lock heartbeats"),
            }
        }
    }

    /// One attempt: the `INSERT` that exactly one process wins, or the
    /// take-over of a row whose holder stopped beating. The caller holds this
    /// process's in-memory lock of the node, so a row of this very holder is
    /// a leftover (a release that failed) and is simply reused.
    async fn try_row(&self, uuid: NodeUuid) -> Result<bool, LockError> {
        let holder = self.holder.clone();
        let key = uuid.to_string();
        let expiry = chrono::Duration::from_std(self.options.expiry)
            .unwrap_or_else(|_| chrono::Duration::days(1));
        let outcome = write_row(&self.db, move |conn| {
            let at = db_now(conn)?;
            let inserted = diesel::insert_into(node_locks::table)
                .values((
                    node_locks::node_uuid.eq(&key),
                    node_locks::holder.eq(&holder),
                    node_locks::acquired_at.eq(at),
                    node_locks::heartbeat_at.eq(at),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => return Ok(Taken::Inserted),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
                Err(other) => return Err(other.into()),
            }
            let row: Option<(String, NaiveDateTime)> = node_locks::table
                .find(&key)
                .select((node_locks::holder, node_locks::heartbeat_at))
                .load(conn)?
                .into_iter()
                .next();
            let Some((old, beat)) = row else {
                return Ok(Taken::No);
            };
            if old != holder && at - beat < expiry {
                return Ok(Taken::No);
            }
            let updated = diesel::update(
                node_locks::table
                    .filter(node_locks::node_uuid.eq(&key))
                    .filter(node_locks::holder.eq(&old))
                    .filter(node_locks::heartbeat_at.eq(beat)),
            )
            .set((
                node_locks::holder.eq(&holder),
                node_locks::acquired_at.eq(at),
                node_locks::heartbeat_at.eq(at),
            ))
            .execute(conn)?;
            Ok(match (updated, old == holder) {
                (1, true) => Taken::Reused,
                (1, false) => Taken::From(old),
                _ => Taken::No,
            })
        })
        .await
        .map_err(unavailable)?;
        match outcome {
            Taken::No => Ok(false),
            Taken::Inserted => Ok(true),
            Taken::Reused => {
                debug!(node = %uuid, "reused this process's own leftover lock row");
                Ok(true)
            }
            Taken::From(dead) => {
                warn!(node = %uuid, %dead, "took over the lock of a holder that stopped beating");
                Ok(true)
            }
        }
    }

    fn held(&self, uuid: NodeUuid, local: NodeLock) -> NodeLock {
        debug!(node = %uuid, holder = %self.holder, "acquired database lock");
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(uuid.to_string());
        NodeLock::new(
            uuid,
            RowRelease {
                db: self.db.clone(),
                holder: self.holder.clone(),
                uuid,
                local: Some(local),
                held: self.held.clone(),
            },
        )
    }

    /// Waits until the lock is free, however long that takes ("patient" mode).
    pub async fn lock_patient(&self, uuid: NodeUuid) -> Result<NodeLock, LockError> {
        let local = self.local.lock(uuid).await?;
        loop {
            if self.try_row(uuid).await? {
                return Ok(self.held(uuid, local));
            }
            tokio::time::sleep(self.options.retry_interval).await;
        }
    }

    /// Shared use of the node: nothing is taken until [`SharedLock::upgrade`].
    pub fn lock_shared(&self, uuid: NodeUuid) -> SharedLock<'_> {
        SharedLock { locks: self, uuid }
    }
}

/// Shared use of a node (reads only); upgrade it to change the node.
#[derive(Debug)]
pub struct SharedLock<'l> {
    locks: &'l DbLocks,
    uuid: NodeUuid,
}

impl SharedLock<'_> {
    /// The node.
    pub fn uuid(&self) -> NodeUuid {
        self.uuid
    }

    /// Takes the exclusive lock, waiting as a blocking acquisition does.
    pub async fn upgrade(self) -> Result<NodeLock, LockError> {
        self.locks.lock(self.uuid).await
    }
}

#[async_trait::async_trait]
impl NodeLocks for DbLocks {
    async fn lock(&self, uuid: NodeUuid) -> Result<NodeLock, LockError> {
        let local = self.local.lock(uuid).await?;
        for attempt in 0..=self.options.retry_attempts {
            if self.try_row(uuid).await? {
                return Ok(self.held(uuid, local));
            }
            if attempt < self.options.retry_attempts {
                debug!(node = %uuid, attempt, "node is locked by another process; retrying");
                tokio::time::sleep(self.options.retry_interval).await;
            }
        }
        Err(LockError::Timeout(uuid))
    }

    async fn try_lock(&self, uuid: NodeUuid) -> Result<Option<NodeLock>, LockError> {
        let Some(local) = self.local.try_lock(uuid).await? else {
            return Ok(None);
        };
        if self.try_row(uuid).await? {
            Ok(Some(self.held(uuid, local)))
        } else {
            Ok(None)
        }
    }
}

/// Deletes the row when the lock is dropped, then lets the next local waiter in.
struct RowRelease {
    db: Db,
    holder: String,
    uuid: NodeUuid,
    local: Option<NodeLock>,
    held: Arc<Mutex<BTreeSet<String>>>,
}

fn delete_row(
    conn: &mut crate::db::AnyConnection,
    uuid: NodeUuid,
    holder: &str,
) -> crate::error::Result<usize> {
    Ok(diesel::delete(
        node_locks::table
            .filter(node_locks::node_uuid.eq(uuid.to_string()))
            .filter(node_locks::holder.eq(holder)),
    )
    .execute(conn)?)
}

impl Drop for RowRelease {
    fn drop(&mut self) {
        let (db, holder, uuid, local, held) = (
            self.db.clone(),
            std::mem::take(&mut self.holder),
            self.uuid,
            self.local.take(),
            self.held.clone(),
        );
        // The row goes first, then the next waiter of this process is let in.
        // A failed delete is retried; if it keeps failing the row stays
        // registered (and beating), and this process reuses it next time.
        let forget = move || {
            held.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&uuid.to_string());
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    for attempt in 1..=3 {
                        let holder = holder.clone();
                        match db.write(move |conn| delete_row(conn, uuid, &holder)).await {
                            Ok(_) => {
                                forget();
                                break;
                            }
                            Err(error) => {
                                warn!(node = %uuid, %error, attempt, "cannot release a database lock");
                                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                            }
                        }
                    }
                    drop(local);
                });
            }
            Err(_) => {
                match db.run_blocking(|conn| delete_row(conn, uuid, &holder)) {
                    Ok(_) => forget(),
                    Err(error) => warn!(node = %uuid, %error, "cannot release a database lock"),
                }
                drop(local);
            }
        }
    }
}

/// Runs a lock-row write (single statements, no transaction), again
/// after a short random pause when the database chose it as a deadlock
/// victim (MySQL's gap locks meet concurrent inserts and deletes of
/// lock rows).
pub(super) async fn write_row<T, F>(db: &Db, work: F) -> crate::Result<T>
where
    T: Send + 'static,
    F: Fn(&mut crate::db::AnyConnection) -> crate::Result<T> + Clone + Send + 'static,
{
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        match db.write(work.clone()).await {
            Err(error) if attempt < 10 && error.is_transient() => {
                debug!(%error, attempt, "retrying a lock-row write after a deadlock");
                let pause = uuid::Uuid::new_v4().as_u128() % (2_u128 << attempt.min(7)) + 1;
                tokio::time::sleep(std::time::Duration::from_millis(
                    u64::try_from(pause).unwrap_or(1),
                ))
                .await;
            }
            other => return other,
        }
    }
}
