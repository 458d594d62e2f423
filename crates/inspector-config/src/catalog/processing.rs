//! The options of `[processing]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[processing]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "processing",
        "add_ports",
        K::String,
        Some("pxe"),
        "Which MAC addresses to add as ports during introspection. Possible values: all (all MAC \
        addresses), active (MAC addresses of NIC with IP addresses), pxe (only MAC address of \
        NIC node PXE booted from, falls back to \"active\" if PXE MAC is not supplied by the \
        ramdisk), disabled (no ports).",
    )
    .with_choices(&[("all", ""), ("active", ""), ("pxe", ""), ("disabled", "")]),
    opt(
        "processing",
        "keep_ports",
        K::String,
        Some("all"),
        "Which ports (already present on a node) to keep after introspection. Possible values: \
        all (do not delete anything), present (keep ports which MACs were present in \
        introspection data), added (keep only MACs that we added during introspection).",
    )
    .with_choices(&[("all", ""), ("present", ""), ("added", "")]),
    opt(
        "processing",
        "overwrite_existing",
        K::Boolean,
        Some("true"),
        "Whether to overwrite existing values in node database. Disable this option to make \
        introspection a non-destructive operation.",
    ),
    opt(
        "processing",
        "default_processing_hooks",
        K::String,
        Some(crate::processing::DEFAULT_PROCESSING_HOOKS),
        "Comma-separated list of default hooks for processing pipeline. Hook 'scheduler' updates \
        the node with the minimum properties required by the Nova scheduler. Hook \
        'validate_interfaces' ensures that valid NIC data was provided by the ramdisk. Do not \
        exclude these two unless you really know what you're doing.",
    ),
    opt(
        "processing",
        "processing_hooks",
        K::String,
        Some("$default_processing_hooks"),
        "Comma-separated list of enabled hooks for processing pipeline. The default for this is \
        $default_processing_hooks, hooks can be added before or after the defaults like this: \
        \"prehook,$default_processing_hooks,posthook\".",
    ),
    opt(
        "processing",
        "ramdisk_logs_dir",
        K::String,
        None,
        "If set, logs from ramdisk will be stored in this directory.",
    ),
    opt(
        "processing",
        "always_store_ramdisk_logs",
        K::Boolean,
        Some("false"),
        "Whether to store ramdisk logs even if it did not return an error message (dependent upon \
        \"ramdisk_logs_dir\" option being set).",
    ),
    opt(
        "processing",
        "node_not_found_hook",
        K::String,
        None,
        "The name of the hook to run when inspector receives inspection information from a node \
        it isn't already aware of: enroll or example. This hook is ignored by default.",
    ),
    opt(
        "processing",
        "store_data",
        K::String,
        Some("none"),
        "The storage backend for storing introspection data. Possible values are: 'none', \
        'database' and 'swift'. If set to 'none', introspection data will not be stored.",
    )
    .with_choices(&[("none", ""), ("database", ""), ("swift", "")]),
    opt(
        "processing",
        "disk_partitioning_spacing",
        K::Boolean,
        Some("true"),
        "Whether to leave 1 GiB of disk size untouched for partitioning. Only has effect when \
        used with the IPA as a ramdisk, for older ramdisk local_gb is calculated on the ramdisk \
        side.",
    ),
    opt(
        "processing",
        "ramdisk_logs_filename_format",
        K::String,
        Some("{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz"),
        "File name template for storing ramdisk logs. The following replacements can be used: \
        {uuid} - node UUID or \"unknown\", {bmc} - node BMC address or \"unknown\", {dt} - \
        current UTC date and time, {mac} - PXE booting MAC or \"unknown\".",
    ),
    opt(
        "processing",
        "power_off",
        K::Boolean,
        Some("true"),
        "Whether to power off a node after introspection. Nodes in active or rescue states which \
        submit introspection data will be left on if the feature is enabled via the \
        'permit_active_introspection' configuration option.",
    ),
    opt(
        "processing",
        "permit_active_introspection",
        K::Boolean,
        Some("false"),
        "Whether to process nodes that are in running states.",
    ),
    opt(
        "processing",
        "update_pxe_enabled",
        K::Boolean,
        Some("true"),
        "Whether to update the pxe_enabled value according to the introspection data. This option \
        has no effect if [processing]overwrite_existing is set to False.",
    ),
];
