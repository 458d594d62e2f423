//! The background worker pool (`[DEFAULT] max_concurrency`): jobs run on the
//! runtime, at most that many at once, and can be waited for.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, watch};

/// Background jobs of the engine.
#[derive(Debug, Clone)]
pub(crate) struct Jobs {
    permits: Arc<Semaphore>,
    running: watch::Sender<usize>,
}

struct Running(watch::Sender<usize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl Jobs {
    pub(crate) fn new(max_concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrency.max(1))),
            running: watch::Sender::new(0),
        }
    }

    /// Starts `job` in the background; it waits for a free slot first.
    pub(crate) fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        self.running.send_modify(|n| *n += 1);
        let running = Running(self.running.clone());
        let permits = self.permits.clone();
        let span = tracing::Span::current();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let _running = running;
                let _permit = permits.acquire_owned().await;
                job.await;
            },
            span,
        ));
    }

    /// Waits until no job runs.
    pub(crate) async fn wait_idle(&self) {
        let mut receiver = self.running.subscribe();
        let _ = receiver.wait_for(|n| *n == 0).await;
    }
}
