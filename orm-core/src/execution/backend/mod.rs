//! Database drivers behind the ORM's own connection, binding and error types.

#[cfg(feature = "mysql")]
pub(crate) mod mysql;
#[cfg(feature = "postgres")]
pub(crate) mod pg_decode;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use std::time::Duration;

use crate::error::Error;
use crate::execution::row::Row;
use crate::value::Value;

/// How a statement was prepared, for echo: `None` = taken from the cache.
pub(crate) type Prepared = Option<Duration>;

/// Why a statement failed: the database refused it (which aborts a PostgreSQL
/// transaction), or handling a row failed on our side.
pub(crate) enum Failure {
    Database(Error),
    Row(Error),
}

/// One pooled connection of any backend, as `Connection` drives it.
pub(crate) trait BackendConnection {
    /// Runs a query, handing each row to `f`.
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        hide: bool,
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Prepared, Failure>;

    /// Runs a query, handing each row to `f` as it arrives, without holding the result
    /// (SQLite steps through its rows anyway).
    fn query_stream(
        &mut self,
        sql: &str,
        params: &[Value],
        hide: bool,
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Prepared, Failure> {
        self.query(sql, params, hide, f)
    }

    /// Runs a statement; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value], hide: bool) -> Result<(u64, Prepared), Error>;

    /// Runs statements without parameters.
    fn batch_execute(&mut self, sql: &str) -> Result<(), Error>;

    /// Forgets prepared statements (after DDL).
    fn clear_statements(&mut self);

    fn in_transaction(&self) -> bool;
    fn set_in_transaction(&mut self, open: bool);

    /// Whether the database itself still has a transaction open on this connection
    /// (asked after a failed COMMIT: PostgreSQL always ends the transaction, SQLite keeps
    /// it open when a deferred constraint fails).
    fn transaction_open_in_database(&self) -> bool;

    /// Makes the pool discard the connection when it comes back.
    fn mark_broken(&mut self);

    fn is_closed(&self) -> bool;

    /// What the server said of the last statement beside its rows (MySQL's info string:
    /// `Records: 3  Duplicates: 1  Warnings: 0`).
    fn last_info(&self) -> Option<&str> {
        None
    }
}

/// How a base type is read from the rows of every backend compiled in (the `postgres`,
/// `sqlite` and `mysql` features): each backend's decoding trait, or nothing for a
/// backend left out.
pub(crate) trait BackendDecode: PgBound + SqliteBound + MyBound {}
impl<T: PgBound + SqliteBound + MyBound> BackendDecode for T {}

#[cfg(feature = "postgres")]
pub(crate) use pg_decode::PgDecode as PgBound;
#[cfg(not(feature = "postgres"))]
pub(crate) trait PgBound {}
#[cfg(not(feature = "postgres"))]
impl<T> PgBound for T {}

#[cfg(feature = "sqlite")]
pub(crate) use sqlite::SqliteDecode as SqliteBound;
#[cfg(not(feature = "sqlite"))]
pub(crate) trait SqliteBound {}
#[cfg(not(feature = "sqlite"))]
impl<T> SqliteBound for T {}

#[cfg(feature = "mysql")]
pub(crate) use mysql::MyDecode as MyBound;
#[cfg(not(feature = "mysql"))]
pub(crate) trait MyBound {}
#[cfg(not(feature = "mysql"))]
impl<T> MyBound for T {}
