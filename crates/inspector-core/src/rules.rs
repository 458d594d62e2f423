//! Introspection rules: their storage for the API, and their application at
//! the end of processing and re-processing, acting on the node through Ironic.

use std::sync::Arc;

use async_trait::async_trait;
use inspector_hooks::IntrospectionData;
use inspector_ironic::{ErrorKind, IronicError, Patch, PortQuery};
use inspector_rules::{
    Raised, RuleDocument, RuleFailure, RuleSet, RuleTarget, StoreError, parse_rule,
};
use inspector_types::NodeUuid;
use serde_json::{Value, json};

use crate::conductor::Conductor;
use crate::error::{CoreError, Result, ironic_exception_class};
use crate::timeline::Steps;

fn store_failure(error: StoreError) -> CoreError {
    match error {
        StoreError::Duplicate(_) => CoreError::conflict(error.to_string()),
        StoreError::Backend(message) => CoreError::internal(message),
        StoreError::Unavailable(what) => CoreError::database_unavailable(what),
    }
}

fn raised(error: IronicError) -> RuleFailure {
    let class = match crate::conductor::is_transient(&error) {
        true => crate::error::IRONIC_UNAVAILABLE,
        false => ironic_exception_class(&error),
    };
    RuleFailure::Unexpected(Raised::new(class, error.message()))
}

fn json<T: serde::Serialize>(value: &T) -> std::result::Result<Value, RuleFailure> {
    serde_json::to_value(value).map_err(|e| Raised::new("TypeError", e.to_string()).into())
}

fn patch_of(ops: &[Value]) -> std::result::Result<Patch, RuleFailure> {
    crate::conductor::json_patch(ops.to_vec())
        .map_err(|e| RuleFailure::Unexpected(Raised::new("ValueError", e.message)))
}

impl Conductor {
    /// Validates and stores a rule (`POST /v1/rules`).
    pub async fn create_rule(&self, body: &Value) -> Result<RuleDocument> {
        let rule = parse_rule(body).map_err(|invalid| CoreError::invalid_input(invalid.0))?;
        self.parts()
            .rules
            .create_rule(&rule)
            .await
            .map_err(store_failure)?;
        tracing::info!(rule = %rule.uuid, "introspection rule created");
        Ok(rule)
    }

    /// Every rule in creation order.
    pub async fn rules(&self) -> Result<Vec<RuleDocument>> {
        self.parts().rules.rules().await.map_err(store_failure)
    }

    /// One rule by its exact UUID string.
    pub async fn rule(&self, uuid: &str) -> Result<RuleDocument> {
        self.parts()
            .rules
            .rule(uuid)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| CoreError::not_found(format!("Rule {uuid} was not found")))
    }

    /// Deletes one rule.
    pub async fn delete_rule(&self, uuid: &str) -> Result<()> {
        match self.parts().rules.delete_rule(uuid).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(CoreError::not_found(format!("Rule {uuid} was not found"))),
            Err(error) => Err(store_failure(error)),
        }
    }

    /// Deletes every rule.
    pub async fn delete_rules(&self) -> Result<()> {
        self.parts()
            .rules
            .delete_rules()
            .await
            .map_err(store_failure)
    }

    /// Applies the stored rules to the node (§4.8.3); a failure fails processing.
    pub(crate) async fn apply_rules(
        &self,
        uuid: NodeUuid,
        data: IntrospectionData,
        steps: &mut Steps,
    ) -> Result<()> {
        let docs = self.rules().await?;
        if docs.is_empty() {
            steps.note(self, "rules_applied", json!({"rules": []}));
            return Ok(());
        }
        let set = self.compiled_rules(docs)?;
        let target = IronicRuleTarget {
            conductor: self,
            uuid,
        };
        let data = Value::Object(data);
        let applied = set.apply(&data, &target).await.map_err(CoreError::from)?;
        let rules: Vec<Value> = applied
            .into_iter()
            .map(|rule| {
                json!({"uuid": rule.uuid, "description": rule.description, "actions": rule.actions})
            })
            .collect();
        steps.note(self, "rules_applied", json!({ "rules": rules }));
        Ok(())
    }
}

impl Conductor {
    /// The compiled form of `docs`, reused while the stored rules do not change
    /// (compiling regular expressions costs more than checking the rules).
    fn compiled_rules(&self, docs: Vec<RuleDocument>) -> Result<Arc<RuleSet>> {
        let mut cached = self
            .inner
            .compiled_rules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(set) = cached.as_ref().filter(|set| set.compiled_from(&docs)) {
            return Ok(set.clone());
        }
        let set = Arc::new(RuleSet::compile(docs).map_err(CoreError::from)?);
        *cached = Some(set.clone());
        Ok(set)
    }
}

/// The node under processing, reached through Ironic.
struct IronicRuleTarget<'c> {
    conductor: &'c Conductor,
    uuid: NodeUuid,
}

#[async_trait]
impl RuleTarget for IronicRuleTarget<'_> {
    async fn node(&self) -> std::result::Result<Value, RuleFailure> {
        let node = self
            .conductor
            .ironic()
            .get_node(&self.uuid.to_string())
            .await
            .map_err(raised)?;
        json(&node)
    }

    async fn patch_node(
        &self,
        ops: &[Value],
        reset_interfaces: bool,
    ) -> std::result::Result<Value, RuleFailure> {
        let patch = patch_of(ops)?;
        let node = self
            .conductor
            .ironic()
            .patch_node(self.uuid, &patch, reset_interfaces)
            .await
            .map_err(raised)?;
        json(&node)
    }

    async fn add_trait(&self, name: &str) -> std::result::Result<(), RuleFailure> {
        let ironic = self.conductor.ironic();
        // A trait Ironic refuses is a service error (§3.9), not an unexpected one.
        self.conductor
            .retry("adding a trait", || ironic.add_trait(self.uuid, name))
            .await
            .map_err(|error| RuleFailure::Error(error.message().to_owned()))
    }

    async fn remove_trait(&self, name: &str) -> std::result::Result<(), RuleFailure> {
        match self.conductor.ironic().remove_trait(self.uuid, name).await {
            Err(error) if error.kind() != ErrorKind::NotFound => {
                Err(RuleFailure::Error(error.message().to_owned()))
            }
            _ => Ok(()),
        }
    }

    async fn port(&self, id: &str) -> std::result::Result<Option<Value>, RuleFailure> {
        let ironic = self.conductor.ironic();
        let port = match uuid::Uuid::parse_str(id) {
            Ok(uuid) => ironic
                .list_ports(&PortQuery {
                    node: Some(self.uuid),
                    fields: vec![],
                })
                .await
                .map_err(raised)?
                .into_iter()
                .find(|port| port.uuid == uuid),
            Err(_) => ironic
                .find_port(&id.to_lowercase())
                .await
                .map_err(raised)?
                .filter(|port| port.node_uuid == Some(self.uuid)),
        };
        port.map(|port| json(&port)).transpose()
    }

    async fn patch_port(&self, uuid: &str, ops: &[Value]) -> std::result::Result<(), RuleFailure> {
        let port = uuid::Uuid::parse_str(uuid)
            .map_err(|e| RuleFailure::Unexpected(Raised::new("ValueError", e.to_string())))?;
        let patch = patch_of(ops)?;
        self.conductor
            .ironic()
            .patch_port(port, &patch)
            .await
            .map(|_| ())
            .map_err(raised)
    }
}
