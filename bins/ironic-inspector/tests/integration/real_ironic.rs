//! The service behind a real Ironic 32 (`ironic==32.0.0` from `.ci/venvs`):
//! Ironic's `inspector` inspect interface starts introspection through our API
//! and polls its status; the test plays the ramdisk's `/v1/continue` post and
//! checks what Ironic ends with. One Ironic and one service are shared by the
//! tests of this binary (a second pair, with a short time-out, serves the
//! time-out test); the restart test has the shared service to itself.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::real;

use std::path::Path;
use std::time::{Duration, Instant};

use real::{Inspector, Ironic, IronicOptions, payload, skip, venv};
use serde_json::{Value, json};
use tokio::sync::{OnceCell, RwLock};

/// Ironic and the service it drives.
struct Pair {
    ironic: Ironic,
    inspector: RwLock<Inspector>,
}

/// `[DEFAULT] timeout` of the shared pair and of the time-out pair, seconds.
const LONG_TIMEOUT: u32 = 600;
const SHORT_TIMEOUT: u32 = 6;

static SHARED: OnceCell<Result<Pair, String>> = OnceCell::const_new();
static TIMING_OUT: OnceCell<Result<Pair, String>> = OnceCell::const_new();

/// Pairs start one at a time, so that the ports each picks are bound before
/// the next pair picks its own.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A pair whose service times out after `timeout` seconds, with `extra`
/// settings after its `[ironic]` section's own.
async fn start_pair(timeout: u32, extra: &str) -> Result<Pair, String> {
    let venv = venv("ironic")?;
    let _one_at_a_time = STARTING.lock().await;
    let inspector_port = real::free_port();
    let ironic = Ironic::start(
        &venv,
        IronicOptions {
            status_check_period: 1,
            inspect_wait_timeout: 900,
            inspector_port,
            keystone: None,
        },
    )
    .await;
    let config = format!(
        "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 127.0.0.1\nlisten_port = {{port}}\n\
         introspection_delay = 0\ntimeout = {timeout}\nclean_up_period = 1\n\
         [database]\nconnection = sqlite:///{{dir}}/inspector.sqlite\n\
         [ironic]\nauth_type = none\nendpoint_override = {}\nretry_interval = 1\n{extra}\
         [processing]\nstore_data = database\nadd_ports = pxe\n\
         processing_hooks = $default_processing_hooks,lldp_basic,local_link_connection\n\
         [pxe_filter]\ndriver = noop\n",
        ironic.url
    );
    let inspector = Inspector::start(inspector_port, &config).await;
    Ok(Pair {
        ironic,
        inspector: RwLock::new(inspector),
    })
}

/// The shared pair, or `None` (after saying so) when Ironic is not installed.
async fn shared(test: &str) -> Option<&'static Pair> {
    match SHARED.get_or_init(|| start_pair(LONG_TIMEOUT, "")).await {
        Ok(pair) => Some(pair),
        Err(reason) => {
            skip(test, reason);
            None
        }
    }
}

/// A MAC and a BMC address unique to `test` and `index` within this binary.
fn machine(test: u8, index: u8) -> (String, String) {
    (
        format!("52:54:{test:02x}:00:00:{index:02x}"),
        format!("10.{test}.0.{index}"),
    )
}

