//! Condition operators: parameter validation, compilation and the check of
//! one value, with upstream's coercions; and the evaluation of a condition
//! over every value its field finds.

use std::cmp::Ordering;

use fancy_regex::Regex;
use inspector_types::{python_repr, python_str};
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use serde_json::Value;

use crate::error::{InvalidRule, Raised};
use crate::jsonpath::JsonPath;
use crate::model::{ConditionDocument, Multiple};
use crate::params::ParamSpec;
use crate::python::{equal, num_order, order, to_float, to_int};

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
    let symbol = comparison.symbol();
    let converted = match value {
        Value::Number(n) if n.is_f64() => Some(to_float(field)?),
        Value::Number(_) | Value::Bool(_) => Some(to_int(field)?),
        _ => None,
    };
    let ordering = |symbol| match converted {
        Some(number) => num_order(number, value, symbol),
        None => order(field, value, symbol),
    };
    let equal_now = || match converted {
        Some(number) => num_order(number, value, "==").is_ok_and(|o| o == Some(Ordering::Equal)),
        None => equal(field, value),
    };
    Ok(match comparison {
        Comparison::Eq => equal_now(),
        Comparison::Ne => !equal_now(),
        Comparison::Lt => ordering(symbol)? == Some(Ordering::Less),
        Comparison::Gt => ordering(symbol)? == Some(Ordering::Greater),
        Comparison::Le => matches!(ordering(symbol)?, Some(Ordering::Less | Ordering::Equal)),
        Comparison::Ge => matches!(ordering(symbol)?, Some(Ordering::Greater | Ordering::Equal)),
    })
}

/// An IP network as netaddr reads one: host bits may be set, a bare address
/// is a /32 or /128, an IPv4 prefix may be a netmask or a host mask.
fn network(value: &Value) -> Result<IpNet, String> {
    let text = python_str(value);
    let invalid = || format!("invalid value: invalid IPNetwork {text}");
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    if let Ok(address) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(address));
    }
    let (address, mask) = text.split_once('/').ok_or_else(invalid)?;
    let (Ok(address), Ok(mask)) = (address.parse::<Ipv4Addr>(), mask.parse::<Ipv4Addr>()) else {
        return Err(invalid());
    };
    let bits = u32::from(mask);
    let prefix = if (!bits).wrapping_add(1).is_power_of_two() || bits == u32::MAX {
        bits.count_ones()
    } else if bits.wrapping_add(1).is_power_of_two() || bits == 0 {
        32 - bits.count_ones()
    } else {
        return Err(invalid());
    };
    Ipv4Net::new(address, u8::try_from(prefix).unwrap_or(32))
        .map(|net| IpNet::V4(net.trunc()))
        .map_err(|_| invalid())
}

fn address(field: &Value) -> Result<IpAddr, Raised> {
    let text = match field {
        Value::String(text) => text.trim(),
        // netaddr takes integers as addresses.
        Value::Number(n) if n.as_u64().is_some() => {
            let n = n.as_u64().unwrap_or_default();
            return Ok(match u32::try_from(n) {
                Ok(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
                Err(_) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(n))),
            });
        }
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

/// Compiles a Python `re` pattern: the pattern as written must compile (as
/// upstream checks it); `matches` then appends `$` (textually, as upstream)
/// unless present and anchors at the start.
pub(crate) fn python_regex(pattern: &str, matches: bool) -> Result<Regex, String> {
    let plain = Regex::new(&translate(pattern)?).map_err(|e| e.to_string())?;
    if !matches {
        return Ok(plain);
    }
    let mut source = pattern.to_owned();
    if !source.ends_with('$') {
        source.push('$');
    }
    Regex::new(&format!(r"\A(?:{})", translate(&source)?)).map_err(|e| e.to_string())
}

/// Rewrites Python `re` syntax where the Rust engines differ: Python's `$`
/// also matches before a final newline (any newline with `(?m)`), `\Z` is
/// the end of the text, a `{` that does not start a repetition is a literal,
/// and `[`, `&`, `~` inside a class are literals.
fn translate(pattern: &str) -> Result<String, String> {
    let multiline = pattern
        .strip_prefix("(?")
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .any(|c| c == 'm')
        })
        .unwrap_or(false);
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => match chars.get(i) {
                Some('Z') if !in_class => {
                    out.push_str(r"\z");
                    i += 1;
                }
                Some(&next) => {
                    out.push('\\');
                    out.push(next);
                    i += 1;
                }
                None => return Err("bad escape (end of pattern)".to_owned()),
            },
            '[' if in_class => out.push_str(r"\["),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class => out.push_str(if multiline { "(?m:$)" } else { r"(?=\n?\z)" }),
            '{' if !in_class => {
                let rest: String = chars[i..].iter().collect();
                match repetition(&rest) {
                    Some(length) => {
                        out.push('{');
                        out.push_str(&rest[..length]);
                        i += rest[..length].chars().count();
                    }
                    None => out.push_str(r"\{"),
                }
            }
            '}' if !in_class => out.push_str(r"\}"),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The length of `m}`, `m,}`, `m,n}` or `,n}` after a `{` (Python's repetition forms).
fn repetition(rest: &str) -> Option<usize> {
    let close = rest.find('}')?;
    let inner = &rest[..close];
    let (low, high) = inner.split_once(',').unwrap_or((inner, inner));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (digits(low) && digits(high) && !(low.is_empty() && high.is_empty())).then_some(close + 1)
}

#[cfg(test)]
mod tests;
