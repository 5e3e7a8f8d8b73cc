//! SQLite through `rusqlite` (bundled): the pooled connection, value binding in
//! faithful storage forms (`sql/storage.rs`), decoding them back, and error mapping.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use r2d2::ManageConnection;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection as Raw, ErrorCode, OpenFlags};

use super::{BackendConnection, Failure, Prepared};
use crate::error::{Error, ErrorKind};
use crate::execution::row::Row;
use crate::sql::storage::{Storage, sqlite_storage};
use crate::value::Value;

/// Where the database lives.
#[derive(Debug, Clone)]
pub(crate) enum SqliteTarget {
    /// One in-memory database shared by the engine's connections (memdb VFS).
    Memory(String),
    /// A database file.
    File(PathBuf),
}

impl SqliteTarget {
    fn open(&self) -> rusqlite::Result<Raw> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match self {
            SqliteTarget::Memory(name) => Raw::open_with_flags(format!("file:/{name}?vfs=memdb"), flags),
            SqliteTarget::File(path) => Raw::open_with_flags(path, flags),
        }
    }
}

/// Opens and checks SQLite connections for r2d2.
pub(crate) struct SqliteManager {
    target: SqliteTarget,
    busy_timeout: Duration,
    statement_timeout: Option<Duration>,
}

impl fmt::Debug for SqliteManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteManager").field("target", &self.target).finish_non_exhaustive()
    }
}

impl SqliteManager {
    pub(crate) fn new(target: SqliteTarget, busy_timeout: Duration, statement_timeout: Option<Duration>) -> Self {
        SqliteManager { target, busy_timeout, statement_timeout }
    }

    /// A connection outside the pool that keeps an in-memory database alive.
    pub(crate) fn keeper(&self) -> rusqlite::Result<Option<Raw>> {
        match self.target {
            SqliteTarget::Memory(_) => self.target.open().map(Some),
            SqliteTarget::File(_) => Ok(None),
        }
    }
}

impl ManageConnection for SqliteManager {
    type Connection = SqliteConn;
    type Error = rusqlite::Error;

    fn connect(&self) -> rusqlite::Result<SqliteConn> {
        let mut raw = self.target.open()?;
        raw.busy_timeout(self.busy_timeout)?;
        raw.set_prepared_statement_cache_capacity(256);
        // Foreign keys are enforced (ON DELETE CASCADE works), LIKE is case-sensitive as
        // on PostgreSQL, and file databases let readers work beside a writer.
        raw.execute_batch("PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON;")?;
        if let SqliteTarget::File(_) = self.target {
            raw.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            raw.execute_batch("PRAGMA synchronous = NORMAL")?;
        }
        #[cfg(feature = "json")]
        register_json_contains(&raw)?;
        let deadline = Arc::new(AtomicU64::new(0));
        if self.statement_timeout.is_some() {
            let watched = deadline.clone();
            let started = Instant::now();
            raw.progress_handler(
                1000,
                Some(move || {
                    let at = watched.load(Ordering::Relaxed);
                    at != 0 && started.elapsed().as_micros() as u64 > at
                }),
            )?;
            return Ok(SqliteConn::new(raw, Some((deadline, started, self.statement_timeout.unwrap_or_default()))));
        }
        Ok(SqliteConn::new(raw, None))
    }

    fn is_valid(&self, conn: &mut SqliteConn) -> rusqlite::Result<()> {
        conn.raw.execute_batch("")
    }

    fn has_broken(&self, conn: &mut SqliteConn) -> bool {
        conn.broken || conn.in_transaction || !conn.raw.is_autocommit()
    }
}

/// Cancels statements that run past the engine's statement timeout.
type Timeout = (Arc<AtomicU64>, Instant, Duration);

/// One SQLite connection as the pool keeps it.
pub(crate) struct SqliteConn {
    raw: Raw,
    /// Statements prepared on this connection, to report `[cached]` in echo.
    seen: HashSet<String>,
    timeout: Option<Timeout>,
    pub(crate) in_transaction: bool,
    pub(crate) broken: bool,
}

