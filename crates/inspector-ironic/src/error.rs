//! Ironic errors reduced to kinds callers can act on, with Ironic's message kept.

/// Result of Ironic calls.
pub type Result<T, E = IronicError> = std::result::Result<T, E>;

/// What went wrong, as far as a caller can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 404: no such node, port or trait.
    NotFound,
    /// 409 because an Ironic conductor holds the node's lock (transient).
    NodeLocked,
    /// Any other 409: the request conflicts with the resource's state (e.g. a duplicate MAC).
    Conflict,
    /// 400, 405, 422 and the like: Ironic refused the request.
    BadRequest,
    /// 401 or 403: our credentials are wrong or insufficient.
    Unauthorized,
    /// 503, connection failures, time-outs: try again later.
    Unavailable,
    /// Ironic does not support the API version a call needs.
    IncompatibleVersion,
    /// Any other failure (5xx, bad responses).
    Other,
}

/// A failed Ironic call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IronicError {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
}

impl IronicError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// The error for an HTTP status and Ironic's message.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        let message = message.into();
        let kind = match status {
            404 => ErrorKind::NotFound,
            409 if is_node_locked_message(&message) => ErrorKind::NodeLocked,
            409 => ErrorKind::Conflict,
            401 | 403 => ErrorKind::Unauthorized,
            406 => ErrorKind::IncompatibleVersion,
            503 => ErrorKind::Unavailable,
            400..=499 => ErrorKind::BadRequest,
            _ => ErrorKind::Other,
        };
        Self {
            kind,
            status: Some(status),
            message,
        }
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status, when Ironic answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Ironic's message (or ours when Ironic was not reached).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the call may succeed if simply repeated (node locked, 503).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::NodeLocked | ErrorKind::Unavailable) && self.status.is_some()
    }
}

/// Ironic's `NodeLocked` message: `Node <uuid> is locked by host <host>, please retry ...`.
fn is_node_locked_message(message: &str) -> bool {
    message.contains("is locked by host") || message.contains("NodeLocked")
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(404, "Node abc could not be found.", ErrorKind::NotFound)]
    #[case(
        409,
        "Node 1be2 is locked by host ironic-1, please retry after the current operation is completed.",
        ErrorKind::NodeLocked
    )]
    #[case(
        409,
        "A port with MAC address 11:22:33:44:55:66 already exists.",
        ErrorKind::Conflict
    )]
    #[case(400, "Invalid patch", ErrorKind::BadRequest)]
    #[case(
        401,
        "The request you have made requires authentication.",
        ErrorKind::Unauthorized
    )]
    #[case(403, "Access was denied to this resource.", ErrorKind::Unauthorized)]
    #[case(
        406,
        "Version 1.99 was requested but the maximum is 1.89",
        ErrorKind::IncompatibleVersion
    )]
    #[case(503, "No conductor service", ErrorKind::Unavailable)]
    #[case(500, "boom", ErrorKind::Other)]
    fn statuses_map_to_kinds(#[case] status: u16, #[case] message: &str, #[case] kind: ErrorKind) {
        let error = IronicError::from_status(status, message);
        assert_eq!(error.kind(), kind);
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.to_string(), message);
        assert_eq!(
            error.is_transient(),
            matches!(kind, ErrorKind::NodeLocked | ErrorKind::Unavailable)
        );
    }
}
