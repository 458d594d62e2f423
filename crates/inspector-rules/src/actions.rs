//! Actions: parameter validation, and what each one does to the node.

use inspector_hooks::{HookError, capabilities_to_string, parse_capabilities};
use inspector_types::{python_repr, python_str};
use serde_json::{Map, Value, json};
use tracing::{debug, error, info, warn};

use crate::engine::NodeContext;
use crate::error::{InvalidRule, Raised, RuleFailure};
use crate::format::{render, render_value};
use crate::model::ActionDocument;
use crate::params::ParamSpec;
use crate::sdk::sdk_node;

/// Every action name, sorted as validation messages list them.
pub const ACTIONS: [&str; 13] = [
    "add-trait",
    "del-attribute",
    "del-port-attribute",
    "example",
    "extend-attribute",
    "extend-port-attribute",
    "fail",
    "log",
    "remove-trait",
    "set-attribute",
    "set-capability",
    "set-port-attribute",
    "unset-capability",
];

const LOG_LEVELS: [&str; 5] = ["critical", "debug", "error", "info", "warning"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fail,
    SetAttribute,
    SetCapability,
    ExtendAttribute,
    AddTrait,
    RemoveTrait,
    Example,
    Log,
    DelAttribute,
    UnsetCapability,
    SetPortAttribute,
    ExtendPortAttribute,
    DelPortAttribute,
}

impl Kind {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "fail" => Self::Fail,
            "set-attribute" => Self::SetAttribute,
            "set-capability" => Self::SetCapability,
            "extend-attribute" => Self::ExtendAttribute,
            "add-trait" => Self::AddTrait,
            "remove-trait" => Self::RemoveTrait,
            "example" => Self::Example,
            "log" => Self::Log,
            "del-attribute" => Self::DelAttribute,
            "unset-capability" => Self::UnsetCapability,
            "set-port-attribute" => Self::SetPortAttribute,
            "extend-port-attribute" => Self::ExtendPortAttribute,
            "del-port-attribute" => Self::DelPortAttribute,
            _ => return None,
        })
    }

    /// The accepted parameters; the `set-*-attribute` actions also need the
    /// key `value` present (null allowed), checked first.
    fn params(self) -> ParamSpec {
        match self {
            Self::Fail => ParamSpec::new(&["message"], &[]),
            Self::SetAttribute => ParamSpec::new(&["path"], &["value", "reset_interfaces"]),
            Self::SetCapability => ParamSpec::new(&["name"], &["value"]),
            Self::ExtendAttribute => ParamSpec::new(&["path", "value"], &["unique"]),
            Self::AddTrait | Self::RemoveTrait | Self::UnsetCapability => {
                ParamSpec::new(&["name"], &[])
            }
            Self::Example => ParamSpec::new(&[], &[]),
            Self::Log => ParamSpec::new(&["msg"], &["level"]),
            Self::DelAttribute => ParamSpec::new(&["path"], &[]),
            Self::SetPortAttribute => ParamSpec::new(&["port_id", "path"], &["value"]),
            Self::ExtendPortAttribute => ParamSpec::new(&["port_id", "path", "value"], &["unique"]),
            Self::DelPortAttribute => ParamSpec::new(&["port_id", "path"], &[]),
        }
    }
}

/// A validated action, ready to run.
#[derive(Debug, Clone)]
pub struct Action {
    kind: Kind,
    name: String,
    params: Map<String, Value>,
}

impl Action {
    /// Validates the parameters of `doc` (step 6 of upstream's validation).
    pub fn compile(doc: &ActionDocument) -> Result<Self, InvalidRule> {
        let kind = Kind::from_name(&doc.action).ok_or_else(|| {
            InvalidRule(format!(
                "Validation failed for actions: {} is not one of {}",
                python_repr(&Value::String(doc.action.clone())),
                python_repr(&Value::from(ACTIONS.to_vec()))
            ))
        })?;
        let invalid = |message: String| {
            InvalidRule(format!(
                "Invalid parameters for action {}: {message}",
                doc.action
            ))
        };
        if matches!(kind, Kind::SetAttribute | Kind::SetPortAttribute)
            && !doc.params.contains_key("value")
        {
            return Err(invalid("missing required parameter(s): value".into()));
        }
        kind.params().check(&doc.params).map_err(invalid)?;
        if kind == Kind::Log
            && let Some(level) = doc.params.get("level").filter(|l| !l.is_null())
            && !level.as_str().is_some_and(|l| LOG_LEVELS.contains(&l))
        {
            return Err(invalid(format!(
                "invalid value: level must be one of {}",
                LOG_LEVELS.join(", ")
            )));
        }
        Ok(Self {
            kind,
            name: doc.action.clone(),
            params: doc.params.clone(),
        })
    }

