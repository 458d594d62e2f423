//! The `iptables` driver (spec §4.5): a chain on the DHCP port of the
//! inspection interface that drops the MACs Ironic knows but that are not
//! under introspection (or, with `deny_unknown_macs`, accepts only MACs under
//! introspection). The chain is replaced atomically: the new chain is built
//! and hooked into `INPUT` in one `iptables-restore` transaction before the
//! old one is removed, so DHCP is never open to everyone nor closed to a node
//! under introspection, not even when the process dies half-way.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::FilterError;
use crate::filter::FilterDriver;
use crate::inputs::{SyncInputs, infiniband_macs};
use crate::runner::CommandRunner;

/// `[iptables]` and the options of `[pxe_filter]` the driver reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IptablesOptions {
    /// `dnsmasq_interface`; default `br-ctlplane`.
    pub interface: String,
    /// `firewall_chain`; default `ironic-inspector`.
    pub chain: String,
    /// `ethoib_interfaces`: InfiniBand interfaces whose neighbours map client ids.
    pub ethoib_interfaces: Vec<String>,
    /// `ip_version`: 4 (`iptables`, port 67) or 6 (`ip6tables`, port 547).
    pub ip_version: u8,
    /// `[pxe_filter] deny_unknown_macs`.
    pub deny_unknown_macs: bool,
    /// `[processing] node_not_found_hook` is set (discovery).
    pub discovery: bool,
}

/// What the chain currently says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Applied {
    /// Nothing known: the next sync rebuilds.
    Unknown,
    /// DHCP refused to everyone.
    Disabled,
    /// MACs dropped (default) or accepted (`deny_unknown_macs`).
    Macs(BTreeSet<String>),
}

/// The `iptables` driver.
#[derive(Debug)]
pub struct IptablesDriver {
    options: IptablesOptions,
    runner: Arc<dyn CommandRunner>,
    wait_flag: bool,
    /// `iptables-restore` learnt `-w` later than `iptables` (1.6.2).
    restore_wait_flag: bool,
    applied: Applied,
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

impl IptablesDriver {
    /// A driver running its commands through `runner`.
    pub fn new(
        options: IptablesOptions,
        runner: Arc<dyn CommandRunner>,
    ) -> Result<Self, FilterError> {
        if options.deny_unknown_macs && options.discovery {
            return Err(FilterError::deny_unknown_with_discovery());
        }
        if !matches!(options.ip_version, 4 | 6) {
            return Err(FilterError::Config(format!(
                "[iptables]ip_version must be 4 or 6, not {}",
                options.ip_version
            )));
        }
        Ok(Self {
            options,
            runner,
            wait_flag: true,
            restore_wait_flag: true,
            applied: Applied::Unknown,
        })
    }

    fn binary(&self) -> &'static str {
        if self.options.ip_version == 6 {
            "ip6tables"
        } else {
            "iptables"
        }
    }

