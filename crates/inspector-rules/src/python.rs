//! Python semantics of JSON values that conditions rely on: `int()` and
//! `float()` conversions, equality and ordering across types, type names.

use std::cmp::Ordering;

use inspector_types::python_quote;
use serde_json::{Number, Value};

use crate::error::Raised;

pub(crate) use inspector_types::python_type_name as type_name;

/// A number of either Python kind; booleans are integers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
}

fn number(value: &Value) -> Option<Num> {
    match value {
        Value::Bool(b) => Some(Num::Int(i128::from(*b))),
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Num::Int(i128::from(i)),
            (_, Some(u)) => Num::Int(i128::from(u)),
            _ => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        _ => None,
    }
}

fn int_value(value: i128) -> Result<Value, Raised> {
    i64::try_from(value)
        .map(Value::from)
        .or_else(|_| u64::try_from(value).map(Value::from))
        .map_err(|_| Raised::new("OverflowError", "int too large to convert"))
}

/// Python's `int(value)`.
pub(crate) fn to_int(value: &Value) -> Result<Value, Raised> {
    match value {
        Value::Bool(_) | Value::Number(_) => match number(value) {
            Some(Num::Int(i)) => int_value(i),
            Some(Num::Float(f)) if f.is_nan() => Err(Raised::new(
                "ValueError",
                "cannot convert float NaN to integer",
            )),
            Some(Num::Float(f)) if f.is_infinite() => Err(Raised::new(
                "OverflowError",
                "cannot convert float infinity to integer",
            )),
            Some(Num::Float(f)) => int_value(f.trunc() as i128),
            None => unreachable_number(),
        },
        Value::String(text) => parse_int(text).ok_or_else(|| {
            Raised::new(
                "ValueError",
                format!(
                    "invalid literal for int() with base 10: {}",
                    python_quote(text)
                ),
            )
        }),
        other => Err(Raised::new(
            "TypeError",
            format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                type_name(other)
            ),
        )),
    }
}

fn unreachable_number<T>() -> Result<T, Raised> {
    Err(Raised::new("TypeError", "not a number"))
}

/// Python's `float(value)`.
pub(crate) fn to_float(value: &Value) -> Result<Value, Raised> {
    let float = match value {
        Value::Bool(_) | Value::Number(_) => match number(value) {
            Some(Num::Int(i)) => i as f64,
            Some(Num::Float(f)) => f,
            None => return unreachable_number(),
        },
        Value::String(text) => parse_float(text).ok_or_else(|| {
            Raised::new(
                "ValueError",
                format!("could not convert string to float: {}", python_quote(text)),
            )
        })?,
        other => {
            return Err(Raised::new(
                "TypeError",
                format!(
                    "float() argument must be a string or a real number, not '{}'",
                    type_name(other)
                ),
            ));
        }
    };
    Ok(Number::from_f64(float).map_or(Value::Null, Value::Number))
}

/// Underscores are allowed between digits only, as in Python literals.
fn without_underscores(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    for (at, byte) in bytes.iter().enumerate() {
        if *byte == b'_' {
            let before = at.checked_sub(1).and_then(|b| bytes.get(b));
            let after = bytes.get(at + 1);
            if !before.is_some_and(u8::is_ascii_digit) || !after.is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
    }
    Some(text.replace('_', ""))
}

fn parse_int(text: &str) -> Option<Value> {
    let text = without_underscores(text.trim())?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int_value(text.parse::<i128>().ok()?).ok()
}

fn parse_float(text: &str) -> Option<f64> {
    let text = without_underscores(text.trim())?;
    let body = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let named = ["inf", "infinity", "nan"]
        .iter()
        .any(|name| body.eq_ignore_ascii_case(name));
    let numeric = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !named && !numeric {
        return None;
    }
    text.parse().ok()
}

/// Python's `a == b` on JSON values (`1 == 1.0 == True`).
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => numeric_order(x, y) == Some(Ordering::Equal),
        (None, None) => match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::String(x), Value::String(y)) => x == y,
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(key, x)| y.get(key).is_some_and(|y| equal(x, y)))
            }
            _ => false,
        },
        _ => false,
    }
}

fn numeric_order(x: Num, y: Num) -> Option<Ordering> {
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Int(x), Num::Float(y)) => (x as f64).partial_cmp(&y),
        (Num::Float(x), Num::Int(y)) => x.partial_cmp(&(y as f64)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
    }
}

