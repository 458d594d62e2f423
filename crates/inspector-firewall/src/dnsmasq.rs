//! The `dnsmasq` driver (spec §4.6): one file per MAC in dnsmasq's
//! `dhcp-hostsdir` (`<mac>\n` allows, `<mac>,ignore\n` denies) plus a
//! wildcard file for unknown hosts. Files are written to a hidden temporary
//! file and renamed, so dnsmasq (which skips dot files and reads renamed
//! ones) never sees a half-written record.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::FilterError;
use crate::filter::FilterDriver;
use crate::inputs::{SyncInputs, infiniband_macs};
use crate::runner::CommandRunner;

/// The wildcard record's file.
const UNKNOWN_HOSTS: &str = "unknown_hosts_filter";
const DENY_SIZE: u64 = 25;
const ALLOW_SIZE: u64 = 18;

/// `[dnsmasq_pxe_filter]` and the options of `[pxe_filter]` the driver reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsmasqOptions {
    /// `dhcp_hostsdir`.
    pub hostsdir: PathBuf,
    /// `purge_dhcp_hostsdir`; default true.
    pub purge: bool,
    /// `dnsmasq_start_command` (shell text; empty = none).
    pub start_command: String,
    /// `dnsmasq_stop_command` (shell text; empty = none).
    pub stop_command: String,
    /// `[pxe_filter] deny_unknown_macs`.
    pub deny_unknown_macs: bool,
    /// `[processing] node_not_found_hook` is set (discovery).
    pub discovery: bool,
    /// `[iptables] ethoib_interfaces` (shared with the iptables driver).
    pub ethoib_interfaces: Vec<String>,
}

impl DnsmasqOptions {
    /// `hostsdir`, purged at start, no start or stop command, no discovery.
    pub fn in_dir(hostsdir: impl Into<PathBuf>) -> Self {
        Self {
            hostsdir: hostsdir.into(),
            purge: true,
            start_command: String::new(),
            stop_command: String::new(),
            deny_unknown_macs: false,
            discovery: false,
            ethoib_interfaces: Vec::new(),
        }
    }
}

/// The `dnsmasq` driver.
#[derive(Debug)]
pub struct DnsmasqDriver {
    options: DnsmasqOptions,
    runner: Arc<dyn CommandRunner>,
}

fn io(what: &str, path: &Path, error: std::io::Error) -> FilterError {
    FilterError::Io(format!("cannot {what} {}: {error}", path.display()))
}

impl DnsmasqDriver {
    /// A driver owning `options.hostsdir`.
    pub fn new(
        options: DnsmasqOptions,
        runner: Arc<dyn CommandRunner>,
    ) -> Result<Self, FilterError> {
        if options.deny_unknown_macs && options.discovery {
            return Err(FilterError::deny_unknown_with_discovery());
        }
        Ok(Self { options, runner })
    }

    /// Writes `content` to `name` in the hosts directory, atomically.
    fn write(&self, name: &str, content: &str) -> Result<(), FilterError> {
        let target = self.options.hostsdir.join(name);
        // Unique per process: several processes of one host may share the directory.
        let temporary = self
            .options
            .hostsdir
            .join(format!(".{name}.{}.tmp", std::process::id()));
        std::fs::write(&temporary, content).map_err(|e| io("write", &temporary, e))?;
        std::fs::rename(&temporary, &target).map_err(|e| io("rename", &target, e))
    }

    /// The MACs of the directory's deny and allow records (by file size).
    fn current(&self) -> Result<(BTreeSet<String>, BTreeSet<String>), FilterError> {
        let dir = &self.options.hostsdir;
        let mut deny = BTreeSet::new();
        let mut allow = BTreeSet::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io("list", dir, e))? {
            let entry = entry.map_err(|e| io("list", dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == UNKNOWN_HOSTS {
                continue;
            }
            match entry.metadata().map(|m| m.len()) {
                Ok(DENY_SIZE) => deny.insert(name),
                Ok(ALLOW_SIZE) => allow.insert(name),
                _ => false,
            };
        }
        Ok((deny, allow))
    }

    fn size(&self, name: &str) -> Option<u64> {
        std::fs::metadata(self.options.hostsdir.join(name))
            .ok()
            .map(|m| m.len())
    }

    fn purge(&self) -> Result<(), FilterError> {
        let dir = &self.options.hostsdir;
        for entry in std::fs::read_dir(dir).map_err(|e| io("list", dir, e))? {
            let path = entry.map_err(|e| io("list", dir, e))?.path();
            std::fs::remove_file(&path).map_err(|e| io("remove", &path, e))?;
        }
        Ok(())
    }

    fn neighbours(&self) -> Vec<String> {
        self.options
            .ethoib_interfaces
            .iter()
            .filter_map(|iface| {
                std::fs::read_to_string(format!("/sys/class/net/{iface}/eth/neighs")).ok()
            })
            .collect()
    }
}

fn allow_line(mac: &str) -> String {
    format!("{mac}\n")
}

fn deny_line(mac: &str) -> String {
    format!("{mac},ignore\n")
}

impl FilterDriver for DnsmasqDriver {
    fn name(&self) -> &'static str {
        "DnsmasqFilter"
    }

    fn init(&mut self, inputs: &SyncInputs) -> Result<(), FilterError> {
        if self.options.purge {
            self.purge()?;
        }
        self.sync(inputs)?;
        if !self.options.start_command.is_empty() {
            let output = self.runner.run_shell(&self.options.start_command)?;
            if !output.success {
                return Err(FilterError::Command(format!(
                    "dnsmasq start command failed: {}",
                    output.stderr.trim()
                )));
            }
        }
        tracing::info!(hostsdir = %self.options.hostsdir.display(), "dnsmasq PXE filter initialized");
        Ok(())
    }

    fn sync(&mut self, inputs: &SyncInputs) -> Result<(), FilterError> {
        let neighbours = self.neighbours();
        let active = infiniband_macs(inputs.active_ports(), &neighbours);
        let ironic = infiniband_macs(inputs.ports.iter(), &neighbours);
        let (deny, allow) = self.current()?;
        let open = (inputs.introspection_active || self.options.discovery)
            && !self.options.deny_unknown_macs;
        for mac in active.difference(&allow) {
            self.write(mac, &allow_line(mac))?;
        }
        for mac in ironic
            .iter()
            .filter(|m| !deny.contains(*m) && !active.contains(*m))
        {
            self.write(mac, &deny_line(mac))?;
        }
        let (wildcard, wildcard_size) = if open {
            ("*:*:*:*:*:*\n", 12)
        } else {
            ("*:*:*:*:*:*,ignore\n", 19)
        };
        if self.size(UNKNOWN_HOSTS) != Some(wildcard_size) {
            self.write(UNKNOWN_HOSTS, wildcard)?;
        }
        // A removed MAC follows the unknown-hosts policy; its record is
        // rewritten only when the listing shows the other one.
        let (kept, line): (&BTreeSet<String>, fn(&str) -> String) = if open {
            (&allow, allow_line)
        } else {
            (&deny, deny_line)
        };
        for mac in deny.union(&allow).filter(|m| !ironic.contains(*m)) {
            if !kept.contains(mac) {
                self.write(mac, &line(mac))?;
            }
        }
        Ok(())
    }

    fn reset(&mut self) {
        if !self.options.stop_command.is_empty()
            && let Err(error) = self.runner.run_shell(&self.options.stop_command)
        {
            tracing::warn!(%error, "dnsmasq stop command failed");
        }
    }
}

#[cfg(test)]
mod tests;
