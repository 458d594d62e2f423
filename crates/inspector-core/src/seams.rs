//! The engine's seam to the PXE filter, with the no-op implementation used
//! until the filter crate exists.

use async_trait::async_trait;

use crate::error::Result;

/// Keeps DHCP open to nodes under introspection only (spec §5.3).
#[async_trait]
pub trait PxeFilter: Send + Sync + std::fmt::Debug {
    /// Brings the filter in line with the MACs currently under introspection.
    async fn sync(&self) -> Result<()>;
}

/// The `noop` PXE filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPxeFilter;

#[async_trait]
impl PxeFilter for NoPxeFilter {
    async fn sync(&self) -> Result<()> {
        Ok(())
    }
}
