//! A pooled connection: runs statements with bound parameters, reports them (echo/log),
//! and manages its transaction.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
#[cfg(feature = "mysql")]
use crate::execution::backend::mysql::MyManager;
#[cfg(feature = "postgres")]
use crate::execution::backend::postgres::PgManager;
#[cfg(feature = "sqlite")]
use crate::execution::backend::sqlite::SqliteManager;
use crate::execution::backend::{BackendConnection, Failure, Prepared};
use crate::execution::echo::{Echo, Running};
use crate::execution::row::Row;
use crate::sql::dialect::Dialect;
use crate::value::Value;

/// What the connections of one engine share: how their statements are spelled and
/// reported, and how their transactions begin.
pub(crate) struct Settings {
    pub(crate) dialect: &'static dyn Dialect,
    pub(crate) echo: Echo,
    pub(crate) isolation: IsolationLevel,
}

/// The isolation level of the transactions an engine opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Each statement sees what was committed before it (PostgreSQL's default).
    #[default]
    ReadCommitted,
    /// The transaction sees one snapshot throughout.
    RepeatableRead,
    /// As if transactions ran one after another; conflicts fail with
    /// [`SerializationFailure`](ErrorKind::SerializationFailure), to retry. SQLite's
    /// transactions are always serializable.
    Serializable,
}

/// A connection checked out of the [`Engine`](crate::Engine)'s pool; it goes back to
/// the pool when dropped, rolling back a transaction left open.
///
/// ```no_run
/// # fn main() -> orm_core::Result<()> {
/// let engine = orm_core::Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let mut conn = engine.connection()?;
/// conn.transaction(|conn| {
///     conn.execute("UPDATE programs SET years_of_study = $1 WHERE id = $2", orm_core::params![4, 1])?;
///     Ok(())
/// })?;
/// # Ok(()) }
/// ```
pub struct Connection {
    inner: Inner,
    settings: Arc<Settings>,
    /// A statement failed inside the open transaction: only rollback is possible.
    aborted: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("dialect", &self.settings.dialect.name())
            .field("in_transaction", &self.in_transaction())
            .field("aborted", &self.aborted)
            .finish()
    }
}

enum Inner {
    #[cfg(feature = "postgres")]
    Postgres(r2d2::PooledConnection<PgManager>),
    #[cfg(feature = "sqlite")]
    Sqlite(r2d2::PooledConnection<SqliteManager>),
    #[cfg(feature = "mysql")]
    Mysql(r2d2::PooledConnection<MyManager>),
}

impl Connection {
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(conn: r2d2::PooledConnection<PgManager>, settings: Arc<Settings>) -> Connection {
        Connection { inner: Inner::Postgres(conn), settings, aborted: false }
    }

    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite(conn: r2d2::PooledConnection<SqliteManager>, settings: Arc<Settings>) -> Connection {
        Connection { inner: Inner::Sqlite(conn), settings, aborted: false }
    }

    #[cfg(feature = "mysql")]
    pub(crate) fn mysql(conn: r2d2::PooledConnection<MyManager>, settings: Arc<Settings>) -> Connection {
        Connection { inner: Inner::Mysql(conn), settings, aborted: false }
    }

