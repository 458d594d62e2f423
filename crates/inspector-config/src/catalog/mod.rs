//! Every option the service reads, with its type, default and help, and the
//! sample configuration rendered from them as upstream's
//! `oslo-config-generator` writes `inspector.conf.sample`.
//!
//! Each oslo group's options live in the file named after it
//! (`catalog/processing.rs` for `[processing]`), listed by `GROUPS`; this is
//! the one place an option's default is declared: [`ConfigSources::section`](crate::ConfigSources::section)
//! falls back to it, so parsing, `$name` interpolation and the sample agree.
//! Help texts are upstream's where the option exists upstream; defaults are
//! the ones this service uses. The tests of this crate check the defaults
//! against the option groups and that every option a group reads is listed.

use std::sync::OnceLock;

mod accelerators;
mod api;
mod capabilities;
mod coordination;
mod database;
mod default;
mod discovery;
mod dnsmasq_pxe_filter;
mod extra_hardware;
mod healthcheck;
mod iptables;
mod ironic;
mod keystone_authtoken;
mod mdns;
mod oslo_policy;
mod pci_devices;
mod port_physnet;
mod processing;
mod pxe_filter;
mod ssl;
mod swift;
mod timeline;

/// One option of `inspector.conf`, as the sample configuration shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDoc {
    /// Its section (`DEFAULT` included).
    pub section: &'static str,
    /// Its name.
    pub name: &'static str,
    /// How its value is read.
    pub kind: OptionKind,
    /// The default in effect when the option is not set, as it would be
    /// written in a file; `None` when it is unset by default.
    pub default: Option<&'static str>,
    /// What it does, in one paragraph.
    pub help: &'static str,
    /// The values it accepts when the list is short, each with a
    /// description (empty when the help already explains it).
    pub choices: &'static [(&'static str, &'static str)],
}

/// How the value of an option is read (oslo.config's option types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A number with a fractional part.
    Float,
    /// `true` / `false` in any oslo spelling.
    Boolean,
    /// Comma-separated items.
    List,
    /// Comma-separated `key:value` items.
    Dict,
    /// A TCP port, 0 to 65535.
    Port,
    /// Every value of an option given several times.
    MultiString,
}

impl OptionKind {
    /// The name `oslo-config-generator` prints in parentheses after the help.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::String => "string value",
            Self::Integer => "integer value",
            Self::Float => "floating point value",
            Self::Boolean => "boolean value",
            Self::List => "list value",
            Self::Dict => "dict value",
            Self::Port => "port value",
            Self::MultiString => "multi valued",
        }
    }
}

/// Every option, in the order of the sample: `[DEFAULT]` first, then the
/// sections alphabetically; the keystoneauth sections sorted by option name
/// (as upstream lists them), the others in the order of their help.
pub fn options() -> &'static [OptionDoc] {
    static ALL: OnceLock<Vec<OptionDoc>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<OptionDoc> = GROUPS
            .iter()
            .flat_map(|group| group.iter().copied())
            .collect();
        for (section, service_type) in KEYSTONEAUTH_GROUPS {
            for option in ironic::OPTIONS {
                let mut copy = OptionDoc { section, ..*option };
                if copy.name == "service_type" {
                    copy.default = Some(service_type);
                }
                if IRONIC_ONLY.contains(&copy.name) {
                    copy.help = NOT_USED_HERE;
                }
                all.push(copy);
            }
        }
        all.sort_by_key(|option| {
            let by_name = if is_keystoneauth(option.section) {
                option.name
            } else {
                ""
            };
            (option.section != "DEFAULT", option.section, by_name)
        });
        all
    })
}

/// The option `name` of `section`, if the service reads it.
pub fn find(section: &str, name: &str) -> Option<&'static OptionDoc> {
    options()
        .iter()
        .find(|option| option.section == section && option.name == name)
}

/// The sample configuration: every option commented out with its help,
/// type and default, as `oslo-config-generator` lays it out.
pub fn sample_config() -> String {
    let mut out = String::from(HEADER);
    let mut current: Option<&str> = None;
    for option in options() {
        if current != Some(option.section) {
            if current.is_some() {
                out.push_str("\n\n");
            }
            out.push('[');
            out.push_str(option.section);
            out.push_str("]\n");
            current = Some(option.section);
        }
        out.push('\n');
        push_option(&mut out, option);
    }
    out
}

/// The comment at the top of the sample.
const HEADER: &str = "# Sample configuration of ironic-inspector.\n\
    #\n\
    # Every option the service reads, grouped by section, with its type,\n\
    # default and help. Every option is commented out: the values shown\n\
    # are the defaults in effect. Printed by\n\
    # `ironic-inspector --print-sample-config`.\n\
    \n";

/// Help lines are wrapped at this many columns, `# ` included.
const WIDTH: usize = 70;

/// The sections that take the keystoneauth options of `[ironic]`, with the
/// service type each looks up in the catalog by default.
const KEYSTONEAUTH_GROUPS: [(&str, &str); 3] = [
    ("keystone_authtoken", "baremetal"),
    ("service_catalog", "baremetal-introspection"),
    ("swift", "object-store"),
];

/// `[ironic]` options the other keystoneauth sections read without using them.
const IRONIC_ONLY: [&str; 3] = ["max_requests_per_second", "max_retries", "retry_interval"];

