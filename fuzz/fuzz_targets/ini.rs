//! Fuzzes the `inspector.conf` parser: any text is parsed as an INI file and,
//! when it parses, option groups are read from it (interpolation, typed
//! values). Bad files are refused with a message naming the line, never a panic.

#![no_main]

use std::path::Path;

use inspector_config::{ApiProtectionOptions, ConfigSources, HookOptions, IniFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    match IniFile::parse(text, Path::new("inspector.conf")) {
        Ok(file) => {
            let sources = ConfigSources::from_files(vec![file]);
            let _ = ApiProtectionOptions::from_sources(&sources);
            let _ = HookOptions::from_sources(&sources);
            let _ = sources.unknown_options();
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
