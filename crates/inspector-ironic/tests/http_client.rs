//! The real client against the fake Ironic over HTTP: every operation, each
//! authentication mode, version negotiation, retries, JSON patch errors.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::path::Path;
use std::time::{Duration, Instant};

use inspector_config::{ConfigSources, IronicOptions};
use inspector_fake_ironic::{FakeAuth, FakeIronic, FakeIronicConfig};
use inspector_ironic::{
    ErrorKind, HttpIronic, Ironic, NewNode, NewPort, NodeQuery, NodeUuid, Patch, PortQuery,
    PowerTarget, ProvisionAction,
};
use serde_json::json;

fn options(text: &str) -> IronicOptions {
    let sources = ConfigSources::from_text(
        &format!("[ironic]\nretry_interval = 0\n{text}"),
        Path::new("inspector.conf"),
    )
    .unwrap();
    IronicOptions::from_sources(&sources).unwrap()
}

async fn client(fake: &FakeIronic) -> HttpIronic {
    HttpIronic::new(&options(&format!(
        "auth_type = none\nendpoint_override = {}\n",
        fake.url()
    )))
    .await
    .unwrap()
}

fn patch(value: serde_json::Value) -> Patch {
    serde_json::from_value(value).unwrap()
}

fn node_uuid(uuid: uuid::Uuid) -> NodeUuid {
    NodeUuid::from_uuid(uuid)
}

#[tokio::test]
async fn negotiates_the_newest_common_version_and_sends_it() {
    let fake = FakeIronic::start().await.unwrap();
    let ironic = client(&fake).await;
    assert_eq!(ironic.api_version().await.unwrap().to_string(), "1.89");
    let uuid = fake.add_node(json!({"driver": "ipmi", "name": "node-1"}));
    ironic.get_node("node-1").await.unwrap();
    let requests = fake.requests();
    let last = requests.last().unwrap();
    assert_eq!(last.path, "/v1/nodes/node-1");
    assert_eq!(last.api_version.as_deref(), Some("1.89"));
    assert_eq!(
        ironic
            .get_node(&uuid.to_string())
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("node-1")
    );
}

#[tokio::test]
async fn refuses_calls_an_old_ironic_cannot_serve() {
    let fake = FakeIronic::start_with(FakeIronicConfig {
        max_version: (1, 31),
        ..Default::default()
    })
    .await
    .unwrap();
    let uuid = fake.add_node(json!({"driver": "ipmi"}));
    let ironic = client(&fake).await;
    assert_eq!(ironic.api_version().await.unwrap().to_string(), "1.31");
    let error = ironic
        .add_trait(node_uuid(uuid), "CUSTOM_GPU")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::IncompatibleVersion);
    assert_eq!(
        error.message(),
        "cannot add a trait: it needs Ironic API version 1.37 or newer, Ironic supports up to 1.31"
    );
    assert!(
        fake.requests().iter().all(|r| !r.path.contains("traits")),
        "nothing was sent"
    );
    // Calls an old Ironic supports still work.
    ironic
        .set_power_state(node_uuid(uuid), PowerTarget::PowerOn)
        .await
        .unwrap();
}

#[tokio::test]
async fn nodes_get_list_create_and_not_found() {
    let fake = FakeIronic::start_with(FakeIronicConfig {
        page_size: 3,
        ..Default::default()
    })
    .await
    .unwrap();
    let ironic = client(&fake).await;
    for i in 0..10 {
        fake.add_node(
            json!({"driver": "ipmi", "driver_info": {"ipmi_address": format!("10.0.0.{i}")}}),
        );
    }
    let created = ironic
        .create_node(&NewNode {
            driver: "fake-hardware".into(),
            fields: json!({"name": "new", "driver_info": {"ipmi_address": "10.1.1.1"}})
                .as_object()
                .unwrap()
                .clone(),
        })
        .await
        .unwrap();
    assert_eq!(created.provision_state.as_deref(), Some("enroll"));
    assert_eq!(created.driver_info["ipmi_address"], "10.1.1.1");

    let nodes = ironic
        .list_nodes(&NodeQuery {
            fields: vec!["driver_info".into()],
        })
        .await
        .unwrap();
    assert_eq!(nodes.len(), 11);
    assert!(
        nodes
            .iter()
            .all(|n| n.driver.is_none() && n.driver_info.contains_key("ipmi_address"))
    );
    let list_requests: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/v1/nodes")
        .collect();
    assert_eq!(list_requests.len(), 4, "11 nodes in pages of 3");
    assert!(
        list_requests[0]
            .query
            .as_deref()
            .unwrap()
            .contains("fields=uuid%2Cdriver_info")
    );
    let all = ironic.list_nodes(&NodeQuery::default()).await.unwrap();
    assert_eq!(all.len(), 11);
    assert!(all.iter().all(|n| n.driver.is_some()));

    let error = ironic.get_node("missing").await.unwrap_err();
    assert_eq!(
        (error.kind(), error.status(), error.message()),
        (
            ErrorKind::NotFound,
            Some(404),
            "Node missing could not be found."
        )
    );
}

