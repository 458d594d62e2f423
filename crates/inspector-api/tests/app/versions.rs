//! Version discovery and microversion negotiation: the documents of `/` and
//! `/v1`, links built from the request, and the range headers on every answer.

use axum::http::Method;
use rstest::rstest;
use serde_json::json;

use crate::support::{TestApp, VERSION};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_lists_v1_with_a_link_from_the_request() {
    let app = TestApp::new().await;
    let root = app.get("/").await;
    assert_eq!(root.status, 200);
    assert_eq!(root.headers["content-type"], "application/json");
    assert_eq!(
        root.json(),
        json!({"versions": [{"id": "1.19", "status": "CURRENT",
                             "links": [{"href": "http://127.0.0.1:5050/v1", "rel": "self"}]}]})
    );
    let proxied = app
        .send(
            Method::GET,
            "/",
            None,
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "inspector.example.org"),
                ("x-forwarded-prefix", "/baremetal-introspection"),
            ],
        )
        .await;
    assert_eq!(
        proxied.json()["versions"][0]["links"][0]["href"],
        "https://inspector.example.org/baremetal-introspection/v1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_lists_its_resources() {
    let app = TestApp::new().await;
    let v1 = app.get("/v1").await;
    assert_eq!(v1.status, 200);
    let names: Vec<String> = v1.json()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| {
            let name = resource["name"].as_str().unwrap();
            assert_eq!(
                resource["links"][0]["href"],
                format!("http://127.0.0.1:5050/v1/{name}")
            );
            name.to_owned()
        })
        .collect();
    assert_eq!(names, ["continue", "introspection", "rules"]);
}

#[rstest]
#[case::absent(None, 200)]
#[case::oldest(Some("1.0"), 200)]
#[case::newest(Some("1.19"), 200)]
#[case::latest(Some("latest"), 200)]
#[case::too_new(Some("1.20"), 406)]
#[case::other_major(Some("2.0"), 406)]
#[case::malformed(Some("one.two"), 400)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_supported_range(
    #[case] requested: Option<&str>,
    #[case] status: u16,
) {
    let app = TestApp::new().await;
    let headers: Vec<(&str, &str)> = requested.map(|v| (VERSION, v)).into_iter().collect();
    let answer = app
        .send(Method::GET, "/v1/introspection", None, &headers)
        .await;
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(
        answer.headers["x-openstack-ironic-inspector-api-minimum-version"],
        "1.0"
    );
    assert_eq!(
        answer.headers["x-openstack-ironic-inspector-api-maximum-version"],
        "1.19"
    );
    if status == 400 {
        assert_eq!(
            answer.error(),
            "Malformed API version: expected string in form of X.Y or latest"
        );
    }
}
