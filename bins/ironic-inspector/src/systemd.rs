//! systemd's service protocol (`Type=notify`): `READY=1` once the API
//! listens, `WATCHDOG=1` at half the unit's `WatchdogSec` while the runtime
//! answers, `STOPPING=1` when the service stops. Outside systemd
//! (`NOTIFY_SOCKET` unset) nothing is sent.

use std::time::Duration;

/// Tells systemd that the service is ready, with where it listens.
pub(crate) fn ready(listening: &str) {
    let status = format!("serving the API on {listening}");
    send(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&status),
    ]);
}

/// Tells systemd that the service is stopping.
pub(crate) fn stopping() {
    send(&[sd_notify::NotifyState::Stopping]);
}

/// Keeps systemd's watchdog fed from a task of the runtime: a runtime that
/// stops scheduling tasks stops feeding it, and systemd restarts the service.
pub(crate) fn spawn_watchdog() {
    let Some(timeout) = sd_notify::watchdog_enabled() else {
        return;
    };
    let period = (timeout / 2).max(Duration::from_millis(100));
    tracing::info!(?timeout, "feeding the systemd watchdog");
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            send(&[sd_notify::NotifyState::Watchdog]);
        }
    });
}

fn send(states: &[sd_notify::NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "cannot notify systemd");
    }
}
