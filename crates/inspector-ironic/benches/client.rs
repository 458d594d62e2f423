//! The real client against the fake Ironic on loopback.
//!
//! * `ironic/client/get_and_patch_node`: `get_node` + `patch_node` through
//!   [`HttpIronic`] (version header, request id, retry and rate-cap checks,
//!   error handling, typed decoding);
//! * `ironic/raw/get_and_patch_node`: the same two requests with a bare
//!   reqwest client, decoding to `serde_json::Value`.
//!
//! The client's overhead is the ratio of the two (target: ≤ 10 %).

#![allow(missing_docs)] // criterion_group! generates an undocumented public function.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inspector_config::{ConfigSources, IronicOptions};
use inspector_fake_ironic::FakeIronic;
use inspector_ironic::{HttpIronic, Ironic, NodeUuid, Patch};
use serde_json::{Value, json};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fake = rt.block_on(FakeIronic::start()).expect("fake Ironic");
    let raw_uuid = fake.add_node(json!({"driver": "ipmi", "properties": {"cpus": 1}}));
    let uuid = NodeUuid::from_uuid(raw_uuid);
    let text = format!(
        "[ironic]\nauth_type = none\nendpoint_override = {}\n",
        fake.url()
    );
    let options = IronicOptions::from_sources(
        &ConfigSources::from_text(&text, std::path::Path::new("b.conf")).expect("conf"),
    )
    .expect("options");
    let client = rt.block_on(HttpIronic::new(&options)).expect("client");
    let version = rt
        .block_on(client.api_version())
        .expect("version")
        .to_string();
    let patch: Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/properties/cpus", "value": 2}]))
            .expect("patch");
    let patch_body = serde_json::to_value(&patch).expect("patch body");

    let mut group = c.benchmark_group("ironic");
    group.throughput(Throughput::Elements(2));
    group.bench_function("client/get_and_patch_node", |b| {
        b.iter(|| {
            rt.block_on(async {
                let node = client.get_node(&uuid.to_string()).await.expect("get");
                assert_eq!(node.uuid, uuid);
                client.patch_node(uuid, &patch, false).await.expect("patch");
            })
        })
    });

    let raw = reqwest::Client::new();
    let url = format!("{}/v1/nodes/{raw_uuid}", fake.url());
    group.bench_function("raw/get_and_patch_node", |b| {
        b.iter(|| {
            rt.block_on(async {
                let node: Value = raw
                    .get(&url)
                    .header("x-openstack-ironic-api-version", &version)
                    .send()
                    .await
                    .expect("get")
                    .error_for_status()
                    .expect("status")
                    .json()
                    .await
                    .expect("json");
                assert_eq!(node["uuid"], raw_uuid.to_string());
                raw.patch(&url)
                    .header("x-openstack-ironic-api-version", &version)
                    .json(&patch_body)
                    .send()
                    .await
                    .expect("patch")
                    .error_for_status()
                    .expect("status")
                    .json::<Value>()
                    .await
                    .expect("json");
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
