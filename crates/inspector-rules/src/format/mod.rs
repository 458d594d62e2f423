//! Python's `str.format` for action values, with one bound name: `data`, the
//! processed introspection data (`{data[inventory][bmc_address]}`,
//! `{data[memory_mb]:08d}`, `{data[cpu_arch]!r}`, `{{` and `}}`).
//!
//! This module scans templates and resolves their replacement fields; the
//! format-spec mini-language after the `:` (`08d`, `*^10`, `.2f`) is
//! `spec.rs`. A missing key is a service error; every other failure is the
//! exception Python would raise (an unexpected failure of processing).

use std::borrow::Cow;

use inspector_types::{python_quote, python_repr, python_str};
use serde_json::{Map, Value};

use crate::error::{Raised, RuleFailure};
use crate::python::type_name;

mod spec;

use spec::format_value;

/// Renders `value` recursively: strings are templates, objects have their
/// keys and values rendered, arrays their items; other values are kept.
pub fn render_value(value: &Value, data: &Value) -> Result<Value, RuleFailure> {
    Ok(match value {
        Value::String(template) => Value::String(render(template, data)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, data))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut rendered = Map::new();
            for (key, item) in map {
                rendered.insert(render(key, data)?, render_value(item, data)?);
            }
            Value::Object(rendered)
        }
        other => other.clone(),
    })
}

/// Why a lookup inside a replacement field failed.
enum Lookup {
    /// `KeyError`: reported as a service error.
    Key(String),
    Raised(Raised),
}

impl From<Raised> for Lookup {
    fn from(raised: Raised) -> Self {
        Self::Raised(raised)
    }
}

pub(super) fn value_error(message: &str) -> Raised {
    Raised::new("ValueError", message)
}

/// Renders one template string.
pub fn render(template: &str, data: &Value) -> Result<String, RuleFailure> {
    render_template(template, data, 1).map_err(|lookup| match lookup {
        Lookup::Key(key) => RuleFailure::Error(format!(
            "Invalid formatting variable key provided in value {template}: {key}"
        )),
        Lookup::Raised(raised) => RuleFailure::Unexpected(raised),
    })
}

fn render_template(template: &str, data: &Value, depth: u8) -> Result<String, Lookup> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(value_error("Single '}' encountered in format string").into()),
            '{' => {
                let start = at + 1;
                let mut nesting = 1;
                let mut in_brackets = false;
                let mut end = None;
                for (at, c) in chars.by_ref() {
                    match c {
                        '[' => in_brackets = true,
                        ']' => in_brackets = false,
                        '{' if !in_brackets => nesting += 1,
                        '}' if !in_brackets => {
                            nesting -= 1;
                            if nesting == 0 {
                                end = Some(at);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else {
                    return Err(if start == template.len() {
                        value_error("Single '{' encountered in format string").into()
                    } else {
                        value_error("expected '}' before end of string").into()
                    });
                };
                out.push_str(&replacement(&template[start..end], data, depth)?);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// One replacement field: `name[key].attr!conversion:spec`.
fn replacement(field: &str, data: &Value, depth: u8) -> Result<String, Lookup> {
    let mut in_brackets = false;
    let split = field.char_indices().find(|&(_, c)| {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            _ => {}
        }
        !in_brackets && (c == '!' || c == ':')
    });
    let (name, rest) = match split {
        Some((at, _)) => (&field[..at], &field[at..]),
        None => (field, ""),
    };
    let (conversion, spec) = if let Some(rest) = rest.strip_prefix('!') {
        let mut chars = rest.chars();
        let conversion = chars
            .next()
            .ok_or_else(|| value_error("end of string while looking for conversion specifier"))?;
        let after = chars.as_str();
        let spec = match after.strip_prefix(':') {
            Some(spec) => spec,
            None if after.is_empty() => "",
            None => return Err(value_error("expected ':' after conversion specifier").into()),
        };
        (Some(conversion), spec)
    } else {
        (None, rest.strip_prefix(':').unwrap_or(""))
    };
    let value = resolve(name, data)?;
    let spec = if spec.contains('{') {
        if depth == 0 {
            return Err(value_error("Max string recursion exceeded").into());
        }
        render_template(spec, data, depth - 1)?
    } else {
        spec.to_owned()
    };
    let value = match conversion {
        None => value,
        Some('s') => Value::String(python_str(&value)),
        Some('r') => Value::String(python_repr(&value)),
        Some('a') => Value::String(ascii(&python_repr(&value))),
        Some(other) => {
            return Err(value_error(&format!("Unknown conversion specifier {other}")).into());
        }
    };
    Ok(format_value(&value, &spec)?)
}

/// Follows `data[key][0].attr` from the bound name.
fn resolve(name: &str, data: &Value) -> Result<Value, Lookup> {
    let first = name.find(['.', '[']).unwrap_or(name.len());
    let (arg, mut rest) = name.split_at(first);
    if arg.is_empty() || arg.bytes().all(|b| b.is_ascii_digit()) {
        let index = if arg.is_empty() { "0" } else { arg };
        return Err(Raised::new(
            "IndexError",
            format!("Replacement index {index} out of range for positional args tuple"),
        )
        .into());
    }
    if arg != "data" {
        return Err(Lookup::Key(python_quote(arg)));
    }
    let mut current = Cow::Borrowed(data);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let attribute = &after[..end];
            if attribute.is_empty() {
                return Err(value_error("Empty attribute in format string").into());
            }
            return Err(Raised::new(
                "AttributeError",
                format!(
                    "'{}' object has no attribute {}",
                    type_name(&current),
                    python_quote(attribute)
                ),
            )
            .into());
        }
        let after = rest.strip_prefix('[').unwrap_or(rest);
        let Some(close) = after.find(']') else {
            return Err(value_error("Missing ']' in format string").into());
        };
        let key = &after[..close];
        if key.is_empty() {
            return Err(value_error("Empty attribute in format string").into());
        }
        rest = &after[close + 1..];
        if !rest.is_empty() && !rest.starts_with(['.', '[']) {
            return Err(
                value_error("Only '.' or '[' may follow ']' in format field specifier").into(),
            );
        }
        current = item(current, key)?;
    }
    Ok(current.into_owned())
}

/// `value[key]`, where an all-digit key is an integer.
fn item<'a>(value: Cow<'a, Value>, key: &str) -> Result<Cow<'a, Value>, Lookup> {
    match value {
        Cow::Borrowed(value) => lookup(value, key),
        Cow::Owned(value) => lookup(&value, key).map(|found| Cow::Owned(found.into_owned())),
    }
}

