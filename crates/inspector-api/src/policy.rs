//! oslo.policy for `auth_strategy = keystone`: upstream's default rules,
//! overridden by the rules of the policy file (`[oslo_policy] policy_file`,
//! YAML or JSON), which is read again when it changes.
//!
//! Check strings use oslo.policy's language: `rule:<name>`, `role:<name>`
//! (case-insensitive), `<credential>:<value>` (`system_scope:all`,
//! `is_public_api:True`, `project_id:...`), `@` (always), `!` (never),
//! `not`, `and`, `or` (in that precedence) and parentheses; an empty string
//! always passes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// What the policy knows about the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Role names of the token.
    pub roles: Vec<String>,
    /// `all` for a system-scoped token.
    pub system_scope: Option<String>,
    /// The token's project.
    pub project_id: Option<String>,
    /// The token's user.
    pub user_id: Option<String>,
    /// The route is public (`/`, `/<version>`, `/v1/continue`).
    pub is_public_api: bool,
}

impl Credentials {
    fn get(&self, key: &str) -> Option<String> {
        match key {
            "system_scope" => self.system_scope.clone(),
            "project_id" | "tenant" | "tenant_id" => self.project_id.clone(),
            "user_id" | "user" => self.user_id.clone(),
            "is_public_api" => Some(if self.is_public_api { "True" } else { "False" }.to_owned()),
            _ => None,
        }
    }
}

const ADMIN: &str = "(role:admin and system_scope:all) or (role:admin) or (role:service)";
const READER: &str = "(role:reader and system_scope:all) or (role:admin) or (role:service)";

/// Upstream's registered rules with their default check strings, and this
/// service's own.
const DEFAULTS: [(&str, &str); 17] = [
    (
        "is_admin",
        "role:admin or role:administrator or role:baremetal_admin",
    ),
    ("is_observer", "role:baremetal_observer"),
    ("public_api", "is_public_api:True"),
    ("default", "!"),
    ("introspection", "rule:public_api"),
    ("introspection:version", "rule:public_api"),
    ("introspection:continue", "rule:public_api"),
    ("introspection:status", READER),
    // This service's own (1.19): who may read the status may read these.
    ("introspection:timeline", "rule:introspection:status"),
    ("introspection:unmatched", "rule:introspection:status"),
    ("introspection:start", ADMIN),
    ("introspection:abort", ADMIN),
    ("introspection:data", ADMIN),
    ("introspection:reapply", ADMIN),
    ("introspection:rule:get", ADMIN),
    ("introspection:rule:create", ADMIN),
    ("introspection:rule:delete", ADMIN),
];

#[derive(Debug, Clone, PartialEq)]
enum Check {
    Always,
    Never,
    Rule(String),
    Role(String),
    Generic(String, String),
    Not(Box<Check>),
    And(Vec<Check>),
    Or(Vec<Check>),
}

/// A check string that does not parse.
fn parse(text: &str) -> Result<Check, String> {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() {
        return Ok(Check::Always);
    }
    let mut at = 0;
    let check = or_expr(&tokens, &mut at)?;
    if at != tokens.len() {
        return Err(format!("unexpected {:?} in {text:?}", tokens[at]));
    }
    Ok(check)
}

type Parser = fn(&[&str], &mut usize) -> Result<Check, String>;

/// `operand (keyword operand)*`, combined by `combine` when there are several.
fn series(
    tokens: &[&str],
    at: &mut usize,
    keyword: &str,
    operand: Parser,
    combine: fn(Vec<Check>) -> Check,
) -> Result<Check, String> {
    let mut items = vec![operand(tokens, at)?];
    while tokens.get(*at) == Some(&keyword) {
        *at += 1;
        items.push(operand(tokens, at)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        combine(items)
    })
}

fn or_expr(tokens: &[&str], at: &mut usize) -> Result<Check, String> {
    series(tokens, at, "or", and_expr, Check::Or)
}

fn and_expr(tokens: &[&str], at: &mut usize) -> Result<Check, String> {
    series(tokens, at, "and", not_expr, Check::And)
}

fn not_expr(tokens: &[&str], at: &mut usize) -> Result<Check, String> {
    let token = *tokens.get(*at).ok_or("a check string ends too early")?;
    *at += 1;
    match token {
        "not" => Ok(Check::Not(Box::new(not_expr(tokens, at)?))),
        "(" => {
            let inner = or_expr(tokens, at)?;
            if tokens.get(*at) != Some(&")") {
                return Err("missing ')'".to_owned());
            }
            *at += 1;
            Ok(inner)
        }
        "@" => Ok(Check::Always),
        "!" => Ok(Check::Never),
        other => match other.split_once(':') {
            Some(("rule", name)) => Ok(Check::Rule(name.to_owned())),
            Some(("role", name)) => Ok(Check::Role(name.to_lowercase())),
            Some((key, value)) => Ok(Check::Generic(
                key.to_owned(),
                value.trim_matches(['\'', '"']).to_owned(),
            )),
            None => Err(format!("{other:?} is not a check")),
        },
    }
}