#[tokio::test]
async fn node_patches_and_their_errors() {
    let fake = FakeIronic::start().await.unwrap();
    let ironic = client(&fake).await;
    let uuid = node_uuid(fake.add_node(json!({"driver": "ipmi", "properties": {"cpus": 2}})));
    let node = ironic
        .patch_node(
            uuid,
            &patch(json!([
                {"op": "add", "path": "/properties/memory_mb", "value": 4096},
                {"op": "replace", "path": "/properties/cpus", "value": 8},
                {"op": "add", "path": "/extra/tags", "value": ["a"]}
            ])),
            false,
        )
        .await
        .unwrap();
    assert_eq!(node.properties["memory_mb"], 4096);
    assert_eq!(node.properties["cpus"], 8);
    assert_eq!(
        fake.state().node(&uuid.to_string()).unwrap()["extra"]["tags"],
        json!(["a"])
    );

    for (operations, message) in [
        (
            json!([{"op": "add", "path": "/properties/capabilities/boot_mode", "value": "uefi"}]),
            "can't add to a non-existent object 'capabilities'",
        ),
        (
            json!([{"op": "remove", "path": "/extra/missing"}]),
            "can't remove a non-existent object 'missing'",
        ),
        (
            json!([{"op": "replace", "path": "/uuid", "value": "x"}]),
            "'/uuid' is an internal attribute and can not be updated",
        ),
    ] {
        let error = ironic
            .patch_node(uuid, &patch(operations), false)
            .await
            .unwrap_err();
        assert_eq!(
            (error.kind(), error.message()),
            (ErrorKind::BadRequest, message)
        );
    }
    ironic
        .patch_node(
            uuid,
            &patch(json!([{"op": "replace", "path": "/driver", "value": "redfish"}])),
            true,
        )
        .await
        .unwrap();
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.query.as_deref(), Some("reset_interfaces=true"));
    assert_eq!(last.method, "PATCH");
}

