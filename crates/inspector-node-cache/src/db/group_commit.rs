//! SQLite's single writer with group commit: writes from every task queue to
//! one thread, which runs each in its own savepoint and commits every write
//! that queued meanwhile in one transaction, so that one disk flush serves
//! them all. A write that fails rolls back to its savepoint only; a failed
//! commit fails every write of the batch. A caller's future completes after
//! the commit that made its write durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};

use diesel::Connection;
use diesel::r2d2::Pool;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tracing::Span;

use super::AnyConnection;
use super::connection::ConnectionManager;
use crate::error::{Error, Result};

/// Writes committed together at most (bounds the wait of the first one).
const MAX_BATCH: usize = 64;

/// Hands the outcome of a write to its caller once the batch's commit is known.
type Deliver = Box<dyn FnOnce(Option<&Error>) + Send>;
/// A queued write: runs on the connection (or learns why it cannot) and
/// returns how to deliver its result.
type Job = Box<dyn FnOnce(std::result::Result<&mut AnyConnection, &Error>) -> Deliver + Send>;

/// An error that stands for `error` for every write of a batch.
fn shared(error: &Error) -> Error {
    Error::from(DieselError::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new(error.to_string()),
    ))
}

/// The queue to the writer thread; the thread ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    jobs: Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer thread over `pool`.
    pub(crate) fn start(pool: Pool<ConnectionManager>) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(&pool, &queue))?;
        Ok(Self { jobs })
    }

    /// Runs `work` in the next group commit and returns its result once committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
    {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let span = Span::current();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                // The panic is caught inside the savepoint, so that the
                // savepoint is rolled back and the batch goes on.
                Ok(conn) => span.in_scope(|| {
                    conn.transaction(|conn| {
                        catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|_| {
                            Err(Error::Schema(
                                "a database write panicked; it was rolled back".into(),
                            ))
                        })
                    })
                }),
                Err(error) => Err(shared(error)),
            };
            Box::new(move |commit_error| {
                let outcome = match (result, commit_error) {
                    (Ok(_), Some(error)) => Err(shared(error)),
                    (result, _) => result,
                };
                let _ = sender.send(outcome);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Schema("the database writer has stopped".into()))?;
        receiver.await.map_err(|_| {
            Error::Schema("a database write was abandoned by the writer (a bug)".into())
        })?
    }
}

fn writer(pool: &Pool<ConnectionManager>, queue: &Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(error) => {
                let error = Error::from(error);
                for job in batch {
                    job(Err(&error))(None);
                }
                continue;
            }
        };
        commit_batch(&mut conn, batch);
    }
}

/// Takes SQLite's write lock at the start of the batch's transaction, whose
/// writes may begin with a read (that read could not be upgraded later).
fn take_write_lock(conn: &mut AnyConnection) -> Result<()> {
    use diesel::connection::SimpleConnection;
    Ok(conn.batch_execute("UPDATE nodes SET uuid = uuid WHERE 1 = 0")?)
}

/// Whether the connection is still inside exactly the batch's transaction.
fn in_one_transaction(conn: &mut AnyConnection) -> bool {
    super::transaction_depth(conn) == Some(1)
}

fn commit_batch(conn: &mut AnyConnection, batch: Vec<Job>) {
    let mut pending = batch.into_iter();
    let mut delivers: Vec<Deliver> = Vec::new();
    let outcome = conn.transaction::<(), Error, _>(|conn| {
        // Take SQLite's write lock first: a read snapshot taken before another
        // connection's commit could not be upgraded to a write later.
        take_write_lock(conn)?;
        for job in pending.by_ref() {
            delivers.push(job(Ok(&mut *conn)));
            // A statement that aborted the whole transaction (disk full, I/O
            // error) ends the batch: later savepoints would open a new one.
            if !in_one_transaction(conn) {
                return Err(Error::Schema(
                    "the database aborted the transaction of a group commit".into(),
                ));
            }
        }
        Ok(())
    });
    let commit_error = outcome.err();
    if let Some(error) = &commit_error {
        tracing::warn!(%error, writes = delivers.len(), "a group commit failed");
    }
    for deliver in delivers {
        deliver(commit_error.as_ref());
    }
    // Writes that never ran (the transaction could not begin, or it was
    // aborted) fail with the same error.
    let error = commit_error
        .unwrap_or_else(|| Error::Schema("the group commit did not run this write".into()));
    for job in pending {
        job(Err(&error))(None);
    }
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;

    use crate::db::{Db, PoolOptions};
    use crate::error::Error;
    use crate::url::DatabaseUrl;

    fn count(db: &Db) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        db.run_blocking(|conn| {
            Ok(diesel::sql_query("SELECT COUNT(*) AS n FROM t")
                .get_result::<Count>(conn)?
                .n)
        })
        .expect("counts")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_fails_alone_and_later_writes_are_durable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = DatabaseUrl::parse(&format!("sqlite:///{}/t.sqlite", dir.path().display()))
            .expect("url");
        let db = Db::open(&url, &PoolOptions::default())
            .await
            .expect("opens");
        // `nodes` exists in every service database; a batch starts by locking it.
        db.run(|conn| {
            diesel::sql_query("CREATE TABLE nodes (uuid TEXT)").execute(conn)?;
            Ok(diesel::sql_query("CREATE TABLE t (n INTEGER)").execute(conn)?)
        })
        .await
        .expect("creates");
        let insert = || {
            let db = db.clone();
            async move {
                db.write(|conn| Ok(diesel::sql_query("INSERT INTO t VALUES (1)").execute(conn)?))
                    .await
            }
        };
        insert().await.expect("inserts");
        let panicked: Result<usize, Error> = db
            .write(|conn| {
                diesel::sql_query("INSERT INTO t VALUES (2)").execute(conn)?;
                panic!("a bug in a write");
            })
            .await;
        assert!(panicked.is_err());
        let (a, b) = tokio::join!(insert(), insert());
        a.expect("inserts");
        b.expect("inserts");
        // Read through another connection of the pool: everything that
        // succeeded is committed, the panicking write's row is not.
        assert_eq!(count(&db), 3);
    }
}
