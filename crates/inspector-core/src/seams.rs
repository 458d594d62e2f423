//! The engine's seams to the PXE filter and to introspection rules, with the
//! no-op implementations used until those crates exist.

use async_trait::async_trait;
use inspector_hooks::IntrospectionData;
use inspector_types::NodeUuid;

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

/// Evaluates introspection rules on processed data and applies their actions.
#[async_trait]
pub trait RulesEngine: Send + Sync + std::fmt::Debug {
    /// Applies the rules to the node; a failing action fails processing.
    async fn apply(&self, node: NodeUuid, data: &IntrospectionData) -> Result<()>;
}

/// No rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRules;

#[async_trait]
impl RulesEngine for NoRules {
    async fn apply(&self, _node: NodeUuid, _data: &IntrospectionData) -> Result<()> {
        Ok(())
    }
}