#[tokio::test]
async fn power_boot_provision_validation_and_traits() {
    let fake = FakeIronic::start().await.unwrap();
    let ironic = client(&fake).await;
    let raw = fake.add_node(json!({"driver": "ipmi"}));
    let uuid = node_uuid(raw);
    fake.state()
        .fail_validation(raw, "power", "Missing ipmi_address");

    let validation = ironic.validate_node(uuid).await.unwrap();
    assert_eq!(validation["power"].result, Some(false));
    assert_eq!(
        validation["power"].reason.as_deref(),
        Some("Missing ipmi_address")
    );
    assert_eq!(validation["boot"].result, Some(true));

    ironic.set_boot_device(uuid, "pxe", true).await.unwrap();
    assert_eq!(
        fake.state().boot_device(raw),
        Some(("pxe".to_owned(), true))
    );
    ironic
        .set_power_state(uuid, PowerTarget::Reboot)
        .await
        .unwrap();
    assert_eq!(
        ironic
            .get_node(&uuid.to_string())
            .await
            .unwrap()
            .power_state
            .as_deref(),
        Some("power on")
    );
    ironic
        .set_power_state(uuid, PowerTarget::PowerOff)
        .await
        .unwrap();
    assert_eq!(
        ironic
            .get_node(&uuid.to_string())
            .await
            .unwrap()
            .power_state
            .as_deref(),
        Some("power off")
    );

    ironic
        .set_provision_state(uuid, ProvisionAction::Manage)
        .await
        .unwrap();
    ironic
        .set_provision_state(uuid, ProvisionAction::Inspect)
        .await
        .unwrap();
    assert_eq!(
        ironic
            .get_node(&uuid.to_string())
            .await
            .unwrap()
            .provision_state
            .as_deref(),
        Some("inspect wait")
    );
    let error = ironic
        .set_provision_state(uuid, ProvisionAction::Provide)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    ironic
        .set_provision_state(uuid, ProvisionAction::Abort)
        .await
        .unwrap();
    assert_eq!(
        ironic
            .get_node(&uuid.to_string())
            .await
            .unwrap()
            .provision_state
            .as_deref(),
        Some("inspect failed")
    );

    ironic.add_trait(uuid, "CUSTOM_GPU").await.unwrap();
    ironic.add_trait(uuid, "CUSTOM_GPU").await.unwrap();
    assert_eq!(
        ironic.get_node(&uuid.to_string()).await.unwrap().traits,
        ["CUSTOM_GPU"]
    );
    assert_eq!(
        ironic.add_trait(uuid, "lower").await.unwrap_err().kind(),
        ErrorKind::BadRequest
    );
    ironic.remove_trait(uuid, "CUSTOM_GPU").await.unwrap();
    let error = ironic.remove_trait(uuid, "CUSTOM_GPU").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn ports_create_find_list_patch_delete() {
    let fake = FakeIronic::start_with(FakeIronicConfig {
        page_size: 2,
        ..Default::default()
    })
    .await
    .unwrap();
    let ironic = client(&fake).await;
    let raw = fake.add_node(json!({"driver": "ipmi"}));
    let uuid = node_uuid(raw);
    let other = fake.add_node(json!({"driver": "ipmi"}));
    fake.add_port(other, "00:00:00:00:00:99");

    let mut extra = serde_json::Map::new();
    extra.insert(
        "client-id".into(),
        json!("ff:00:00:00:00:00:02:00:00:02:c9:00:7f:00:00:03:00:00:00:01"),
    );
    let created = ironic
        .create_port(&NewPort {
            node_uuid: uuid,
            address: "52:54:00:AA:BB:01".into(),
            extra,
            pxe_enabled: Some(false),
        })
        .await
        .unwrap();
    assert_eq!(
        (
            created.address.as_str(),
            created.pxe_enabled,
            created.node_uuid
        ),
        ("52:54:00:aa:bb:01", Some(false), Some(uuid))
    );
    for n in 2..=4 {
        let port = NewPort {
            node_uuid: uuid,
            address: format!("52:54:00:aa:bb:0{n}"),
            extra: Default::default(),
            pxe_enabled: None,
        };
        ironic.create_port(&port).await.unwrap();
    }

    let before = fake.requests().len();
    let duplicate = NewPort {
        node_uuid: uuid,
        address: "52:54:00:aa:bb:01".into(),
        extra: Default::default(),
        pxe_enabled: None,
    };
    let error = ironic.create_port(&duplicate).await.unwrap_err();
    assert_eq!(
        (error.kind(), error.message()),
        (
            ErrorKind::Conflict,
            "A port with MAC address 52:54:00:aa:bb:01 already exists."
        )
    );
    assert_eq!(
        fake.requests().len(),
        before + 1,
        "a duplicate MAC is not retried"
    );

    let ports = ironic
        .list_ports(&PortQuery {
            node: Some(uuid),
            fields: vec![],
        })
        .await
        .unwrap();
    assert_eq!(ports.len(), 4, "paged by 2, only this node's");
    let all = ironic
        .list_ports(&PortQuery {
            node: None,
            fields: vec!["address".into(), "extra".into()],
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    let found = ironic
        .find_port("52:54:00:AA:BB:01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.uuid, created.uuid);
    assert!(
        ironic
            .find_port("52:54:00:ff:ff:ff")
            .await
            .unwrap()
            .is_none()
    );

    let patched = ironic
        .patch_port(created.uuid, &patch(json!([
            {"op": "replace", "path": "/pxe_enabled", "value": true},
            {"op": "add", "path": "/local_link_connection/switch_id", "value": "88:5a:92:ec:54:59"},
            {"op": "replace", "path": "/physical_network", "value": "physnet1"}
        ])))
        .await
        .unwrap();
    assert_eq!(patched.pxe_enabled, Some(true));
    assert_eq!(
        patched.local_link_connection["switch_id"],
        "88:5a:92:ec:54:59"
    );
    assert_eq!(patched.physical_network.as_deref(), Some("physnet1"));

    ironic.delete_port(created.uuid).await.unwrap();
    assert!(
        ironic
            .find_port("52:54:00:aa:bb:01")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        ironic.delete_port(created.uuid).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn retries_node_locked_and_unavailable_then_gives_up() {
    let fake = FakeIronic::start().await.unwrap();
    let raw = fake.add_node(json!({"driver": "ipmi"}));
    let uuid = node_uuid(raw);
    let ironic = HttpIronic::new(&options(&format!(
        "auth_type = none\nendpoint_override = {}\nmax_retries = 3\n",
        fake.url()
    )))
    .await
    .unwrap();
    ironic.api_version().await.unwrap();

    fake.lock_node(raw, 3);
    let before = fake.requests().len();
    ironic
        .set_power_state(uuid, PowerTarget::PowerOff)
        .await
        .unwrap();
    let attempts: Vec<_> = fake.requests().split_off(before);
    let statuses: Vec<u16> = attempts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [409, 409, 409, 202], "three 409s, then success");
    let id = attempts[0].request_id.clone().unwrap();
    assert!(
        id.starts_with("req-") && NodeUuid::is_uuid_like(&id[4..]),
        "{id}"
    );
    assert!(
        attempts
            .iter()
            .all(|r| r.request_id.as_deref() == Some(id.as_str())),
        "retries keep the request id"
    );

    fake.make_unavailable(2);
    let before = fake.requests().len();
    ironic.get_node(&uuid.to_string()).await.unwrap();
    assert_eq!(fake.requests().len() - before, 3, "two 503s, then success");

    fake.lock_node(raw, 10);
    let before = fake.requests().len();
    let error = ironic.get_node(&uuid.to_string()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NodeLocked);
    assert_eq!(error.status(), Some(409));
    assert!(
        error.message().ends_with("(gave up after 3 retries)"),
        "{}",
        error.message()
    );
    assert!(
        error
            .message()
            .starts_with(&format!("Node {raw} is locked by host fake-conductor"))
    );
    assert_eq!(
        fake.requests().len() - before,
        4,
        "one try and three retries"
    );
}

#[tokio::test]
async fn tls_files_are_checked_when_the_client_is_built() {
    let error = HttpIronic::new(&options(
        "auth_type = none\nendpoint_override = https://ironic:6385\ncafile = /nonexistent/ca.pem\n",
    ))
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    assert!(
        error
            .message()
            .starts_with("[ironic] cafile /nonexistent/ca.pem: "),
        "{error}"
    );
    let error = HttpIronic::new(&options(
        "auth_type = none\nendpoint_override = https://ironic:6385\nkeyfile = /k.pem\n",
    ))
    .await
    .unwrap_err();
    assert_eq!(error.message(), "[ironic] keyfile needs certfile");
    let dir = std::env::temp_dir().join(format!("inspector-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("ca.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let text = format!(
        "auth_type = none\nendpoint_override = https://ironic:6385\ncafile = {}\n",
        garbage.display()
    );
    match HttpIronic::new(&options(&text)).await {
        Ok(_) => {} // An empty bundle is accepted by some TLS stacks; nothing to verify against then.
        Err(error) => assert!(error.message().contains("cafile"), "{error}"),
    }
    let insecure = HttpIronic::new(&options(
        "auth_type = none\nendpoint_override = https://ironic:6385\ninsecure = true\ntimeout = 5\n",
    ))
    .await;
    assert!(insecure.is_ok());
}

#[tokio::test]
async fn http_basic_authentication() {
    let auth = FakeAuth::HttpBasic {
        username: "admin".into(),
        password: "secret".into(),
    };
    let fake = FakeIronic::start_with(FakeIronicConfig {
        auth,
        ..Default::default()
    })
    .await
    .unwrap();
    fake.add_node(json!({"driver": "ipmi", "name": "n"}));
    let good = format!(
        "auth_type = http_basic\nendpoint_override = {}\nusername = admin\npassword = secret\n",
        fake.url()
    );
    let ironic = HttpIronic::new(&options(&good)).await.unwrap();
    assert_eq!(
        ironic.get_node("n").await.unwrap().name.as_deref(),
        Some("n")
    );
    let bad = format!(
        "auth_type = http_basic\nendpoint_override = {}\nusername = admin\npassword = wrong\n",
        fake.url()
    );
    let ironic = HttpIronic::new(&options(&bad)).await.unwrap();
    let error = ironic.get_node("n").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
}

fn keystone() -> FakeIronicConfig {
    FakeIronicConfig {
        auth: FakeAuth::Keystone {
            username: "ironic-inspector".into(),
            password: "pw".into(),
            application_credential: Some(("ac-1".into(), "ac-secret".into())),
            region: "RegionOne".into(),
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn keystone_password_application_credential_and_token() {
    let fake = FakeIronic::start_with(keystone()).await.unwrap();
    fake.add_node(json!({"driver": "ipmi", "name": "n"}));
    let auth_url = fake.auth_url();
    let password = format!(
        "auth_type = password\nauth_url = {auth_url}\nusername = ironic-inspector\npassword = pw\n\
         project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\nregion_name = RegionOne\n"
    );
    let ironic = HttpIronic::new(&options(&password)).await.unwrap();
    assert_eq!(
        ironic.get_node("n").await.unwrap().name.as_deref(),
        Some("n"),
        "endpoint from the catalog"
    );

    let appcred = format!(
        "auth_type = v3applicationcredential\nauth_url = {auth_url}\napplication_credential_id = ac-1\napplication_credential_secret = ac-secret\n"
    );
    let ironic = HttpIronic::new(&options(&appcred)).await.unwrap();
    assert_eq!(
        ironic.get_node("n").await.unwrap().name.as_deref(),
        Some("n")
    );

    // A token issued earlier (here by the fake Keystone itself).
    let issued = reqwest::Client::new()
        .post(format!("{auth_url}/auth/tokens"))
        .json(&json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "ironic-inspector", "password": "pw", "domain": {"name": "Default"}}}}}}))
        .send()
        .await
        .unwrap();
    let token = issued.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let with_token = format!("auth_type = token\nauth_url = {auth_url}\ntoken = {token}\n");
    let ironic = HttpIronic::new(&options(&with_token)).await.unwrap();
    assert_eq!(
        ironic.get_node("n").await.unwrap().name.as_deref(),
        Some("n")
    );
}

#[tokio::test]
async fn keystone_failures_are_clear() {
    let fake = FakeIronic::start_with(keystone()).await.unwrap();
    fake.add_node(json!({"driver": "ipmi", "name": "n"}));
    let auth_url = fake.auth_url();
    let wrong = format!(
        "auth_type = password\nauth_url = {auth_url}\nusername = ironic-inspector\npassword = nope\n"
    );
    let error = match HttpIronic::new(&options(&wrong)).await {
        Ok(ironic) => ironic.get_node("n").await.unwrap_err(),
        Err(error) => error,
    };
    assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error}");

    let region = format!(
        "auth_type = password\nauth_url = {auth_url}\nusername = ironic-inspector\npassword = pw\nregion_name = RegionTwo\n"
    );
    let error = match HttpIronic::new(&options(&region)).await {
        Ok(ironic) => ironic.get_node("n").await.unwrap_err(),
        Err(error) => error,
    };
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(error.message().contains("baremetal"), "{error}");
}

#[tokio::test]
async fn the_request_rate_cap_spaces_requests() {
    let fake = FakeIronic::start().await.unwrap();
    fake.add_node(json!({"driver": "ipmi", "name": "n"}));
    let capped = format!(
        "auth_type = none\nendpoint_override = {}\nmax_requests_per_second = 20\n",
        fake.url()
    );
    let ironic = HttpIronic::new(&options(&capped)).await.unwrap();
    ironic.api_version().await.unwrap();
    let started = Instant::now();
    for _ in 0..30 {
        ironic.get_node("n").await.unwrap();
    }
    // 20 per second with a burst of 20: the last 10 of 30 requests wait for
    // the quota, half a second at least (a lower bound: never flaky when slow).
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.path == "/v1/nodes/n")
            .count(),
        30
    );
}

/// Runs a read-only subset against a real Ironic when `IRONIC_URL` is set
/// (no authentication, as a standalone Ironic serves it).
#[tokio::test]
async fn against_a_real_ironic_when_configured() {
    let Ok(url) = std::env::var("IRONIC_URL") else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED against_a_real_ironic_when_configured: IRONIC_URL is not set"
        );
        return;
    };
    let ironic = HttpIronic::new(&options(&format!(
        "auth_type = none\nendpoint_override = {url}\n"
    )))
    .await
    .unwrap();
    let version = ironic.api_version().await.unwrap();
    assert!(version >= osauth_version(1, 45), "{version}");
    let nodes = ironic
        .list_nodes(&NodeQuery {
            fields: vec!["driver_info".into()],
        })
        .await
        .unwrap();
    if let Some(node) = nodes.first() {
        assert_eq!(
            ironic.get_node(&node.uuid.to_string()).await.unwrap().uuid,
            node.uuid
        );
        ironic
            .list_ports(&PortQuery {
                node: Some(node.uuid),
                fields: vec![],
            })
            .await
            .unwrap();
    }
}

fn osauth_version(major: u16, minor: u16) -> osauth::ApiVersion {
    osauth::ApiVersion(major, minor)
}
