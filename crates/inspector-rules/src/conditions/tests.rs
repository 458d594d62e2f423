//! Condition operators: each op's matches and refusals, multiple and invert.

use rstest::rstest;
use serde_json::{Map, Value, json};

use super::*;

fn condition(op: &str, field: &str, params: Value) -> Result<Condition, InvalidRule> {
    let mut params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    let multiple = params
        .remove("multiple")
        .and_then(|m| m.as_str().and_then(Multiple::from_name))
        .unwrap_or_default();
    let invert = params
        .remove("invert")
        .and_then(|i| i.as_bool())
        .unwrap_or(false);
    Condition::compile(&ConditionDocument {
        op: op.into(),
        field: field.into(),
        multiple,
        invert,
        params,
    })
}

/// The operator applied to one field value.
fn check(op: &str, field: Value, value: Value) -> Result<bool, Raised> {
    let data = json!({ "f": field });
    condition(op, "f", json!({ "value": value }))
        .expect("valid")
        .holds(&data, &Value::Null)
}

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const E: Option<bool> = None;

// The spec's verified truth table: field, value → eq ne gt ge le lt (None = raises).
#[rstest]
#[case(json!(42), json!(42), [T, F, F, T, T, F])]
#[case(json!("42"), json!(42), [T, F, F, T, T, F])]
#[case(json!("4.2"), json!(4.2), [T, F, F, T, T, F])]
#[case(json!(42), json!(41), [F, T, T, T, F, F])]
#[case(json!("4.2"), json!(4.0), [F, T, T, T, F, F])]
#[case(json!("41"), json!(42), [F, T, F, F, T, T])]
#[case(json!(16384), json!("16384"), [F, T, E, E, E, E])]
#[case(json!(true), json!(true), [T, F, F, T, T, F])]
#[case(json!(true), json!("true"), [F, T, E, E, E, E])]
#[case(json!("x86_64"), json!("X86_64"), [F, T, T, T, F, F])]
#[case(json!(null), json!(1), [E, E, E, E, E, E])]
#[case(json!("x86_64"), json!(5), [E, E, E, E, E, E])]
#[case(json!(4.7), json!(4), [T, F, F, T, T, F])]
#[case(json!(" 7 "), json!(7), [T, F, F, T, T, F])]
#[case(json!("1e3"), json!(1000.0), [T, F, F, T, T, F])]
#[case(json!(false), json!(0), [T, F, F, T, T, F])]
#[case(json!([1, 2]), json!([1, 2]), [T, F, F, T, T, F])]
#[case(json!([1, 3]), json!([1, 2, 9]), [F, T, T, T, F, F])]
#[case(json!({"a": 1}), json!({"a": 1}), [T, F, E, E, E, E])]
#[case(json!(null), json!("x"), [F, T, E, E, E, E])]
#[case(json!("b"), json!("a"), [F, T, T, T, F, F])]
#[case(json!("inf"), json!(4.2), [F, T, T, T, F, F])]
#[case(json!("nan"), json!(1.0), [F, T, F, F, F, F])]
#[case(json!(1e20), json!(1), [F, T, T, T, F, F])]
fn comparisons_coerce_like_upstream(
    #[case] field: Value,
    #[case] value: Value,
    #[case] expected: [Option<bool>; 6],
) {
    for (op, expected) in ["eq", "ne", "gt", "ge", "le", "lt"].iter().zip(expected) {
        let result = check(op, field.clone(), value.clone()).ok();
        assert_eq!(result, expected, "{field} {op} {value}");
    }
}

#[rstest]
#[case::float_text_to_int(json!("4.2"), json!(4), "ValueError", "invalid literal for int() with base 10: '4.2'")]
#[case::null_to_int(json!(null), json!(1), "TypeError", "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")]
#[case::text_to_float(json!("abc"), json!(1.5), "ValueError", "could not convert string to float: 'abc'")]
fn coercion_errors_name_the_exception(
    #[case] field: Value,
    #[case] value: Value,
    #[case] class: &str,
    #[case] message: &str,
) {
    assert_eq!(check("eq", field, value), Err(Raised::new(class, message)));
}

// The reference example: eq on interfaces[*].ip with each `multiple`.
#[rstest]
#[case(&["1.1.1.1", "1.2.3.4", "1.3.2.2"], [true, false, false])]
#[case(&["1.2.3.4"], [true, true, true])]
#[case(&["1.1.1.1", "1.3.2.2"], [false, false, false])]
#[case(&["1.2.3.4", "1.3.2.2"], [true, false, true])]
fn multiple_combines_values(#[case] ips: &[&str], #[case] expected: [bool; 3]) {
    let data = json!({"interfaces": ips.iter().map(|ip| json!({"ip": ip})).collect::<Vec<_>>()});
    for (multiple, expected) in ["any", "all", "first"].iter().zip(expected) {
        let c = condition(
            "eq",
            "interfaces[*].ip",
            json!({"value": "1.2.3.4", "multiple": multiple}),
        )
        .expect("valid");
        assert_eq!(c.holds(&data, &Value::Null), Ok(expected), "{multiple}");
    }
}

