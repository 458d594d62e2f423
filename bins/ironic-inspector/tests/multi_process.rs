//! Several service processes on one PostgreSQL or MariaDB database, clients
//! picking a process at random: 500 introspections, two posts for one node
//! on different processes at once, `kill -9` of a process in the middle (its
//! nodes are finished by the survivors or time out into `error`; none stays
//! stuck), and the failover time of the periodic task's lease.
//! Runs when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_fake_ironic::FakeIronic;
use inspector_node_cache::Backend;
use inspector_node_cache::testing::TestDatabase;
use rstest::rstest;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

const NODES: usize = 500;

fn mac(i: usize) -> String {
    format!(
        "52:54:00:{:02x}:{:02x}:{:02x}",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff
    )
}

fn payload(template: &Value, mac: &str) -> Value {
    let mut data = template.clone();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data
}

fn start(fake: &FakeIronic, database: &str) -> common::Service {
    common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\nclean_up_period = 1\ntimeout = 8\n",
        &format!(
            "[database]\nconnection = {database}\n\
             [api]\ncontinue_rate_per_client = 0\ncontinue_rate_overall = 0\n\
             [coordination]\nlocks = database\nnode_locked_retry_attempts = 10\n\
             node_locked_retry_interval = 0.2\nlock_heartbeat_interval = 0.5\nlock_expiry = 3\nlease_ttl = 2\n"
        ),
    ))
}

/// A JSON answer from one of `urls`, trying the next one when a process is gone.
async fn send(
    http: &reqwest::Client,
    urls: &[String],
    first: usize,
    build: impl Fn(&str) -> reqwest::RequestBuilder,
) -> (u16, Value) {
    let _ = http;
    for offset in 0..urls.len() {
        let url = &urls[(first + offset) % urls.len()];
        if let Ok(answer) = build(url).send().await {
            let status = answer.status().as_u16();
            return (status, answer.json().await.unwrap_or(Value::Null));
        }
    }
    panic!("no process answered");
}

