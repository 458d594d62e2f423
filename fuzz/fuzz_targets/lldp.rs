//! Fuzzes the LLDP TLV parser: the input bytes are read as a sequence of
//! `[type, length, value...]` records, each turned into the `[type, "hex"]`
//! pair the ramdisk reports, plus the raw input as (mostly invalid) hex text.
//! The parser must never panic, whatever the switch sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|input: &[u8]| {
    let mut tlvs = Vec::new();
    let mut rest = input;
    while let [kind, length, tail @ ..] = rest {
        let length = usize::from(*length).min(tail.len());
        let (value, next) = tail.split_at(length);
        let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
        tlvs.push(json!([kind, hex]));
        rest = next;
    }
    tlvs.push(json!([127, String::from_utf8_lossy(input)]));
    tlvs.push(Value::String(String::from_utf8_lossy(input).into_owned()));
    let parsed = inspector_hooks::lldp::parse_tlvs("fuzz", &tlvs);
    for name in parsed.keys() {
        assert!(name.starts_with("switch_"), "unexpected field {name}");
    }
    let _ = inspector_hooks::lldp::hex_decode(&String::from_utf8_lossy(input));
});
