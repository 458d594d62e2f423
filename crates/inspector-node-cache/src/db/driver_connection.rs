//! [`DriverConnection`]: diesel's blocking connection traits over a
//! diesel-async connection, as a type of this crate so that it can take part
//! in the [`AnyConnection`](super::AnyConnection) enum (diesel's
//! `MultiConnection` needs a helper trait that only a local type can
//! implement). Every method hands over to diesel-async's own wrapper.

use diesel::connection::{
    CacheSize, Connection, ConnectionSealed, Instrumentation, LoadConnection,
    MultiConnectionHelper, SimpleConnection, TransactionManager, TransactionManagerStatus,
};
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::{ConnectionResult, QueryResult};
use diesel_async::AsyncConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

use super::drivers::DriverRuntime;

type Wrapped<C> = AsyncConnectionWrapper<C, DriverRuntime>;

/// How a driver's connection is opened from a URL (with the TLS it names).
pub(crate) trait Open: AsyncConnection + Sized {
    /// Opens a connection; blocks on the driver runtime.
    fn open(target: &str) -> ConnectionResult<Wrapped<Self>>;
}

/// A connection of a pure-Rust driver with diesel's blocking interface.
pub(crate) struct DriverConnection<C: AsyncConnection> {
    inner: Wrapped<C>,
    /// A statement failed because the connection to the server is gone: the
    /// pool discards this connection instead of handing it out again.
    lost: bool,
}

impl<C: AsyncConnection> DriverConnection<C> {
    /// Whether the connection to the server was found gone.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost
    }
}

/// Notes in `lost` a failure that says the connection is gone.
fn note_lost<T>(lost: &mut bool, result: QueryResult<T>) -> QueryResult<T> {
    if let Err(error) = &result
        && crate::error::connection_lost(error)
    {
        *lost = true;
    }
    result
}

impl<C: AsyncConnection> ConnectionSealed for DriverConnection<C> {}

thread_local! {
    /// Whether the statement that just failed on this thread was a deadlock
    /// victim; read by the rollback that follows.
    static DEADLOCKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// MySQL ends the whole transaction of a deadlock victim (error 1213), which
/// diesel-async reports as an unknown error. It is reported as diesel's own
/// MySQL connection does, a serialization failure, and the rollback that
/// follows rolls back up to the top level (see [`DriverTransactionManager`]),
/// so that savepoint rollbacks that can no longer work do not hide it and
/// the caller's retry starts a fresh transaction.
fn deadlock_ends_the_transaction<T>(result: QueryResult<T>) -> QueryResult<T> {
    use diesel::result::{DatabaseErrorKind, Error};
    match result {
        Err(Error::DatabaseError(DatabaseErrorKind::Unknown, info))
            if info.message().starts_with("Deadlock found") =>
        {
            DEADLOCKED.set(true);
            Err(Error::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                info,
            ))
        }
        other => other,
    }
}

impl<C> SimpleConnection for DriverConnection<C>
where
    C: AsyncConnection,
    Wrapped<C>: SimpleConnection,
{
    fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        note_lost(
            &mut self.lost,
            deadlock_ends_the_transaction(self.inner.batch_execute(query)),
        )
    }
}

impl<C> Connection for DriverConnection<C>
where
    C: Open + 'static,
    Wrapped<C>: Connection<Backend = C::Backend>,
{
    type Backend = C::Backend;
    type TransactionManager = DriverTransactionManager;

    fn establish(target: &str) -> ConnectionResult<Self> {
        C::open(target).map(|inner| Self { inner, lost: false })
    }

    fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
    where
        T: QueryFragment<Self::Backend> + QueryId,
    {
        note_lost(
            &mut self.lost,
            deadlock_ends_the_transaction(self.inner.execute_returning_count(source)),
        )
    }

    fn transaction_state(
        &mut self,
    ) -> &mut <Self::TransactionManager as TransactionManager<Self>>::TransactionStateData {
        Connection::transaction_state(&mut self.inner)
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        Connection::instrumentation(&mut self.inner)
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        Connection::set_instrumentation(&mut self.inner, instrumentation);
    }

    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        Connection::set_prepared_statement_cache_size(&mut self.inner, size);
    }
}

impl<C> LoadConnection for DriverConnection<C>
where
    C: Open + 'static,
    Wrapped<C>: LoadConnection<Backend = C::Backend>,
{
    type Cursor<'conn, 'query>
        = <Wrapped<C> as LoadConnection>::Cursor<'conn, 'query>
    where
        Self: 'conn;
    type Row<'conn, 'query>
        = <Wrapped<C> as LoadConnection>::Row<'conn, 'query>
    where
        Self: 'conn;

    fn load<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> QueryResult<Self::Cursor<'conn, 'query>>
    where
        T: Query + QueryFragment<Self::Backend> + QueryId + 'query,
        Self::Backend: diesel::expression::QueryMetadata<T::SqlType>,
    {
        note_lost(
            &mut self.lost,
            deadlock_ends_the_transaction(self.inner.load(source)),
        )
    }
}