fn lookup<'v>(value: &'v Value, key: &str) -> Result<Cow<'v, Value>, Lookup> {
    let index: Option<usize> = if key.bytes().all(|b| b.is_ascii_digit()) {
        Some(key.parse().unwrap_or(usize::MAX))
    } else {
        None
    };
    match (value, index) {
        (Value::Object(map), None) => map
            .get(key)
            .map(Cow::Borrowed)
            .ok_or_else(|| Lookup::Key(python_quote(key))),
        (Value::Object(_), Some(_)) => {
            let number = key.trim_start_matches('0');
            Err(Lookup::Key(
                if number.is_empty() { "0" } else { number }.to_owned(),
            ))
        }
        (Value::Array(items), Some(index)) => items
            .get(index)
            .map(Cow::Borrowed)
            .ok_or_else(|| Raised::new("IndexError", "list index out of range").into()),
        (Value::Array(_), None) => Err(Raised::new(
            "TypeError",
            "list indices must be integers or slices, not str",
        )
        .into()),
        (Value::String(text), Some(index)) => text
            .chars()
            .nth(index)
            .map(|c| Cow::Owned(Value::String(c.to_string())))
            .ok_or_else(|| Raised::new("IndexError", "string index out of range").into()),
        (Value::String(_), None) => {
            Err(Raised::new("TypeError", "string indices must be integers, not 'str'").into())
        }
        (other, _) => Err(Raised::new(
            "TypeError",
            format!("'{}' object is not subscriptable", type_name(other)),
        )
        .into()),
    }
}