fn leases(db: &TestDatabase) -> Vec<(String, String)> {
    // (name, holder) through the service's own schema.
    let url = db.url().clone();
    let text = std::process::Command::new(match db.backend() {
        Backend::Postgres => "psql",
        _ => "mariadb",
    })
    .args(match db.backend() {
        Backend::Postgres => vec![
            url.target().to_owned(),
            "-At".into(),
            "-F|".into(),
            "-c".into(),
            "SELECT name, holder FROM leases".into(),
        ],
        _ => {
            let name = url.target().rsplit('/').next().unwrap().to_owned();
            vec![
                "--protocol=tcp".into(),
                "-h".into(),
                "127.0.0.1".into(),
                "-u".into(),
                "root".into(),
                "-N".into(),
                "-B".into(),
                name,
                "-e".into(),
                "SELECT name, holder FROM leases".into(),
            ]
        }
    })
    .output()
    .unwrap();
    String::from_utf8_lossy(&text.stdout)
        .lines()
        .filter_map(|line| {
            let (name, holder) = line.split_once(['|', '\t'])?;
            Some((name.to_owned(), holder.to_owned()))
        })
        .collect()
}

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::mysql(Backend::Mysql)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_database(#[case] backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED three_processes_on_one_database::{backend:?}: no {backend:?} server configured (TEST_POSTGRES_URL / TEST_MYSQL_URL)"
        );
        return;
    };
    let database = db.url().target().to_owned();
    let fake = FakeIronic::start().await.unwrap();
    let nodes: Vec<(String, String)> = (0..NODES)
        .map(|i| {
            let uuid = fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": format!("10.{}.{}.{}", 100 + i / 65536, (i / 256) % 256, i % 256)}, "provision_state": "manageable"}));
            fake.add_port(uuid, &mac(i));
            (uuid.to_string(), mac(i))
        })
        .collect();
    let mut services: Vec<common::Service> = (0..3).map(|_| start(&fake, &database)).collect();
    let urls: Vec<String> = services.iter().map(|s| s.url.clone()).collect();
    let http = reqwest::Client::new();
    let template: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();

    // Start every introspection on a random process.
    let semaphore = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for (i, (uuid, _)) in nodes.iter().enumerate() {
        let (http, urls, semaphore, uuid) =
            (http.clone(), urls.clone(), semaphore.clone(), uuid.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire().await.unwrap();
            let (status, body) = send(&http, &urls, i * 7 % 3, |url| {
                http.post(format!("{url}/v1/introspection/{uuid}?manage_boot=0"))
            })
            .await;
            assert_eq!(status, 202, "{body}");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    // Post the data to random processes; kill one process half-way.
    let mut tasks = Vec::new();
    for (i, (_, mac)) in nodes.iter().enumerate() {
        let (http, urls, semaphore) = (http.clone(), urls.clone(), semaphore.clone());
        let data = payload(&template, mac);
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire().await.unwrap();
            send(&http, &urls, i * 5 % 3, |url| {
                http.post(format!("{url}/v1/continue")).json(&data)
            })
            .await
            .0
        }));
        if i == NODES / 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            services[2].kill();
        }
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let survivors = &urls[..2];
    // Every node ends finished or in error: nothing stays stuck.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (mut finished, mut errors) = (0, 0);
    for (uuid, _) in &nodes {
        loop {
            let (_, status) = send(&http, survivors, 0, |url| {
                http.get(format!("{url}/v1/introspection/{uuid}"))
            })
            .await;
            if status["finished"] == true {
                if status["state"] == "finished" {
                    finished += 1;
                } else {
                    assert_eq!(status["state"], "error", "{status}");
                    errors += 1;
                }
                break;
            }
            assert!(Instant::now() < deadline, "stuck: {status}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    let mut refused = std::collections::BTreeMap::new();
    for status in statuses.iter().filter(|s| **s != 200) {
        *refused.entry(*status).or_insert(0) += 1;
    }
    let _ = writeln!(
        std::io::stderr(),
        "{backend:?}: {finished} finished, {errors} in error ({accepted} posts accepted, refused by status: {refused:?}) after killing one of three processes"
    );
    assert_eq!(finished + errors, NODES);
    assert!(
        finished >= accepted.saturating_sub(16),
        "accepted data is not lost: {finished} < {accepted}"
    );

    // Two posts for the same node on the two survivors at once.
    let uuid = fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.250.0.1"}, "provision_state": "manageable"}));
    fake.add_port(uuid, "52:54:00:fe:00:01");
    let (status, _) = send(&http, survivors, 0, |url| {
        http.post(format!("{url}/v1/introspection/{uuid}?manage_boot=0"))
    })
    .await;
    assert_eq!(status, 202);
    let data = payload(&template, "52:54:00:fe:00:01");
    let (a, b) = tokio::join!(
        http.post(format!("{}/v1/continue", survivors[0]))
            .json(&data)
            .send(),
        http.post(format!("{}/v1/continue", survivors[1]))
            .json(&data)
            .send()
    );
    let mut codes = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort_unstable();
    assert_eq!(codes[0], 200, "one processes: {codes:?}");
    assert!(codes[1] >= 400, "the other gets an error: {codes:?}");

    // The periodic task's lease moves when its holder dies.
    let holder_of = |leases: &[(String, String)]| {
        leases
            .iter()
            .find(|(name, _)| name == "periodic_clean_up")
            .map(|(_, holder)| holder.clone())
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let holder = loop {
        if let Some(holder) =
            holder_of(&leases(&db)).filter(|h| !h.contains(&format!(":{}:", services[2].pid())))
        {
            break holder;
        }
        assert!(Instant::now() < deadline, "no process took the lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let victim = services
        .iter()
        .position(|s| holder.contains(&format!(":{}:", s.pid())))
        .unwrap();
    let killed_at = Instant::now();
    services[victim].kill();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if holder_of(&leases(&db)).is_some_and(|h| h != holder) {
            break;
        }
        assert!(Instant::now() < deadline, "the lease never moved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failover = killed_at.elapsed();
    let _ = writeln!(
        std::io::stderr(),
        "{backend:?}: lease failover after kill -9 in {failover:.1?} (lease_ttl 2 s, period 1 s)"
    );
    assert!(failover < Duration::from_secs(5), "{failover:?}");
    drop(services);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_one_sqlite_file_is_refused() {
    let shared = tempfile::tempdir().unwrap();
    let database = format!(
        "[database]\nconnection = sqlite:///{}/shared.sqlite\n",
        shared.path().display()
    );
    let config = common::config("http://127.0.0.1:9", "auth_strategy = noauth\n", &database);
    let first = common::start(&config);
    let (code, _, stderr) = common::run_to_exit(&config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("another ironic-inspector process uses the SQLite database"),
        "{stderr}"
    );
    drop(first);
    // Once the first process is gone, the file is free again.
    let second = common::start(&config);
    drop(second);
}
