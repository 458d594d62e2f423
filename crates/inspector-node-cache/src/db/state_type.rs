//! `nodes.state`: the `node_state` enum on PostgreSQL, an enum on MySQL and
//! a checked string on SQLite, read and written as [`State`].

#[cfg(any(feature = "postgres", feature = "mysql"))]
use std::io::Write;

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, SqlType};
use inspector_types::State;

use super::connection::MultiBackend;

/// The SQL type of `nodes.state`.
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "node_state"))]
#[diesel(mysql_type(name = "String"))]
#[diesel(sqlite_type(name = "Text"))]
pub struct NodeStateSql;

/// A [`State`] as stored in `nodes.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = NodeStateSql)]
pub(crate) struct DbState(pub(crate) State);

fn parse(text: &[u8]) -> deserialize::Result<DbState> {
    let text = std::str::from_utf8(text)?;
    Ok(DbState(text.parse()?))
}

impl HasSqlType<NodeStateSql> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<NodeStateSql>(lookup)
    }
}

impl FromSql<NodeStateSql, MultiBackend> for DbState {
    fn from_sql(bytes: <MultiBackend as DieselBackend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<DbState, NodeStateSql>()
    }
}

impl ToSql<NodeStateSql, MultiBackend> for DbState {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((NodeStateSql, self));
        Ok(IsNull::No)
    }
}

impl FromSql<NodeStateSql, diesel::sqlite::Sqlite> for DbState {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text =
            <String as FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::from_sql(value)?;
        parse(text.as_bytes())
    }
}

impl ToSql<NodeStateSql, diesel::sqlite::Sqlite> for DbState {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        out.set_value(self.0.as_str());
        Ok(IsNull::No)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<NodeStateSql, diesel::pg::Pg> for DbState {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        parse(value.as_bytes())
    }
}

#[cfg(feature = "postgres")]
impl ToSql<NodeStateSql, diesel::pg::Pg> for DbState {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
        out.write_all(self.0.as_str().as_bytes())?;
        Ok(IsNull::No)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<NodeStateSql, diesel::mysql::Mysql> for DbState {
    fn from_sql(value: diesel::mysql::MysqlValue<'_>) -> deserialize::Result<Self> {
        parse(value.as_bytes())
    }
}

#[cfg(feature = "mysql")]
impl ToSql<NodeStateSql, diesel::mysql::Mysql> for DbState {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::mysql::Mysql>) -> serialize::Result {
        out.write_all(self.0.as_str().as_bytes())?;
        Ok(IsNull::No)
    }
}
