//! Faults and bad input against the real binary: Ironic unreachable, answering
//! 5xx storms or slow, behind a fault-injecting proxy; identifiers Ironic
//! cannot hold; wrong-typed ramdisk data; answers made below the handlers;
//! a `/v1/continue` flood with genuine posts mixed in; `kill -9` mid-load.
//! Each test checks that nothing is lost: every record ends in a state that
//! says what happened, and every acknowledged post is finished.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // Test helpers unwrap; figures are printed.

mod common;

use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy};
use common::{Service, config, payload};
use inspector_fake_ironic::FakeIronic;
use rstest::rstest;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn start(ironic_url: &str, extra_sections: &str) -> Service {
    // One retry of Ironic's 503 after no wait: the faults reach the service quickly.
    let sections = format!("[ironic]\nmax_retries = 1\n{extra_sections}");
    common::start(&config(ironic_url, "auth_strategy = noauth\n", &sections))
}

/// A node with one port, its introspection started (without boot management).
async fn started_node(fake: &FakeIronic, http: &reqwest::Client, url: &str, mac: &str) -> String {
    let node = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
    fake.add_port(node, mac);
    let answer = common::start_introspection(http, url, &node.to_string()).await;
    assert_eq!(answer.status(), 202, "{}", answer.text().await.unwrap());
    node.to_string()
}

/// Posts like ironic-python-agent: it retries 5xx and 409 after 5, 5, 6 and
/// 12 seconds (five attempts), and gives up on any other answer. Returns
/// every status it got.
async fn post_like_the_ramdisk(http: &reqwest::Client, url: &str, body: &[u8]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for wait in [5, 5, 6, 12, 0] {
        let status = match http
            .post(format!("{url}/v1/continue"))
            .body(body.to_vec())
            .send()
            .await
        {
            Ok(answer) => answer.status().as_u16(),
            Err(_) => 0, // a connection error, retried too
        };
        statuses.push(status);
        if !(status == 0 || status >= 500 || status == 409) || wait == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    statuses
}

async fn status_of(http: &reqwest::Client, url: &str, node: &str) -> Value {
    common::get_json(http, &format!("{url}/v1/introspection/{node}")).await
}

#[rstest]
#[case::unreachable(Fault::Refuse)]
#[case::storm_of_500(Fault::Status(500))]
#[case::storm_of_503(Fault::Status(503))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironic_failing_during_continue_gets_a_retry_that_finishes(#[case] fault: Fault) {
    let fake = FakeIronic::start().await.unwrap();
    let proxy = FaultProxy::start(&fake.url()).await;
    let service = start(&proxy.url(), "");
    let http = reqwest::Client::new();
    let node = started_node(&fake, &http, &service.url, "52:54:00:17:00:01").await;
    let body = serde_json::to_vec(&payload("52:54:00:17:00:01")).unwrap();

    proxy.set(fault);
    let answer = http
        .post(format!("{}/v1/continue", service.url))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503, "a status the ramdisk retries");
    assert!(answer.headers().contains_key("retry-after"));
    let error: Value = answer.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("Ironic"), "names Ironic: {message}");

    // Meanwhile the API answers from the database.
    let asked = Instant::now();
    let status = status_of(&http, &service.url, &node).await;
    println!(
        "{fault:?}: status call during the fault took {:?}",
        asked.elapsed()
    );
    assert_eq!(
        status["finished"], false,
        "the record waits for the retry: {status}"
    );
    assert!(status["error"].is_null(), "{status}");

    proxy.set(Fault::None);
    let answer = http
        .post(format!("{}/v1/continue", service.url))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let status = status_of(&http, &service.url, &node).await;
    assert_eq!(
        (status["finished"].as_bool(), status["state"].as_str()),
        (Some(true), Some("finished")),
        "{status}"
    );
    assert!(status["error"].is_null(), "{status}");
    let timeline = common::get_json(
        &http,
        &format!("{}/v1/introspection/{node}/timeline", service.url),
    )
    .await;
    assert!(
        timeline.to_string().contains("ironic_unavailable"),
        "the timeline says what happened: {timeline}"
    );

    // The next introspection works without a restart.
    let again = started_node(&fake, &http, &service.url, "52:54:00:17:00:02").await;
    let answer = http
        .post(format!("{}/v1/continue", service.url))
        .body(serde_json::to_vec(&payload("52:54:00:17:00:02")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        status_of(&http, &service.url, &again).await["state"],
        "finished"
    );
}

