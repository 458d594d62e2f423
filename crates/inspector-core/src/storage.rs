//! Introspection data storage (`[processing] store_data`: `none`, `database`
//! or `swift`).

use inspector_hooks::IntrospectionData;
use inspector_ironic::swift::SwiftObjects;
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
    /// The database is unavailable for now (a retry may succeed): what failed.
    #[error("The database is unavailable, retry later: {0}")]
    Unavailable(String),
    /// Swift failed (the spec's texts; 400 as upstream).
    #[error("{0}")]
    Swift(String),
}

/// Where processed and unprocessed data go.
#[derive(Debug, Clone)]
pub enum DataStore {
    /// Nothing is stored.
    None,
    /// The `introspection_data` table.
    Database(NodeCache),
    /// Objects in Swift.
    Swift(std::sync::Arc<SwiftStore>),
}

/// The Swift store: objects `inspector_data-<uuid>` and
/// `inspector_data-<uuid>-UNPROCESSED` in one container.
#[derive(Debug)]
pub struct SwiftStore {
    objects: SwiftObjects,
    delete_after: i64,
}

impl SwiftStore {
    /// A store in `objects`' container; Swift deletes each object after
    /// `delete_after` seconds when that is positive.
    pub fn new(objects: SwiftObjects, delete_after: i64) -> Self {
        Self {
            objects,
            delete_after,
        }
    }

    fn object(uuid: NodeUuid, processed: bool) -> String {
        if processed {
            format!("inspector_data-{uuid}")
        } else {
            format!("inspector_data-{uuid}-UNPROCESSED")
        }
    }

    async fn save(
        &self,
        uuid: NodeUuid,
        processed: bool,
        data: &(impl serde::Serialize + Sync + ?Sized),
    ) -> Result<(), StoreError> {
        let container = self.objects.container();
        self.objects.ensure_container().await.map_err(|error| {
            StoreError::Swift(format!(
                "Swift failed to create container {container}. Error was: {error}"
            ))
        })?;
        let object = Self::object(uuid, processed);
        let body = serde_json::to_vec(data).map_err(|e| StoreError::Failed(e.to_string()))?;
        self.objects
            .put(&object, body, self.delete_after)
            .await
            .map_err(|error| {
                StoreError::Swift(format!(
                    "Swift failed to create object {object} in container {container}. Error was: {error}"
                ))
            })
    }

    async fn load(&self, uuid: NodeUuid, processed: bool) -> Result<IntrospectionData, StoreError> {
        let container = self.objects.container();
        let object = Self::object(uuid, processed);
        let failed = |error: String| {
            StoreError::Swift(format!(
                "Swift failed to get object {object} in container {container}. Error was: {error}"
            ))
        };
        match self.objects.get(&object).await.map_err(failed)? {
            None => Err(StoreError::NotFound(format!(
                "Introspection data not found for node {uuid}, processed={}",
                if processed { "True" } else { "False" }
            ))),
            Some(body) => match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err(failed("the object is not a JSON object".into())),
                Err(error) => Err(failed(error.to_string())),
            },
        }
    }
}

/// A database failure of the store: unavailable for now, or failed.
fn database_failure(error: CacheError) -> StoreError {
    if error.is_unavailable() {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Failed(error.to_string())
    }
}

/// Storing processed or unprocessed data inside processing: a failure is a
/// service error (400) with the store's text; the database being away is a
/// 503 the ramdisk retries.
impl From<StoreError> for crate::error::CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(what) => Self::database_unavailable(what),
            other => Self::invalid_input(other.to_string()),
        }
    }
}

/// The data as stored: every key but `logs`, serialized without a copy.
struct WithoutLogs<'a>(&'a IntrospectionData);

impl serde::Serialize for WithoutLogs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let kept = self.0.iter().filter(|(key, _)| key.as_str() != "logs");
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in kept {
            map.serialize_entry(key, value)?;
        }
        map.end()
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
        self.save_serialized(uuid, processed, &WithoutLogs(data))
            .await
    }

    /// Stores one item already encoded as JSON (without `logs`).
    pub async fn save_encoded(
        &self,
        uuid: NodeUuid,
        processed: bool,
        data: &serde_json::value::RawValue,
    ) -> Result<(), StoreError> {
        self.save_serialized(uuid, processed, data).await
    }

    async fn save_serialized(
        &self,
        uuid: NodeUuid,
        processed: bool,
        data: &(impl serde::Serialize + Sync + ?Sized),
    ) -> Result<(), StoreError> {
        match self {
            DataStore::None => {
                tracing::debug!(node = %uuid, "introspection data storage is disabled");
                Ok(())
            }
            DataStore::Database(cache) => cache
                .store_introspection_data(uuid, processed, data)
                .await
                .map_err(database_failure),
            DataStore::Swift(store) => store.save(uuid, processed, data).await,
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
                Err(error) => Err(database_failure(error)),
            },
            DataStore::Swift(store) => store.load(uuid, processed).await,
        }
    }
}