    /// The action's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn param(&self, name: &str) -> &Value {
        self.params.get(name).unwrap_or(&Value::Null)
    }

    fn text(&self, name: &str) -> String {
        python_str(self.param(name))
    }

    fn rendered(&self, name: &str, data: &Value) -> Result<Value, RuleFailure> {
        render_value(self.param(name), data)
    }

    /// Runs the action on the node.
    pub(crate) async fn run(
        &self,
        data: &Value,
        node: &mut NodeContext<'_>,
    ) -> Result<(), RuleFailure> {
        match self.kind {
            Kind::Fail => Err(RuleFailure::Error(self.text("message"))),
            Kind::SetAttribute => self.set_attribute(data, node).await,
            Kind::SetCapability => {
                let value = self.rendered("value", data)?;
                set_capability(node, &self.text("name"), value).await
            }
            Kind::UnsetCapability => set_capability(node, &self.text("name"), Value::Null).await,
            Kind::ExtendAttribute => {
                let value = self.rendered("value", data)?;
                let path = slashed(&self.text("path"));
                let current = node_attribute(node.node().await?, &path)?;
                let unique = truthy(self.param("unique"));
                if let Some(patch) = extended(&path, current, value, unique)? {
                    node.patch(&[patch], false).await?;
                }
                Ok(())
            }
            Kind::AddTrait => node.target.add_trait(&self.text("name")).await,
            Kind::RemoveTrait => node.target.remove_trait(&self.text("name")).await,
            Kind::Example => {
                let params = Value::Object(self.params.clone());
                info!(%params, "example action");
                Ok(())
            }
            Kind::Log => {
                let message = render(&self.text("msg"), data)?;
                match self.param("level").as_str().unwrap_or("info") {
                    "debug" => debug!("{message}"),
                    "warning" => warn!("{message}"),
                    "error" | "critical" => error!("{message}"),
                    _ => info!("{message}"),
                }
                Ok(())
            }
            Kind::DelAttribute => {
                let path = slashed(&self.text("path"));
                if node.node().await?.pointer(&path).is_none() {
                    debug!(%path, "attribute to delete is not set");
                    return Ok(());
                }
                node.patch(&[json!({"op": "remove", "path": path})], false)
                    .await
            }
            Kind::SetPortAttribute | Kind::ExtendPortAttribute | Kind::DelPortAttribute => {
                self.port_action(data, node).await
            }
        }
    }

    async fn set_attribute(
        &self,
        data: &Value,
        node: &mut NodeContext<'_>,
    ) -> Result<(), RuleFailure> {
        let value = self.rendered("value", data)?;
        let path = slashed(&self.text("path"));
        let explicit = self.params.contains_key("reset_interfaces");
        let reset = path.trim_matches('/') == "driver"
            && (!explicit || truthy(self.param("reset_interfaces")));
        let patch = [json!({"op": "add", "path": path, "value": value})];
        match node.patch(&patch, reset).await {
            Ok(()) => Ok(()),
            Err(_) if explicit => Err(RuleFailure::Error(
                "Cannot pass reset_interfaces to set-attribute, requires API 1.46 and ironicclient >= 2.5.0"
                    .to_owned(),
            )),
            Err(error) => {
                warn!(%error, "setting the attribute failed, retrying without reset_interfaces");
                node.patch(&patch, false).await
            }
        }
    }

    async fn port_action(
        &self,
        data: &Value,
        node: &mut NodeContext<'_>,
    ) -> Result<(), RuleFailure> {
        let port_id = python_str(&self.rendered("port_id", data)?);
        let port = node
            .target
            .port(&port_id)
            .await?
            .ok_or_else(|| RuleFailure::Error(format!("Port {port_id} was not found")))?;
        let uuid = port
            .get("uuid")
            .map(python_str)
            .unwrap_or_else(|| port_id.clone());
        let path = slashed(&self.text("path"));
        let patch = match self.kind {
            Kind::SetPortAttribute => {
                Some(json!({"op": "add", "path": path, "value": self.rendered("value", data)?}))
            }
            Kind::ExtendPortAttribute => {
                let value = self.rendered("value", data)?;
                let current = port.pointer(&path).cloned();
                extended(&path, current, value, truthy(self.param("unique")))?
            }
            _ => port
                .pointer(&path)
                .map(|_| json!({"op": "remove", "path": path})),
        };
        match patch {
            Some(patch) => node.target.patch_port(&uuid, &[patch]).await,
            None => Ok(()),
        }
    }
}

