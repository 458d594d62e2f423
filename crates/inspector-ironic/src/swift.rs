//! Swift objects for `[processing] store_data = swift`: one container, an
//! object per stored item, reached with the `[swift]` keystoneauth options
//! exactly as `[ironic]` reaches Ironic (the session, its catalog look-up
//! and endpoint override). Connects at first use, so that Swift being down
//! at start-up stops nothing.

use inspector_config::IronicOptions;
use osauth::client::AuthenticatedClient;
use reqwest::{Method, StatusCode, Url};
use tokio::sync::OnceCell;

use crate::http::service;

/// The objects of one container.
#[derive(Debug)]
pub struct SwiftObjects {
    options: IronicOptions,
    container: String,
    connection: OnceCell<(AuthenticatedClient, Url)>,
}

impl SwiftObjects {
    /// Objects of `container`, through the service `options` describe.
    pub fn new(options: IronicOptions, container: impl Into<String>) -> Self {
        Self {
            options,
            container: container.into(),
            connection: OnceCell::new(),
        }
    }

    /// The container's name.
    pub fn container(&self) -> &str {
        &self.container
    }

    async fn connection(&self) -> Result<&(AuthenticatedClient, Url), String> {
        self.connection
            .get_or_try_init(|| async {
                let session = service::session(&self.options)
                    .await
                    .map_err(|e| e.to_string())?;
                let client = session.client().clone();
                let endpoint = match &self.options.endpoint_override {
                    Some(endpoint) => Url::parse(endpoint).map_err(|e| e.to_string())?,
                    None => client
                        .get_endpoint(&self.options.service_type, session.endpoint_filters())
                        .await
                        .map_err(|e| e.to_string())?,
                };
                Ok((client, endpoint))
            })
            .await
    }

    async fn request(
        &self,
        method: Method,
        object: Option<&str>,
    ) -> Result<osauth::client::RequestBuilder, String> {
        let (client, endpoint) = self.connection().await?;
        // Container and object are single path segments, percent-encoded;
        // names a URL cannot carry as a segment are refused.
        let names: Vec<&str> = std::iter::once(self.container.as_str())
            .chain(object)
            .collect();
        if let Some(name) = names.iter().find(|name| matches!(**name, "" | "." | "..")) {
            return Err(format!("invalid Swift container or object name {name:?}"));
        }
        let mut url = Url::parse(endpoint.as_str()).map_err(|e| e.to_string())?;
        url.path_segments_mut()
            .map_err(|()| format!("invalid Swift endpoint {endpoint}"))?
            .pop_if_empty()
            .extend(names);
        Ok(client.request(method, url))
    }

    /// Creates the container when it is missing (`PUT` is idempotent).
    pub async fn ensure_container(&self) -> Result<(), String> {
        let answer = self
            .request(Method::PUT, None)
            .await?
            .send_unchecked()
            .await
            .map_err(|e| e.to_string())?;
        checked(answer).await.map(|_| ())
    }

    /// Uploads `body` as `object`; Swift deletes it after `delete_after`
    /// seconds when that is positive.
    pub async fn put(&self, object: &str, body: Vec<u8>, delete_after: i64) -> Result<(), String> {
        let mut request = self
            .request(Method::PUT, Some(object))
            .await?
            .header("content-type", "application/json")
            .body(body);
        if delete_after > 0 {
            request = request.header("x-delete-after", delete_after.to_string());
        }
        let answer = request.send_unchecked().await.map_err(|e| e.to_string())?;
        checked(answer).await.map(|_| ())
    }

    /// Downloads `object`; `None` when Swift has no such object.
    pub async fn get(&self, object: &str) -> Result<Option<Vec<u8>>, String> {
        let answer = self
            .request(Method::GET, Some(object))
            .await?
            .send_unchecked()
            .await
            .map_err(|e| e.to_string())?;
        if answer.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        checked(answer).await.map(Some)
    }
}

/// The body of a successful answer, or Swift's status and text.
async fn checked(answer: reqwest::Response) -> Result<Vec<u8>, String> {
    let status = answer.status();
    let body = answer.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(body.to_vec())
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body).trim()
        ))
    }
}
