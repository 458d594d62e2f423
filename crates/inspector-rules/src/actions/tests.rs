//! Rule actions against a node in memory that records what they ask of Ironic.

use std::sync::Mutex;

use async_trait::async_trait;
use rstest::rstest;
use serde_json::{Value, json};

use crate::engine::RuleTarget;
use crate::error::RuleFailure;
use crate::model::RuleDocument;
use crate::{RuleSet, parse_rule};

/// A node in memory that records what rules ask of Ironic.
#[derive(Debug)]
pub(crate) struct RecordingTarget {
    node: Mutex<Value>,
    ports: Mutex<Vec<Value>>,
    /// Requests in order: `["patch", reset, ops]`, `["add-trait", name]`, ...
    pub(crate) requests: Mutex<Vec<Value>>,
    /// Patches with `reset_interfaces` fail, as on an old Ironic.
    pub(crate) refuse_reset: bool,
}

impl RecordingTarget {
    pub(crate) fn new(node: Value) -> Self {
        Self {
            node: Mutex::new(node),
            ports: Mutex::new(vec![json!({"uuid": "0f2b1c3e-1111-4222-8333-944455556666",
                                          "address": "52:54:00:aa:bb:01", "extra": {"tags": ["a"]}})]),
            requests: Mutex::new(Vec::new()),
            refuse_reset: false,
        }
    }

    pub(crate) fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }

    fn record(&self, request: Value) {
        self.requests.lock().expect("lock").push(request);
    }
}

fn apply(target: &mut Value, ops: &[Value]) -> Result<(), RuleFailure> {
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops.to_vec()))
        .map_err(|e| RuleFailure::Error(e.to_string()))?;
    json_patch::patch(target, &patch).map_err(|e| RuleFailure::Error(e.to_string()))
}

#[async_trait]
impl RuleTarget for RecordingTarget {
    async fn node(&self) -> Result<Value, RuleFailure> {
        self.record(json!(["get-node"]));
        Ok(self.node.lock().expect("lock").clone())
    }

    async fn patch_node(&self, patch: &[Value], reset: bool) -> Result<Value, RuleFailure> {
        self.record(json!(["patch", reset, patch]));
        if reset && self.refuse_reset {
            return Err(RuleFailure::Error(
                "reset_interfaces is not supported".into(),
            ));
        }
        let mut node = self.node.lock().expect("lock");
        apply(&mut node, patch)?;
        Ok(node.clone())
    }

    async fn add_trait(&self, name: &str) -> Result<(), RuleFailure> {
        self.record(json!(["add-trait", name]));
        Ok(())
    }

    async fn remove_trait(&self, name: &str) -> Result<(), RuleFailure> {
        self.record(json!(["remove-trait", name]));
        Ok(())
    }

    async fn port(&self, id: &str) -> Result<Option<Value>, RuleFailure> {
        Ok(self
            .ports
            .lock()
            .expect("lock")
            .iter()
            .find(|p| p["uuid"] == id || p["address"] == id)
            .cloned())
    }

    async fn patch_port(&self, uuid: &str, patch: &[Value]) -> Result<(), RuleFailure> {
        self.record(json!(["patch-port", uuid, patch]));
        Ok(())
    }
}

fn data() -> Value {
    json!({"memory_mb": 16384, "cpu_arch": "x86_64",
           "inventory": {"bmc_address": "192.0.2.200",
                         "interfaces": [{"name": "eth0", "ipv4_address": "192.0.2.10"},
                                        {"name": "eth1", "ipv4_address": "10.0.0.5"}]}})
}

fn node() -> Value {
    json!({"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "driver": "ipmi", "driver_info": {},
           "properties": {"inspection_scope": "rack-a", "capabilities": "boot_mode:uefi,foo:bar"},
           "extra": {"tags": ["a"], "str": "x"}, "traits": []})
}

fn rules(docs: Value) -> Vec<RuleDocument> {
    docs.as_array()
        .expect("list")
        .iter()
        .map(|doc| parse_rule(doc).expect("valid"))
        .collect()
}

/// Runs one always-matching rule with `actions`; returns the node requests.
async fn run(actions: Value) -> (Result<usize, RuleFailure>, Vec<Value>) {
    run_on(RecordingTarget::new(node()), actions).await
}

async fn run_on(
    target: RecordingTarget,
    actions: Value,
) -> (Result<usize, RuleFailure>, Vec<Value>) {
    let set = RuleSet::compile(rules(json!([{"actions": actions}]))).expect("compiles");
    let result = set
        .apply(&data(), &target)
        .await
        .map(|applied| applied.len());
    let requests = target
        .requests()
        .into_iter()
        .filter(|r| r[0] != "get-node")
        .collect();
    (result, requests)
}

