//! Memory under bad input: the running service (SQLite, the fake Ironic)
//! receives 2,000 hostile requests — ramdisk payloads and rules carrying
//! strings of 64 KiB to 4 MiB, JSON nested 1,000 to 100,000 deep, numbers
//! such as `1e400` — from 8 concurrent clients, then one 8 MB payload with
//! 40,000 interfaces. Reports the answers by status, the idle RSS before,
//! the peak (VmHWM) and the RSS once the service is idle again.
//! Targets: peak ≤ 150 MiB; back within 10 MiB of idle; no 5xx.
//!
//! `cargo bench -p ironic-inspector --bench bad_input`; prints a report.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // A benchmark report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

mod support;

use support::status_kib;

const REQUESTS: usize = 2_000;
const CLIENTS: usize = 8;
const NODES: usize = 50;

/// A small deterministic generator (xorshift64*), so that every run sends the same requests.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() as usize) % (high - low + 1)
    }
}

/// One hostile request: the path and the body.
fn hostile(
    index: usize,
    sequence: &mut Sequence,
    template: &Value,
    macs: &[String],
) -> (&'static str, Vec<u8>) {
    let mac = &macs[index % macs.len()];
    let mut payload = template.clone();
    payload["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    match index % 6 {
        // A long string inside the ramdisk payload.
        0 => {
            let length = sequence.between(64 * 1024, 4 * 1024 * 1024);
            payload["inventory"]["system_vendor"]["product_name"] = json!("x".repeat(length));
            ("/v1/continue", serde_json::to_vec(&payload).unwrap())
        }
        // Deep nesting inside the ramdisk payload.
        1 => {
            let depth = sequence.between(1_000, 100_000);
            let mut body = serde_json::to_vec(&payload).unwrap();
            body.pop(); // the closing brace
            body.extend_from_slice(b",\"extra\":");
            body.extend(std::iter::repeat_n(b'[', depth));
            body.extend(std::iter::repeat_n(b']', depth));
            body.push(b'}');
            ("/v1/continue", body)
        }
        // Numbers out of range.
        2 => {
            let body = serde_json::to_string(&payload).unwrap().replacen(
                "\"memory\":{",
                "\"memory\":{\"huge\":1e400,\"long\":123456789012345678901234567890123456789,",
                1,
            );
            ("/v1/continue", body.into_bytes())
        }
        // A long string inside a rule.
        3 => {
            let length = sequence.between(64 * 1024, 4 * 1024 * 1024);
            let rule = json!({"description": "x".repeat(length), "conditions": [],
                              "actions": [{"action": "set-attribute", "path": "/extra/a", "value": "b"}]});
            ("/v1/rules", serde_json::to_vec(&rule).unwrap())
        }
        // Deep nesting inside a rule.
        4 => {
            let depth = sequence.between(1_000, 100_000);
            let mut body = b"{\"conditions\":[],\"actions\":[{\"action\":\"set-attribute\",\"path\":\"/extra/a\",\"value\":".to_vec();
            body.extend(std::iter::repeat_n(b'[', depth));
            body.extend(std::iter::repeat_n(b']', depth));
            body.extend_from_slice(b"}]}");
            ("/v1/rules", body)
        }
        // A long string in a value the hooks read (the boot interface).
        _ => {
            let length = sequence.between(64 * 1024, 4 * 1024 * 1024);
            payload["boot_interface"] = json!("0".repeat(length));
            ("/v1/continue", serde_json::to_vec(&payload).unwrap())
        }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("inspector.sqlite");
    let fake = FakeIronic::start().await.unwrap();
    let template: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    let mut nodes = Vec::new();
    for i in 0..NODES {
        let mac = format!("52:54:03:00:00:{i:02x}");
        let uuid = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
        fake.add_port(uuid, &mac);
        nodes.push((uuid.to_string(), mac));
    }
    let config = support::write_config(dir.path(), &db_path, &fake.url());
    let (mut child, base) = support::spawn_service(&config);
    let pid = child.id();
    let http = reqwest::Client::new();
    while http.get(&base).send().await.is_err() {}
    for (uuid, _) in &nodes {
        let url = format!("{base}/v1/introspection/{uuid}?manage_boot=0");
        assert_eq!(http.post(url).send().await.unwrap().status(), 202);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = status_kib(pid, "VmRSS:");

    let macs: Vec<String> = nodes.iter().map(|(_, mac)| mac.clone()).collect();
    let semaphore = Arc::new(Semaphore::new(CLIENTS));
    let mut sequence = Sequence(0x9e37_79b9_7f4a_7c15);
    let mut tasks = Vec::new();
    for index in 0..REQUESTS {
        let (path, body) = hostile(index, &mut sequence, &template, &macs);
        let (http, url, permit) = (http.clone(), format!("{base}{path}"), semaphore.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit.acquire_owned().await.unwrap();
            let answer = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    let _ = answer.bytes().await;
                    status.to_string()
                }
                Err(_) => "connection error".to_owned(),
            }
        }));
    }
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        *statuses.entry(task.await.unwrap()).or_default() += 1;
    }
    let peak_fuzzed = status_kib(pid, "VmHWM:");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_fuzzed = status_kib(pid, "VmRSS:");

    // One payload with 40,000 interfaces (about 8 MB).
    let mut large = template.clone();
    let interface = large["inventory"]["interfaces"][0].clone();
    large["inventory"]["interfaces"] = Value::Array(
        (0..40_000)
            .map(|i| {
                let mut copy = interface.clone();
                copy["name"] = json!(format!("eth{i}"));
                copy["mac_address"] = json!(format!(
                    "52:55:{:02x}:{:02x}:{:02x}:01",
                    i >> 16,
                    (i >> 8) & 0xff,
                    i & 0xff
                ));
                copy
            })
            .collect(),
    );
    let large_body = serde_json::to_vec(&large).unwrap();
    let large_size = large_body.len();
    let large_status = http
        .post(format!("{base}/v1/continue"))
        .body(large_body)
        .send()
        .await
        .map_or_else(
            |_| "connection error".to_owned(),
            |a| a.status().as_u16().to_string(),
        );
    let peak = status_kib(pid, "VmHWM:");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = status_kib(pid, "VmRSS:");
    let _ = child.kill();
    let _ = child.wait();

    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "bad input: {REQUESTS} hostile requests from {CLIENTS} clients, then one {large_size}-byte payload"
    );
    println!("  answers by status: {statuses:?}; the large payload: {large_status}");
    println!("  idle RSS before:        {:>7.1} MiB", mib(idle));
    println!(
        "  peak RSS, hostile run:  {:>7.1} MiB (target <= 150)",
        mib(peak_fuzzed)
    );
    println!(
        "  RSS 5 s after it:       {:>7.1} MiB ({:+.1} MiB from idle; target within 10)",
        mib(after_fuzzed),
        mib(after_fuzzed) - mib(idle)
    );
    println!("  peak RSS, large one:    {:>7.1} MiB", mib(peak));
    println!(
        "  RSS 5 s after it:       {:>7.1} MiB ({:+.1} MiB from idle)",
        mib(after),
        mib(after) - mib(idle)
    );
}
