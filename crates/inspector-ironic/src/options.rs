//! How to reach and authenticate to Ironic, validated from `[ironic]`.

use inspector_config::IronicOptions;

use crate::error::{ErrorKind, IronicError, Result};

/// A validated authentication method.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthOptions {
    /// No authentication; Ironic at a fixed URL (`auth_type = none`).
    None {
        /// Ironic's URL.
        endpoint: String,
    },
    /// HTTP basic authentication at a fixed URL (`auth_type = http_basic`).
    HttpBasic {
        /// Ironic's URL.
        endpoint: String,
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// Keystone password authentication (`password`, `v3password`).
    Password {
        /// Keystone URL.
        auth_url: String,
        /// User name or id.
        user: String,
        /// Password.
        password: String,
        /// The user's domain (name), when the user is given by name.
        user_domain: Option<String>,
        /// Project scope (name or id).
        project: Option<String>,
        /// The project's domain (name).
        project_domain: Option<String>,
    },
    /// A fixed token sent to a fixed URL (`admin_token`): a token issued
    /// outside Keystone, e.g. by Swift's tempauth.
    AdminToken {
        /// The service's URL.
        endpoint: String,
        /// The token.
        token: String,
    },
    /// A Keystone application credential (`v3applicationcredential`).
    ApplicationCredential {
        /// Keystone URL.
        auth_url: String,
        /// The credential's id.
        id: String,
        /// Its secret.
        secret: String,
    },
    /// A pre-issued Keystone token (`token`, `v3token`).
    Token {
        /// Keystone URL.
        auth_url: String,
        /// The token.
        token: String,
        /// Project scope (name or id).
        project: Option<String>,
        /// The project's domain (name).
        project_domain: Option<String>,
    },
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            AuthOptions::None { .. } => "none",
            AuthOptions::HttpBasic { .. } => "http_basic",
            AuthOptions::Password { .. } => "password",
            AuthOptions::ApplicationCredential { .. } => "v3applicationcredential",
            AuthOptions::Token { .. } => "token",
            AuthOptions::AdminToken { .. } => "admin_token",
        };
        f.debug_tuple("AuthOptions").field(&kind).finish()
    }
}

fn missing(auth_type: &str, option: &str) -> IronicError {
    IronicError::new(
        ErrorKind::BadRequest,
        format!("[ironic] {option} is required with auth_type = {auth_type}"),
    )
}

impl AuthOptions {
    /// Validates the authentication options of `[ironic]`.
    pub fn from_options(options: &IronicOptions) -> Result<Self> {
        let kind = options.auth_type.as_str();
        let need =
            |value: &Option<String>, name: &str| value.clone().ok_or_else(|| missing(kind, name));
        let project = options
            .project_name
            .clone()
            .or_else(|| options.project_id.clone());
        let project_domain = options
            .project_domain_name
            .clone()
            .or_else(|| options.project_domain_id.clone());
        match kind {
            "none" | "noauth" => Ok(AuthOptions::None {
                endpoint: need(&options.endpoint_override, "endpoint_override")?,
            }),
            "http_basic" => Ok(AuthOptions::HttpBasic {
                endpoint: need(&options.endpoint_override, "endpoint_override")?,
                username: need(&options.username, "username")?,
                password: need(&options.password, "password")?,
            }),
            "password" | "v3password" => Ok(AuthOptions::Password {
                auth_url: need(&options.auth_url, "auth_url")?,
                user: options
                    .username
                    .clone()
                    .or_else(|| options.user_id.clone())
                    .ok_or_else(|| missing(kind, "username"))?,
                password: need(&options.password, "password")?,
                user_domain: options
                    .user_domain_name
                    .clone()
                    .or_else(|| options.user_domain_id.clone()),
                project,
                project_domain,
            }),
            "v3applicationcredential" => Ok(AuthOptions::ApplicationCredential {
                auth_url: need(&options.auth_url, "auth_url")?,
                id: need(
                    &options.application_credential_id,
                    "application_credential_id",
                )?,
                secret: need(
                    &options.application_credential_secret,
                    "application_credential_secret",
                )?,
            }),
            "admin_token" => Ok(AuthOptions::AdminToken {
                endpoint: need(&options.endpoint_override, "endpoint_override")?,
                token: need(&options.token, "token")?,
            }),
            "token" | "v3token" => Ok(AuthOptions::Token {
                auth_url: need(&options.auth_url, "auth_url")?,
                token: need(&options.token, "token")?,
                project,
                project_domain,
            }),
            other => Err(IronicError::new(
                ErrorKind::BadRequest,
                format!(
                    "[ironic] auth_type = {other} is not supported; use none, http_basic, password, \
                     v3applicationcredential, token or admin_token"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn options(auth_type: &str) -> IronicOptions {
        IronicOptions {
            auth_type: auth_type.to_owned(),
            ..IronicOptions::default()
        }
    }

    #[rstest]
    #[case::none("none", "[ironic] endpoint_override is required with auth_type = none")]
    #[case::basic(
        "http_basic",
        "[ironic] endpoint_override is required with auth_type = http_basic"
    )]
    #[case::password("password", "[ironic] auth_url is required with auth_type = password")]
    #[case::appcred(
        "v3applicationcredential",
        "[ironic] auth_url is required with auth_type = v3applicationcredential"
    )]
    #[case::admin_token(
        "admin_token",
        "[ironic] endpoint_override is required with auth_type = admin_token"
    )]
    #[case::unknown(
        "kerberos",
        "[ironic] auth_type = kerberos is not supported; use none, http_basic, password, v3applicationcredential, token or admin_token"
    )]
    fn missing_options_are_named(#[case] auth_type: &str, #[case] message: &str) {
        assert_eq!(
            AuthOptions::from_options(&options(auth_type))
                .unwrap_err()
                .message(),
            message
        );
    }

    #[test]
    fn password_auth_takes_names_or_ids() {
        let options = IronicOptions {
            auth_url: Some("http://keystone/v3".into()),
            user_id: Some("u-1".into()),
            password: Some("pw".into()),
            project_id: Some("p-1".into()),
            ..options("password")
        };
        match AuthOptions::from_options(&options).unwrap() {
            AuthOptions::Password { user, project, .. } => {
                assert_eq!(user, "u-1");
                assert_eq!(project.as_deref(), Some("p-1"));
            }
            other => panic!("{other:?}"),
        }
    }
}
