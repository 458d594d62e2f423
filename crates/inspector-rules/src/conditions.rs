//! Condition operators: parameter validation, compilation and the check of
//! one value, with upstream's coercions; and the evaluation of a condition
//! over every value its field finds.

use std::cmp::Ordering;

use fancy_regex::Regex;
use inspector_types::{python_repr, python_str};
use ipnet::IpNet;
use serde_json::Value;

use crate::error::{InvalidRule, Raised};
use crate::jsonpath::JsonPath;
use crate::model::{ConditionDocument, Multiple};
use crate::params::ParamSpec;
use crate::python::{equal, order, to_float, to_int};

/// Every operator name, sorted as validation messages list them.
pub const OPERATORS: [&str; 14] = [
    "contains", "eq", "ge", "gt", "in-net", "is-empty", "is-false", "is-none", "is-true", "le",
    "lt", "matches", "ne", "one-of",
];

/// What a field path is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The processed introspection data (`data://`, the default).
    Data,
    /// The node, with openstacksdk attribute names (`node://`).
    Node,
}

/// `[scheme://]path` split and parsed.
pub(crate) fn parse_field(field: &str) -> Result<(Source, JsonPath), InvalidRule> {
    let (scheme, path) = field.split_once("://").unwrap_or(("data", field));
    let source = match scheme {
        "data" => Source::Data,
        "node" => Source::Node,
        other => {
            return Err(InvalidRule(format!(
                "Unsupported scheme for field: {other}, valid values are node:// or data://"
            )));
        }
    };
    let path = JsonPath::parse(path).map_err(|error| {
        InvalidRule(format!("Unable to parse field JSON path {field}: {error}"))
    })?;
    Ok((source, path))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Comparison {
    fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone)]
enum Operator {
    Compare(Comparison, Value),
    InNet(IpNet),
    Matches(Regex),
    Contains(Regex),
    IsEmpty,
    IsTrue,
    IsFalse,
    IsNone,
    OneOf(Vec<Value>),
}

/// A validated condition, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Condition {
    source: Source,
    path: JsonPath,
    operator: Operator,
    multiple: Multiple,
    invert: bool,
}

const VALUE: ParamSpec = ParamSpec::new(&["value"], &[]);
const NOTHING: ParamSpec = ParamSpec::new(&[], &[]);
const VALUES: ParamSpec = ParamSpec::new(&["values"], &[]);

impl Condition {
    /// Validates the field and the parameters of `doc` (steps 2 and 3 of
    /// upstream's validation).
    pub fn compile(doc: &ConditionDocument) -> Result<Self, InvalidRule> {
        let (source, path) = parse_field(&doc.field)?;
        let invalid = |message: String| {
            InvalidRule(format!(
                "Invalid parameters for operator {}: {message}",
                doc.op
            ))
        };
        let value = || doc.params.get("value").cloned().unwrap_or(Value::Null);
        let comparison = |c| -> Result<Operator, InvalidRule> {
            VALUE.check(&doc.params).map_err(invalid)?;
            Ok(Operator::Compare(c, value()))
        };
        let operator = match doc.op.as_str() {
            "eq" => comparison(Comparison::Eq)?,
            "ne" => comparison(Comparison::Ne)?,
            "lt" => comparison(Comparison::Lt)?,
            "gt" => comparison(Comparison::Gt)?,
            "le" => comparison(Comparison::Le)?,
            "ge" => comparison(Comparison::Ge)?,
            "in-net" => {
                VALUE.check(&doc.params).map_err(invalid)?;
                Operator::InNet(network(&value()).map_err(invalid)?)
            }
            // Extra parameters are accepted and kept, as upstream does.
            "matches" | "contains" => {
                let anchored = doc.op == "matches";
                let pattern = match value() {
                    Value::Null => {
                        return Err(invalid("missing required parameter(s): value".into()));
                    }
                    Value::String(pattern) => pattern,
                    other => {
                        return Err(invalid(format!(
                            "invalid regular expression: expected a string, got {}",
                            python_repr(&other)
                        )));
                    }
                };
                let regex = python_regex(&pattern, anchored)
                    .map_err(|e| invalid(format!("invalid regular expression: {e}")))?;
                if anchored {
                    Operator::Matches(regex)
                } else {
                    Operator::Contains(regex)
                }
            }
            "is-empty" | "is-true" | "is-false" | "is-none" => {
                NOTHING.check(&doc.params).map_err(invalid)?;
                match doc.op.as_str() {
                    "is-empty" => Operator::IsEmpty,
                    "is-true" => Operator::IsTrue,
                    "is-false" => Operator::IsFalse,
                    _ => Operator::IsNone,
                }
            }
            "one-of" => {
                VALUES.check(&doc.params).map_err(invalid)?;
                match doc.params.get("values") {
                    Some(Value::Array(values)) => Operator::OneOf(values.clone()),
                    _ => return Err(invalid("invalid value: values must be a list".into())),
                }
            }
            other => {
                return Err(InvalidRule(format!(
                    "Validation failed for conditions: {} is not one of {}",
                    python_repr(&Value::String(other.into())),
                    python_repr(&Value::from(OPERATORS.to_vec()))
                )));
            }
        };
        Ok(Self {
            source,
            path,
            operator,
            multiple: doc.multiple,
            invert: doc.invert,
        })
    }

