//! Evaluating 100 rules of 5 conditions each against a real ramdisk payload
//! (target: ≤ 1 ms per node), with and without compiling the stored rules.

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use inspector_rules::{RuleSet, parse_rule};
use serde_json::{Value, json};

fn payload() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/ramdisk/ipa-inventory-this-vm.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut data: Value = serde_json::from_str(&text).expect("JSON");
    // Keys the standard hooks add before rules run.
    data["memory_mb"] = json!(16384);
    data["cpus"] = json!(4);
    data["cpu_arch"] = json!("x86_64");
    data["local_gb"] = json!(99);
    data
}

/// Rule `i`: five conditions of different operators; every tenth rule matches.
fn rule(i: usize) -> Value {
    let memory = if i.is_multiple_of(10) {
        1024
    } else {
        1_048_576
    };
    json!({
        "description": format!("rule {i}"),
        "conditions": [
            {"op": "ge", "field": "memory_mb", "value": memory},
            {"op": "matches", "field": "inventory.system_vendor.manufacturer", "value": "(?i).*"},
            {"op": "in-net", "field": "inventory.interfaces[*].ipv4_address", "value": "0.0.0.0/0"},
            {"op": "contains", "field": "cpu_arch", "value": "86"},
            {"op": "is-empty", "field": "node://driver_info.missing"}
        ],
        "actions": [{"action": "set-capability", "name": format!("rule{i}"), "value": "{data[cpu_arch]}"}]
    })
}

fn rules() -> Vec<inspector_rules::RuleDocument> {
    (0..100)
        .map(|i| parse_rule(&rule(i)).expect("valid rule"))
        .collect()
}

fn evaluation(c: &mut Criterion) {
    let data = payload();
    let node = json!({"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123",
                      "driver_info": {}, "properties": {"capabilities": "boot_mode:uefi"}});
    let docs = rules();
    let compiled = RuleSet::compile(docs.clone()).expect("compiles");
    assert_eq!(
        compiled.matching(&data, &node).expect("evaluates").len(),
        10
    );
    c.bench_function("rules/check 100 rules x 5 conditions", |b| {
        b.iter(|| compiled.matching(&data, &node).expect("evaluates").len())
    });
    c.bench_function(
        "rules/reuse check and check 100 rules x 5 conditions",
        |b| {
            // What processing does per node while the stored rules are unchanged.
            b.iter(|| {
                assert!(compiled.compiled_from(&docs));
                compiled.matching(&data, &node).expect("evaluates").len()
            })
        },
    );
    c.bench_function("rules/compile and check 100 rules x 5 conditions", |b| {
        b.iter(|| {
            RuleSet::compile(docs.clone())
                .expect("compiles")
                .matching(&data, &node)
                .expect("evaluates")
                .len()
        })
    });
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
