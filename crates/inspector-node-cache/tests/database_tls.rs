//! TLS to the database as oslo.db users write it in `[database] connection`:
//! libpq's `sslmode`/`sslrootcert`/`sslcert`/`sslkey` for PostgreSQL,
//! PyMySQL's `ssl_ca`/`ssl_cert`/`ssl_key`/`ssl_check_hostname` and
//! mysqlclient's `ssl_mode` for MySQL. Each suite starts one throw-away
//! server of the machine's PostgreSQL or MariaDB with TLS turned on and plain
//! connections refused (a certificate authority, a server certificate for
//! `localhost` only, a client certificate made by the test; its RSA key by the
//! `openssl` command), then connects
//! with each URL of its table and migrates the schema over the connection.
//! Needs root (the servers run as their own users) and the server binaries;
//! without them each test prints `SKIPPED <test>: <reason>`.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use inspector_node_cache::{DatabaseUrl, Db, PoolOptions};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rstest::rstest;

/// The certificates of a suite, as files.
struct Certificates {
    ca: PathBuf,
    other_ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn write_certificates(dir: &Path, client_name: &str) -> Certificates {
    let authority = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.clone().self_signed(&key).unwrap();
        (cert, Issuer::new(params, key))
    };
    let (ca, issuer) = authority("inspector test CA");
    let (other_ca, _) = authority("some other CA");
    let leaf = |names: Vec<String>, common_name: &str, key: &KeyPair| {
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.signed_by(key, &issuer).unwrap()
    };
    // `localhost` only: connecting to 127.0.0.1 fails a host name check.
    let server_key = KeyPair::generate().unwrap();
    let server = leaf(vec!["localhost".to_owned()], "localhost", &server_key);
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    // The client key is RSA in PKCS#1 PEM, which both drivers read.
    let client_key_path = dir.join("client-key.pem");
    run(Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&client_key_path)
        .arg("2048"))
    .unwrap();
    let pkcs8 = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
        .arg(&client_key_path)
        .output()
        .unwrap();
    let client_key = KeyPair::from_pem(&String::from_utf8(pkcs8.stdout).unwrap()).unwrap();
    let client = leaf(Vec::new(), client_name, &client_key);
    Certificates {
        ca: write("ca.pem", ca.pem()),
        other_ca: write("other-ca.pem", other_ca.pem()),
        server_cert: write("server.pem", server.pem()),
        server_key: write("server-key.pem", server_key.serialize_pem()),
        client_cert: write("client.pem", client.pem()),
        client_key: client_key_path,
    }
}

/// A server started by a suite. When the test process ends (the statics
/// holding servers are never dropped), a watcher stops the server and
/// removes its directory.
struct Server {
    dir: PathBuf,
    port: u16,
    certs: Certificates,
}

