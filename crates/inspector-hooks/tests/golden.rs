//! Golden tests: a payload in, the exact data changes and node/port changes
//! out, per hook and per option value (the specification's examples).

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use inspector_config::{AddPorts, HookOptions, KeepPorts};
use inspector_hooks::{HookSet, IntrospectionData, NodeView, PortView};
use inspector_types::NodeUuid;
use rstest::rstest;
use serde_json::{Value, json};

fn data(value: Value) -> IntrospectionData {
    value.as_object().cloned().unwrap()
}

fn hooks(names: &[&str], tweak: impl FnOnce(&mut HookOptions)) -> HookSet {
    let mut options = HookOptions::with_processing_hooks(names);
    tweak(&mut options);
    HookSet::from_options(&options).unwrap()
}

fn node_view(properties: Value, ports: &[(&str, bool)]) -> NodeView {
    let ports = ports
        .iter()
        .map(|(address, pxe)| PortView {
            uuid: Some(uuid::Uuid::new_v4()),
            address: (*address).to_owned(),
            pxe_enabled: *pxe,
            ..PortView::default()
        })
        .collect();
    NodeView::new(
        NodeUuid::new_random(),
        Some("manageable".into()),
        properties.as_object().cloned().unwrap(),
        ports,
    )
}

fn inventory_with_disks(disks: Value) -> IntrospectionData {
    data(
        json!({"inventory": {"interfaces": [{"name": "eth0", "mac_address": "52:54:00:aa:bb:01"}], "disks": disks,
                              "cpu": {"count": 1}, "memory": {}}}),
    )
}

// ---- ramdisk_error ----------------------------------------------------------

#[rstest]
#[case(json!({"error": "Failed to collect disks"}), vec!["Preprocessing hook ramdisk_error: Ramdisk reported error: Failed to collect disks"])]
#[case(json!({"error": ""}), vec![])]
#[case(json!({"error": null}), vec![])]
#[case(json!({}), vec![])]
fn ramdisk_error(#[case] input: Value, #[case] failures: Vec<&str>) {
    let mut input = data(input);
    assert_eq!(
        hooks(&["ramdisk_error"], |_| {}).before_processing(&mut input),
        failures
    );
}

// ---- root_disk_selection ----------------------------------------------------

fn two_disks() -> Value {
    json!([{"name": "/dev/sda", "size": 1_073_741_824_000_i64, "model": "Big Data Disk"},
           {"name": "/dev/sdb", "size": 21_474_836_485_i64, "model": "Small OS Disk"}])
}

#[test]
fn root_disk_by_hints() {
    let mut data = inventory_with_disks(two_disks());
    let mut node = node_view(json!({"root_device": {"model": "small os disk"}}), &[]);
    hooks(&["root_disk_selection"], |_| {})
        .before_update(&mut data, &mut node)
        .unwrap();
    assert_eq!(data["root_disk"]["name"], "/dev/sdb");
    assert_eq!(data["local_gb"], 19);
    assert_eq!(
        node.changes().node_patch,
        [json!({"op": "add", "path": "/properties/local_gb", "value": "19"})]
    );
}

#[rstest]
#[case::spacing(true, "999")]
#[case::no_spacing(false, "1000")]
fn root_disk_from_the_ramdisk(#[case] spacing: bool, #[case] expected: &str) {
    let mut data = inventory_with_disks(two_disks());
    data.insert(
        "root_disk".into(),
        json!({"name": "/dev/sda", "size": 1_073_741_824_000_i64}),
    );
    let mut node = node_view(json!({}), &[]);
    hooks(&["root_disk_selection"], |o| {
        o.processing.disk_partitioning_spacing = spacing
    })
    .before_update(&mut data, &mut node)
    .unwrap();
    assert_eq!(
        node.changes().node_patch,
        [json!({"op": "add", "path": "/properties/local_gb", "value": expected})]
    );
}

#[test]
fn root_disk_with_a_skip_list() {
    let mut data = inventory_with_disks(json!([
        {"name": "/dev/sda", "size": 1_073_741_824_000_i64, "rotational": true},
        {"name": "/dev/sdb", "size": 1_073_741_824_000_i64, "rotational": false},
        {"name": "/dev/sdc", "size": 0, "rotational": true}
    ]));
    let mut node = node_view(
        json!({"root_device": {"rotational": true}, "skip_block_devices": [{"name": "/dev/sda"}]}),
        &[],
    );
    hooks(&["root_disk_selection"], |_| {})
        .before_update(&mut data, &mut node)
        .unwrap();
    let names: Vec<&str> = data["inventory"]["disks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["/dev/sdb", "/dev/sdc"],
        "skipped disks leave the inventory"
    );
    assert_eq!(data["root_disk"]["name"], "/dev/sdc");
    assert_eq!(
        node.changes().node_patch,
        [json!({"op": "add", "path": "/properties/local_gb", "value": "0"})]
    );
}