/// Rule name → check, defaults overridden by the file's rules.
type Rules = HashMap<String, Check>;

fn defaults() -> Rules {
    DEFAULTS
        .iter()
        .map(|(name, text)| {
            let check = parse(text).unwrap_or(Check::Never);
            ((*name).to_owned(), check)
        })
        .collect()
}

/// Reads the rules of a policy file (YAML; JSON is YAML too).
fn load_file(path: &std::path::Path) -> Result<Rules, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the policy file {}: {e}", path.display()))?;
    let documents = yaml_rust2::YamlLoader::load_from_str(&text)
        .map_err(|e| format!("the policy file {} is not valid YAML: {e}", path.display()))?;
    let mut rules = defaults();
    let Some(document) = documents.first() else {
        return Ok(rules);
    };
    let map = match document {
        yaml_rust2::Yaml::Hash(map) => map,
        yaml_rust2::Yaml::Null => return Ok(rules),
        _ => {
            return Err(format!(
                "the policy file {} is not a mapping",
                path.display()
            ));
        }
    };
    for (name, check) in map {
        let (Some(name), Some(check)) = (name.as_str(), check.as_str()) else {
            return Err(format!(
                "the policy file {}: every rule must be `\"name\": \"check string\"`",
                path.display()
            ));
        };
        let parsed = parse(check)
            .map_err(|e| format!("policy file {}: rule {name}: {e}", path.display()))?;
        rules.insert(name.to_owned(), parsed);
    }
    Ok(rules)
}

/// How often the file's modification time is looked at.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct FileState {
    checked: Instant,
    modified: Option<SystemTime>,
    rules: Rules,
}

/// The effective policy.
#[derive(Debug)]
pub struct Policy {
    file: Option<PathBuf>,
    state: Mutex<FileState>,
}

impl Default for Policy {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Policy {
    /// Upstream's default rules only.
    pub fn defaults() -> Self {
        Self {
            file: None,
            state: Mutex::new(FileState {
                checked: Instant::now(),
                modified: None,
                rules: defaults(),
            }),
        }
    }

    /// The defaults overridden by `path` when it exists (as oslo.policy: a
    /// missing file means the defaults). An unreadable or invalid file is an
    /// error at start-up.
    pub fn with_file(path: PathBuf) -> Result<Self, String> {
        let modified = modified(&path);
        let rules = match modified {
            Some(_) => load_file(&path)?,
            None => defaults(),
        };
        Ok(Self {
            file: Some(path),
            state: Mutex::new(FileState {
                checked: Instant::now(),
                modified,
                rules,
            }),
        })
    }

    /// Whether `rule` lets `credentials` through.
    pub fn enforce(&self, rule: &str, credentials: &Credentials) -> bool {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.reload_if_changed(&mut state);
        let check = state.rules.get(rule).or_else(|| state.rules.get("default"));
        check.is_some_and(|check| evaluate(check, &state.rules, credentials, 0))
    }

