//! `ironic-inspector-rootwrap <rootwrap.conf> <command> [args...]`, run
//! through `sudo`: runs the command only when a filter of the root-owned
//! filter files allows that exact command line (spec §5), never through a
//! shell, with a clean environment, as the filter's user.
//!
//! Exit statuses: 98 no command, 97 bad configuration, 99 unauthorized
//! command, 96 allowed but the executable is missing; otherwise the
//! command's own status (128 + signal when it was killed).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use inspector_config::IniFile;
use regex::Regex;

const NO_COMMAND: u8 = 98;
const BAD_CONFIG: u8 = 97;
const UNAUTHORIZED: u8 = 99;
const NOT_FOUND: u8 = 96;

/// One line of a filter file.
#[derive(Debug)]
enum Filter {
    /// `CommandFilter, <exe>, <user>`: the executable with any arguments.
    Command { exe: String, user: String },
    /// `RegExpFilter, <exe>, <user>, <re>...`: one regex per word, full match.
    RegExp {
        exe: String,
        user: String,
        words: Vec<Regex>,
    },
    /// `StdinRegExpFilter, <exe>, <user>, <line re>, <re>...`: as
    /// `RegExpFilter`, and every line of standard input must fully match
    /// `<line re>` (the input is read and checked before the command runs).
    StdinRegExp {
        exe: String,
        user: String,
        words: Vec<Regex>,
        line: Regex,
    },
}

fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

impl Filter {
    fn parse(definition: &str) -> Result<Self, String> {
        let items: Vec<&str> = definition.split(',').map(str::trim).collect();
        match items.as_slice() {
            ["CommandFilter", exe, user, ..] => Ok(Self::Command {
                exe: (*exe).to_owned(),
                user: (*user).to_owned(),
            }),
            ["RegExpFilter", exe, user, patterns @ ..] if !patterns.is_empty() => {
                let words = patterns
                    .iter()
                    .map(|p| anchored(p))
                    .collect::<Result<_, _>>()?;
                Ok(Self::RegExp {
                    exe: (*exe).to_owned(),
                    user: (*user).to_owned(),
                    words,
                })
            }
            ["StdinRegExpFilter", exe, user, line, patterns @ ..] if !patterns.is_empty() => {
                let words = patterns
                    .iter()
                    .map(|p| anchored(p))
                    .collect::<Result<_, _>>()?;
                Ok(Self::StdinRegExp {
                    exe: (*exe).to_owned(),
                    user: (*user).to_owned(),
                    words,
                    line: anchored(line)?,
                })
            }
            [class, ..] => Err(format!("unsupported filter class {class}")),
            [] => Err("empty filter".to_owned()),
        }
    }

    fn exe(&self) -> &str {
        match self {
            Self::Command { exe, .. }
            | Self::RegExp { exe, .. }
            | Self::StdinRegExp { exe, .. } => exe,
        }
    }

    fn user(&self) -> &str {
        match self {
            Self::Command { user, .. }
            | Self::RegExp { user, .. }
            | Self::StdinRegExp { user, .. } => user,
        }
    }

    /// Whether the requested command line is allowed. The command's first
    /// word must be the filter's executable or its bare name: another path
    /// to a program of the same name never matches.
    fn matches(&self, command: &[String]) -> bool {
        let exe = self.exe();
        let base = Path::new(exe)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let first = command[0].as_str();
        if first != exe && first != base {
            return false;
        }
        match self {
            Self::Command { .. } => true,
            Self::RegExp { words, .. } | Self::StdinRegExp { words, .. } => {
                words.len() == command.len()
                    && words
                        .iter()
                        .zip(command)
                        .all(|(re, word)| re.is_match(word))
            }
        }
    }
}

/// Largest standard input a `StdinRegExpFilter` command may receive.
const MAX_STDIN: u64 = 64 * 1024 * 1024;

struct Config {
    filters_path: Vec<PathBuf>,
    exec_dirs: Vec<PathBuf>,
}

/// Comma-separated absolute directories; a relative one would depend on the
/// caller's working directory.
fn list(key: &str, value: &str) -> Result<Vec<PathBuf>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|dir| {
            let path = PathBuf::from(dir);
            if path.is_absolute() {
                Ok(path)
            } else {
                Err(format!("{key}: {dir} is not an absolute path"))
            }
        })
        .collect()
}

/// Root-owned and writable by root only: what the helper trusts.
fn trusted(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if metadata.uid() != 0 || metadata.mode() & 0o022 != 0 {
        return Err(format!(
            "{} must be owned by root and writable by root only",
            path.display()
        ));
    }
    Ok(())
}

fn load_config(path: &Path) -> Result<Config, String> {
    trusted(path)?;
    let file = IniFile::load(path).map_err(|e| e.to_string())?;
    let default = file.sections.get("DEFAULT");
    let value = |key: &str| {
        default
            .and_then(|s| s.get(key))
            .and_then(|values| values.last())
            .map(|v| v.text.clone())
    };
    let filters_path = list(
        "filters_path",
        &value("filters_path").ok_or("filters_path is not set")?,
    )?;
    let exec_dirs = list(
        "exec_dirs",
        &value("exec_dirs").unwrap_or_else(|| "/sbin,/usr/sbin,/bin,/usr/bin".to_owned()),
    )?;
    Ok(Config {
        filters_path,
        exec_dirs,
    })
}

