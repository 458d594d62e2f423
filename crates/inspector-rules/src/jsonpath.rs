//! The JSON path dialect of rule fields: the part of "jsonpath-rw" that rules
//! use (children, quoted names, `$`, indexes, slices, `*`, `..`), with its
//! evaluation rules (a field on a list finds nothing, `[*]` on a dict or a
//! string finds the value itself, an integer index on a dict is an error).

use std::borrow::Cow;

use serde_json::Value;

use crate::error::Raised;
use crate::python::type_name;

/// Evaluating a path on a value that does not allow it (upstream raises).
type PathEvalError = Raised;

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath(Step);

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Root,
    This,
    Fields(Vec<String>),
    AnyField,
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Child(Box<Step>, Box<Step>),
    Descendants(Box<Step>, Box<Step>),
}

/// A path that does not parse; the text is jsonpath-rw's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathSyntaxError(String);

impl JsonPath {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, PathSyntaxError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
        };
        let step = parser.path()?;
        match parser.peek() {
            None => Ok(Self(step)),
            Some(token) => Err(token.error()),
        }
    }

    /// Every value the path finds in `root`, in document order.
    pub fn find<'a>(&self, root: &'a Value) -> Result<Vec<Cow<'a, Value>>, PathEvalError> {
        find(&self.0, Cow::Borrowed(root), root)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Id(String),
    Number(i64),
    Punct(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    text: String,
    column: usize,
}

impl Token {
    fn error(&self) -> PathSyntaxError {
        let (kind, value) = match &self.kind {
            Kind::Id(name) => ("ID", name.as_str()),
            Kind::Number(_) => ("NUMBER", self.text.as_str()),
            Kind::Punct("..") => ("DOUBLEDOT", ".."),
            Kind::Punct("`this`") => ("NAMED_OPERATOR", "this"),
            Kind::Punct(p) => (*p, *p),
        };
        PathSyntaxError(format!(
            "Parse error at 1:{} near token {value} ({kind})",
            self.column
        ))
    }
}

fn end_of_input() -> PathSyntaxError {
    PathSyntaxError("Parse error near the end of string!".to_owned())
}