/// Posts ramdisk data to the service; returns the status and body.
async fn post(inspector: &Inspector, data: &Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/continue", inspector.url))
        .json(data)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Starts inspection through Ironic and waits for `inspect wait`.
async fn inspect(ironic: &Ironic, uuid: &str) {
    ironic.provision(uuid, "inspect").await;
    ironic
        .wait_for_state(uuid, &["inspect wait"], Duration::from_secs(60))
        .await;
}

/// Waits until the service's record of `uuid` is `waiting` (the boot
/// preparation done), so that a post is expected. Read from the service's log,
/// so that every request the service sees for the node is Ironic's.
async fn waiting(inspector: &Inspector, uuid: &str) {
    let node = format!("node={uuid}");
    real::wait_for("the record to wait", Duration::from_secs(60), || {
        let log = inspector.log();
        let found = log
            .lines()
            .any(|line| line.contains(&node) && line.contains("to=waiting"));
        async move { found.then_some(()) }
    })
    .await;
}

/// [`waiting`] for the `times`-th time.
async fn waiting_again(inspector: &Inspector, uuid: &str, times: usize) {
    let node = format!("node={uuid}");
    real::wait_for("the record to wait again", Duration::from_secs(60), || {
        let log = inspector.log();
        let count = log
            .lines()
            .filter(|line| line.contains(&node) && line.contains("to=waiting"))
            .count();
        async move { (count >= times).then_some(()) }
    })
    .await;
}

/// Enrolls a node (`fields`, ports for `macs`), starts its inspection
/// through Ironic and waits until the service waits for its ramdisk.
async fn waiting_node(
    ironic: &Ironic,
    inspector: &Inspector,
    fields: Value,
    macs: &[&str],
) -> String {
    let uuid = ironic.enroll(fields, macs).await;
    inspect(ironic, &uuid).await;
    waiting(inspector, &uuid).await;
    uuid
}

/// [`waiting_node`] for the machine `machine(test, index)`, found by its
/// BMC address and its one port; returns the node's UUID, the MAC and the BMC.
async fn waiting_machine(
    ironic: &Ironic,
    inspector: &Inspector,
    test: u8,
    index: u8,
) -> (String, String, String) {
    let (mac, bmc) = machine(test, index);
    let uuid = waiting_node(ironic, inspector, with_bmc(&bmc), &[&mac]).await;
    (uuid, mac, bmc)
}

/// Node fields with this BMC address.
fn with_bmc(bmc: &str) -> Value {
    json!({"driver_info": {"ipmi_address": bmc}})
}

/// `GET /v1/introspection/<uuid>/timeline` at 1.19.
async fn timeline(inspector: &Inspector, uuid: &str) -> Value {
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/v1/introspection/{uuid}/timeline",
            inspector.url
        ))
        .header("X-OpenStack-Ironic-Inspector-API-Version", "1.19")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

