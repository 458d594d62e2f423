//! Python semantics of JSON values that conditions rely on: `int()` and
//! `float()` conversions, equality and ordering across types, type names.

use std::cmp::Ordering;

use inspector_types::python_quote;
use serde_json::Value;

use crate::error::Raised;

pub(crate) use inspector_types::python_type_name as type_name;

/// A number of either Python kind; booleans are integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
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

/// A float's integer part; beyond `i128` it stays a (whole) float.
fn truncated(f: f64) -> Num {
    let whole = f.trunc();
    if whole.abs() < 1.0e38 {
        Num::Int(whole as i128)
    } else {
        Num::Float(whole)
    }
}

/// Python's `int(value)`.
pub(crate) fn to_int(value: &Value) -> Result<Num, Raised> {
    match (number(value), value) {
        (Some(Num::Float(f)), _) if f.is_nan() => Err(Raised::new(
            "ValueError",
            "cannot convert float NaN to integer",
        )),
        (Some(Num::Float(f)), _) if f.is_infinite() => Err(Raised::new(
            "OverflowError",
            "cannot convert float infinity to integer",
        )),
        (Some(Num::Float(f)), _) => Ok(truncated(f)),
        (Some(int), _) => Ok(int),
        (None, Value::String(text)) => parse_int(text).ok_or_else(|| {
            Raised::new(
                "ValueError",
                format!(
                    "invalid literal for int() with base 10: {}",
                    python_quote(text)
                ),
            )
        }),
        (None, other) => Err(Raised::new(
            "TypeError",
            format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                type_name(other)
            ),
        )),
    }
}

/// Python's `float(value)`.
pub(crate) fn to_float(value: &Value) -> Result<Num, Raised> {
    match (number(value), value) {
        (Some(Num::Int(i)), _) => Ok(Num::Float(i as f64)),
        (Some(float), _) => Ok(float),
        (None, Value::String(text)) => parse_float(text).map(Num::Float).ok_or_else(|| {
            Raised::new(
                "ValueError",
                format!("could not convert string to float: {}", python_quote(text)),
            )
        }),
        (None, other) => Err(Raised::new(
            "TypeError",
            format!(
                "float() argument must be a string or a real number, not '{}'",
                type_name(other)
            ),
        )),
    }
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

fn parse_int(text: &str) -> Option<Num> {
    let text = without_underscores(text.trim())?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match text.parse::<i128>() {
        Ok(int) => Some(Num::Int(int)),
        // Beyond i128: exact to about 16 digits, enough to compare.
        Err(_) => text.parse::<f64>().ok().map(Num::Float),
    }
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

/// Python's comparison of a converted number with a JSON value: numbers by
/// value, anything else unequal (and unordered: an error for `symbol`).
pub(crate) fn num_order(a: Num, b: &Value, symbol: &str) -> Result<Option<Ordering>, Raised> {
    match number(b) {
        Some(b) => Ok(numeric_order(a, b)),
        None => Err(Raised::new(
            "TypeError",
            format!(
                "'{symbol}' not supported between instances of '{}' and '{}'",
                match a {
                    Num::Int(_) => "int",
                    Num::Float(_) => "float",
                },
                type_name(b)
            ),
        )),
    }
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
        assert_eq!(to_int(&input), Ok(number(&expected).expect("a number")));
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
        assert_eq!(to_float(&input), Ok(Num::Float(expected)));
    }

    #[rstest]
    #[case::inf("inf", f64::INFINITY)]
    #[case::infinity("-Infinity", f64::NEG_INFINITY)]
    fn float_conversion_of_infinities(#[case] text: &str, #[case] expected: f64) {
        assert_eq!(to_float(&json!(text)), Ok(Num::Float(expected)));
    }

    #[rstest]
    #[case::big_float(json!(1e20), Num::Int(100_000_000_000_000_000_000))]
    #[case::big_text(json!("99999999999999999999"), Num::Int(99_999_999_999_999_999_999))]
    fn large_integers_convert(#[case] input: Value, #[case] expected: Num) {
        assert_eq!(to_int(&input), Ok(expected));
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
