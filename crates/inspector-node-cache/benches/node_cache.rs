//! Node-cache speed on the embedded SQLite default.
//!
//! * `find_node/one_mac_among_10000`: matching ramdisk data by one MAC among
//!   10,000 nodes under introspection (target: median ≤ 1 ms);
//! * `add_node/3_attributes`: creating a record with a BMC address and two
//!   MACs (target: ≥ 2,000 records/s), with `[database] sqlite_synchronous`
//!   true (the default: every commit reaches the disk) and false.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::testing::test_pool_options;
use inspector_node_cache::{Backend, LookupQuery, NodeUuid, PoolOptions, State};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn find_node(c: &mut Criterion) {
    let rt = runtime();
    let db = TestDatabase::migrated(Backend::Sqlite).expect("SQLite is always available");
    let nodes = db.populate_waiting_nodes(10_000).expect("populate");
    let cache = db.node_cache();
    let mut next = 0usize;
    let mut group = c.benchmark_group("find_node");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_mac_among_10000", |b| {
        b.iter(|| {
            next = (next + 7919) % nodes.len();
            let query = LookupQuery {
                bmc_addresses: vec![],
                macs: vec![nodes[next].mac.clone()],
            };
            let found = rt.block_on(cache.find_node(&query)).expect("found");
            assert_eq!(found.uuid, nodes[next].uuid);
        });
    });
    group.finish();
}

fn add_node(c: &mut Criterion) {
    let mut group = c.benchmark_group("add_node");
    group.throughput(Throughput::Elements(1));
    for (name, synchronous) in [
        ("3_attributes/synchronous", true),
        ("3_attributes/not_synchronous", false),
    ] {
        let options = PoolOptions {
            sqlite_synchronous: synchronous,
            ..test_pool_options()
        };
        add_nodes(&mut group, name, &options);
    }
    group.finish();
}

fn add_nodes(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    options: &PoolOptions,
) {
    let rt = runtime();
    let db =
        TestDatabase::migrated_with(Backend::Sqlite, options).expect("SQLite is always available");
    let cache = db.node_cache();
    let mut counter = 0u32;
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                counter += 1;
                let mac = |n: u32| {
                    format!(
                        "02:01:{:02x}:{:02x}:{:02x}:{n:02x}",
                        counter >> 16 & 0xff,
                        counter >> 8 & 0xff,
                        counter & 0xff
                    )
                };
                let attributes = vec![
                    (
                        "bmc_address",
                        vec![format!("10.9.{}.{}", counter >> 8 & 0xff, counter & 0xff)],
                    ),
                    ("mac", vec![mac(1), mac(2)]),
                ];
                (NodeUuid::new_random(), attributes)
            },
            |(uuid, attributes)| {
                rt.block_on(cache.add_node(uuid, State::Starting, true, &attributes))
                    .expect("added");
            },
            BatchSize::SmallInput,
        );
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = find_node, add_node
}
criterion_main!(benches);
