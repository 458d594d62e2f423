//! `[swift]`: where `[processing] store_data = swift` keeps introspection data.

use crate::error::Result;
use crate::ironic::IronicOptions;
use crate::sources::ConfigSources;

/// The Swift data store's settings.
#[derive(Debug, Clone)]
pub struct SwiftOptions {
    /// Credentials and endpoint, the keystoneauth options of `[swift]`
    /// (`service_type` defaults to `object-store`).
    pub access: IronicOptions,
    /// `container`: where the objects go; default `ironic-inspector`.
    pub container: String,
    /// `delete_after`: seconds until Swift deletes an object; 0 keeps it; default 0.
    pub delete_after: i64,
}

impl SwiftOptions {
    /// Reads `[swift]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let access = IronicOptions::from_section(sources, "swift")?;
        let section = sources.section("swift");
        Ok(Self {
            access,
            container: section.string("container")?.expect("declared default"),
            delete_after: section.integer("delete_after")?.expect("declared default"),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn swift_options_and_their_defaults() {
        let defaults = SwiftOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(
            (
                defaults.container.as_str(),
                defaults.delete_after,
                defaults.access.service_type.as_str()
            ),
            ("ironic-inspector", 0, "object-store")
        );
        let sources = ConfigSources::from_text(
            "[swift]\ncontainer = data\ndelete_after = 3600\nauth_type = admin_token\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let options = SwiftOptions::from_sources(&sources).unwrap();
        assert_eq!(
            (options.container.as_str(), options.delete_after),
            ("data", 3600)
        );
        assert_eq!(options.access.auth_type, "admin_token");
    }
}