#[rstest]
#[case::set_attribute(
    json!({"action": "set-attribute", "path": "/extra/bmc", "value": "{data[inventory][bmc_address]}"}),
    json!([["patch", false, [{"op": "add", "path": "/extra/bmc", "value": "192.0.2.200"}]]]))]
#[case::set_attribute_adds_slash(
    json!({"action": "set-attribute", "path": "driver_info/ipmi_username", "value": "admin"}),
    json!([["patch", false, [{"op": "add", "path": "/driver_info/ipmi_username", "value": "admin"}]]]))]
#[case::set_attribute_null(
    json!({"action": "set-attribute", "path": "/properties/cpus", "value": null}),
    json!([["patch", false, [{"op": "add", "path": "/properties/cpus", "value": null}]]]))]
#[case::set_driver_resets_interfaces(
    json!({"action": "set-attribute", "path": "driver", "value": "redfish"}),
    json!([["patch", true, [{"op": "add", "path": "/driver", "value": "redfish"}]]]))]
#[case::set_driver_without_reset(
    json!({"action": "set-attribute", "path": "/driver", "value": "redfish", "reset_interfaces": false}),
    json!([["patch", false, [{"op": "add", "path": "/driver", "value": "redfish"}]]]))]
#[case::nested_value(
    json!({"action": "set-attribute", "path": "/extra/x", "value": {"{data[cpu_arch]}": ["{data[memory_mb]}", 1, null, true]}}),
    json!([["patch", false, [{"op": "add", "path": "/extra/x", "value": {"x86_64": ["16384", 1, null, true]}}]]]))]
#[case::set_capability(
    json!({"action": "set-capability", "name": "boot_mode", "value": "bios"}),
    json!([["patch", false, [{"op": "add", "path": "/properties/capabilities", "value": "boot_mode:bios,foo:bar"}]]]))]
#[case::set_capability_without_value_removes(
    json!({"action": "set-capability", "name": "foo"}),
    json!([["patch", false, [{"op": "add", "path": "/properties/capabilities", "value": "boot_mode:uefi"}]]]))]
#[case::set_capability_python_bool(
    json!({"action": "set-capability", "name": "cpu_vt", "value": true}),
    json!([["patch", false, [{"op": "add", "path": "/properties/capabilities", "value": "boot_mode:uefi,foo:bar,cpu_vt:True"}]]]))]
#[case::unset_capability(
    json!({"action": "unset-capability", "name": "boot_mode"}),
    json!([["patch", false, [{"op": "add", "path": "/properties/capabilities", "value": "foo:bar"}]]]))]
#[case::extend_replaces(
    json!({"action": "extend-attribute", "path": "/extra/tags", "value": "b"}),
    json!([["patch", false, [{"op": "replace", "path": "/extra/tags", "value": ["a", "b"]}]]]))]
#[case::extend_unique_present(
    json!({"action": "extend-attribute", "path": "extra/tags", "value": "a", "unique": true}),
    json!([]))]
#[case::extend_not_unique(
    json!({"action": "extend-attribute", "path": "extra/tags", "value": "a"}),
    json!([["patch", false, [{"op": "replace", "path": "/extra/tags", "value": ["a", "a"]}]]]))]
#[case::extend_new(
    json!({"action": "extend-attribute", "path": "/extra/new", "value": "z"}),
    json!([["patch", false, [{"op": "add", "path": "/extra/new", "value": ["z"]}]]]))]
#[case::set_driver_null_reset_is_explicit(
    json!({"action": "set-attribute", "path": "driver", "value": "redfish", "reset_interfaces": null}),
    json!([["patch", false, [{"op": "add", "path": "/driver", "value": "redfish"}]]]))]
#[case::add_trait(json!({"action": "add-trait", "name": "CUSTOM_X"}), json!([["add-trait", "CUSTOM_X"]]))]
#[case::remove_trait(json!({"action": "remove-trait", "name": "CUSTOM_X"}), json!([["remove-trait", "CUSTOM_X"]]))]
#[case::example(json!({"action": "example"}), json!([]))]
#[case::log(json!({"action": "log", "msg": "memory {data[memory_mb]}", "level": "warning"}), json!([]))]
#[case::del_attribute(
    json!({"action": "del-attribute", "path": "/extra/str"}),
    json!([["patch", false, [{"op": "remove", "path": "/extra/str"}]]]))]
#[case::del_absent_attribute(json!({"action": "del-attribute", "path": "/extra/none"}), json!([]))]
#[case::set_port_attribute_by_mac(
    json!({"action": "set-port-attribute", "port_id": "52:54:00:aa:bb:01", "path": "/extra/arch", "value": "{data[cpu_arch]}"}),
    json!([["patch-port", "0f2b1c3e-1111-4222-8333-944455556666", [{"op": "add", "path": "/extra/arch", "value": "x86_64"}]]]))]
