//! Project automation: `cargo xtask <lint|ci|bench|fuzz [seconds]>`.
//!
//! `cargo xtask ci` is the CI's one path: `.ci/run` prepares the machine
//! (system packages, cargo-deny, cargo-fuzz, the databases, the pinned Python
//! environments) and then runs it. Kept dependency-light on purpose (anyhow
//! and xshell only). The repository's tidy rules are tests in
//! `tests/tidy.rs`, run by `cargo test`.

#![allow(clippy::print_stdout)] // A command-line tool: its report is its output.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use xshell::{Shell, cmd};

fn main() -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match std::env::args().nth(1).as_deref() {
        Some("lint") => lint(&sh),
        Some("ci") => ci(&sh),
        Some("bench") => Ok(cmd!(sh, "cargo bench --workspace").run()?),
        Some("fuzz") => fuzz(&sh, std::env::args().nth(2).as_deref().unwrap_or("60")),
        _ => anyhow::bail!("usage: cargo xtask <lint|ci|bench|fuzz [seconds]>"),
    }
}

fn step(name: &str) {
    println!("\n== {name}");
}

fn lint(sh: &Shell) -> anyhow::Result<()> {
    step("format");
    cmd!(sh, "cargo fmt --all --check").run()?;
    step("clippy");
    cmd!(
        sh,
        "cargo clippy --workspace --all-targets --all-features -- -D warnings"
    )
    .run()?;
    Ok(())
}

/// Everything CI checks, in order, on a prepared machine (see `.ci/run`).
fn ci(sh: &Shell) -> anyhow::Result<()> {
    lint(sh)?;
    step("documentation (warnings are errors)");
    cmd!(sh, "cargo doc --workspace --no-deps")
        .env("RUSTDOCFLAGS", "-D warnings")
        .run()?;
    step("cargo deny");
    deny(sh)?;
    step(
        "fuzzing (bounded): LLDP, rules, jsonpath, format strings, INI, /v1/continue pre-processing",
    );
    fuzz(sh, "20")?;
    step("tests (the README's command)");
    tests()?;
    step("the Debian package: built, installed, started, purged");
    cmd!(sh, ".ci/package").run()?;
    step("a clean room: the README's two commands in a chroot without system libraries");
    cmd!(sh, ".ci/clean-room").run()?;
    Ok(())
}

/// `cargo deny check`: bans, licences and sources always; the advisories
/// where their database can be fetched, with a loud notice where it cannot.
fn deny(sh: &Shell) -> anyhow::Result<()> {
    cmd!(sh, "cargo deny check bans licenses sources").run()?;
    let advisories = cmd!(sh, "cargo deny check advisories")
        .ignore_status()
        .output()?;
    if advisories.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&advisories.stdout),
        String::from_utf8_lossy(&advisories.stderr)
    );
    if text.contains("failed to fetch advisory database") {
        println!(
            "NOTICE: advisories NOT checked: the advisory database is unreachable from this network"
        );
        return Ok(());
    }
    anyhow::bail!("cargo deny check advisories failed:\n{text}")
}

/// `cargo test --workspace` with its output kept in `target/ci-tests.log`, one
/// closing line of totals, and a failure if any real-server test skipped
/// (CI installs every real server).
fn tests() -> anyhow::Result<()> {
    let root = project_root();
    let target = root.join("target");
    std::fs::create_dir_all(&target)?;
    let real_servers = target.join("real-server-tests.txt");
    let _ = std::fs::remove_file(&real_servers);
    let mut log = std::fs::File::create(target.join("ci-tests.log"))?;
    let mut child = Command::new(env!("CARGO"))
        .args(["test", "--workspace"])
        .current_dir(&root)
        .stdout(Stdio::piped())
        .spawn()?;
    let (mut passed, mut failed) = (0_u64, 0_u64);
    let stdout = child.stdout.take().expect("stdout is piped");
    // Bytes, not `lines()`: a test printing invalid UTF-8 must not end the run early.
    for line in BufReader::new(stdout).split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line);
        println!("{line}");
        writeln!(log, "{line}")?;
        if let Some(counts) = line.strip_prefix("test result: ") {
            passed += count_before(counts, " passed");
            failed += count_before(counts, " failed");
        }
    }
    let status = child.wait()?;
    println!("tests: {passed} passed, {failed} failed");
    anyhow::ensure!(status.success(), "cargo test --workspace failed ({status})");
    let report = std::fs::read_to_string(&real_servers).unwrap_or_default();
    println!("real-server tests ({}):\n{report}", real_servers.display());
    anyhow::ensure!(
        !report.contains("SKIPPED"),
        "real-server tests were skipped in CI"
    );
    Ok(())
}

/// The number right before `label` in a `test result:` line (`ok. 12 passed; 0 failed; ...`).
fn count_before(counts: &str, label: &str) -> u64 {
    counts
        .split(';')
        .find_map(|part| part.trim().strip_suffix(label.trim_start()))
        .and_then(|number| number.split_whitespace().last())
        .and_then(|number| number.parse().ok())
        .unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::count_before;

    #[test]
    fn totals_are_read_from_cargo_test_result_lines() {
        let line =
            "ok. 12 passed; 3 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(count_before(line, " passed"), 12);
        assert_eq!(count_before(line, " failed"), 3);
        assert_eq!(count_before("FAILED. 0 passed; 7 failed;", " failed"), 7);
    }
}
