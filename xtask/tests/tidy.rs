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

/// Crates an `io = "none"` package must not have anywhere in its dependency tree.
const RUNTIME_DATABASE_AND_HTTP: [&str; 10] = [
    "tokio",
    "diesel",
    "r2d2",
    "libsqlite3-sys",
    "mysql_async",
    "tokio-postgres",
    "hyper",
    "axum",
    "reqwest",
    "osauth",
];

/// The triple of the machine the tests run on (`rustc -vV`'s `host:`).
fn host_triple() -> String {
    let output = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .unwrap()
        .to_owned()
}

/// `cargo metadata` of the workspace, resolved for this machine (the crates
/// other platforms would need are not downloaded, and not looked at).
fn metadata() -> serde_json::Value {
    let host = host_triple();
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_crate_declares_its_io_and_io_free_crates_pull_in_none() {
    let metadata = metadata();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    let name_of = |id: &str| -> String {
        metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|package| package["id"] == id)
            .map(|package| package["name"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let nodes = metadata["resolve"]["nodes"].as_array().unwrap();
    // Normal (not dev or build) dependencies of a package, by id.
    let normal_dependencies = |id: &str| -> Vec<String> {
        let node = nodes.iter().find(|node| node["id"] == id).unwrap();
        node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|dep| {
                dep["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|kind| kind["kind"].is_null())
            })
            .map(|dep| dep["pkg"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut io_free = 0;
    for package in metadata["packages"].as_array().unwrap() {
        let id = package["id"].as_str().unwrap();
        if !members.contains(id) {
            continue;
        }
        let name = package["name"].as_str().unwrap();
        let io = package["metadata"]["inspector"]["io"].as_str();
        assert!(
            matches!(io, Some("none" | "runtime")),
            "{name} does not declare [package.metadata.inspector] io = \"none\" or \"runtime\""
        );
        if io != Some("none") {
            continue;
        }
        io_free += 1;
        let mut seen = BTreeSet::new();
        let mut pending = vec![(id.to_owned(), name.to_owned())];
        while let Some((id, path)) = pending.pop() {
            for dependency in normal_dependencies(&id) {
                if seen.insert(dependency.clone()) {
                    let dependency_name = name_of(&dependency);
                    let path = format!("{path} -> {dependency_name}");
                    assert!(
                        !RUNTIME_DATABASE_AND_HTTP.contains(&dependency_name.as_str()),
                        "{name} is io = \"none\" but depends on {dependency_name}: {path}"
                    );
                    pending.push((dependency, path));
                }
            }
        }
    }
    assert!(
        io_free >= 5,
        "only {io_free} crates are declared free of I/O"
    );
}

#[test]
fn dependency_versions_live_only_in_the_workspace_manifest() {
    for manifest in manifests() {
        let text = fs::read_to_string(&manifest).unwrap();
        let mut section = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line.to_owned();
            } else if section.ends_with("dependencies]")
                && line.contains('=')
                && !line.starts_with('#')
            {
                assert!(
                    line.contains(".workspace = true") || line.contains("workspace = true"),
                    "{}: {section} `{line}` declares its own version; add it to [workspace.dependencies]",
                    manifest.display()
                );
            }
        }
    }
}

#[test]
fn every_module_says_what_it_holds() {
    let mut files = Vec::new();
    for dir in ["crates", "bins", "xtask"] {
        rust_files(&root().join(dir), &mut files);
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|file| !fs::read_to_string(file).unwrap().starts_with("//!"))
        .map(|file| file.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` header: {missing:?}"
    );
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

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `[A-Za-z_][A-Za-z0-9_]*`
fn is_ident(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(is_ident_char)
}

/// `[A-Z][A-Za-z0-9]*`: a type, trait or variant.
fn is_camel(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `[a-z_][a-z0-9_]*`: a function, method or module.
fn is_snake(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The identifier-like words of `text`, each with its byte offset.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_ident_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                found.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        found.push((s, &text[s..]));
    }
    found
}

/// Every `.rs` file under `dir`, build output left out.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// What the workspace's Rust code under crates/, bins/ and xtask/ holds:
/// the names it defines (a name right after `fn`, `struct`, `enum`, `trait`,
/// `type`, `mod`, `const` or `static`) and every word it uses.
struct RustNames {
    defined: BTreeSet<String>,
    used: BTreeSet<String>,
}

impl RustNames {
    fn scan() -> Self {
        const KEYWORDS: [&str; 8] = [
            "struct", "enum", "trait", "type", "fn", "mod", "const", "static",
        ];
        let mut files = Vec::new();
        for dir in ["crates", "bins", "xtask"] {
            rust_files(&root().join(dir), &mut files);
        }
        let mut names = Self {
            defined: BTreeSet::new(),
            used: BTreeSet::new(),
        };
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            let found = words(&text);
            for pair in found.windows(2) {
                let ((keyword_at, keyword), (name_at, name)) = (pair[0], pair[1]);
                let gap = &text[keyword_at + keyword.len()..name_at];
                if KEYWORDS.contains(&keyword) && gap.chars().all(char::is_whitespace) {
                    names.defined.insert(name.to_owned());
                }
            }
            names
                .used
                .extend(found.into_iter().map(|(_, word)| word.to_owned()));
        }
        names
    }
}

/// How a backticked Rust name of the architecture document must be found.
enum RustItem<'a> {
    /// Defined as a function, type, trait, module, constant or static.
    Defined(&'a str),
    /// Defined, or at least used as a whole word (e.g. an enum variant).
    Used(&'a str),
}

/// `Type`, `Type::method`, `Type::Variant`, `module::item` or `function()`;
/// anything else is not taken for a Rust name.
fn rust_item(token: &str) -> Option<RustItem<'_>> {
    if let Some(function) = token.strip_suffix("()") {
        return is_snake(function).then_some(RustItem::Defined(function));
    }
    match token.split_once("::") {
        None => is_camel(token).then_some(RustItem::Used(token)),
        Some((owner, name)) if is_camel(owner) && is_snake(name) => Some(RustItem::Defined(name)),
        Some((owner, name)) if is_camel(owner) && is_camel(name) => Some(RustItem::Used(name)),
        Some((module, name)) if is_snake(module) && is_ident(name) => Some(RustItem::Defined(name)),
        _ => None,
    }
}

/// A backticked token that names a file or directory of the repository.
fn looks_like_path(token: &str) -> bool {
    const EXTENSIONS: [&str; 7] = [".rs", ".md", ".toml", ".yaml", ".yml", ".sql", ".py"];
    let path_like = (token.contains('/') && !token.contains(' '))
        || EXTENSIONS.iter().any(|ext| token.ends_with(ext));
    // API paths (`/v1/continue`), URLs and placeholders are not repository paths.
    let elsewhere = token.starts_with('/')
        || token.starts_with("http")
        || token.contains("://")
        || token.contains('<');
    path_like && !elsewhere
}

/// `a/{b,c}.rs` as `a/b.rs` and `a/c.rs`, for any number of brace groups.
fn expand_braces(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.to_owned()];
    };
    let Some(close) = path[open..].find('}').map(|i| open + i) else {
        return vec![path.to_owned()];
    };
    path[open + 1..close]
        .split(',')
        .flat_map(|alternative| {
            expand_braces(&format!(
                "{}{alternative}{}",
                &path[..open],
                &path[close + 1..]
            ))
        })
        .collect()
}

#[test]
fn architecture_doc_names_only_what_exists() {
    let doc = fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let mut failures = Vec::new();
    let mut prose = String::new();
    let mut in_fence = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if in_fence {
            // The dependency diagram names crate directories without backticks.
            for word in line.split_whitespace() {
                let word = word.trim_end_matches([',', ';', ':', '.', ')']);
                if (word.starts_with("crates/") || word.starts_with("bins/"))
                    && !root().join(word).exists()
                {
                    failures.push(format!("{word}: no such path (in a code block)"));
                }
            }
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    let segments: Vec<&str> = prose.split('`').collect();
    if segments.len().is_multiple_of(2) {
        failures.push("unbalanced backticks".to_owned());
    }
    let names = RustNames::scan();
    for token in segments.iter().skip(1).step_by(2) {
        let token = token.replace('\n', " ");
        if looks_like_path(&token) {
            for path in expand_braces(token.trim_end_matches('/')) {
                if !root().join(&path).exists() {
                    failures.push(format!("`{token}`: no such path {path}"));
                }
            }
        } else if let Some(item) = rust_item(&token) {
            let found = match item {
                RustItem::Defined(name) => names.defined.contains(name),
                RustItem::Used(name) => names.used.contains(name),
            };
            if !found {
                failures.push(format!(
                    "`{token}`: not defined in the workspace's Rust code"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "docs/ARCHITECTURE.md names what does not exist:\n{}",
        failures.join("\n")
    );
}