impl SqliteConn {
    fn new(raw: Raw, timeout: Option<Timeout>) -> SqliteConn {
        SqliteConn { raw, seen: HashSet::new(), timeout, in_transaction: false, broken: false }
    }

    /// How the statement was prepared, for echo: `None` = from the cache.
    fn prepared(&mut self, sql: &str, started: Instant) -> Option<Duration> {
        if self.seen.contains(sql) {
            return None;
        }
        if self.seen.len() >= 256 {
            self.seen.clear();
        }
        self.seen.insert(sql.to_owned());
        Some(started.elapsed())
    }

    fn arm(&self) {
        if let Some((deadline, started, limit)) = &self.timeout {
            deadline.store((started.elapsed() + *limit).as_micros() as u64, Ordering::Relaxed);
        }
    }

    fn disarm(&self) {
        if let Some((deadline, _, _)) = &self.timeout {
            deadline.store(0, Ordering::Relaxed);
        }
    }

    fn query_rows(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&rusqlite::Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Option<Duration>, QueryError> {
        let started = Instant::now();
        self.arm();
        let result = (|| {
            let mut stmt = self.raw.prepare_cached(sql).map_err(QueryError::Sqlite)?;
            let mut rows =
                stmt.query(rusqlite::params_from_iter(params.iter().map(Bind))).map_err(QueryError::Sqlite)?;
            while let Some(row) = rows.next().map_err(QueryError::Sqlite)? {
                f(row).map_err(QueryError::Orm)?;
            }
            Ok(())
        })();
        self.disarm();
        result.map(|()| self.prepared(sql, started))
    }

    fn execute_statement(&mut self, sql: &str, params: &[Value]) -> Result<(u64, Option<Duration>), QueryError> {
        let started = Instant::now();
        self.arm();
        let result = (|| {
            let mut stmt = self.raw.prepare_cached(sql)?;
            let binds = rusqlite::params_from_iter(params.iter().map(Bind));
            if stmt.column_count() > 0 {
                let mut rows = stmt.query(binds)?;
                while rows.next()?.is_some() {}
                drop(rows);
                Ok(self.raw.changes())
            } else {
                stmt.execute(binds).map(|n| n as u64)
            }
        })();
        self.disarm();
        let n = result.map_err(QueryError::Sqlite)?;
        Ok((n, self.prepared(sql, started)))
    }

    pub(crate) fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.raw.get_interrupt_handle()
    }
}

impl BackendConnection for SqliteConn {
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        _hide: bool,
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Prepared, Failure> {
        self.query_rows(sql, params, &mut |row| f(&Row::sqlite(row))).map_err(|e| match e {
            QueryError::Sqlite(e) => Failure::Database(map_error(e)),
            QueryError::Orm(e) => Failure::Row(e),
        })
    }

    fn execute(&mut self, sql: &str, params: &[Value], _hide: bool) -> Result<(u64, Prepared), Error> {
        self.execute_statement(sql, params).map_err(|e| match e {
            QueryError::Sqlite(e) => map_error(e),
            QueryError::Orm(e) => e,
        })
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        self.arm();
        let r = self.raw.execute_batch(sql);
        self.disarm();
        r.map_err(map_error)
    }

    fn clear_statements(&mut self) {
        self.raw.flush_prepared_statement_cache();
        self.seen.clear();
    }

    fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_transaction = open;
    }

    fn transaction_open_in_database(&self) -> bool {
        !self.raw.is_autocommit()
    }

    fn mark_broken(&mut self) {
        self.broken = true;
    }

    fn is_closed(&self) -> bool {
        false
    }
}

/// A failure while querying: the driver's, or the row closure's own.
pub(crate) enum QueryError {
    Sqlite(rusqlite::Error),
    Orm(Error),
}