use inspector_types::python_truthy as truthy;

/// A patch path always starts with `/`.
fn slashed(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// The node's current value at `path` as upstream reads it: the attribute
/// (openstacksdk name) and at most one key of it; deeper paths use the rest as
/// a single key.
fn node_attribute(node: &Value, path: &str) -> Result<Option<Value>, Raised> {
    let sdk = sdk_node(node);
    let stripped = path.trim_matches('/');
    let (attribute, key) = match stripped.split_once('/') {
        Some((attribute, key)) => (attribute, Some(key)),
        None => (stripped, None),
    };
    let Some(value) = sdk.get(attribute) else {
        return Ok(None);
    };
    match (key, value) {
        (None, value) => Ok(Some(value.clone())),
        (Some(key), Value::Object(map)) => Ok(map.get(key).cloned()),
        (Some(_), Value::Array(_)) => Err(Raised::new(
            "TypeError",
            "list indices must be integers or slices, not str",
        )),
        (Some(_), other) => Err(Raised::new(
            "TypeError",
            format!(
                "'{}' object is not subscriptable",
                crate::python::type_name(other)
            ),
        )),
    }
}

/// The patch appending `value` to the list at `path`, if the list changes.
fn extended(
    path: &str,
    current: Option<Value>,
    value: Value,
    unique: bool,
) -> Result<Option<Value>, RuleFailure> {
    let (op, mut list) = match current {
        None => ("add", Vec::new()),
        Some(Value::Array(list)) => ("replace", list),
        Some(other) => {
            return Err(Raised::new(
                "AttributeError",
                format!(
                    "'{}' object has no attribute 'append'",
                    crate::python::type_name(&other)
                ),
            )
            .into());
        }
    };
    if unique && list.iter().any(|item| crate::python::equal(item, &value)) {
        return Ok(None);
    }
    list.push(value);
    Ok(Some(json!({"op": op, "path": path, "value": list})))
}

/// upstream's `update_capabilities(name=value)`; a null value removes it.
async fn set_capability(
    node: &mut NodeContext<'_>,
    name: &str,
    value: Value,
) -> Result<(), RuleFailure> {
    // Absent, null or empty capabilities are none.
    let current = match node.node().await?.pointer("/properties/capabilities") {
        None | Some(Value::Null) => String::new(),
        Some(other) => python_str(other),
    };
    let parsed = parse_capabilities(&current).map_err(|error| match error {
        HookError::Error(message) => RuleFailure::Error(message),
        HookError::Unexpected { class, message } => Raised::new(class, message).into(),
    })?;
    // As a Python dict: a repeated key keeps its first place and its last value.
    let mut capabilities: Vec<(String, Value)> = Vec::with_capacity(parsed.len() + 1);
    for (key, item) in parsed.into_iter().chain([(name.to_owned(), value)]) {
        match capabilities
            .iter_mut()
            .find(|(existing, _)| *existing == key)
        {
            Some((_, existing)) => *existing = item,
            None => capabilities.push((key, item)),
        }
    }
    let text = capabilities_to_string(&capabilities);
    node.patch(
        &[json!({"op": "add", "path": "/properties/capabilities", "value": text})],
        false,
    )
    .await
}

#[cfg(test)]
mod tests;
