//! Shared by the helper's tests and benchmark: a `rootwrap.conf` with the
//! shipped filters in a scratch directory.

use std::path::{Path, PathBuf};

/// Writes `rootwrap.conf` and `rootwrap.d/` (the shipped filters plus
/// `extra_filters`, when given) in `dir`; returns the configuration's path.
#[allow(dead_code)] // Not every user adds filters.
pub(crate) fn rootwrap_config(dir: &Path, extra_filters: Option<&str>) -> PathBuf {
    let filters = dir.join("rootwrap.d");
    std::fs::create_dir_all(&filters).expect("create rootwrap.d");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/etc/rootwrap.d/ironic-inspector.filters"
        ),
        filters.join("ironic-inspector.filters"),
    )
    .expect("copy the shipped filters");
    if let Some(extra) = extra_filters {
        std::fs::write(filters.join("test.filters"), extra).expect("write test filters");
    }
    let config = dir.join("rootwrap.conf");
    std::fs::write(
        &config,
        format!(
            "[DEFAULT]\nfilters_path = {}\nexec_dirs = /sbin,/usr/sbin,/bin,/usr/bin\n",
            filters.display()
        ),
    )
    .expect("write rootwrap.conf");
    config
}

/// The `i`-th test MAC address.
#[allow(dead_code)] // Not every user numbers MACs.
pub(crate) fn mac(i: usize) -> String {
    format!(
        "52:54:00:{:02x}:{:02x}:{:02x}",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff
    )
}