/// Python's ordering of `a` and `b` for the operator `symbol` (`<`, `>=`,
/// ...); `None` when no order holds (NaN); an error between types Python
/// cannot order.
pub(crate) fn order(a: &Value, b: &Value, symbol: &str) -> Result<Option<Ordering>, Raised> {
    match (number(a), number(b), a, b) {
        (Some(x), Some(y), _, _) => Ok(numeric_order(x, y)),
        (_, _, Value::String(x), Value::String(y)) => Ok(Some(x.as_str().cmp(y.as_str()))),
        (_, _, Value::Array(x), Value::Array(y)) => {
            match x.iter().zip(y).find(|(x, y)| !equal(x, y)) {
                Some((x, y)) => order(x, y, symbol),
                None => Ok(Some(x.len().cmp(&y.len()))),
            }
        }
        _ => Err(Raised::new(
            "TypeError",
            format!(
                "'{symbol}' not supported between instances of '{}' and '{}'",
                type_name(a),
                type_name(b)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::{Value, json};

    use super::*;

    #[rstest]
    #[case::int(json!(42), json!(42))]
    #[case::bool(json!(true), json!(1))]
    #[case::float_truncates(json!(4.7), json!(4))]
    #[case::negative_float(json!(-4.7), json!(-4))]
    #[case::text(json!(" 7 "), json!(7))]
    #[case::signed_text(json!("-3"), json!(-3))]
    #[case::underscores(json!("1_000"), json!(1000))]
    fn int_conversion(#[case] input: Value, #[case] expected: Value) {
        assert_eq!(to_int(&input), Ok(expected));
    }

    #[rstest]
    #[case::float_text(json!("4.2"), "ValueError", "invalid literal for int() with base 10: '4.2'")]
    #[case::word(json!("x86_64"), "ValueError", "invalid literal for int() with base 10: 'x86_64'")]
    #[case::true_text(json!("true"), "ValueError", "invalid literal for int() with base 10: 'true'")]
    #[case::null(json!(null), "TypeError", "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")]
    #[case::list(json!([1]), "TypeError", "int() argument must be a string, a bytes-like object or a real number, not 'list'")]
    #[case::double_underscore(json!("1__0"), "ValueError", "invalid literal for int() with base 10: '1__0'")]
    fn int_conversion_errors(#[case] input: Value, #[case] class: &str, #[case] message: &str) {
        assert_eq!(to_int(&input), Err(Raised::new(class, message)));
    }

    #[rstest]
    #[case::int(json!(42), 42.0)]
    #[case::bool(json!(true), 1.0)]
    #[case::text(json!("4.2"), 4.2)]
    #[case::padded(json!(" 42 "), 42.0)]
    #[case::exponent(json!("1e3"), 1000.0)]
    fn float_conversion(#[case] input: Value, #[case] expected: f64) {
        assert_eq!(to_float(&input), Ok(json!(expected)));
    }

    #[rstest]
    #[case::inf("inf")]
    #[case::infinity("-Infinity")]
    fn float_conversion_of_infinities(#[case] text: &str) {
        // JSON cannot hold infinities: they become null after conversion but convert without error.
        assert_eq!(to_float(&json!(text)), Ok(Value::Null));
    }

    #[rstest]
    #[case::word(json!("x86_64"), "ValueError", "could not convert string to float: 'x86_64'")]
    #[case::null(json!(null), "TypeError", "float() argument must be a string or a real number, not 'NoneType'")]
    #[case::hex(json!("0x10"), "ValueError", "could not convert string to float: '0x10'")]
    fn float_conversion_errors(#[case] input: Value, #[case] class: &str, #[case] message: &str) {
        assert_eq!(to_float(&input), Err(Raised::new(class, message)));
    }

    #[rstest]
    #[case::int_float(json!(1), json!(1.0), true)]
    #[case::bool_int(json!(true), json!(1), true)]
    #[case::string_int(json!("1"), json!(1), false)]
    #[case::lists(json!([1, "a"]), json!([1.0, "a"]), true)]
    #[case::dicts(json!({"a": [1]}), json!({"a": [true]}), true)]
    #[case::null_zero(json!(null), json!(0), false)]
    fn equality(#[case] a: Value, #[case] b: Value, #[case] expected: bool) {
        assert_eq!(equal(&a, &b), expected);
    }

    #[rstest]
    #[case::strings(json!("a"), json!("b"), Some(Ordering::Less))]
    #[case::lists(json!([1, 3]), json!([1, 2, 5]), Some(Ordering::Greater))]
    #[case::prefix(json!([1]), json!([1, 2]), Some(Ordering::Less))]
    #[case::mixed_numbers(json!(2), json!(1.5), Some(Ordering::Greater))]
    fn ordering(#[case] a: Value, #[case] b: Value, #[case] expected: Option<Ordering>) {
        assert_eq!(order(&a, &b, "<"), Ok(expected));
    }

    #[test]
    fn ordering_a_number_and_a_string_raises() {
        assert_eq!(
            order(&json!(16384), &json!("16384"), ">"),
            Err(Raised::new(
                "TypeError",
                "'>' not supported between instances of 'int' and 'str'"
            ))
        );
    }
}
