//! Locks in this process's memory: one async mutex per node, forgotten when
//! nobody holds or awaits it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use inspector_types::NodeUuid;
use tokio::sync::OwnedMutexGuard;
use tracing::debug;

use super::{LockError, NodeLock, NodeLocks};

type Registry = Arc<Mutex<HashMap<NodeUuid, Arc<tokio::sync::Mutex<()>>>>>;

/// Locks living in this process's memory (upstream's standalone mode).
///
/// Several processes sharing a database are not coordinated by these locks.
#[derive(Debug, Clone, Default)]
pub struct InProcessLocks {
    registry: Registry,
}

impl InProcessLocks {
    /// No lock held.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many nodes have their lock held or awaited right now.
    pub fn busy_nodes(&self) -> usize {
        self.registry
            .lock()
            .expect("lock registry is never poisoned")
            .len()
    }

    fn mutex_for(&self, uuid: NodeUuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut registry = self
            .registry
            .lock()
            .expect("lock registry is never poisoned");
        registry.entry(uuid).or_default().clone()
    }

    fn held(&self, uuid: NodeUuid, guard: OwnedMutexGuard<()>) -> NodeLock {
        debug!(node = %uuid, "acquired lock");
        NodeLock::new(
            uuid,
            InProcessHandle {
                uuid,
                guard: Some(guard),
                registry: self.registry.clone(),
            },
        )
    }
}

#[async_trait]
impl NodeLocks for InProcessLocks {
    async fn lock(&self, uuid: NodeUuid) -> Result<NodeLock, LockError> {
        let mutex = self.mutex_for(uuid);
        let guard = mutex.lock_owned().await;
        Ok(self.held(uuid, guard))
    }

    async fn try_lock(&self, uuid: NodeUuid) -> Result<Option<NodeLock>, LockError> {
        let mutex = self.mutex_for(uuid);
        match mutex.try_lock_owned() {
            Ok(guard) => Ok(Some(self.held(uuid, guard))),
            Err(_) => {
                self.forget_if_idle(uuid);
                debug!(node = %uuid, "lock is held elsewhere");
                Ok(None)
            }
        }
    }
}

impl InProcessLocks {
    fn forget_if_idle(&self, uuid: NodeUuid) {
        forget_if_idle(&self.registry, uuid);
    }
}

/// Drops the registry entry of `uuid` when nobody holds or awaits it.
fn forget_if_idle(registry: &Registry, uuid: NodeUuid) {
    let mut map = registry.lock().expect("lock registry is never poisoned");
    if map
        .get(&uuid)
        .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
    {
        map.remove(&uuid);
    }
}

struct InProcessHandle {
    uuid: NodeUuid,
    guard: Option<OwnedMutexGuard<()>>,
    registry: Registry,
}

impl Drop for InProcessHandle {
    fn drop(&mut self) {
        drop(self.guard.take());
        forget_if_idle(&self.registry, self.uuid);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn uuid() -> NodeUuid {
        NodeUuid::new_random()
    }

    #[tokio::test]
    async fn try_lock_fails_while_held_and_succeeds_after_release() {
        let locks = InProcessLocks::new();
        let node = uuid();
        let held = locks.lock(node).await.unwrap();
        assert!(locks.try_lock(node).await.unwrap().is_none());
        assert!(
            locks.try_lock(uuid()).await.unwrap().is_some(),
            "other nodes are independent"
        );
        held.release();
        let again = locks.try_lock(node).await.unwrap();
        assert_eq!(again.map(|lock| lock.uuid()), Some(node));
        assert_eq!(
            locks.busy_nodes(),
            0,
            "released locks leave no entry behind"
        );
    }

    #[tokio::test]
    async fn blocking_lock_waits_for_the_holder() {
        let locks = InProcessLocks::new();
        let node = uuid();
        let held = locks.lock(node).await.unwrap();
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock(node).await.unwrap().uuid() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the waiter must not get a held lock");
        drop(held);
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .unwrap()
                .unwrap(),
            node
        );
    }

    #[tokio::test]
    async fn a_panic_releases_the_lock() {
        let locks = InProcessLocks::new();
        let node = uuid();
        let task = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _held = locks.lock(node).await.unwrap();
                panic!("work failed while holding the lock");
            })
        };
        assert!(task.await.unwrap_err().is_panic());
        assert!(locks.try_lock(node).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn an_early_return_releases_the_lock() {
        async fn work(locks: &InProcessLocks, node: NodeUuid) -> Result<(), &'static str> {
            let _held = locks.lock(node).await.unwrap();
            Err("bail out")?;
            Ok(())
        }
        let locks = InProcessLocks::new();
        let node = uuid();
        assert_eq!(work(&locks, node).await, Err("bail out"));
        assert!(locks.try_lock(node).await.unwrap().is_some());
    }

    #[test]
    fn the_trait_is_object_safe() {
        let locks: Arc<dyn NodeLocks> = Arc::new(InProcessLocks::new());
        assert!(format!("{locks:?}").contains("InProcessLocks"));
    }
}

#[cfg(test)]
mod stress {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holders_never_overlap() {
        let locks = InProcessLocks::new();
        let node = NodeUuid::new_random();
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (locks, inside) = (locks.clone(), inside.clone());
                tokio::spawn(async move {
                    for _ in 0..200 {
                        let held = locks.lock(node).await.unwrap();
                        assert_eq!(
                            inside.fetch_add(1, Ordering::SeqCst),
                            0,
                            "two holders at once"
                        );
                        tokio::task::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(held);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(locks.busy_nodes(), 0);
    }
}
