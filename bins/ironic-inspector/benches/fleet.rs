//! A fleet at once: 10,000 introspections started (managed boot) and waiting
//! at the same time, over 90,000 finished records (100,000 in all), on SQLite
//! and, where `TEST_POSTGRES_URL` names a server, on PostgreSQL. Targets on a
//! 2-core machine:
//!
//! * start throughput (starts answered and boots prepared per second);
//! * `/v1/continue` p99 ≤ 5 ms for the look-up at 10,000 waiting: measured
//!   by the post of a machine that matches no node (a look-up over every
//!   waiting node's attributes, and the unmatched report written), beside
//!   the full post of a waiting node (look-up, hooks, Ironic, finishing);
//! * `GET /v1/introspection` p50 ≤ 20 ms, default page and `limit=1000`;
//! * peak RSS of the service ≤ 100 MiB.
//!
//! `cargo bench -p ironic-inspector --bench fleet`; prints a report. The PXE
//! filter sync with 10,000 MACs is `ironic-inspector-rootwrap`'s
//! `pxe_filter_sync` benchmark.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // A benchmark report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_node_cache::Backend;
use inspector_node_cache::testing::TestDatabase;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

mod support;

const FLEET: usize = 10_000;
const HISTORY: usize = 90_000;
const CLIENTS: usize = 16;
const SAMPLES: usize = 200;

fn main() {
    support::fake_ironic::serve_if_asked();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        run(Backend::Sqlite).await;
        if inspector_node_cache::testing::server_url(Backend::Postgres).is_some() {
            run(Backend::Postgres).await;
        } else {
            println!("fleet/postgres: SKIPPED (TEST_POSTGRES_URL is not set)");
        }
    });
}

fn mac(i: usize) -> String {
    format!(
        "52:54:03:{:02x}:{:02x}:{:02x}",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff
    )
}