fn lex(text: &str) -> Result<Vec<Token>, PathSyntaxError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (offset, c) = chars[i];
        let column = i;
        let start = i;
        let kind = match c {
            ' ' | '\t' | '\n' => {
                i += 1;
                continue;
            }
            '.' if chars.get(i + 1).map(|p| p.1) == Some('.') => {
                i += 2;
                Kind::Punct("..")
            }
            '$' | '.' | '*' | '[' | ']' | ':' | ',' | '(' | ')' => {
                i += 1;
                Kind::Punct(match c {
                    '$' => "$",
                    '.' => ".",
                    '*' => "*",
                    '[' => "[",
                    ']' => "]",
                    ':' => ":",
                    ',' => ",",
                    '(' => "(",
                    _ => ")",
                })
            }
            '`' => {
                let rest: String = chars[i..].iter().map(|p| p.1).collect();
                if rest.starts_with("`this`") {
                    i += 6;
                    Kind::Punct("`this`")
                } else {
                    return Err(lex_error(column, c));
                }
            }
            '\'' | '"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i).map(|p| p.1) {
                        None => return Err(lex_error(column, c)),
                        Some('\\') => {
                            if let Some(&(_, escaped)) = chars.get(i + 1) {
                                value.push(escaped);
                            }
                            i += 2;
                        }
                        Some(q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                Kind::Id(value)
            }
            c if c == '-' || c.is_ascii_digit() => {
                i += 1;
                while chars.get(i).is_some_and(|p| p.1.is_ascii_digit()) {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().map(|p| p.1).collect();
                match digits.parse() {
                    Ok(number) => Kind::Number(number),
                    Err(_) => return Err(lex_error(column, c)),
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '@' => {
                i += 1;
                while chars
                    .get(i)
                    .is_some_and(|p| p.1.is_ascii_alphanumeric() || matches!(p.1, '_' | '@' | '-'))
                {
                    i += 1;
                }
                Kind::Id(chars[start..i].iter().map(|p| p.1).collect())
            }
            other => return Err(lex_error(column, other)),
        };
        let end = chars.get(i).map_or(text.len(), |p| p.0);
        tokens.push(Token {
            kind,
            text: text[offset..end].to_owned(),
            column,
        });
    }
    Ok(tokens)
}

fn lex_error(column: usize, c: char) -> PathSyntaxError {
    PathSyntaxError(format!(
        "Error on line 1, col {column}: Unexpected character: {c} "
    ))
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<&Token, PathSyntaxError> {
        let token = self.tokens.get(self.at).ok_or_else(end_of_input)?;
        self.at += 1;
        Ok(token)
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: Kind::Punct(p), .. }) if *p == punct)
    }

    fn expect(&mut self, punct: &str) -> Result<(), PathSyntaxError> {
        let token = self.next()?;
        match token.kind {
            Kind::Punct(p) if p == punct => Ok(()),
            _ => Err(token.error()),
        }
    }

    /// `path := term (('.' | '..') term | '[' bracket ']')*`
    fn path(&mut self) -> Result<Step, PathSyntaxError> {
        let mut left = self.term()?;
        loop {
            if self.is(".") {
                self.at += 1;
                let right = self.term()?;
                left = Step::Child(Box::new(left), Box::new(right));
            } else if self.is("..") {
                self.at += 1;
                let right = self.term()?;
                left = Step::Descendants(Box::new(left), Box::new(right));
            } else if self.is("[") {
                self.at += 1;
                let right = self.bracket()?;
                left = Step::Child(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn term(&mut self) -> Result<Step, PathSyntaxError> {
        let token = self.next()?.clone();
        match token.kind {
            Kind::Punct("$") => Ok(Step::Root),
            Kind::Punct("`this`") => Ok(Step::This),
            Kind::Punct("*") => Ok(Step::AnyField),
            Kind::Punct("[") => {
                let inner = self.bracket()?;
                Ok(Step::Child(Box::new(Step::This), Box::new(inner)))
            }
            Kind::Punct("(") => {
                let inner = self.path()?;
                self.expect(")")?;
                Ok(inner)
            }
            Kind::Id(name) => self.more_fields(vec![name]),
            _ => Err(token.error()),
        }
    }

    fn more_fields(&mut self, mut names: Vec<String>) -> Result<Step, PathSyntaxError> {
        while self.is(",") {
            self.at += 1;
            let token = self.next()?;
            match &token.kind {
                Kind::Id(name) => names.push(name.clone()),
                _ => return Err(token.error()),
            }
        }
        Ok(Step::Fields(names))
    }

    /// After `[`: `*`, an index, a slice or field names, then `]`.
    fn bracket(&mut self) -> Result<Step, PathSyntaxError> {
        let token = self.next()?.clone();
        let step = match token.kind {
            Kind::Punct("*") => Step::Slice(None, None),
            Kind::Number(n) if self.is(":") => {
                self.at += 1;
                Step::Slice(Some(n), self.maybe_number())
            }
            Kind::Number(n) => Step::Index(n),
            Kind::Punct(":") => Step::Slice(None, self.maybe_number()),
            Kind::Id(name) => self.more_fields(vec![name])?,
            _ => return Err(token.error()),
        };
        self.expect("]")?;
        Ok(step)
    }

    fn maybe_number(&mut self) -> Option<i64> {
        match self.peek() {
            Some(Token {
                kind: Kind::Number(n),
                ..
            }) => {
                let n = *n;
                self.at += 1;
                Some(n)
            }
            _ => None,
        }
    }
}

type Found<'a> = Vec<Cow<'a, Value>>;

/// The most values one path may find. Each `..$` or `..*` after a `..` can
/// multiply the matches by the size of the document (`$..$..$..x` grows as
/// its cube): beyond this the evaluation fails instead of exhausting memory.
const MAX_FOUND: usize = 100_000;

/// Fails once `found` holds more than [`MAX_FOUND`] values.
fn bounded(found: &Found<'_>) -> Result<(), PathEvalError> {
    if found.len() > MAX_FOUND {
        return Err(Raised::new(
            "ValueError",
            format!("the path finds more than {MAX_FOUND} values"),
        ));
    }
    Ok(())
}

fn find<'a>(
    step: &Step,
    here: Cow<'a, Value>,
    root: &'a Value,
) -> Result<Found<'a>, PathEvalError> {
    match step {
        Step::Root => Ok(vec![Cow::Borrowed(root)]),
        Step::This => Ok(vec![here]),
        Step::Fields(names) => Ok(names.iter().filter_map(|name| field(&here, name)).collect()),
        Step::AnyField => Ok(match here {
            Cow::Borrowed(Value::Object(map)) => map.values().map(Cow::Borrowed).collect(),
            Cow::Owned(Value::Object(map)) => map.into_values().map(Cow::Owned).collect(),
            _ => Vec::new(),
        }),
        Step::Index(index) => self::index(here, *index),
        Step::Slice(start, end) => slice(here, *start, *end),
        Step::Child(left, right) => {
            let mut found = Vec::new();
            for value in find(left, here, root)? {
                found.extend(find(right, value, root)?);
                bounded(&found)?;
            }
            Ok(found)
        }
        Step::Descendants(left, right) => {
            let mut found = Vec::new();
            for value in find(left, here, root)? {
                descend(right, value, root, &mut found)?;
            }
            Ok(found)
        }
    }
}

fn field<'a>(here: &Cow<'a, Value>, name: &str) -> Option<Cow<'a, Value>> {
    match here {
        Cow::Borrowed(Value::Object(map)) => map.get(name).map(Cow::Borrowed),
        Cow::Owned(Value::Object(map)) => map.get(name).cloned().map(Cow::Owned),
        _ => None,
    }
}

