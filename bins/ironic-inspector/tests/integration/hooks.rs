//! The optional processing hooks through the real binary: LLDP, local link
//! connection, physical networks, extra hardware, accelerators and the RAID
//! root device, configured in `inspector.conf`, seen in the fake Ironic.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

const MAC: &str = "11:22:33:44:55:66";

fn payload() -> Value {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["boot_interface"] = json!(format!("01-{}", MAC.replace(':', "-")));
    data["inventory"]["interfaces"][0]["lldp"] = json!([
        [1, "04885a92ec5459"],
        [2, "0545746865726e6574312f3138"],
        [3, "0078"],
        [5, "737730312d646973742d31622d623132"],
        [127, "0080c2010066"],
        [0, ""]
    ]);
    data["data"] = json!([
        ["cpu", "logical", "number", "8"],
        ["disk", "sda", "size", "1000"]
    ]);
    data["pci_devices"] = json!([
        {"vendor_id": "10de", "product_id": "1eb8", "class": "030200", "bus": "0000:af:00.0"}
    ]);
    data
}

/// With `existing_port` false the node has no port yet: `validate_interfaces`
/// creates it and the port hooks must fill it in the same run.
#[rstest::rstest]
#[case::existing_port(true)]
#[case::port_created_in_the_same_run(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_hooks_change_the_node_and_its_ports(#[case] existing_port: bool) {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(
        json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.8.0.1"},
                                     "provision_state": "manageable"}),
    );
    let mut payload = payload();
    if !existing_port {
        payload["inventory"]["bmc_address"] = json!("10.8.0.1");
    }
    let port = existing_port.then(|| fake.add_port(node, MAC));
    let service = common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        "[processing]\nstore_data = database\nprocessing_hooks = $default_processing_hooks,\
         extra_hardware,lldp_basic,local_link_connection,physnet_cidr_map,accelerators,raid_device\n\
         [port_physnet]\ncidr_map = 192.0.2.0/24:physnet_a\n",
    ));
    let http = reqwest::Client::new();
    let started = http
        .post(format!(
            "{}/v1/introspection/{node}?manage_boot=0",
            service.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let answer = http
        .post(format!("{}/v1/continue", service.url))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let status = common::finished_status(&http, &service.url, &node.to_string()).await;
    assert_eq!(status["error"], Value::Null, "{status}");

    {
        let state = fake.state();
        let port = match port {
            Some(uuid) => state.port(uuid).unwrap(),
            None => state.ports().find(|p| p["address"] == MAC).unwrap(),
        };
        assert_eq!(port["node_uuid"], node.to_string());
        assert_eq!(
            port["local_link_connection"],
            json!({"switch_id": "88:5a:92:ec:54:59", "port_id": "Ethernet1/18"})
        );
        assert_eq!(port["physical_network"], "physnet_a");
        let node_doc = state.node(&node.to_string()).unwrap();
        assert_eq!(
            node_doc["properties"]["accelerators"][0]["device_info"],
            "NVIDIA Corporation Tesla T4"
        );
        assert!(
            node_doc["extra"]["block_devices"]["serials"].is_array(),
            "raid_device remembers the disks: {node_doc}"
        );
    }

    let data = common::get_json(
        &http,
        &format!("{}/v1/introspection/{node}/data", service.url),
    )
    .await;
    assert_eq!(
        data["all_interfaces"]["eth1"]["lldp_processed"],
        json!({"switch_chassis_id": "88:5a:92:ec:54:59", "switch_port_id": "Ethernet1/18",
               "switch_system_name": "sw01-dist-1b-b12", "switch_port_untagged_vlan_id": 102})
    );
    assert_eq!(
        data["extra"],
        json!({"cpu": {"logical": {"number": 8}}, "disk": {"sda": {"size": 1000}}})
    );
    assert!(data.get("data").is_none());
}

#[test]
fn unknown_or_misconfigured_hooks_stop_the_start() {
    for (sections, expected) in [
        (
            "[processing]\nprocessing_hooks = $default_processing_hooks,lldp_advanced\n",
            "The following hook(s) are missing or failed to load: lldp_advanced",
        ),
        (
            "[processing]\nprocessing_hooks = physnet_cidr_map\n[port_physnet]\ncidr_map = 10.0.0.1/24:p\n",
            "The following hook(s) are missing or failed to load: physnet_cidr_map",
        ),
        (
            "[processing]\nnode_not_found_hook = discover\n",
            "invalid value \"discover\" for option node_not_found_hook in group [processing]",
        ),
    ] {
        let (code, _dir, stderr) = common::run_to_exit(&common::config(
            "http://127.0.0.1:9",
            "auth_strategy = noauth\n",
            sections,
        ));
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}
