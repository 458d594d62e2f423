//! The Ironic node UUID, the key of every introspection record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// An Ironic node UUID, always rendered in the canonical lower-case hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeUuid(Uuid);

/// A string that is not UUID-like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a UUID")]
pub struct InvalidUuid(pub String);

impl NodeUuid {
    /// Generates a new random (version 4) UUID.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// Wraps an existing UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// Parses a UUID-like string the way upstream's `is_uuid_like` accepts it:
    /// hyphenated or not, any case, optionally braced or `urn:uuid:` prefixed.
    pub fn parse(text: &str) -> Result<Self, InvalidUuid> {
        Uuid::try_parse(text.trim())
            .map(Self)
            .map_err(|_| InvalidUuid(text.to_owned()))
    }

    /// Whether `text` would be accepted by [`NodeUuid::parse`].
    pub fn is_uuid_like(text: &str) -> bool {
        Self::parse(text).is_ok()
    }

    /// The underlying UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for NodeUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for NodeUuid {
    type Err = InvalidUuid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for NodeUuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeUuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::canonical("1a1a1a1a-2b2b-3c3c-4d4d-5e5e5e5e5e5e")]
    #[case::upper("1A1A1A1A-2B2B-3C3C-4D4D-5E5E5E5E5E5E")]
    #[case::simple("1a1a1a1a2b2b3c3c4d4d5e5e5e5e5e5e")]
    #[case::braced("{1a1a1a1a-2b2b-3c3c-4d4d-5e5e5e5e5e5e}")]
    #[case::urn("urn:uuid:1a1a1a1a-2b2b-3c3c-4d4d-5e5e5e5e5e5e")]
    fn uuid_like_forms_render_canonically(#[case] text: &str) {
        let uuid = NodeUuid::parse(text).unwrap();
        assert_eq!(uuid.to_string(), "1a1a1a1a-2b2b-3c3c-4d4d-5e5e5e5e5e5e");
    }

    #[rstest]
    #[case::name("node-1")]
    #[case::short("1a1a1a1a-2b2b-3c3c-4d4d")]
    #[case::empty("")]
    fn names_are_not_uuids(#[case] text: &str) {
        assert_eq!(NodeUuid::parse(text), Err(InvalidUuid(text.to_owned())));
        assert!(!NodeUuid::is_uuid_like(text));
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let uuid = NodeUuid::parse("1A1A1A1A2B2B3C3C4D4D5E5E5E5E5E5E").unwrap();
        let json = serde_json::to_string(&uuid).unwrap();
        assert_eq!(json, "\"1a1a1a1a-2b2b-3c3c-4d4d-5e5e5e5e5e5e\"");
        assert_eq!(serde_json::from_str::<NodeUuid>(&json).unwrap(), uuid);
    }
}
