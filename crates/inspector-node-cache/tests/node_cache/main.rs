//! Every node-cache operation, on SQLite always and on PostgreSQL and MySQL
//! when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server: the shared
//! helpers here, one module per concern.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{NaiveDate, TimeDelta};
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{
    Backend, CleanUpPolicy, Error, Event, InProcessLocks, IronicError, IronicNodes, LookupQuery,
    ManualClock, NodeCache, NodeLocks, NodeUuid, State, Strictness,
};
use rstest::rstest;
use rstest_reuse::{apply, template};
use serde_json::json;

/// A stand-in for Ironic with a fixed set of answers.
#[derive(Debug, Default)]
struct FakeIronic {
    names: BTreeMap<String, NodeUuid>,
    port_owner: BTreeMap<String, NodeUuid>,
    bmc_owner: BTreeMap<String, NodeUuid>,
    provision_states: BTreeMap<NodeUuid, String>,
    fail_create: bool,
    created: Mutex<Vec<(String, serde_json::Map<String, serde_json::Value>)>>,
}

#[async_trait]
impl IronicNodes for FakeIronic {
    async fn node_uuid(&self, ident: &str) -> Result<NodeUuid, IronicError> {
        if ident.contains(' ') {
            return Err(IronicError::BadRequest("invalid name".into()));
        }
        self.names
            .get(ident)
            .copied()
            .ok_or_else(|| IronicError::NotFound(format!("node {ident} could not be found")))
    }

    async fn node_by_macs(&self, macs: &[String]) -> Result<Option<NodeUuid>, IronicError> {
        Ok(macs
            .iter()
            .find_map(|mac| self.port_owner.get(mac).copied()))
    }

    async fn node_by_bmc_addresses(
        &self,
        addresses: &[String],
    ) -> Result<Option<NodeUuid>, IronicError> {
        Ok(addresses
            .iter()
            .find_map(|a| self.bmc_owner.get(a).copied()))
    }

    async fn provision_state(&self, uuid: NodeUuid) -> Result<Option<String>, IronicError> {
        Ok(self.provision_states.get(&uuid).cloned())
    }

    async fn create_node(
        &self,
        driver: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<NodeUuid, IronicError> {
        if self.fail_create {
            return Err(IronicError::BadRequest(
                "driver fake-hardware is not enabled".into(),
            ));
        }
        self.created
            .lock()
            .unwrap()
            .push((driver.to_owned(), fields));
        Ok(NodeUuid::new_random())
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn t0() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 2)
        .unwrap()
        .and_hms_opt(3, 4, 5)
        .unwrap()
}

/// Adds a `waiting` record with the given MACs and returns its UUID.
async fn waiting_node(cache: &NodeCache, macs: &[&str]) -> NodeUuid {
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Waiting, true, &[("mac", strings(macs))])
        .await
        .unwrap();
    uuid
}

/// A node cache whose clock only moves when the test says so.
fn cache_with_clock(db: &TestDatabase) -> (NodeCache, Arc<ManualClock>, Arc<InProcessLocks>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let locks = Arc::new(InProcessLocks::new());
    let cache = NodeCache::with_clock(db.db().clone(), locks.clone(), clock.clone());
    (cache, clock, locks)
}

/// Runs a test once per backend: SQLite always, PostgreSQL and MySQL when configured.
#[template]
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[case::mysql(Backend::Mysql)]
fn every_backend(#[case] backend: Backend) {}

/// A migrated database on `backend`, or return from the test when it is skipped.
macro_rules! database {
    ($backend:expr) => {
        inspector_node_cache::database_or_skip!(TestDatabase::migrated($backend))
    };
}

mod database_locks;
mod lifecycle;
mod lookup;
mod records;
mod rules;
mod versions;
