//! Fuzzes the rules DSL: a JSON document is validated as a rule (what
//! `POST /v1/rules` does) and, when valid, compiled and evaluated against
//! ramdisk data — the document's own `data` when it has one. Validation must
//! refuse bad rules with a message, and evaluation must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|input: &[u8]| {
    let Ok(document) = serde_json::from_slice::<Value>(input) else {
        return;
    };
    let data = document
        .get("data")
        .cloned()
        .unwrap_or_else(|| json!({"inventory": {"cpu": {"count": 4}, "interfaces": [{"name": "eth0"}]}}));
    let node = json!({"properties": {"inspection_scope": "fuzz"}, "driver": "ipmi"});
    match inspector_rules::parse_rule(&document) {
        Ok(rule) => {
            if let Ok(compiled) = inspector_rules::CompiledRule::compile(rule) {
                let _ = compiled.matches(&data, &node);
            }
        }
        Err(invalid) => assert!(!invalid.to_string().is_empty(), "a refusal says why"),
    }
});
