//! Several service processes on one PostgreSQL database (`TEST_POSTGRES_URL`)
//! and on one MariaDB database (`TEST_MYSQL_URL`): the round trip of a
//! database node lock, and end-to-end introspections/s with 1, 2 and 3
//! processes, clients spreading their requests over the processes.
//!
//! `cargo bench -p ironic-inspector --bench multi_process`; prints a report.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // A benchmark report.

use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_fake_ironic::FakeIronic;
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{Backend, DbLockOptions, DbLocks, NodeLocks, NodeUuid};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

mod support;

const NODES: usize = 600;
const CLIENTS: usize = 16;
const LOCKS: usize = 500;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for backend in [Backend::Postgres, Backend::Mysql] {
            lock_round_trip(backend).await;
        }
        for backend in [Backend::Postgres, Backend::Mysql] {
            for processes in 1..=3 {
                introspections(backend, processes).await;
            }
        }
    });
}

async fn lock_round_trip(backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        println!("locks/{backend:?}: SKIPPED (no server configured)");
        return;
    };
    let locks = DbLocks::new(
        db.db().clone(),
        "bench:1:a".into(),
        DbLockOptions::default(),
    );
    let uuids: Vec<NodeUuid> = (0..LOCKS).map(|_| NodeUuid::new_random()).collect();
    let started = Instant::now();
    let mut held = Vec::new();
    for uuid in &uuids {
        held.push(locks.try_lock(*uuid).await.unwrap().unwrap());
    }
    let acquire = started.elapsed() / LOCKS as u32;
    let started = Instant::now();
    drop(held);
    while db.count_rows("node_locks").unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let release = started.elapsed() / LOCKS as u32;
    println!(
        "locks/{backend:?}: acquire {acquire:.2?}, release {release:.2?}, round trip {:.2?} per lock ({LOCKS} locks)",
        acquire + release
    );
}

fn spawn(dir: &std::path::Path, index: usize, database: &str, ironic: &str) -> (Child, String) {
    let config = dir.join(format!("inspector-{index}.conf"));
    std::fs::write(
        &config,
        format!(
            "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = 0\nclean_up_period = 0\n\
             [database]\nconnection = {database}\n[ironic]\nauth_type = none\nendpoint_override = {ironic}\n\
             [api]\ncontinue_rate_per_client = 0\ncontinue_rate_overall = 0\n[pxe_filter]\ndriver = noop\n\
             [coordination]\nlocks = database\nnode_locked_retry_interval = 0.05\nnode_locked_retry_attempts = 100\n"
        ),
    )
    .unwrap();
    support::spawn_service(&config)
}

async fn finished_total(http: &reqwest::Client, urls: &[String]) -> usize {
    let mut total = 0;
    for url in urls {
        total += support::metrics(http, url)
            .await
            .lines()
            .find_map(|l| l.strip_prefix("ironic_inspector_introspections_finished_total "))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
    }
    total
}

async fn introspections(backend: Backend, processes: usize) {
    let Some(db) = TestDatabase::migrated(backend) else {
        println!("multi_process/{processes}/{backend:?}: SKIPPED (no server configured)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeIronic::start().await.unwrap();
    let template: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    let nodes: Vec<(String, String)> = (0..NODES)
        .map(|i| {
            let mac = format!("52:54:03:{:02x}:{:02x}:{:02x}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
            let uuid = fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": format!("10.8.{}.{}", i / 250, i % 250 + 1)}, "provision_state": "manageable"}));
            fake.add_port(uuid, &mac);
            (uuid.to_string(), mac)
        })
        .collect();
    let children: Vec<(Child, String)> = (0..processes)
        .map(|i| spawn(dir.path(), i, db.url().target(), &fake.url()))
        .collect();
    let urls: Arc<Vec<String>> = Arc::new(children.iter().map(|(_, u)| u.clone()).collect());
    let http = reqwest::Client::new();
    let semaphore = Arc::new(Semaphore::new(CLIENTS));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (uuid, mac)) in nodes.iter().enumerate() {
        let (http, urls, semaphore, uuid) =
            (http.clone(), urls.clone(), semaphore.clone(), uuid.clone());
        let mut data = template.clone();
        data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
        data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire().await.unwrap();
            let url = &urls[i % urls.len()];
            let status = http
                .post(format!("{url}/v1/introspection/{uuid}?manage_boot=0"))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 202);
            let other = &urls[(i + 1) % urls.len()];
            let status = http
                .post(format!("{other}/v1/continue"))
                .json(&data)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    while finished_total(&http, &urls).await < NODES {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "multi_process/{processes}_process(es)/{backend:?}: {:.0} introspections/s ({NODES} in {elapsed:.2?}, start on one process, data posted to another)",
        NODES as f64 / elapsed.as_secs_f64()
    );
    for (mut child, _) in children {
        let _ = child.kill();
        let _ = child.wait();
    }
}
