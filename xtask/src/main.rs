//! Project automation: `cargo xtask <lint|ci|bench>`.
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
        _ => anyhow::bail!("usage: cargo xtask <lint|ci|bench>"),
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

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}
