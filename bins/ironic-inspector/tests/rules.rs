//! Introspection rules through the real binary: the `/v1/rules` API with its
//! status codes and errors, and rules acting on nodes of the fake Ironic.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

mod common;

use inspector_fake_ironic::FakeIronic;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const VERSION: &str = "x-openstack-ironic-inspector-api-version";

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, HeaderMap, String) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        (status, headers, answer.text().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, _, text) = self
            .send(reqwest::Method::POST, path, Some(body), &[])
            .await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn delete(&self, path: &str) -> (u16, HeaderMap, String) {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (status, _, text) = self.send(reqwest::Method::GET, path, None, &[]).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn start(fake: &FakeIronic) -> (common::Service, Api) {
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let api = Api {
        http: reqwest::Client::new(),
        url: service.url.clone(),
    };
    (service, api)
}

fn error(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_api() {
    let fake = FakeIronic::start().await.unwrap();
    let (_service, api) = start(&fake);
    let rule = json!({
        "uuid": "7459bf7c-9ff9-43a8-ba9f-48542ecda66c",
        "description": "Set deploy info", "scope": "Delivery_1",
        "conditions": [{"op": "is-empty", "field": "node://driver_info.deploy_ramdisk"},
                       {"op": "eq", "field": "memory_mb", "value": 1024, "invert": true, "multiple": "all"}],
        "actions": [{"action": "set-attribute", "path": "driver_info/deploy_kernel", "value": "abc"}]
    });
    let (status, headers, text) = api
        .send(reqwest::Method::POST, "/v1/rules", Some(rule.clone()), &[])
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
    let (status, _, text) = api
        .send(
            reqwest::Method::POST,
            "/v1/rules",
            Some(json!({"uuid": null, "description": null,
                        "conditions": [], "actions": [{"action": "example"}]})),
            &[(VERSION, "1.5")],
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let second: Value = serde_json::from_str(&text).unwrap();
    let second_uuid = second["uuid"].as_str().unwrap().to_owned();

    let (status, duplicate) = api.post("/v1/rules", rule.clone()).await;
    assert_eq!(
        (status, error(&duplicate)),
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
        let (status, answer) = api.post("/v1/rules", body.clone()).await;
        assert_eq!((status, error(&answer)), (400, message), "{body}");
    }

    let (status, list) = api.get("/v1/rules").await;
    assert_eq!(status, 200);
    assert_eq!(
        list["rules"][0],
        json!({"description": "Set deploy info", "scope": "Delivery_1",
               "links": [{"href": "/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c", "rel": "self"}],
               "uuid": "7459bf7c-9ff9-43a8-ba9f-48542ecda66c"})
    );
    assert_eq!(list["rules"][1]["uuid"], second_uuid.as_str());
    let (_, _, prefixed) = api
        .send(
            reqwest::Method::GET,
            "/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c",
            None,
            &[("x-forwarded-prefix", "/baremetal-introspection")],
        )
        .await;
    let prefixed: Value = serde_json::from_str(&prefixed).unwrap();
    assert_eq!(
        prefixed["links"][0]["href"],
        "/baremetal-introspection/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c"
    );
    assert_eq!(prefixed["actions"], rule["actions"]);

    let (status, missing) = api
        .get("/v1/rules/7459BF7C-9FF9-43A8-BA9F-48542ECDA66C")
        .await;
    assert_eq!(
        (status, error(&missing)),
        (
            404,
            "Rule 7459BF7C-9FF9-43A8-BA9F-48542ECDA66C was not found"
        )
    );
    let (status, headers, text) = api.delete(&format!("/v1/rules/{second_uuid}")).await;
    assert_eq!((status, text.as_str()), (204, ""));
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    let (status, _, text) = api.delete(&format!("/v1/rules/{second_uuid}")).await;
    assert_eq!(status, 404, "{text}");
    let (status, _, _) = api.delete("/v1/rules").await;
    assert_eq!(status, 204);
    assert_eq!(api.get("/v1/rules").await.1, json!({"rules": []}));
    let (status, _, _) = api.delete("/v1/rules").await;
    assert_eq!(status, 204, "deleting no rules is fine");
}

/// openstacksdk's `create_introspection_rule` posts to `/v1/rules/<uuid>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_created_at_its_own_url() {
    let fake = FakeIronic::start().await.unwrap();
    let (_service, api) = start(&fake);
    let uuid = "1f0a5e5e-7d3b-4a8e-9c55-6d0c0e2d7a01";
    let rule = json!({"conditions": [], "actions": [{"action": "fail", "message": "x"}]});
    let (status, created) = api.post(&format!("/v1/rules/{uuid}"), rule.clone()).await;
    assert_eq!((status, &created["uuid"]), (201, &json!(uuid)), "{created}");
    let (status, fetched) = api.get(&format!("/v1/rules/{uuid}")).await;
    assert_eq!((status, &fetched["actions"]), (200, &rule["actions"]));
    let mut same = rule.clone();
    same["uuid"] = json!(uuid);
    let (status, body) = api.post(&format!("/v1/rules/{uuid}"), same).await;
    assert_eq!(status, 409, "exists already: {body}");
    let mut other = rule;
    other["uuid"] = json!("0d5e0c36-3bde-4c1f-b0b2-e5ef9d1c7a02");
    let (status, body) = api.post(&format!("/v1/rules/{uuid}"), other).await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).contains("is not the one in the URL"), "{body}");
}

