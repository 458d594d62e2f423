//! The PostgreSQL and MySQL drivers: pure Rust (tokio-postgres, mysql_async,
//! TLS through rustls), no client library of the system. diesel's blocking
//! connection traits run over them through diesel-async's wrapper. Each
//! connection has a current-thread runtime of its own, driven by the thread
//! that uses the connection for as long as a statement runs: its socket,
//! timers and (PostgreSQL) connection task never leave that thread, as with a
//! blocking client library. Blocking calls must not come from a thread that
//! runs async tasks; [`super::off_async`] moves those off it.

use std::cell::RefCell;

use diesel::ConnectionError;
use diesel_async::AsyncConnection;
use diesel_async::async_connection_wrapper::{AsyncConnectionWrapper, BlockOn};
use tokio::runtime::Runtime;
use url::Url;

use super::driver_connection::DriverConnection;

/// The runtime of one connection.
pub(crate) struct DriverRuntime(Option<Runtime>);

impl Drop for DriverRuntime {
    /// Without waiting: a pool may drop its connections inside async code.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

thread_local! {
    /// The runtime a connection was just opened on, for the wrapper to keep.
    static OPENED_ON: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

fn new_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts")
}

impl BlockOn for DriverRuntime {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0
            .as_ref()
            .expect("a connection's runtime lives as long as the connection")
            .block_on(future)
    }

    fn get_runtime() -> Self {
        let opened = OPENED_ON.with(|slot| slot.borrow_mut().take());
        Self(Some(opened.unwrap_or_else(new_runtime)))
    }
}

/// Opens a connection with `connect` on a new runtime, which the returned
/// connection keeps and drives from then on.
fn open_on_own_runtime<C: AsyncConnection>(
    connect: impl Future<Output = diesel::ConnectionResult<C>>,
) -> diesel::ConnectionResult<AsyncConnectionWrapper<C, DriverRuntime>> {
    let runtime = new_runtime();
    let connection = runtime.block_on(connect)?;
    OPENED_ON.with(|slot| *slot.borrow_mut() = Some(runtime));
    // `From` asks `DriverRuntime::get_runtime`, which takes the runtime back.
    Ok(connection.into())
}

/// A PostgreSQL connection with diesel's blocking interface.
#[cfg(feature = "postgres")]
pub(crate) type PgConnection = DriverConnection<diesel_async::AsyncPgConnection>;

/// A MySQL or MariaDB connection with diesel's blocking interface.
#[cfg(feature = "mysql")]
pub(crate) type MysqlConnection = DriverConnection<diesel_async::AsyncMysqlConnection>;