/// Python's `ascii()` applied to a `repr()` text.
fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match u32::from(c) {
            0..=0x7f => out.push(c),
            code @ 0x80..=0xff => out.push_str(&format!("\\x{code:02x}")),
            code @ 0x100..=0xffff => out.push_str(&format!("\\u{code:04x}")),
            code => out.push_str(&format!("\\U{code:08x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::{Value, json};

    use super::*;

    fn data() -> Value {
        json!({"cpu_arch": "x86_64", "memory_mb": 16384, "auto_discovered": true,
               "ratio": 0.5, "width": 8, "nested": {"a": 1}, "empty": null, "big": 1234567,
               "inventory": {"bmc_address": "192.0.2.200",
                             "interfaces": [{"name": "eth0"}, {"name": "eth1"}]}})
    }

    #[rstest]
    #[case::key_path("{data[inventory][bmc_address]}", "192.0.2.200")]
    #[case::list_index("{data[inventory][interfaces][1][name]}", "eth1")]
    #[case::braces("literal {{braces}}", "literal {braces}")]
    #[case::zero_padded("{data[memory_mb]:08d}", "00016384")]
    #[case::boolean("{data[auto_discovered]}", "True")]
    #[case::dict("{data[nested]}", "{'a': 1}")]
    #[case::null("{data[empty]}", "None")]
    #[case::repr("{data[cpu_arch]!r}", "'x86_64'")]
    #[case::str_conversion("{data[memory_mb]!s:>7}", "  16384")]
    #[case::ascii("{data[inventory][bmc_address]!a}", "'192.0.2.200'")]
    #[case::centred("{data[cpu_arch]:*^10}", "**x86_64**")]
    #[case::truncated("{data[cpu_arch]:.3}", "x86")]
    #[case::hex("{data[memory_mb]:#x}", "0x4000")]
    #[case::grouped("{data[big]:,}", "1,234,567")]
    #[case::underscore_grouped("{data[big]:_d}", "1_234_567")]
    #[case::signed("{data[memory_mb]:+d}", "+16384")]
    #[case::fixed("{data[ratio]:.2f}", "0.50")]
    #[case::percent("{data[ratio]:.0%}", "50%")]
    #[case::exponent("{data[memory_mb]:e}", "1.638400e+04")]
    #[case::general("{data[memory_mb]:g}", "16384")]
    #[case::general_big("{data[big]:.3g}", "1.23e+06")]
    #[case::float_default("{data[ratio]:>6}", "   0.5")]
    #[case::bool_as_int("{data[auto_discovered]:d}", "1")]
    #[case::nested_spec("{data[cpu_arch]:>{data[width]}}", "  x86_64")]
    #[case::string_index("{data[cpu_arch][0]}", "x")]
    #[case::text_zero_fill("{data[cpu_arch]:010}", "x86_640000")]
    #[case::zero_fill_left("{data[width]:<05}", "80000")]
    #[case::zero_fill_grouped("{data[big]:011,}", "001,234,567")]
    #[case::zero_fill_grouped_short("{data[width]:08,}", "0,000,008")]
    #[case::zero_fill_hex_grouped("{data[big]:012_x}", "00_0012_d687")]
    fn renders_like_python(#[case] template: &str, #[case] expected: &str) {
        assert_eq!(
            render(template, &data()).as_deref(),
            Ok(expected),
            "{template}"
        );
    }

    #[test]
    fn renders_nested_values_and_keys() {
        let value = json!({"{data[cpu_arch]}": ["{data[memory_mb]}", 1, null, true]});
        assert_eq!(
            render_value(&value, &data()),
            Ok(json!({"x86_64": ["16384", 1, null, true]}))
        );
    }

    #[rstest]
    #[case::missing_key(
        "{data[missing]}",
        "Invalid formatting variable key provided in value {data[missing]}: 'missing'"
    )]
    #[case::node_name(
        "{node[uuid]}",
        "Invalid formatting variable key provided in value {node[uuid]}: 'node'"
    )]
    #[case::int_key_on_dict(
        "{data[0]}",
        "Invalid formatting variable key provided in value {data[0]}: 0"
    )]
    fn missing_keys_are_service_errors(#[case] template: &str, #[case] message: &str) {
        assert_eq!(
            render(template, &data()),
            Err(RuleFailure::Error(message.to_owned()))
        );
    }

    #[rstest]
    #[case::index_out_of_range(
        "{data[inventory][interfaces][5]}",
        "IndexError",
        "list index out of range"
    )]
    #[case::lone_brace("{", "ValueError", "Single '{' encountered in format string")]
    #[case::lone_closing("}", "ValueError", "Single '}' encountered in format string")]
    #[case::unclosed("{data", "ValueError", "expected '}' before end of string")]
    #[case::attribute(
        "{data.cpu_arch}",
        "AttributeError",
        "'dict' object has no attribute 'cpu_arch'"
    )]
    #[case::positional(
        "{}",
        "IndexError",
        "Replacement index 0 out of range for positional args tuple"
    )]
    #[case::bad_code(
        "{data[cpu_arch]:d}",
        "ValueError",
        "Unknown format code 'd' for object of type 'str'"
    )]
    #[case::spec_on_null(
        "{data[empty]:>3}",
        "TypeError",
        "unsupported format string passed to NoneType.__format__"
    )]
    #[case::huge_width(
        "{data[cpu_arch]:99999999999999999999}",
        "ValueError",
        "Too many decimal digits in format string"
    )]
    #[case::huge_precision(
        "{data[ratio]:.1000000f}",
        "ValueError",
        "Too many decimal digits in format string"
    )]
    #[case::nested_too_deep(
        "{data[cpu_arch]:{data[width]:{data[width]}}}",
        "ValueError",
        "Max string recursion exceeded"
    )]
    #[case::conversion_missing(
        "{data!}",
        "ValueError",
        "end of string while looking for conversion specifier"
    )]
    #[case::bool_code(
        "{data[auto_discovered]:s}",
        "ValueError",
        "Unknown format code 's' for object of type 'bool'"
    )]
    #[case::key_on_list(
        "{data[inventory][interfaces][x]}",
        "TypeError",
        "list indices must be integers or slices, not str"
    )]
    fn other_failures_raise(#[case] template: &str, #[case] class: &str, #[case] message: &str) {
        assert_eq!(
            render(template, &data()),
            Err(RuleFailure::Unexpected(Raised::new(class, message)))
        );
    }
}
