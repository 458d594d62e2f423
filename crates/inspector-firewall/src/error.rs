//! How the PXE filter fails.

/// A PXE filter failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// An operation the driver's state does not allow (spec §4.2).
    #[error(
        "The PXE filter driver {driver}, state={state}: my fsm encountered an exception: {event} is not valid in state {state}"
    )]
    InvalidState {
        /// The driver's name.
        driver: String,
        /// Its state.
        state: String,
        /// The refused event.
        event: String,
    },
    /// A command failed or could not run.
    #[error("{0}")]
    Command(String),
    /// A file of the dnsmasq hosts directory could not be handled.
    #[error("{0}")]
    Io(String),
    /// The configuration cannot work.
    #[error("Configuration error: {0}")]
    Config(String),
}

impl FilterError {
    /// `deny_unknown_macs` with discovery: unknown machines could never boot.
    pub(crate) fn deny_unknown_with_discovery() -> Self {
        Self::Config(
            "[pxe_filter]deny_unknown_macs is enabled and [processing]node_not_found_hook is enabled. These options cannot both be enabled simultaneously.".into(),
        )
    }
}