    /// Reads the file again when its modification time changed; a file that
    /// became invalid keeps the previous rules (and says so).
    fn reload_if_changed(&self, state: &mut FileState) {
        let Some(path) = &self.file else { return };
        if state.checked.elapsed() < RECHECK {
            return;
        }
        state.checked = Instant::now();
        let now = modified(path);
        if now == state.modified {
            return;
        }
        state.modified = now;
        match now
            .map(|_| load_file(path))
            .unwrap_or_else(|| Ok(defaults()))
        {
            Ok(rules) => {
                tracing::info!(path = %path.display(), "policy file (re)loaded");
                state.rules = rules;
            }
            Err(error) => {
                tracing::error!(%error, "policy file not reloaded; keeping the previous rules")
            }
        }
    }
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn evaluate(check: &Check, rules: &Rules, credentials: &Credentials, depth: u8) -> bool {
    match check {
        Check::Always => true,
        Check::Never => false,
        // A rule that refers to itself, directly or not, fails.
        Check::Rule(name) => {
            depth < 16
                && rules
                    .get(name)
                    .is_some_and(|inner| evaluate(inner, rules, credentials, depth + 1))
        }
        Check::Role(role) => credentials.roles.iter().any(|r| r.to_lowercase() == *role),
        Check::Generic(key, value) => credentials.get(key).as_deref() == Some(value.as_str()),
        Check::Not(inner) => !evaluate(inner, rules, credentials, depth),
        Check::And(items) => items
            .iter()
            .all(|item| evaluate(item, rules, credentials, depth)),
        Check::Or(items) => items
            .iter()
            .any(|item| evaluate(item, rules, credentials, depth)),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn credentials(roles: &[&str], system: bool) -> Credentials {
        Credentials {
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            system_scope: system.then(|| "all".to_owned()),
            project_id: Some("p1".into()),
            user_id: Some("u1".into()),
            is_public_api: false,
        }
    }

    #[rstest]
    #[case::admin_starts(&["admin"], false, "introspection:start", true)]
    #[case::service_starts(&["service"], false, "introspection:start", true)]
    #[case::member_cannot(&["member"], false, "introspection:start", false)]
    #[case::system_reader_reads_status(&["reader"], true, "introspection:status", true)]
    #[case::project_reader_cannot(&["reader"], false, "introspection:status", false)]
    #[case::system_reader_reads_timeline(&["reader"], true, "introspection:timeline", true)]
    #[case::project_reader_no_timeline(&["reader"], false, "introspection:timeline", false)]
    #[case::admin_reads_unmatched(&["admin"], false, "introspection:unmatched", true)]
    #[case::member_no_unmatched(&["member"], false, "introspection:unmatched", false)]
    #[case::system_reader_no_data(&["reader"], true, "introspection:data", false)]
    #[case::role_case_insensitive(&["Admin"], false, "introspection:rule:get", true)]
    #[case::unknown_rule_uses_default(&["admin"], false, "introspection:unknown", false)]
    fn default_rules(
        #[case] roles: &[&str],
        #[case] system: bool,
        #[case] rule: &str,
        #[case] expected: bool,
    ) {
        assert_eq!(
            Policy::defaults().enforce(rule, &credentials(roles, system)),
            expected
        );
    }

    #[test]
    fn public_routes_pass_without_roles() {
        let anonymous = Credentials {
            is_public_api: true,
            ..Credentials::default()
        };
        assert!(Policy::defaults().enforce("introspection:continue", &anonymous));
        assert!(!Policy::defaults().enforce("introspection:status", &anonymous));
    }

    #[rstest]
    #[case::precedence("role:a or role:b and role:c", &["a"], true)]
    #[case::precedence_and("role:a or role:b and role:c", &["b"], false)]
    #[case::parentheses("(role:a or role:b) and role:c", &["a"], false)]
    #[case::not("not role:a", &["b"], true)]
    #[case::always("@", &[], true)]
    #[case::never("!", &["admin"], false)]
    #[case::empty("", &[], true)]
    #[case::generic("project_id:p1 and user_id:u1", &[], true)]
    #[case::quoted("project_id:'p1'", &[], true)]
    fn check_strings(#[case] text: &str, #[case] roles: &[&str], #[case] expected: bool) {
        let check = parse(text).expect("parses");
        assert_eq!(
            evaluate(&check, &defaults(), &credentials(roles, false), 0),
            expected,
            "{text}"
        );
    }

    #[test]
    fn a_policy_file_overrides_rules_and_is_reread_when_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("policy.yaml");
        std::fs::write(
            &path,
            "\"introspection:status\": \"role:member\"\n\"custom\": \"rule:is_admin\"\n",
        )
        .expect("write");
        let policy = Policy::with_file(path.clone()).expect("loads");
        assert!(policy.enforce("introspection:status", &credentials(&["member"], false)));
        assert!(!policy.enforce("introspection:status", &credentials(&["reader"], true)));
        assert!(policy.enforce("introspection:start", &credentials(&["admin"], false)));
        assert!(policy.enforce("custom", &credentials(&["baremetal_admin"], false)));

        std::fs::write(&path, "{\"introspection:start\": \"!\"}\n").expect("write");
        let mut state = policy.state.lock().expect("lock");
        state.checked = Instant::now() - RECHECK * 2;
        state.modified = None;
        drop(state);
        assert!(!policy.enforce("introspection:start", &credentials(&["admin"], false)));
        assert!(
            !policy.enforce("introspection:status", &credentials(&["member"], false)),
            "the earlier override is gone"
        );
    }

    #[test]
    fn a_missing_file_means_the_defaults_and_a_bad_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let policy = Policy::with_file(dir.path().join("absent.yaml")).expect("defaults");
        assert!(policy.enforce("introspection:start", &credentials(&["admin"], false)));
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "\"introspection:start\": \"role:a or\"\n").expect("write");
        let error = Policy::with_file(bad).expect_err("refused");
        assert!(error.contains("rule introspection:start"), "{error}");
    }

    #[test]
    fn self_referencing_rules_fail_instead_of_looping() {
        let mut rules = defaults();
        rules.insert("loop".into(), Check::Rule("loop".into()));
        assert!(!evaluate(
            &Check::Rule("loop".into()),
            &rules,
            &Credentials::default(),
            0
        ));
    }
}
