//! `auth_strategy = keystone` against a real Keystone 27 (`.ci/venvs`):
//! tokens it issues meet the policy, revoked and made-up ones are refused,
//! the service authenticates with its `[keystone_authtoken]` credentials, the
//! official CLI finds the service through the catalog, and the service finds
//! Ironic through the catalog with `[ironic]` password auth. One Keystone is
//! shared by the tests of this binary.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::real;

use inspector_fake_ironic::FakeIronic;
use real::keystone::{Keystone, PASSWORD, TOKEN_SECONDS};
use real::{Inspector, skip, venv};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

static KEYSTONE: OnceCell<Result<Keystone, String>> = OnceCell::const_new();

async fn keystone(test: &str) -> Option<&'static Keystone> {
    let started = KEYSTONE
        .get_or_init(|| async {
            let venv = venv("keystone")?;
            Ok(Keystone::start(&venv).await)
        })
        .await;
    match started {
        Ok(keystone) => Some(keystone),
        Err(reason) => {
            skip(test, reason);
            None
        }
    }
}

/// The service with Keystone authentication (validations not cached, so
/// that a revocation shows at once) and `ironic` as its `[ironic]` section.
async fn service(keystone: &Keystone, ironic: &str) -> Inspector {
    let config = format!(
        "[DEFAULT]\nauth_strategy = keystone\nlisten_address = 127.0.0.1\nlisten_port = {{port}}\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\n{ironic}retry_interval = 1\n\
         [keystone_authtoken]\n{authtoken}www_authenticate_uri = {url}\ntoken_cache_time = 0\n\
         [pxe_filter]\ndriver = noop\n",
        authtoken = keystone.service_user().options(),
        url = keystone.url
    );
    Inspector::start(real::free_port(), &config).await
}

