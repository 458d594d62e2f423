//! The catalog, where every option and its default is declared once, against
//! the option groups: every option a group reads is listed, every listed
//! option is read, each listed default is the one the code uses, and all
//! defaults match a golden file.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::collections::BTreeSet;
use std::path::Path;

use inspector_config::catalog::{self, OptionDoc, OptionKind};
use inspector_config::{
    ApiProtectionOptions, ConductorOptions, ConfigSources, CoordinationOptions, DatabaseOptions,
    DefaultOptions, HookOptions, IronicOptions, KeystoneAuthtokenOptions, MdnsOptions,
    PxeFilterOptions, SwiftOptions, TimelineOptions,
};
use rstest::rstest;

/// Options the service binary reads itself, outside this crate's groups.
const READ_BY_THE_BINARY: &[(&str, &str)] = &[
    ("oslo_policy", "enforce_new_defaults"),
    ("oslo_policy", "enforce_scope"),
    ("oslo_policy", "policy_file"),
];

/// What every group of this crate makes of one configuration.
#[derive(Debug, PartialEq)]
struct Everything {
    defaults: DefaultOptions,
    protection: ApiProtectionOptions,
    timeline: TimelineOptions,
    database: DatabaseOptions,
    conductor: ConductorOptions,
    coordination: CoordinationOptions,
    ironic: IronicOptions,
    service_catalog: IronicOptions,
    keystone_authtoken: KeystoneAuthtokenOptions,
    mdns: MdnsOptions,
    hooks: HookOptions,
    pxe_filter: PxeFilterOptions,
    /// `SwiftOptions` has no `PartialEq`: its fields.
    swift: (IronicOptions, String, i64),
}

fn sources(text: &str) -> ConfigSources {
    ConfigSources::from_text(text, Path::new("inspector.conf")).unwrap()
}

/// Reads every group, the conditional ones (`[swift]`, `[keystone_authtoken]`,
/// `[service_catalog]`) included.
fn read_every_group(sources: &ConfigSources) -> inspector_config::Result<Everything> {
    let swift = SwiftOptions::from_sources(sources)?;
    Ok(Everything {
        defaults: DefaultOptions::from_sources(sources)?,
        protection: ApiProtectionOptions::from_sources(sources)?,
        timeline: TimelineOptions::from_sources(sources)?,
        database: DatabaseOptions::from_sources(sources)?,
        conductor: ConductorOptions::from_sources(sources)?,
        coordination: CoordinationOptions::from_sources(sources)?,
        ironic: IronicOptions::from_sources(sources)?,
        service_catalog: IronicOptions::service_catalog(sources)?,
        keystone_authtoken: KeystoneAuthtokenOptions::from_sources(sources)?,
        mdns: MdnsOptions::from_sources(sources)?,
        hooks: HookOptions::from_sources(sources)?,
        pxe_filter: PxeFilterOptions::from_sources(sources)?,
        swift: (swift.access, swift.container, swift.delete_after),
    })
}

fn key(option: &OptionDoc) -> (String, String) {
    (option.section.to_owned(), option.name.to_owned())
}

fn read_by_the_binary(option: &OptionDoc) -> bool {
    READ_BY_THE_BINARY.contains(&(option.section, option.name))
}

#[test]
fn options_are_unique_per_section_and_name() {
    let mut seen = BTreeSet::new();
    let duplicates: Vec<(String, String)> = catalog::options()
        .iter()
        .map(key)
        .filter(|key| !seen.insert(key.clone()))
        .collect();
    assert!(duplicates.is_empty(), "listed twice: {duplicates:?}");
}

#[test]
fn every_option_has_help_ending_a_sentence() {
    let offenders: Vec<(String, String)> = catalog::options()
        .iter()
        .filter(|option| {
            !(option.help.ends_with('.') || option.help.ends_with('}')) || !option.help.is_ascii()
        })
        .map(key)
        .collect();
    assert!(offenders.is_empty(), "help to fix: {offenders:?}");
}

/// Every option's default, one `[section] name = default` line each (`<None>`
/// when unset), against `tests/defaults.golden`: a changed default shows in
/// review. `BLESS=1 cargo test -p inspector-config --test catalog` rewrites it.
#[test]
fn every_default_matches_the_golden_file() {
    let rendered: String = catalog::options()
        .iter()
        .map(|option| {
            format!(
                "[{}] {} = {}\n",
                option.section,
                option.name,
                option.default.unwrap_or("<None>")
            )
        })
        .collect();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/defaults.golden");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &rendered).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        rendered == expected,
        "defaults differ from {}; run with BLESS=1 to accept:\n{}",
        golden.display(),
        rendered
            .lines()
            .filter(|line| !expected.lines().any(|e| e == *line))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_listed_default_is_the_one_the_code_uses() {
    let baseline = read_every_group(&sources("")).unwrap();
    let wrong: Vec<String> = catalog::options()
        .iter()
        .filter(|option| !read_by_the_binary(option))
        .filter_map(|option| {
            let default = option.default?;
            let text = format!("[{}]\n{} = {default}\n", option.section, option.name);
            let read = ConfigSources::from_text(&text, Path::new("inspector.conf"))
                .and_then(|sources| read_every_group(&sources));
            match read {
                Ok(everything) if everything == baseline => None,
                Ok(_) => Some(format!("{text}differs from leaving it unset")),
                Err(error) => Some(format!("{text}{error}")),
            }
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_options_the_groups_read_are_the_catalog() {
    let sources = sources(
        "[DEFAULT]\nauth_strategy = keystone\n[processing]\nstore_data = swift\n\
         node_not_found_hook = enroll\n",
    );
    read_every_group(&sources).unwrap();
    let consulted: BTreeSet<(String, String)> = sources.consulted_options().into_iter().collect();
    let listed: BTreeSet<(String, String)> = catalog::options().iter().map(key).collect();
    let unlisted: Vec<&(String, String)> = consulted.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "read but missing from the catalog: {unlisted:?}"
    );
    let unread: Vec<(String, String)> = catalog::options()
        .iter()
        .filter(|option| !read_by_the_binary(option))
        .map(key)
        .filter(|key| !consulted.contains(key))
        .collect();
    assert!(unread.is_empty(), "listed but read by no group: {unread:?}");
}

#[test]
fn the_sample_lists_every_option_commented_out() {
    let sample = catalog::sample_config();
    let parsed = inspector_config::IniFile::parse(&sample, Path::new("sample.conf")).unwrap();
    assert!(
        parsed.sections.values().all(|options| options.is_empty()),
        "the sample sets nothing"
    );
    let mut section = String::new();
    let mut shown = BTreeSet::new();
    for line in sample.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((name, _)) = line.strip_prefix('#').and_then(|l| l.split_once(" ="))
            && !name.is_empty()
            && !name.contains(' ')
        {
            shown.insert((section.clone(), name.to_owned()));
        }
    }
    let listed: BTreeSet<(String, String)> = catalog::options().iter().map(key).collect();
    assert_eq!(shown, listed);
}

#[rstest]
#[case::integer(OptionKind::Integer, "integer value")]
#[case::float(OptionKind::Float, "floating point value")]
#[case::multi(OptionKind::MultiString, "multi valued")]
#[case::port(OptionKind::Port, "port value")]
fn type_names_are_oslo_config_generator_s(#[case] kind: OptionKind, #[case] name: &str) {
    assert_eq!(kind.type_name(), name);
}
