//! HTTP basic authentication: refusals with their headers and messages, the
//! routes that need no credentials, and the request id on answers.

use axum::http::Method;

use crate::support::TestApp;

/// `Authorization: Basic` for `user:password`.
fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_basic_authentication() {
    let app = TestApp::with_http_basic().await;
    let denied = app.get("/v1/introspection").await;
    assert_eq!(denied.status, 401);
    assert!(denied.headers.contains_key("www-authenticate"));
    assert_eq!(denied.error(), "Authentication required");
    let list_as = |password: &'static str| {
        let authorization = basic("admin", password);
        let app = &app;
        async move {
            app.send(
                Method::GET,
                "/v1/introspection",
                None,
                &[("authorization", &authorization)],
            )
            .await
        }
    };
    assert_eq!(list_as("nope").await.status, 401);
    let allowed = list_as("s3cret").await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert!(
        allowed.headers["x-openstack-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req-")
    );

    let bearer = app
        .send(Method::GET, "/", None, &[("authorization", "Bearer token")])
        .await;
    assert_eq!(
        bearer.status, 400,
        "a malformed Authorization header fails everywhere"
    );
    assert_eq!(
        bearer.error(),
        "Unsupported authorization type \"Bearer\"",
        "the reason, in the error format"
    );
    assert_eq!(
        app.get("/").await.status,
        200,
        "version discovery is public"
    );
    assert_eq!(app.get("/v1").await.status, 200);
    let ramdisk = app
        .send(Method::POST, "/v1/continue", Some("{}"), &[])
        .await;
    assert_eq!(
        ramdisk.status, 400,
        "the ramdisk needs no credentials; its empty data is refused"
    );
    let health = app.get("/healthcheck").await;
    assert_eq!(health.status, 200);
    assert!(
        !health
            .headers
            .contains_key("x-openstack-ironic-inspector-api-minimum-version")
    );
}