async fn status_with(inspector: &Inspector, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(format!("{}/v1/introspection", inspector.url));
    if let Some(token) = token {
        request = request.header("X-Auth-Token", token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_a_real_keystone_meet_the_policy() {
    const TEST: &str = "tokens_from_a_real_keystone_meet_the_policy";
    let _timed = real::timed(TEST);
    let Some(keystone) = keystone(TEST).await else {
        return;
    };
    let inspector = service(
        keystone,
        "auth_type = none\nendpoint_override = http://127.0.0.1:9\n",
    )
    .await;
    let admin = keystone.token("admin", "admin").await;
    let member = keystone.token("member", "service").await;
    assert_eq!(status_with(&inspector, Some(&admin)).await, 200);
    assert_eq!(status_with(&inspector, Some(&member)).await, 403);
    assert_eq!(status_with(&inspector, None).await, 401);
    assert_eq!(status_with(&inspector, Some("made-up")).await, 401);
    let challenge = reqwest::Client::new()
        .get(format!("{}/v1/introspection", inspector.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge.headers()["www-authenticate"],
        format!("Keystone uri=\"{}\"", keystone.url).as_str()
    );
    keystone.revoke(&admin).await;
    assert_eq!(
        status_with(&inspector, Some(&admin)).await,
        401,
        "a revoked token"
    );
    // Public routes need none.
    let root = reqwest::get(format!("{}/", inspector.url)).await.unwrap();
    assert_eq!(root.status(), 200);
    // A token that expired; the service's own token is renewed meanwhile.
    // A fresh one: the first may be older than its lifetime on a loaded machine.
    let member = keystone.token("member", "service").await;
    assert_eq!(status_with(&inspector, Some(&member)).await, 403);
    tokio::time::sleep(std::time::Duration::from_secs(TOKEN_SECONDS + 1)).await;
    assert_eq!(
        status_with(&inspector, Some(&member)).await,
        401,
        "an expired token"
    );
    let fresh = keystone.token("admin", "admin").await;
    assert_eq!(status_with(&inspector, Some(&fresh)).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_cli_finds_the_service_through_the_catalog() {
    const TEST: &str = "the_official_cli_finds_the_service_through_the_catalog";
    let _timed = real::timed(TEST);
    let Some(keystone) = keystone(TEST).await else {
        return;
    };
    let osc = match venv("osc") {
        Ok(venv) => venv,
        Err(reason) => return skip(TEST, &reason),
    };
    let inspector = service(
        keystone,
        "auth_type = none\nendpoint_override = http://127.0.0.1:9\n",
    )
    .await;
    keystone
        .register("baremetal-introspection", &inspector.url)
        .await;
    let output = tokio::process::Command::new(osc.join("bin/openstack"))
        .args(["baremetal", "introspection", "list", "-f", "json"])
        .env("OS_AUTH_URL", &keystone.url)
        .env("OS_USERNAME", "admin")
        .env("OS_PASSWORD", PASSWORD)
        .env("OS_PROJECT_NAME", "admin")
        .env("OS_USER_DOMAIN_NAME", "Default")
        .env("OS_PROJECT_DOMAIN_NAME", "Default")
        .env("OS_IDENTITY_API_VERSION", "3")
        .env("OS_INTERFACE", "public")
        .env_remove("OS_CLOUD")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "openstack baremetal introspection list: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed, json!([]), "no introspection yet");
    assert!(
        inspector
            .requests()
            .iter()
            .any(|r| r.starts_with("GET /v1/introspection")),
        "the CLI reached the service: {:?}",
        inspector.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_finds_ironic_through_the_catalog() {
    const TEST: &str = "the_service_finds_ironic_through_the_catalog";
    let _timed = real::timed(TEST);
    let Some(keystone) = keystone(TEST).await else {
        return;
    };
    let ironic = FakeIronic::start().await.unwrap();
    let node = ironic.add_node(
        json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.30.0.1"},
                                      "provision_state": "manageable"}),
    );
    ironic.add_port(node, "52:54:00:30:00:01");
    keystone.register("baremetal", &ironic.url()).await;
    let inspector = service(keystone, &keystone.service_user().options()).await;
    let admin = keystone.token("admin", "admin").await;
    let started = reqwest::Client::new()
        .post(format!(
            "{}/v1/introspection/{node}?manage_boot=false",
            inspector.url
        ))
        .header("X-Auth-Token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202, "{}", started.text().await.unwrap());
    let asked: Vec<String> = ironic
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        asked.iter().any(|r| r == &format!("GET /v1/nodes/{node}")),
        "the service reached Ironic through the catalog: {asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mdns_advertises_the_endpoint_of_the_catalog() {
    const TEST: &str = "mdns_advertises_the_endpoint_of_the_catalog";
    let _timed = real::timed(TEST);
    let Some(keystone) = keystone(TEST).await else {
        return;
    };
    // A catalog type of this test's own: the CLI test lists the usual one.
    let listed = "http://192.0.2.77:5050/inspector";
    keystone.register("introspection-mdns-test", listed).await;
    let config = format!(
        "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = {{port}}\n\
         enable_mdns = true\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\nauth_type = none\nendpoint_override = http://127.0.0.1:9\n\
         [service_catalog]\n{user}service_type = introspection-mdns-test\n\
         [mdns]\ninterfaces = 127.0.0.1\n\
         [pxe_filter]\ndriver = noop\n",
        user = keystone.service_user().options()
    );
    let inspector = Inspector::start(real::free_port(), &config).await;
    let advertised = real::wait_for(
        "the advertisement",
        std::time::Duration::from_secs(20),
        || {
            let log = inspector.log();
            async move {
                log.lines()
                    .find(|line| line.contains("advertised by mDNS"))
                    .map(str::to_owned)
            }
        },
    )
    .await;
    assert!(
        advertised.contains(&format!("endpoint=\"{listed}\"")),
        "exactly the catalog's URL: {advertised}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironic_with_keystone_drives_the_service() {
    const TEST: &str = "ironic_with_keystone_drives_the_service";
    let _timed = real::timed(TEST);
    let Some(keystone) = keystone(TEST).await else {
        return;
    };
    let ironic_venv = match venv("ironic") {
        Ok(venv) => venv,
        Err(reason) => return skip(TEST, &reason),
    };
    let user = keystone.service_user();
    let inspector_port = real::free_port();
    let ironic = real::Ironic::start(
        &ironic_venv,
        real::IronicOptions {
            status_check_period: 1,
            inspect_wait_timeout: 900,
            inspector_port,
            keystone: Some(user.clone()),
        },
    )
    .await;
    // The service finds this Ironic through the catalog, with a token (under
    // a catalog type of this test's own: another test lists a fake Ironic).
    keystone.register("baremetal-real", &ironic.url).await;
    let config = format!(
        "[DEFAULT]\nauth_strategy = keystone\nlisten_address = 127.0.0.1\nlisten_port = {{port}}\n\
         introspection_delay = 0\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\n{user}retry_interval = 1\nservice_type = baremetal-real\n\
         [keystone_authtoken]\n{user}\
         [processing]\nstore_data = database\n[pxe_filter]\ndriver = noop\n",
        user = user.options()
    );
    let inspector = Inspector::start(inspector_port, &config).await;
    let (mac, bmc) = ("52:54:00:31:00:01", "10.31.0.1");
    let uuid = ironic
        .enroll(json!({"driver_info": {"ipmi_address": bmc}}), &[mac])
        .await;
    ironic.provision(&uuid, "inspect").await;
    ironic
        .wait_for_state(&uuid, &["inspect wait"], std::time::Duration::from_secs(60))
        .await;
    real::wait_for(
        "the record to wait",
        std::time::Duration::from_secs(60),
        || {
            let waiting = inspector
                .log()
                .lines()
                .any(|line| line.contains(&uuid) && line.contains("to=waiting"));
            async move { waiting.then_some(()) }
        },
    )
    .await;
    let posted = reqwest::Client::new()
        .post(format!("{}/v1/continue", inspector.url))
        .json(&real::payload(mac, bmc))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200, "{}", posted.text().await.unwrap());
    let node = ironic
        .wait_for_state(&uuid, &["manageable"], std::time::Duration::from_secs(60))
        .await;
    assert_eq!(node["last_error"], Value::Null);
    assert_eq!(node["properties"]["memory_mb"], "12288", "{node}");
    // Ironic called the service with its own token, which the policy let through.
    let calls = inspector.requests();
    assert!(
        calls
            .iter()
            .any(|c| c == &format!("POST /v1/introspection/{uuid}")),
        "{calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_swift_store_through_keystone() {
    const TEST: &str = "the_swift_store_through_keystone";
    let _timed = real::timed(TEST);
    let Some(keystone) = keystone(TEST).await else {
        return;
    };
    let swift_venv = match venv("swift") {
        Ok(venv) => venv,
        Err(reason) => return skip(TEST, &reason),
    };
    let user = keystone.service_user();
    let swift = match real::swift::Swift::start_with_keystone(&swift_venv, &user).await {
        Ok(swift) => swift,
        Err(reason) => return skip(TEST, &reason),
    };
    keystone
        .register(
            "object-store",
            &format!("{}/v1/AUTH_%(project_id)s", swift.url),
        )
        .await;
    let ironic = FakeIronic::start().await.unwrap();
    let node = ironic.add_node(
        json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.32.0.1"},
                                      "provision_state": "manageable"}),
    );
    ironic.add_port(node, "52:54:00:32:00:01");
    let config = format!(
        "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = {{port}}\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\nauth_type = none\nendpoint_override = {}\nretry_interval = 0\n\
         [processing]\nstore_data = swift\n\
         [swift]\n{}container = through-keystone\n\
         [pxe_filter]\ndriver = noop\n",
        ironic.url(),
        user.options()
    );
    let inspector = Inspector::start(real::free_port(), &config).await;
    let posted = inspector
        .introspect_unmanaged(&node.to_string(), "52:54:00:32:00:01", "10.32.0.1")
        .await;
    assert_eq!(posted, 200, "{}", swift.log());
    let data: Value = real::wait_for(
        "the stored data",
        std::time::Duration::from_secs(30),
        || {
            let request = reqwest::get(format!("{}/v1/introspection/{node}/data", inspector.url));
            async move {
                let answer = request.await.ok()?;
                if answer.status() != 200 {
                    return None;
                }
                answer.json().await.ok()
            }
        },
    )
    .await;
    assert_eq!(
        data["inventory"]["cpu"]["count"], 4,
        "stored in and read from Swift found through the catalog"
    );
}