/// A value on its way to SQLite, in its storage form (see `sql/storage.rs`).
struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as V;
        match sqlite_storage(self.0) {
            Ok(Storage::Null) => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
            Ok(Storage::Integer(i)) => Ok(ToSqlOutput::Owned(V::Integer(i))),
            Ok(Storage::Real(r)) => Ok(ToSqlOutput::Owned(V::Real(r))),
            Ok(Storage::Text(Cow::Borrowed(s))) => Ok(ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))),
            Ok(Storage::Text(Cow::Owned(s))) => Ok(ToSqlOutput::Owned(V::Text(s))),
            Ok(Storage::Blob(b)) => Ok(ToSqlOutput::Borrowed(ValueRef::Blob(b))),
            Err(why) => Err(rusqlite::Error::ToSqlConversionFailure(why.into_owned().into())),
        }
    }
}

/// The storage class of a value, for messages.
pub(crate) fn storage_class(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "INTEGER",
        ValueRef::Real(_) => "REAL",
        ValueRef::Text(_) => "TEXT",
        ValueRef::Blob(_) => "BLOB",
    }
}

/// Reads a base type back from its SQLite storage form. `Err` carries a reason.
pub trait SqliteDecode: Sized {
    /// Converts a non-NULL value.
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String>;
}

fn text(v: ValueRef<'_>) -> Result<&str, String> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).map_err(|e| e.to_string()),
        other => Err(format!("expected TEXT, found {}", storage_class(other))),
    }
}

macro_rules! int_decode {
    ($($ty:ty),*) => {$(
        impl SqliteDecode for $ty {
            fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
                match v {
                    ValueRef::Integer(i) => <$ty>::try_from(i).map_err(|_| format!("{i} is out of range")),
                    other => Err(format!("expected INTEGER, found {}", storage_class(other))),
                }
            }
        }
    )*};
}

int_decode!(i16, i32, i64);

impl SqliteDecode for f64 {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Real(r) => Ok(r),
            ValueRef::Integer(i) => Ok(i as f64),
            other => Err(format!("expected REAL, found {}", storage_class(other))),
        }
    }
}

impl SqliteDecode for f32 {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        f64::from_sqlite(v).map(|f| f as f32)
    }
}

impl SqliteDecode for bool {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Integer(0) => Ok(false),
            ValueRef::Integer(1) => Ok(true),
            ValueRef::Integer(i) => Err(format!("{i} is not a boolean (0 or 1)")),
            other => Err(format!("expected INTEGER 0 or 1, found {}", storage_class(other))),
        }
    }
}

impl SqliteDecode for String {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        text(v).map(str::to_owned)
    }
}

impl SqliteDecode for Vec<u8> {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Blob(b) | ValueRef::Text(b) => Ok(b.to_vec()),
            other => Err(format!("expected BLOB, found {}", storage_class(other))),
        }
    }
}

#[cfg(feature = "chrono")]
mod chrono_decode {
    use super::*;
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

    impl SqliteDecode for NaiveDate {
        fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
            let t = text(v)?;
            NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|e| format!("`{t}`: {e}"))
        }
    }

    impl SqliteDecode for NaiveTime {
        fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
            let t = text(v)?;
            NaiveTime::parse_from_str(t, "%H:%M:%S%.f").map_err(|e| format!("`{t}`: {e}"))
        }
    }

    pub(super) fn naive(t: &str) -> Result<NaiveDateTime, String> {
        NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
            .map_err(|e| format!("`{t}`: {e}"))
    }

    impl SqliteDecode for NaiveDateTime {
        fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
            naive(text(v)?)
        }
    }

    impl SqliteDecode for DateTime<Utc> {
        fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
            let t = text(v)?;
            if let Ok(d) =
                DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%:z").or_else(|_| DateTime::parse_from_rfc3339(t))
            {
                return Ok(d.with_timezone(&Utc));
            }
            // CURRENT_TIMESTAMP and friends: UTC without an offset.
            naive(t).map(|n| n.and_utc())
        }
    }
}

#[cfg(feature = "uuid")]
impl SqliteDecode for uuid::Uuid {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Blob(b) if b.len() == 16 => uuid::Uuid::from_slice(b).map_err(|e| e.to_string()),
            v => {
                let t = text(v)?;
                uuid::Uuid::parse_str(t).map_err(|e| format!("`{t}`: {e}"))
            }
        }
    }
}

