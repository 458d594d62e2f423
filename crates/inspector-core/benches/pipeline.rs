//! Whole-pipeline throughput: start + process for 1,000 nodes against the fake
//! Ironic over HTTP, on the embedded SQLite default, with managed boot.
//!
//! Prints nodes per second and Ironic calls per node, and fails if a node
//! costs more than 10 Ironic calls (upstream makes 13 with the `noop` PXE
//! filter: spec §4.13 less the two PXE-sync port listings). The ten: start —
//! `GET node`, validate, list ports, boot device, reboot; processing — `GET
//! node`, list ports, one `PATCH`, `POST port` (`add_ports = pxe`), power off.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // A benchmark report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_config::{ConductorOptions, ConfigSources, HookOptions, IronicOptions};
use inspector_core::{Conductor, ConductorParts};
use inspector_fake_ironic::FakeIronic;
use inspector_hooks::{HookSet, IntrospectionData};
use inspector_ironic::HttpIronic;
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{Backend, NodeUuid};
use serde_json::{Value, json};

const NODES: usize = 1000;
const CONCURRENCY: usize = 50;
const UPSTREAM_CALLS_PER_NODE: f64 = 13.0;
const MAX_CALLS_PER_NODE: f64 = 10.0;

fn payload(template: &Value, mac: &str, bmc: &str) -> IntrospectionData {
    let mut data = template.clone();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["inventory"]["bmc_address"] = json!(bmc);
    data["inventory"]["bmc_v6address"] = json!("");
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data.as_object().cloned().unwrap()
}

async fn in_batches<F, Fut>(items: Vec<(NodeUuid, String, String)>, work: F)
where
    F: Fn((NodeUuid, String, String)) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    for batch in items.chunks(CONCURRENCY) {
        let tasks: Vec<_> = batch
            .iter()
            .cloned()
            .map(|item| tokio::spawn(work(item)))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = FakeIronic::start().await.unwrap();
        let synchronous = std::env::var("BENCH_SQLITE_SYNCHRONOUS").map_or(true, |v| v != "false");
        let pool = inspector_node_cache::PoolOptions { sqlite_synchronous: synchronous, ..inspector_node_cache::PoolOptions::default() };
        let db = TestDatabase::migrated_with(Backend::Sqlite, &pool).unwrap();
        let text = format!("[ironic]\nauth_type = none\nendpoint_override = {}\n", fake.url());
        let ironic_options =
            IronicOptions::from_sources(&ConfigSources::from_text(&text, std::path::Path::new("b.conf")).unwrap()).unwrap();
        let ironic = Arc::new(HttpIronic::new(&ironic_options).await.unwrap());
        let options = ConductorOptions { introspection_delay: 0, ..ConductorOptions::default() };
        let hooks = HookSet::from_options(&HookOptions::default()).unwrap();
        let mut parts = ConductorParts::new(db.node_cache(), ironic, hooks, options);
        parts.retry_pause = Duration::from_millis(10);
        let conductor = Conductor::new(parts);
        let template: Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/ramdisk/ipa-upstream-base.json")).unwrap();

        let nodes: Vec<(NodeUuid, String, String)> = (0..NODES)
            .map(|i| {
                let mac = format!("52:54:01:{:02x}:{:02x}:{:02x}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
                let bmc = format!("10.8.{}.{}", i / 250, i % 250 + 1);
                let uuid = fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": bmc}, "provision_state": "manageable"}));
                fake.add_port(uuid, &mac);
                (NodeUuid::from_uuid(uuid), mac, bmc)
            })
            .collect();
        let before = fake.requests().len();
        let started = Instant::now();
        let c = conductor.clone();
        in_batches(nodes.clone(), move |(uuid, _, _)| {
            let c = c.clone();
            async move { c.introspect(&uuid.to_string(), true).await.unwrap() }
        })
        .await;
        conductor.wait_idle().await;
        let c = conductor.clone();
        let template = Arc::new(template);
        in_batches(nodes.clone(), move |(uuid, mac, bmc)| {
            let (c, template) = (c.clone(), template.clone());
            async move { assert_eq!(c.process(payload(&template, &mac, &bmc)).await.unwrap(), uuid) }
        })
        .await;
        conductor.wait_idle().await;
        let elapsed = started.elapsed();
        let calls = (fake.requests().len() - before) as f64 / NODES as f64;
        let rate = NODES as f64 / elapsed.as_secs_f64();
        println!("pipeline/start_and_process: {NODES} nodes in {elapsed:.2?} = {rate:.0} nodes/s");
        println!(
            "pipeline/ironic_calls_per_node: {calls:.1} (target <= {MAX_CALLS_PER_NODE}; upstream: {UPSTREAM_CALLS_PER_NODE})"
        );
        for (uuid, _, _) in nodes.iter().step_by(97) {
            let record = db.node_cache().get_node(*uuid).await.unwrap();
            assert_eq!(record.state, inspector_node_cache::State::Finished, "{uuid}");
        }
        assert!(calls <= MAX_CALLS_PER_NODE, "more than {MAX_CALLS_PER_NODE} Ironic calls per node");
    });
}
