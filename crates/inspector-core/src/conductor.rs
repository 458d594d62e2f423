//! The engine: its parts and the helpers every operation shares.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inspector_config::ConductorOptions;
use inspector_hooks::{HookSet, IntrospectionData, NodeChanges, NodeView, PortView};
use inspector_ironic::{Ironic, IronicError, NewPort, Node, Patch, PortQuery};
use inspector_node_cache::NodeCache;
use inspector_rules::RuleStore;
use inspector_types::NodeUuid;

use crate::error::{CoreError, Result, ironic_exception_class};
use crate::jobs::Jobs;
use crate::lookup::IronicLookup;
use crate::periodic::{AlwaysLeader, PeriodicLease};
use crate::seams::PxeFilter;
use crate::storage::DataStore;
use crate::timeline::Steps;

/// Provision states introspection accepts (plus `active`/`rescue` with
/// `permit_active_introspection`).
const VALID_STATES: [&str; 5] = [
    "enroll",
    "manageable",
    "inspecting",
    "inspect wait",
    "inspect failed",
];

/// Everything the engine is built from.
#[derive(Debug, Clone)]
pub struct ConductorParts {
    /// Records in the database.
    pub cache: NodeCache,
    /// Ironic.
    pub ironic: Arc<dyn Ironic>,
    /// The configured processing hooks.
    pub hooks: HookSet,
    /// The PXE filter.
    pub pxe_filter: Arc<dyn PxeFilter>,
    /// Where introspection rules are stored (the node cache by default).
    pub rules: Arc<dyn RuleStore>,
    /// Where introspection data is stored.
    pub store: DataStore,
    /// Options.
    pub options: ConductorOptions,
    /// Who runs the periodic tasks.
    pub lease: Arc<dyn PeriodicLease>,
    /// Pause between the application-level retries of §9.2 (upstream: 1 s).
    pub retry_pause: Duration,
}

impl ConductorParts {
    /// Parts with the no-op PXE filter, rules in the node cache's database,
    /// in-process leadership and upstream's retry pause.
    pub fn new(
        cache: NodeCache,
        ironic: Arc<dyn Ironic>,
        hooks: HookSet,
        options: ConductorOptions,
    ) -> Self {
        Self {
            rules: Arc::new(cache.clone()),
            cache,
            ironic,
            hooks,
            pxe_filter: Arc::new(crate::seams::NoPxeFilter),
            store: DataStore::None,
            options,
            lease: Arc::new(AlwaysLeader),
            retry_pause: Duration::from_secs(1),
        }
    }
}

/// The introspection engine; cheap to clone.
#[derive(Debug, Clone)]
pub struct Conductor {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) parts: ConductorParts,
    pub(crate) lookup: IronicLookup,
    pub(crate) jobs: Jobs,
    /// Time of the last managed reboot (the introspection delay, §3.4).
    pub(crate) last_boot: tokio::sync::Mutex<Option<Instant>>,
    pub(crate) metrics: crate::metrics::EngineMetrics,
    /// The rules last compiled, reused while the stored rules are unchanged.
    pub(crate) compiled_rules: std::sync::Mutex<Option<Arc<inspector_rules::RuleSet>>>,
    /// One PXE filter sync at a time, from reading its inputs to applying
    /// them: an older snapshot never overwrites a newer one.
    pub(crate) pxe_sync: tokio::sync::Mutex<()>,
}

impl Conductor {
    /// An engine over `parts`; time-outs of its records are explained from
    /// their timelines.
    pub fn new(mut parts: ConductorParts) -> Self {
        parts.cache = parts
            .cache
            .explaining_timeouts(Arc::new(crate::timeline::diagnosis));
        let lookup = IronicLookup::new(
            parts.ironic.clone(),
            parts.options.ipmi_address_fields.clone(),
        );
        let jobs = Jobs::new(parts.options.max_concurrency);
        Self {
            inner: Arc::new(Inner {
                parts,
                lookup,
                jobs,
                last_boot: tokio::sync::Mutex::new(None),
                metrics: crate::metrics::EngineMetrics::default(),
                compiled_rules: std::sync::Mutex::new(None),
                pxe_sync: tokio::sync::Mutex::new(()),
            }),
        }
    }