#[rstest]
#[case(json!({"model": 123}), "No disks could be found using the root device hints {'model': 123} because they failed to validate. Error: Root device hint \"model\" is not a string value. Hint expression: 123")]
#[case(json!({"model": "nothing like it"}), "No disks satisfied root device hints")]
fn root_disk_failures(#[case] hints: Value, #[case] message: &str) {
    let mut data = inventory_with_disks(two_disks());
    let mut node = node_view(json!({"root_device": hints}), &[]);
    let failure = hooks(&["root_disk_selection"], |_| {})
        .before_update(&mut data, &mut node)
        .unwrap_err();
    assert_eq!(
        (failure.hook, failure.message.as_str()),
        ("root_disk_selection", message)
    );
}

#[test]
fn root_disk_keeps_local_gb_without_overwrite() {
    let mut data = inventory_with_disks(two_disks());
    data.insert("root_disk".into(), json!({"size": 42_949_672_960_i64}));
    let mut node = node_view(json!({"local_gb": "40"}), &[]);
    hooks(&["root_disk_selection"], |o| {
        o.processing.overwrite_existing = false
    })
    .before_update(&mut data, &mut node)
    .unwrap();
    assert_eq!(data["local_gb"], 39);
    assert!(node.changes().node_patch.is_empty());
}

// ---- scheduler --------------------------------------------------------------

fn scheduler_data() -> IntrospectionData {
    data(
        json!({"inventory": {"interfaces": [{"name": "eth0"}], "disks": [],
        "cpu": {"count": 8, "architecture": "x86_64"}, "memory": {"physical_mb": 16384, "total": 1}}}),
    )
}

#[rstest]
#[case::overwrite(true, json!({}), json!([
    {"op": "add", "path": "/properties/cpus", "value": "8"},
    {"op": "add", "path": "/properties/cpu_arch", "value": "x86_64"},
    {"op": "add", "path": "/properties/memory_mb", "value": "16384"}]))]
#[case::keep(false, json!({"cpus": "4", "cpu_arch": "x86_64", "local_gb": "40"}), json!([
    {"op": "add", "path": "/properties/memory_mb", "value": "16384"}]))]
fn scheduler(#[case] overwrite: bool, #[case] properties: Value, #[case] patch: Value) {
    let mut data = scheduler_data();
    let mut node = node_view(properties, &[]);
    hooks(&["scheduler"], |o| {
        o.processing.overwrite_existing = overwrite
    })
    .before_update(&mut data, &mut node)
    .unwrap();
    assert_eq!(
        (
            data["cpus"].clone(),
            data["cpu_arch"].clone(),
            data["memory_mb"].clone()
        ),
        (json!(8), json!("x86_64"), json!(16384))
    );
    assert_eq!(Value::Array(node.changes().node_patch.clone()), patch);
}

// ---- validate_interfaces ----------------------------------------------------

fn interfaces_data(boot_interface: bool) -> IntrospectionData {
    let mut value = json!({"inventory": {
    "bmc_address": "0.0.0.0", "bmc_v6address": "::/0",
    "interfaces": [
        {"name": "lo", "mac_address": "00:00:00:00:00:00", "ipv4_address": "127.0.0.1"},
        {"name": "eth0", "mac_address": "52:54:00:AA:BB:01", "ipv4_address": "192.0.2.10"},
        {"name": "eth1", "mac_address": "52:54:00:aa:bb:02", "ipv6_address": "fe80::1%eth1"},
        {"name": "eth2", "mac_address": "52:54:00:aa:bb:03"},
        {"name": "eth3"},
        {"name": "ib0", "mac_address": "not-a-mac", "ipv4_address": "10.0.0.5"},
        {"mac_address": "52:54:00:aa:bb:04"}
    ]}});
    if boot_interface {
        value["boot_interface"] = json!("01-52-54-00-aa-bb-01");
    }
    data(value)
}

