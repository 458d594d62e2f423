//! `[database] connection`: SQLAlchemy URLs converted to what diesel's
//! connections accept.

use std::fmt;

use url::Url;

use crate::db::Backend;

/// A database location, parsed from a SQLAlchemy URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    target: String,
}

/// A `[database] connection` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid [database] connection {url:?}: {reason}")]
pub struct UrlError {
    /// The URL, with any password hidden.
    pub url: String,
    /// Why it cannot be used.
    pub reason: String,
}

/// MySQL URL query parameters the driver uses (PyMySQL's and mysqlclient's
/// names); SQLAlchemy driver options such as `charset` are dropped
/// (connections always use utf8mb4).
const MYSQL_PARAMS: &[&str] = &[
    "unix_socket",
    "ssl_mode",
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "ssl_check_hostname",
];

impl DatabaseUrl {
    /// Parses a SQLAlchemy URL: `sqlite:///relative.db`, `sqlite:////absolute.db`,
    /// `mysql[+driver]://user:pw@host[:port]/db[?...]`,
    /// `postgresql[+driver]://...` (or `postgres://`).
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let error = |reason: &str| UrlError {
            url: redact(text),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| error("expected <dialect>[+<driver>]://..."))?;
        let dialect = scheme
            .split('+')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match dialect.as_str() {
            "sqlite" => {
                let path = rest.split('?').next().unwrap_or_default();
                let path = path
                    .strip_prefix('/')
                    .ok_or_else(|| error("an SQLite URL needs a path: sqlite:///file.db"))?;
                if path.is_empty() || path == ":memory:" {
                    return Err(error(
                        "in-memory SQLite databases are not supported; give a file path",
                    ));
                }
                Ok(Self {
                    backend: Backend::Sqlite,
                    target: path.to_owned(),
                })
            }
            "postgresql" | "postgres" => {
                let mut url = Url::parse(&format!("postgresql://{rest}"))
                    .map_err(|e| error(&e.to_string()))?;
                Self::require_database(&url).map_err(&error)?;
                url.set_fragment(None);
                Ok(Self {
                    backend: Backend::Postgres,
                    target: url.to_string(),
                })
            }
            "mysql" | "mariadb" => {
                // PyMySQL accepts an empty host (`root@/db?unix_socket=...`); URLs do not.
                let rest = if rest.starts_with('/') {
                    format!("localhost{rest}")
                } else {
                    rest.replacen("@/", "@localhost/", 1)
                };
                let mut url =
                    Url::parse(&format!("mysql://{rest}")).map_err(|e| error(&e.to_string()))?;
                Self::require_database(&url).map_err(&error)?;
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(key, _)| MYSQL_PARAMS.contains(&key.as_ref()))
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                url.set_query(None);
                if !kept.is_empty() {
                    url.query_pairs_mut().extend_pairs(kept);
                }
                Ok(Self {
                    backend: Backend::Mysql,
                    target: url.to_string(),
                })
            }
            other => Err(error(&format!(
                "unsupported database dialect {other:?}; use sqlite, mysql or postgresql"
            ))),
        }
    }

    fn require_database(url: &Url) -> Result<(), &'static str> {
        if url.path().trim_start_matches('/').is_empty() {
            Err("the URL names no database")
        } else {
            Ok(())
        }
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the diesel connection of [`DatabaseUrl::backend`] is established with:
    /// a file path for SQLite, a URL otherwise.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A copy naming another database on the same server (PostgreSQL and
    /// MySQL only); used to create throw-away test databases.
    pub fn with_database(&self, name: &str) -> Self {
        let mut copy = self.clone();
        if let (Backend::Postgres | Backend::Mysql, Ok(mut url)) =
            (self.backend, Url::parse(&self.target))
        {
            url.set_path(&format!("/{name}"));
            copy.target = url.to_string();
        }
        copy
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    /// Renders the location with any password hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            Backend::Sqlite => write!(f, "sqlite:///{}", self.target),
            _ => f.write_str(&redact(&self.target)),
        }
    }
}

/// Hides the password of a URL for logs and errors.
fn redact(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::relative(
        "sqlite:///ironic_inspector.sqlite",
        Backend::Sqlite,
        "ironic_inspector.sqlite"
    )]
    #[case::absolute(
        "sqlite:////var/lib/inspector.db",
        Backend::Sqlite,
        "/var/lib/inspector.db"
    )]
    #[case::sqlite_options("sqlite:///x.db?timeout=5", Backend::Sqlite, "x.db")]
    #[case::pymysql(
        "mysql+pymysql://inspector:pw@db.example.org/ironic_inspector?charset=utf8",
        Backend::Mysql,
        "mysql://inspector:pw@db.example.org/ironic_inspector"
    )]
    #[case::mysql_port(
        "mysql://root@127.0.0.1:3306/test",
        Backend::Mysql,
        "mysql://root@127.0.0.1:3306/test"
    )]
    #[case::mysql_socket(
        "mysql+pymysql://root@/test?unix_socket=/run/mysqld/mysqld.sock&charset=utf8",
        Backend::Mysql,
        "mysql://root@localhost/test?unix_socket=%2Frun%2Fmysqld%2Fmysqld.sock"
    )]
    #[case::psycopg2(
        "postgresql+psycopg2://u:p@10.0.0.1:5432/inspector",
        Backend::Postgres,
        "postgresql://u:p@10.0.0.1:5432/inspector"
    )]
    #[case::postgres_alias(
        "postgres://postgres@127.0.0.1/test?sslmode=disable",
        Backend::Postgres,
        "postgresql://postgres@127.0.0.1/test?sslmode=disable"
    )]
    fn sqlalchemy_urls_convert(#[case] text: &str, #[case] backend: Backend, #[case] target: &str) {
        let url = DatabaseUrl::parse(text).unwrap();
        assert_eq!(url.backend(), backend);
        assert_eq!(url.target(), target);
    }

    #[rstest]
    #[case::memory("sqlite://", "an SQLite URL needs a path")]
    #[case::memory_explicit("sqlite:///:memory:", "in-memory SQLite databases are not supported")]
    #[case::no_db("mysql+pymysql://root@localhost", "the URL names no database")]
    #[case::oracle(
        "oracle://scott:tiger@host/db",
        "unsupported database dialect \"oracle\""
    )]
    #[case::garbage("not a url", "expected <dialect>")]
    fn bad_urls_are_explained(#[case] text: &str, #[case] reason: &str) {
        let error = DatabaseUrl::parse(text).unwrap_err();
        assert!(error.reason.starts_with(reason), "{error}");
    }

    #[test]
    fn passwords_never_show() {
        let url = DatabaseUrl::parse("postgresql://u:secret@h/db").unwrap();
        assert_eq!(url.to_string(), "postgresql://u:***@h/db");
        let error = DatabaseUrl::parse("oracle://u:secret@h/db").unwrap_err();
        assert!(!error.to_string().contains("secret"));
    }

    #[test]
    fn another_database_on_the_same_server() {
        let url = DatabaseUrl::parse("mysql://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(
            url.with_database("t_1").target(),
            "mysql://root@127.0.0.1:3306/t_1"
        );
    }
}
