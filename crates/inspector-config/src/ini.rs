//! The oslo.config INI dialect (`oslo_config/iniparser.py`).
//!
//! `key = value` or `key: value` (the first separator wins), `#` and `;`
//! comment lines, indented continuation lines joined with a newline, matching
//! surrounding quotes stripped, and repeated keys collected in order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, Result};

/// One value as written in a file, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawValue {
    /// The text after the separator, unquoted; continuation lines joined with `\n`.
    pub text: String,
    /// The file it came from.
    pub path: PathBuf,
    /// One-based line number of the key.
    pub line: usize,
}

/// A parsed file: section name → option name → every value given, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IniFile {
    /// The sections, by name (`DEFAULT` included).
    pub sections: BTreeMap<String, BTreeMap<String, Vec<RawValue>>>,
}

impl IniFile {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses `text`; `path` is used in values and errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut file = IniFile::default();
        let mut section: Option<String> = None;
        // The value being built: (section, key) and the index of the value in its list.
        let mut open: Option<(String, String)> = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let syntax = |message: &str| ConfigError::Syntax {
                path: path.to_owned(),
                line: number,
                message: message.to_owned(),
            };
            let trimmed = line.trim();
            if trimmed.is_empty() {
                open = None;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                let (sec, key) = open
                    .as_ref()
                    .ok_or_else(|| syntax("unexpected continuation line"))?;
                let value = file
                    .sections
                    .get_mut(sec)
                    .and_then(|options| options.get_mut(key))
                    .and_then(|values| values.last_mut())
                    .expect("an open value was inserted before");
                value.text.push('\n');
                value.text.push_str(&unquote(trimmed));
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[') {
                let name = name
                    .strip_suffix(']')
                    .ok_or_else(|| syntax("invalid section header"))?
                    .trim();
                if name.is_empty() {
                    return Err(syntax("empty section name"));
                }
                file.sections.entry(name.to_owned()).or_default();
                section = Some(name.to_owned());
                open = None;
                continue;
            }
            let sec = section
                .clone()
                .ok_or_else(|| syntax("option outside of any section"))?;
            let split_at = trimmed
                .find([':', '='])
                .ok_or_else(|| syntax("expected `key = value`"))?;
            let key = trimmed[..split_at].trim();
            if key.is_empty() {
                return Err(syntax("empty option name"));
            }
            let value = unquote(trimmed[split_at + 1..].trim());
            file.sections
                .entry(sec.clone())
                .or_default()
                .entry(key.to_owned())
                .or_default()
                .push(RawValue {
                    text: value,
                    path: path.to_owned(),
                    line: number,
                });
            open = Some((sec, key.to_owned()));
        }
        Ok(file)
    }
}

fn unquote(value: &str) -> String {
    let bytes = value.as_bytes();
    if bytes.len() >= 2 {
        let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
        if first == last && (first == b'"' || first == b'\'') {
            return value[1..value.len() - 1].to_owned();
        }
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> IniFile {
        IniFile::parse(text, Path::new("test.conf")).unwrap()
    }

    fn texts(file: &IniFile, section: &str, key: &str) -> Vec<String> {
        file.sections[section][key]
            .iter()
            .map(|v| v.text.clone())
            .collect()
    }

    #[test]
    fn separators_comments_quotes_and_repeats() {
        let file = parse(
            "# comment\n[DEFAULT]\ndebug = true\n; other comment\nhost: a=b\n\
             [pci_devices]\nalias = 'x'\nalias = \"y\"\n[database]\nconnection=sqlite:///a.db\n",
        );
        assert_eq!(texts(&file, "DEFAULT", "debug"), ["true"]);
        assert_eq!(texts(&file, "DEFAULT", "host"), ["a=b"]);
        assert_eq!(texts(&file, "pci_devices", "alias"), ["x", "y"]);
        assert_eq!(texts(&file, "database", "connection"), ["sqlite:///a.db"]);
        assert_eq!(file.sections["database"]["connection"][0].line, 10);
    }

    #[test]
    fn continuation_lines_are_joined() {
        let file = parse("[a]\nkey = one\n  two\n\tthree\nother = x\n");
        assert_eq!(texts(&file, "a", "key"), ["one\ntwo\nthree"]);
        assert_eq!(texts(&file, "a", "other"), ["x"]);
    }

    #[test]
    fn empty_value_is_allowed() {
        let file = parse("[a]\nkey =\n");
        assert_eq!(texts(&file, "a", "key"), [""]);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let error = IniFile::parse("[a]\nno separator\n", Path::new("x.conf")).unwrap_err();
        assert_eq!(error.to_string(), "x.conf:2: expected `key = value`");
        let error = IniFile::parse("key = 1\n", Path::new("x.conf")).unwrap_err();
        assert_eq!(error.to_string(), "x.conf:1: option outside of any section");
        let error = IniFile::parse("[a\n", Path::new("x.conf")).unwrap_err();
        assert_eq!(error.to_string(), "x.conf:1: invalid section header");
    }
}
