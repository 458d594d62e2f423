//! Ramdisk reports that matched no node: when, from where, what they said
//! and why nothing matched (beyond upstream's schema). The newest
//! [`NodeCache::keeping_unmatched`] are kept.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::NodeCache;
use super::rows::write_transaction;
use crate::error::Result;
use crate::schema::unmatched_reports;

/// A ramdisk report that no record (and no enrolment) took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedReport {
    /// Its number: newer reports have larger ones (the marker of a page).
    pub id: i64,
    /// When it arrived (the database's precision).
    pub at: NaiveDateTime,
    /// The address the post came from, when known.
    pub client_address: Option<String>,
    /// The valid MAC addresses it reported.
    pub macs: Vec<String>,
    /// The BMC addresses it reported.
    pub bmc_addresses: Vec<String>,
    /// Why it matched nothing (the look-up error).
    pub reason: String,
}

/// What a new unmatched report says; the time and number are the cache's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUnmatchedReport {
    /// The address the post came from, when known.
    pub client_address: Option<String>,
    /// The valid MAC addresses it reported.
    pub macs: Vec<String>,
    /// The BMC addresses it reported.
    pub bmc_addresses: Vec<String>,
    /// Why it matched nothing.
    pub reason: String,
}

type ReportRow = (i64, NaiveDateTime, Option<String>, String, String, String);

impl NodeCache {
    /// Records an unmatched report, then keeps only the newest
    /// [`NodeCache::keeping_unmatched`]. One transaction.
    pub async fn record_unmatched(&self, report: NewUnmatchedReport) -> Result<()> {
        let at = self.now();
        let keep = self.unmatched_keep;
        let macs = serde_json::to_string(&report.macs)?;
        let bmc_addresses = serde_json::to_string(&report.bmc_addresses)?;
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(unmatched_reports::table)
                        .values((
                            unmatched_reports::created_at.eq(at),
                            unmatched_reports::client_address.eq(&report.client_address),
                            unmatched_reports::macs.eq(&macs),
                            unmatched_reports::bmc_addresses.eq(&bmc_addresses),
                            unmatched_reports::reason.eq(&report.reason),
                        ))
                        .execute(conn)?;
                    // Two statements: MySQL cannot delete from a table its subquery reads.
                    let oldest_dropped: Option<i64> = unmatched_reports::table
                        .order(unmatched_reports::id.desc())
                        .offset(keep)
                        .select(unmatched_reports::id)
                        .first(conn)
                        .optional()?;
                    if let Some(id) = oldest_dropped {
                        diesel::delete(
                            unmatched_reports::table.filter(unmatched_reports::id.le(id)),
                        )
                        .execute(conn)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    /// The unmatched reports kept that arrived at or after `since`, oldest first.
    pub async fn unmatched_since(&self, since: NaiveDateTime) -> Result<Vec<UnmatchedReport>> {
        let mut reports = self.unmatched(self.unmatched_keep, None).await?;
        reports.retain(|report| report.at >= since);
        reports.reverse();
        Ok(reports)
    }

    /// Up to `limit` unmatched reports, newest first, older than the report
    /// numbered `marker` when one is given (that report may be gone already).
    pub async fn unmatched(&self, limit: i64, marker: Option<i64>) -> Result<Vec<UnmatchedReport>> {
        let rows: Vec<ReportRow> = self
            .db
            .run(move |conn| {
                let mut query = unmatched_reports::table
                    .order(unmatched_reports::id.desc())
                    .limit(limit.max(0))
                    .select((
                        unmatched_reports::id,
                        unmatched_reports::created_at,
                        unmatched_reports::client_address,
                        unmatched_reports::macs,
                        unmatched_reports::bmc_addresses,
                        unmatched_reports::reason,
                    ))
                    .into_boxed();
                if let Some(marker) = marker {
                    query = query.filter(unmatched_reports::id.lt(marker));
                }
                Ok(query.load(conn)?)
            })
            .await?;
        rows.into_iter()
            .map(|(id, at, client_address, macs, bmc_addresses, reason)| {
                Ok(UnmatchedReport {
                    id,
                    at,
                    client_address,
                    macs: serde_json::from_str(&macs)?,
                    bmc_addresses: serde_json::from_str(&bmc_addresses)?,
                    reason,
                })
            })
            .collect()
    }
}
