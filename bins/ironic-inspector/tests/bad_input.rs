//! Bad input the fuzzers do not reach, against one running service: deep
//! nesting, numbers JSON cannot hold, non-UTF-8 bytes, wrong content types,
//! bodies just over each limit, query values of the wrong type, oversized
//! URLs and headers, a 10,000-character microversion, a fragment in the
//! request target. Each gets a 4xx in the JSON error format — those refused
//! before the HTTP parser too — and nothing is written; an answer made before
//! the body was read reaches the client without a reset.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // Test helpers unwrap; figures are printed.

mod common;

use std::time::Duration;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One raw HTTP/1.1 request; returns the status and the body.
async fn send(url: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "{head}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let _ = stream.write_all(body).await; // an early answer may close first
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

fn nested(depth: usize) -> Vec<u8> {
    let mut body = b"{\"conditions\": [], \"actions\": ".to_vec();
    body.extend(std::iter::repeat_n(b'[', depth));
    body.extend(std::iter::repeat_n(b']', depth));
    body.push(b'}');
    body
}

const RULE: &str = r#"{"conditions": [], "actions": [{"action": "fail", "message": "x"}]}"#;

async fn create_rule(http: &reqwest::Client, url: &str) {
    let created = http
        .post(format!("{url}/v1/rules"))
        .body(RULE)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_4xx_and_writes_nothing() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let long_name = "n".repeat(64 * 1024);
    let long_header = format!("x-padding: {}", "p".repeat(512 * 1024));
    let long_version = format!(
        "x-openstack-ironic-inspector-api-version: 1.{}",
        "9".repeat(10_000)
    );
    let over_rules_limit = format!("{{\"description\": \"{}\"}}", "d".repeat(1024 * 1024));
    let cases: Vec<(&str, String, Vec<u8>, u16)> = vec![
        ("rule nested 100,000 deep", "POST /v1/rules HTTP/1.1".into(), nested(100_000), 400),
        ("continue nested 100,000 deep", "POST /v1/continue HTTP/1.1".into(),
         [b"{\"inventory\": ".to_vec(), nested(100_000), b"}".to_vec()].concat(), 400),
        ("1e400 in a rule", "POST /v1/rules HTTP/1.1".into(),
         br#"{"conditions": [{"op": "eq", "field": "memory_mb", "value": 1e400}], "actions": [{"action": "fail", "message": "x"}]}"#.to_vec(), 400),
        ("NaN in the ramdisk data", "POST /v1/continue HTTP/1.1".into(), br#"{"inventory": {"memory": {"physical_mb": NaN}}}"#.to_vec(), 400),
        ("non-UTF-8 bytes in a rule", "POST /v1/rules HTTP/1.1".into(), [br#"{"description": ""#.to_vec(), vec![0xff, 0xfe], br#"", "actions": []}"#.to_vec()].concat(), 400),
        ("non-UTF-8 bytes in the ramdisk data", "POST /v1/continue HTTP/1.1".into(), vec![b'{', 0xc3, 0x28, b'}'], 400),
        ("XML to /v1/rules", "POST /v1/rules HTTP/1.1\r\ncontent-type: application/xml".into(), b"<rule/>".to_vec(), 400),
        ("a form to /v1/continue", "POST /v1/continue HTTP/1.1\r\ncontent-type: application/x-www-form-urlencoded".into(), b"inventory=1".to_vec(), 400),
        ("a rule just over 1 MiB", "POST /v1/rules HTTP/1.1".into(), over_rules_limit.into_bytes(), 413),
        ("limit not a number", "GET /v1/introspection?limit=many HTTP/1.1".into(), vec![], 400),
        ("limit negative", "GET /v1/introspection?limit=-1 HTTP/1.1".into(), vec![], 400),
        ("limit as a float", "GET /v1/introspection?limit=1e3 HTTP/1.1".into(), vec![], 400),
        ("marker not a UUID", "GET /v1/introspection?marker=%00%ff HTTP/1.1".into(), vec![], 400),
        ("unknown state filter", "GET /v1/introspection?state=sleeping HTTP/1.1".into(), vec![], 400),
        ("manage_boot not a boolean", format!("POST /v1/introspection/{node}?manage_boot=maybe HTTP/1.1"), vec![], 400),
        ("a 10,000-character microversion", format!("GET /v1/rules HTTP/1.1\r\n{long_version}"), vec![], 400),
        ("a microversion of letters", "GET /v1/rules HTTP/1.1\r\nx-openstack-ironic-inspector-api-version: one.two".into(), vec![], 400),
        ("a URL of 64 KiB", format!("GET /v1/introspection/{long_name} HTTP/1.1"), vec![], 414),
        ("a 512 KiB header", format!("GET /v1/rules HTTP/1.1\r\n{long_header}"), vec![], 431),
        ("a request line that is not HTTP", "GET /v1/rules HTTP/9.9".into(), vec![], 400),
        ("a fragment in the target", "DELETE /v1/rules#frag HTTP/1.1".into(), vec![], 400),
        ("a header without a colon", "GET /v1/rules HTTP/1.1\r\nno colon here".into(), vec![], 400),
        ("two Content-Length headers that differ", "POST /v1/rules HTTP/1.1\r\ncontent-length: 3".into(), RULE.as_bytes().to_vec(), 400),
    ];
    let mut wrong = Vec::new();
    for (what, head, body, expected) in &cases {
        let (status, answer) = send(&service.url, &format!("{head}\r\nhost: x"), body).await;
        let json_error = serde_json::from_str::<Value>(&answer)
            .ok()
            .is_some_and(|error| error["error"]["message"].is_string());
        println!(
            "{what}: {status} {}",
            if json_error {
                "(JSON error)"
            } else {
                "(no body)"
            }
        );
        if status != *expected || !json_error {
            wrong.push(format!(
                "{what}: expected {expected}, got {status} {answer:.200}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // Nothing was written, and the service still works.
    let http = reqwest::Client::new();
    let rules = common::get_json(&http, &format!("{}/v1/rules", service.url)).await;
    assert_eq!(rules["rules"], json!([]), "{rules}");
    let records = common::get_json(&http, &format!("{}/v1/introspection", service.url)).await;
    assert_eq!(records["introspection"], json!([]), "{records}");
    create_rule(&http, &service.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_take_the_last_value_as_python_does() {
    let fake = FakeIronic::start().await.unwrap();
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let (status, answer) = send(
        &service.url,
        "POST /v1/rules HTTP/1.1\r\nhost: x",
        br#"{"description": "first", "description": "last", "conditions": [], "actions": [{"action": "fail", "message": "x"}]}"#,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let rule: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(rule["description"], "last");
}

/// Reads answers from `stream` until `count` heads have arrived or it closes; their statuses.
async fn statuses(stream: &mut tokio::net::TcpStream, count: usize) -> (Vec<u16>, String) {
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 8192];
    while String::from_utf8_lossy(&answer)
        .matches("HTTP/1.1 ")
        .count()
        < count
    {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
            Ok(Ok(read)) if read > 0 => answer.extend_from_slice(&buffer[..read]),
            _ => break,
        }
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let statuses = answer
        .split("HTTP/1.1 ")
        .skip(1)
        .filter_map(|rest| rest.get(..3)?.parse().ok())
        .collect();
    (statuses, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_head_ends_its_connection_after_the_requests_before_it() {
    let fake = FakeIronic::start().await.unwrap();
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let http = reqwest::Client::new();
    create_rule(&http, &service.url).await;

    // One write: a chunked rule, a request with a body, then a fragment.
    let chunk = format!("{:x}\r\n{RULE}\r\n0\r\n\r\n", RULE.len());
    let pipelined = format!(
        "POST /v1/rules HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{chunk}\
         POST /v1/rules HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{RULE}\
         DELETE /v1/rules#frag HTTP/1.1\r\nhost: x\r\n\r\n",
        RULE.len()
    );
    let mut stream = tokio::net::TcpStream::connect(service.url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(pipelined.as_bytes()).await.unwrap();
    let (statuses, answer) = statuses(&mut stream, 3).await;
    assert_eq!(statuses, [201, 201, 400], "{answer}");
    assert!(answer.contains("fragment"), "{answer}");
    assert!(
        answer.ends_with("}\n"),
        "the refusal's JSON body comes last: {answer}"
    );

    // The DELETE did not run: three rules remain.
    let rules = common::get_json(&http, &format!("{}/v1/rules", service.url)).await;
    assert_eq!(rules["rules"].as_array().map(Vec::len), Some(3), "{rules}");
}

/// Answers made before the body was read (413 over a limit) are read by the
/// client in full, however much of the body it still sends: the service
/// reads and discards the rest (up to 16 MiB) before closing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_answer_is_not_reset_under_the_client() {
    let fake = FakeIronic::start().await.unwrap();
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    // More than the kernel's socket buffers hold: the client is still
    // sending when the answer comes.
    let body = vec![b' '; 12 * 1024 * 1024];
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        let mut stream = tokio::net::TcpStream::connect(service.url.trim_start_matches("http://"))
            .await
            .unwrap();
        let head = format!(
            "POST /v1/rules HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let sent = stream.write_all(&body).await.is_ok();
        let (statuses, answer) = statuses(&mut stream, 1).await;
        outcomes.push((
            sent,
            statuses.first().copied(),
            answer.contains("connection: close"),
        ));
    }
    let expected = vec![(true, Some(413), true); 10];
    assert_eq!(outcomes, expected);
}
