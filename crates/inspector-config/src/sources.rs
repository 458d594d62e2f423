//! The set of files given with `--config-file` / `--config-dir`, and typed
//! look-ups across them with oslo.config's precedence and interpolation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{ConfigError, Interpolation, InvalidValue, Result};
use crate::ini::{IniFile, RawValue};

/// Every configuration file, in precedence order (later wins).
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    files: Vec<IniFile>,
    /// Every `(section, option)` the typed groups asked for, to tell which
    /// options of the files nothing reads.
    consulted: Arc<Mutex<BTreeSet<(String, String)>>>,
}

/// An option set in a file that no option group reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOption {
    /// Its section.
    pub section: String,
    /// Its name.
    pub option: String,
    /// Where it was (last) set.
    pub path: PathBuf,
    /// One-based line of that setting.
    pub line: usize,
}

/// Where a typed value came from, for error messages; `None` for defaults.
type Origin<'a> = Option<&'a RawValue>;

impl ConfigSources {
    /// Loads `files` in order, then the `*.conf` files of each directory of
    /// `dirs` in name order, as oslo.config does.
    pub fn load(files: &[PathBuf], dirs: &[PathBuf]) -> Result<Self> {
        let mut parsed = Vec::new();
        for path in files {
            parsed.push(IniFile::load(path)?);
        }
        for dir in dirs {
            let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Read {
                path: dir.clone(),
                source,
            })?;
            let mut confs: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
                .collect();
            confs.sort();
            for path in confs {
                parsed.push(IniFile::load(&path)?);
            }
        }
        Ok(Self::from_files(parsed))
    }

    /// Builds sources from already parsed files (tests, embedded defaults).
    pub fn from_files(files: Vec<IniFile>) -> Self {
        Self {
            files,
            consulted: Arc::default(),
        }
    }

    fn consult(&self, section: &str, option: &str) {
        self.consulted
            .lock()
            .expect("consulted options lock")
            .insert((section.to_owned(), option.to_owned()));
    }

    /// Every `(section, option)` looked up so far, sorted, whether the files
    /// set it or not.
    pub fn consulted_options(&self) -> Vec<(String, String)> {
        self.consulted
            .lock()
            .expect("consulted options lock")
            .iter()
            .cloned()
            .collect()
    }

    /// The options set in the files that no group read so far (call it after
    /// every group was read): upstream ignores them, the service warns.
    pub fn unknown_options(&self) -> Vec<UnknownOption> {
        let consulted = self.consulted.lock().expect("consulted options lock");
        // Later files win, as for values: the place reported is the last setting.
        let mut unknown = BTreeMap::new();
        for file in &self.files {
            for (section, options) in &file.sections {
                for (option, values) in options {
                    let key = (section.clone(), option.clone());
                    if let (false, Some(raw)) = (consulted.contains(&key), values.last()) {
                        unknown.insert(key, raw);
                    }
                }
            }
        }
        unknown
            .into_iter()
            .map(|((section, option), raw)| UnknownOption {
                section,
                option,
                path: raw.path.clone(),
                line: raw.line,
            })
            .collect()
    }

    /// The value that wins for `section.option`: the last one of the last file setting it.
    pub fn raw(&self, section: &str, option: &str) -> Option<&RawValue> {
        self.consult(section, option);
        self.files
            .iter()
            .rev()
            .find_map(|file| file.sections.get(section)?.get(option)?.last())
    }

    /// The error for an option whose value is not one the service accepts,
    /// naming the file and line where it was set.
    pub fn invalid_value(
        &self,
        section: &str,
        option: &str,
        value: impl Into<String>,
        expected: &str,
    ) -> crate::error::ConfigError {
        let (path, line) = self.raw(section, option).map_or_else(
            || (Default::default(), 0),
            |raw| (raw.path.clone(), raw.line),
        );
        crate::error::ConfigError::InvalidValue(Box::new(crate::error::InvalidValue {
            path,
            line,
            section: section.into(),
            option: option.into(),
            value: value.into(),
            expected: expected.into(),
        }))
    }

    /// A typed view of one section; unset options and `$name` references
    /// fall back to the option's default in the [catalog](crate::catalog),
    /// the one place defaults are declared.
    pub fn section<'a>(&'a self, section: &'a str) -> Lookup<'a> {
        Lookup {
            sources: self,
            section,
        }
    }
}

