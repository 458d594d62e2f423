//! `auth_strategy = keystone` end to end: the real binary validates tokens
//! against a fake identity endpoint with its `[keystone_authtoken]` service
//! credentials and applies the default policy.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use common::config;
use inspector_fake_ironic::{FakeAuth, FakeIronic, FakeIronicConfig};
use serde_json::Value;

const CHALLENGE: &str = "Keystone uri=\"http://keystone.example/identity\"";

async fn keystone() -> FakeIronic {
    FakeIronic::start_with(FakeIronicConfig {
        auth: FakeAuth::Keystone {
            username: "inspector".into(),
            password: "s3cret".into(),
            application_credential: None,
            region: "RegionOne".into(),
        },
        ..FakeIronicConfig::default()
    })
    .await
    .unwrap()
}

/// `[keystone_authtoken]` with the service credentials the fake Keystone knows.
fn authtoken(keystone: &FakeIronic, extra: &str) -> String {
    format!(
        "[keystone_authtoken]\nauth_type = password\nauth_url = {}\nusername = inspector\n\
         password = s3cret\nproject_name = service\nuser_domain_name = Default\n\
         project_domain_name = Default\n{extra}",
        keystone.auth_url()
    )
}

fn validations(keystone: &FakeIronic) -> usize {
    keystone
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/identity/v3/auth/tokens")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_tokens_and_default_policy() {
    let ironic = FakeIronic::start().await.unwrap();
    let keystone = keystone().await;
    let section = authtoken(
        &keystone,
        "www_authenticate_uri = http://keystone.example/identity\n",
    );
    let service = common::start(&config(
        &ironic.url(),
        "auth_strategy = keystone\n",
        &section,
    ));
    let http = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let request = http.get(format!("{}{path}", service.url));
        match token {
            Some(token) => request.header("X-Auth-Token", token),
            None => request,
        }
    };

    // Public routes need no token.
    assert_eq!(get("/", None).send().await.unwrap().status(), 200);
    assert_eq!(get("/v1", None).send().await.unwrap().status(), 200);
    let ramdisk = http
        .post(format!("{}/v1/continue", service.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ramdisk.status(), 400, "reaches the handler without a token");

    // No token, or one Keystone does not know: 401 with the Keystone challenge.
    for token in [None, Some("gAAAAnot-a-token")] {
        let denied = get("/v1/introspection", token).send().await.unwrap();
        assert_eq!(denied.status(), 401, "{token:?}");
        assert_eq!(denied.headers()["www-authenticate"], CHALLENGE);
        let body: Value = denied.json().await.unwrap();
        assert_eq!(body["error"]["message"], "Authentication required");
    }

    // Roles against the default policy.
    let admin = keystone.issue_token(&["admin", "member"]);
    let service_role = keystone.issue_token(&["service"]);
    let reader = keystone.issue_token(&["reader"]);
    let member = keystone.issue_token(&["member"]);
    for (token, path, status) in [
        (&admin, "/v1/introspection", 200),
        (&admin, "/v1/rules", 200),
        (&service_role, "/v1/introspection", 200),
        (&reader, "/v1/introspection", 403), // READER needs system scope
        (&member, "/v1/introspection", 403),
        (&member, "/v1/rules", 403),
        (&admin, "/v1/introspection/unmatched", 200),
        (&member, "/v1/introspection/unmatched", 403),
    ] {
        let answer = get(path, Some(token)).send().await.unwrap();
        assert_eq!(answer.status(), status, "{path}");
        if status == 403 {
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["error"]["message"], "Access denied by policy");
        }
    }
    let unknown_node = http
        .post(format!(
            "{}/v1/introspection/1be26c0b-03f2-4d2e-ae87-c02d7f33c123",
            service.url
        ))
        .header("X-Auth-Token", &member)
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown_node.status(),
        403,
        "the policy answers before the handler"
    );

    // Answers are cached: asking again with the same tokens does not reach Keystone.
    let asked = validations(&keystone);
    assert_eq!(
        asked, 5,
        "one validation per distinct token, the unknown one included"
    );
    for token in [&admin, &member, &reader] {
        get("/v1/introspection", Some(token)).send().await.unwrap();
    }
    assert_eq!(validations(&keystone), asked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_keystone_means_unauthenticated() {
    let ironic = FakeIronic::start().await.unwrap();
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/identity/v3", unused.local_addr().unwrap());
    drop(unused);
    let section = format!(
        "[keystone_authtoken]\nauth_type = password\nauth_url = {dead}\nusername = inspector\n\
         password = s3cret\n"
    );
    let service = common::start(&config(
        &ironic.url(),
        "auth_strategy = keystone\n",
        &section,
    ));
    let answer = reqwest::Client::new()
        .get(format!("{}/v1/introspection", service.url))
        .header("X-Auth-Token", "gAAAAsomething")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(
        answer.headers()["www-authenticate"],
        format!("Keystone uri=\"{dead}\"").as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_file_overrides_and_service_tokens() {
    let ironic = FakeIronic::start().await.unwrap();
    let keystone = keystone().await;
    let section = authtoken(&keystone, "");
    // policy.yaml next to inspector.conf is found like oslo.config finds it.
    let service = common::start_prepared(
        &config(&ironic.url(), "auth_strategy = keystone\n", &section),
        |dir| {
            std::fs::write(
                dir.join("policy.yaml"),
                "# operators' overrides\n\"introspection:status\": \"role:member or rule:is_admin\"\n\
                 \"introspection:rule:get\": \"!\"\n",
            )
            .unwrap();
        },
    );
    let http = reqwest::Client::new();
    let get = |path: &str, headers: &[(&str, &str)]| {
        let mut request = http.get(format!("{}{path}", service.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let admin = keystone.issue_token(&["admin"]);
    let member = keystone.issue_token(&["member"]);
    for (token, path, status) in [
        (&member, "/v1/introspection", 200), // allowed by the override
        (&admin, "/v1/introspection", 200),
        (&admin, "/v1/rules", 403), // denied by the override
        (&member, "/v1/rules", 403),
        (
            &admin,
            "/v1/introspection/1be26c0b-03f2-4d2e-ae87-c02d7f33c123/data",
            404,
        ), // default rule
    ] {
        let answer = get(path, &[("X-Auth-Token", token)]).await.unwrap();
        assert_eq!(answer.status(), status, "{path}");
    }
    assert_eq!(get("/", &[]).await.unwrap().status(), 200);

    // A service token, when sent, must be valid too.
    let service_token = keystone.issue_token(&["service"]);
    let with_service = get(
        "/v1/introspection",
        &[
            ("X-Auth-Token", &admin),
            ("X-Service-Token", &service_token),
        ],
    )
    .await
    .unwrap();
    assert_eq!(with_service.status(), 200);
    let bad_service = get(
        "/v1/introspection",
        &[("X-Auth-Token", &admin), ("X-Service-Token", "gAAAAforged")],
    )
    .await
    .unwrap();
    assert_eq!(bad_service.status(), 401);
    assert!(
        bad_service.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Keystone uri=")
    );
}
