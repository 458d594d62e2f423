//! `[DEFAULT] auth_strategy`: the API's authentication from the configuration.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use std::path::PathBuf;

use inspector_api::{Auth, Htpasswd, KeystoneTokens, Policy, ServiceClientFactory};
use inspector_config::{ConfigSources, DefaultOptions, KeystoneAuthtokenOptions};

/// The authentication `auth_strategy` names.
pub(crate) fn from_config(
    defaults: &DefaultOptions,
    sources: &ConfigSources,
    config_dirs: &[PathBuf],
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
        "keystone" => Auth::Keystone(Arc::new(
            keystone(sources)?.with_policy(policy(sources, config_dirs)?),
        )),
        other => {
            bail!("[DEFAULT] auth_strategy = {other:?} is not one of noauth, http_basic, keystone")
        }
    })
}

/// `[oslo_policy] policy_file` (default `policy.yaml`): an absolute path, or
/// looked up as oslo.config does, in the directories of the configuration
/// files, then the working directory. A missing file means the default rules.
fn policy(sources: &ConfigSources, config_dirs: &[PathBuf]) -> anyhow::Result<Policy> {
    let section = sources.section("oslo_policy");
    let name = section.string("policy_file")?.expect("declared default");
    for option in ["enforce_scope", "enforce_new_defaults"] {
        if section.boolean(option)? == Some(false) {
            tracing::warn!(
                "[oslo_policy] {option} = False is not supported; the new default rules apply"
            );
        }
    }
    let path = PathBuf::from(&name);
    let path = if path.is_absolute() {
        path
    } else {
        config_dirs
            .iter()
            .map(|dir| dir.join(&path))
            .find(|candidate| candidate.exists())
            .unwrap_or(path)
    };
    let policy = Policy::with_file(path.clone()).map_err(anyhow::Error::msg)?;
    if path.exists() {
        tracing::info!(path = %path.display(), "policy file loaded");
    }
    Ok(policy)
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