    fn port(&self) -> &'static str {
        if self.options.ip_version == 6 {
            "547"
        } else {
            "67"
        }
    }

    fn temporary(&self) -> String {
        format!("{}_temp", self.options.chain)
    }

    /// `iptables [-w] args...`; an error when it fails and `check`.
    fn iptables(&self, words: &[&str], check: bool) -> Result<bool, FilterError> {
        let mut full = Vec::with_capacity(words.len() + 1);
        if self.wait_flag {
            full.push("-w".to_owned());
        }
        full.extend(args(words));
        let output = self.runner.run(self.binary(), &full, None)?;
        if !output.success && check {
            return Err(FilterError::Command(format!(
                "{} {} failed: {}",
                self.binary(),
                full.join(" "),
                output.stderr.trim()
            )));
        }
        if !output.success {
            tracing::debug!(command = %full.join(" "), stderr = %output.stderr.trim(), "ignored failure");
        }
        Ok(output.success)
    }

    fn jump(&self, chain: &str) -> Vec<String> {
        args(&[
            "INPUT",
            "-i",
            &self.options.interface,
            "-p",
            "udp",
            "--dport",
            self.port(),
            "-j",
            chain,
        ])
    }

    /// Removes every `INPUT` jump to `chain`, then the chain; failures ignored.
    fn clean_up(&self, chain: &str) -> Result<(), FilterError> {
        let jump = self.jump(chain);
        let mut delete: Vec<&str> = vec!["-D"];
        delete.extend(jump.iter().map(String::as_str));
        // A killed sync may have left several jumps.
        for _ in 0..16 {
            if !self.iptables(&delete, false)? {
                break;
            }
        }
        self.iptables(&["-F", chain], false)?;
        self.iptables(&["-X", chain], false)?;
        Ok(())
    }

    /// Builds the temporary chain with `rules` and hooks it in first, in one
    /// transaction; then retires the old chain and renames.
    fn replace_chain(&self, rules: &[String]) -> Result<(), FilterError> {
        let (chain, temporary) = (self.options.chain.as_str(), self.temporary());
        self.clean_up(&temporary)?;
        let mut script = format!("*filter\n:{temporary} - [0:0]\n");
        for rule in rules {
            script.push_str(&format!("-A {temporary} {rule}\n"));
        }
        script.push_str(&format!("-I {}\nCOMMIT\n", self.jump(&temporary).join(" ")));
        let restore = format!("{}-restore", self.binary());
        let mut flags = Vec::new();
        if self.restore_wait_flag {
            flags.push("-w".to_owned());
        }
        flags.push("--noflush".to_owned());
        let output = self.runner.run(&restore, &flags, Some(&script))?;
        if !output.success {
            return Err(FilterError::Command(format!(
                "{restore} failed: {}",
                output.stderr.trim()
            )));
        }
        self.clean_up(chain)?;
        self.iptables(&["-E", &temporary, chain], true)?;
        Ok(())
    }

    /// Finishes or discards what a process that died during a sync left. A
    /// hooked temporary chain is complete (it is built and hooked in one
    /// transaction) and may be the only chain in force: it becomes the main
    /// chain. An unhooked one is discarded; the main chain stays in force
    /// until the first sync replaces it.
    fn recover(&self) -> Result<(), FilterError> {
        let temporary = self.temporary();
        let mut check: Vec<&str> = vec!["-C"];
        let jump = self.jump(&temporary);
        check.extend(jump.iter().map(String::as_str));
        if self.iptables(&check, false)? {
            tracing::warn!(
                "completing a PXE filter chain replacement a previous run left half-way"
            );
            self.clean_up(&self.options.chain)?;
            self.iptables(&["-E", &temporary, &self.options.chain], true)?;
        } else {
            self.clean_up(&temporary)?;
        }
        Ok(())
    }

    fn neighbours(&self) -> Vec<String> {
        self.options
            .ethoib_interfaces
            .iter()
            .filter_map(|iface| {
                let path = format!("/sys/class/net/{iface}/eth/neighs");
                std::fs::read_to_string(&path)
                    .map_err(
                        |e| tracing::error!(%path, error = %e, "cannot read InfiniBand neighbours"),
                    )
                    .ok()
            })
            .collect()
    }
}

impl FilterDriver for IptablesDriver {
    fn name(&self) -> &'static str {
        "IptablesFilter"
    }

    fn init(&mut self, inputs: &SyncInputs) -> Result<(), FilterError> {
        let probe = self.runner.run(self.binary(), &args(&["-w", "-h"]), None)?;
        self.wait_flag = probe.success;
        if !probe.success {
            tracing::warn!("iptables does not support -w; update iptables to 1.4.21 or later");
        }
        let restore = format!("{}-restore", self.binary());
        let probe = self.runner.run(
            &restore,
            &args(&["-w", "--noflush"]),
            Some("*filter\nCOMMIT\n"),
        )?;
        self.restore_wait_flag = probe.success;
        if !probe.success {
            tracing::warn!("{restore} does not support -w; update iptables to 1.6.2 or later");
        }
        self.recover()?;
        self.applied = Applied::Unknown;
        self.sync(inputs)
    }

    fn sync(&mut self, inputs: &SyncInputs) -> Result<(), FilterError> {
        if !inputs.introspection_active && !self.options.discovery {
            if self.applied != Applied::Disabled {
                self.applied = Applied::Unknown;
                self.replace_chain(&["-j REJECT".to_owned()])?;
                self.applied = Applied::Disabled;
                tracing::info!(
                    "DHCP refused on the inspection interface: no introspection is active"
                );
            }
            return Ok(());
        }
        let neighbours = self.neighbours();
        let macs = if self.options.deny_unknown_macs {
            infiniband_macs(inputs.active_ports(), &neighbours)
        } else {
            infiniband_macs(inputs.inactive_ports(), &neighbours)
        };
        if self.applied == Applied::Macs(macs.clone()) {
            return Ok(());
        }
        self.applied = Applied::Unknown;
        let (each, last) = if self.options.deny_unknown_macs {
            ("ACCEPT", "DROP")
        } else {
            ("DROP", "ACCEPT")
        };
        let mut rules: Vec<String> = macs
            .iter()
            .map(|mac| format!("-m mac --mac-source {mac} -j {each}"))
            .collect();
        rules.push(format!("-j {last}"));
        self.replace_chain(&rules)?;
        tracing::info!(macs = macs.len(), "PXE filter chain replaced");
        self.applied = Applied::Macs(macs);
        Ok(())
    }

    /// A failed step keeps the chains in force (removing them would open DHCP
    /// to every MAC); the next sync sets the driver up again and rebuilds.
    fn abandon(&mut self) {
        self.applied = Applied::Unknown;
    }

    fn reset(&mut self) {
        self.applied = Applied::Unknown;
        for chain in [self.options.chain.clone(), self.temporary()] {
            if let Err(error) = self.clean_up(&chain) {
                tracing::warn!(%error, %chain, "cannot remove the PXE filter chain");
            }
        }
    }
}

#[cfg(test)]
mod tests;
