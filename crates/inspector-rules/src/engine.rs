//! Applying rules to a node: every rule is checked first (scope, then
//! conditions), then the actions of the matching rules run in rule order.

use async_trait::async_trait;
use serde_json::Value;
use tracing::{Instrument, debug, info, info_span};

use crate::actions::Action;
use crate::conditions::{Condition, Source};
use crate::error::{InvalidRule, RuleFailure};
use crate::model::RuleDocument;
use crate::sdk::sdk_node;

/// The node the rules act on, as reached by the conductor.
///
/// Nodes and ports are exchanged as Ironic's JSON; patches are RFC 6902
/// operations. Failures are reported the way processing records them.
#[async_trait]
pub trait RuleTarget: Send + Sync {
    /// The node as Ironic returns it.
    async fn node(&self) -> Result<Value, RuleFailure>;
    /// Patches the node (with `reset_interfaces` when asked) and returns it
    /// as Ironic does after the change.
    async fn patch_node(
        &self,
        patch: &[Value],
        reset_interfaces: bool,
    ) -> Result<Value, RuleFailure>;
    /// Adds a trait.
    async fn add_trait(&self, name: &str) -> Result<(), RuleFailure>;
    /// Removes a trait; an absent trait is not an error.
    async fn remove_trait(&self, name: &str) -> Result<(), RuleFailure>;
    /// One of the node's ports by UUID or MAC address, as Ironic returns it.
    async fn port(&self, id: &str) -> Result<Option<Value>, RuleFailure>;
    /// Patches a port.
    async fn patch_port(&self, uuid: &str, patch: &[Value]) -> Result<(), RuleFailure>;
}

/// The target with the node read at most once, then kept current from
/// Ironic's answers to patches.
pub(crate) struct NodeContext<'t> {
    pub(crate) target: &'t dyn RuleTarget,
    node: Option<Value>,
}

impl<'t> NodeContext<'t> {
    fn new(target: &'t dyn RuleTarget) -> Self {
        Self { target, node: None }
    }

    pub(crate) async fn node(&mut self) -> Result<&Value, RuleFailure> {
        if self.node.is_none() {
            self.node = Some(self.target.node().await?);
        }
        Ok(self.node.get_or_insert(Value::Null))
    }

    pub(crate) async fn patch(
        &mut self,
        patch: &[Value],
        reset_interfaces: bool,
    ) -> Result<(), RuleFailure> {
        debug!(?patch, reset_interfaces, "patching the node");
        self.node = Some(self.target.patch_node(patch, reset_interfaces).await?);
        Ok(())
    }
}

/// A validated rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    doc: RuleDocument,
    conditions: Vec<Condition>,
    actions: Vec<Action>,
}

impl CompiledRule {
    /// Validates the conditions and actions of a rule.
    pub fn compile(doc: RuleDocument) -> Result<Self, InvalidRule> {
        let conditions = doc
            .conditions
            .iter()
            .map(Condition::compile)
            .collect::<Result<_, _>>()?;
        let actions = doc
            .actions
            .iter()
            .map(Action::compile)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            doc,
            conditions,
            actions,
        })
    }

    fn needs_node(&self) -> bool {
        self.doc.scope.as_deref().is_some_and(|s| !s.is_empty())
            || self.conditions.iter().any(|c| c.source() == Source::Node)
    }

    /// Whether the rule applies: in scope and every condition holds (the
    /// first failing condition ends the check). `node` is openstacksdk's form.
    pub fn matches(&self, data: &Value, node: &Value) -> Result<bool, RuleFailure> {
        if !self
            .doc
            .in_scope(node.pointer("/properties/inspection_scope"))
        {
            debug!(rule = self.doc.display_name(), "rule is out of scope");
            return Ok(false);
        }
        for condition in &self.conditions {
            if !condition.holds(data, node)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The stored rules in creation order, compiled.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
}

impl RuleSet {
    /// Compiles stored rules; one that no longer validates fails processing.
    pub fn compile(docs: Vec<RuleDocument>) -> Result<Self, RuleFailure> {
        let rules = docs
            .into_iter()
            .map(|doc| {
                let uuid = doc.uuid.clone();
                CompiledRule::compile(doc).map_err(|InvalidRule(message)| {
                    RuleFailure::Error(format!("Rule {uuid} cannot be applied: {message}"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// Whether these are the rules the set was compiled from (a cheap check
    /// that lets callers keep a compiled set while the stored rules are unchanged).
    pub fn compiled_from(&self, docs: &[RuleDocument]) -> bool {
        self.rules.len() == docs.len() && self.rules.iter().zip(docs).all(|(r, d)| &r.doc == d)
    }

    /// Whether checking the rules reads the node (a scope or a `node://` field).
    pub fn needs_node(&self) -> bool {
        self.rules.iter().any(CompiledRule::needs_node)
    }

    /// The rules that apply, in order (the first pass). `node` is Ironic's form.
    pub fn matching(&self, data: &Value, node: &Value) -> Result<Vec<&CompiledRule>, RuleFailure> {
        let sdk = sdk_node(node);
        let mut matching = Vec::new();
        for rule in &self.rules {
            if rule.matches(data, &sdk)? {
                matching.push(rule);
            }
        }
        Ok(matching)
    }

    /// Checks every rule, then runs the actions of those that apply; returns
    /// the rules that applied, in order. The first failing action ends it
    /// (no rollback).
    pub async fn apply(
        &self,
        data: &Value,
        target: &dyn RuleTarget,
    ) -> Result<Vec<AppliedRule>, RuleFailure> {
        if self.rules.is_empty() {
            return Ok(Vec::new());
        }
        let mut node = NodeContext::new(target);
        let current = if self.needs_node() {
            node.node().await?.clone()
        } else {
            Value::Null
        };
        let matching = self.matching(data, &current)?;
        info!(
            matching = matching.len(),
            rules = self.rules.len(),
            "introspection rules checked"
        );
        for rule in &matching {
            let span = info_span!("rule", rule = %rule.doc.uuid);
            async {
                info!(
                    rule = rule.doc.display_name(),
                    "applying the rule's actions"
                );
                for action in &rule.actions {
                    debug!(action = action.name(), "running action");
                    action.run(data, &mut node).await?;
                }
                Ok::<(), RuleFailure>(())
            }
            .instrument(span)
            .await?;
        }
        Ok(matching
            .iter()
            .map(|rule| AppliedRule {
                uuid: rule.doc.uuid.clone(),
                description: rule.doc.display_name().to_owned(),
                actions: rule.actions.iter().map(|a| a.name().to_owned()).collect(),
            })
            .collect())
    }
}

/// A rule whose actions ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRule {
    /// Its UUID.
    pub uuid: String,
    /// Its description, or its UUID when it has none.
    pub description: String,
    /// The names of the actions that ran, in order.
    pub actions: Vec<String>,
}