/// An error and its causes, as one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The query parameters of a URL, and the URL without them.
fn split_query(target: &str) -> Result<(Url, Vec<(String, String)>), ConnectionError> {
    let mut url =
        Url::parse(target).map_err(|e| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    let params = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    Ok((url, params))
}

#[cfg(feature = "postgres")]
mod postgres {
    use diesel::{ConnectionError, ConnectionResult};
    use diesel_async::AsyncPgConnection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use tokio_postgres::config::SslMode;

    use super::{DriverRuntime, chain, open_on_own_runtime, split_query};
    use crate::db::driver_connection::Open;
    use crate::db::tls::{TlsFiles, Verification, client_config};

    /// What a PostgreSQL URL asks for: the driver's settings and libpq's TLS options.
    #[derive(Debug)]
    pub(crate) struct Settings {
        pub(crate) config: tokio_postgres::Config,
        /// `None`: plain text (`sslmode=disable`).
        pub(crate) tls: Option<(Verification, TlsFiles)>,
    }

    /// Reads libpq's `sslmode`, `sslrootcert`, `sslcert` and `sslkey`; every
    /// other parameter goes to the driver as it is.
    pub(crate) fn settings(target: &str) -> ConnectionResult<Settings> {
        let invalid = ConnectionError::InvalidConnectionUrl;
        let (mut url, params) = split_query(target)?;
        let mut mode = None;
        let mut files = TlsFiles::default();
        let mut kept = Vec::new();
        for (key, value) in params {
            match key.as_str() {
                "sslmode" => mode = Some(value),
                "sslrootcert" => files.root_certs = Some(value),
                "sslcert" => files.client_cert = Some(value),
                "sslkey" => files.client_key = Some(value),
                _ => kept.push((key, value)),
            }
        }
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        let mut config: tokio_postgres::Config = url
            .as_str()
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(chain(&e)))?;
        // libpq's levels: without a CA file `require` only encrypts; with one it verifies the chain.
        let (ssl_mode, verification) = match mode.as_deref().unwrap_or("prefer") {
            "disable" => (SslMode::Disable, None),
            "allow" | "prefer" => (SslMode::Prefer, Some(Verification::None)),
            "require" if files.root_certs.is_some() => {
                (SslMode::Require, Some(Verification::Chain))
            }
            "require" => (SslMode::Require, Some(Verification::None)),
            "verify-ca" => (SslMode::Require, Some(Verification::Chain)),
            "verify-full" => (SslMode::Require, Some(Verification::ChainAndName)),
            other => {
                return Err(invalid(format!(
                    "unknown sslmode {other:?}: use disable, allow, prefer, require, verify-ca or verify-full"
                )));
            }
        };
        if matches!(
            verification,
            Some(Verification::Chain | Verification::ChainAndName)
        ) && files.root_certs.is_none()
        {
            return Err(invalid(
                "sslmode=verify-ca and verify-full need sslrootcert=<CA file>".to_owned(),
            ));
        }
        config.ssl_mode(ssl_mode);
        Ok(Settings {
            config,
            tls: verification.map(|v| (v, files)),
        })
    }

    impl Open for AsyncPgConnection {
        /// Opens a connection to the server of `target` (a `postgresql://` URL).
        fn open(target: &str) -> ConnectionResult<AsyncConnectionWrapper<Self, DriverRuntime>> {
            open_on_own_runtime(connect(settings(target)?))
        }
    }

    async fn connect(settings: Settings) -> ConnectionResult<AsyncPgConnection> {
        let failed = |e: tokio_postgres::Error| ConnectionError::BadConnection(chain(&e));
        match settings.tls {
            None => {
                let (client, connection) = settings
                    .config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(failed)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await
            }
            Some((verification, files)) => {
                let tls =
                    client_config(verification, &files).map_err(ConnectionError::BadConnection)?;
                let (client, connection) = settings
                    .config
                    .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                    .await
                    .map_err(failed)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await
            }
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use diesel::{ConnectionError, ConnectionResult};
    use diesel_async::AsyncMysqlConnection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use mysql_async::{ClientIdentity, Opts, OptsBuilder, SslOpts};

    use super::{DriverRuntime, chain, open_on_own_runtime, split_query};
    use crate::db::driver_connection::Open;

    /// What a MySQL URL asks for: the server, and TLS if any.
    #[derive(Debug)]
    pub(crate) struct Settings {
        pub(crate) opts: Opts,
        pub(crate) tls: Tls,
    }

    /// The TLS of a MySQL connection.
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum Tls {
        /// Plain text.
        Off,
        /// TLS if the server offers it, else plain text (`ssl_mode=PREFERRED`).
        Preferred(SslOpts),
        /// TLS or no connection.
        Required(SslOpts),
    }

    /// Reads the TLS options of PyMySQL (`ssl_ca`, `ssl_cert`, `ssl_key`,
    /// `ssl_check_hostname`) and mysqlclient (`ssl_mode`), and `unix_socket`.
    pub(crate) fn settings(target: &str) -> ConnectionResult<Settings> {
        let invalid = ConnectionError::InvalidConnectionUrl;
        let (url, params) = split_query(target)?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let opts = Opts::from_url(url.as_str()).map_err(|e| invalid(chain(&e)))?;
        let mut builder = OptsBuilder::from_opts(opts)
            // diesel's own MySQL connection counts matched rows, not changed ones:
            // the version_id checks rely on it.
            .client_found_rows(true)
            .stmt_cache_size(0)
            .socket(param("unix_socket"));
        let (ca, cert, key) = (param("ssl_ca"), param("ssl_cert"), param("ssl_key"));
        let check_hostname = match param("ssl_check_hostname").as_deref() {
            None => true,
            Some(value) => parse_bool(value)
                .ok_or_else(|| invalid(format!("ssl_check_hostname={value:?} is not a boolean")))?,
        };
        let mode = param("ssl_mode").map(|m| m.to_ascii_uppercase());
        // PyMySQL: a CA file means the chain is verified, and the host name unless
        // `ssl_check_hostname` is false; without one nothing is verified.
        let (verify_chain, verify_name) = match mode.as_deref() {
            Some("VERIFY_CA") => (true, false),
            Some("VERIFY_IDENTITY") => (true, true),
            _ => (ca.is_some(), ca.is_some() && check_hostname),
        };
        if verify_chain && ca.is_none() {
            return Err(invalid(format!(
                "ssl_mode={} needs ssl_ca=<CA file>",
                mode.as_deref().unwrap_or_default()
            )));
        }
        if verify_chain && !verify_name {
            // The driver cannot check a chain without the host name: refuse
            // rather than check less, or more, than asked.
            return Err(invalid(
                "checking the certificate chain without the host name (ssl_mode=VERIFY_CA, \
                 ssl_check_hostname=false) is not supported for MySQL: connect by a name \
                 of the server's certificate with the name checked, or use ssl_mode=REQUIRED"
                    .to_owned(),
            ));
        }
        let identity = match (cert, key) {
            (Some(cert), Some(key)) => Some(ClientIdentity::new(
                std::path::PathBuf::from(cert).into(),
                std::path::PathBuf::from(rsa_key(&key).map_err(invalid)?).into(),
            )),
            (Some(_), None) | (None, Some(_)) => {
                return Err(invalid(
                    "a client certificate needs both ssl_cert and ssl_key".to_owned(),
                ));
            }
            (None, None) => None,
        };
        let asked = ca.is_some() || identity.is_some();
        let ssl = SslOpts::default()
            .with_root_certs(
                ca.into_iter()
                    .map(|path| std::path::PathBuf::from(path).into())
                    .collect(),
            )
            // Without a CA nothing is verified, but the driver wants some roots.
            .with_disable_built_in_roots(verify_chain)
            .with_client_identity(identity)
            .with_danger_accept_invalid_certs(!verify_chain)
            .with_danger_skip_domain_validation(!verify_name);
        let tls = match mode.as_deref() {
            Some("DISABLED") => Tls::Off,
            Some("PREFERRED") => Tls::Preferred(ssl),
            Some("REQUIRED" | "VERIFY_CA" | "VERIFY_IDENTITY") => Tls::Required(ssl),
            None if asked => Tls::Required(ssl),
            None => Tls::Off,
            Some(other) => {
                return Err(invalid(format!(
                    "unknown ssl_mode {other:?}: use DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY"
                )));
            }
        };
        if tls == Tls::Off {
            builder = builder.ssl_opts(None::<SslOpts>);
        }
        Ok(Settings {
            opts: builder.into(),
            tls,
        })
    }

    /// The driver reads client keys in PKCS#1 PEM only (`BEGIN RSA PRIVATE
    /// KEY`); another key would fail with "no private key found".
    fn rsa_key(path: &str) -> Result<String, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read ssl_key {path}: {e}"))?;
        if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
            Ok(path.to_owned())
        } else {
            Err(format!(
                "ssl_key {path}: MySQL client keys must be RSA keys in PKCS#1 PEM \
                 (BEGIN RSA PRIVATE KEY); convert with `openssl rsa -in {path} -traditional`"
            ))
        }
    }

    fn parse_bool(value: &str) -> Option<bool> {
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => None,
        }
    }

    impl Open for AsyncMysqlConnection {
        /// Opens a connection to the server of `target` (a `mysql://` URL).
        fn open(target: &str) -> ConnectionResult<AsyncConnectionWrapper<Self, DriverRuntime>> {
            open_on_own_runtime(connect(settings(target)?))
        }
    }

    async fn connect(settings: Settings) -> ConnectionResult<AsyncMysqlConnection> {
        let failed = |e: mysql_async::Error| ConnectionError::BadConnection(chain(&e));
        let with_tls = |ssl: SslOpts| -> Opts {
            OptsBuilder::from_opts(settings.opts.clone())
                .ssl_opts(Some(ssl))
                .into()
        };
        let conn = match settings.tls.clone() {
            Tls::Off => mysql_async::Conn::new(settings.opts.clone()).await,
            Tls::Required(ssl) => mysql_async::Conn::new(with_tls(ssl)).await,
            Tls::Preferred(ssl) => match mysql_async::Conn::new(with_tls(ssl)).await {
                Err(mysql_async::Error::Driver(
                    mysql_async::DriverError::NoClientSslFlagFromServer,
                )) => mysql_async::Conn::new(settings.opts.clone()).await,
                other => other,
            },
        }
        .map_err(failed)?;
        AsyncMysqlConnection::try_from(conn).await
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::db::tls::Verification;

    #[cfg(feature = "postgres")]
    #[rstest]
    #[case::default_prefers_tls_without_checks("", Some(Verification::None))]
    #[case::disable("?sslmode=disable", None)]
    #[case::require_encrypts_only("?sslmode=require", Some(Verification::None))]
    #[case::require_with_a_ca_checks_the_chain(
        "?sslmode=require&sslrootcert=/ca.pem",
        Some(Verification::Chain)
    )]
    #[case::verify_ca("?sslmode=verify-ca&sslrootcert=/ca.pem", Some(Verification::Chain))]
    #[case::verify_full(
        "?sslmode=verify-full&sslrootcert=/ca.pem",
        Some(Verification::ChainAndName)
    )]
    fn postgres_tls_levels(#[case] query: &str, #[case] expected: Option<Verification>) {
        let settings =
            postgres::settings(&format!("postgresql://u@db.example:5433/inspector{query}"))
                .unwrap();
        assert_eq!(settings.tls.map(|(v, _)| v), expected);
        assert_eq!(settings.config.get_dbname(), Some("inspector"));
        assert_eq!(settings.config.get_ports(), &[5433]);
    }

    #[cfg(feature = "postgres")]
    #[rstest]
    #[case::verify_without_ca("?sslmode=verify-full", "need sslrootcert")]
    #[case::unknown_mode("?sslmode=sometimes", "unknown sslmode \"sometimes\"")]
    #[case::unknown_parameter("?frobnicate=1", "frobnicate")]
    fn postgres_urls_the_driver_cannot_use_are_refused(#[case] query: &str, #[case] text: &str) {
        let error = postgres::settings(&format!("postgresql://u@h/db{query}")).unwrap_err();
        assert!(error.to_string().contains(text), "{error}");
    }

    #[cfg(feature = "mysql")]
    #[rstest]
    #[case::no_tls_by_default("", "off")]
    #[case::a_ca_file_means_tls("?ssl_ca=/ca.pem", "required")]
    #[case::disabled("?ssl_mode=DISABLED&ssl_ca=/ca.pem", "off")]
    #[case::preferred("?ssl_mode=preferred", "preferred")]
    #[case::required("?ssl_mode=REQUIRED", "required")]
    fn mysql_tls_levels(#[case] query: &str, #[case] expected: &str) {
        let settings =
            mysql::settings(&format!("mysql://u:p@db.example:3307/inspector{query}")).unwrap();
        let tls = match settings.tls {
            mysql::Tls::Off => "off",
            mysql::Tls::Preferred(_) => "preferred",
            mysql::Tls::Required(_) => "required",
        };
        assert_eq!(tls, expected);
        assert_eq!(settings.opts.db_name(), Some("inspector"));
        assert_eq!(settings.opts.tcp_port(), 3307);
        assert_eq!(settings.opts.user(), Some("u"));
    }

    #[cfg(feature = "mysql")]
    #[rstest]
    // (query, chain checked, host name checked)
    #[case::pymysql_ca_checks_both("?ssl_ca=/ca.pem", true, true)]
    #[case::verify_identity("?ssl_mode=VERIFY_IDENTITY&ssl_ca=/ca.pem", true, true)]
    #[case::required_encrypts_only("?ssl_mode=REQUIRED", false, false)]
    fn mysql_certificate_checks(#[case] query: &str, #[case] chain: bool, #[case] name: bool) {
        let settings = mysql::settings(&format!("mysql://u@h/db{query}")).unwrap();
        let mysql::Tls::Required(ssl) = settings.tls else {
            panic!("TLS expected");
        };
        assert_eq!(ssl.accept_invalid_certs(), !chain);
        assert_eq!(ssl.skip_domain_validation(), !name);
    }

    #[cfg(feature = "mysql")]
    #[rstest]
    #[case::verify_without_ca("?ssl_mode=VERIFY_CA", "needs ssl_ca")]
    #[case::half_a_client_certificate("?ssl_cert=/c.pem", "both ssl_cert and ssl_key")]
    #[case::unknown_mode("?ssl_mode=MAYBE", "unknown ssl_mode")]
    #[case::not_a_boolean("?ssl_ca=/ca.pem&ssl_check_hostname=perhaps", "not a boolean")]
    #[case::chain_without_name("?ssl_mode=VERIFY_CA&ssl_ca=/ca.pem", "not supported for MySQL")]
    #[case::no_host_name_check(
        "?ssl_ca=/ca.pem&ssl_check_hostname=false",
        "not supported for MySQL"
    )]
    #[case::a_key_that_is_not_there(
        "?ssl_cert=/c.pem&ssl_key=/nonexistent.pem",
        "cannot read ssl_key"
    )]
    fn mysql_urls_the_driver_cannot_use_are_refused(#[case] query: &str, #[case] text: &str) {
        let error = mysql::settings(&format!("mysql://u@h/db{query}")).unwrap_err();
        assert!(error.to_string().contains(text), "{error}");
    }
}