#[test]
fn validate_interfaces_phase_one_exact_output() {
    let mut data = interfaces_data(true);
    assert!(
        hooks(&["validate_interfaces"], |_| {})
            .before_processing(&mut data)
            .is_empty()
    );
    let expected = json!({
        "ipmi_address": null, "ipmi_v6address": null,
        "all_interfaces": {
            "lo":   {"ip": "127.0.0.1", "mac": "00:00:00:00:00:00", "client_id": null, "pxe": false},
            "eth0": {"ip": "192.0.2.10", "mac": "52:54:00:aa:bb:01", "client_id": null, "pxe": true},
            "eth1": {"ip": "fe80::1", "mac": "52:54:00:aa:bb:02", "client_id": null, "pxe": false},
            "eth2": {"ip": null, "mac": "52:54:00:aa:bb:03", "client_id": null, "pxe": false}},
        "interfaces": {"eth0": {"ip": "192.0.2.10", "mac": "52:54:00:aa:bb:01", "client_id": null, "pxe": true}},
        "macs": ["52:54:00:aa:bb:01"]
    });
    for key in [
        "ipmi_address",
        "ipmi_v6address",
        "all_interfaces",
        "interfaces",
        "macs",
    ] {
        assert_eq!(data[key], expected[key], "{key}");
    }
    let order: Vec<&String> = data["all_interfaces"].as_object().unwrap().keys().collect();
    assert_eq!(
        order,
        ["lo", "eth0", "eth1", "eth2"],
        "inventory order is kept"
    );
}

#[rstest]
#[case::pxe(AddPorts::Pxe, true, &["eth0"])]
#[case::active(AddPorts::Active, true, &["eth0", "eth1"])]
#[case::all(AddPorts::All, true, &["eth0", "eth1", "eth2"])]
#[case::pxe_without_boot_interface(AddPorts::Pxe, false, &["eth0", "eth1"])]
#[case::disabled(AddPorts::Disabled, true, &["eth0", "eth1"])]
fn validate_interfaces_selection(
    #[case] add_ports: AddPorts,
    #[case] boot_interface: bool,
    #[case] selected: &[&str],
) {
    let mut data = interfaces_data(boot_interface);
    assert!(
        hooks(&["validate_interfaces"], |o| o.processing.add_ports =
            add_ports)
        .before_processing(&mut data)
        .is_empty()
    );
    let names: Vec<&String> = data["interfaces"].as_object().unwrap().keys().collect();
    assert_eq!(names, selected);
    if !boot_interface {
        assert!(
            data["all_interfaces"]
                .as_object()
                .unwrap()
                .values()
                .all(|r| r["pxe"] == false)
        );
    }
}

#[test]
fn validate_interfaces_phase_one_errors() {
    let set = hooks(&["validate_interfaces"], |_| {});
    let mut only_lo = data(
        json!({"inventory": {"interfaces": [{"name": "lo", "mac_address": "00:00:00:00:00:00", "ipv4_address": "127.0.0.1"}]}}),
    );
    assert_eq!(
        set.before_processing(&mut only_lo),
        [
            "Preprocessing hook validate_interfaces: No suitable interfaces found in {'lo': {'ip': '127.0.0.1', 'mac': '00:00:00:00:00:00', 'client_id': None, 'pxe': False}}"
        ]
    );
    let mut invalid =
        data(json!({"inventory": {"interfaces": [{"name": "eth9", "mac_address": "bad"}]}}));
    assert_eq!(
        set.before_processing(&mut invalid),
        ["Preprocessing hook validate_interfaces: No interfaces supplied by the ramdisk"]
    );
    let mut none = data(json!({}));
    assert_eq!(
        set.before_processing(&mut none),
        ["Preprocessing hook validate_interfaces: Hardware inventory is empty or missing"]
    );
}

fn phase_two(keep_ports: KeepPorts, provision_state: &str) -> NodeView {
    let mut data = interfaces_data(true);
    let inventory = data.get_mut("inventory").unwrap();
    inventory["interfaces"][2] = json!({"name": "eth1", "mac_address": "52:54:00:aa:bb:02", "ipv4_address": "192.0.2.11", "client_id": "ff:00:00:00:00:00:02:00:00:02:c9:00:7c:fe:90:03:00:29:26:52"});
    let set = hooks(&["validate_interfaces"], |o| {
        o.processing.add_ports = AddPorts::Active;
        o.processing.keep_ports = keep_ports;
    });
    assert!(set.before_processing(&mut data).is_empty());
    let mut node = node_view(
        json!({}),
        &[
            ("52:54:00:aa:bb:01", false),
            ("52:54:00:aa:bb:02", true),
            ("52:54:00:aa:bb:03", true),
            ("52:54:00:aa:bb:99", true),
        ],
    );
    node.provision_state = Some(provision_state.into());
    set.before_update(&mut data, &mut node).unwrap();
    node
}