/// The longest value `$references` may expand to.
const MAX_EXPANDED: usize = 64 * 1024;

/// Typed access to one section of [`ConfigSources`].
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    sources: &'a ConfigSources,
    section: &'a str,
}

impl<'a> Lookup<'a> {
    /// The interpolated string value of `option`, or its declared default.
    pub fn string(&self, option: &str) -> Result<Option<String>> {
        Ok(self.resolve(option, 0)?.map(|(text, _)| text))
    }

    /// An integer option.
    pub fn integer(&self, option: &str) -> Result<Option<i64>> {
        self.typed(option, "an integer", |text| text.trim().parse::<i64>().ok())
    }

    /// A boolean option in any oslo spelling (true/false, yes/no, on/off, 1/0; any case).
    pub fn boolean(&self, option: &str) -> Result<Option<bool>> {
        self.typed(option, "a boolean", parse_bool)
    }

    /// A comma-separated list option; items are trimmed and empty items dropped.
    pub fn list(&self, option: &str) -> Result<Option<Vec<String>>> {
        self.typed(option, "a list", |text| {
            Some(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )
        })
    }

    /// A dict option (`key:value,key2:value2`); items are trimmed, the first `:` splits.
    pub fn dict(&self, option: &str) -> Result<Option<Vec<(String, String)>>> {
        self.typed(option, "a dict of key:value pairs", |text| {
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    item.split_once(':')
                        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                })
                .collect()
        })
    }

    /// Every value of a multi-valued option, from every file, in order.
    pub fn multi(&self, option: &str) -> Vec<String> {
        self.sources.consult(self.section, option);
        self.sources
            .files
            .iter()
            .filter_map(|file| file.sections.get(self.section)?.get(option))
            .flatten()
            .map(|raw| raw.text.clone())
            .collect()
    }

    /// An option parsed by `parse`; a value it refuses is an error naming
    /// `expected`, the file, the section and the option.
    pub fn typed<T>(
        &self,
        option: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        let Some((text, origin)) = self.resolve(option, 0)? else {
            return Ok(None);
        };
        match parse(&text) {
            Some(value) => Ok(Some(value)),
            None => Err(self.invalid(option, &text, origin, expected)),
        }
    }

    fn invalid(&self, option: &str, text: &str, origin: Origin<'_>, expected: &str) -> ConfigError {
        let (path, line) = origin.map_or_else(
            || (PathBuf::from("<defaults>"), 0),
            |raw| (raw.path.clone(), raw.line),
        );
        ConfigError::InvalidValue(Box::new(InvalidValue {
            path,
            line,
            section: self.section.to_owned(),
            option: option.to_owned(),
            value: text.to_owned(),
            expected: expected.to_owned(),
        }))
    }

    /// The catalog's default of `option` in this section.
    fn default_of(&self, option: &str) -> Option<&'static str> {
        crate::catalog::find(self.section, option).and_then(|doc| doc.default)
    }

    /// A text option where an empty value means unset: the value, or the
    /// catalog's default when the option is unset or empty.
    pub fn non_empty(&self, option: &str) -> Result<Option<String>> {
        Ok(self
            .string(option)?
            .filter(|text| !text.is_empty())
            .or_else(|| self.default_of(option).map(str::to_owned)))
    }

    /// The value and its origin after `$name` / `${name}` interpolation.
    fn resolve(&self, option: &str, depth: usize) -> Result<Option<(String, Origin<'a>)>> {
        let raw = self.sources.raw(self.section, option);
        let text = match (raw, self.default_of(option)) {
            (Some(raw), _) => raw.text.as_str(),
            (None, Some(default)) => default,
            (None, None) => return Ok(None),
        };
        if depth > 16 || !text.contains('$') {
            return Ok(Some((text.to_owned(), raw)));
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                out.push('$');
                rest = after;
                continue;
            }
            let (name, after) = if let Some(braced) = rest.strip_prefix('{') {
                match braced.find('}') {
                    Some(end) => (&braced[..end], &braced[end + 1..]),
                    None => ("", rest),
                }
            } else {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            };
            if name.is_empty() {
                out.push('$');
                continue;
            }
            let (section, key) = name.split_once('.').unwrap_or((self.section, name));
            let target = Lookup { section, ..*self };
            let Some((value, _)) = target.resolve(key, depth + 1)? else {
                let (path, line) =
                    raw.map_or_else(|| (PathBuf::new(), 0), |r| (r.path.clone(), r.line));
                return Err(ConfigError::Interpolation(Box::new(Interpolation {
                    path,
                    line,
                    section: self.section.to_owned(),
                    option: option.to_owned(),
                    reference: name.to_owned(),
                })));
            };
            out.push_str(&value);
            if out.len() > MAX_EXPANDED {
                // `a = $a$a` doubles at each of the 16 levels: refuse, not exhaust memory.
                return Err(self.invalid(
                    option,
                    text,
                    raw,
                    "a value whose $references expand to at most 65536 characters",
                ));
            }
            rest = after;
        }
        out.push_str(rest);
        Ok(Some((out, raw)))
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Convenience for tests and callers holding text rather than files.
impl ConfigSources {
    /// Parses one in-memory file named `path`.
    pub fn from_text(text: &str, path: &Path) -> Result<Self> {
        Ok(Self::from_files(vec![IniFile::parse(text, path)?]))
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn sources(texts: &[&str]) -> ConfigSources {
        ConfigSources::from_files(
            texts
                .iter()
                .enumerate()
                .map(|(i, text)| IniFile::parse(text, Path::new(&format!("f{i}.conf"))).unwrap())
                .collect(),
        )
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let sources = sources(&[
            "[DEFAULT]\ntimeout = 10\nhost = a\n",
            "[DEFAULT]\ntimeout = 20\n",
        ]);
        let section = sources.section("DEFAULT");
        assert_eq!(section.integer("timeout").unwrap(), Some(20));
        assert_eq!(section.string("host").unwrap().as_deref(), Some("a"));
        assert_eq!(section.string("missing").unwrap(), None);
    }

    #[test]
    fn interpolation_sees_the_same_group_and_the_catalog_defaults() {
        let sources = sources(&[
            "[processing]\nprocessing_hooks = $default_processing_hooks,lldp_basic\nprice = $$5\n",
        ]);
        let section = sources.section("processing");
        assert_eq!(
            section.list("processing_hooks").unwrap().unwrap(),
            [
                "ramdisk_error",
                "root_disk_selection",
                "scheduler",
                "validate_interfaces",
                "capabilities",
                "pci_devices",
                "lldp_basic"
            ]
        );
        assert_eq!(section.string("price").unwrap().as_deref(), Some("$5"));
    }

    /// As oslo.config: a reference to an unset option of another group is that option's default.
    #[test]
    fn a_reference_to_an_unset_option_elsewhere_is_its_default() {
        let sources =
            sources(&["[service_catalog]\nvalid_interfaces = ${ironic.valid_interfaces}\n"]);
        assert_eq!(
            sources
                .section("service_catalog")
                .list("valid_interfaces")
                .unwrap()
                .unwrap(),
            ["internal", "public"]
        );
    }

    #[test]
    fn interpolation_with_group_prefix_and_braces() {
        let sources = sources(&[
            "[DEFAULT]\nstate_path = /var/lib\n[database]\nconnection = sqlite:///${DEFAULT.state_path}/x.db\n",
        ]);
        let section = sources.section("database");
        assert_eq!(
            section.string("connection").unwrap().as_deref(),
            Some("sqlite:////var/lib/x.db")
        );
    }

    #[test]
    fn missing_reference_is_an_error_naming_the_option() {
        let sources = sources(&["[a]\nx = $nope\n"]);
        let error = sources.section("a").string("x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "f0.conf:2: option x in group [a] refers to $nope, which is not set"
        );
    }

    #[test]
    fn self_references_that_double_at_each_level_are_refused() {
        // Found by the ini fuzz target: 2^16 copies exhausted memory.
        let sources = sources(&["[a]\nx = $x$x\n"]);
        let error = sources.section("a").string("x").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("expand to at most 65536 characters"),
            "{error}"
        );
    }

