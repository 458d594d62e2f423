//! Repository rules, checked by plain `cargo test`.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every package manifest of the workspace.
fn manifests() -> Vec<PathBuf> {
    let mut found = vec![root().join("xtask/Cargo.toml")];
    for dir in ["crates", "bins"] {
        for entry in fs::read_dir(root().join(dir)).unwrap() {
            let manifest = entry.unwrap().path().join("Cargo.toml");
            if manifest.exists() {
                found.push(manifest);
            }
        }
    }
    found.sort();
    found
}

fn dependencies_section(manifest: &str) -> String {
    let start = manifest
        .find("[dependencies]")
        .map_or(manifest.len(), |i| i + "[dependencies]".len());
    let rest = &manifest[start..];
    let end = rest.find("\n[").unwrap_or(rest.len());
    rest[..end].to_owned()
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    for manifest in manifests() {
        let text = fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("[lints]\nworkspace = true"),
            "{} does not opt into [workspace.lints]",
            manifest.display()
        );
    }
}

#[test]
fn every_library_crate_documents_what_it_owns() {
    for entry in fs::read_dir(root().join("crates")).unwrap() {
        let lib = entry.unwrap().path().join("src/lib.rs");
        let text = fs::read_to_string(&lib).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} has no crate-level documentation",
            lib.display()
        );
    }
}

#[test]
fn domain_crates_do_no_io() {
    // The vocabulary and the state machine stay pure: no runtime, database or HTTP crates.
    let forbidden = ["tokio", "diesel", "hyper", "axum", "reqwest", "r2d2"];
    for name in ["inspector-types", "inspector-fsm", "inspector-hooks"] {
        let manifest =
            fs::read_to_string(root().join("crates").join(name).join("Cargo.toml")).unwrap();
        let deps = dependencies_section(&manifest);
        for crate_name in forbidden {
            assert!(
                !deps.contains(crate_name),
                "{name} must not depend on {crate_name}"
            );
        }
    }
}

#[test]
fn only_the_node_cache_uses_diesel() {
    for manifest in manifests() {
        let text = fs::read_to_string(&manifest).unwrap();
        let is_node_cache = manifest.ends_with("inspector-node-cache/Cargo.toml");
        if !is_node_cache {
            assert!(
                !dependencies_section(&text).contains("diesel"),
                "{} depends on diesel",
                manifest.display()
            );
        }
    }
}

#[test]
fn every_migration_exists_for_all_three_backends() {
    let names = |backend: &str| -> BTreeSet<String> {
        fs::read_dir(root().join("migrations").join(backend))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names("postgres"),
        "postgres migrations differ from sqlite's"
    );
    assert_eq!(
        sqlite,
        names("mysql"),
        "mysql migrations differ from sqlite's"
    );
    for backend in ["sqlite", "postgres", "mysql"] {
        for name in &sqlite {
            let up = root()
                .join("migrations")
                .join(backend)
                .join(name)
                .join("up.sql");
            assert!(up.exists(), "{} is missing", up.display());
        }
    }
}

#[test]
fn architecture_doc_names_every_crate() {
    let doc = fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    for manifest in manifests() {
        let dir = manifest
            .parent()
            .unwrap()
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            doc.contains(&dir),
            "docs/ARCHITECTURE.md does not describe {dir}"
        );
    }
}