#[test]
fn validate_interfaces_phase_two_keep_added() {
    let node = phase_two(KeepPorts::Added, "manageable");
    let changes = node.changes();
    assert!(changes.create_ports.is_empty(), "both ports exist");
    assert_eq!(
        changes.existing_ports,
        ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"]
    );
    let deleted: Vec<&str> = changes
        .delete_ports
        .iter()
        .map(|(_, mac)| mac.as_str())
        .collect();
    assert_eq!(deleted, ["52:54:00:aa:bb:03", "52:54:00:aa:bb:99"]);
    let patched: Vec<(&str, &Vec<Value>)> = changes
        .patch_ports
        .iter()
        .map(|(_, mac, patch)| (mac.as_str(), patch))
        .collect();
    assert_eq!(
        patched,
        [
            (
                "52:54:00:aa:bb:01",
                &vec![json!({"op": "replace", "path": "/pxe_enabled", "value": true})]
            ),
            (
                "52:54:00:aa:bb:02",
                &vec![json!({"op": "replace", "path": "/pxe_enabled", "value": false})]
            ),
        ]
    );
}

#[test]
fn validate_interfaces_phase_two_keep_present_and_active_nodes() {
    let node = phase_two(KeepPorts::Present, "manageable");
    let deleted: Vec<&str> = node
        .changes()
        .delete_ports
        .iter()
        .map(|(_, mac)| mac.as_str())
        .collect();
    assert_eq!(deleted, ["52:54:00:aa:bb:99"]);
    let active = phase_two(KeepPorts::Added, "active");
    assert!(active.changes().delete_ports.is_empty() && active.changes().patch_ports.is_empty());
}

#[test]
fn validate_interfaces_creates_missing_ports_with_client_id_and_pxe() {
    let mut data = interfaces_data(true);
    let set = hooks(&["validate_interfaces"], |o| {
        o.processing.add_ports = AddPorts::All
    });
    assert!(set.before_processing(&mut data).is_empty());
    let mut node = node_view(json!({}), &[]);
    set.before_update(&mut data, &mut node).unwrap();
    let created: Vec<(&str, bool)> = node
        .changes()
        .create_ports
        .iter()
        .map(|p| (p.address.as_str(), p.pxe_enabled))
        .collect();
    assert_eq!(
        created,
        [
            ("52:54:00:aa:bb:01", true),
            ("52:54:00:aa:bb:02", false),
            ("52:54:00:aa:bb:03", false)
        ]
    );
    let mut data = interfaces_data(true);
    let set = hooks(&["validate_interfaces"], |o| {
        o.processing.add_ports = AddPorts::All;
        o.processing.update_pxe_enabled = false;
    });
    assert!(set.before_processing(&mut data).is_empty());
    let mut node = node_view(json!({}), &[]);
    set.before_update(&mut data, &mut node).unwrap();
    assert!(
        node.changes().create_ports.iter().all(|p| p.pxe_enabled),
        "without update_pxe_enabled every port is PXE-enabled"
    );
}

/// UEFI/grub boots pass no BOOTIF: with no PXE MAC, every interface reads
/// `pxe: false`, and trusting that would turn PXE off on every port.
#[rstest]
#[case::existing_ports_keep_their_flags(&[("52:54:00:aa:bb:01", true), ("52:54:00:aa:bb:02", false)])]
#[case::new_ports_are_pxe_enabled(&[])]
fn validate_interfaces_without_a_pxe_mac_leaves_pxe_enabled(#[case] ports: &[(&str, bool)]) {
    let mut data = interfaces_data(false);
    let set = hooks(&["validate_interfaces"], |o| {
        o.processing.add_ports = AddPorts::All;
        o.processing.keep_ports = KeepPorts::All;
        o.processing.overwrite_existing = true;
        o.processing.update_pxe_enabled = true;
    });
    assert!(set.before_processing(&mut data).is_empty());
    let mut node = node_view(json!({}), ports);
    set.before_update(&mut data, &mut node).unwrap();
    let changes = node.changes();
    assert!(changes.patch_ports.is_empty(), "{:?}", changes.patch_ports);
    assert!(
        changes.create_ports.iter().all(|p| p.pxe_enabled),
        "{:?}",
        changes.create_ports
    );
    let flags: Vec<(&str, bool)> = node
        .ports
        .iter()
        .map(|p| (p.address.as_str(), p.pxe_enabled))
        .filter(|(address, _)| ports.iter().any(|(a, _)| a == address))
        .collect();
    assert_eq!(flags, ports);
}