#[case::extend_port_attribute(
    json!({"action": "extend-port-attribute", "port_id": "0f2b1c3e-1111-4222-8333-944455556666", "path": "/extra/tags", "value": "b", "unique": true}),
    json!([["patch-port", "0f2b1c3e-1111-4222-8333-944455556666", [{"op": "replace", "path": "/extra/tags", "value": ["a", "b"]}]]]))]
#[case::del_port_attribute(
    json!({"action": "del-port-attribute", "port_id": "52:54:00:aa:bb:01", "path": "/extra/tags"}),
    json!([["patch-port", "0f2b1c3e-1111-4222-8333-944455556666", [{"op": "remove", "path": "/extra/tags"}]]]))]
#[tokio::test]
async fn actions_send_upstreams_requests(#[case] action: Value, #[case] expected: Value) {
    let (result, requests) = run(json!([action])).await;
    assert_eq!(result, Ok(1));
    assert_eq!(Value::Array(requests), expected);
}

#[rstest]
#[case::fail(json!({"action": "fail", "message": "Not enough memory"}),
    RuleFailure::Error("Not enough memory".into()))]
#[case::missing_format_key(json!({"action": "set-attribute", "path": "/extra/x", "value": "{data[missing]}"}),
    RuleFailure::Error("Invalid formatting variable key provided in value {data[missing]}: 'missing'".into()))]
#[case::extend_non_list(json!({"action": "extend-attribute", "path": "/extra/str", "value": "y"}),
    RuleFailure::Unexpected(crate::Raised::new("AttributeError", "'str' object has no attribute 'append'")))]
#[case::extend_below_a_string(json!({"action": "extend-attribute", "path": "/driver/x", "value": "y"}),
    RuleFailure::Unexpected(crate::Raised::new("TypeError", "'str' object is not subscriptable")))]
#[case::unknown_port(json!({"action": "set-port-attribute", "port_id": "52:54:00:00:00:00", "path": "/extra/a", "value": 1}),
    RuleFailure::Error("Port 52:54:00:00:00:00 was not found".into()))]
#[tokio::test]
async fn failing_actions(#[case] action: Value, #[case] expected: RuleFailure) {
    let (result, _) = run(json!([action])).await;
    assert_eq!(result, Err(expected));
}

#[rstest]
#[case::null(json!(null), "cpu_vt:True")]
#[case::empty(json!(""), "cpu_vt:True")]
#[case::repeated_keys(json!("a:1,cpu_vt:x,a:2"), "a:2,cpu_vt:True")]
#[tokio::test]
async fn set_capability_starts_from_upstreams_dict(
    #[case] existing: Value,
    #[case] expected: &str,
) {
    let mut node = node();
    node["properties"]["capabilities"] = existing;
    let (result, requests) = run_on(
        RecordingTarget::new(node),
        json!([{"action": "set-capability", "name": "cpu_vt", "value": true}]),
    )
    .await;
    assert_eq!(result, Ok(1));
    assert_eq!(
        requests,
        vec![
            json!(["patch", false, [{"op": "add", "path": "/properties/capabilities", "value": expected}]])
        ]
    );
}

#[tokio::test]
async fn a_failing_action_stops_the_rest_without_rollback() {
    let (result, requests) = run(json!([
        {"action": "add-trait", "name": "CUSTOM_A"},
        {"action": "fail", "message": "stop"},
        {"action": "add-trait", "name": "CUSTOM_B"}
    ]))
    .await;
    assert_eq!(result, Err(RuleFailure::Error("stop".into())));
    assert_eq!(requests, vec![json!(["add-trait", "CUSTOM_A"])]);
}

#[tokio::test]
async fn reset_interfaces_refused_is_retried_without_it() {
    let mut target = RecordingTarget::new(node());
    target.refuse_reset = true;
    let (result, requests) = run_on(
        target,
        json!([{"action": "set-attribute", "path": "/driver", "value": "redfish"}]),
    )
    .await;
    assert_eq!(result, Ok(1));
    let ops = json!([{"op": "add", "path": "/driver", "value": "redfish"}]);
    assert_eq!(
        requests,
        vec![json!(["patch", true, ops]), json!(["patch", false, ops])]
    );
}

#[tokio::test]
async fn explicit_reset_interfaces_refused_is_an_error() {
    let mut target = RecordingTarget::new(node());
    target.refuse_reset = true;
    let (result, requests) = run_on(
        target,
        json!([{"action": "set-attribute", "path": "/driver", "value": "redfish", "reset_interfaces": true}]),
    )
    .await;
    assert_eq!(
        result,
        Err(RuleFailure::Error(
            "Cannot pass reset_interfaces to set-attribute, requires API 1.46 and ironicclient >= 2.5.0".into()
        ))
    );
    assert_eq!(requests.len(), 1);
}

