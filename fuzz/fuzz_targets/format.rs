//! Fuzzes the format-string renderer of rule action values (`{data[...]}`,
//! Python's `str.format` subset): any template renders or fails with a
//! message, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|input: &[u8]| {
    let Ok(template) = std::str::from_utf8(input) else {
        return;
    };
    let data = json!({
        "data": {"inventory": {"interfaces": [{"name": "eth0"}], "memory": {"physical_mb": 4096}}, "a": {"b": "c"}},
        "node": {"uuid": "1a2b", "properties": {"cpus": 8}}
    });
    let _ = inspector_rules::render(template, &data);
    let _ = inspector_rules::render_value(&json!([template, {"k": template}]), &data);
});