    pub(crate) fn parts(&self) -> &ConductorParts {
        &self.inner.parts
    }

    pub(crate) fn cache(&self) -> &NodeCache {
        &self.inner.parts.cache
    }

    pub(crate) fn ironic(&self) -> &dyn Ironic {
        &*self.inner.parts.ironic
    }

    /// The engine's counters.
    pub fn metrics(&self) -> crate::metrics::MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Records per state, for `/metrics`.
    pub async fn records_by_state(
        &self,
    ) -> crate::error::Result<Vec<(inspector_node_cache::State, i64)>> {
        Ok(self.cache().count_by_state().await?)
    }

    /// Waits until every background job (boot preparation, finishing steps,
    /// aborts, re-processing) has ended.
    pub async fn wait_idle(&self) {
        self.inner.jobs.wait_idle().await;
    }

    /// Refuses provision states introspection does not accept.
    pub(crate) fn check_provision_state(&self, node: &Node) -> Result<()> {
        let state = node
            .provision_state
            .clone()
            .unwrap_or_default()
            .to_lowercase();
        let permitted = VALID_STATES.contains(&state.as_str())
            || (self.parts().options.permit_active_introspection
                && matches!(state.as_str(), "active" | "rescue"));
        if permitted {
            return Ok(());
        }
        let list: Vec<String> = VALID_STATES.iter().map(|s| format!("'{s}'")).collect();
        Err(CoreError::invalid_input(format!(
            "Invalid provision state for introspection: \"{state}\", valid states are \"[{}]\"",
            list.join(", ")
        )))
    }

