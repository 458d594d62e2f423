//! Introspection data storage (`[processing] store_data`: `none` or `database`).

use inspector_hooks::IntrospectionData;
use inspector_node_cache::{Error as CacheError, NodeCache};
use inspector_types::NodeUuid;
use serde_json::Value;

/// Why stored data could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// `store_data = none`.
    #[error("Introspection data storage is disabled")]
    Disabled,
    /// Nothing stored for the node.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error("{0}")]
    Failed(String),
}

/// Where processed and unprocessed data go.
#[derive(Debug, Clone)]
pub enum DataStore {
    /// Nothing is stored.
    None,
    /// The `introspection_data` table.
    Database(NodeCache),
}

/// Storing processed or unprocessed data inside processing: a failure is a
/// service error (400) with the store's text.
impl From<StoreError> for crate::error::CoreError {
    fn from(error: StoreError) -> Self {
        Self::bad_request(error.to_string())
    }
}

impl DataStore {
    /// Stores one item; the top-level `logs` key is never stored.
    pub async fn save(
        &self,
        uuid: NodeUuid,
        processed: bool,
        data: &IntrospectionData,
    ) -> Result<(), StoreError> {
        match self {
            DataStore::None => {
                tracing::debug!(node = %uuid, "introspection data storage is disabled");
                Ok(())
            }
            DataStore::Database(cache) => {
                let mut copy = data.clone();
                copy.remove("logs");
                cache
                    .store_introspection_data(uuid, processed, &Value::Object(copy))
                    .await
                    .map_err(|e| StoreError::Failed(e.to_string()))
            }
        }
    }

    /// Reads one item.
    pub async fn load(
        &self,
        uuid: NodeUuid,
        processed: bool,
    ) -> Result<IntrospectionData, StoreError> {
        match self {
            DataStore::None => Err(StoreError::Disabled),
            DataStore::Database(cache) => match cache.introspection_data(uuid, processed).await {
                Ok(Value::Object(map)) => Ok(map),
                Ok(other) => Err(StoreError::Failed(format!(
                    "stored data is not an object: {other}"
                ))),
                Err(error @ CacheError::DataNotFound { .. }) => {
                    Err(StoreError::NotFound(error.to_string()))
                }
                Err(error) => Err(StoreError::Failed(error.to_string())),
            },
        }
    }
}
