//! SQLite on a full disk: the service's database lives on a 16 MiB tmpfs made
//! by the test (root only; elsewhere the test says SKIPPED), which a filler
//! file then fills. Writes fail with 503 naming the full disk, reads keep
//! working, the file stays intact (`integrity_check`), and once space returns
//! the next introspection works without a restart.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // Test helpers unwrap; figures are printed.

use crate::common;
use crate::real;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

const TEST: &str = "sqlite_on_a_full_disk_fails_writes_clearly_and_recovers";

/// A tmpfs mounted for the test; unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cannot mount a tmpfs (root needed): {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// Writes zeros to `path` until the disk is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0_u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_fails_writes_clearly_and_recovers() {
    let _timed = real::timed(TEST);
    let disk = match Tmpfs::mount("16m") {
        Ok(disk) => disk,
        Err(reason) => return real::skip(TEST, &reason),
    };
    let database = disk.path().join("inspector.sqlite");
    let fake = FakeIronic::start().await.unwrap();
    let nodes: Vec<String> = (0..12)
        .map(|i| {
            let node = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
            fake.add_port(node, &format!("52:54:00:17:06:{i:02x}"));
            node.to_string()
        })
        .collect();
    let mut service = common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        &format!(
            "[database]\nconnection = sqlite:///{}\n",
            database.display()
        ),
    ));
    let http = reqwest::Client::new();
    let start = |node: &str| {
        let (http, url) = (
            http.clone(),
            format!("{}/v1/introspection/{node}?manage_boot=0", service.url),
        );
        async move { http.post(url).send().await.unwrap() }
    };
    assert_eq!(start(&nodes[0]).await.status(), 202, "space left: written");

    let filler = disk.path().join("filler");
    fill(&filler);
    // SQLite may still fit a write or two in the space its files already
    // hold; then writes fail, each with 503, never a 500.
    let mut written = vec![nodes[0].clone()];
    let mut refusal = None;
    for node in &nodes[1..10] {
        let answer = start(node).await;
        match answer.status().as_u16() {
            202 => written.push(node.clone()),
            503 => {
                assert!(answer.headers().contains_key("retry-after"));
                refusal = Some(answer.json::<Value>().await.unwrap());
                break;
            }
            other => panic!("{other}: {}", answer.text().await.unwrap()),
        }
    }
    let error = refusal.expect("writes fail on the full disk");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("full"), "says why: {message}");
    println!(
        "disk full: {} start(s) still fitted, then 503: {message}",
        written.len() - 1
    );

    // Reads keep working.
    let status = common::get_json(
        &http,
        &format!("{}/v1/introspection/{}", service.url, nodes[0]),
    )
    .await;
    assert_eq!(status["state"], "waiting", "{status}");
    let list = common::get_json(&http, &format!("{}/v1/introspection", service.url)).await;
    assert_eq!(
        list["introspection"].as_array().map(Vec::len),
        Some(written.len()),
        "{list}"
    );

    // Space returns: the next introspection works without a restart.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(start(&nodes[11]).await.status(), 202);
    written.push(nodes[11].clone());
    let status = common::get_json(
        &http,
        &format!("{}/v1/introspection/{}", service.url, nodes[11]),
    )
    .await;
    assert_eq!(status["state"], "waiting", "{status}");

    service.kill();
    let url =
        inspector_node_cache::DatabaseUrl::parse(&format!("sqlite:///{}", database.display()))
            .unwrap();
    let db = inspector_node_cache::testing::TestDatabase::existing(&url).unwrap();
    assert_eq!(
        db.lines("SELECT integrity_check AS line FROM pragma_integrity_check")
            .unwrap(),
        ["ok"]
    );
    let kept = db
        .lines("SELECT uuid AS line FROM nodes ORDER BY uuid")
        .unwrap();
    written.sort();
    assert_eq!(kept, written, "a refused start wrote nothing");
}