fn descend<'a>(
    step: &Step,
    here: Cow<'a, Value>,
    root: &'a Value,
    found: &mut Found<'a>,
) -> Result<(), PathEvalError> {
    found.extend(find(step, here.clone(), root)?);
    bounded(found)?;
    let children: Vec<Cow<'a, Value>> = match here {
        Cow::Borrowed(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
        Cow::Borrowed(Value::Object(map)) => map.values().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Array(items)) => items.into_iter().map(Cow::Owned).collect(),
        Cow::Owned(Value::Object(map)) => map.into_values().map(Cow::Owned).collect(),
        _ => Vec::new(),
    };
    for child in children {
        descend(step, child, root, found)?;
    }
    Ok(())
}

fn position(len: usize, index: i64) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let at = if index < 0 { len + index } else { index };
    usize::try_from(at).ok().filter(|_| (0..len).contains(&at))
}

fn index(here: Cow<'_, Value>, index: i64) -> Result<Found<'_>, PathEvalError> {
    let item = match &*here {
        Value::Array(items) => match position(items.len(), index) {
            None => return Ok(Vec::new()),
            Some(at) => match here {
                Cow::Borrowed(Value::Array(items)) => Cow::Borrowed(&items[at]),
                other => Cow::Owned(other.into_owned()[at].take()),
            },
        },
        Value::String(text) => {
            let chars: Vec<char> = text.chars().collect();
            match position(chars.len(), index) {
                None => return Ok(Vec::new()),
                Some(at) => Cow::Owned(Value::String(chars[at].to_string())),
            }
        }
        // jsonpath-rw checks `len(value) > index` first: only an index within
        // the dict's size (or a negative one) reaches the failing lookup.
        Value::Object(map)
            if index >= 0 && usize::try_from(index).unwrap_or(usize::MAX) >= map.len() =>
        {
            return Ok(Vec::new());
        }
        Value::Object(_) => {
            return Err(Raised::new("KeyError", index.to_string()));
        }
        Value::Null | Value::Bool(false) => return Ok(Vec::new()),
        Value::Number(n) if n.as_f64() == Some(0.0) => return Ok(Vec::new()),
        other => {
            return Err(Raised::new(
                "TypeError",
                format!("object of type '{}' has no len()", type_name(other)),
            ));
        }
    };
    Ok(vec![item])
}

fn slice(
    here: Cow<'_, Value>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Found<'_>, PathEvalError> {
    let items: Vec<Cow<'_, Value>> = match here {
        Cow::Borrowed(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Array(items)) => items.into_iter().map(Cow::Owned).collect(),
        Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => {
            return Err(Raised::new(
                "TypeError",
                "object of type 'NoneType' has no len()".to_owned(),
            ));
        }
        here if matches!(&*here, Value::Number(n) if n.is_f64()) => {
            let _ = here;
            return Err(Raised::new(
                "TypeError",
                "object of type 'float' has no len()".to_owned(),
            ));
        }
        // Dicts, strings, integers and booleans behave as one-item lists.
        other => vec![other],
    };
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let bound = |value: Option<i64>, default: i64| -> usize {
        let value = value.unwrap_or(default);
        let value = if value < 0 { len + value } else { value };
        value.clamp(0, len) as usize
    };
    let (from, to) = (bound(start, 0), bound(end, len));
    Ok(items
        .into_iter()
        .skip(from)
        .take(to.saturating_sub(from))
        .collect())
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::{Value, json};

    use super::JsonPath;

    fn sample() -> Value {
        json!({"a": {"b": 1, "x": 2, "b c": 3, "n": null},
               "l": [[1, 2], [3]],
               "m": [{"k": 1}, {"k": 2}, {"j": 3}],
               "s": "text", "i": 7, "f": 1.5})
    }

    #[rstest]
    #[case::child("a.b", json!([1]))]
    #[case::root("$.a.b", json!([1]))]
    #[case::quoted("a.'b c'", json!([3]))]
    #[case::double_quoted("a.\"b c\"", json!([3]))]
    #[case::bracketed_name("a['b c']", json!([3]))]
    #[case::null_is_found("a.n", json!([null]))]
    #[case::missing("a.zz", json!([]))]
    #[case::index("l[0][1]", json!([2]))]
    #[case::negative_index("l[-1]", json!([[3]]))]
    #[case::index_out_of_range("l[5]", json!([]))]
    #[case::negative_out_of_range("l[-5]", json!([]))]
    #[case::star_star("l[*][*]", json!([1, 2, 3]))]
    #[case::slice("m[0:2].k", json!([1, 2]))]
    #[case::open_slice("m[1:].k", json!([2]))]
    #[case::slice_to("m[:1].k", json!([1]))]
    #[case::any_field("a.*", json!([1, 2, 3, null]))]
    #[case::descendants("$..k", json!([1, 2]))]
    #[case::field_on_list("m.k", json!([]))]
    #[case::star_on_dict("a[*].b", json!([1]))]
    #[case::star_on_string("s[*]", json!(["text"]))]
    #[case::star_on_int("i[*]", json!([7]))]
    #[case::slice_past_one_item_dict("a[1:2]", json!([]))]
    #[case::string_index("s[0]", json!(["t"]))]
    #[case::index_past_dict_size("a[9]", json!([]))]
    #[case::several_fields("a.b,x", json!([1, 2]))]
    #[case::parenthesised("(a).b", json!([1]))]
    #[case::field_on_string("s.x", json!([]))]
    #[case::star_field_on_list("l.*", json!([]))]
    fn finds_like_jsonpath_rw(#[case] path: &str, #[case] expected: Value) {
        let data = sample();
        let found: Vec<Value> = JsonPath::parse(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .find(&data)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"))
            .into_iter()
            .map(|v| v.into_owned())
            .collect();
        assert_eq!(Value::Array(found), expected, "{path}");
    }

    #[rstest]
    #[case::index_on_dict("a[0]", "KeyError")]
    #[case::negative_index_on_dict("a[-1]", "KeyError")]
    #[case::index_on_number("i[0]", "TypeError")]
    #[case::star_on_float("f[*]", "TypeError")]
    // Found by the jsonpath fuzz target: matches multiplied by each `..$`.
    #[case::exponential_descent("$.$..$..$..$..$..$.$.$..$..osos", "ValueError")]
    fn evaluation_errors(#[case] path: &str, #[case] class: &str) {
        let data = sample();
        let error = JsonPath::parse(path)
            .expect("parses")
            .find(&data)
            .expect_err("raises");
        assert_eq!(error.class, class);
    }

    #[rstest]
    #[case::brackets("[[[", "Parse error at 1:1 near token [ ([)")]
    #[case::empty("", "Parse error near the end of string!")]
    #[case::bangs("!*!", "Error on line 1, col 0: Unexpected character: ! ")]
    #[case::trailing_dot("a.", "Parse error near the end of string!")]
    #[case::filter("a[?(@.b)]", "Error on line 1, col 2: Unexpected character: ? ")]
    #[case::unclosed("a[0", "Parse error near the end of string!")]
    #[case::two_names("a b", "Parse error at 1:2 near token b (ID)")]
    #[case::double_dot("a....b", "Parse error at 1:3 near token .. (DOUBLEDOT)")]
    #[case::quoted("a 'b c'", "Parse error at 1:2 near token b c (ID)")]
    #[case::characters_not_bytes("é é", "Error on line 1, col 0: Unexpected character: é ")]
    fn syntax_errors(#[case] path: &str, #[case] message: &str) {
        let error = JsonPath::parse(path).expect_err("does not parse");
        assert_eq!(error.to_string(), message);
    }
}