    /// Runs `call` up to 5 times, pausing between attempts (§9.2's application retry).
    pub(crate) async fn retry<T, F, Fut>(
        &self,
        what: &str,
        mut call: F,
    ) -> std::result::Result<T, IronicError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, IronicError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match call().await {
                Ok(value) => return Ok(value),
                Err(error) if attempt < 5 => {
                    tracing::warn!(%error, attempt, "{what} failed, retrying");
                    tokio::time::sleep(self.parts().retry_pause).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// A view of the node for the phase-2 hooks (one port listing).
    pub(crate) async fn node_view(&self, node: &Node) -> Result<NodeView> {
        let ports = self
            .ironic()
            .list_ports(&PortQuery {
                node: Some(node.uuid),
                fields: vec![],
            })
            .await
            .map_err(unexpected)?;
        let ports = ports
            .into_iter()
            .map(|p| PortView {
                uuid: Some(p.uuid),
                address: p.address,
                pxe_enabled: p.pxe_enabled.unwrap_or(true),
                local_link_connection: p.local_link_connection,
                physical_network: p.physical_network,
            })
            .collect();
        Ok(NodeView::new(
            node.uuid,
            node.provision_state.clone(),
            node.properties.clone(),
            ports,
        )
        .with_extra(node.extra.clone()))
    }

    /// Runs the phase-2 hooks and applies what they asked for to Ironic:
    /// one node PATCH for all property changes, then port creations,
    /// deletions and patches. The hooks' outcome and what changed go to
    /// the timeline.
    pub(crate) async fn update_node(
        &self,
        node: &Node,
        data: &mut IntrospectionData,
        steps: &mut Steps,
    ) -> Result<()> {
        let mut view = self.node_view(node).await?;
        let names = self.parts().hooks.names();
        if let Err(failure) = self.parts().hooks.before_update(data, &mut view) {
            let ok: Vec<&str> = names
                .iter()
                .copied()
                .take_while(|name| *name != failure.hook)
                .collect();
            steps.note(
                self,
                "hooks",
                serde_json::json!({"phase": "processing", "ok": ok,
                    "failed": [{"hook": failure.hook, "message": failure.message}]}),
            );
            return Err(CoreError::invalid_input(failure.message));
        }
        steps.note(
            self,
            "hooks",
            serde_json::json!({"phase": "processing", "ok": names, "failed": []}),
        );
        let changes = view.take_changes();
        let summary = changes_summary(&changes);
        self.apply_changes(node.uuid, changes).await?;
        steps.note(self, "ironic_updated", summary);
        Ok(())
    }

    async fn apply_changes(&self, uuid: NodeUuid, changes: NodeChanges) -> Result<()> {
        let ironic = self.ironic();
        if !changes.node_patch.is_empty() {
            let patch = json_patch(changes.node_patch)?;
            ironic
                .patch_node(uuid, &patch, false)
                .await
                .map_err(unexpected)?;
        }
        if !changes.existing_ports.is_empty() {
            tracing::warn!(ports = ?changes.existing_ports, "did not create ports as they already exist");
        }
        let mut created = std::collections::HashMap::new();
        for port in changes.create_ports {
            let mut extra = serde_json::Map::new();
            if let Some(client_id) = port.client_id {
                extra.insert("client-id".into(), serde_json::Value::String(client_id));
            }
            let request = NewPort {
                node_uuid: uuid,
                address: port.address.clone(),
                extra,
                pxe_enabled: Some(port.pxe_enabled),
            };
            match ironic.create_port(&request).await {
                Ok(new) => {
                    tracing::info!(port = %new.uuid, mac = %new.address, "port created");
                    created.insert(port.address, new.uuid);
                }
                Err(error) if error.kind() == inspector_ironic::ErrorKind::Conflict => {
                    tracing::warn!(mac = %port.address, "port already exists, skipping");
                }
                Err(error) => return Err(unexpected(error)),
            }
        }
        for (port, mac) in changes.delete_ports {
            self.retry("deleting a port", || ironic.delete_port(port))
                .await
                .map_err(unexpected)?;
            tracing::info!(%port, %mac, "port deleted");
        }
        for (port, _mac, operations) in changes.patch_ports {
            let patch = json_patch(operations)?;
            ironic.patch_port(port, &patch).await.map_err(unexpected)?;
        }
        for (port, mac, operations) in changes.optional_port_patches {
            let Some(port) = port.or_else(|| created.get(&mac).copied()) else {
                tracing::warn!(%mac, "the port was not created here, not updating it");
                continue;
            };
            let patch = json_patch(operations)?;
            match ironic.patch_port(port, &patch).await {
                Ok(_) => {}
                Err(error) if error.kind() == inspector_ironic::ErrorKind::BadRequest => {
                    tracing::warn!(%port, %mac, %error, "Ironic refused a port update; ignored");
                }
                Err(error) => return Err(unexpected(error)),
            }
        }
        Ok(())
    }
}

/// What a run changes in Ironic, as the timeline records it: the node fields
/// patched and the MACs of the ports created, deleted and updated.
fn changes_summary(changes: &NodeChanges) -> serde_json::Value {
    let fields: Vec<&str> = changes
        .node_patch
        .iter()
        .filter_map(|operation| operation["path"].as_str())
        .collect();
    let patched: Vec<&str> = changes
        .patch_ports
        .iter()
        .map(|(_, mac, _)| mac.as_str())
        .chain(
            changes
                .optional_port_patches
                .iter()
                .map(|(_, mac, _)| mac.as_str()),
        )
        .collect();
    serde_json::json!({
        "node_fields": fields,
        "ports_created": changes.create_ports.iter().map(|p| p.address.as_str()).collect::<Vec<_>>(),
        "ports_deleted": changes.delete_ports.iter().map(|(_, mac)| mac.as_str()).collect::<Vec<_>>(),
        "ports_updated": patched,
    })
}

/// JSON-patch operations (recorded by hooks or rules) as Ironic's patch type.
pub(crate) fn json_patch(operations: Vec<serde_json::Value>) -> Result<Patch> {
    serde_json::from_value(serde_json::Value::Array(operations))
        .map_err(|e| CoreError::unexpected("ValueError", e))
}

/// An Ironic failure inside processing: upstream's "unexpected exception",
/// or 503 when a retry may fix it.
pub(crate) fn unexpected(error: IronicError) -> CoreError {
    if is_transient(&error) {
        return CoreError::ironic_unavailable(error.message());
    }
    CoreError::unexpected(ironic_exception_class(&error), error.message())
}

/// Whether an Ironic failure may go away by itself: Ironic not reached, timed
/// out, a 5xx (503 after the client's retries), or the node still locked.
pub(crate) fn is_transient(error: &IronicError) -> bool {
    use inspector_ironic::ErrorKind as K;
    matches!(error.kind(), K::Unavailable | K::NodeLocked)
        || error.status().is_some_and(|status| status >= 500)
}
