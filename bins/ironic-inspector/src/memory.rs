//! Giving memory back to the system. glibc's malloc keeps freed memory in its
//! arenas: after a burst of large `/v1/continue` bodies the process would stay
//! at its peak. At start-up the arenas are limited to four (two made the
//! runtime's threads, the blocking pool and the SQLite writer wait for each
//! other's arena locks; the default, eight per core, holds more memory) and
//! allocations of 128 KiB or more are mapped on their own (returned as soon
//! as they are freed); afterwards, whenever the resident size grew by 8 MiB
//! since the last look, `malloc_trim` hands the free pages of every arena back.

use std::time::Duration;

/// Growth of the resident size that triggers a trim.
const TRIM_AFTER_GROWTH: u64 = 8 * 1024 * 1024;

/// How often the resident size is looked at.
const PERIOD: Duration = Duration::from_secs(2);

/// Tunes malloc; call first thing in `main`, before threads start.
pub(crate) fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tune_glibc();
}

/// Trims the allocator in the background whenever the process grew.
pub(crate) fn spawn_trimmer() {
    tokio::spawn(async {
        let mut ticker = tokio::time::interval(PERIOD);
        let mut settled = resident_bytes();
        loop {
            ticker.tick().await;
            let now = resident_bytes();
            if now > settled + TRIM_AFTER_GROWTH {
                let _ = tokio::task::spawn_blocking(trim).await;
                settled = resident_bytes();
                tracing::debug!(before = now, after = settled, "memory trimmed");
            } else {
                settled = settled.min(now);
            }
        }
    });
}

/// The resident size of this process in bytes (0 where unknown).
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "glibc's mallopt has no safe binding")]
fn tune_glibc() {
    // SAFETY: mallopt only changes malloc's parameters; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 4);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "glibc's malloc_trim has no safe binding")]
fn trim() {
    // SAFETY: malloc_trim has no preconditions; it locks each arena itself.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
