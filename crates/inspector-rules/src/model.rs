//! The rule document as submitted, stored and returned.

use serde_json::{Map, Value};

/// How the values a field path finds are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Multiple {
    /// At least one value holds (the default).
    #[default]
    Any,
    /// Every value holds.
    All,
    /// Only the first value counts.
    First,
}

impl Multiple {
    /// Every name, in the order messages list them.
    pub const NAMES: [&'static str; 3] = ["all", "any", "first"];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::All => "all",
            Self::First => "first",
        }
    }

    /// The value of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "any" => Some(Self::Any),
            "all" => Some(Self::All),
            "first" => Some(Self::First),
            _ => None,
        }
    }
}

/// A condition: an operator applied to the values a field path finds.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionDocument {
    /// The operator (`eq`, `matches`, ...).
    pub op: String,
    /// `[data:// | node://]path`.
    pub field: String,
    /// How several values combine.
    pub multiple: Multiple,
    /// Whether each value's result is negated before combining.
    pub invert: bool,
    /// Every other key of the submitted condition, verbatim.
    pub params: Map<String, Value>,
}

impl ConditionDocument {
    /// The returned form: the parameters with the reserved keys (which win).
    pub fn to_json(&self) -> Value {
        let mut out = self.params.clone();
        out.insert("op".into(), Value::String(self.op.clone()));
        out.insert("field".into(), Value::String(self.field.clone()));
        out.insert(
            "multiple".into(),
            Value::String(self.multiple.as_str().into()),
        );
        out.insert("invert".into(), Value::Bool(self.invert));
        Value::Object(out)
    }
}

/// An action run on the node when its rule matches.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDocument {
    /// The action (`set-attribute`, `fail`, ...).
    pub action: String,
    /// Every other key of the submitted action, verbatim.
    pub params: Map<String, Value>,
}

impl ActionDocument {
    /// The returned form: the parameters plus `action`.
    pub fn to_json(&self) -> Value {
        let mut out = self.params.clone();
        out.insert("action".into(), Value::String(self.action.clone()));
        Value::Object(out)
    }
}

/// A rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDocument {
    /// Its UUID, kept exactly as submitted (or generated).
    pub uuid: String,
    /// Free text.
    pub description: Option<String>,
    /// Applies only to nodes whose `properties.inspection_scope` equals it;
    /// null or empty applies to every node.
    pub scope: Option<String>,
    /// Conditions, in submission order; all must hold.
    pub conditions: Vec<ConditionDocument>,
    /// Actions, in submission order; at least one.
    pub actions: Vec<ActionDocument>,
}

impl RuleDocument {
    /// The description for log lines: the UUID when there is none.
    pub fn display_name(&self) -> &str {
        match self.description.as_deref() {
            Some(description) if !description.is_empty() => description,
            _ => &self.uuid,
        }
    }

    /// Whether the rule applies to a node with this `inspection_scope`.
    pub fn in_scope(&self, node_scope: Option<&Value>) -> bool {
        match self.scope.as_deref() {
            None | Some("") => true,
            Some(scope) => node_scope.and_then(Value::as_str) == Some(scope),
        }
    }
}
