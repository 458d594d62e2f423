//! The helper as sudo runs it: allowed command lines run; everything else —
//! shell metacharacters, other paths to a program, extra arguments, unknown
//! commands — is refused without running anything, and the caller's
//! environment never reaches the command.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::path::{Path, PathBuf};
use std::process::Command;

use rstest::rstest;

mod support;

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        support::rootwrap_config(
            dir.path(),
            Some(
                "[Filters]\n\
                 echo: RegExpFilter, echo, root, echo, hello\n\
                 env: CommandFilter, env, root\n\
                 false: CommandFilter, false, root\n\
                 missing: CommandFilter, no-such-program-here, root\n",
            ),
        );
        std::fs::write(
            dir.path().join("rootwrap.d").join(".hidden"),
            "[Filters]\ncat: CommandFilter, cat, root\n",
        )
        .unwrap();
        Self { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("rootwrap.conf")
    }

    fn run(&self, command: &[&str]) -> (Option<i32>, String, String) {
        self.run_with_input(command, "")
    }

    fn run_with_input(&self, command: &[&str], input: &str) -> (Option<i32>, String, String) {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironic-inspector-rootwrap"))
            .arg(self.config())
            .args(command)
            .env("LD_PRELOAD", "/nonexistent/inject.so")
            .env("INJECTED", "yes")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let output = child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[test]
fn an_allowed_command_runs_with_its_status() {
    let setup = Setup::new();
    assert_eq!(setup.run(&["echo", "hello"]).0, Some(0));
    assert_eq!(setup.run(&["echo", "hello"]).1, "hello\n");
    assert_eq!(setup.run(&["false"]).0, Some(1), "the command's own status");
}

#[test]
fn the_environment_is_cleaned() {
    let setup = Setup::new();
    let (code, stdout, _) = setup.run(&["env"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout, "PATH=/sbin:/usr/sbin:/bin:/usr/bin\n");
}

#[rstest]
#[case::shell_metacharacters(&["echo", "hello; touch /tmp/rootwrap-pwned"])]
#[case::command_substitution(&["echo", "$(id)"])]
#[case::extra_arguments(&["echo", "hello", "world"])]
#[case::relative_path(&["../../usr/bin/echo", "hello"])]
#[case::absolute_path_of_another_program(&["/tmp/echo", "hello"])]
#[case::unknown_command(&["cat", "/etc/shadow"])]
#[case::hidden_filter_file_ignored(&["cat", "/etc/hostname"])]
#[case::iptables_other_rule(&["iptables", "-w", "-A", "INPUT", "-j", "ACCEPT"])]
#[case::iptables_chain_with_metacharacters(&["iptables", "-w", "-F", "x;reboot"])]
#[case::iptables_extra_argument(&["iptables", "-w", "-N", "ironic-inspector", "--verbose"])]
#[case::iptables_restore_with_a_file(&["iptables-restore", "-w", "--noflush", "/tmp/rules"])]
#[case::iptables_flush_a_builtin_chain(&["iptables", "-w", "-F", "INPUT"])]
#[case::iptables_jump_to_accept(&["iptables", "-w", "-I", "INPUT", "-i", "eth0", "-p", "udp", "--dport", "67", "-j", "ACCEPT"])]
#[case::iptables_other_services_chain(&["iptables", "-w", "-X", "DOCKER"])]
fn refused_command_lines_run_nothing(#[case] command: &[&str]) {
    let setup = Setup::new();
    let marker = Path::new("/tmp/rootwrap-pwned");
    let _ = std::fs::remove_file(marker);
    let (code, stdout, stderr) = setup.run(command);
    assert_eq!(code, Some(99), "{command:?}: {stderr}");
    assert!(stderr.contains("Unauthorized command"), "{stderr}");
    assert!(stdout.is_empty());
    assert!(!marker.exists());
}

#[test]
fn the_shipped_filters_allow_the_filters_command_lines() {
    let setup = Setup::new();
    if !Path::new("/usr/sbin/iptables").exists() && !Path::new("/sbin/iptables").exists() {
        eprintln!(
            "SKIPPED the_shipped_filters_allow_the_filters_command_lines: iptables is not installed"
        );
        return;
    }
    // The probe is allowed and runs (it only prints iptables' help).
    let (code, _, stderr) = setup.run(&["iptables", "-w", "-h"]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[rstest]
#[case::policy("*filter\n-P INPUT ACCEPT\nCOMMIT\n")]
#[case::flush("*filter\n-F INPUT\nCOMMIT\n")]
#[case::other_table("*nat\n-A PREROUTING -j DNAT --to-destination 10.0.0.1\nCOMMIT\n")]
#[case::accept_rule_in_input("*filter\n-I INPUT -j ACCEPT\nCOMMIT\n")]
#[case::module_option("*filter\n-A ironic-inspector_temp -j DROP --modprobe=/tmp/x\nCOMMIT\n")]
fn restore_scripts_outside_the_filters_rules_are_refused(#[case] script: &str) {
    // The helper finds the executable before it reads the script.
    if !Path::new("/usr/sbin/iptables-restore").exists()
        && !Path::new("/sbin/iptables-restore").exists()
    {
        eprintln!(
            "SKIPPED restore_scripts_outside_the_filters_rules_are_refused: iptables is not installed"
        );
        return;
    }
    let setup = Setup::new();
    let (code, _, stderr) = setup.run_with_input(&["iptables-restore", "-w", "--noflush"], script);
    assert_eq!(code, Some(99), "{stderr}");
    assert!(stderr.contains("input line not allowed"), "{stderr}");
}

#[test]
fn untrusted_configuration_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::new();
    // A filter file others can write is ignored (so `cat` is not allowed by it).
    let writable = setup.dir.path().join("rootwrap.d").join("writable.filters");
    std::fs::write(&writable, "[Filters]\ncat: CommandFilter, cat, root\n").unwrap();
    std::fs::set_permissions(&writable, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(setup.run(&["cat", "/etc/hostname"]).0, Some(99));
    // Relative directories would depend on the caller's working directory.
    let relative = setup.dir.path().join("relative.conf");
    std::fs::write(
        &relative,
        "[DEFAULT]\nfilters_path = rootwrap.d\nexec_dirs = sbin\n",
    )
    .unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_ironic-inspector-rootwrap"))
        .arg(&relative)
        .args(["echo", "hello"])
        .current_dir(setup.dir.path())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(97));
}

#[test]
fn usage_and_configuration_errors() {
    let setup = Setup::new();
    let helper = env!("CARGO_BIN_EXE_ironic-inspector-rootwrap");
    let status = Command::new(helper).arg(setup.config()).status().unwrap();
    assert_eq!(status.code(), Some(98));
    let status = Command::new(helper)
        .args(["/nonexistent/rootwrap.conf", "echo", "hello"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(97));
    let (code, _, stderr) = setup.run(&["no-such-program-here"]);
    assert_eq!(code, Some(96), "{stderr}");
}
