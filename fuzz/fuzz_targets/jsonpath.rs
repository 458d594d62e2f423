//! Fuzzes the jsonpath dialect of rule fields: any text is parsed, and a path
//! that parses is evaluated against ramdisk-like data. Neither may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let data = json!({
        "inventory": {"interfaces": [{"name": "eth0", "ipv4_address": "10.0.0.1"}, {"name": "eth1"}],
                      "disks": [{"size": 10}, {"size": 20}], "memory": {"physical_mb": 4096}},
        "all_interfaces": {"eth0": {"ip": "10.0.0.1"}}, "a.b": [1, [2, [3]]]
    });
    if let Ok(path) = inspector_rules::JsonPath::parse(text) {
        let _ = path.find(&data);
    }
});
