//! `ironic-inspector --print-sample-config`: the shipped sample is its
//! output, and a file setting every option it lists draws no warning about
//! options nothing reads.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::path::PathBuf;
use std::process::Command;

use inspector_config::catalog::{self, OptionKind};

/// The regeneration command, for failure messages.
const REGENERATE: &str = "cargo run --bin ironic-inspector -- --print-sample-config > etc/ironic-inspector/inspector.conf.sample";

fn shipped_sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../etc/ironic-inspector/inspector.conf.sample")
}

#[test]
fn the_shipped_sample_is_what_the_binary_prints() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("--print-sample-config")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "printing the sample creates no file (no database)"
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(
        printed == catalog::sample_config(),
        "the binary prints the catalog's sample"
    );
    let shipped = std::fs::read_to_string(shipped_sample()).unwrap_or_default();
    if printed != shipped {
        let line = printed
            .lines()
            .zip(shipped.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| printed.lines().count().min(shipped.lines().count()))
            + 1;
        panic!(
            "etc/ironic-inspector/inspector.conf.sample is not the output of \
             `ironic-inspector --print-sample-config` (first difference at line {line}); \
             regenerate it from the workspace root with `{REGENERATE}`"
        );
    }
}

/// A value for an option that is unset by default, harmless to the start-up
/// checks that run before unknown options are reported.
fn placeholder(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Integer | OptionKind::Port => "1",
        OptionKind::Float => "1.0",
        OptionKind::Boolean => "false",
        OptionKind::MultiString => r#"{"vendor_id": "8086", "product_id": "1572", "name": "x710"}"#,
        OptionKind::String | OptionKind::List | OptionKind::Dict => "",
    }
}

/// Values that differ from the defaults so that the conditional groups are
/// read (`auth_strategy = keystone` needs an `auth_url`, `store_data = swift`
/// reads `[swift]`), and a database URL the service refuses right after
/// reporting unknown options, so that it stops without opening anything.
const OVERRIDES: &[(&str, &str, &str)] = &[
    ("DEFAULT", "auth_strategy", "keystone"),
    ("keystone_authtoken", "auth_url", "http://127.0.0.1:9/v3"),
    ("processing", "store_data", "swift"),
    (
        "database",
        "connection",
        "nosuchdialect://nowhere/inspector",
    ),
];

#[test]
fn a_file_setting_every_listed_option_draws_no_unknown_option_warning() {
    let mut config = String::new();
    let mut section = "";
    for option in catalog::options() {
        if option.section != section {
            section = option.section;
            config.push_str(&format!("[{section}]\n"));
        }
        let value = OVERRIDES
            .iter()
            .find(|(s, name, _)| *s == option.section && *name == option.name)
            .map(|(_, _, value)| *value)
            .or(option.default)
            .unwrap_or_else(|| placeholder(option.kind));
        config.push_str(&format!("{} = {value}\n", option.name));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inspector.conf");
    std::fs::write(&path, &config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("--config-file")
        .arg(&path)
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unsupported database dialect"),
        "the service stopped before reporting unknown options: {stderr}\n{config}"
    );
    let unknown: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("is not used by this service"))
        .collect();
    assert!(
        unknown.is_empty(),
        "options of the sample the service does not read: {unknown:#?}"
    );
}
