//! A connection flood against the real binary: 1,000 idle TCP connections and
//! 50 clients sending their headers one byte every 200 ms, while a normal
//! client keeps asking for a status. The normal client's answers all come,
//! and their latency is reported beside the same calls without the flood.
//! The limits are the `[api]` options: `header_read_timeout` closes slow and
//! idle connections, `max_connections` holds further clients in the backlog.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // Test helpers unwrap; figures are printed.

mod common;

use std::time::{Duration, Instant};

use inspector_fake_ironic::FakeIronic;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IDLE: usize = 1_000;
const SLOW: usize = 50;
const CALLS: usize = 200;

/// `CALLS` status calls one after another; their latencies, sorted.
async fn latencies(http: &reqwest::Client, url: &str) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let asked = Instant::now();
        let answer = http.get(url).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        let _ = answer.bytes().await.unwrap();
        latencies.push(asked.elapsed());
    }
    latencies.sort();
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_clients_are_served_through_a_connection_flood() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
    fake.add_port(node, "52:54:00:17:07:01");
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let http = reqwest::Client::new();
    let started = common::start_introspection(&http, &service.url, &node.to_string()).await;
    assert_eq!(started.status(), 202);
    let status_url = format!("{}/v1/introspection/{node}", service.url);
    let quiet = latencies(&http, &status_url).await;

    let address = service.url.trim_start_matches("http://").to_owned();
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    let slow: Vec<_> = (0..SLOW)
        .map(|_| {
            let address = address.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(&address).await.unwrap();
                for byte in b"GET /v1/rules HTTP/1.1\r\nhost: x\r\nx-slow: "
                    .iter()
                    .cycle()
                    .take(10_000)
                {
                    if stream.write_all(&[*byte]).await.is_err() {
                        return true; // the service closed it
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                false
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let flooded = latencies(&http, &status_url).await;
    println!(
        "status calls: quiet p50 {:?} p99 {:?}; with {IDLE} idle and {SLOW} slow-header connections p50 {:?} p99 {:?}",
        percentile(&quiet, 0.5),
        percentile(&quiet, 0.99),
        percentile(&flooded, 0.5),
        percentile(&flooded, 0.99),
    );
    for task in slow {
        task.abort();
    }
    drop(idle);
    assert_eq!(flooded.len(), CALLS, "every call was answered");
    // A fresh connection is still accepted once the flood is gone.
    assert_eq!(http.get(&status_url).send().await.unwrap().status(), 200);
}

/// Reads until the service closes `stream`; how long that took.
async fn closed_after(mut stream: TcpStream) -> Duration {
    let waited = Instant::now();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut sink)).await;
    waited.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limits_are_the_api_options() {
    let fake = FakeIronic::start().await.unwrap();
    let service = common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        "[api]\nmax_connections = 3\nheader_read_timeout = 2\n",
    ));
    let address = service.url.trim_start_matches("http://").to_owned();

    // An idle connection and a slow head are both closed after 2 s.
    let idle = TcpStream::connect(&address).await.unwrap();
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /v1/rules HTTP/1.1\r\nhost")
        .await
        .unwrap();
    let (idle, slow) = tokio::join!(closed_after(idle), closed_after(slow));
    for waited in [idle, slow] {
        assert!(
            waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10),
            "{waited:?}"
        );
    }

    // Three connections are served at once; a fourth waits until one closes.
    let held: Vec<_> = futures_util::future::join_all((0..3).map(|_| TcpStream::connect(&address)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let http = reqwest::Client::new();
    let rules = format!("{}/v1/rules", service.url);
    let waiting = tokio::time::timeout(Duration::from_millis(700), http.get(&rules).send()).await;
    assert!(
        waiting.is_err(),
        "a fourth connection was served: {waiting:?}"
    );
    drop(held);
    let served = tokio::time::timeout(Duration::from_secs(5), http.get(&rules).send()).await;
    assert_eq!(served.unwrap().unwrap().status(), 200);
}
