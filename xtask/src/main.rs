//! Project automation: `cargo xtask <lint|ci|bench|fuzz [seconds]>`.
//!
//! Kept dependency-light on purpose (anyhow and xshell only). The
//! repository's tidy rules are tests in `tests/tidy.rs`, run by `cargo test`.

use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

fn main() -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match std::env::args().nth(1).as_deref() {
        Some("lint") => lint(&sh),
        Some("ci") => {
            lint(&sh)?;
            cmd!(sh, "cargo deny check").run()?;
            cmd!(sh, "cargo test --workspace").run()?;
            Ok(())
        }
        Some("bench") => Ok(cmd!(sh, "cargo bench --workspace").run()?),
        Some("fuzz") => fuzz(&sh, std::env::args().nth(2).as_deref().unwrap_or("60")),
        _ => anyhow::bail!("usage: cargo xtask <lint|ci|bench|fuzz [seconds]>"),
    }
}

fn lint(sh: &Shell) -> anyhow::Result<()> {
    cmd!(sh, "cargo fmt --all --check").run()?;
    cmd!(
        sh,
        "cargo clippy --workspace --all-targets --all-features -- -D warnings"
    )
    .run()?;
    Ok(())
}

/// The fuzz targets of `fuzz/`; each starts from its seeds in `fuzz/seeds/<target>`.
const FUZZ_TARGETS: &[&str] = &["lldp", "rules", "jsonpath", "format", "ini", "continue"];

/// A bounded `cargo fuzz` run of every target, `seconds` each (the stable
/// toolchain, so no sanitizer: panics and aborts are what is caught). Needs
/// `cargo-fuzz`.
fn fuzz(sh: &Shell, seconds: &str) -> anyhow::Result<()> {
    let seconds: u32 = seconds.parse()?;
    let limit = format!("-max_total_time={seconds}");
    for target in FUZZ_TARGETS {
        let corpus = format!("fuzz/corpus/{target}");
        let seeds = format!("fuzz/seeds/{target}");
        sh.create_dir(&corpus)?;
        sh.create_dir(&seeds)?;
        cmd!(
            sh,
            "cargo fuzz run {target} {corpus} {seeds} --sanitizer none --fuzz-dir fuzz -- {limit}"
        )
        .run()?;
    }
    Ok(())
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}