    #[rstest]
    #[case("true", true)]
    #[case("True", true)]
    #[case("YES", true)]
    #[case("on", true)]
    #[case("1", true)]
    #[case("false", false)]
    #[case("No", false)]
    #[case("off", false)]
    #[case("0", false)]
    fn oslo_booleans(#[case] text: &str, #[case] want: bool) {
        let sources = sources(&[&format!("[a]\nflag = {text}\n")]);
        assert_eq!(sources.section("a").boolean("flag").unwrap(), Some(want));
    }

    #[rstest]
    #[case::bool("flag = maybe", "a boolean")]
    #[case::int("count = ten", "an integer")]
    fn wrong_types_name_file_section_and_option(#[case] line: &str, #[case] expected: &str) {
        let sources = sources(&["[DEFAULT]\n", &format!("[grp]\n\n{line}\n")]);
        let section = sources.section("grp");
        let error = if expected == "a boolean" {
            section.boolean("flag").unwrap_err()
        } else {
            section.integer("count").unwrap_err()
        };
        let text = error.to_string();
        assert!(text.starts_with("f1.conf:3: invalid value"), "{text}");
        assert!(text.contains("in group [grp]"), "{text}");
        assert!(text.ends_with(expected), "{text}");
    }

    #[test]
    fn config_dir_files_load_in_name_order_after_files() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main.ini");
        std::fs::write(&main, "[DEFAULT]\ntimeout = 1\n").unwrap();
        let confd = dir.path().join("conf.d");
        std::fs::create_dir(&confd).unwrap();
        std::fs::write(confd.join("20-b.conf"), "[DEFAULT]\ntimeout = 3\n").unwrap();
        std::fs::write(
            confd.join("10-a.conf"),
            "[DEFAULT]\ntimeout = 2\nhost = h\n",
        )
        .unwrap();
        std::fs::write(confd.join("ignored.txt"), "[DEFAULT]\ntimeout = 9\n").unwrap();
        let sources = ConfigSources::load(&[main], &[confd]).unwrap();
        let section = sources.section("DEFAULT");
        assert_eq!(section.integer("timeout").unwrap(), Some(3));
        assert_eq!(section.string("host").unwrap().as_deref(), Some("h"));
    }

    #[test]
    fn unreadable_file_is_a_clear_error() {
        let error =
            ConfigSources::load(&[PathBuf::from("/nonexistent/inspector.conf")], &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read /nonexistent/inspector.conf")
        );
    }

    #[test]
    fn options_no_group_read_are_reported_with_their_place() {
        let sources = sources(&[
            "[DEFAULT]\ndebug = true\nlisten_prot = 5050\n[ironic]\nmax_retries = 3\n",
            "[pxe_filter]\ndriver = noop\n[DEFAULT]\nlisten_prot = 5051\n",
        ]);
        let defaults = sources.section("DEFAULT");
        assert_eq!(defaults.boolean("debug").unwrap(), Some(true));
        assert_eq!(
            sources.section("ironic").integer("max_retries").unwrap(),
            Some(3)
        );
        let unknown: Vec<(String, String, String, usize)> = sources
            .unknown_options()
            .into_iter()
            .map(|u| (u.section, u.option, u.path.display().to_string(), u.line))
            .collect();
        assert_eq!(
            unknown,
            [
                ("DEFAULT".into(), "listen_prot".into(), "f1.conf".into(), 4),
                ("pxe_filter".into(), "driver".into(), "f1.conf".into(), 2),
            ]
        );
    }
}
