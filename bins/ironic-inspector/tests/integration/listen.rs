//! Where the real binary listens: TLS with `use_ssl`, or a UNIX socket.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use common::config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn tls_file(name: &str) -> String {
    format!("{}/tests/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_ssl_serves_the_api_over_tls() {
    let service = common::start(&config(
        "http://127.0.0.1:9",
        "auth_strategy = noauth\nuse_ssl = true\n",
        &format!(
            "[ssl]\ncert_file = {}\nkey_file = {}\n",
            tls_file("server.pem"),
            tls_file("server.key")
        ),
    ));
    assert!(
        service.url.starts_with("https://127.0.0.1:"),
        "{}",
        service.url
    );
    let ca = reqwest::Certificate::from_pem(&std::fs::read(tls_file("ca.pem")).unwrap()).unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let answer = https
        .get(format!("{}/v1", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    let names: Vec<&str> = body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(names.contains(&"introspection"), "{body}");

    // A client that does not trust the certificate is refused; plain HTTP gets no answer.
    assert!(reqwest::get(format!("{}/v1", service.url)).await.is_err());
    let plain = service.url.replacen("https://", "http://", 1);
    assert!(reqwest::get(format!("{plain}/v1")).await.is_err());
}

#[test]
fn use_ssl_without_certificate_files_is_refused() {
    let (code, _, stderr) = common::run_to_exit(
        "[DEFAULT]\nauth_strategy = noauth\nuse_ssl = true\nlisten_address = 127.0.0.1\nlisten_port = 0\n\
         [database]\nconnection = sqlite:///inspector.sqlite\n",
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("[ssl] cert_file and key_file"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_unix_socket_replaces_tcp() {
    let service = common::start_prepared(
        &config(
            "http://127.0.0.1:9",
            "auth_strategy = noauth\nlisten_unix_socket = {dir}/api.sock\nlisten_unix_socket_mode = 0600\n",
            "",
        ),
        // A stale file where the socket goes is replaced.
        |dir| std::fs::write(dir.join("api.sock"), "stale").unwrap(),
    );
    let path = service.url.strip_prefix("unix:").unwrap().to_owned();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let mut stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    stream
        .write_all(b"GET /v1 HTTP/1.1\r\nHost: inspector\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        answer.contains("http://inspector/v1/"),
        "links use the Host header: {answer}"
    );
}