    /// Where the field is read.
    pub fn source(&self) -> Source {
        self.source
    }

    /// Whether the condition holds, given the data and the node (SDK form);
    /// a missing field fails it except for `is-empty` and `is-none`.
    pub fn holds(&self, data: &Value, node: &Value) -> Result<bool, Raised> {
        let source = match self.source {
            Source::Data => data,
            Source::Node => node,
        };
        let mut values = self.path.find(source)?;
        if values.is_empty() {
            if matches!(self.operator, Operator::IsEmpty | Operator::IsNone) {
                values.push(std::borrow::Cow::Owned(Value::Null));
            } else {
                return Ok(false);
            }
        }
        let mut result = false;
        for value in values {
            result = self.check(&value)? != self.invert;
            match self.multiple {
                Multiple::First => break,
                Multiple::All if !result => break,
                Multiple::Any if result => break,
                _ => {}
            }
        }
        Ok(result)
    }

    /// The operator on one value.
    fn check(&self, field: &Value) -> Result<bool, Raised> {
        Ok(match &self.operator {
            Operator::Compare(comparison, value) => compare(*comparison, field, value)?,
            Operator::InNet(network) => network.contains(&address(field)?),
            Operator::Matches(regex) | Operator::Contains(regex) => regex
                .is_match(&python_str(field))
                .map_err(|e| Raised::new("RuntimeError", e.to_string()))?,
            Operator::IsEmpty => match field {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(items) => items.is_empty(),
                Value::Object(map) => map.is_empty(),
                _ => false,
            },
            Operator::IsTrue => truth(field, &["yes", "true"]).unwrap_or(false),
            Operator::IsFalse => truth(field, &["no", "false"])
                .map(|t| if field.is_string() { t } else { !t })
                .unwrap_or(field.is_null()),
            Operator::IsNone => field.is_null(),
            Operator::OneOf(values) => values.iter().any(|v| equal(field, v)),
        })
    }
}

/// Booleans and numbers by truthiness; text when it is one of `words`
/// (case-insensitive); `None` for other types.
fn truth(field: &Value, words: &[&str]) -> Option<bool> {
    match field {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        Value::String(text) => Some(words.contains(&text.to_lowercase().as_str())),
        _ => None,
    }
}

/// `coerce(field) OP value`, the field converted by the type of `value`.
fn compare(comparison: Comparison, field: &Value, value: &Value) -> Result<bool, Raised> {
    let coerced = match value {
        Value::Number(n) if n.is_f64() => to_float(field)?,
        Value::Number(_) | Value::Bool(_) => to_int(field)?,
        _ => field.clone(),
    };
    let symbol = comparison.symbol();
    Ok(match comparison {
        Comparison::Eq => equal(&coerced, value),
        Comparison::Ne => !equal(&coerced, value),
        Comparison::Lt => order(&coerced, value, symbol)? == Some(Ordering::Less),
        Comparison::Gt => order(&coerced, value, symbol)? == Some(Ordering::Greater),
        Comparison::Le => matches!(
            order(&coerced, value, symbol)?,
            Some(Ordering::Less | Ordering::Equal)
        ),
        Comparison::Ge => matches!(
            order(&coerced, value, symbol)?,
            Some(Ordering::Greater | Ordering::Equal)
        ),
    })
}

/// An IP network; host bits may be set, a bare address is a /32 or /128.
fn network(value: &Value) -> Result<IpNet, String> {
    let text = python_str(value);
    let parsed = text
        .parse::<IpNet>()
        .map(|net| net.trunc())
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from));
    parsed.map_err(|_| format!("invalid value: invalid IPNetwork {text}"))
}

fn address(field: &Value) -> Result<std::net::IpAddr, Raised> {
    let text = match field {
        Value::String(text) => text.trim(),
        other => {
            return Err(Raised::new(
                "AddrFormatError",
                format!(
                    "failed to detect a valid IP address from {}",
                    python_repr(other)
                ),
            ));
        }
    };
    text.parse().map_err(|_| {
        Raised::new(
            "AddrFormatError",
            format!(
                "failed to detect a valid IP address from {}",
                python_repr(field)
            ),
        )
    })
}

/// Compiles a Python `re` pattern: `matches` anchors at the start and appends
/// `$` (textually, as upstream) unless present; Python's `$` also matches
/// before a final newline, and `\Z` is the end of the text.
pub(crate) fn python_regex(pattern: &str, matches: bool) -> Result<Regex, String> {
    let mut source = pattern.to_owned();
    if matches && !source.ends_with('$') {
        source.push('$');
    }
    let mut translated = String::with_capacity(source.len() + 16);
    let mut chars = source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') => translated.push_str(r"\z"),
                Some(next) => {
                    translated.push('\\');
                    translated.push(next);
                }
                None => return Err("bad escape (end of pattern)".to_owned()),
            },
            '[' if !in_class => {
                in_class = true;
                translated.push(c);
                if chars.peek() == Some(&'^') {
                    translated.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    translated.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if in_class => {
                in_class = false;
                translated.push(c);
            }
            '$' if !in_class => translated.push_str(r"(?=\n?\z)"),
            other => translated.push(other),
        }
    }
    let anchored = if matches {
        format!(r"\A(?:{translated})")
    } else {
        translated
    };
    Regex::new(&anchored).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