#[cfg(feature = "json")]
impl SqliteDecode for serde_json::Value {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Integer(i) => Ok(i.into()),
            ValueRef::Real(r) => Ok(r.into()),
            v => {
                let t = text(v)?;
                serde_json::from_str(t).map_err(|e| format!("invalid JSON: {e}"))
            }
        }
    }
}

#[cfg(feature = "decimal")]
impl SqliteDecode for rust_decimal::Decimal {
    fn from_sqlite(v: ValueRef<'_>) -> Result<Self, String> {
        use std::str::FromStr;
        match v {
            ValueRef::Integer(i) => Ok(i.into()),
            ValueRef::Real(r) => rust_decimal::Decimal::try_from(r).map_err(|e| e.to_string()),
            v => {
                let t = text(v)?;
                rust_decimal::Decimal::from_str(t).map_err(|e| format!("`{t}`: {e}"))
            }
        }
    }
}

/// Turns a driver error into our typed error. SQLite names no constraints; the names
/// given follow PostgreSQL's defaults (`<table>_pkey`, `<table>_<column>_key`) so that
/// code matching on them works on both.
/// `orm_json_contains(doc, part)`: PostgreSQL's `jsonb @> jsonb` on JSON text, for the
/// containment filters (`sql/document.rs`). NULL when either side is NULL.
#[cfg(feature = "json")]
fn register_json_contains(raw: &Raw) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    fn document(ctx: &rusqlite::functions::Context<'_>, idx: usize) -> rusqlite::Result<Option<serde_json::Value>> {
        match ctx.get_raw(idx) {
            ValueRef::Null => Ok(None),
            ValueRef::Text(text) => serde_json::from_slice(text)
                .map(Some)
                .map_err(|e| rusqlite::Error::UserFunctionError(format!("not JSON: {e}").into())),
            ValueRef::Integer(n) => Ok(Some(n.into())),
            ValueRef::Real(r) => Ok(Some(r.into())),
            ValueRef::Blob(_) => Err(rusqlite::Error::UserFunctionError("a BLOB is not a JSON document".into())),
        }
    }
    raw.create_scalar_function(
        "orm_json_contains",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| match (document(ctx, 0)?, document(ctx, 1)?) {
            (Some(doc), Some(part)) => Ok(Some(crate::schema::json::json_contains(&doc, &part, true))),
            _ => Ok(None),
        },
    )
}

pub(crate) fn map_error(e: rusqlite::Error) -> Error {
    let rusqlite::Error::SqliteFailure(failure, message) = &e else {
        return match &e {
            rusqlite::Error::ToSqlConversionFailure(why) => {
                Error::encode(format!("cannot send a parameter: {why}")).with_cause(e)
            }
            _ => Error::new(ErrorKind::Database, e.to_string()).with_cause(e),
        };
    };
    let message = message.clone().unwrap_or_else(|| failure.to_string());
    // "UNIQUE constraint failed: settings.key, settings.other"
    let columns: Vec<(&str, &str)> = message
        .split_once(": ")
        .map(|(_, rest)| rest.split(", ").filter_map(|c| c.split_once('.')).collect())
        .unwrap_or_default();
    let table = columns.first().map(|(t, _)| *t);
    let names: Vec<&str> = columns.iter().map(|(_, c)| *c).collect();
    let (kind, text, constraint, column) = match failure.extended_code {
        1555 | 2067 => {
            let constraint = match (failure.extended_code, table) {
                (1555, Some(t)) => Some(format!("{t}_pkey")),
                (_, Some(t)) => Some(format!("{t}_{}_key", names.join("_"))),
                _ => None,
            };
            (
                ErrorKind::UniqueViolation,
                format!(
                    "unique constraint `{}` on table `{}` violated ({message}); use another value or update the existing row",
                    constraint.as_deref().unwrap_or("?"),
                    table.unwrap_or("?")
                ),
                constraint,
                None,
            )
        }
        787 => (
            ErrorKind::ForeignKeyViolation,
            format!(
                "a foreign key was violated ({message}); make sure the referenced row exists \
                 (and is not still referenced when deleting)"
            ),
            None,
            None,
        ),
        1299 => (
            ErrorKind::NotNullViolation,
            format!(
                "column `{}.{}` cannot be NULL; give it a value or make the field an Option",
                table.unwrap_or("?"),
                names.first().unwrap_or(&"?")
            ),
            None,
            names.first().map(|c| (*c).to_owned()),
        ),
        275 => {
            let name = message.split_once(": ").map(|(_, n)| n.to_owned());
            (
                ErrorKind::CheckViolation,
                format!("check constraint `{}` violated; fix the value", name.as_deref().unwrap_or("?")),
                name,
                None,
            )
        }
        _ => match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => (
                ErrorKind::SerializationFailure,
                format!("the database is locked by another transaction ({message}); roll back and run it again"),
                None,
                None,
            ),
            ErrorCode::OperationInterrupted => (
                ErrorKind::QueryCanceled,
                "the statement was canceled (interrupted, or past the statement timeout); \
                 the transaction is rolled back"
                    .to_owned(),
                None,
                None,
            ),
            _ => (ErrorKind::Database, format!("SQLite error: {message}"), None, None),
        },
    };
    let mut err = Error::new(kind, text);
    err.set_location(constraint.as_deref(), table, column.as_deref());
    err.with_cause(e)
}

