//! Root device hints: validation, normalisation and matching (spec §2.2.1),
//! as ironic-lib and oslo's specs matcher do them.

use serde_json::{Map, Value};

use inspector_types::python_str;

const GIB: f64 = 1_073_741_824.0;

const VALID_TEXT: &str = "size, model, wwn, serial, vendor, wwn_with_extension, wwn_vendor_extension, name, rotational, hctl, by_path";

/// Operators, longest first where one is a prefix of another.
const OPERATORS: &[&str] = &[
    "<all-in>", "<in>", "<or>", "s==", "s!=", "s<=", "s>=", "s<", "s>", "==", "!=", "<=", ">=",
    "<", ">", "=",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Size,
    Boolean,
}

fn kind(name: &str) -> Option<Kind> {
    match name {
        "size" => Some(Kind::Size),
        "rotational" => Some(Kind::Boolean),
        "model"
        | "wwn"
        | "serial"
        | "vendor"
        | "wwn_with_extension"
        | "wwn_vendor_extension"
        | "name"
        | "hctl"
        | "by_path" => Some(Kind::Text),
        _ => None,
    }
}

/// A validated hint.
#[derive(Debug, Clone, PartialEq)]
enum Hint {
    /// A normalised expression (text and size hints).
    Expression(String),
    /// `rotational`.
    Boolean(bool),
}

/// Validated hints, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hints(Vec<(String, Kind, Hint)>);

/// Upstream's strict boolean parsing (JSON booleans, `1 t true on y yes`, `0 f false off n no`).
fn strict_bool(value: &Value) -> Option<bool> {
    if let Value::Bool(b) = value {
        return Some(*b);
    }
    match python_str(value).trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Some(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// The operator of an expression (already trimmed and lower-cased) and its values.
fn split(expression: &str) -> (Option<&'static str>, Vec<String>) {
    for op in OPERATORS {
        if expression.starts_with(op) {
            let values: Vec<String> = expression
                .split(op)
                .filter(|piece| !piece.is_empty())
                .map(|piece| piece.trim().to_owned())
                .collect();
            if !values.is_empty() {
                return (Some(op), values);
            }
        }
    }
    (None, vec![expression.to_owned()])
}

/// Python's `urllib.parse.quote(value, safe="/")`.
fn quote(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Normalises a text expression or device value: lower case, percent-encoded
/// values, operator kept in front. `None` when empty.
fn normalise(text: &str) -> Option<String> {
    let expression = text.trim().to_lowercase();
    if expression.is_empty() {
        return None;
    }
    let (op, values) = split(&expression);
    let encoded: Vec<String> = values.iter().map(|v| quote(v)).collect();
    Some(match op {
        None => encoded.join(" "),
        Some(op) => format!("{op} {}", encoded.join(&format!(" {op} "))),
    })
}

/// Python's `int()` of text.
fn python_int(text: &str) -> Option<i64> {
    text.trim().replace('_', "").parse().ok()
}

impl Hints {
    /// Validates and normalises a hints dict; the error is upstream's `ValueError` text.
    pub(crate) fn parse(hints: &Map<String, Value>) -> Result<Self, String> {
        let mut invalid: Vec<&str> = hints
            .keys()
            .map(String::as_str)
            .filter(|k| kind(k).is_none())
            .collect();
        if !invalid.is_empty() {
            invalid.sort_unstable();
            return Err(format!(
                "The hints \"{}\" are invalid. Valid hints are: \"{VALID_TEXT}\"",
                invalid.join(", ")
            ));
        }
        let mut parsed = Vec::new();
        for (name, value) in hints {
            let kind = kind(name).expect("checked above");
            let empty = || format!("Root device hint \"{name}\" expression is empty");
            let hint = match kind {
                Kind::Text => {
                    let Value::String(text) = value else {
                        return Err(format!(
                            "Root device hint \"{name}\" is not a string value. Hint expression: {}",
                            python_str(value)
                        ));
                    };
                    let normalised = normalise(text).ok_or_else(empty)?;
                    match split(&text.trim().to_lowercase()).0 {
                        Some(_) => Hint::Expression(normalised),
                        None => Hint::Expression(format!("s== {normalised}")),
                    }
                }
                Kind::Size => {
                    let text = python_str(value);
                    let expression = text.trim().to_lowercase();
                    if expression.is_empty() {
                        return Err(empty());
                    }
                    let (op, values) = split(&expression);
                    for v in &values {
                        let Some(integer) = python_int(v) else {
                            return Err(format!(
                                "Root device hint \"size\" is not an integer value. Current value: {text}"
                            ));
                        };
                        if integer <= 0 {
                            return Err(format!(
                                "Root device hint \"size\" should be a positive integer. Current value: {text}"
                            ));
                        }
                    }
                    Hint::Expression(match op {
                        Some(_) => expression,
                        None => format!("== {expression}"),
                    })
                }
                Kind::Boolean => match strict_bool(value) {
                    Some(b) => Hint::Boolean(b),
                    None => {
                        return Err(format!(
                            "Root device hint \"{name}\" is not a Boolean value. Current value: {}",
                            python_str(value)
                        ));
                    }
                },
            };
            parsed.push((name.clone(), kind, hint));
        }
        Ok(Self(parsed))
    }

    /// The devices matching every hint, in order. An error is a failure while
    /// matching (e.g. a device without a size), which upstream reports as a
    /// validation failure.
    pub(crate) fn find<'a>(&self, devices: &'a [Value]) -> Result<Vec<&'a Value>, String> {
        let mut found = Vec::new();
        'devices: for device in devices {
            for (name, kind, hint) in &self.0 {
                let field = device.get(name).unwrap_or(&Value::Null);
                let matched = match (kind, hint) {
                    (Kind::Text, Hint::Expression(expression)) => {
                        let Some(value) = normalise(&python_str(field)) else {
                            let device_name =
                                python_str(device.get("name").unwrap_or(&Value::Null));
                            tracing::warn!(device = %device_name, hint = %name, "the device has an empty value for the hint; skipping it");
                            continue 'devices;
                        };
                        matches(&Operand::Text(value), expression)?
                    }
                    (Kind::Size, Hint::Expression(expression)) => {
                        let Some(size) = field.as_f64() else {
                            return Err(format!(
                                "unsupported operand type(s) for /: '{}' and 'int'",
                                python_type(field)
                            ));
                        };
                        matches(&Operand::Number(size / GIB), expression)?
                    }
                    (Kind::Boolean, Hint::Boolean(wanted)) => match strict_bool(field) {
                        Some(value) => value == *wanted,
                        None => {
                            tracing::warn!(hint = %name, "the device's value is not a Boolean; skipping it");
                            continue 'devices;
                        }
                    },
                    _ => unreachable!("hints are built with their kind"),
                };
                if !matched {
                    continue 'devices;
                }
            }
            found.push(device);
        }
        Ok(found)
    }
}

fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A device value as the matcher sees it.
enum Operand {
    Text(String),
    Number(f64),
}

impl Operand {
    fn text(&self) -> String {
        match self {
            Operand::Text(text) => text.clone(),
            Operand::Number(number) => python_str(&serde_json::json!(number)),
        }
    }

    fn float(&self) -> Result<f64, String> {
        match self {
            Operand::Number(number) => Ok(*number),
            Operand::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("could not convert string to float: '{text}'")),
        }
    }
}

fn float(text: &str) -> Result<f64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("could not convert string to float: '{text}'"))
}

/// oslo's `specs_matcher.match(value, requirement)`.
fn matches(value: &Operand, requirement: &str) -> Result<bool, String> {
    let mut words: Vec<&str> = requirement.split_whitespace().collect();
    if words.is_empty() {
        return Ok(matches!(value, Operand::Text(t) if t.is_empty()));
    }
    let op = words.remove(0);
    let known = OPERATORS.contains(&op);
    if !known {
        return Ok(matches!(value, Operand::Text(t) if t == requirement));
    }
    if op == "<or>" {
        let mut rest = words.into_iter();
        while let Some(word) = rest.next() {
            if matches!(value, Operand::Text(t) if t == word) {
                return Ok(true);
            }
            if rest.next().is_none() {
                break;
            }
        }
        return Ok(false);
    }
    let Some(operand) = words.first() else {
        return Ok(false);
    };
    Ok(match op {
        "=" => value.float()? >= float(operand)?,
        "==" => value.float()? == float(operand)?,
        "!=" => value.float()? != float(operand)?,
        "<=" => value.float()? <= float(operand)?,
        "<" => value.float()? < float(operand)?,
        ">=" => value.float()? >= float(operand)?,
        ">" => value.float()? > float(operand)?,
        "s==" => value.text() == *operand,
        "s!=" => value.text() != *operand,
        "s<" => value.text().as_str() < *operand,
        "s<=" => value.text().as_str() <= *operand,
        "s>" => value.text().as_str() > *operand,
        "s>=" => value.text().as_str() >= *operand,
        "<in>" => match value {
            Operand::Text(text) => text.contains(operand),
            Operand::Number(_) => return Err("argument of type 'float' is not iterable".into()),
        },
        "<all-in>" => {
            let list: Vec<String> = serde_json::from_str(&value.text().replace('\'', "\""))
                .map_err(|_| format!("malformed node or string: {}", value.text()))?;
            words.iter().all(|w| list.iter().any(|item| item == w))
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    fn devices() -> Vec<Value> {
        vec![
            json!({"name": "/dev/sda", "size": 1_073_741_824_000_i64, "model": "Big Data Disk", "vendor": "ATA",
                   "wwn": "0x5000c500a1b2c3d4", "rotational": true, "hctl": "0:0:0:0"}),
            json!({"name": "/dev/sdb", "size": 21_474_836_480_i64, "model": "Small OS Disk", "vendor": "ATA",
                   "wwn": "0x5000c500deadbeef", "rotational": false, "hctl": "1:0:0:0"}),
            json!({"name": "/dev/nvme0n1", "size": 500_107_862_016_i64, "model": "Samsung SSD 970",
                   "serial": "S3", "rotational": "false"}),
        ]
    }

    fn first(hints: Value) -> Option<String> {
        let hints = Hints::parse(hints.as_object().unwrap()).unwrap();
        let devices = devices();
        hints
            .find(&devices)
            .unwrap()
            .first()
            .map(|d| d["name"].as_str().unwrap().to_owned())
    }

    /// The verified examples of the specification's table.
    #[rstest]
    #[case(json!({"size": 20}), Some("/dev/sdb"))]
    #[case(json!({"size": "20"}), Some("/dev/sdb"))]
    #[case(json!({"size": ">= 100"}), Some("/dev/sda"))]
    #[case(json!({"size": "< 100"}), Some("/dev/sdb"))]
    #[case(json!({"size": "<or> 20 <or> 1000"}), None)]
    #[case(json!({"size": 465}), None)]
    #[case(json!({"size": ">= 400", "rotational": false}), Some("/dev/nvme0n1"))]
    #[case(json!({"model": "SMALL OS DISK"}), Some("/dev/sdb"))]
    #[case(json!({"model": "<in> Data"}), Some("/dev/sda"))]
    #[case(json!({"model": "<or> foo <or> Small OS Disk"}), Some("/dev/sdb"))]
    #[case(json!({"model": "s!= Big Data Disk"}), Some("/dev/sdb"))]
    #[case(json!({"model": "s== Big"}), None)]
    #[case(json!({"name": "/dev/sdb"}), Some("/dev/sdb"))]
    #[case(json!({"name": "sdb"}), None)]
    #[case(json!({"wwn": "0x5000C500DEADBEEF"}), Some("/dev/sdb"))]
    #[case(json!({"serial": "s3"}), Some("/dev/nvme0n1"))]
    #[case(json!({"rotational": "no"}), Some("/dev/sdb"))]
    #[case(json!({"hctl": "1:0:0:0"}), Some("/dev/sdb"))]
    #[case(json!({"vendor": "ata", "size": "> 20"}), Some("/dev/sda"))]
    fn spec_examples(#[case] hints: Value, #[case] expected: Option<&str>) {
        assert_eq!(first(hints).as_deref(), expected);
    }

    #[rstest]
    #[case(json!({"model": "FOO model"}), "s== foo%20model")]
    #[case(json!({"model": "<or> foo <or> foo bar <or> bar"}), "<or> foo <or> foo%20bar <or> bar")]
    #[case(json!({"model": "s!= SpongeBob"}), "s!= spongebob")]
    #[case(json!({"hctl": "1:0:0:0"}), "s== 1%3A0%3A0%3A0")]
    #[case(json!({"by_path": "/dev/disk/by-path/pci-0000:00:1f.2-ata-1"}), "s== /dev/disk/by-path/pci-0000%3A00%3A1f.2-ata-1")]
    #[case(json!({"size": 20}), "== 20")]
    fn normalisation(#[case] hints: Value, #[case] expected: &str) {
        let parsed = Hints::parse(hints.as_object().unwrap()).unwrap();
        assert_eq!(parsed.0[0].2, Hint::Expression(expected.to_owned()));
    }

    #[rstest]
    #[case(json!({"size": 0}), "Root device hint \"size\" should be a positive integer. Current value: 0")]
    #[case(json!({"size": "1.5"}), "Root device hint \"size\" is not an integer value. Current value: 1.5")]
    #[case(json!({"size": "foo"}), "Root device hint \"size\" is not an integer value. Current value: foo")]
    #[case(json!({"model": 123}), "Root device hint \"model\" is not a string value. Hint expression: 123")]
    #[case(json!({"rotational": "maybe"}), "Root device hint \"rotational\" is not a Boolean value. Current value: maybe")]
    #[case(json!({"foo": "bar", "abc": 1}), "The hints \"abc, foo\" are invalid. Valid hints are: \"size, model, wwn, serial, vendor, wwn_with_extension, wwn_vendor_extension, name, rotational, hctl, by_path\"")]
    #[case(json!({"model": ""}), "Root device hint \"model\" expression is empty")]
    fn validation_failures(#[case] hints: Value, #[case] message: &str) {
        assert_eq!(
            Hints::parse(hints.as_object().unwrap()).unwrap_err(),
            message
        );
    }

    #[test]
    fn a_device_without_a_size_fails_the_lookup() {
        let hints = Hints::parse(json!({"size": 10}).as_object().unwrap()).unwrap();
        let error = hints.find(&[json!({"name": "/dev/sdx"})]).unwrap_err();
        assert_eq!(
            error,
            "unsupported operand type(s) for /: 'NoneType' and 'int'"
        );
    }
}