fn watch(server: &Child, dir: &Path) {
    let script = format!(
        "while kill -0 {test} 2>/dev/null; do sleep 1; done; kill -TERM {server}; \
         for _ in $(seq 30); do kill -0 {server} 2>/dev/null || break; sleep 1; done; \
         kill -KILL {server} 2>/dev/null; rm -rf {dir}",
        test = std::process::id(),
        server = server.id(),
        dir = dir.display(),
    );
    // Outlives the test process on purpose: it is the one that cleans up.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("the server exited ({status}): {text}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the server did not listen within 60 s".to_owned())
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn user_ids(name: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let output = Command::new("id").args([flag, name]).output().ok()?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn is_root() -> bool {
    user_ids("root").is_some()
        && Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn start_postgres() -> Result<Server, String> {
    if !is_root() {
        return Err("needs root".to_owned());
    }
    if run(Command::new("openssl").arg("version")).is_err() {
        return Err("no openssl command (makes the RSA client key)".to_owned());
    }
    let bin = postgres_bin().ok_or("no PostgreSQL server binaries in /usr/lib/postgresql")?;
    let (uid, gid) = user_ids("postgres").ok_or("no postgres user")?;
    let dir = tempfile::Builder::new()
        .prefix("inspector-pg-tls-")
        .tempdir()
        .unwrap()
        .keep();
    let data = dir.join("data");
    let certs = write_certificates(&dir, "certuser");
    std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
    for file in [&certs.server_cert, &certs.server_key, &certs.ca] {
        std::os::unix::fs::chown(file, Some(uid), Some(gid)).unwrap();
    }
    std::fs::set_permissions(
        &certs.server_key,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    use std::os::unix::process::CommandExt;
    run(Command::new(bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
        .arg(&data)
        .uid(uid)
        .gid(gid))?;
    let port = free_port();
    let conf = format!(
        "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{dir}'\n\
         ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\nssl_ca_file = '{ca}'\nfsync = off\n",
        dir = dir.display(),
        cert = certs.server_cert.display(),
        key = certs.server_key.display(),
        ca = certs.ca.display(),
    );
    let mut postgresql_conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
    postgresql_conf.push_str(&conf);
    std::fs::write(data.join("postgresql.conf"), postgresql_conf).unwrap();
    // Plain connections refused; `certuser` signs in with its certificate.
    std::fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\n\
         hostssl all certuser 127.0.0.1/32 cert\n\
         hostssl all all 127.0.0.1/32 trust\n\
         hostnossl all all 127.0.0.1/32 reject\n",
    )
    .unwrap();
    let log = dir.join("postgres.log");
    let mut child = Command::new(bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .uid(uid)
        .gid(gid)
        .spawn()
        .map_err(|e| e.to_string())?;
    watch(&child, &dir);
    wait_for_port(port, &mut child, &log)?;
    run(Command::new(bin.join("psql"))
        .args(["-h"])
        .arg(&dir)
        .args(["-p", &port.to_string(), "-U", "postgres", "-d", "postgres"])
        // One command per -c: CREATE DATABASE cannot run in a transaction.
        .args(["-c", "CREATE ROLE certuser LOGIN SUPERUSER"])
        .args(["-c", "CREATE DATABASE inspector OWNER certuser"]))?;
    Ok(Server { dir, port, certs })
}

fn start_mariadb() -> Result<Server, String> {
    if !is_root() {
        return Err("needs root".to_owned());
    }
    if run(Command::new("openssl").arg("version")).is_err() {
        return Err("no openssl command (makes the RSA client key)".to_owned());
    }
    let installer = Path::new("/usr/bin/mariadb-install-db");
    let server = Path::new("/usr/sbin/mariadbd");
    if !installer.exists() || !server.exists() {
        return Err("no MariaDB server binaries (mariadb-install-db, mariadbd)".to_owned());
    }
    let dir = tempfile::Builder::new()
        .prefix("inspector-mariadb-tls-")
        .tempdir()
        .unwrap()
        .keep();
    let data = dir.join("data");
    let certs = write_certificates(&dir, "certuser");
    run(Command::new(installer)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]))?;
    let port = free_port();
    let socket = dir.join("mariadb.sock");
    let log = dir.join("mariadb.log");
    let mut child = Command::new(server)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
        .arg(format!("--port={port}"))
        .args([
            "--bind-address=127.0.0.1",
            "--user=root",
            "--require-secure-transport=ON",
        ])
        .arg(format!("--ssl-ca={}", certs.ca.display()))
        .arg(format!("--ssl-cert={}", certs.server_cert.display()))
        .arg(format!("--ssl-key={}", certs.server_key.display()))
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .map_err(|e| e.to_string())?;
    watch(&child, &dir);
    wait_for_port(port, &mut child, &log)?;
    // Over the socket (a secure transport for the server).
    run(Command::new("mariadb")
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args(["-u", "root", "-e"])
        .arg(
            "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES; \
             CREATE DATABASE inspector CHARACTER SET utf8; \
             CREATE USER inspector@'%'; GRANT ALL ON inspector.* TO inspector@'%'; \
             CREATE USER certuser@'%' REQUIRE X509; GRANT ALL ON inspector.* TO certuser@'%'",
        ))?;
    Ok(Server { dir, port, certs })
}

fn server(
    cell: &'static OnceLock<Result<Server, String>>,
    start: fn() -> Result<Server, String>,
) -> Result<&'static Server, &'static str> {
    cell.get_or_init(start).as_ref().map_err(String::as_str)
}

/// Opens a pool on `url` (one attempt), migrates the schema and reads it
/// back; one case at a time (the cases share the database).
fn migrate_over(url: &str) -> Result<(), String> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let url = DatabaseUrl::parse(url).map_err(|e| e.to_string())?;
    let options = PoolOptions {
        connect_attempts: 1,
        ..PoolOptions::default()
    };
    let db = Db::open_blocking(&url, &options).map_err(|e| e.to_string())?;
    db.upgrade_blocking(None).map_err(|e| e.to_string())?;
    let status = db.schema_status_blocking().map_err(|e| e.to_string())?;
    if status.is_current() {
        Ok(())
    } else {
        Err(format!("schema not current after the upgrade: {status:?}"))
    }
}

/// Replaces `{ca}`, `{other_ca}`, `{cert}`, `{key}` and `{port}` in a URL of a table.
fn fill(template: &str, server: &Server) -> String {
    template
        .replace("{port}", &server.port.to_string())
        .replace("{ca}", &server.certs.ca.display().to_string())
        .replace("{other_ca}", &server.certs.other_ca.display().to_string())
        .replace("{cert}", &server.certs.client_cert.display().to_string())
        .replace("{key}", &server.certs.client_key.display().to_string())
}

/// Appends a line to `target/real-server-tests.txt`, the record of the
/// run's real-server tests that CI checks for skips.
fn record(line: &str) {
    use std::io::Write;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/real-server-tests.txt");
    if let Ok(mut file) = std::fs::File::options()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{line}");
    }
}

fn check(test: &str, server: Result<&Server, &str>, template: &str, expected: Result<(), &str>) {
    let server = match server {
        Ok(server) => server,
        Err(reason) => {
            eprintln!("SKIPPED {test}: {reason}");
            record(&format!("SKIPPED {test}: {reason}"));
            return;
        }
    };
    let _record = Recorded(format!("{test} {template}"));
    let url = fill(template, server);
    match (migrate_over(&url), expected) {
        (Ok(()), Ok(())) => {}
        (Err(error), Err(text)) => assert!(
            error.contains(text),
            "{url}: expected an error containing {text:?}, got: {error} (server in {})",
            server.dir.display()
        ),
        (outcome, expected) => panic!("{url}: expected {expected:?}, got {outcome:?}"),
    }
}

/// Records the case as passed when it ends without a panic.
struct Recorded(String);

impl Drop for Recorded {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            record(&format!("{}: ok", self.0));
        }
    }
}