#[rstest]
// invert applies per value before aggregation: "some value does not match".
#[case::any_inverted(json!(["a", "b"]), "any", true, true)]
#[case::all_inverted(json!(["a", "b"]), "all", true, false)]
#[case::all_inverted_none_match(json!(["b", "c"]), "all", true, true)]
#[case::first_inverted(json!(["a", "b"]), "first", true, false)]
#[case::not_inverted(json!(["b"]), "any", false, false)]
fn invert_negates_each_value(
    #[case] values: Value,
    #[case] multiple: &str,
    #[case] invert: bool,
    #[case] expected: bool,
) {
    let data = json!({ "l": values });
    let c = condition(
        "eq",
        "l[*]",
        json!({"value": "a", "multiple": multiple, "invert": invert}),
    )
    .expect("valid");
    assert_eq!(c.holds(&data, &Value::Null), Ok(expected));
}

#[rstest]
#[case::eq("eq", json!({"value": 1}), false)]
#[case::eq_inverted("eq", json!({"value": 1, "invert": true}), false)]
#[case::is_empty("is-empty", json!({}), true)]
#[case::is_none("is-none", json!({}), true)]
#[case::is_false("is-false", json!({}), false)]
fn a_missing_field(#[case] op: &str, #[case] params: Value, #[case] expected: bool) {
    let c = condition(op, "missing.field", params).expect("valid");
    assert_eq!(c.holds(&json!({}), &Value::Null), Ok(expected));
}

#[rstest]
#[case::inside("192.0.2.4", "192.0.2.1/24", true)]
#[case::outside("192.1.2.4", "192.0.2.1/24", false)]
#[case::bare_address("192.0.2.4", "192.0.2.4", true)]
#[case::other_family("2001:db8::1", "192.0.2.0/24", false)]
#[case::ipv6("2001:db8::1", "2001:db8::/32", true)]
#[case::netmask("10.1.2.3", "10.0.0.0/255.0.0.0", true)]
#[case::hostmask("10.1.2.3", "10.0.0.0/0.255.255.255", true)]
#[case::netmask_outside("11.1.2.3", "10.0.0.0/255.0.0.0", false)]
fn in_net(#[case] address: &str, #[case] network: &str, #[case] expected: bool) {
    assert_eq!(
        check("in-net", json!(address), json!(network)),
        Ok(expected)
    );
}

#[test]
fn in_net_takes_integers_as_addresses() {
    assert_eq!(
        check("in-net", json!(3_221_225_988_u64), json!("192.0.2.0/24")),
        Ok(true)
    );
}

#[test]
fn in_net_on_a_non_address_raises() {
    let error = check("in-net", json!("not-an-ip"), json!("10.0.0.0/8")).expect_err("raises");
    assert_eq!(error.class, "AddrFormatError");
}

#[rstest]
#[case::matches_quantifier("matches", "fo{1,2}", json!("foo"), true)]
#[case::matches_anchors_start("matches", "o{1,2}", json!("foo"), false)]
#[case::matches_number_text("matches", "[1-9]*", json!(42), true)]
#[case::matches_alternation_group("matches", "^(foo|bar)$", json!("foo"), true)]
#[case::matches_full("matches", "fo", json!("foo"), false)]
#[case::matches_prefix_only("matches", "PowerEdge", json!("PowerEdge R640"), false)]
#[case::matches_wildcard("matches", "PowerEdge.*", json!("PowerEdge R640"), true)]
#[case::matches_dollar_binds_last_branch("matches", "foo|bar", json!("foobar123"), true)]
#[case::matches_case_flag("matches", "(?i)dell.*", json!("DELL Inc."), true)]
#[case::matches_trailing_newline("matches", "abc", json!("abc\n"), true)]
#[case::matches_lookahead("matches", "a(?=b)b", json!("ab"), true)]
#[case::matches_backreference("matches", r"(a)\1", json!("aa"), true)]
#[case::matches_bool_text("matches", "True", json!(true), true)]
#[case::matches_multiline_dollar("matches", "(?m)a$", json!("a\nb"), true)]
#[case::matches_literal_braces("matches", "{foo}", json!("{foo}"), true)]
#[case::matches_open_brace("matches", "a{", json!("a{"), true)]
#[case::matches_repetition_from_zero("matches", "a{,2}b", json!("aab"), true)]
#[case::matches_bracket_in_class("matches", "[[]x", json!("[x"), true)]
#[case::matches_ampersands_in_class("matches", "[&&a]+", json!("&a&"), true)]
#[case::matches_end_of_text("matches", r"ab\Z", json!("ab"), true)]
#[case::contains_anywhere("contains", "o{1,2}", json!("foo"), true)]
#[case::contains_absent("contains", "bar", json!("foo"), false)]
#[case::contains_capability("contains", "boot_mode:uefi", json!("boot_mode:uefi"), true)]
fn regular_expressions(
    #[case] op: &str,
    #[case] pattern: &str,
    #[case] field: Value,
    #[case] expected: bool,
) {
    assert_eq!(check(op, field, json!(pattern)), Ok(expected));
}