/// Every filter of every regular, non-hidden file of the filter directories,
/// in listing order; a name repeated in one file keeps its last definition.
fn load_filters(dirs: &[PathBuf]) -> Vec<Filter> {
    let mut filters = Vec::new();
    for dir in dirs {
        if let Err(error) = trusted(dir) {
            if dir.exists() {
                eprintln!("ironic-inspector-rootwrap: ignoring filter directory: {error}");
            }
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        for path in files {
            if let Err(error) = trusted(&path) {
                eprintln!("ironic-inspector-rootwrap: ignoring filter file: {error}");
                continue;
            }
            let Ok(file) = IniFile::load(&path) else {
                eprintln!(
                    "ironic-inspector-rootwrap: ignoring unreadable filter file {}",
                    path.display()
                );
                continue;
            };
            // In the order the file defines them (the first match wins).
            let mut definitions: Vec<(&String, &inspector_config::RawValue)> = file
                .sections
                .get("Filters")
                .into_iter()
                .flatten()
                .filter_map(|(name, values)| values.last().map(|v| (name, v)))
                .collect();
            definitions.sort_by_key(|(_, definition)| definition.line);
            for (name, definition) in definitions {
                match Filter::parse(&definition.text) {
                    Ok(filter) => filters.push(filter),
                    Err(error) => eprintln!(
                        "ironic-inspector-rootwrap: ignoring filter {name} of {}: {error}",
                        path.display()
                    ),
                }
            }
        }
    }
    filters
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The program a filter names: itself if absolute, else found in `exec_dirs`.
fn resolve(exe: &str, exec_dirs: &[PathBuf]) -> Option<PathBuf> {
    let path = Path::new(exe);
    if path.is_absolute() {
        return is_executable(path).then(|| path.to_path_buf());
    }
    if exe.contains('/') {
        return None;
    }
    exec_dirs
        .iter()
        .map(|dir| dir.join(exe))
        .find(|candidate| is_executable(candidate))
}

/// The uid and gid of `user` from `/etc/passwd`.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user) && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

fn refuse(code: u8, message: &str) -> ExitCode {
    eprintln!("ironic-inspector-rootwrap: {message}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let Some(args) = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect::<Option<Vec<String>>>()
    else {
        return refuse(
            UNAUTHORIZED,
            "Unauthorized command: an argument is not UTF-8",
        );
    };
    let Some((config_path, command)) = args.split_first().filter(|(_, c)| !c.is_empty()) else {
        return refuse(NO_COMMAND, "No command specified");
    };
    let config = match load_config(Path::new(config_path)) {
        Ok(config) => config,
        Err(error) => {
            return refuse(
                BAD_CONFIG,
                &format!("Incorrect configuration file {config_path}: {error}"),
            );
        }
    };
    let filters = load_filters(&config.filters_path);
    let Some(filter) = filters.iter().find(|f| f.matches(command)) else {
        return refuse(
            UNAUTHORIZED,
            &format!("Unauthorized command: {}", command.join(" ")),
        );
    };
    let Some(program) = resolve(filter.exe(), &config.exec_dirs) else {
        return refuse(
            NOT_FOUND,
            &format!("Executable not found: {}", filter.exe()),
        );
    };
    let input = match filter {
        Filter::StdinRegExp { line, .. } => {
            use std::io::Read;
            let mut text = String::new();
            if std::io::stdin()
                .take(MAX_STDIN)
                .read_to_string(&mut text)
                .is_err()
            {
                return refuse(
                    UNAUTHORIZED,
                    "Unauthorized command: standard input is not UTF-8 text",
                );
            }
            if let Some(bad) = text.lines().find(|l| !line.is_match(l)) {
                return refuse(
                    UNAUTHORIZED,
                    &format!("Unauthorized command: input line not allowed: {bad}"),
                );
            }
            Some(text)
        }
        _ => None,
    };
    let mut child = Command::new(&program);
    child.args(&command[1..]).current_dir("/");
    if input.is_some() {
        child.stdin(std::process::Stdio::piped());
    }
    // Nothing of the caller's environment reaches the privileged command.
    child.env_clear();
    let path = std::env::join_paths(&config.exec_dirs).unwrap_or_default();
    child.env("PATH", path);
    if filter.user() != "root" {
        let Some((uid, gid)) = user_ids(filter.user()) else {
            return refuse(BAD_CONFIG, &format!("Unknown user {}", filter.user()));
        };
        child.uid(uid).gid(gid);
    }
    let status = child.spawn().and_then(|mut running| {
        if let (Some(text), Some(mut pipe)) = (input, running.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes())?;
        }
        running.wait()
    });
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(255)),
            (None, None) => ExitCode::FAILURE,
        },
        Err(error) => refuse(
            NOT_FOUND,
            &format!("cannot run {}: {error}", program.display()),
        ),
    }
}
