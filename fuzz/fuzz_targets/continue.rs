//! Fuzzes the pre-processing of a `/v1/continue` body: the JSON object goes
//! through the default phase-1 hooks (`before_processing`), then the look-up
//! inputs (BMC addresses, the PXE MAC) are read from the result. Whatever
//! the ramdisk posts, this must not panic.

#![no_main]

use inspector_config::HookOptions;
use inspector_hooks::HookSet;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|input: &[u8]| {
    let Ok(Value::Object(mut data)) = serde_json::from_slice::<Value>(input) else {
        return;
    };
    let hooks = HookSet::from_options(&HookOptions::default()).expect("the default hooks load");
    let _ = hooks.before_processing(&mut data);
    let _ = inspector_hooks::bmc_addresses(&data);
    let _ = inspector_hooks::pxe_mac(&data);
});