/// The transactions of a [`DriverConnection`]: those of the wrapped connection.
pub(crate) struct DriverTransactionManager;

type WrappedManager<C> = <Wrapped<C> as Connection>::TransactionManager;

impl<C> TransactionManager<DriverConnection<C>> for DriverTransactionManager
where
    C: Open + 'static,
    Wrapped<C>: Connection<Backend = C::Backend>,
{
    type TransactionStateData =
        <WrappedManager<C> as TransactionManager<Wrapped<C>>>::TransactionStateData;

    fn begin_transaction(conn: &mut DriverConnection<C>) -> QueryResult<()> {
        let status = WrappedManager::<C>::transaction_manager_status_mut(&mut conn.inner);
        if status.transaction_depth().ok().flatten().is_none() {
            DEADLOCKED.set(false);
        }
        note_lost(
            &mut conn.lost,
            WrappedManager::<C>::begin_transaction(&mut conn.inner),
        )
    }

    fn rollback_transaction(conn: &mut DriverConnection<C>) -> QueryResult<()> {
        if DEADLOCKED.get() {
            WrappedManager::<C>::transaction_manager_status_mut(&mut conn.inner)
                .set_requires_rollback_maybe_up_to_top_level(true);
        }
        let result = note_lost(
            &mut conn.lost,
            WrappedManager::<C>::rollback_transaction(&mut conn.inner),
        );
        let status = WrappedManager::<C>::transaction_manager_status_mut(&mut conn.inner);
        if status.transaction_depth().ok().flatten().is_none() {
            DEADLOCKED.set(false);
        }
        result
    }

    fn commit_transaction(conn: &mut DriverConnection<C>) -> QueryResult<()> {
        note_lost(
            &mut conn.lost,
            WrappedManager::<C>::commit_transaction(&mut conn.inner),
        )
    }

    fn transaction_manager_status_mut(
        conn: &mut DriverConnection<C>,
    ) -> &mut TransactionManagerStatus {
        WrappedManager::<C>::transaction_manager_status_mut(&mut conn.inner)
    }

    fn is_broken_transaction_manager(conn: &mut DriverConnection<C>) -> bool {
        WrappedManager::<C>::is_broken_transaction_manager(&mut conn.inner)
    }
}

impl<C> diesel::r2d2::R2D2Connection for DriverConnection<C>
where
    C: Open + 'static,
    Wrapped<C>: diesel::r2d2::R2D2Connection + Connection<Backend = C::Backend>,
{
    fn ping(&mut self) -> QueryResult<()> {
        self.inner.ping()
    }

    fn is_broken(&mut self) -> bool {
        self.lost || self.inner.is_broken()
    }
}

impl<C> diesel::migration::MigrationConnection for DriverConnection<C>
where
    C: Open + 'static,
    Wrapped<C>: diesel::migration::MigrationConnection + Connection<Backend = C::Backend>,
{
    fn setup(&mut self) -> QueryResult<usize> {
        self.inner.setup()
    }
}

#[cfg(feature = "mysql")]
impl MultiConnectionHelper for DriverConnection<diesel_async::AsyncMysqlConnection> {
    fn to_any<'a>(lookup: &mut ()) -> &mut (dyn std::any::Any + 'a) {
        lookup
    }

    fn from_any(lookup: &mut dyn std::any::Any) -> Option<&mut ()> {
        lookup.downcast_mut()
    }
}

#[cfg(feature = "postgres")]
mod postgres_types {
    use diesel::pg::{PgMetadataLookup, PgTypeMetadata};

    use super::{DriverConnection, MultiConnectionHelper};

    /// The type look-up of PostgreSQL statements sent through the
    /// multi-backend connection: the built-in types have fixed OIDs that
    /// need no look-up, and a type found by name (the `node_state` enum) is
    /// sent as "unspecified" (OID 0), which the server resolves from the
    /// column it is compared with or stored into.
    #[derive(Debug, Default, Clone, Copy)]
    struct ServerInferredTypes;

    impl PgMetadataLookup for ServerInferredTypes {
        fn lookup_type(&mut self, _type_name: &str, _schema: Option<&str>) -> PgTypeMetadata {
            PgTypeMetadata::new(0, 0)
        }
    }

    fn lookup() -> &'static mut ServerInferredTypes {
        // A zero-sized value: leaking it allocates nothing.
        Box::leak(Box::new(ServerInferredTypes))
    }

    impl MultiConnectionHelper for DriverConnection<diesel_async::AsyncPgConnection> {
        fn to_any<'a, 'b>(
            _lookup: &'b mut (dyn PgMetadataLookup + 'static),
        ) -> &'b mut (dyn std::any::Any + 'a) {
            lookup()
        }

        fn from_any(
            lookup: &mut dyn std::any::Any,
        ) -> Option<&mut (dyn PgMetadataLookup + 'static)> {
            lookup
                .downcast_mut::<ServerInferredTypes>()
                .map(|types| types as &mut dyn PgMetadataLookup)
        }
    }
}