    fn backend(&mut self) -> &mut dyn BackendConnection {
        match &mut self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => &mut **c,
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => &mut **c,
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => &mut **c,
        }
    }

    fn backend_ref(&self) -> &dyn BackendConnection {
        match &self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => &**c,
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => &**c,
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => &**c,
        }
    }

    /// What the server said of the last statement beside its rows (MySQL's info string).
    pub(crate) fn last_info(&self) -> Option<String> {
        self.backend_ref().last_info().map(str::to_owned)
    }

    /// The SQL dialect of this connection's database.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.settings.dialect
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.backend_ref().in_transaction()
    }

    fn check_usable(&self) -> Result<()> {
        if self.aborted {
            return Err(Error::new(
                ErrorKind::RollbackRequired,
                "the transaction was aborted by an earlier error; call rollback() before using it again",
            ));
        }
        Ok(())
    }

    /// Records a failed statement: in a transaction, the transaction is now aborted.
    fn failed(&mut self, err: Error) -> Error {
        if err.kind() == ErrorKind::ConnectionLost {
            let backend = self.backend();
            backend.mark_broken();
            backend.set_in_transaction(false);
        } else if self.in_transaction() {
            self.aborted = true;
        }
        err
    }

    /// Runs a statement and returns the number of rows it affected.
    ///
    /// Values are bound as parameters (`$1`, `$2`, ... on PostgreSQL), never spliced in.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.check_usable()?;
        let hide = self.settings.echo.hide_parameters;
        let running = self.settings.echo.start(self.dialect().name(), sql, params);
        match self.backend().execute(sql, params, hide) {
            Ok((n, prepared)) => {
                self.settings.echo.statement(sql, params, prepared);
                self.settings.echo.finish(running, sql, params, Some(n), true);
                Ok(n)
            }
            Err(e) => {
                self.settings.echo.statement(sql, params, None);
                self.settings.echo.finish(running, sql, params, None, false);
                Err(self.failed(e))
            }
        }
    }

    /// Runs a query and maps each row with `f`.
    pub fn query_raw<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.check_usable()?;
        let hide = self.settings.echo.hide_parameters;
        let running = self.settings.echo.start(self.dialect().name(), sql, params);
        let mut out = Vec::new();
        let result = self.backend().query(sql, params, hide, &mut |row| {
            if out.capacity() == 0 {
                // The driver knows how many rows came (PostgreSQL): one allocation.
                out.reserve(row.total_hint());
            }
            out.push(f(row)?);
            Ok(())
        });
        self.finish_query(running, sql, params, result, out.len())?;
        Ok(out)
    }

    /// Echoes a query that ran, and records a database failure (see [`failed`](Self::failed)).
    fn finish_query(
        &mut self,
        running: Running,
        sql: &str,
        params: &[Value],
        result: std::result::Result<Prepared, Failure>,
        rows: usize,
    ) -> Result<()> {
        let prepared = result.as_ref().ok().copied().flatten();
        self.settings.echo.statement(sql, params, prepared);
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        self.settings.echo.finish(running, sql, params, Some(rows), result.is_ok());
        match result {
            Ok(_) => Ok(()),
            Err(Failure::Row(e)) => Err(e),
            Err(Failure::Database(e)) => Err(self.failed(e)),
        }
    }

    /// Runs a query and hands each row to `f` as it arrives, holding none of them:
    /// a million rows take the memory of one.
    pub fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.check_usable()?;
        let hide = self.settings.echo.hide_parameters;
        let running = self.settings.echo.start(self.dialect().name(), sql, params);
        let mut rows = 0;
        let result = self.backend().query_stream(sql, params, hide, &mut |row| {
            rows += 1;
            f(row)
        });
        self.finish_query(running, sql, params, result, rows)
    }

    /// Runs one or more statements without parameters (DDL scripts).
    pub fn batch_execute(&mut self, sql: &str) -> Result<()> {
        self.check_usable()?;
        self.settings.echo.plain(sql, sql);
        let backend = self.backend();
        backend.clear_statements();
        backend.batch_execute(sql).map_err(|e| self.failed(e))
    }

    fn control(&mut self, sql: &str, shown: &str) -> Result<()> {
        self.settings.echo.plain(sql, shown);
        self.backend().batch_execute(sql).map_err(|e| self.failed(e))
    }

    /// Opens a transaction.
    pub fn begin(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.in_transaction() {
            return Err(Error::invalid_state(
                "a transaction is already open on this connection; commit or roll it back first",
            ));
        }
        let begin = match (self.dialect().name(), self.settings.isolation) {
            ("postgresql", IsolationLevel::RepeatableRead) => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            ("postgresql", IsolationLevel::Serializable) => "BEGIN ISOLATION LEVEL SERIALIZABLE",
            // SQLite transactions are serializable whatever is asked.
            _ => self.dialect().begin_sql(),
        };
        self.control(begin, "BEGIN (implicit)")?;
        self.backend().set_in_transaction(true);
        Ok(())
    }

    /// Commits the open transaction.
    pub fn commit(&mut self) -> Result<()> {
        self.check_usable()?;
        if !self.in_transaction() {
            return Err(Error::invalid_state("there is no open transaction to commit"));
        }
        let r = self.control("COMMIT", "COMMIT");
        if r.is_err() && self.backend_ref().transaction_open_in_database() {
            // SQLite keeps the transaction open when COMMIT fails (a deferred foreign
            // key): end it, as PostgreSQL does, so that the connection can begin again.
            self.aborted = false;
            if self.control("ROLLBACK", "ROLLBACK").is_err() {
                self.backend().mark_broken();
            }
        }
        // Whether COMMIT succeeded or failed, the transaction is over.
        self.backend().set_in_transaction(false);
        self.aborted = false;
        r
    }

    /// Rolls back the open transaction (does nothing without one).
    pub fn rollback(&mut self) -> Result<()> {
        self.aborted = false;
        if !self.in_transaction() {
            return Ok(());
        }
        let r = self.control("ROLLBACK", "ROLLBACK");
        self.backend().set_in_transaction(false);
        r
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back otherwise.
    pub fn transaction<R>(&mut self, f: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        self.begin()?;
        match f(self) {
            Ok(r) => {
                self.commit()?;
                Ok(r)
            }
            Err(e) => {
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    /// Creates a savepoint inside the open transaction.
    pub(crate) fn savepoint(&mut self, name: &str) -> Result<()> {
        self.check_usable()?;
        let sql = format!("SAVEPOINT {name}");
        self.control(&sql, &sql)
    }

    /// Releases (keeps the work of) a savepoint.
    pub(crate) fn release_savepoint(&mut self, name: &str) -> Result<()> {
        self.check_usable()?;
        let sql = format!("RELEASE SAVEPOINT {name}");
        self.control(&sql, &sql)
    }

    /// Undoes the work since a savepoint; an aborted transaction becomes usable again.
    pub(crate) fn rollback_to_savepoint(&mut self, name: &str) -> Result<()> {
        let sql = format!("ROLLBACK TO SAVEPOINT {name}");
        self.control(&sql, &sql)?;
        self.aborted = false;
        Ok(())
    }

    /// A token that cancels the statement running on this connection from another thread.
    pub fn cancel_token(&mut self) -> CancelToken {
        match &self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => CancelToken(CancelInner::Postgres(c.cancel_token())),
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => CancelToken(CancelInner::Sqlite(c.interrupt_handle())),
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => CancelToken(CancelInner::Mysql(c.kill_query())),
        }
    }

    /// Whether the connection to the server is closed.
    pub fn is_closed(&mut self) -> bool {
        self.backend().is_closed()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Never talk to the server while unwinding: let the pool discard it.
            self.backend().mark_broken();
            return;
        }
        if self.in_transaction() && self.rollback().is_err() {
            self.backend().mark_broken();
        }
    }
}

/// Cancels the statement running on a connection, from any thread.
pub struct CancelToken(CancelInner);

enum CancelInner {
    #[cfg(feature = "postgres")]
    Postgres(postgres::CancelToken),
    #[cfg(feature = "sqlite")]
    Sqlite(rusqlite::InterruptHandle),
    #[cfg(feature = "mysql")]
    Mysql(crate::execution::backend::mysql::KillQuery),
}

impl CancelToken {
    /// Asks the database to cancel the running statement.
    pub fn cancel(&self) -> Result<()> {
        match &self.0 {
            #[cfg(feature = "postgres")]
            CancelInner::Postgres(token) => {
                token.cancel_query(postgres::NoTls).map_err(crate::execution::backend::postgres::map_error)
            }
            #[cfg(feature = "sqlite")]
            CancelInner::Sqlite(handle) => {
                handle.interrupt();
                Ok(())
            }
            #[cfg(feature = "mysql")]
            CancelInner::Mysql(kill) => kill.cancel(),
        }
    }
}