/// `requests` sent by `CLIENTS` clients at once; each answer's status checked.
async fn concurrently(http: &reqwest::Client, requests: Vec<reqwest::Request>, expected: u16) {
    let semaphore = Arc::new(Semaphore::new(CLIENTS));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let (http, semaphore) = (http.clone(), semaphore.clone());
            tokio::spawn(async move {
                let _permit = semaphore.acquire_owned().await.unwrap();
                let status = http.execute(request).await.unwrap().status();
                assert_eq!(status, expected);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Latencies of `count` requests made one after another by `build`, sorted.
async fn latencies(
    count: usize,
    mut send: impl AsyncFnMut(usize) -> u16,
    expected: u16,
) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(count);
    for i in 0..count {
        let sent = Instant::now();
        assert_eq!(send(i).await, expected);
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    latencies
}

async fn run(backend: Backend) {
    let name = format!("{backend:?}").to_lowercase();
    let dir = tempfile::tempdir().unwrap();
    let (db, connection) = match backend {
        Backend::Sqlite => {
            let path = dir.path().join("inspector.sqlite");
            let url =
                inspector_node_cache::DatabaseUrl::parse(&format!("sqlite:///{}", path.display()))
                    .unwrap();
            let db = TestDatabase::existing(&url).unwrap();
            db.db().upgrade_blocking(None).unwrap();
            (db, format!("sqlite:///{}", path.display()))
        }
        _ => {
            let db = TestDatabase::migrated(backend).unwrap();
            let connection = db.url().target().to_owned();
            (db, connection)
        }
    };
    // The history: finished records without look-up attributes.
    db.populate_waiting_nodes(HISTORY).unwrap();
    db.execute_sql("DELETE FROM attributes").unwrap();
    db.execute_sql("UPDATE nodes SET state = 'finished', finished_at = started_at")
        .unwrap();

    let fake = support::fake_ironic::FakeIronicProcess::spawn();
    let http = reqwest::Client::new();
    let bodies = (0..FLEET)
        .map(|i| {
            let body = json!({"driver": "ipmi", "driver_info": {"ipmi_address": format!("10.9.{}.{}", i / 250, i % 250 + 1)}, "provision_state": "manageable"});
            (body, mac(i))
        })
        .collect();
    let nodes = fake.add_nodes(&http, bodies).await;
    let config = support::write_config(dir.path(), std::path::Path::new("unused"), fake.url());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace(
        "connection = sqlite:///unused",
        &format!("connection = {connection}"),
    );
    std::fs::write(&config, text).unwrap();
    let (mut child, base) = support::spawn_service(&config);
    while http.get(&base).send().await.is_err() {}

    // The fleet starts: 202s, then every boot prepared (nodes waiting).
    let started = Instant::now();
    let starts = nodes
        .iter()
        .map(|uuid| {
            http.post(format!("{base}/v1/introspection/{uuid}"))
                .build()
                .unwrap()
        })
        .collect();
    concurrently(&http, starts, 202).await;
    let answered = started.elapsed();
    support::wait_for_metric(
        &http,
        &base,
        &format!("ironic_inspector_boot_preparation_seconds_count {FLEET}"),
    )
    .await;
    let waiting = started.elapsed();

    let template: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    let payload = |mac: &str| {
        let mut data = template.clone();
        data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
        data["inventory"]["bmc_address"] = json!("");
        data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
        serde_json::to_vec(&data).unwrap()
    };
    // The status of one post of the payload of a machine whose PXE MAC is `mac`.
    let post = async |mac: String| {
        let answer = http
            .post(format!("{base}/v1/continue"))
            .body(payload(&mac))
            .send()
            .await;
        answer.unwrap().status().as_u16()
    };
    let unknown = latencies(
        SAMPLES,
        async |i| post(format!("52:54:04:00:{:02x}:{:02x}", i / 256, i % 256)).await,
        400,
    )
    .await;
    let posted = latencies(
        SAMPLES,
        async |i| post(mac(i * (FLEET / SAMPLES))).await,
        200,
    )
    .await;
    let list = async |query: &'static str| {
        latencies(
            20,
            async |_| {
                let answer = http
                    .get(format!("{base}/v1/introspection{query}"))
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                answer.bytes().await.unwrap();
                status
            },
            200,
        )
        .await
    };
    let default_page = list("").await;
    let thousand = list("?limit=1000").await;
    let peak_rss = support::status_kib(child.id(), "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();

    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "fleet/{name}/start: {FLEET} answered in {answered:.2?} ({:.0}/s), all waiting after {waiting:.2?} ({:.0}/s)",
        FLEET as f64 / answered.as_secs_f64(),
        FLEET as f64 / waiting.as_secs_f64()
    );
    let p99 = support::percentile(&unknown, 0.99);
    println!(
        "fleet/{name}/continue_lookup_at_{FLEET}_waiting (a machine matching none): p50 {:.2?} p99 {p99:.2?} target p99 <= 5 ms: {}",
        support::percentile(&unknown, 0.5),
        verdict(p99 <= Duration::from_millis(5))
    );
    println!(
        "fleet/{name}/continue_full_at_{FLEET}_waiting: p50 {:.2?} p99 {:.2?}",
        support::percentile(&posted, 0.5),
        support::percentile(&posted, 0.99)
    );
    for (what, sorted) in [("default page", &default_page), ("limit=1000", &thousand)] {
        let p50 = support::percentile(sorted, 0.5);
        println!(
            "fleet/{name}/list {what} of {} records: p50 {p50:.2?} p99 {:.2?} target p50 <= 20 ms: {}",
            FLEET + HISTORY,
            support::percentile(sorted, 0.99),
            verdict(p50 <= Duration::from_millis(20))
        );
    }
    println!(
        "fleet/{name}/peak_rss: {:.1} MiB target <= 100: {}",
        peak_rss as f64 / 1024.0,
        verdict(peak_rss <= 100 * 1024)
    );
}