#[rstest]
#[case::empty_string(json!(""), true)]
#[case::null(json!(null), true)]
#[case::empty_list(json!([]), true)]
#[case::empty_dict(json!({}), true)]
#[case::zero(json!(0), false)]
#[case::false_(json!(false), false)]
#[case::zero_text(json!("0"), false)]
#[case::text(json!("a"), false)]
fn is_empty(#[case] field: Value, #[case] expected: bool) {
    let c = condition("is-empty", "f", json!({})).expect("valid");
    assert_eq!(c.holds(&json!({ "f": field }), &Value::Null), Ok(expected));
}

// Beyond upstream: the operators of Ironic's built-in inspection rules.
#[rstest]
#[case(json!(true), [true, false, false])]
#[case(json!(false), [false, true, false])]
#[case(json!(1), [true, false, false])]
#[case(json!(0.0), [false, true, false])]
#[case(json!("Yes"), [true, false, false])]
#[case(json!("TRUE"), [true, false, false])]
#[case(json!("no"), [false, true, false])]
#[case(json!("False"), [false, true, false])]
#[case(json!("maybe"), [false, false, false])]
#[case(json!(null), [false, true, true])]
#[case(json!([1]), [false, false, false])]
fn truthiness_operators(#[case] field: Value, #[case] expected: [bool; 3]) {
    for (op, expected) in ["is-true", "is-false", "is-none"].iter().zip(expected) {
        let c = condition(op, "f", json!({})).expect("valid");
        assert_eq!(
            c.holds(&json!({ "f": field }), &Value::Null),
            Ok(expected),
            "{op} {field}"
        );
    }
}

#[rstest]
#[case::listed(json!("b"), true)]
#[case::numeric_equality(json!(1.0), true)]
#[case::unlisted(json!("c"), false)]
#[case::list_value(json!([1, 2]), true)]
fn one_of(#[case] field: Value, #[case] expected: bool) {
    let c = condition("one-of", "f", json!({"values": ["a", "b", 1, [1, 2]]})).expect("valid");
    assert_eq!(c.holds(&json!({ "f": field }), &Value::Null), Ok(expected));
}

#[test]
fn node_fields_read_the_node() {
    let c = condition("eq", "node://properties.cpus", json!({"value": 4})).expect("valid");
    assert_eq!(c.source(), Source::Node);
    let node = json!({"properties": {"cpus": "4"}});
    assert_eq!(
        c.holds(&json!({"properties": {"cpus": 1}}), &node),
        Ok(true)
    );
}

#[rstest]
#[case::bad_scheme("eq", "http://x", json!({"value": 1}), "Unsupported scheme for field: http, valid values are node:// or data://")]
#[case::bad_path("eq", "data://[[[", json!({"value": 1}), "Unable to parse field JSON path data://[[[: Parse error at 1:1 near token [ ([)")]
#[case::empty_path("eq", "data://", json!({"value": 1}), "Unable to parse field JSON path data://: Parse error near the end of string!")]
#[case::missing_value("eq", "f", json!({}), "Invalid parameters for operator eq: missing required parameter(s): value")]
#[case::null_value("lt", "f", json!({"value": null}), "Invalid parameters for operator lt: missing required parameter(s): value")]
#[case::unexpected("ge", "f", json!({"value": 1, "other": 2}), "Invalid parameters for operator ge: unexpected parameter(s): other")]
#[case::is_empty_value("is-empty", "f", json!({"value": 1}), "Invalid parameters for operator is-empty: unexpected parameter(s): value")]
#[case::bad_network("in-net", "f", json!({"value": "192.0.2.300/24"}), "Invalid parameters for operator in-net: invalid value: invalid IPNetwork 192.0.2.300/24")]
#[case::bad_regex("matches", "f", json!({"value": "("}), "Invalid parameters for operator matches: invalid regular expression: ")]
#[case::regex_missing("contains", "f", json!({}), "Invalid parameters for operator contains: missing required parameter(s): value")]
#[case::bad_escape_before_dollar("matches", "f", json!({"value": "abc\\"}), "Invalid parameters for operator matches: invalid regular expression: bad escape (end of pattern)")]
#[case::bad_mask("in-net", "f", json!({"value": "10.0.0.0/255.0.255.0"}), "Invalid parameters for operator in-net: invalid value: invalid IPNetwork 10.0.0.0/255.0.255.0")]
#[case::one_of_not_list("one-of", "f", json!({"values": "a"}), "Invalid parameters for operator one-of: invalid value: values must be a list")]
fn validation_messages(
    #[case] op: &str,
    #[case] field: &str,
    #[case] params: Value,
    #[case] prefix: &str,
) {
    let error = condition(op, field, params).expect_err("invalid");
    assert!(
        error.0.starts_with(prefix),
        "{} does not start with {prefix}",
        error.0
    );
}

#[test]
fn regex_parameters_beyond_value_are_kept() {
    assert!(condition("matches", "f", json!({"value": "a", "extra": 1})).is_ok());
}
