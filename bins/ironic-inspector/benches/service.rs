//! The running service driven over HTTP by simulated ramdisks, against the
//! fake Ironic, on SQLite (spec targets for a 2-core machine):
//!
//! * introspections/s end to end (start + `/v1/continue` + finish): ≥ 200;
//! * `/v1/continue` p50/p99 latency at 16 concurrent clients: p99 ≤ 50 ms;
//! * `GET /v1/introspection?limit=1000` latency with 10,000 records;
//! * idle and peak RSS (idle ≤ 30 MB) and time until ready (≤ 200 ms);
//! * CPU time of the service process per introspection (≤ 3 ms; the fake
//!   Ironic runs in a process of its own, answering with documents of a real
//!   Ironic's size, so none of its CPU is counted; its own is reported
//!   beside) and Ironic calls per introspection (≤ 10), with managed boot.
//!
//! `cargo bench -p ironic-inspector --bench service`; prints a report.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // A benchmark report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_node_cache::DatabaseUrl;
use inspector_node_cache::testing::TestDatabase;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

mod support;

const NODES: usize = 1000;
const CLIENTS: usize = 16;
const RECORDS: usize = 10_000;
/// Rounds of NODES introspections (the same nodes again), RSS read after each.
const ROUNDS: usize = 10;

fn main() {
    support::fake_ironic::serve_if_asked();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("inspector.sqlite");
    let url = DatabaseUrl::parse(&format!("sqlite:///{}", db_path.display())).unwrap();
    {
        let db = TestDatabase::existing(&url).unwrap();
        db.db().upgrade_blocking(None).unwrap();
        db.populate_waiting_nodes(RECORDS).unwrap();
    }
    let mut fake = support::fake_ironic::FakeIronicProcess::spawn();
    let template: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    let http = reqwest::Client::new();
    let macs: Vec<String> = (0..NODES)
        .map(|i| {
            format!(
                "52:54:02:{:02x}:{:02x}:{:02x}",
                (i >> 16) & 0xff,
                (i >> 8) & 0xff,
                i & 0xff
            )
        })
        .collect();
    let bodies = (0..NODES)
        .map(|i| {
            let body = json!({"driver": "ipmi", "driver_info": {"ipmi_address": format!("10.7.{}.{}", i / 250, i % 250 + 1), "ipmi_username": "admin", "ipmi_password": "******", "deploy_kernel": "http://images.example.com/ipa.kernel", "deploy_ramdisk": "http://images.example.com/ipa.initramfs"}, "provision_state": "manageable", "resource_class": "baremetal"});
            (body, macs[i].clone())
        })
        .collect();
    let uuids = fake.add_nodes(&http, bodies).await;
    let nodes: Vec<(String, String)> = uuids.into_iter().zip(macs).collect();
    let config = support::write_config(dir.path(), &db_path, fake.url());

    let spawned = Instant::now();
    let (mut child, base) = support::spawn_service(&config);
    while http.get(&base).send().await.is_err() {}
    let ready = spawned.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = support::status_kib(child.id(), "VmRSS:");

    // Start and process NODES introspections with CLIENTS concurrent clients;
    // the first round is measured, the next ones show whether memory grows.
    let template = Arc::new(template);
    let cpu_before = support::cpu_time(child.id());
    let fake_cpu_before = support::cpu_time(fake.pid());
    let calls_before = fake.requests();
    let started = Instant::now();
    let mut latencies = introspect_all(&http, &base, &nodes, &template, 0).await;
    let elapsed = started.elapsed();
    let cpu = support::cpu_time(child.id()) - cpu_before;
    let fake_cpu = support::cpu_time(fake.pid()) - fake_cpu_before;
    let calls = (fake.requests() - calls_before) as f64 / NODES as f64;
    latencies.sort();
    let mut rss_by_round = vec![support::status_kib(child.id(), "VmRSS:")];
    for round in 1..ROUNDS {
        introspect_all(&http, &base, &nodes, &template, round).await;
        rss_by_round.push(support::status_kib(child.id(), "VmRSS:"));
    }

    let mut list_latencies = Vec::new();
    for _ in 0..20 {
        let sent = Instant::now();
        let answer = http
            .get(format!("{base}/v1/introspection?limit=1000"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        answer.bytes().await.unwrap();
        list_latencies.push(sent.elapsed());
    }
    list_latencies.sort();
    let peak_rss = support::status_kib(child.id(), "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();

    let rate = NODES as f64 / elapsed.as_secs_f64();
    let p99 = support::percentile(&latencies, 0.99);
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "service/introspections_per_second: {rate:.0} ({NODES} in {elapsed:.2?}) target >= 200: {}",
        verdict(rate >= 200.0)
    );
    println!(
        "service/continue_latency_{CLIENTS}_clients: p50 {:.1?} p99 {p99:.1?} target p99 <= 50 ms: {}",
        support::percentile(&latencies, 0.5),
        verdict(p99 <= Duration::from_millis(50))
    );
    println!(
        "service/list_1000_of_{} records: p50 {:.1?} p99 {:.1?}",
        RECORDS + NODES,
        support::percentile(&list_latencies, 0.5),
        support::percentile(&list_latencies, 0.99)
    );
    println!(
        "service/rss: idle {:.1} MiB target <= 30: {}, peak {:.1} MiB",
        idle_rss as f64 / 1024.0,
        verdict(idle_rss <= 30 * 1024),
        peak_rss as f64 / 1024.0
    );
    let cpu_per_introspection = cpu / NODES as u32;
    println!(
        "service/cpu_per_introspection: {cpu_per_introspection:.2?} ({cpu:.2?} for {NODES}) target <= 3 ms: {}",
        verdict(cpu_per_introspection <= Duration::from_millis(3))
    );
    println!(
        "service/fake_ironic_cpu_per_introspection (not the service's): {:.2?}",
        fake_cpu / NODES as u32
    );
    println!(
        "service/ironic_calls_per_introspection: {calls:.1} target <= 10: {}",
        verdict(calls <= 10.0)
    );
    let rss: Vec<String> = rss_by_round
        .iter()
        .map(|kib| format!("{:.1}", *kib as f64 / 1024.0))
        .collect();
    println!(
        "service/rss_every_{NODES}_introspections (MiB, {} in all): {}",
        NODES * ROUNDS,
        rss.join(" ")
    );
    println!(
        "service/ready_after_start: {ready:.1?} target <= 200 ms: {}",
        verdict(ready <= Duration::from_millis(200))
    );
}

/// Starts an introspection of every node, waits for the boots to be
/// prepared, posts every node's data, and waits until all finished;
/// `round` earlier rounds were done. The latencies of the posts.
async fn introspect_all(
    http: &reqwest::Client,
    base: &str,
    nodes: &[(String, String)],
    template: &Arc<Value>,
    round: usize,
) -> Vec<Duration> {
    let semaphore = Arc::new(Semaphore::new(CLIENTS));
    let mut tasks = Vec::new();
    for (uuid, _) in nodes {
        let (http, url, permit) = (
            http.clone(),
            format!("{base}/v1/introspection/{uuid}"),
            semaphore.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = permit.acquire_owned().await.unwrap();
            assert_eq!(http.post(url).send().await.unwrap().status(), 202);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let done = NODES * (round + 1);
    // Boot preparation (boot device, reboot) runs after the 202: the ramdisks post once it is done.
    support::wait_for_metric(
        http,
        base,
        &format!("ironic_inspector_boot_preparation_seconds_count {done}"),
    )
    .await;
    let mut tasks = Vec::new();
    for (_, mac) in nodes {
        let (http, url, permit, template, mac) = (
            http.clone(),
            format!("{base}/v1/continue"),
            semaphore.clone(),
            template.clone(),
            mac.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut data = (*template).clone();
            data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
            data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
            let body = serde_json::to_vec(&data).unwrap();
            let _permit = permit.acquire_owned().await.unwrap();
            let sent = Instant::now();
            let status = http.post(url).body(body).send().await.unwrap().status();
            assert_eq!(status, 200);
            sent.elapsed()
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await.unwrap());
    }
    support::wait_for_metric(
        http,
        base,
        &format!("ironic_inspector_introspections_finished_total {done}"),
    )
    .await;
    latencies
}