static POSTGRES: OnceLock<Result<Server, String>> = OnceLock::new();
static MARIADB: OnceLock<Result<Server, String>> = OnceLock::new();

#[rstest]
#[case::verify_full_with_the_ca(
    "postgresql://postgres@localhost:{port}/inspector?sslmode=verify-full&sslrootcert={ca}",
    Ok(())
)]
#[case::verify_ca_does_not_check_the_host_name(
    "postgresql://postgres@127.0.0.1:{port}/inspector?sslmode=verify-ca&sslrootcert={ca}",
    Ok(())
)]
#[case::verify_full_checks_the_host_name(
    "postgresql://postgres@127.0.0.1:{port}/inspector?sslmode=verify-full&sslrootcert={ca}",
    Err("not valid for name")
)]
#[case::verify_full_with_another_ca(
    "postgresql://postgres@localhost:{port}/inspector?sslmode=verify-full&sslrootcert={other_ca}",
    Err("UnknownIssuer")
)]
#[case::require_encrypts_without_checks(
    "postgresql+psycopg2://postgres@127.0.0.1:{port}/inspector?sslmode=require",
    Ok(())
)]
#[case::prefer_is_the_default("postgresql://postgres@127.0.0.1:{port}/inspector", Ok(()))]
#[case::plain_text_is_refused_by_the_server(
    "postgresql://postgres@127.0.0.1:{port}/inspector?sslmode=disable",
    Err("no encryption")
)]
#[case::a_client_certificate_signs_in(
    "postgresql://certuser@localhost:{port}/inspector?sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}",
    Ok(())
)]
#[case::no_client_certificate_no_entry(
    "postgresql://certuser@localhost:{port}/inspector?sslmode=verify-full&sslrootcert={ca}",
    Err("certificate")
)]
fn postgres_over_tls(#[case] url: &str, #[case] expected: Result<(), &str>) {
    check(
        "postgres_over_tls",
        server(&POSTGRES, start_postgres),
        url,
        expected,
    );
}

#[rstest]
#[case::pymysql_ca_checks_chain_and_name(
    "mysql+pymysql://inspector@localhost:{port}/inspector?ssl_ca={ca}",
    Ok(())
)]
#[case::pymysql_ca_checks_the_host_name(
    "mysql+pymysql://inspector@127.0.0.1:{port}/inspector?ssl_ca={ca}",
    Err("not valid for name")
)]
#[case::a_chain_without_the_host_name_is_refused_not_weakened(
    "mysql+pymysql://inspector@127.0.0.1:{port}/inspector?ssl_ca={ca}&ssl_check_hostname=false",
    Err("not supported for MySQL")
)]
#[case::another_ca_is_refused(
    "mysql+pymysql://inspector@localhost:{port}/inspector?ssl_ca={other_ca}",
    Err("UnknownIssuer")
)]
#[case::mysqlclient_verify_identity(
    "mysql://inspector@localhost:{port}/inspector?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}",
    Ok(())
)]
#[case::mysqlclient_required_encrypts_without_checks(
    "mysql://inspector@127.0.0.1:{port}/inspector?ssl_mode=REQUIRED",
    Ok(())
)]
#[case::preferred_uses_tls_when_offered(
    "mysql://inspector@127.0.0.1:{port}/inspector?ssl_mode=PREFERRED",
    Ok(())
)]
#[case::plain_text_is_refused_by_the_server(
    "mysql+pymysql://inspector@127.0.0.1:{port}/inspector",
    Err("Access denied for user 'inspector'")
)]
#[case::a_client_certificate_signs_in(
    "mysql+pymysql://certuser@localhost:{port}/inspector?ssl_ca={ca}&ssl_cert={cert}&ssl_key={key}",
    Ok(())
)]
#[case::no_client_certificate_no_entry(
    "mysql+pymysql://certuser@localhost:{port}/inspector?ssl_ca={ca}",
    Err("Access denied")
)]
fn mariadb_over_tls(#[case] url: &str, #[case] expected: Result<(), &str>) {
    check(
        "mariadb_over_tls",
        server(&MARIADB, start_mariadb),
        url,
        expected,
    );
}