// ---- capabilities -----------------------------------------------------------

#[rstest]
#[case::cpu_only(
    false,
    "boot_mode:bios,foo:bar,cpu_vt:true,cpu_aes:true,cpu_hugepages_1g:true"
)]
#[case::boot_mode(
    true,
    "boot_mode:uefi,foo:bar,cpu_vt:true,cpu_aes:true,cpu_hugepages_1g:true"
)]
fn capabilities(#[case] boot_mode: bool, #[case] expected: &str) {
    let mut data = data(
        json!({"inventory": {"interfaces": [{"name": "eth0"}], "disks": [],
        "cpu": {"flags": ["fpu", "vmx", "aes", "pdpe1gb", "lm"]}, "boot": {"current_boot_mode": "uefi"}}}),
    );
    let mut node = node_view(json!({"capabilities": "boot_mode:bios,foo:bar"}), &[]);
    hooks(&["capabilities"], |o| o.capabilities.boot_mode = boot_mode)
        .before_update(&mut data, &mut node)
        .unwrap();
    assert_eq!(
        node.changes().node_patch,
        [json!({"op": "add", "path": "/properties/capabilities", "value": expected})]
    );
}

// ---- pci_devices ------------------------------------------------------------

#[test]
fn pci_devices() {
    let mut data = data(json!({"pci_devices": [
        {"vendor_id": "8086", "product_id": "1572"}, {"vendor_id": "8086", "product_id": "1572"},
        {"vendor_id": "10de", "product_id": "1eb8"}, {"vendor_id": "1af4", "product_id": "1000"}]}));
    let mut node = node_view(json!({"capabilities": "boot_mode:uefi"}), &[]);
    let set = hooks(&["pci_devices"], |o| {
        o.pci_devices.alias = vec![
            r#"{"vendor_id": "8086", "product_id": "1572", "name": "intel_x710"}"#.into(),
            r#"{"vendor_id": "10de", "product_id": "1eb8", "name": "t4"}"#.into(),
            r#"{"vendor_id": "ffff", "name": "missing product"}"#.into(),
        ];
    });
    set.before_update(&mut data, &mut node).unwrap();
    assert_eq!(
        node.changes().node_patch,
        [
            json!({"op": "add", "path": "/properties/capabilities", "value": "boot_mode:uefi,intel_x710:2,t4:1"})
        ]
    );
}

// ---- the default list on a real payload --------------------------------------

#[test]
fn default_hooks_on_the_upstream_base_payload() {
    let payload: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    let mut data = data(payload);
    let set = HookSet::from_options(&HookOptions::default()).unwrap();
    assert!(set.before_processing(&mut data).is_empty());
    assert_eq!(data["ipmi_address"], "1.2.3.4");
    assert_eq!(
        data["ipmi_v6address"],
        "2001:1234:1234:1234:1234:1234:1234:1234"
    );
    assert_eq!(
        data["macs"],
        json!(["11:22:33:44:55:66"]),
        "add_ports=pxe keeps the PXE interface"
    );
    let mut node = node_view(json!({}), &[]);
    set.before_update(&mut data, &mut node).unwrap();
    assert_eq!(data["local_gb"], 999);
    assert_eq!(
        (data["cpus"].clone(), data["memory_mb"].clone()),
        (json!(4), json!(12288))
    );
    let paths: Vec<&str> = node
        .changes()
        .node_patch
        .iter()
        .map(|op| op["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/properties/local_gb",
            "/properties/cpus",
            "/properties/cpu_arch",
            "/properties/memory_mb",
            "/properties/capabilities"
        ]
    );
    let created: Vec<&str> = node
        .changes()
        .create_ports
        .iter()
        .map(|p| p.address.as_str())
        .collect();
    assert_eq!(created, ["11:22:33:44:55:66"]);
}
