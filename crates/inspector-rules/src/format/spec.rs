//! Python's format-spec mini-language (`[[fill]align][sign][#][0][width][grouping][.precision][type]`)
//! and `format(value, spec)` for the JSON values a template can reach.

use inspector_types::python_str;
use serde_json::Value;

use super::value_error;
use crate::error::Raised;
use crate::python::type_name;

/// Widths and precisions beyond this are refused (Python would exhaust memory).
const MAX_DIGITS: usize = 100_000;

/// The standard format specification mini-language.
#[derive(Debug, Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse_spec(text: &str) -> Result<Spec, Raised> {
    let chars: Vec<char> = text.chars().collect();
    let mut spec = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '=' | '^');
    if chars.len() >= 2 && is_align(chars[1]) {
        spec.fill = Some(chars[0]);
        spec.align = Some(chars[1]);
        i = 2;
    } else if chars.first().copied().is_some_and(is_align) {
        spec.align = Some(chars[0]);
        i = 1;
    }
    if let Some(&c @ ('+' | '-' | ' ')) = chars.get(i) {
        spec.sign = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        spec.alternate = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        spec.zero = true;
        i += 1;
    }
    let digits = |i: &mut usize| -> Option<usize> {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        (start < *i).then(|| {
            chars[start..*i]
                .iter()
                .collect::<String>()
                .parse()
                .unwrap_or(usize::MAX)
        })
    };
    spec.width = digits(&mut i).unwrap_or(0);
    if let Some(&c @ (',' | '_')) = chars.get(i) {
        spec.grouping = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        spec.precision =
            Some(digits(&mut i).ok_or_else(|| value_error("Format specifier missing precision"))?);
    }
    if let Some(&c) = chars.get(i) {
        spec.kind = Some(c);
        i += 1;
    }
    if i != chars.len() {
        return Err(value_error("Invalid format specifier"));
    }
    if spec.width > MAX_DIGITS || spec.precision.is_some_and(|p| p > MAX_DIGITS) {
        return Err(value_error("Too many decimal digits in format string"));
    }
    Ok(spec)
}

/// Python's `format(value, spec)`.
pub(super) fn format_value(value: &Value, spec_text: &str) -> Result<String, Raised> {
    if spec_text.is_empty() {
        return Ok(python_str(value));
    }
    let spec = parse_spec(spec_text)?;
    match value {
        Value::String(text) => format_str(text, &spec),
        Value::Bool(b) => format_int(i128::from(*b), &spec, "bool"),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => format_int(i128::from(i), &spec, "int"),
            (_, Some(u), _) => format_int(i128::from(u), &spec, "int"),
            (_, _, f) => format_float(f.unwrap_or(f64::NAN), &spec),
        },
        other => Err(Raised::new(
            "TypeError",
            format!(
                "unsupported format string passed to {}.__format__",
                type_name(other)
            ),
        )),
    }
}

fn unknown_code(code: char, kind: &str) -> Raised {
    value_error(&format!(
        "Unknown format code '{code}' for object of type '{kind}'"
    ))
}

fn format_str(text: &str, spec: &Spec) -> Result<String, Raised> {
    if let Some(code) = spec.kind.filter(|&c| c != 's') {
        return Err(unknown_code(code, "str"));
    }
    if spec.sign.is_some() {
        return Err(value_error("Sign not allowed in string format specifier"));
    }
    if spec.alternate {
        return Err(value_error(
            "Alternate form (#) not allowed in string format specifier",
        ));
    }
    if spec.align == Some('=') {
        return Err(value_error(
            "'=' alignment not allowed in string format specifier",
        ));
    }
    let body: String = match spec.precision {
        Some(precision) => text.chars().take(precision).collect(),
        None => text.to_owned(),
    };
    let fill = spec.fill.unwrap_or(if spec.zero { '0' } else { ' ' });
    Ok(pad("", &body, spec.width, fill, spec.align.unwrap_or('<')))
}

/// Pads `prefix` + `body` to `width` (`=` pads between them).
fn pad(prefix: &str, body: &str, width: usize, fill: char, align: char) -> String {
    let len = prefix.chars().count() + body.chars().count();
    let missing = width.saturating_sub(len);
    let fill_n = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    match align {
        '<' => format!("{prefix}{body}{}", fill_n(missing)),
        '^' => format!(
            "{}{prefix}{body}{}",
            fill_n(missing / 2),
            fill_n(missing - missing / 2)
        ),
        '=' => format!("{prefix}{}{body}", fill_n(missing)),
        _ => format!("{}{prefix}{body}", fill_n(missing)),
    }
}

