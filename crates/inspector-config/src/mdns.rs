//! `[DEFAULT] enable_mdns` and `[mdns]`: advertising the API by multicast DNS.

use crate::error::Result;
use crate::sources::ConfigSources;

/// The mDNS advertisement settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsOptions {
    /// `[DEFAULT] enable_mdns`: advertise `baremetal-introspection`; default false.
    pub enabled: bool,
    /// Attempts to register the service (at least 1); default 5.
    pub registration_attempts: u32,
    /// Attempts to look a service up (at least 1; read for compatibility); default 3.
    pub lookup_attempts: u32,
    /// Extra TXT properties, in order (quotes around values removed).
    pub params: Vec<(String, String)>,
    /// IP addresses of the interfaces to advertise on; empty means all.
    pub interfaces: Vec<String>,
}

impl MdnsOptions {
    /// Reads `[DEFAULT] enable_mdns` and `[mdns]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("mdns");
        let attempts = |name: &str| -> Result<u32> {
            let value = section.integer(name)?.expect("declared default");
            Ok(u32::try_from(value.max(1)).unwrap_or(u32::MAX))
        };
        let unquote = |value: String| {
            let trimmed = value.trim();
            let quoted = trimmed.len() >= 2
                && ((trimmed.starts_with('"') && trimmed.ends_with('"'))
                    || (trimmed.starts_with('\'') && trimmed.ends_with('\'')));
            if quoted {
                trimmed[1..trimmed.len() - 1].to_owned()
            } else {
                trimmed.to_owned()
            }
        };
        Ok(Self {
            enabled: sources
                .section("DEFAULT")
                .boolean("enable_mdns")?
                .expect("declared default"),
            registration_attempts: attempts("registration_attempts")?,
            lookup_attempts: attempts("lookup_attempts")?,
            params: section
                .dict("params")?
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| (unquote(key), unquote(value)))
                .collect(),
            interfaces: section.list("interfaces")?.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[rstest::rstest]
    #[case::defaults("", false, 5, vec![], vec![])]
    #[case::set(
        "[DEFAULT]\nenable_mdns = true\n[mdns]\nregistration_attempts = 2\nparams = ipa_debug:1, region:'east 1'\n\
         interfaces = 192.0.2.1, 192.0.2.2\n",
        true,
        2,
        vec![("ipa_debug".into(), "1".into()), ("region".into(), "east 1".into())],
        vec!["192.0.2.1".into(), "192.0.2.2".into()]
    )]
    #[case::at_least_one("[mdns]\nregistration_attempts = 0\n", false, 1, vec![], vec![])]
    fn mdns_options_are_read(
        #[case] text: &str,
        #[case] enabled: bool,
        #[case] attempts: u32,
        #[case] params: Vec<(String, String)>,
        #[case] interfaces: Vec<String>,
    ) {
        let sources = ConfigSources::from_text(text, Path::new("inspector.conf")).unwrap();
        let options = MdnsOptions::from_sources(&sources).unwrap();
        assert_eq!(options.enabled, enabled);
        assert_eq!(options.registration_attempts, attempts);
        assert_eq!(options.params, params);
        assert_eq!(options.interfaces, interfaces);
    }
}
