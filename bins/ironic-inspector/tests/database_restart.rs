//! The PostgreSQL or MariaDB server restarted under load, with the commands
//! `.ci/run` starts them with: posts in flight answer 503 (which the ramdisk
//! retries) or 200, never another status; the pool recovers without a
//! restart of the service; every node ends finished, in the database and in
//! Ironic alike, and nothing is half-written. Runs when `TEST_POSTGRES_URL` /
//! `TEST_MYSQL_URL` name a local server that this test may restart (its own
//! binary, as it takes the server away from everything else for a moment).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // Test helpers unwrap; figures are printed.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use inspector_fake_ironic::FakeIronic;
use inspector_node_cache::Backend;
use inspector_node_cache::testing::TestDatabase;
use rstest::rstest;
use serde_json::Value;

const NODES: usize = 40;

/// Whether the local server of `backend` answers.
fn server_answers(backend: Backend) -> bool {
    let probe = match backend {
        Backend::Postgres => Command::new("pg_isready")
            .args(["-q", "-h", "127.0.0.1", "-p", "5432"])
            .status(),
        _ => Command::new("mariadb-admin")
            .args(["--protocol=tcp", "-h", "127.0.0.1", "-u", "root", "ping"])
            .output()
            .map(|output| output.status),
    };
    probe.is_ok_and(|status| status.success())
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap();
    assert!(status.success(), "{program} {args:?}: {status}");
}

/// `pg_ctlcluster <action>` on the local cluster (`/etc/postgresql/<version>/main`).
fn pg_ctlcluster(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .next()
        .unwrap();
    run(
        "pg_ctlcluster",
        &["--skip-systemctl-redirect", &version, "main", action],
    );
}

/// Restarts the local server of `backend` as `.ci/run` starts it; waits up to 30 s for it.
fn restart(backend: Backend) {
    match backend {
        Backend::Postgres => pg_ctlcluster("restart"),
        _ => {
            run(
                "mariadb-admin",
                &[
                    "--protocol=tcp",
                    "-h",
                    "127.0.0.1",
                    "-u",
                    "root",
                    "shutdown",
                ],
            );
            // Until the process is gone: a server still shutting down counts as running.
            wait_for(|| {
                !Command::new("start-stop-daemon")
                    .args(["--status", "--exec", "/usr/sbin/mariadbd"])
                    .status()
                    .is_ok_and(|status| status.success())
            });
            start(backend);
        }
    }
    wait_for(|| server_answers(backend));
}

/// Starts the local server of `backend` with `.ci/run`'s command.
fn start(backend: Backend) {
    match backend {
        Backend::Postgres => pg_ctlcluster("start"),
        _ => run(
            "start-stop-daemon",
            &[
                "--start",
                "--oknodo",
                "--background",
                "--exec",
                "/usr/sbin/mariadbd",
            ],
        ),
    }
}

fn wait_for(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "the database server did not change state in 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts the server again however the test ends, for the test binaries after this one.
struct ServerBack(Backend);

impl Drop for ServerBack {
    fn drop(&mut self) {
        if !server_answers(self.0) {
            start(self.0);
            wait_for(|| server_answers(self.0));
        }
    }
}

/// Posts like the ramdisk (retrying 5xx, 409 and connection errors, here
/// every 500 ms for up to 40 s); every status it got.
async fn post_retrying(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..80 {
        let status = match http
            .post(format!("{url}/v1/continue"))
            .body(body.clone())
            .send()
            .await
        {
            Ok(answer) => {
                let status = answer.status().as_u16();
                if ![200, 503].contains(&status) {
                    println!(
                        "/v1/continue answered {status}: {}",
                        answer.text().await.unwrap_or_default()
                    );
                }
                status
            }
            Err(_) => 0,
        };
        statuses.push(status);
        if !(status == 0 || status >= 500 || status == 409) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    statuses
}

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::mysql(Backend::Mysql)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarted_mid_load_loses_nothing(#[case] backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_database_restarted_mid_load_loses_nothing::{backend:?}: no {backend:?} server configured (TEST_POSTGRES_URL / TEST_MYSQL_URL)"
        );
        return;
    };
    let _back = ServerBack(backend);
    let fake = FakeIronic::start().await.unwrap();
    let service = common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        &format!(
            "[database]\nconnection = {}\npool_timeout = 5\n\
             [api]\ncontinue_rate_per_client = 0\ncontinue_rate_overall = 0\n",
            db.url().target()
        ),
    ));
    let http = reqwest::Client::new();
    let mut nodes = Vec::new();
    for i in 0..NODES {
        let mac = format!("52:54:00:17:0d:{i:02x}");
        let node =
            fake.add_node(serde_json::json!({"driver": "ipmi", "provision_state": "manageable"}));
        fake.add_port(node, &mac);
        let started = common::start_introspection(&http, &service.url, &node.to_string()).await;
        assert_eq!(started.status(), 202);
        nodes.push((
            node.to_string(),
            serde_json::to_vec(&common::payload(&mac)).unwrap(),
        ));
    }

    // The posts are spread over 4 s; the server restarts after 1 s.
    let posts: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(i, (_, body))| {
            let (http, url, body) = (http.clone(), service.url.clone(), body.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100 * i as u64)).await;
                post_retrying(&http, &url, body).await
            })
        })
        .collect();
    let status_url = format!("{}/v1/introspection/{}", service.url, nodes[0].0);
    let poller = {
        let http = http.clone();
        tokio::spawn(async move {
            let mut answers = BTreeMap::<u16, usize>::new();
            let mut slowest = Duration::ZERO;
            let until = Instant::now() + Duration::from_secs(6);
            while Instant::now() < until {
                let asked = Instant::now();
                let status = http
                    .get(&status_url)
                    .send()
                    .await
                    .map_or(0, |answer| answer.status().as_u16());
                slowest = slowest.max(asked.elapsed());
                *answers.entry(status).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (answers, slowest)
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let restart_began = Instant::now();
    tokio::task::spawn_blocking(move || restart(backend))
        .await
        .unwrap();
    let restart_took = restart_began.elapsed();

    let mut answers = BTreeMap::<u16, usize>::new();
    let mut retried = 0;
    for post in posts {
        let statuses = post.await.unwrap();
        retried += usize::from(statuses.len() > 1);
        assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
        for status in statuses {
            *answers.entry(status).or_default() += 1;
        }
    }
    let (status_answers, slowest_status) = poller.await.unwrap();
    println!(
        "{backend:?} restarted in {restart_took:?} under {NODES} posts: answers {answers:?} ({retried} posts retried); \
         status calls meanwhile {status_answers:?}, slowest {slowest_status:?}"
    );
    assert!(
        answers.keys().all(|status| [200, 503].contains(status)),
        "only 200 and the retried 503: {answers:?}"
    );
    assert!(
        status_answers
            .keys()
            .all(|status| [200, 503].contains(status)),
        "{status_answers:?}"
    );

    // Every node finished, in the records and in Ironic.
    for (node, _) in &nodes {
        let status =
            common::get_json(&http, &format!("{}/v1/introspection/{node}", service.url)).await;
        assert_eq!(
            (&status["state"], &status["error"]),
            (&Value::from("finished"), &Value::Null),
            "{status}"
        );
        let ironic_node = fake.state().node(node).unwrap().clone();
        assert!(
            ironic_node["properties"].get("memory_mb").is_some(),
            "{ironic_node}"
        );
    }
    // The pool works again for everything else.
    let rules = http
        .get(format!("{}/v1/rules", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(rules.status(), 200);
}