fn sign_text(negative: bool, sign: Option<char>) -> &'static str {
    match (negative, sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

fn group(digits: &str, every: usize, separator: char) -> String {
    let (int_part, rest) =
        digits.split_at(digits.find(['.', 'e', 'E', '%']).unwrap_or(digits.len()));
    let mut out = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % every == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out + rest
}

/// Aligns a formatted number: default right; the `0` flag fills with `0`
/// (between sign and digits unless an alignment is given).
fn finish_number(sign: &str, prefix: &str, digits: String, spec: &Spec, every: usize) -> String {
    let (fill, align) = match (spec.fill, spec.align, spec.zero) {
        (Some(fill), Some(align), _) => (fill, align),
        (None, Some(align), zero) => (if zero { '0' } else { ' ' }, align),
        (_, None, true) => ('0', '='),
        (_, None, false) => (' ', '>'),
    };
    let head = format!("{sign}{prefix}");
    if let (Some(separator), '=', '0') = (spec.grouping, align, fill) {
        // Zero padding takes part in grouping, as in Python.
        let (int_part, rest) =
            digits.split_at(digits.find(['.', 'e', 'E', '%']).unwrap_or(digits.len()));
        let plain: String = int_part.chars().filter(|c| *c != separator).collect();
        let target = spec
            .width
            .saturating_sub(head.chars().count() + rest.chars().count());
        let mut count = plain.len();
        while count + count.saturating_sub(1) / every < target {
            count += 1;
        }
        let padded = format!("{}{plain}", "0".repeat(count - plain.len()));
        return format!("{head}{}{rest}", group(&padded, every, separator));
    }
    pad(&head, &digits, spec.width, fill, align)
}

fn format_int(value: i128, spec: &Spec, kind: &str) -> Result<String, Raised> {
    let code = spec.kind.unwrap_or('d');
    if matches!(code, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') {
        return format_float(value as f64, spec);
    }
    if spec.precision.is_some() {
        return Err(value_error(
            "Precision not allowed in integer format specifier",
        ));
    }
    let magnitude = value.unsigned_abs();
    let (digits, prefix, every) = match code {
        'd' | 'n' => (magnitude.to_string(), "", 3),
        'b' => (format!("{magnitude:b}"), "0b", 4),
        'o' => (format!("{magnitude:o}"), "0o", 4),
        'x' => (format!("{magnitude:x}"), "0x", 4),
        'X' => (format!("{magnitude:X}"), "0X", 4),
        'c' => {
            let c = u32::try_from(value)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| Raised::new("OverflowError", "%c arg not in range(0x110000)"))?;
            return Ok(pad(
                "",
                &c.to_string(),
                spec.width,
                spec.fill.unwrap_or(' '),
                spec.align.unwrap_or('<'),
            ));
        }
        other => return Err(unknown_code(other, kind)),
    };
    let digits = match spec.grouping {
        Some(separator) => group(&digits, every, separator),
        None => digits,
    };
    let prefix = if spec.alternate { prefix } else { "" };
    Ok(finish_number(
        sign_text(value < 0, spec.sign),
        prefix,
        digits,
        spec,
        every,
    ))
}

/// `{:e}` in Python's form: `1.500000e+03`.
fn exponent_form(value: f64, precision: usize, upper: bool) -> String {
    let text = format!("{value:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    format!(
        "{mantissa}{e}{}{:02}",
        if exponent < 0 { '-' } else { '+' },
        exponent.abs()
    )
}

/// The `g` presentation: fixed or exponent form by magnitude, zeros trimmed.
fn general_form(value: f64, precision: usize, upper: bool, keep_zeros: bool) -> String {
    let precision = precision.max(1);
    if value == 0.0 {
        return if keep_zeros {
            format!("{:.*}", precision - 1, 0.0)
        } else {
            "0".to_owned()
        };
    }
    let exponent_text = format!("{:.*e}", precision - 1, value);
    let exponent: i32 = exponent_text
        .split_once('e')
        .map_or(0, |(_, e)| e.parse().unwrap_or(0));
    let text = if -4 <= exponent && exponent < precision as i32 {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        format!("{value:.decimals$}")
    } else {
        exponent_form(value, precision - 1, upper)
    };
    if keep_zeros {
        return text;
    }
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => text.split_at(at),
        None => (text.as_str(), ""),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}{exponent}")
}

fn format_float(value: f64, spec: &Spec) -> Result<String, Raised> {
    let magnitude = value.abs();
    let upper = matches!(spec.kind, Some('E' | 'F' | 'G'));
    let digits = if !magnitude.is_finite() {
        let text = if magnitude.is_nan() { "nan" } else { "inf" };
        let text = if upper {
            text.to_uppercase()
        } else {
            text.to_owned()
        };
        if spec.kind == Some('%') {
            format!("{text}%")
        } else {
            text
        }
    } else {
        match spec.kind {
            Some('f' | 'F') => format!("{magnitude:.*}", spec.precision.unwrap_or(6)),
            Some('e' | 'E') => exponent_form(magnitude, spec.precision.unwrap_or(6), upper),
            Some('g' | 'G' | 'n') => general_form(
                magnitude,
                spec.precision.unwrap_or(6),
                upper,
                spec.alternate,
            ),
            Some('%') => format!("{:.*}%", spec.precision.unwrap_or(6), magnitude * 100.0),
            None => match spec.precision {
                Some(precision) => {
                    let text = general_form(magnitude, precision, false, spec.alternate);
                    if text.contains(['.', 'e']) {
                        text
                    } else {
                        format!("{text}.0")
                    }
                }
                None => python_str(&Value::from(magnitude)),
            },
            Some(other) => return Err(unknown_code(other, "float")),
        }
    };
    let digits = match spec.grouping {
        Some(separator) if magnitude.is_finite() => group(&digits, 3, separator),
        _ => digits,
    };
    let negative = value.is_sign_negative() && !value.is_nan();
    Ok(finish_number(
        sign_text(negative, spec.sign),
        "",
        digits,
        spec,
        3,
    ))
}
