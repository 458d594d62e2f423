//! Node locks and task leases in the database: contention, expiry, release.

use std::time::Duration;

use inspector_node_cache::{DbLease, DbLockOptions, DbLocks, LockError};

use super::*;

fn options(expiry: Duration) -> DbLockOptions {
    DbLockOptions {
        retry_attempts: 2,
        retry_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(200),
        expiry,
    }
}

/// Waits until the background release of a dropped lock happened.
async fn released(locks: &DbLocks, uuid: NodeUuid) {
    for _ in 0..100 {
        if let Some(lock) = locks.try_lock(uuid).await.unwrap() {
            drop(lock);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the lock of {uuid} was never released");
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_process_wins_and_release_lets_the_next_in(#[case] backend: Backend) {
    let db = database!(backend);
    let uuid = NodeUuid::new_random();
    // Three "processes": three holders on one database.
    let processes: Vec<DbLocks> = (0..3)
        .map(|i| {
            DbLocks::new(
                db.db().clone(),
                format!("host{i}:1:a"),
                options(Duration::from_secs(60)),
            )
        })
        .collect();
    let (a, b, c) = tokio::join!(
        processes[0].try_lock(uuid),
        processes[1].try_lock(uuid),
        processes[2].try_lock(uuid)
    );
    let attempts = [a, b, c];
    let winners: Vec<usize> = attempts
        .iter()
        .enumerate()
        .filter(|(_, got)| got.as_ref().unwrap().is_some())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "one conditional write wins");
    let winner = winners[0];
    let other = &processes[(winner + 1) % 3];
    assert_eq!(
        other.lock(uuid).await.unwrap_err(),
        LockError::Timeout(uuid),
        "a blocking acquisition gives up after its retries"
    );
    drop(attempts);
    released(other, uuid).await;
    // Shared use takes nothing; upgrading takes the exclusive lock.
    let shared = processes[0].lock_shared(uuid);
    let exclusive = shared.upgrade().await.unwrap();
    assert!(processes[1].try_lock(uuid).await.unwrap().is_none());
    drop(exclusive);
    released(&processes[1], uuid).await;
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holder_is_taken_over_after_the_expiry(#[case] backend: Backend) {
    let db = database!(backend);
    let uuid = NodeUuid::new_random();
    let dead = DbLocks::new(
        db.db().clone(),
        "dead:1:a".into(),
        options(Duration::from_secs(2)),
    );
    let alive = DbLocks::new(
        db.db().clone(),
        "alive:2:b".into(),
        options(Duration::from_secs(2)),
    );
    let held = dead.try_lock(uuid).await.unwrap().unwrap();
    // The process dies: its lock is never released and never beats again.
    std::mem::forget(held);
    assert!(alive.try_lock(uuid).await.unwrap().is_none());
    // A holder that beats keeps its lock past the expiry.
    let beating = DbLocks::new(
        db.db().clone(),
        "beating:3:c".into(),
        options(Duration::from_secs(2)),
    );
    let other = NodeUuid::new_random();
    let kept = beating.try_lock(other).await.unwrap().unwrap();
    let heartbeat = tokio::spawn(beating.clone().run_heartbeat());
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let taken = alive.try_lock(uuid).await.unwrap();
    assert!(taken.is_some(), "the dead holder's lock is taken over");
    assert!(
        alive.try_lock(other).await.unwrap().is_none(),
        "the beating holder keeps its lock"
    );
    heartbeat.abort();
    drop(kept);
    // A row this very holder left behind (a release that failed) is reused
    // at once instead of blocking the node until it expires.
    let leftover = NodeUuid::new_random();
    let first = DbLocks::new(
        db.db().clone(),
        "same:4:d".into(),
        options(Duration::from_secs(60)),
    );
    std::mem::forget(first.try_lock(leftover).await.unwrap().unwrap());
    let again = DbLocks::new(
        db.db().clone(),
        "same:4:d".into(),
        options(Duration::from_secs(60)),
    );
    assert!(again.try_lock(leftover).await.unwrap().is_some());
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_has_one_holder_and_moves_when_it_expires(#[case] backend: Backend) {
    let db = database!(backend);
    let first = DbLease::new(db.db().clone(), "p1".into(), Duration::from_secs(2));
    let second = DbLease::new(db.db().clone(), "p2".into(), Duration::from_secs(2));
    let task = format!("task-{}", NodeUuid::new_random());
    assert!(first.acquire(&task).await.unwrap());
    assert!(!second.acquire(&task).await.unwrap());
    assert!(first.acquire(&task).await.unwrap(), "the holder renews");
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    assert!(
        second.acquire(&task).await.unwrap(),
        "an expired lease moves"
    );
    assert!(!first.acquire(&task).await.unwrap());
    second.release_all().await;
    assert!(
        first.acquire(&task).await.unwrap(),
        "a released lease is free at once"
    );
}
