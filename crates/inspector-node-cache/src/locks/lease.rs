//! Task leases in the `leases` table: which process runs a periodic task until
//! the lease expires; its holder renews it, another process takes it once
//! expired.

use std::time::Duration;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tracing::{debug, info, warn};

use super::LockError;
use super::database::{db_now, unavailable, write_row};
use crate::db::Db;
use crate::schema::leases;

/// Leases of periodic tasks in the `leases` table.
#[derive(Debug, Clone)]
pub struct DbLease {
    db: Db,
    holder: String,
    ttl: Duration,
}

impl DbLease {
    /// Leases held as `holder`, valid for `ttl` unless renewed.
    pub fn new(db: Db, holder: String, ttl: Duration) -> Self {
        Self { db, holder, ttl }
    }

    /// Takes or renews the lease of `task`; whether this process holds it.
    pub async fn acquire(&self, task: &str) -> Result<bool, LockError> {
        let name = task.to_owned();
        let (holder, task) = (self.holder.clone(), task.to_owned());
        let ttl =
            chrono::Duration::from_std(self.ttl).unwrap_or_else(|_| chrono::Duration::days(1));
        let outcome = write_row(&self.db, move |conn| {
            let at = db_now(conn)?;
            let renewed = diesel::update(
                leases::table
                    .filter(leases::name.eq(&task))
                    .filter(leases::holder.eq(&holder).or(leases::expires_at.lt(at))),
            )
            .set((leases::holder.eq(&holder), leases::expires_at.eq(at + ttl)))
            .execute(conn)?;
            if renewed == 1 {
                return Ok(true);
            }
            let inserted = diesel::insert_into(leases::table)
                .values((
                    leases::name.eq(&task),
                    leases::holder.eq(&holder),
                    leases::expires_at.eq(at + ttl),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => Ok(true),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
                Err(other) => Err(other.into()),
            }
        })
        .await
        .map_err(unavailable)?;
        if outcome {
            debug!(task = %name, "lease held");
        }
        Ok(outcome)
    }

    /// Gives up the leases this process holds (at shutdown), so that another
    /// process takes them at once.
    pub async fn release_all(&self) {
        let holder = self.holder.clone();
        let result = self
            .db
            .run(move |conn| {
                Ok(
                    diesel::delete(leases::table.filter(leases::holder.eq(&holder)))
                        .execute(conn)?,
                )
            })
            .await;
        match result {
            Ok(count) => info!(count, "task leases released"),
            Err(error) => warn!(%error, "cannot release task leases"),
        }
    }
}