/// The kinds of a timeline's events, oldest first.
fn kinds(timeline: &Value) -> Vec<&str> {
    timeline["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect()
}

/// The message of an error answer.
fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

fn properties_as_processed(node: &Value) {
    let properties = &node["properties"];
    // Written as text, as upstream's scheduler hook does.
    assert_eq!(properties["cpus"], "4", "{properties}");
    assert_eq!(properties["cpu_arch"], "x86_64", "{properties}");
    assert_eq!(properties["memory_mb"], "12288", "{properties}");
    assert_eq!(properties["local_gb"], "999", "{properties}");
    let capabilities = properties["capabilities"].as_str().unwrap_or_default();
    assert!(
        capabilities.contains("cpu_vt:true"),
        "capabilities: {capabilities}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspection_with_boot_managed_by_the_service() {
    const TEST: &str = "inspection_with_boot_managed_by_the_service";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(1, 1);
    let started = Instant::now();
    let uuid = waiting_node(
        ironic,
        &inspector,
        json!({"name": "managed-by-service", "driver_info": {"ipmi_address": bmc}}),
        &[&mac],
    )
    .await;
    // Ironic carries out the service's reboot request in the background.
    let node = real::wait_for("the reboot", Duration::from_secs(30), || async {
        let node = ironic.node(&uuid).await;
        (node["power_state"] == "power on").then_some(node)
    })
    .await;
    assert_eq!(
        node["driver_internal_info"]["inspector_manage_boot"], false,
        "the fake boot interface cannot manage boot: the service does"
    );
    let (status, body) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!((status, &body), (200, &json!({"uuid": uuid})));
    let node = ironic
        .wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
        .await;
    assert_eq!(node["last_error"], Value::Null);
    assert_eq!(
        node["power_state"], "power off",
        "the service powered it off"
    );
    properties_as_processed(&node);
    let ports = ironic.ports(&uuid).await;
    assert_eq!(ports.len(), 1, "{ports:?}");
    assert_eq!(ports[0]["pxe_enabled"], true);
    assert_eq!(
        ports[0]["local_link_connection"],
        json!({"switch_id": "11:22:33:aa:bb:cc", "port_id": "734"})
    );
    let (status, inventory) = ironic
        .call("GET", &format!("/v1/nodes/{uuid}/inventory"), None)
        .await;
    assert_eq!(status, 200, "{inventory}");
    assert_eq!(
        inventory["inventory"]["cpu"]["count"], 4,
        "Ironic fetched our data"
    );

    // What Ironic asked of the service for this node.
    let calls: Vec<String> = inspector
        .requests()
        .into_iter()
        .filter(|r| r.contains(&uuid))
        .collect();
    let count = |call: &str| calls.iter().filter(|c| *c == call).count();
    let start = format!("POST /v1/introspection/{uuid}");
    let status = format!("GET /v1/introspection/{uuid}");
    let data = format!("GET /v1/introspection/{uuid}/data");
    assert_eq!(count(&start), 1, "{calls:?}");
    assert_eq!(count(&data), 1, "{calls:?}");
    assert!(count(&status) >= 1, "{calls:?}");
    assert_eq!(calls.len(), 2 + count(&status), "nothing else: {calls:?}");
    eprintln!(
        "{TEST}: Ironic's calls to the service for one node: 1 start (POST), \
         {} status (GET), 1 data (GET); {:.1} s from enrolling to manageable",
        count(&status),
        started.elapsed().as_secs_f64()
    );

    // Every step, in order, with Ironic's answers and the facts behind them.
    let timeline = timeline(&inspector, &uuid).await;
    assert_eq!(
        kinds(&timeline),
        [
            "started",
            "lookup_attributes",
            "pxe_filter_synced",
            "boot_device_set",
            "power_action",
            "waiting",
            "ramdisk_post",
            "hooks",
            "hooks",
            "ironic_updated",
            "data_stored",
            "rules_applied",
            "power_action",
            "finished",
        ],
        "{timeline}"
    );
    let events = &timeline["events"];
    assert!(
        events[0]["detail"]["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req-")),
        "who asked: {timeline}"
    );
    assert_eq!(events[2]["detail"]["macs"], json!([mac]));
    assert_eq!(
        events[4]["detail"],
        json!({"target": "reboot", "answer": "accepted"})
    );
    assert_eq!(
        events[6]["detail"]["matched_by"],
        json!([{"name": "bmc_address", "value": bmc}, {"name": "mac", "value": mac}])
    );
    assert_eq!(events[9]["detail"]["ports_updated"], json!([mac]));
    assert_eq!(timeline["diagnosis"], Value::Null);
    let explained = inspector.explain(&uuid);
    assert!(
        explained.contains("Timeline (14 events, oldest first):"),
        "{explained}"
    );
    eprintln!("{TEST}: ironic-inspector explain {uuid}:\n{explained}");
    eprintln!("{TEST}: GET /v1/introspection/{uuid}/timeline:\n{timeline:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspection_with_boot_managed_by_ironic() {
    const TEST: &str = "inspection_with_boot_managed_by_ironic";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(2, 1);
    let uuid = waiting_node(
        ironic,
        &inspector,
        json!({"name": "managed-by-ironic", "boot_interface": "pxe",
                   "driver_info": {"ipmi_address": bmc}}),
        &[&mac],
    )
    .await;
    let node = ironic.node(&uuid).await;
    assert_eq!(node["driver_internal_info"]["inspector_manage_boot"], true);
    let pxe_config =
        std::fs::read_to_string(ironic.dir.path().join(format!("tftpboot/{uuid}/config"))).unwrap();
    assert!(
        pxe_config.contains(&format!(
            "ipa-inspection-callback-url=http://inspector.test:{}/v1/continue",
            inspector.port
        )),
        "{pxe_config}"
    );
    let starts: Vec<String> = inspector
        .log()
        .lines()
        .filter(|l| l.contains(&uuid) && l.contains("introspection started"))
        .map(str::to_owned)
        .collect();
    assert!(
        starts.iter().any(|l| l.contains("manage_boot=false")),
        "Ironic manages the boot: {starts:?}"
    );
    let (status, _) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!(status, 200);
    let node = ironic
        .wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
        .await;
    assert_eq!(node["last_error"], Value::Null);
    assert_eq!(node["power_state"], "power off", "Ironic powered it off");
    properties_as_processed(&node);
}

/// Field bug: the port `validate_interfaces` creates was never given its
/// `local_link_connection` in the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_created_in_the_run_gets_its_local_link_connection() {
    const TEST: &str = "a_port_created_in_the_run_gets_its_local_link_connection";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(3, 1);
    let uuid = waiting_node(ironic, &inspector, with_bmc(&bmc), &[]).await;
    let (status, body) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!(status, 200, "found by its BMC address: {body}");
    ironic
        .wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
        .await;
    let ports = ironic.ports(&uuid).await;
    assert_eq!(ports.len(), 1, "{ports:?}");
    assert_eq!(ports[0]["address"], mac);
    assert_eq!(
        ports[0]["local_link_connection"],
        json!({"switch_id": "11:22:33:aa:bb:cc", "port_id": "734"})
    );
}

/// Field bug: UEFI/grub boots report no boot interface, and PXE was then
/// turned off on every port of the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ramdisk_without_a_boot_interface_leaves_pxe_enabled() {
    const TEST: &str = "a_ramdisk_without_a_boot_interface_leaves_pxe_enabled";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (first, bmc) = machine(4, 1);
    let (second, _) = machine(4, 2);
    let uuid = waiting_node(ironic, &inspector, with_bmc(&bmc), &[&first, &second]).await;
    let mut data = payload(&first, &bmc);
    data.as_object_mut().unwrap().remove("boot_interface");
    let mut other = data["inventory"]["interfaces"][0].clone();
    other["name"] = json!("eth3");
    other["mac_address"] = json!(second);
    other["ipv4_address"] = json!("192.0.2.11");
    other["lldp"] = Value::Null;
    data["inventory"]["interfaces"]
        .as_array_mut()
        .unwrap()
        .push(other);
    let (status, body) = post(&inspector, &data).await;
    assert_eq!(status, 200, "{body}");
    ironic
        .wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
        .await;
    let flags: Vec<(String, Value)> = ironic
        .ports(&uuid)
        .await
        .iter()
        .map(|p| {
            (
                p["address"].as_str().unwrap().to_owned(),
                p["pxe_enabled"].clone(),
            )
        })
        .collect();
    assert_eq!(flags.len(), 2, "{flags:?}");
    assert!(flags.iter().all(|(_, pxe)| *pxe == true), "{flags:?}");
    assert!(
        inspector
            .log()
            .contains("the ramdisk reported no boot interface, pxe_enabled is left as it is"),
        "a warning says why"
    );
}