/// The help of [`IRONIC_ONLY`] options outside `[ironic]`.
const NOT_USED_HERE: &str =
    "Read as in [ironic], where it applies; it has no effect in this group.";

fn is_keystoneauth(section: &str) -> bool {
    section == "ironic" || KEYSTONEAUTH_GROUPS.iter().any(|(name, _)| *name == section)
}

/// Appends one option: its wrapped help and type, its bounds and choices,
/// then `#name = default`.
fn push_option(out: &mut String, option: &OptionDoc) {
    let help = format!("{} ({})", option.help, option.kind.type_name());
    for line in wrap(&help) {
        out.push_str(&line);
        out.push('\n');
    }
    if option.kind == OptionKind::Port {
        out.push_str("# Minimum value: 0\n# Maximum value: 65535\n");
    }
    if !option.choices.is_empty() {
        out.push_str("# Possible values:\n");
        for (value, description) in option.choices {
            out.push_str("# ");
            out.push_str(value);
            if !description.is_empty() {
                out.push_str(" - ");
                out.push_str(description);
            }
            out.push('\n');
        }
    }
    let value = match option.default {
        None if option.kind == OptionKind::MultiString => String::new(),
        None => "<None>".to_owned(),
        Some(text) if text.trim() != text => format!("\"{text}\""),
        Some(text) => text.to_owned(),
    };
    out.push('#');
    out.push_str(option.name);
    out.push_str(" =");
    if !value.is_empty() {
        out.push(' ');
        out.push_str(&value);
    }
    out.push('\n');
}

/// `text` as `# ` comment lines of at most [`WIDTH`] columns, broken at
/// spaces only; a longer word gets a line of its own.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if line.is_empty() {
            line.push_str("# ");
        } else if line.chars().count() + 1 + word.chars().count() <= WIDTH {
            line.push(' ');
        } else {
            lines.push(std::mem::take(&mut line));
            line.push_str("# ");
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// An option without choices.
const fn opt(
    section: &'static str,
    name: &'static str,
    kind: OptionKind,
    default: Option<&'static str>,
    help: &'static str,
) -> OptionDoc {
    OptionDoc {
        section,
        name,
        kind,
        default,
        help,
        choices: &[],
    }
}

impl OptionDoc {
    /// The same option, accepting only `choices`.
    const fn with_choices(self, choices: &'static [(&'static str, &'static str)]) -> Self {
        Self { choices, ..self }
    }
}

/// Every group's own options, as upstream's `opts.py` lists its `conf/*.py`:
/// one table per oslo group, each in the file named after it. The
/// keystoneauth options of `[keystone_authtoken]`, `[service_catalog]` and
/// `[swift]` are copied from `[ironic]` by [`options`].
const GROUPS: &[&[OptionDoc]] = &[
    default::OPTIONS,
    accelerators::OPTIONS,
    api::OPTIONS,
    capabilities::OPTIONS,
    coordination::OPTIONS,
    database::OPTIONS,
    discovery::OPTIONS,
    dnsmasq_pxe_filter::OPTIONS,
    extra_hardware::OPTIONS,
    healthcheck::OPTIONS,
    iptables::OPTIONS,
    ironic::OPTIONS,
    keystone_authtoken::OPTIONS,
    mdns::OPTIONS,
    oslo_policy::OPTIONS,
    pci_devices::OPTIONS,
    port_physnet::OPTIONS,
    processing::OPTIONS,
    pxe_filter::OPTIONS,
    ssl::OPTIONS,
    swift::OPTIONS,
    timeline::OPTIONS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_wrapped_at_seventy_columns_and_long_words_stay_whole() {
        let text = "word ".repeat(30);
        let lines = wrap(&text);
        assert!(lines.iter().all(|line| line.len() <= WIDTH), "{lines:?}");
        assert_eq!(lines.concat().matches("word").count(), 30);
        let long = format!("short {} end", "x".repeat(80));
        assert_eq!(
            wrap(&long),
            [
                "# short".to_owned(),
                format!("# {}", "x".repeat(80)),
                "# end".to_owned()
            ]
        );
    }

    #[test]
    fn options_are_rendered_like_oslo_config_generator() {
        let mut out = String::new();
        push_option(
            &mut out,
            &opt("x", "name", OptionKind::Integer, None, "Some help."),
        );
        assert_eq!(out, "# Some help. (integer value)\n#name = <None>\n");
        let mut out = String::new();
        push_option(
            &mut out,
            &opt("x", "mode", OptionKind::String, Some(""), "Mode.")
                .with_choices(&[("a", "first"), ("b", "")]),
        );
        assert_eq!(
            out,
            "# Mode. (string value)\n# Possible values:\n# a - first\n# b\n#mode =\n"
        );
    }

    #[test]
    fn the_sample_starts_with_default_and_every_section_once() {
        let sample = sample_config();
        let headers: Vec<&str> = sample
            .lines()
            .filter(|line| line.starts_with('['))
            .collect();
        assert_eq!(headers.first(), Some(&"[DEFAULT]"));
        let mut sorted = headers[1..].to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, headers[1..]);
        assert!(sample.ends_with('\n') && !sample.ends_with("\n\n"));
        assert_eq!(sample, sample_config());
    }
}