/// An array column's JSON text as values of SQL type `element`, each element read as
/// SQLite would hold it in a column of that type.
#[cfg(feature = "json")]
pub(crate) fn decode_array(value: ValueRef<'_>, element: crate::schema::types::SqlType) -> Result<Vec<Value>, String> {
    let text = text(value)?;
    let items: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| format!("an array column holds JSON arrays: {e}"))?;
    items.iter().map(|item| element_value(item, element)).collect()
}

/// Without JSON, SQLite cannot read array columns.
#[cfg(not(feature = "json"))]
pub(crate) fn decode_array(_: ValueRef<'_>, _: crate::schema::types::SqlType) -> Result<Vec<Value>, String> {
    Err("array columns on SQLite are JSON arrays: enable orm-core's `json` feature".to_owned())
}

#[cfg(feature = "json")]
fn element_value(item: &serde_json::Value, element: crate::schema::types::SqlType) -> Result<Value, String> {
    use crate::schema::types::SqlType;
    use serde_json::Value as J;
    fn via<T: SqliteDecode + Into<Value>>(v: ValueRef<'_>) -> Result<Value, String> {
        T::from_sqlite(v).map(Into::into)
    }
    let text_form;
    let v = match item {
        J::Null => return Ok(Value::Null),
        J::Bool(b) => ValueRef::Integer(i64::from(*b)),
        J::Number(n) => match n.as_i64() {
            Some(i) => ValueRef::Integer(i),
            None => ValueRef::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => ValueRef::Text(s.as_bytes()),
        other => {
            text_form = other.to_string();
            ValueRef::Text(text_form.as_bytes())
        }
    };
    match element {
        SqlType::SmallInt => via::<i16>(v),
        SqlType::Integer => via::<i32>(v),
        SqlType::BigInt => via::<i64>(v),
        SqlType::Real => via::<f32>(v),
        SqlType::Double => via::<f64>(v),
        SqlType::Boolean => via::<bool>(v),
        SqlType::Text | SqlType::Enum(_) => via::<String>(v),
        #[cfg(feature = "chrono")]
        SqlType::Date => via::<chrono::NaiveDate>(v),
        #[cfg(feature = "chrono")]
        SqlType::Time => via::<chrono::NaiveTime>(v),
        #[cfg(feature = "chrono")]
        SqlType::Timestamp => via::<chrono::NaiveDateTime>(v),
        #[cfg(feature = "chrono")]
        SqlType::TimestampTz => via::<chrono::DateTime<chrono::Utc>>(v),
        #[cfg(feature = "uuid")]
        SqlType::Uuid => via::<uuid::Uuid>(v),
        #[cfg(feature = "decimal")]
        SqlType::Decimal => via::<rust_decimal::Decimal>(v),
        #[allow(unreachable_patterns)]
        other => Err(format!("array elements of type {other:?} cannot be read on SQLite")),
    }
}
