//! Privileged commands: every one goes through a [`CommandRunner`]. The
//! system runner prefixes `sudo ironic-inspector-rootwrap <rootwrap.conf>`
//! unless the service already runs as root; commands never go through a shell
//! except the operator's dnsmasq start/stop commands, which are shell text.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::error::FilterError;

/// What a command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// Runs privileged commands.
pub trait CommandRunner: Send + Sync + std::fmt::Debug {
    /// Runs `program args...` (no shell), feeding `stdin` when given. An
    /// `Err` means it could not be started at all.
    fn run(
        &self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<Output, FilterError>;

    /// Runs an operator's shell command line (dnsmasq start/stop).
    fn run_shell(&self, command: &str) -> Result<Output, FilterError>;
}

/// The real runner.
#[derive(Debug, Clone)]
pub struct SystemRunner {
    /// `sudo <helper> <config>` prefix; empty when running as root.
    prefix: Vec<String>,
}

impl SystemRunner {
    /// Through `sudo <helper> <rootwrap_config>` unless `as_root`.
    pub fn new(helper: &str, rootwrap_config: &str, as_root: bool) -> Self {
        let prefix = if as_root {
            Vec::new()
        } else {
            vec!["sudo".into(), helper.into(), rootwrap_config.into()]
        };
        Self { prefix }
    }

    /// Always through the helper (tests of the helper itself).
    pub fn with_prefix(prefix: Vec<String>) -> Self {
        Self { prefix }
    }
}

fn execute(mut command: Command, stdin: Option<&str>) -> Result<Output, FilterError> {
    let shown = format!("{command:?}");
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| FilterError::Command(format!("cannot run {shown}: {e}")))?;
    // Fed from another thread while the output is read, so that neither side
    // waits for the other with a full pipe.
    let feeder = match (stdin, child.stdin.take()) {
        (Some(text), Some(mut pipe)) => {
            let text = text.to_owned();
            Some(std::thread::spawn(move || pipe.write_all(text.as_bytes())))
        }
        _ => None,
    };
    let output = child
        .wait_with_output()
        .map_err(|e| FilterError::Command(format!("{shown} failed: {e}")))?;
    if let Some(Ok(Err(error))) = feeder.map(std::thread::JoinHandle::join) {
        return Err(FilterError::Command(format!(
            "cannot feed {shown}: {error}"
        )));
    }
    Ok(Output {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

impl CommandRunner for SystemRunner {
    fn run(
        &self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<Output, FilterError> {
        let mut words = self.prefix.iter().map(String::as_str).chain([program]);
        let first = words.next().unwrap_or(program);
        let mut command = Command::new(first);
        command.args(words).args(args);
        execute(command, stdin)
    }

    fn run_shell(&self, text: &str) -> Result<Output, FilterError> {
        let line = if self.prefix.is_empty() {
            text.to_owned()
        } else {
            format!("{} {text}", self.prefix.join(" "))
        };
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(line);
        execute(command, None)
    }
}

/// A runner that records command lines and answers from a script (tests).
#[derive(Debug, Default)]
pub struct RecordingRunner {
    /// Every command line, `program args...` joined by spaces; stdin appended after ` <<< `.
    pub calls: Mutex<Vec<String>>,
    /// Command lines (prefixes) that fail.
    pub failing: Mutex<Vec<String>>,
}

impl RecordingRunner {
    /// The recorded command lines, emptied.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Makes every command line starting with `prefix` fail.
    pub fn fail(&self, prefix: &str) {
        self.failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(prefix.to_owned());
    }

    fn answer(&self, line: String) -> Output {
        let success = !self
            .failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|prefix| line.starts_with(prefix.as_str()));
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
        Output {
            success,
            ..Output::default()
        }
    }
}

impl CommandRunner for RecordingRunner {
    fn run(
        &self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<Output, FilterError> {
        let mut line = std::iter::once(program.to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(stdin) = stdin {
            line.push_str(" <<< ");
            line.push_str(stdin);
        }
        Ok(self.answer(line))
    }

    fn run_shell(&self, command: &str) -> Result<Output, FilterError> {
        Ok(self.answer(format!("sh -c {command}")))
    }
}
