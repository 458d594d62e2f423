//! The official python client (`openstack baremetal introspection ...`) against
//! the real binary and the fake Ironic. Runs when `OPENSTACK_CLI` names the
//! `openstack` executable of an environment with python-ironic-inspector-client
//! installed (`.ci/run` makes one); otherwise it says why it skips.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

fn openstack(cli: &str, inspector: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(cli)
        .args(["--os-auth-type", "none", "--inspector-url", inspector])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client() {
    let Ok(cli) = std::env::var("OPENSTACK_CLI") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_official_python_client: OPENSTACK_CLI is not set"
        );
        return;
    };
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi", "name": "compute-0", "driver_info": {"ipmi_address": "10.6.0.1"}, "provision_state": "manageable"}));
    fake.add_port(node, "52:54:00:06:00:01");
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let url = service.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let uuid = node.to_string();

    // Rules imported first act on the node when its data arrives.
    let rules_file = dir.path().join("rules.json");
    std::fs::write(
        &rules_file,
        serde_json::to_string(&json!([
            {"description": "tag big memory", "scope": null,
             "conditions": [{"op": "ge", "field": "memory_mb", "value": 1024}],
             "actions": [{"action": "add-trait", "name": "CUSTOM_BIGMEM"},
                         {"action": "set-attribute", "path": "/extra/vendor",
                          "value": "{data[inventory][system_vendor][manufacturer]}"}]},
            {"uuid": "7459bf7c-9ff9-43a8-ba9f-48542ecda66c", "description": "never",
             "conditions": [{"op": "lt", "field": "memory_mb", "value": 1}],
             "actions": [{"action": "fail", "message": "too small"}]}
        ]))
        .unwrap(),
    )
    .unwrap();
    let (ok, out, err) = openstack(
        &cli,
        &url,
        &[
            "baremetal",
            "introspection",
            "rule",
            "import",
            rules_file.to_str().unwrap(),
            "-f",
            "json",
        ],
    );
    assert!(ok, "rule import: {err}");
    let imported: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(imported.as_array().map(Vec::len), Some(2), "{imported}");
    assert_eq!(imported[0]["Description"], "tag big memory", "{imported}");
    assert_eq!(imported[1]["UUID"], "7459bf7c-9ff9-43a8-ba9f-48542ecda66c");
    let (ok, out, err) = openstack(
        &cli,
        &url,
        &[
            "baremetal",
            "introspection",
            "rule",
            "show",
            "7459bf7c-9ff9-43a8-ba9f-48542ecda66c",
            "-f",
            "json",
        ],
    );
    assert!(ok, "rule show: {err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        shown["conditions"],
        json!([{"op": "lt", "field": "memory_mb", "value": 1, "multiple": "any", "invert": false}]),
        "{shown}"
    );

    let (ok, _, err) = openstack(
        &cli,
        &url,
        &["baremetal", "introspection", "start", "compute-0"],
    );
    assert!(ok, "start: {err}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (ok, out, err) = openstack(
            &cli,
            &url,
            &["baremetal", "introspection", "status", &uuid, "-f", "json"],
        );
        assert!(ok, "status: {err}");
        let status: Value = serde_json::from_str(&out).unwrap();
        if status["state"] == "waiting" {
            assert_eq!(status["finished"], false);
            break;
        }
        assert!(Instant::now() < deadline, "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, out, err) = openstack(
        &cli,
        &url,
        &["baremetal", "introspection", "list", "-f", "json"],
    );
    assert!(ok, "list: {err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["UUID"], uuid, "{list}");

    // The ramdisk reports.
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = json!("52:54:00:06:00:01");
    data["boot_interface"] = json!("01-52-54-00-06-00-01");
    let answer = reqwest::Client::new()
        .post(format!("{url}/v1/continue"))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    loop {
        let (_, out, _) = openstack(
            &cli,
            &url,
            &["baremetal", "introspection", "status", &uuid, "-f", "json"],
        );
        let status: Value = serde_json::from_str(&out).unwrap();
        if status["finished"] == true {
            assert_eq!(
                (status["state"].as_str(), &status["error"]),
                (Some("finished"), &Value::Null)
            );
            break;
        }
        assert!(Instant::now() < deadline, "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let saved = dir.path().join("data.json");
    let (ok, _, err) = openstack(
        &cli,
        &url,
        &[
            "baremetal",
            "introspection",
            "data",
            "save",
            &uuid,
            "--file",
            saved.to_str().unwrap(),
        ],
    );
    assert!(ok, "data save: {err}");
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(stored["macs"], json!(["52:54:00:06:00:01"]));

    let (ok, _, err) = openstack(&cli, &url, &["baremetal", "introspection", "abort", &uuid]);
    assert!(ok, "abort: {err}");
    {
        let state = fake.state();
        let changed = state.node(&uuid).unwrap();
        assert_eq!(changed["traits"], json!(["CUSTOM_BIGMEM"]), "{changed}");
        assert!(changed["extra"]["vendor"].is_string(), "{changed}");
    }
    let rule_list = || {
        let (ok, out, err) = openstack(
            &cli,
            &url,
            &["baremetal", "introspection", "rule", "list", "-f", "json"],
        );
        assert!(ok, "rule list: {err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    assert_eq!(rule_list().as_array().map(Vec::len), Some(2));
    let delete_rule = || {
        openstack(
            &cli,
            &url,
            &[
                "baremetal",
                "introspection",
                "rule",
                "delete",
                "7459bf7c-9ff9-43a8-ba9f-48542ecda66c",
            ],
        )
    };
    let (ok, _, err) = delete_rule();
    assert!(ok, "rule delete: {err}");
    let remaining = rule_list();
    assert_eq!(remaining[0]["Description"], "tag big memory", "{remaining}");
    assert_eq!(remaining.as_array().map(Vec::len), Some(1));
    let (ok, _, err) = delete_rule();
    assert!(!ok);
    assert!(
        err.contains("Rule 7459bf7c-9ff9-43a8-ba9f-48542ecda66c was not found"),
        "{err}"
    );
    let (ok, _, err) = openstack(&cli, &url, &["baremetal", "introspection", "rule", "purge"]);
    assert!(ok, "rule purge: {err}");
    assert_eq!(rule_list(), json!([]));
    let (ok, _, err) = openstack(
        &cli,
        &url,
        &[
            "baremetal",
            "introspection",
            "status",
            "1a1a1a1a-0000-4000-8000-00000000dead",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("Could not find node 1a1a1a1a-0000-4000-8000-00000000dead in cache"),
        "{err}"
    );
}
