//! The rule store over upstream's rule tables.

use inspector_rules::{RuleStore, StoreError, parse_rule};
use serde_json::json;

use super::*;

fn rule(body: serde_json::Value) -> inspector_rules::RuleDocument {
    parse_rule(&body).unwrap()
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_round_trip_in_creation_order(#[case] backend: Backend) {
    let db = database!(backend);
    // One clock tick for every rule: ties are broken by insertion order.
    let (cache, _clock, _locks) = cache_with_clock(&db);
    let first = rule(json!({
        "uuid": "7459BF7C-9FF9-43A8-BA9F-48542ECDA66C",
        "description": "Set deploy info", "scope": "Delivery_1",
        "conditions": [
            {"op": "is-empty", "field": "node://driver_info.deploy_ramdisk"},
            {"op": "eq", "field": "memory_mb", "value": 1024, "invert": true, "multiple": "all", "extra": null}
        ],
        "actions": [{"action": "set-attribute", "path": "driver_info/deploy_kernel", "value": {"a": [1, 2.5]}},
                    {"action": "add-trait", "name": "CUSTOM_A"}]
    }));
    let second = rule(json!({"actions": [{"action": "fail", "message": "no"}]}));
    let third = rule(json!({"scope": "", "actions": [{"action": "example"}]}));
    for r in [&first, &second, &third] {
        cache.create_rule(r).await.unwrap();
    }
    let stored = cache.rules().await.unwrap();
    assert_eq!(stored, vec![first.clone(), second.clone(), third.clone()]);
    assert_eq!(cache.rule(&first.uuid).await.unwrap(), Some(first.clone()));
    assert_eq!(
        cache.rule(&first.uuid.to_lowercase()).await.unwrap(),
        None,
        "the match is exact"
    );
    assert_eq!(
        cache.create_rule(&first).await,
        Err(StoreError::Duplicate(first.uuid.clone()))
    );
    assert!(cache.delete_rule(&first.uuid).await.unwrap());
    assert!(!cache.delete_rule(&first.uuid).await.unwrap());
    assert_eq!(cache.rules().await.unwrap(), vec![second, third]);
    cache.delete_rules().await.unwrap();
    assert!(cache.rules().await.unwrap().is_empty());
    cache.delete_rules().await.unwrap();
}
