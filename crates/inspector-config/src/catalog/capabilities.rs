//! The options of `[capabilities]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[capabilities]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "capabilities",
        "boot_mode",
        K::Boolean,
        Some("false"),
        "Whether to store the boot mode (BIOS or UEFI).",
    ),
    opt(
        "capabilities",
        "cpu_flags",
        K::Dict,
        Some(
            "vmx:cpu_vt,svm:cpu_vt,aes:cpu_aes,pse:cpu_hugepages,pdpe1gb:cpu_hugepages_1g,smx:cpu_txt",
        ),
        "Mapping between a CPU flag and a capability to set if this flag is present.",
    ),
];
