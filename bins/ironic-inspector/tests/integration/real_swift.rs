//! `[processing] store_data = swift` against a real Swift 2.38 (`.ci/venvs`):
//! a run's data lands in Swift as upstream's objects (with `X-Delete-After`),
//! the API and a re-application read it back, and a Swift outage fails the
//! record with Swift's text while Ironic keeps the processing result.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::real;

use std::time::Duration;

use inspector_fake_ironic::FakeIronic;
use real::swift::Swift;
use real::{Inspector, skip, venv};
use serde_json::{Value, json};

const CONTAINER: &str = "inspector-test";

async fn status(inspector: &Inspector, uuid: &str) -> Value {
    reqwest::get(format!("{}/v1/introspection/{uuid}", inspector.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn finished(inspector: &Inspector, uuid: &str) -> Value {
    real::wait_for(
        "the introspection to finish",
        Duration::from_secs(30),
        || async {
            let status = status(inspector, uuid).await;
            (status["finished"] == true).then_some(status)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_data_lives_in_a_real_swift() {
    const TEST: &str = "introspection_data_lives_in_a_real_swift";
    let _timed = real::timed(TEST);
    let venv = match venv("swift") {
        Ok(venv) => venv,
        Err(reason) => return skip(TEST, &reason),
    };
    let mut swift = match Swift::start(&venv).await {
        Ok(swift) => swift,
        Err(reason) => return skip(TEST, &reason),
    };
    let account = swift.account().await;
    let ironic = FakeIronic::start().await.unwrap();
    let machines = [
        ("52:54:00:40:00:01", "10.40.0.1"),
        ("52:54:00:40:00:02", "10.40.0.2"),
    ];
    let nodes: Vec<String> = machines
        .iter()
        .map(|(mac, bmc)| {
            let node = ironic.add_node(
                json!({"driver": "ipmi", "driver_info": {"ipmi_address": bmc},
                                              "provision_state": "manageable"}),
            );
            ironic.add_port(node, mac);
            node.to_string()
        })
        .collect();
    let config = format!(
        "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = {{port}}\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\nauth_type = none\nendpoint_override = {}\nretry_interval = 0\n\
         [processing]\nstore_data = swift\n\
         [swift]\nauth_type = admin_token\ntoken = {}\nendpoint_override = {}\n\
         container = {CONTAINER}\ndelete_after = 3600\n\
         [pxe_filter]\ndriver = noop\n",
        ironic.url(),
        account.token,
        account.storage_url
    );
    let inspector = Inspector::start(real::free_port(), &config).await;

    // A run: both objects in Swift, the processed one read back by the API.
    let (uuid, (mac, bmc)) = (&nodes[0], machines[0]);
    assert_eq!(inspector.introspect_unmanaged(uuid, mac, bmc).await, 200);
    assert_eq!(finished(&inspector, uuid).await["error"], Value::Null);
    let (code, delete_at, body) = swift
        .object(CONTAINER, &format!("inspector_data-{uuid}"))
        .await;
    assert_eq!(code, 200, "{}", swift.log());
    assert!(delete_at.is_some(), "X-Delete-After was sent");
    let stored: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stored["inventory"]["cpu"]["count"], 4);
    assert!(stored.get("logs").is_none(), "the logs are not stored");
    let (code, _, body) = swift
        .object(CONTAINER, &format!("inspector_data-{uuid}-UNPROCESSED"))
        .await;
    assert_eq!(code, 200);
    let unprocessed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        unprocessed["boot_interface"],
        real::payload(mac, bmc)["boot_interface"]
    );
    let data: Value = reqwest::get(format!("{}/v1/introspection/{uuid}/data", inspector.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["inventory"]["cpu"]["count"], 4, "the API reads Swift");

    // A re-application reads the unprocessed object.
    let reapplied = reqwest::Client::new()
        .post(format!(
            "{}/v1/introspection/{uuid}/data/unprocessed",
            inspector.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reapplied.status(), 202);
    assert_eq!(finished(&inspector, uuid).await["error"], Value::Null);

    // Upstream's migration tool: from Swift into the database.
    let migrate = |from: &str, to: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ironic-inspector-migrate-data"))
            .args(["--from", from, "--to", to, "--config-file"])
            .arg(inspector.config())
            .output()
            .unwrap()
    };
    let same = migrate("swift", "swift");
    assert_eq!(same.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&same.stderr).trim(),
        "Source and destination can not be the same."
    );
    let moved = migrate("swift", "database");
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&moved.stdout),
        "Finished introspection data migration, total records: 2. all records are migrated successfully.\n"
    );
    let rows = std::process::Command::new(venv.join("bin/python3"))
        .args([
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\
             'select count(*) from introspection_data where uuid = ?', (sys.argv[2],)).fetchone()[0])",
        ])
        .arg(inspector.dir.path().join("inspector.sqlite"))
        .arg(uuid)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&rows.stdout).trim(),
        "2",
        "processed and unprocessed data in the database"
    );

    // And back, into another container (a copy of the configuration naming it).
    let back = inspector.dir.path().join("migrate-back.conf");
    std::fs::write(
        &back,
        std::fs::read_to_string(inspector.config())
            .unwrap()
            .replace(
                &format!("container = {CONTAINER}"),
                "container = migrated-back",
            ),
    )
    .unwrap();
    let returned = std::process::Command::new(env!("CARGO_BIN_EXE_ironic-inspector-migrate-data"))
        .args(["--from", "database", "--to", "swift", "--config-file"])
        .arg(&back)
        .output()
        .unwrap();
    assert!(
        returned.status.success(),
        "{}",
        String::from_utf8_lossy(&returned.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&returned.stdout),
        "Finished introspection data migration, total records: 2. all records are migrated successfully.\n"
    );
    for object in [
        format!("inspector_data-{uuid}"),
        format!("inspector_data-{uuid}-UNPROCESSED"),
    ] {
        let (code, _, _) = swift.object("migrated-back", &object).await;
        assert_eq!(code, 200, "{object} migrated back into Swift");
    }

    // Swift goes down: the record says what failed, Ironic keeps the result.
    swift.stop_proxy();
    let (uuid, (mac, bmc)) = (&nodes[1], machines[1]);
    assert_eq!(inspector.introspect_unmanaged(uuid, mac, bmc).await, 400);
    let error = finished(&inspector, uuid).await["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.starts_with(&format!(
            "Swift failed to create container {CONTAINER}. Error was: "
        )),
        "{error}"
    );
    let node = ironic.state().node(uuid).unwrap().clone();
    assert_eq!(
        node["properties"]["memory_mb"], "12288",
        "the processing result reached Ironic: {node}"
    );
    let answer = reqwest::get(format!("{}/v1/introspection/{uuid}/data", inspector.url))
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!(
                "Swift failed to get object inspector_data-{uuid} in container {CONTAINER}. Error was: "
            )),
        "{body}"
    );
}
