//! `[DEFAULT] auth_strategy`: the API's authentication from the configuration.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use inspector_api::{Auth, Htpasswd, KeystoneTokens, ServiceClientFactory};
use inspector_config::{ConfigSources, DefaultOptions, KeystoneAuthtokenOptions};

/// The authentication `auth_strategy` names.
pub(crate) fn from_config(
    defaults: &DefaultOptions,
    sources: &ConfigSources,
) -> anyhow::Result<Auth> {
    Ok(match defaults.auth_strategy.as_str() {
        "noauth" => {
            tracing::warn!("starting without authentication (auth_strategy = noauth)");
            Auth::NoAuth
        }
        "http_basic" => Auth::HttpBasic(
            Htpasswd::load(std::path::Path::new(&defaults.http_basic_auth_user_file))
                .map_err(anyhow::Error::msg)?,
        ),
        "keystone" => Auth::Keystone(Arc::new(keystone(sources)?)),
        other => {
            bail!("[DEFAULT] auth_strategy = {other:?} is not one of noauth, http_basic, keystone")
        }
    })
}

fn keystone(sources: &ConfigSources) -> anyhow::Result<KeystoneTokens> {
    let options = KeystoneAuthtokenOptions::from_sources(sources)?;
    let Some(auth_url) = options.service.auth_url.clone() else {
        bail!("auth_strategy = keystone needs [keystone_authtoken] auth_url");
    };
    let service = Arc::new(options.service);
    let factory: ServiceClientFactory = Arc::new(move || {
        let service = service.clone();
        Box::pin(async move {
            inspector_ironic::keystone_client(&service)
                .await
                .map_err(|e| e.to_string())
        })
    });
    KeystoneTokens::new(
        &auth_url,
        options.www_authenticate_uri.as_deref(),
        Duration::from_secs(options.token_cache_time),
        factory,
    )
    .map_err(anyhow::Error::msg)
}