/// Field bug: a failure after the node was matched left the record
/// `waiting` until the time-out, and Ironic waited with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ramdisk_error_fails_the_inspection_at_once() {
    const TEST: &str = "a_ramdisk_error_fails_the_inspection_at_once";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (uuid, mac, bmc) = waiting_machine(ironic, &inspector, 5, 1).await;
    let mut data = payload(&mac, &bmc);
    data["error"] = json!("Failed to collect disks");
    let (status, body) = post(&inspector, &data).await;
    assert_eq!(status, 400);
    let reported = "Ramdisk reported error: Failed to collect disks";
    assert!(message(&body).contains(reported), "{body}");
    let node = ironic
        .wait_for_state(&uuid, &["inspect failed"], Duration::from_secs(30))
        .await;
    let last_error = node["last_error"].as_str().unwrap();
    assert!(
        last_error.starts_with("ironic-inspector inspection failed: ")
            && last_error.contains(reported),
        "{last_error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_hook_is_named_in_the_timeline() {
    const TEST: &str = "a_failing_hook_is_named_in_the_timeline";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(12, 1);
    let mut fields = with_bmc(&bmc);
    fields["properties"] = json!({"root_device": {"serial": "no-such-disk"}});
    let uuid = waiting_node(ironic, &inspector, fields, &[&mac]).await;
    let (status, body) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!(status, 400, "{body}");
    let hint = "No disks satisfied root device hints";
    assert_eq!(message(&body), hint);
    let node = ironic
        .wait_for_state(&uuid, &["inspect failed"], Duration::from_secs(30))
        .await;
    assert!(
        node["last_error"].as_str().unwrap().contains(hint),
        "{node}"
    );
    let timeline = timeline(&inspector, &uuid).await;
    let hooks: Vec<&Value> = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "hooks")
        .collect();
    assert_eq!(hooks.len(), 2, "{timeline}");
    assert_eq!(
        hooks[0]["detail"]["failed"],
        json!([]),
        "pre-processing passed"
    );
    assert_eq!(
        hooks[1]["detail"]["failed"],
        json!([{"hook": "root_disk_selection", "message": hint}])
    );
    assert_eq!(
        hooks[1]["detail"]["ok"],
        json!(["ramdisk_error"]),
        "{timeline}"
    );
    assert_eq!(kinds(&timeline).last(), Some(&"error"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeline_lasts_as_long_as_its_record() {
    const TEST: &str = "a_timeline_lasts_as_long_as_its_record";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (uuid, mac, bmc) = waiting_machine(ironic, &inspector, 15, 1).await;
    for run in 1..=2 {
        let (status, body) = post(&inspector, &payload(&mac, &bmc)).await;
        assert_eq!(status, 200, "run {run}: {body}");
        ironic
            .wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
            .await;
        let kinds_now = kinds(&timeline(&inspector, &uuid).await)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert_eq!(
            kinds_now.iter().filter(|k| *k == "started").count(),
            1,
            "run {run}: a new introspection starts a new timeline: {kinds_now:?}"
        );
        assert_eq!(kinds_now.last().map(String::as_str), Some("finished"));
        if run == 1 {
            inspect(ironic, &uuid).await;
            waiting_again(&inspector, &uuid, 2).await;
        }
    }
    // The node leaves Ironic: the periodic sync drops its record and timeline.
    let (status, body) = ironic
        .call("DELETE", &format!("/v1/nodes/{uuid}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    let url = format!("{}/v1/introspection/{uuid}/timeline", inspector.url);
    real::wait_for("the record to go", Duration::from_secs(30), || {
        let request = reqwest::get(&url);
        async move { (request.await.ok()?.status() == 404).then_some(()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_from_ironic_while_the_node_waits() {
    const TEST: &str = "abort_from_ironic_while_the_node_waits";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (uuid, mac, bmc) = waiting_machine(ironic, &inspector, 6, 1).await;
    ironic.provision(&uuid, "abort").await;
    let node = ironic
        .wait_for_state(&uuid, &["inspect failed"], Duration::from_secs(30))
        .await;
    assert_eq!(node["last_error"], "Inspection was aborted by request.");
    let url = format!("{}/v1/introspection/{uuid}", inspector.url);
    let status: Value = real::wait_for("the abort to finish", Duration::from_secs(30), || {
        let request = reqwest::get(&url);
        async move {
            let status: Value = request.await.ok()?.json().await.ok()?;
            (status["finished"] == true).then_some(status)
        }
    })
    .await;
    assert_eq!(status["state"], "error", "{status}");
    // Upstream's text, which clients match on, then where it stood.
    assert!(
        status["error"].as_str().is_some_and(|error| error
            .starts_with("Canceled by operator: the reboot was sent at ")
            && error.ends_with(" and no ramdisk called back")),
        "{status}"
    );
    let (status, body) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("Could not find a node"),
        "an aborted node matches no post: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_nodes_inspected_at_once() {
    const TEST: &str = "twenty_nodes_inspected_at_once";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let guard = pair.inspector.read().await;
    let inspector: &Inspector = &guard;
    let ironic = &pair.ironic;
    let started = Instant::now();
    let machines: Vec<(String, String)> = (1..=20).map(|i| machine(7, i)).collect();
    let enrolled = futures_join(
        machines
            .iter()
            .map(|(mac, bmc)| async move { ironic.enroll(with_bmc(bmc), &[mac]).await }),
    )
    .await;
    futures_join(enrolled.iter().map(|uuid| inspect(ironic, uuid))).await;
    futures_join(enrolled.iter().map(|uuid| waiting(inspector, uuid))).await;
    let answers = futures_join(
        machines
            .iter()
            .map(|(mac, bmc)| async move { post(inspector, &payload(mac, bmc)).await.0 }),
    )
    .await;
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    let nodes = futures_join(
        enrolled
            .iter()
            .map(|uuid| ironic.wait_for_state(uuid, &["manageable"], Duration::from_secs(120))),
    )
    .await;
    for node in &nodes {
        assert_eq!(node["last_error"], Value::Null);
        properties_as_processed(node);
    }
    eprintln!(
        "{TEST}: 20 nodes enrolled, inspected and manageable in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_restarts_while_nodes_wait() {
    const TEST: &str = "the_service_restarts_while_nodes_wait";
    let _timed = real::timed(TEST);
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let mut inspector = pair.inspector.write().await;
    let ironic = &pair.ironic;
    let machines: Vec<(String, String)> = (1..=3).map(|i| machine(8, i)).collect();
    let mut nodes = Vec::new();
    for (mac, bmc) in &machines {
        let uuid = waiting_node(ironic, &inspector, with_bmc(bmc), &[mac]).await;
        nodes.push(uuid);
    }
    inspector.restart().await;
    // Ironic keeps polling through the restart and keeps waiting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for uuid in &nodes {
        assert_eq!(ironic.node(uuid).await["provision_state"], "inspect wait");
        waiting(&inspector, uuid).await;
    }
    for (mac, bmc) in &machines {
        let (status, body) = post(&inspector, &payload(mac, bmc)).await;
        assert_eq!(status, 200, "{body}");
    }
    for uuid in &nodes {
        let node = ironic
            .wait_for_state(uuid, &["manageable"], Duration::from_secs(60))
            .await;
        assert_eq!(node["last_error"], Value::Null);
        properties_as_processed(&node);
    }
}

/// The time-out pair, taken in turn: the ramdisk reports that match no node
/// are the pair's, and each test's diagnosis must see only its own. Its
/// service spaces managed reboots by `INTROSPECTION_DELAY`, and its Ironic
/// client does not retry a refused call (the engine's own five attempts do).
async fn timing_out(test: &str) -> Option<(&'static Pair, tokio::sync::MutexGuard<'static, ()>)> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let extra =
        format!("max_retries = 0\n[DEFAULT]\nintrospection_delay = {INTROSPECTION_DELAY}\n");
    match TIMING_OUT
        .get_or_init(|| start_pair(SHORT_TIMEOUT, &extra))
        .await
    {
        Ok(pair) => Some((pair, TURN.lock().await)),
        Err(reason) => {
            skip(test, reason);
            None
        }
    }
}

/// `[DEFAULT] introspection_delay` of the time-out pair, seconds.
const INTROSPECTION_DELAY: u32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_never_calls_back_times_out_in_ironic() {
    const TEST: &str = "a_node_that_never_calls_back_times_out_in_ironic";
    let _timed = real::timed(TEST);
    let Some((pair, _turn)) = timing_out(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(9, 1);
    let uuid = ironic.enroll(with_bmc(&bmc), &[&mac]).await;
    ironic.provision(&uuid, "inspect").await;
    let node = ironic
        .wait_for_state(&uuid, &["inspect failed"], Duration::from_secs(60))
        .await;
    let last_error = node["last_error"].as_str().unwrap();
    // Upstream's prefix, which clients match on, then why.
    assert!(
        last_error.starts_with(
            "ironic-inspector inspection failed: Introspection timeout: the reboot was sent at "
        ) && last_error.ends_with(" and no ramdisk called back"),
        "{last_error}"
    );
    let timeline = timeline(&inspector, &uuid).await;
    assert_eq!(kinds(&timeline).last(), Some(&"timed_out"), "{timeline}");
    let (status, body) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("Could not find a node"),
        "a late post matches nothing: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ramdisk_that_matches_nothing_is_named_in_the_time_out() {
    const TEST: &str = "a_ramdisk_that_matches_nothing_is_named_in_the_time_out";
    let _timed = real::timed(TEST);
    let Some((pair, _turn)) = timing_out(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(13, 1);
    let (stranger_mac, stranger_bmc) = machine(13, 2);
    let uuid = ironic.enroll(with_bmc(&bmc), &[&mac]).await;
    inspect(ironic, &uuid).await;
    waiting(&inspector, &uuid).await;
    // A machine nobody enrolled boots the ramdisk and calls back.
    let (status, body) = post(&inspector, &payload(&stranger_mac, &stranger_bmc)).await;
    assert_eq!(status, 400, "{body}");
    let answer = reqwest::Client::new()
        .get(format!("{}/v1/introspection/unmatched", inspector.url))
        .header("X-OpenStack-Ironic-Inspector-API-Version", "1.19")
        .send()
        .await
        .unwrap();
    let unmatched: Value = answer.json().await.unwrap();
    eprintln!("{TEST}: GET /v1/introspection/unmatched:\n{unmatched:#}");
    let newest = &unmatched["unmatched"][0];
    assert_eq!(newest["macs"][0], stranger_mac.as_str(), "{unmatched}");
    assert_eq!(newest["bmc_addresses"], json!([stranger_bmc]));
    assert_eq!(newest["client_address"], "127.0.0.1");
    let node = ironic
        .wait_for_state(&uuid, &["inspect failed"], Duration::from_secs(60))
        .await;
    let last_error = node["last_error"].as_str().unwrap();
    assert!(
        last_error.starts_with(
            "ironic-inspector inspection failed: Introspection timeout: the reboot was sent at "
        ),
        "{last_error}"
    );
    for named in [
        "a ramdisk called back at ".to_owned(),
        format!(" from 127.0.0.1 with MACs {stranger_mac}"),
        format!("and BMC addresses {stranger_bmc} but matched no node"),
        format!("(this node's MACs: {mac}; BMC addresses: {bmc})"),
    ] {
        assert!(last_error.contains(&named), "{named:?} in {last_error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reboot_ironic_refuses_fails_with_its_answer() {
    const TEST: &str = "a_reboot_ironic_refuses_fails_with_its_answer";
    let _timed = real::timed(TEST);
    let Some((pair, _turn)) = timing_out(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (first_mac, first_bmc) = machine(14, 1);
    let (mac, bmc) = machine(14, 2);
    let first = ironic.enroll(with_bmc(&first_bmc), &[&first_mac]).await;
    // Neither is inspected through Ironic: an operator starts them.
    let mut fields = with_bmc(&bmc);
    fields["vendor_interface"] = json!("fake");
    let refused = ironic.enroll(fields, &[&mac]).await;
    // Started through the API, one right after the other: the first reboot
    // makes the second wait for the introspection delay after its boot
    // device is set, and then a long vendor call locks the node.
    let http = reqwest::Client::new();
    for node in [&first, &refused] {
        let answer = http
            .post(format!("{}/v1/introspection/{node}", inspector.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202);
    }
    // The timeline is written when the boot preparation ends: Ironic's log
    // says when the boot device is set.
    let boot_device_set = format!("PUT /v1/nodes/{refused}/management/boot_device - 204");
    real::wait_for("the boot device", Duration::from_secs(30), || {
        let set = ironic.log().contains(&boot_device_set);
        async move { set.then_some(()) }
    })
    .await;
    let (status, body) = ironic
        .call(
            "POST",
            &format!("/v1/nodes/{refused}/vendor_passthru?method=second_method"),
            Some(json!({"bar": "kazoo"})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let url = format!("{}/v1/introspection/{refused}", inspector.url);
    let status: Value = real::wait_for("the refusal", Duration::from_secs(90), || {
        let request = reqwest::get(&url);
        async move {
            let status: Value = request.await.ok()?.json().await.ok()?;
            (status["finished"] == true).then_some(status)
        }
    })
    .await;
    let error = status["error"].as_str().unwrap_or_default();
    assert!(
        error
            .starts_with("Failed to power on the node, check its power management configuration: ")
            && error.contains("locked"),
        "{status}"
    );
    let timeline = timeline(&inspector, &refused).await;
    let reboot = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "power_action")
        .unwrap_or_else(|| panic!("a reboot event: {timeline}"));
    assert_eq!(reboot["detail"]["target"], "reboot");
    assert!(
        reboot["detail"]["answer"]
            .as_str()
            .is_some_and(|answer| answer.contains("locked")),
        "Ironic's answer: {timeline}"
    );
    assert_eq!(kinds(&timeline).last(), Some(&"error"));
    assert!(
        !kinds(&timeline).contains(&"waiting"),
        "it never waited: {timeline}"
    );
    eprintln!(
        "{TEST}: ironic-inspector explain {refused}:\n{}",
        inspector.explain(&refused)
    );
}

/// Runs the futures concurrently; their outputs in order.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    futures_util::future::join_all(futures).await
}

/// This machine's first network interface with a device behind it (the
/// ones ironic-python-agent reports), as (name, MAC).
fn this_machines_nic() -> Option<(String, String)> {
    let mut names: Vec<_> = std::fs::read_dir("/sys/class/net")
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("device").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().find_map(|name| {
        let mac = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).ok()?;
        let mac = mac.trim().to_owned();
        (mac != "00:00:00:00:00:00").then_some((name, mac))
    })
}

/// ironic-python-agent's own inspection (`ironic-collect-introspection-data`:
/// its collectors over this machine's hardware, its `/v1/continue` call with
/// its retries, its handling of our answer) for a node whose port has this
/// machine's MAC, driven by Ironic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_ramdisk_inspects_this_machine() {
    const TEST: &str = "the_real_ramdisk_inspects_this_machine";
    let _timed = real::timed(TEST);
    let agent = match venv("ipa") {
        Ok(venv) => venv.join("bin/ironic-collect-introspection-data"),
        Err(reason) => return skip(TEST, &reason),
    };
    let missing: Vec<&str> = ["lshw", "udevadm"]
        .into_iter()
        .filter(|tool| {
            !std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if !missing.is_empty() {
        return skip(TEST, &format!("the agent's collectors need {missing:?}"));
    }
    let Some((nic, mac)) = this_machines_nic() else {
        return skip(TEST, "this machine has no network interface with a device");
    };
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let uuid = waiting_node(ironic, &inspector, json!({"name": "this-machine"}), &[&mac]).await;
    let started = Instant::now();
    let run = tokio::process::Command::new(&agent)
        .args([
            "--inspection_callback_url",
            &format!("{}/v1/continue", inspector.url),
            "--inspection_collectors",
            "default,logs,pci-devices",
            "--inspection_dhcp_wait_timeout",
            "0",
            "--disk_wait_attempts",
            "0",
        ])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the agent finishes within 3 minutes")
        .unwrap();
    let agent_log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the agent failed:\n{agent_log}");
    let agent_seconds = started.elapsed().as_secs_f64();
    let node = ironic
        .wait_for_state(&uuid, &["manageable"], Duration::from_secs(60))
        .await;
    assert_eq!(node["last_error"], Value::Null);
    let data: Value = reqwest::get(format!("{}/v1/introspection/{uuid}/data", inspector.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cpus = data["inventory"]["cpu"]["count"].as_u64().unwrap();
    assert_eq!(
        node["properties"]["cpus"],
        cpus.to_string(),
        "{}",
        node["properties"]
    );
    assert_eq!(
        data["all_interfaces"][&nic]["mac"], mac,
        "the agent reported this machine's NIC"
    );
    assert!(
        data.get("logs").is_none(),
        "the ramdisk's logs are not stored"
    );
    assert!(
        data["pci_devices"].is_array(),
        "pci-devices ran: {}",
        data["pci_devices"]
    );
    assert_eq!(
        data["boot_interface"],
        Value::Null,
        "no BOOTIF outside a PXE boot"
    );
    let ports = ironic.ports(&uuid).await;
    let port = ports.iter().find(|p| p["address"] == mac).unwrap();
    assert_eq!(
        port["pxe_enabled"], true,
        "no boot interface: left as it was"
    );
    eprintln!(
        "{TEST}: the agent collected and posted in {agent_seconds:.1} s ({} CPUs, {} disks, {} PCI devices)",
        cpus,
        data["inventory"]["disks"].as_array().map_or(0, Vec::len),
        data["pci_devices"].as_array().map_or(0, Vec::len),
    );
}

/// The API through openstacksdk's `baremetal_introspection` proxy, the code
/// Ironic itself calls: start, status, data, rules and abort.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstacksdk_drives_the_api() {
    const TEST: &str = "openstacksdk_drives_the_api";
    let _timed = real::timed(TEST);
    let python = match venv("ironic") {
        Ok(venv) => venv.join("bin/python3"),
        Err(reason) => return skip(TEST, &reason),
    };
    let Some(pair) = shared(TEST).await else {
        return;
    };
    let inspector = pair.inspector.read().await;
    let ironic = &pair.ironic;
    let (mac, bmc) = machine(10, 1);
    let uuid = ironic.enroll(with_bmc(&bmc), &[&mac]).await;
    let (other_mac, other_bmc) = machine(10, 2);
    let other = ironic.enroll(with_bmc(&other_bmc), &[&other_mac]).await;
    let sdk = |step: &'static str, node: String| {
        let url = inspector.url.clone();
        let python = python.clone();
        async move {
            let output = tokio::process::Command::new(python)
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real/sdk_steps.py"))
                .args([&url, step, &node])
                .kill_on_drop(true)
                .output()
                .await
                .unwrap();
            assert!(
                output.status.success(),
                "{step}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_slice::<Value>(&output.stdout).unwrap()
        }
    };
    let started = sdk("start", uuid.clone()).await;
    assert_eq!(started["state"], "waiting", "{started}");
    assert_eq!(started["is_finished"], false);
    let (status, _) = post(&inspector, &payload(&mac, &bmc)).await;
    assert_eq!(status, 200);
    let finished = sdk("wait", uuid.clone()).await;
    assert_eq!(finished["introspection"]["state"], "finished", "{finished}");
    assert_eq!(finished["introspection"]["error"], Value::Null);
    assert_eq!(finished["data"]["inventory"]["cpu"]["count"], 4);
    assert_eq!(
        finished["unprocessed"]["boot_interface"],
        payload(&mac, &bmc)["boot_interface"]
    );
    assert!(
        finished["listed"]
            .as_array()
            .unwrap()
            .contains(&json!(uuid))
    );
    let rules = sdk("rules", uuid.clone()).await;
    assert_eq!(rules["created"]["description"], "sdk rule", "{rules}");
    assert!(
        rules["listed"]
            .as_array()
            .unwrap()
            .contains(&rules["created"]["id"])
    );
    assert_eq!(rules["after_delete"], false);
    let aborted = sdk("abort", other).await;
    assert_eq!(aborted["state"], "error", "{aborted}");
    assert!(
        aborted["error"]
            .as_str()
            .is_some_and(|error| error.starts_with("Canceled by operator: ")),
        "upstream's text first: {aborted}"
    );
}
