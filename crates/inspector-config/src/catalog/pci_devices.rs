//! The options of `[pci_devices]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[pci_devices]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[opt(
    "pci_devices",
    "alias",
    K::MultiString,
    None,
    "An alias for PCI device identified by 'vendor_id' and 'product_id' fields. Format: \
        {\"vendor_id\": \"1234\", \"product_id\": \"5678\", \"name\": \"pci_dev1\"}",
)];