/// The spec's end-to-end example: three rules, two passes.
fn example_rules() -> Vec<RuleDocument> {
    rules(json!([
        {"description": "set IPMI creds if missing",
         "conditions": [{"op": "is-empty", "field": "node://driver_info.ipmi_password"}],
         "actions": [{"action": "set-attribute", "path": "driver_info/ipmi_password", "value": "secret"},
                     {"action": "set-attribute", "path": "/driver_info/ipmi_address",
                      "value": "{data[inventory][bmc_address]}"}]},
        {"description": "tag 10G NICs", "scope": "rack-a",
         "conditions": [{"op": "in-net", "field": "inventory.interfaces[*].ipv4_address", "value": "10.0.0.0/8"}],
         "actions": [{"action": "extend-attribute", "path": "/extra/tags", "value": "tengig", "unique": true},
                     {"action": "set-capability", "name": "net", "value": "{data[cpu_arch]}"}]},
        {"description": "reject small nodes",
         "conditions": [{"op": "lt", "field": "memory_mb", "value": 4096}],
         "actions": [{"action": "fail", "message": "Not enough memory"}]}
    ]))
}

fn example_node(scope: Option<&str>) -> Value {
    let mut node = json!({"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "driver_info": {},
                          "properties": {"capabilities": "boot_mode:uefi"}, "extra": {}});
    if let Some(scope) = scope {
        node["properties"]["inspection_scope"] = json!(scope);
    }
    node
}

#[tokio::test]
async fn the_reference_example_sends_four_patches_in_order() {
    let set = RuleSet::compile(example_rules()).expect("compiles");
    let target = RecordingTarget::new(example_node(Some("rack-a")));
    assert_eq!(set.apply(&data(), &target).await.map(|a| a.len()), Ok(2));
    let patches: Vec<Value> = target
        .requests()
        .into_iter()
        .filter(|r| r[0] == "patch")
        .map(|r| r[2].clone())
        .collect();
    assert_eq!(
        patches,
        vec![
            json!([{"op": "add", "path": "/driver_info/ipmi_password", "value": "secret"}]),
            json!([{"op": "add", "path": "/driver_info/ipmi_address", "value": "192.0.2.200"}]),
            json!([{"op": "add", "path": "/extra/tags", "value": ["tengig"]}]),
            json!([{"op": "add", "path": "/properties/capabilities", "value": "boot_mode:uefi,net:x86_64"}]),
        ]
    );
}

#[tokio::test]
async fn the_reference_example_fails_small_nodes_after_earlier_rules() {
    let set = RuleSet::compile(example_rules()).expect("compiles");
    let target = RecordingTarget::new(example_node(Some("rack-a")));
    let mut small = data();
    small["memory_mb"] = json!(2048);
    assert_eq!(
        set.apply(&small, &target).await.map(|a| a.len()),
        Err(RuleFailure::Error("Not enough memory".into()))
    );
    let patches = target
        .requests()
        .into_iter()
        .filter(|r| r[0] == "patch")
        .count();
    assert_eq!(patches, 4, "rules 1 and 2 were applied before the failure");
}

#[tokio::test]
async fn scoped_rules_skip_nodes_without_the_scope() {
    let set = RuleSet::compile(example_rules()).expect("compiles");
    for scope in [None, Some("rack-b")] {
        let target = RecordingTarget::new(example_node(scope));
        assert_eq!(
            set.apply(&data(), &target).await.map(|a| a.len()),
            Ok(1),
            "{scope:?}"
        );
    }
}

#[tokio::test]
async fn actions_never_influence_later_conditions() {
    // Rule 1 sets the field rule 2 checks; rule 2 was checked before rule 1 acted.
    let set = RuleSet::compile(rules(json!([
        {"actions": [{"action": "set-attribute", "path": "/extra/flag", "value": "on"}]},
        {"conditions": [{"op": "eq", "field": "node://extra.flag", "value": "on"}],
         "actions": [{"action": "add-trait", "name": "CUSTOM_LATE"}]}
    ])))
    .expect("compiles");
    let target = RecordingTarget::new(example_node(None));
    assert_eq!(set.apply(&data(), &target).await.map(|a| a.len()), Ok(1));
    assert!(!target.requests().iter().any(|r| r[0] == "add-trait"));
}

#[tokio::test]
async fn no_rules_read_nothing() {
    let target = RecordingTarget::new(node());
    assert_eq!(
        RuleSet::default()
            .apply(&data(), &target)
            .await
            .map(|a| a.len()),
        Ok(0)
    );
    assert!(target.requests().is_empty());
}
