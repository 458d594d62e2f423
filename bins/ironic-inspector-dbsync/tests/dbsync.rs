//! `ironic-inspector-dbsync` as an operator runs it: the real binary, a real
//! `inspector.conf`, and a database on each backend.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{Backend, DatabaseUrl, Event, LookupQuery, NodeUuid, State, Strictness};
use rstest::rstest;
use rstest_reuse::{apply, template};

const N1: &str = "1a1a1a1a-0000-4000-8000-000000000001";
const N2: &str = "1a1a1a1a-0000-4000-8000-000000000002";
const N3: &str = "1a1a1a1a-0000-4000-8000-000000000003";
const N4: &str = "1a1a1a1a-0000-4000-8000-000000000004";

fn fixture(backend: Backend) -> String {
    let name = match backend {
        Backend::Sqlite => "sqlite.sql",
        Backend::Postgres => "postgres.sql",
        Backend::Mysql => "mysql.sql",
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/upstream-12")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The URL as an operator writes it in inspector.conf (SQLAlchemy dialect+driver).
fn sqlalchemy_url(url: &DatabaseUrl) -> String {
    match url.backend() {
        Backend::Sqlite => format!("sqlite:///{}", url.target()),
        Backend::Postgres => url
            .target()
            .replacen("postgresql://", "postgresql+psycopg2://", 1),
        Backend::Mysql => url.target().replacen("mysql://", "mysql+pymysql://", 1),
    }
}

struct Dbsync {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

impl Dbsync {
    fn for_url(connection: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("inspector.conf");
        std::fs::write(
            &config,
            format!("[DEFAULT]\ndebug = false\n\n[database]\nconnection = {connection}\nmax_retries = 1\nretry_interval = 0\n"),
        )
        .unwrap();
        Self { _dir: dir, config }
    }

    fn for_db(db: &TestDatabase) -> Self {
        Self::for_url(&sqlalchemy_url(db.url()))
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ironic-inspector-dbsync"))
            .arg("--config-file")
            .arg(&self.config)
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .expect("the binary runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    }
}

/// Runs a test once per backend: SQLite always, PostgreSQL and MySQL when configured.
#[template]
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[case::mysql(Backend::Mysql)]
fn every_backend(#[case] backend: Backend) {}

use inspector_node_cache::database_or_skip as database;

#[test]
fn help_names_every_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector-dbsync"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for command in [
        "upgrade", "stamp", "current", "version", "history", "heads", "branches", "show",
    ] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    assert!(help.contains("--config-file"));
}

#[test]
fn history_and_heads_list_upstream_revisions() {
    let dbsync = Dbsync::for_url("sqlite:///unused.sqlite");
    let history = dbsync.ok(&["history"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(
        lines[0],
        "bf8dec16023c -> b55109d5063a (head), add_scope_column_to_rules"
    );
    assert_eq!(lines[9], "<base> -> 578f84f38d, inital_db_schema");
    assert_eq!(dbsync.ok(&["heads"]), "b55109d5063a (head)\n");
    assert!(
        dbsync
            .ok(&["show", "--revision", "2970d2d44edc"])
            .contains("add_manage_boot_to_nodes")
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_creates_upstreams_schema_on_an_empty_database(#[case] backend: Backend) {
    let db = database!(TestDatabase::empty(backend));
    let dbsync = Dbsync::for_db(&db);
    assert_eq!(
        dbsync.ok(&["version"]),
        "",
        "an empty database has no revision"
    );

    // Upstream's head revision: the same schema as the database upstream left behind.
    dbsync.ok(&["upgrade", "--revision", "b55109d5063a"]);
    let upstream = database!(TestDatabase::empty(backend));
    upstream.execute_sql(&fixture(backend)).unwrap();
    let upstream_schema = upstream.schema().unwrap();
    assert_eq!(db.schema().unwrap(), upstream_schema);
    assert!(
        dbsync
            .ok(&["version"])
            .starts_with("b55109d5063a\npending migration: ")
    );

    // Our later migrations only add the look-up indexes, the coordination
    // tables of several processes (node locks, task leases), the timeline and
    // the unmatched ramdisk reports.
    dbsync.ok(&["upgrade"]);
    assert_eq!(dbsync.ok(&["version"]), "b55109d5063a (head)\n");
    assert_eq!(dbsync.ok(&["current"]), "b55109d5063a (head)\n");
    dbsync.ok(&["upgrade", "--revision", "head"]);
    let added: Vec<String> = db
        .schema()
        .unwrap()
        .into_iter()
        .filter(|line| !upstream_schema.contains(line))
        .collect();
    assert!(!added.is_empty());
    assert!(
        added
            .iter()
            .all(|line| line.contains("attributes_name_value_idx")
                || line.contains("attributes_node_uuid_idx")
                || line.contains("node_locks")
                || line.contains("leases")
                || line.contains("introspection_events")
                || line.contains("unmatched_reports")
                || line.contains("nodes_started_at_uuid_idx")),
        "{added:?}"
    );

    // And a working one.
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    cache
        .start_introspection(uuid, true, vec!["192.0.2.1".into()])
        .await
        .unwrap();
    let found = cache
        .find_node(&LookupQuery {
            bmc_addresses: vec!["192.0.2.1".into()],
            macs: vec![],
        })
        .await
        .unwrap();
    assert_eq!((found.uuid, found.state), (uuid, State::Starting));
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_adopts_a_database_upstream_created_and_keeps_every_row(#[case] backend: Backend) {
    let db = database!(TestDatabase::empty(backend));
    db.execute_sql(&fixture(backend)).unwrap();
    let tables = [
        "nodes",
        "attributes",
        "options",
        "rules",
        "rule_conditions",
        "rule_actions",
        "introspection_data",
    ];
    let before: Vec<i64> = tables.iter().map(|t| db.count_rows(t).unwrap()).collect();
    assert_eq!(before, [4, 5, 1, 2, 3, 2, 2]);

    let dbsync = Dbsync::for_db(&db);
    assert_eq!(
        dbsync.ok(&["version"]),
        "b55109d5063a\npending migration: 20261121000000\npending migration: 20261122000000\npending migration: 20261202000000\npending migration: 20261202010000\npending migration: 20261207000000\n"
    );
    dbsync.ok(&["upgrade"]);
    dbsync.ok(&["upgrade"]);
    assert_eq!(dbsync.ok(&["version"]), "b55109d5063a (head)\n");
    let after: Vec<i64> = tables.iter().map(|t| db.count_rows(t).unwrap()).collect();
    assert_eq!(after, before);

    let cache = db.node_cache();
    let uuid = |text: &str| NodeUuid::parse(text).unwrap();
    let listed: Vec<NodeUuid> = cache
        .list_nodes(None, None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.uuid)
        .collect();
    assert_eq!(listed, [uuid(N4), uuid(N2), uuid(N1), uuid(N3)]);

    let finished = cache.get_node(uuid(N1)).await.unwrap();
    assert_eq!(finished.state, State::Finished);
    assert_eq!(
        finished.finished_at.unwrap().to_string(),
        "2024-05-01 10:05:00"
    );
    let failed = cache.get_node(uuid(N3)).await.unwrap();
    assert_eq!(
        (failed.state, failed.error.as_deref(), failed.manage_boot),
        (State::Error, Some("Introspection timeout"), false)
    );
    let legacy = cache.get_node(uuid(N2)).await.unwrap();
    assert!(legacy.manage_boot, "NULL manage_boot reads as true");
    assert_eq!(
        cache.options(uuid(N2)).await.unwrap()["foo"],
        serde_json::json!("bar")
    );
    assert_eq!(
        cache.introspection_data(uuid(N1), true).await.unwrap()["memory_mb"],
        16384
    );
    assert_eq!(
        cache.introspection_data(uuid(N1), false).await.unwrap()["ipmi_address"],
        "192.0.2.1"
    );
    assert_eq!(cache.active_macs().await.unwrap().len(), 3);

    // Lookup and state changes work on upstream's rows, whatever their version_id.
    let query = LookupQuery {
        bmc_addresses: vec!["192.0.2.10".into()],
        macs: vec!["52:54:00:12:34:57".into()],
    };
    let mut node = cache.find_node(&query).await.unwrap();
    assert_eq!(node.uuid, uuid(N2));
    cache
        .fsm_event(&mut node, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    cache
        .finished(&mut node, Event::Finish, None)
        .await
        .unwrap();
    let mut node = cache.get_node(uuid(N4)).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Error, Strictness::Lenient)
        .await
        .unwrap();
    assert_eq!(cache.get_node(uuid(N4)).await.unwrap().state, State::Error);
    assert_eq!(
        cache.get_node(uuid(N2)).await.unwrap().state,
        State::Finished
    );
}

#[apply(every_backend)]
fn stamp_records_a_revision_without_migrating(#[case] backend: Backend) {
    let db = database!(TestDatabase::empty(backend));
    let dbsync = Dbsync::for_db(&db);
    dbsync.ok(&["upgrade"]);
    dbsync.ok(&["stamp", "--revision", "bf8dec16023c"]);
    assert_eq!(dbsync.ok(&["version"]), "bf8dec16023c\n");
    let error = dbsync.fails(&["upgrade"]);
    assert!(
        error.contains("the database is at upstream revision bf8dec16023c"),
        "{error}"
    );
    dbsync.ok(&["stamp", "--revision", "head"]);
    assert_eq!(dbsync.ok(&["version"]), "b55109d5063a (head)\n");
    let error = dbsync.fails(&["stamp", "--revision", "0123456789ab"]);
    assert!(
        error.contains("Can't locate revision identified by '0123456789ab'"),
        "{error}"
    );
    assert_eq!(
        dbsync.ok(&["version"]),
        "b55109d5063a (head)\n",
        "a refused stamp changes nothing"
    );
    let error = dbsync.fails(&["upgrade", "--revision", "nonsense"]);
    assert!(
        error.contains("Can't locate revision identified by 'nonsense'"),
        "{error}"
    );
    let usage = dbsync.run(&["stamp"]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "a missing --revision is a usage error"
    );
}

#[apply(every_backend)]
fn an_unversioned_database_is_refused_untouched(#[case] backend: Backend) {
    let db = database!(TestDatabase::empty(backend));
    db.execute_sql("CREATE TABLE nodes (uuid VARCHAR(36) NOT NULL PRIMARY KEY)")
        .unwrap();
    let before = db.schema().unwrap();
    let error = Dbsync::for_db(&db).fails(&["upgrade"]);
    assert!(error.contains("stamp it"), "{error}");
    assert_eq!(db.schema().unwrap(), before);
}

#[rstest]
#[case::postgres("postgresql+psycopg2://postgres@127.0.0.1:1/test")]
#[case::mysql("mysql+pymysql://root@127.0.0.1:1/test")]
#[case::sqlite_dir("sqlite:////nonexistent/dir/inspector.sqlite")]
fn an_unreachable_database_is_a_clear_error(#[case] connection: &str) {
    let error = Dbsync::for_url(connection).fails(&["upgrade"]);
    assert!(error.contains("cannot connect to the database"), "{error}");
    assert!(
        !error.contains("psycopg2") || error.contains("postgresql"),
        "{error}"
    );
}

#[rstest]
#[case::dialect(
    "[database]\nconnection = oracle://scott:tiger@db/orcl\n",
    "unsupported database dialect \"oracle\""
)]
#[case::memory("[database]\nconnection = sqlite://\n", "an SQLite URL needs a path")]
#[case::bad_type(
    "[database]\nconnection = sqlite:///x.db\nmax_retries = often\n",
    "option max_retries in group [database]"
)]
#[case::syntax("[database\nconnection = sqlite:///x.db\n", "invalid section header")]
fn bad_configuration_is_a_clear_error(#[case] text: &str, #[case] expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("inspector.conf");
    std::fs::write(&config, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector-dbsync"))
        .current_dir(dir.path())
        .arg("--config-file")
        .arg(&config)
        .arg("upgrade")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(expected), "{stderr}");
    assert!(
        !stderr.contains("tiger"),
        "passwords are never printed: {stderr}"
    );
}

#[test]
fn without_a_config_file_the_embedded_sqlite_default_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ironic-inspector-dbsync"))
        .current_dir(dir.path())
        .arg("upgrade")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(dir.path().join("ironic_inspector.sqlite").exists());
}
