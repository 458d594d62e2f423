//! The `/v1/rules` API: creation with its status codes and encodings,
//! validation errors, listing, links, deletion.

use axum::http::Method;
use serde_json::json;

use crate::support::{Answer, TestApp, VERSION};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_api() {
    let api = TestApp::new().await;
    let rule = json!({
        "uuid": "7459bf7c-9ff9-43a8-ba9f-48542ecda66c",
        "description": "Set deploy info", "scope": "Delivery_1",
        "conditions": [{"op": "is-empty", "field": "node://driver_info.deploy_ramdisk"},
                       {"op": "eq", "field": "memory_mb", "value": 1024, "invert": true, "multiple": "all"}],
        "actions": [{"action": "set-attribute", "path": "driver_info/deploy_kernel", "value": "abc"}]
    });
    let Answer {
        status,
        headers,
        text,
    } = api
        .send(Method::POST, "/v1/rules", Some(&rule.to_string()), &[])
        .await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        text,
        concat!(
            r#"{"actions":[{"action":"set-attribute","path":"driver_info/deploy_kernel","value":"abc"}],"#,
            r#""conditions":[{"field":"node://driver_info.deploy_ramdisk","invert":false,"multiple":"any","op":"is-empty"},"#,
            r#"{"field":"memory_mb","invert":true,"multiple":"all","op":"eq","value":1024}],"#,
            r#""description":"Set deploy info","links":[{"href":"/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c","rel":"self"}],"#,
            r#""scope":"Delivery_1","uuid":"7459bf7c-9ff9-43a8-ba9f-48542ecda66c"}"#,
            "\n"
        )
    );
    // Before 1.6 creation answers 200; the client's body with null members works.
    let Answer { status, text, .. } = api
        .send(
            Method::POST,
            "/v1/rules",
            Some(
                &json!({"uuid": null, "description": null,
                        "conditions": [], "actions": [{"action": "example"}]})
                .to_string(),
            ),
            &[(VERSION, "1.5")],
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let second: serde_json::Value = serde_json::from_str(&text).unwrap();
    let second_uuid = second["uuid"].as_str().unwrap().to_owned();

    let duplicate = api.post("/v1/rules", &rule).await;
    assert_eq!(
        (duplicate.status, duplicate.error().as_str()),
        (
            409,
            "Rule with UUID 7459bf7c-9ff9-43a8-ba9f-48542ecda66c already exists"
        )
    );
    for (body, message) in [
        (
            json!({"actions": []}),
            "Validation failed for actions: [] should be non-empty",
        ),
        (json!({"uuid": "nope", "actions": []}), "Invalid UUID value"),
        (
            json!({"conditions": [{"op": "eq", "field": "data://[[[", "value": 1}], "actions": [{"action": "example"}]}),
            "Unable to parse field JSON path data://[[[: Parse error at 1:1 near token [ ([)",
        ),
        (
            json!({"actions": [{"action": "set-attribute", "value": 1}]}),
            "Invalid parameters for action set-attribute: missing required parameter(s): path",
        ),
        (
            json!({"conditions": [{"op": "matches", "field": "a"}], "actions": [{"action": "example"}]}),
            "Invalid parameters for operator matches: missing required parameter(s): value",
        ),
        (json!([1]), "Invalid rule: expected a JSON object, got list"),
    ] {
        let answer = api.post("/v1/rules", &body).await;
        assert_eq!(
            (answer.status, answer.error().as_str()),
            (400, message),
            "{body}"
        );
    }

    let answer = api.get("/v1/rules").await;
    assert_eq!(answer.status, 200);
    let list = answer.json();
    assert_eq!(
        list["rules"][0],
        json!({"description": "Set deploy info", "scope": "Delivery_1",
               "links": [{"href": "/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c", "rel": "self"}],
               "uuid": "7459bf7c-9ff9-43a8-ba9f-48542ecda66c"})
    );
    assert_eq!(list["rules"][1]["uuid"], second_uuid.as_str());
    let prefixed = api
        .send(
            Method::GET,
            "/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c",
            None,
            &[("x-forwarded-prefix", "/baremetal-introspection")],
        )
        .await;
    let prefixed = prefixed.json();
    assert_eq!(
        prefixed["links"][0]["href"],
        "/baremetal-introspection/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c"
    );
    assert_eq!(prefixed["actions"], rule["actions"]);

    let missing = api
        .get("/v1/rules/7459BF7C-9FF9-43A8-BA9F-48542ECDA66C")
        .await;
    assert_eq!(
        (missing.status, missing.error().as_str()),
        (
            404,
            "Rule 7459BF7C-9FF9-43A8-BA9F-48542ECDA66C was not found"
        )
    );
    let deleted = api.delete(&format!("/v1/rules/{second_uuid}")).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    assert_eq!(deleted.headers["content-type"], "text/plain; charset=utf-8");
    let again = api.delete(&format!("/v1/rules/{second_uuid}")).await;
    assert_eq!(again.status, 404, "{}", again.text);
    assert_eq!(api.delete("/v1/rules").await.status, 204);
    assert_eq!(api.get("/v1/rules").await.json(), json!({"rules": []}));
    assert_eq!(
        api.delete("/v1/rules").await.status,
        204,
        "deleting no rules is fine"
    );
}

/// openstacksdk's `create_introspection_rule` posts to `/v1/rules/<uuid>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_created_at_its_own_url() {
    let api = TestApp::new().await;
    let uuid = "1f0a5e5e-7d3b-4a8e-9c55-6d0c0e2d7a01";
    let rule = json!({"conditions": [], "actions": [{"action": "fail", "message": "x"}]});
    let created = api.post(&format!("/v1/rules/{uuid}"), &rule).await;
    assert_eq!(
        (created.status, &created.json()["uuid"]),
        (201, &json!(uuid)),
        "{}",
        created.text
    );
    let fetched = api.get(&format!("/v1/rules/{uuid}")).await;
    assert_eq!(
        (fetched.status, &fetched.json()["actions"]),
        (200, &rule["actions"])
    );
    let mut same = rule.clone();
    same["uuid"] = json!(uuid);
    let answer = api.post(&format!("/v1/rules/{uuid}"), &same).await;
    assert_eq!(answer.status, 409, "exists already: {}", answer.text);
    let mut other = rule;
    other["uuid"] = json!("0d5e0c36-3bde-4c1f-b0b2-e5ef9d1c7a02");
    let answer = api.post(&format!("/v1/rules/{uuid}"), &other).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(
        answer.error().contains("is not the one in the URL"),
        "{}",
        answer.text
    );
}
