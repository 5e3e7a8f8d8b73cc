//! A pooled connection: runs statements with bound parameters, reports them (echo/log),
//! and manages its transaction.

use std::sync::Arc;

use crate::backend::postgres::{PgConn, PgManager, map_error};
use crate::dialect::Dialect;
use crate::engine::Shared;
use crate::error::{Error, ErrorKind, Result};
use crate::row::Row;
use crate::value::Value;

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
    shared: Arc<Shared>,
    /// A statement failed inside the open transaction: only rollback is possible.
    aborted: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("dialect", &self.shared.dialect.name())
            .field("in_transaction", &self.in_transaction())
            .field("aborted", &self.aborted)
            .finish()
    }
}

enum Inner {
    Postgres(r2d2::PooledConnection<PgManager>),
}

impl Connection {
    pub(crate) fn postgres(
        conn: r2d2::PooledConnection<PgManager>,
        shared: Arc<Shared>,
    ) -> Connection {
        Connection {
            inner: Inner::Postgres(conn),
            shared,
            aborted: false,
        }
    }

    fn pg(&mut self) -> &mut PgConn {
        match &mut self.inner {
            Inner::Postgres(c) => c,
        }
    }

    /// The SQL dialect of this connection's database.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.shared.dialect
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        match &self.inner {
            Inner::Postgres(c) => c.in_transaction,
        }
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
    fn failed(&mut self, e: postgres::Error) -> Error {
        let err = map_error(e);
        if err.kind() == ErrorKind::ConnectionLost {
            let pg = self.pg();
            pg.broken = true;
            pg.in_transaction = false;
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
        let hide = self.shared.echo.hide_parameters;
        match self.pg().execute(sql, params, hide) {
            Ok((n, prepared)) => {
                self.shared.echo.statement(sql, params, prepared);
                Ok(n)
            }
            Err(e) => {
                self.shared.echo.statement(sql, params, None);
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
        let hide = self.shared.echo.hide_parameters;
        let rows = match self.pg().query(sql, params, hide) {
            Ok((rows, prepared)) => {
                self.shared.echo.statement(sql, params, prepared);
                rows
            }
            Err(e) => {
                self.shared.echo.statement(sql, params, None);
                return Err(self.failed(e));
            }
        };
        rows.iter().map(|r| f(&Row::pg(r))).collect()
    }

    /// Runs one or more statements without parameters (DDL scripts).
    pub fn batch_execute(&mut self, sql: &str) -> Result<()> {
        self.check_usable()?;
        self.shared.echo.plain(sql, sql);
        let pg = self.pg();
        pg.clear_statements();
        pg.batch_execute(sql).map_err(|e| self.failed(e))
    }

    fn control(&mut self, sql: &str, shown: &str) -> Result<()> {
        self.shared.echo.plain(sql, shown);
        self.pg().batch_execute(sql).map_err(|e| self.failed(e))
    }

    /// Opens a transaction.
    pub fn begin(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.in_transaction() {
            return Err(Error::invalid_state(
                "a transaction is already open on this connection; commit or roll it back first",
            ));
        }
        self.control("BEGIN", "BEGIN (implicit)")?;
        self.pg().in_transaction = true;
        Ok(())
    }

    /// Commits the open transaction.
    pub fn commit(&mut self) -> Result<()> {
        self.check_usable()?;
        if !self.in_transaction() {
            return Err(Error::invalid_state(
                "there is no open transaction to commit",
            ));
        }
        let r = self.control("COMMIT", "COMMIT");
        // Whether COMMIT succeeded or failed, the transaction is over.
        self.pg().in_transaction = false;
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
        self.pg().in_transaction = false;
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
        CancelToken(self.pg().cancel_token())
    }

    /// Whether the connection to the server is closed.
    pub fn is_closed(&mut self) -> bool {
        self.pg().is_closed()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Never talk to the server while unwinding: let the pool discard it.
            self.pg().broken = true;
            return;
        }
        if self.in_transaction() && self.rollback().is_err() {
            self.pg().broken = true;
        }
    }
}

/// Cancels the statement running on a connection, from any thread.
pub struct CancelToken(postgres::CancelToken);

impl CancelToken {
    /// Asks the server to cancel the running statement.
    pub fn cancel(&self) -> Result<()> {
        self.0.cancel_query(postgres::NoTls).map_err(map_error)
    }
}
