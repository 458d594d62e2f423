//! Where rules are kept: a trait the node cache implements.

use async_trait::async_trait;

use crate::model::RuleDocument;

/// A storage failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A rule with this UUID exists (HTTP 409).
    #[error("Rule with UUID {0} already exists")]
    Duplicate(String),
    /// The storage failed.
    #[error("{0}")]
    Backend(String),
    /// The storage is unavailable for now (a retry may succeed): what failed.
    #[error("{0}")]
    Unavailable(String),
}

/// Rule storage. Each call is one transaction.
#[async_trait]
pub trait RuleStore: Send + Sync + std::fmt::Debug {
    /// Stores a new rule with its conditions and actions.
    async fn create_rule(&self, rule: &RuleDocument) -> Result<(), StoreError>;
    /// Every rule, in creation order.
    async fn rules(&self) -> Result<Vec<RuleDocument>, StoreError>;
    /// One rule by its exact UUID string.
    async fn rule(&self, uuid: &str) -> Result<Option<RuleDocument>, StoreError>;
    /// Deletes one rule; false when there was none.
    async fn delete_rule(&self, uuid: &str) -> Result<bool, StoreError>;
    /// Deletes every rule.
    async fn delete_rules(&self) -> Result<(), StoreError>;
}