fn payload(mac: &str, memory_mb: u64) -> Value {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data["inventory"]["memory"]["physical_mb"] = json!(memory_mb);
    data
}

/// Starts introspection of a new node with one port and posts its data.
async fn introspect(
    fake: &FakeIronic,
    api: &Api,
    mac: &str,
    memory_mb: u64,
) -> (String, u16, Value) {
    let node = fake.add_node(json!({
        "driver": "ipmi", "driver_info": {"ipmi_address": "10.7.0.1"},
        "provision_state": "manageable",
        "properties": {"inspection_scope": "rack-a", "capabilities": "boot_mode:uefi"},
        "extra": {"tags": ["old"]}
    }));
    fake.add_port(node, mac);
    let (status, _) = api
        .post(
            &format!("/v1/introspection/{node}?manage_boot=0"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let (status, answer) = api.post("/v1/continue", payload(mac, memory_mb)).await;
    (node.to_string(), status, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_change_nodes_and_fail_rules_end_in_error() {
    let fake = FakeIronic::start().await.unwrap();
    let (_service, api) = start(&fake);
    for rule in [
        json!({"description": "set IPMI creds if missing",
               "conditions": [{"op": "is-empty", "field": "node://driver_info.ipmi_password"}],
               "actions": [{"action": "set-attribute", "path": "driver_info/ipmi_password", "value": "secret"}]}),
        json!({"description": "tag rack a", "scope": "rack-a",
               "conditions": [{"op": "ge", "field": "memory_mb", "value": 1024}],
               "actions": [{"action": "extend-attribute", "path": "/extra/tags", "value": "big", "unique": true},
                           {"action": "set-capability", "name": "arch", "value": "{data[cpu_arch]}"},
                           {"action": "add-trait", "name": "CUSTOM_RACK_A"}]}),
        json!({"description": "other scope", "scope": "rack-b",
               "actions": [{"action": "add-trait", "name": "CUSTOM_RACK_B"}]}),
        json!({"description": "reject small nodes",
               "conditions": [{"op": "lt", "field": "memory_mb", "value": 4096}],
               "actions": [{"action": "fail", "message": "Not enough memory"}]}),
    ] {
        assert_eq!(api.post("/v1/rules", rule).await.0, 201);
    }

    let (node, status, answer) = introspect(&fake, &api, "52:54:00:07:00:01", 12288).await;
    assert_eq!(status, 200, "{answer}");
    let record = common::finished_status(&api.http, &api.url, &node).await;
    assert_eq!(record["error"], Value::Null, "{record}");
    let changed = fake.state().node(&node).unwrap().clone();
    assert_eq!(changed["driver_info"]["ipmi_password"], "secret");
    assert_eq!(changed["extra"]["tags"], json!(["old", "big"]));
    let capabilities = changed["properties"]["capabilities"].as_str().unwrap();
    assert!(capabilities.ends_with(",arch:x86_64"), "{capabilities}");
    assert_eq!(changed["traits"], json!(["CUSTOM_RACK_A"]));

    let (node, status, answer) = introspect(&fake, &api, "52:54:00:07:00:02", 2048).await;
    assert_eq!((status, error(&answer)), (400, "Not enough memory"));
    let record = common::finished_status(&api.http, &api.url, &node).await;
    assert_eq!(
        (record["state"].as_str(), record["error"].as_str()),
        (Some("error"), Some("Not enough memory"))
    );
    // Earlier rules were applied before the failing one; nothing is rolled back.
    let changed = fake.state().node(&node).unwrap().clone();
    assert_eq!(changed["driver_info"]["ipmi_password"], "secret");
    assert_eq!(changed["traits"], json!(["CUSTOM_RACK_A"]));
}