#[rstest]
#[case::unreachable(Fault::Refuse)]
#[case::storm_of_500(Fault::Status(500))]
#[case::storm_of_503(Fault::Status(503))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironic_failing_while_starting_answers_503_and_recovers(#[case] fault: Fault) {
    let fake = FakeIronic::start().await.unwrap();
    let proxy = FaultProxy::start(&fake.url()).await;
    let service = start(&proxy.url(), "");
    let http = reqwest::Client::new();
    let node = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
    fake.add_port(node, "52:54:00:17:01:01");

    proxy.set(fault);
    let answer = common::start_introspection(&http, &service.url, &node.to_string()).await;
    let status = answer.status();
    let error: Value = answer.json().await.unwrap();
    assert_eq!(status, 503, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Ironic"),
        "names Ironic: {error}"
    );

    proxy.set(Fault::None);
    let answer = common::start_introspection(&http, &service.url, &node.to_string()).await;
    assert_eq!(answer.status(), 202);
    let statuses = post_like_the_ramdisk(
        &http,
        &service.url,
        &serde_json::to_vec(&payload("52:54:00:17:01:01")).unwrap(),
    )
    .await;
    assert_eq!(statuses, [200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_ironic_keeps_the_api_responsive() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake.url(), "");
    let http = reqwest::Client::new();
    let node = started_node(&fake, &http, &service.url, "52:54:00:17:02:01").await;
    fake.set_latency(Duration::from_secs(3));
    let post = {
        let (http, url) = (http.clone(), service.url.clone());
        tokio::spawn(async move {
            let body = serde_json::to_vec(&payload("52:54:00:17:02:01")).unwrap();
            post_like_the_ramdisk(&http, &url, &body).await
        })
    };
    let mut latencies = Vec::new();
    while !post.is_finished() {
        let asked = Instant::now();
        let answer = http
            .get(format!("{}/v1/introspection/{node}", service.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        latencies.push(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(post.await.unwrap(), [200], "slow, but finished");
    latencies.sort();
    println!(
        "status calls while Ironic took 3 s per answer: {} calls, p50 {:?}, max {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies.last().unwrap()
    );
    assert_eq!(
        status_of(&http, &service.url, &node).await["state"],
        "finished"
    );
}

/// One raw HTTP/1.1 request (so that no client library normalises the
/// target); returns the status, the headers and the body.
async fn raw(url: &str, request: &str) -> (u16, String, String) {
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

#[rstest]
#[case::detail("GET", "/v1/introspection/detail")]
#[case::dot_dot("GET", "/v1/introspection/..")]
#[case::encoded_dot_dot("GET", "/v1/introspection/%2e%2e")]
#[case::encoded_dot_dot_upper("GET", "/v1/introspection/%2E%2E/data")]
#[case::dot_abort("POST", "/v1/introspection/./abort")]
#[case::encoded_dot_abort("POST", "/v1/introspection/%2e/abort")]
#[case::unprocessed_of_detail("GET", "/v1/introspection/detail/data/unprocessed")]
#[case::validate("POST", "/v1/introspection/validate")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_ironic_cannot_hold_answer_404(#[case] method: &str, #[case] path: &str) {
    let fake = FakeIronic::start().await.unwrap();
    let known = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
    let service = start(&fake.url(), "");
    // A first call about a real node negotiates the API version (`GET /`).
    let http = reqwest::Client::new();
    let answer = http
        .get(format!("{}/v1/introspection/{known}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404, "no introspection yet");
    let before = fake.requests().len();
    let (status, head, body) = raw(
        &service.url,
        &format!(
            "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 404, "{head}\n{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert!(error["error"]["message"].is_string(), "{body}");
    let reached: Vec<String> = fake.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        !reached.iter().any(|p| !p.starts_with("/v1/nodes/")
            || p.ends_with("/detail")
            || p.ends_with("/validate")),
        "no other Ironic resource was asked: {reached:?}"
    );
}

#[rstest]
#[case::root_disk_as_a_string(
    |data: &mut Value| data["root_disk"] = json!("sda"),
    "root_disk"
)]
#[case::cpu_missing(
    |data: &mut Value| { data["inventory"].as_object_mut().unwrap().remove("cpu"); },
    "inventory.cpu"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_typed_data_answers_400_and_ends_the_record_in_error(
    #[case] spoil: fn(&mut Value),
    #[case] field: &str,
) {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake.url(), "");
    let http = reqwest::Client::new();
    let node = started_node(&fake, &http, &service.url, "52:54:00:17:03:01").await;
    let mut data = payload("52:54:00:17:03:01");
    spoil(&mut data);
    let answer = http
        .post(format!("{}/v1/continue", service.url))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        400,
        "the ramdisk does not retry it in vain"
    );
    let error: Value = answer.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains(field), "names {field}: {message}");
    let status = status_of(&http, &service.url, &node).await;
    assert_eq!(
        (status["finished"].as_bool(), status["state"].as_str()),
        (Some(true), Some("error")),
        "{status}"
    );
    assert!(
        status["error"].as_str().unwrap().contains(field),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_below_the_handlers_are_json_errors_that_close_the_connection() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake.url(), "[api]\nmax_continue_body_size = 1000\n");

    // Declared too large: answered before the body is read.
    let (status, head, body) = raw(
        &service.url,
        "POST /v1/continue HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n{",
    )
    .await;
    assert_eq!(status, 413, "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000 bytes"),
        "{body}"
    );

    // Chunked, growing past the limit while read.
    let chunk = "a".repeat(800);
    let request = format!(
        "POST /v1/continue HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n\
         {len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    let (status, head, body) = raw(&service.url, &request).await;
    assert_eq!(status, 413, "{head}");
    assert!(
        head.contains("connection: close") && head.contains("application/json"),
        "{head}"
    );
    assert!(serde_json::from_str::<Value>(&body).unwrap()["error"]["message"].is_string());

    // /v1/rules takes 1 MiB.
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}/v1/rules", service.url))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    assert_eq!(answer.headers()["content-type"], "application/json");
    let error: Value = answer.json().await.unwrap();
    assert!(error["error"]["message"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_continue_posts_never_turns_away_a_genuine_one() {
    const FLOOD: usize = 2_000;
    const GENUINE: usize = 10;
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake.url(), "[api]\ncontinue_rate_per_client = 50\n");
    let http = reqwest::Client::new();
    let mut genuine = Vec::new();
    for i in 0..GENUINE {
        let mac = format!("52:54:00:17:04:{i:02x}");
        let node = started_node(&fake, &http, &service.url, &mac).await;
        genuine.push((node, serde_json::to_vec(&payload(&mac)).unwrap()));
    }
    let flooding = Instant::now();
    let connections = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    let flood: Vec<_> = (0..FLOOD)
        .map(|i| {
            let (http, url, connections) = (http.clone(), service.url.clone(), connections.clone());
            // Posts of unknown machines, from the same address as the genuine ones.
            let body = serde_json::to_vec(&payload(&format!(
                "52:54:01:17:{:02x}:{:02x}",
                i >> 8,
                i & 0xff
            )))
            .unwrap();
            tokio::spawn(async move {
                let _connection = connections.acquire_owned().await.unwrap();
                match http
                    .post(format!("{url}/v1/continue"))
                    .body(body)
                    .send()
                    .await
                {
                    Ok(answer) => answer.status().as_u16(),
                    Err(_) => 0,
                }
            })
        })
        .collect();
    let posts: Vec<_> = genuine
        .iter()
        .map(|(_, body)| {
            let (http, url, body) = (http.clone(), service.url.clone(), body.clone());
            tokio::spawn(async move { post_like_the_ramdisk(&http, &url, &body).await })
        })
        .collect();
    let mut flood_statuses = std::collections::BTreeMap::<u16, usize>::new();
    for post in flood {
        *flood_statuses.entry(post.await.unwrap()).or_default() += 1;
    }
    let flood_took = flooding.elapsed();
    let mut genuine_statuses = Vec::new();
    for post in posts {
        genuine_statuses.push(post.await.unwrap());
    }
    println!(
        "flood of {FLOOD} posts in {flood_took:?}: {flood_statuses:?}; genuine posts: {genuine_statuses:?}"
    );
    assert!(
        !flood_statuses.contains_key(&429) && !flood_statuses.contains_key(&0),
        "{flood_statuses:?}"
    );
    assert!(
        flood_statuses.get(&503).is_some_and(|n| *n > 0),
        "the flood was limited"
    );
    for ((node, _), statuses) in genuine.iter().zip(&genuine_statuses) {
        assert_eq!(statuses.last(), Some(&200), "{node}: {statuses:?}");
        assert_eq!(
            status_of(&http, &service.url, node).await["state"],
            "finished"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_clients_of_a_trusted_proxy_have_their_own_rate() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(
        &fake.url(),
        "[api]\ncontinue_rate_per_client = 2\ntrusted_proxies = 127.0.0.0/8\n",
    );
    let http = reqwest::Client::new();
    let post = |forwarded: String| {
        let (http, url) = (http.clone(), service.url.clone());
        async move {
            http.post(format!("{url}/v1/continue"))
                .header("x-forwarded-for", forwarded)
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(post(format!("10.0.0.{i}")).await);
    }
    assert_eq!(statuses, [400; 6], "six clients behind one proxy");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(post("10.0.0.9".into()).await);
    }
    assert_eq!(
        statuses,
        [400, 400, 503],
        "one client behind the proxy is limited"
    );
}

/// The records of the SQLite database at `path` (the service stopped):
/// `(uuid, finished, error)`, after checking the file's integrity.
fn records(path: &std::path::Path) -> Vec<(String, bool, String)> {
    use inspector_node_cache::DatabaseUrl;
    use inspector_node_cache::testing::TestDatabase;
    let url = DatabaseUrl::parse(&format!("sqlite:///{}", path.display())).unwrap();
    let db = TestDatabase::existing(&url).unwrap();
    let integrity = db
        .lines("SELECT integrity_check AS line FROM pragma_integrity_check")
        .unwrap();
    assert_eq!(integrity, ["ok"]);
    db.lines(
        "SELECT uuid || ' ' || (finished_at IS NOT NULL) || ' ' || COALESCE(error, '') AS line FROM nodes",
    )
    .unwrap()
    .into_iter()
    .map(|line| {
        let mut parts = line.splitn(3, ' ');
        let uuid = parts.next().unwrap().to_owned();
        let finished = parts.next() == Some("1");
        (uuid, finished, parts.next().unwrap_or("").to_owned())
    })
    .collect()
}

#[rstest]
#[case::early(5)]
#[case::midway(20)]
#[case::late(40)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_load_loses_no_acknowledged_post(#[case] kill_after: usize) {
    const NODES: usize = 57;
    let fake = FakeIronic::start().await.unwrap();
    let mut service = start(&fake.url(), "");
    let http = reqwest::Client::new();
    let mut nodes = Vec::new();
    for i in 0..NODES {
        let mac = format!("52:54:00:17:05:{i:02x}");
        let node = started_node(&fake, &http, &service.url, &mac).await;
        nodes.push((node, serde_json::to_vec(&payload(&mac)).unwrap()));
    }
    let (acknowledged, mut acks) = tokio::sync::mpsc::unbounded_channel::<String>();
    let posts: Vec<_> = nodes
        .iter()
        .map(|(node, body)| {
            let (http, url, body, node, acknowledged) = (
                http.clone(),
                service.url.clone(),
                body.clone(),
                node.clone(),
                acknowledged.clone(),
            );
            tokio::spawn(async move {
                if let Ok(answer) = http
                    .post(format!("{url}/v1/continue"))
                    .body(body)
                    .send()
                    .await
                    && answer.status() == 200
                {
                    let _ = acknowledged.send(node);
                }
            })
        })
        .collect();
    let mut answered = Vec::new();
    while answered.len() < kill_after {
        answered.push(acks.recv().await.unwrap());
    }
    service.kill();
    for post in posts {
        post.abort();
    }
    drop(acknowledged);
    while let Ok(node) = acks.try_recv() {
        answered.push(node); // answered before the kill took effect
    }
    let database = service.dir().join("inspector.sqlite");
    let before_restart = records(&database);
    service.restart();
    // Every acknowledged post is a finished record and an updated node.
    for node in &answered {
        let status = status_of(&http, &service.url, node).await;
        assert_eq!(
            status["state"], "finished",
            "acknowledged, then lost: {status}"
        );
        let ironic_node = fake.state().node(node).unwrap().clone();
        assert!(
            ironic_node["properties"].get("memory_mb").is_some(),
            "the node in Ironic was updated: {ironic_node}"
        );
    }
    // The others are taken again by the ramdisk's retry, and all finish.
    let mut lost = 0;
    for (node, body) in &nodes {
        if answered.contains(node)
            || status_of(&http, &service.url, node).await["state"] == "finished"
        {
            continue; // acknowledged, or finished as the answer was lost
        }
        let statuses = post_like_the_ramdisk(&http, &service.url, body).await;
        let status = status_of(&http, &service.url, node).await;
        if status["finished"] != true {
            lost += 1;
        }
        assert_eq!(statuses.last(), Some(&200), "{node}: {statuses:?} {status}");
    }
    let unfinished_at_kill = before_restart
        .iter()
        .filter(|(_, finished, _)| !finished)
        .count();
    println!(
        "kill -9 after {kill_after} answers: {} acknowledged, {unfinished_at_kill} unfinished at the kill, {lost} lost",
        answered.len()
    );
    assert_eq!(lost, 0);
    service.kill();
    let after = records(&database);
    assert_eq!(after.len(), NODES);
    assert!(
        after
            .iter()
            .all(|(_, finished, error)| *finished && error.is_empty()),
        "{after:?}"
    );
}
