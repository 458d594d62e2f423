//! `docs/openapi.yaml` against the real binary: schemathesis (pinned in
//! `.ci/requirements/schemathesis.txt`) runs every phase — examples, coverage,
//! fuzzing, stateful — with positive and negative data on every operation,
//! bounded by 150 examples per operation and phase, and every check but one: no 5xx, answers
//! and their headers and content types as documented, JSON error bodies,
//! negative data refused. `positive_data_acceptance` is left out: the service
//! refuses data its schema cannot describe (a ramdisk payload of an unknown
//! machine, a rule's network that does not parse, a body UUID that is not the
//! URL's). The service talks to the fake Ironic, which holds a few nodes.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // Test helpers unwrap; figures are printed.

mod common;
mod real;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

const TEST: &str = "schemathesis_finds_no_failure";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure() {
    let _timed = real::timed(TEST);
    let venv = match real::venv("schemathesis") {
        Ok(venv) => venv,
        Err(reason) => return real::skip(TEST, &reason),
    };
    let fake = FakeIronic::start().await.unwrap();
    for i in 0..3 {
        let node = fake.add_node(json!({"driver": "ipmi", "name": format!("node-{i}"),
                                        "provision_state": "manageable"}));
        fake.add_port(node, &format!("52:54:00:4e:3d:3{i}"));
    }
    // No rate limits: the fuzzer's bursts must reach the handlers.
    let service = common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        "[api]\ncontinue_rate_per_client = 0\ncontinue_rate_overall = 0\n",
    ));
    let document = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.yaml");
    let report = service.dir().join("schemathesis.json");
    let output = tokio::process::Command::new(venv.join("bin/schemathesis"))
        .arg("run")
        .arg(&document)
        .args(["--url", &service.url])
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--mode", "all", "--max-examples", "150"])
        .args(["--workers", "2", "--seed", "17", "--request-timeout", "30"])
        .args(["--no-color", "--generation-database", "none"])
        .args(["--report", "json", "--report-json-path"])
        .arg(&report)
        .current_dir(service.dir())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| {
            panic!(
                "schemathesis wrote no report:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    println!(
        "schemathesis: {} operations tested, {} cases, {} with failures, {} errored, in {:.0} s",
        summary["operations"]["tested"],
        summary["test_cases"]["generated"],
        summary["test_cases"]["with_failures"],
        summary["test_cases"]["errored"],
        summary["running_time"].as_f64().unwrap_or_default()
    );
    assert_eq!(
        summary["operations"]["tested"], 22,
        "every operation of the document"
    );
    assert!(
        summary["test_cases"]["generated"]
            .as_u64()
            .unwrap_or_default()
            > 1000,
        "{summary}"
    );
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}"
    );
    assert_eq!(summary["test_cases"]["with_failures"], 0, "{stdout}");
    assert!(service.log().iter().all(|line| !line.contains("panicked")));
}
