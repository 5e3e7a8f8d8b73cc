//! PostgreSQL through the `postgres` crate: the pooled connection with its prepared
//! statement cache (or, for transaction poolers, unnamed statements), value binding, and
//! SQLSTATE-to-[`ErrorKind`] mapping.

use rustc_hash::FxHashMap as HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use postgres::types::{IsNull, Kind, ToSql, Type};
use postgres::{Client, Statement};
use r2d2::ManageConnection;
use r2d2_postgres::PostgresConnectionManager;

use super::{BackendConnection, Failure, Prepared};
use crate::error::{Error, ErrorKind};
use crate::execution::row::Row;
use crate::execution::tls::Connector;
use crate::value::Value;

/// Our r2d2 manager over `r2d2_postgres`: its connections carry a statement cache and
/// the transaction state, so that a connection returned mid-transaction is discarded.
pub(crate) struct PgManager {
    inner: PostgresConnectionManager<Connector>,
    /// Skip the checkout ping for connections used more recently than this.
    ping_after_idle: Option<Duration>,
    /// Prepared statements a connection keeps; 0: none, every statement goes unnamed.
    statement_cache_size: usize,
    /// The connection `build()` opened to check the server, handed to the pool's first
    /// connect rather than closed (a second TCP and TLS handshake saved).
    spare: std::sync::Mutex<Option<PgConn>>,
}

impl PgManager {
    pub(crate) fn new(
        config: postgres::Config,
        connector: Connector,
        ping_after_idle: Option<Duration>,
        statement_cache_size: usize,
    ) -> PgManager {
        PgManager {
            inner: PostgresConnectionManager::new(config, connector),
            ping_after_idle,
            statement_cache_size,
            spare: std::sync::Mutex::new(None),
        }
    }

    /// Keeps `conn` (opened by another manager of the same target) for the next connect.
    pub(crate) fn keep_spare(&self, conn: PgConn) {
        *self.spare.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(conn);
    }
}

impl fmt::Debug for PgManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgManager").finish_non_exhaustive()
    }
}

impl ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        if let Some(conn) = self.spare.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            // Checked on checkout as any other (pinged when idle for a while).
            return Ok(conn);
        }
        let client = self.inner.connect()?;
        Ok(PgConn {
            client,
            statements: HashMap::default(),
            cache_size: self.statement_cache_size,
            in_transaction: false,
            broken: false,
            last_used: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        let fresh = self.ping_after_idle.is_some_and(|idle| conn.last_used.elapsed() < idle);
        if !fresh {
            conn.client.simple_query("")?;
            conn.last_used = Instant::now();
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.broken || conn.in_transaction || conn.client.is_closed()
    }
}

/// One PostgreSQL connection as the pool keeps it.
pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    cache_size: usize,
    pub(crate) in_transaction: bool,
    pub(crate) broken: bool,
    last_used: Instant,
}

/// Prepared statements a connection keeps by default.
pub(crate) const DEFAULT_STATEMENT_CACHE_SIZE: usize = 256;

/// How one statement is sent: prepared once and cached, or unnamed with its parameter
/// types given (for transaction poolers, which may run each statement on another server
/// connection, where a prepared statement does not exist).
enum Dispatch<'a> {
    Prepared(&'a Statement),
    Unnamed(&'a str, &'a [(&'a (dyn ToSql + Sync), Type)]),
}

impl PgConn {
    fn prepare_cached(&mut self, sql: &str) -> Result<(Statement, Prepared), postgres::Error> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok((stmt.clone(), None));
        }
        let started = Instant::now();
        let stmt = self.client.prepare(sql)?;
        if self.statements.len() >= self.cache_size {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok((stmt, Some(started.elapsed())))
    }

    /// Runs `sql` with `params` bound, through `run`: as a cached prepared statement, or
    /// unnamed in one round trip when the statement cache is off.
    fn with_statement<R>(
        &mut self,
        sql: &str,
        params: &[Value],
        hide: bool,
        run: impl FnOnce(&mut Client, Dispatch<'_>, &[&(dyn ToSql + Sync)]) -> Result<R, postgres::Error>,
    ) -> Result<(R, Prepared), postgres::Error> {
        let binds: Vec<Bind<'_>> = params.iter().map(|value| Bind { value, hide }).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        let (result, prepared) = if self.cache_size == 0 {
            let typed: Vec<(&(dyn ToSql + Sync), Type)> =
                binds.iter().map(|b| (b as &(dyn ToSql + Sync), wire_type(b.value))).collect();
            (run(&mut self.client, Dispatch::Unnamed(sql, &typed), &refs), None)
        } else {
            let (stmt, prepared) = self.prepare_cached(sql)?;
            (run(&mut self.client, Dispatch::Prepared(&stmt), &refs), prepared)
        };
        self.last_used = Instant::now();
        Ok((result?, prepared))
    }

    pub(crate) fn cancel_token(&self) -> postgres::CancelToken {
        self.client.cancel_token()
    }
}

impl BackendConnection for PgConn {
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        hide: bool,
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Prepared, Failure> {
        let (rows, prepared) = self
            .with_statement(sql, params, hide, |client, send, refs| match send {
                Dispatch::Prepared(stmt) => client.query(stmt, refs),
                Dispatch::Unnamed(sql, typed) => client.query_typed(sql, typed),
            })
            .map_err(|e| Failure::Database(map_error(e)))?;
        let total = rows.len();
        for row in &rows {
            f(&Row::pg(row, total)).map_err(Failure::Row)?;
        }
        Ok(prepared)
    }

    /// Rows read from the connection as they are iterated (`RowIter`): the driver's
    /// channel holds one batch of messages, so the server waits while `f` works.
    fn query_stream(
        &mut self,
        sql: &str,
        params: &[Value],
        hide: bool,
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Prepared, Failure> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut failure = None;
        let (_, prepared) = self
            .with_statement(sql, params, hide, |client, send, refs| {
                let mut rows = match send {
                    Dispatch::Prepared(stmt) => client.query_raw(stmt, refs.iter().copied())?,
                    Dispatch::Unnamed(sql, typed) => client.query_typed_raw(sql, typed.iter().cloned())?,
                };
                while let Some(row) = rows.next()? {
                    if let Err(e) = f(&Row::pg(&row, 0)) {
                        failure = Some(e);
                        // Read the rest, so that the connection is ready for the next statement.
                        while rows.next()?.is_some() {}
                        break;
                    }
                }
                Ok(())
            })
            .map_err(|e| Failure::Database(map_error(e)))?;
        match failure {
            Some(e) => Err(Failure::Row(e)),
            None => Ok(prepared),
        }
    }

    fn execute(&mut self, sql: &str, params: &[Value], hide: bool) -> Result<(u64, Prepared), Error> {
        self.with_statement(sql, params, hide, |client, send, refs| match send {
            Dispatch::Prepared(stmt) => client.execute(stmt, refs),
            Dispatch::Unnamed(sql, typed) => client.execute_typed(sql, typed),
        })
        .map_err(map_error)
    }

    /// Runs statements without parameters through the simple-query protocol.
    fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        let r = self.client.batch_execute(sql);
        self.last_used = Instant::now();
        r.map_err(map_error)
    }

    fn clear_statements(&mut self) {
        self.statements.clear();
    }

    fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_transaction = open;
    }

    fn transaction_open_in_database(&self) -> bool {
        // A COMMIT ends the transaction whether it succeeds or fails.
        false
    }

    fn mark_broken(&mut self) {
        self.broken = true;
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// The type a value is sent as when no prepared statement told us the parameter's type:
/// the type of its Rust value (the server casts where the column differs, as it does for
/// an `int4` sent to an `int8` column); NULL goes untyped, for the server to infer.
fn wire_type(value: &Value) -> Type {
    match value {
        Value::Null => Type::new("unspecified".to_owned(), 0, Kind::Pseudo, "pg_catalog".to_owned()),
        Value::Bool(_) => Type::BOOL,
        Value::I16(_) => Type::INT2,
        Value::I32(_) => Type::INT4,
        Value::I64(_) => Type::INT8,
        Value::F32(_) => Type::FLOAT4,
        Value::F64(_) => Type::FLOAT8,
        Value::Text(_) | Value::Unencodable(_) => Type::TEXT,
        Value::Bytes(_) => Type::BYTEA,
        #[cfg(feature = "chrono")]
        Value::Date(_) => Type::DATE,
        #[cfg(feature = "chrono")]
        Value::Time(_) => Type::TIME,
        #[cfg(feature = "chrono")]
        Value::Timestamp(_) => Type::TIMESTAMP,
        #[cfg(feature = "chrono")]
        Value::TimestampTz(_) => Type::TIMESTAMPTZ,
        #[cfg(feature = "uuid")]
        Value::Uuid(_) => Type::UUID,
        #[cfg(feature = "json")]
        Value::Json(_) => Type::JSONB,
        #[cfg(feature = "decimal")]
        Value::Decimal(_) => Type::NUMERIC,
        Value::Array(items) => {
            let member = items.iter().find(|v| !v.is_null()).map_or(Type::TEXT, wire_type);
            match member {
                Type::BOOL => Type::BOOL_ARRAY,
                Type::INT2 => Type::INT2_ARRAY,
                Type::INT4 => Type::INT4_ARRAY,
                Type::INT8 => Type::INT8_ARRAY,
                Type::FLOAT4 => Type::FLOAT4_ARRAY,
                Type::FLOAT8 => Type::FLOAT8_ARRAY,
                Type::BYTEA => Type::BYTEA_ARRAY,
                Type::DATE => Type::DATE_ARRAY,
                Type::TIME => Type::TIME_ARRAY,
                Type::TIMESTAMP => Type::TIMESTAMP_ARRAY,
                Type::TIMESTAMPTZ => Type::TIMESTAMPTZ_ARRAY,
                Type::UUID => Type::UUID_ARRAY,
                Type::JSONB => Type::JSONB_ARRAY,
                Type::NUMERIC => Type::NUMERIC_ARRAY,
                _ => Type::TEXT_ARRAY,
            }
        }
    }
}

/// A value on its way to the driver. With hidden parameters its `Debug` shows nothing,
/// so that not even the driver's own debug log reveals the value.
struct Bind<'a> {
    value: &'a Value,
    hide: bool,
}

impl fmt::Debug for Bind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hide { f.write_str("<hidden>") } else { fmt::Debug::fmt(self.value, f) }
    }
}

impl ToSql for Bind<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        self.value.to_sql(ty, out)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

type ToSqlResult = Result<IsNull, Box<dyn StdError + Sync + Send>>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> ToSqlResult {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Bool(v) => v.to_sql_checked(ty, out),
            Value::I16(v) => int_to_sql(i64::from(*v), ty, out),
            Value::I32(v) => int_to_sql(i64::from(*v), ty, out),
            Value::I64(v) => int_to_sql(*v, ty, out),
            Value::F32(v) if *ty == Type::FLOAT8 => f64::from(*v).to_sql(ty, out),
            Value::F32(v) => v.to_sql_checked(ty, out),
            #[allow(clippy::cast_possible_truncation)]
            Value::F64(v) if *ty == Type::FLOAT4 => (*v as f32).to_sql(ty, out),
            Value::F64(v) => v.to_sql_checked(ty, out),
            Value::Text(s) => {
                if s.contains('\0') {
                    return Err(NUL_IN_TEXT.into());
                }
                if super::pg_decode::is_text(ty) {
                    // What `&str`'s `ToSql` does for these, without its per-value type-name checks.
                    out.extend_from_slice(s.as_bytes());
                    return Ok(IsNull::No);
                }
                s.to_sql_checked(ty, out)
            }
            Value::Bytes(b) => b.to_sql_checked(ty, out),
            #[cfg(feature = "chrono")]
            Value::Date(v) => v.to_sql_checked(ty, out),
            #[cfg(feature = "chrono")]
            Value::Time(v) => v.to_sql_checked(ty, out),
            #[cfg(feature = "chrono")]
            Value::Timestamp(v) => v.to_sql_checked(ty, out),
            #[cfg(feature = "chrono")]
            Value::TimestampTz(v) => v.to_sql_checked(ty, out),
            #[cfg(feature = "uuid")]
            Value::Uuid(v) => v.to_sql_checked(ty, out),
            #[cfg(feature = "json")]
            Value::Json(v) => v.to_sql_checked(ty, out),
            #[cfg(feature = "decimal")]
            Value::Decimal(v) => v.to_sql_checked(ty, out),
            Value::Unencodable(why) => Err(why.clone().into()),
            Value::Array(items) => match ty.kind() {
                Kind::Array(member) => array_to_sql(items, ty, member, out),
                _ => Err(format!("an array cannot be bound to a parameter of type {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// PostgreSQL's binary array format, as `Vec<T>`'s `ToSql` writes it (one dimension),
/// with the element type looked at once per array instead of once per element: text,
/// `int4` and `int8` elements are written directly, others through [`Value`]'s `ToSql`.
/// Arrays carry whole columns of a batch (10,000 values and more).
fn array_to_sql(items: &[Value], ty: &Type, member: &Type, out: &mut BytesMut) -> ToSqlResult {
    use bytes::BufMut;
    let (text, int4, int8) = (super::pg_decode::is_text(member), *member == Type::INT4, *member == Type::INT8);
    let len = i32::try_from(items.len()).map_err(|_| "an array of more than 2^31 values cannot be bound")?;
    // Room for the whole array at once: growing the buffer as it fills copies it each time.
    let payload: usize = items.iter().map(|item| if let Value::Text(s) = item { s.len() } else { 8 }).sum();
    out.reserve(20 + 4 * items.len() + payload);
    out.put_i32(1); // dimensions
    let flags_at = out.len();
    out.put_i32(0); // 1 when some element is NULL
    out.put_u32(member.oid());
    out.put_i32(len);
    out.put_i32(if *ty == Type::OID_VECTOR || *ty == Type::INT2_VECTOR { 0 } else { 1 }); // lower bound
    let mut has_null = false;
    for item in items {
        match item {
            Value::Null => {
                out.put_i32(-1);
                has_null = true;
            }
            Value::Text(s) if text => {
                if s.contains('\0') {
                    return Err(NUL_IN_TEXT.into());
                }
                out.put_i32(i32::try_from(s.len()).map_err(|_| "a text value over 2 GiB cannot be bound")?);
                out.extend_from_slice(s.as_bytes());
            }
            Value::I32(v) if int4 => {
                out.put_i32(4);
                out.put_i32(*v);
            }
            Value::I64(v) if int8 => {
                out.put_i32(8);
                out.put_i64(*v);
            }
            other => {
                let at = out.len();
                out.put_i32(0);
                let size = match other.to_sql(member, out)? {
                    IsNull::Yes => {
                        has_null = true;
                        -1
                    }
                    IsNull::No => {
                        i32::try_from(out.len() - at - 4).map_err(|_| "a value over 2 GiB cannot be bound")?
                    }
                };
                out[at..at + 4].copy_from_slice(&size.to_be_bytes());
            }
        }
    }
    if has_null {
        out[flags_at..flags_at + 4].copy_from_slice(&1_i32.to_be_bytes());
    }
    Ok(IsNull::No)
}

const NUL_IN_TEXT: &str = "the text contains a NUL byte (\\0), which PostgreSQL cannot store; \
                           remove it, or store the data as Vec<u8>";

/// Integers bind to any integer column they fit in (raw SQL often mixes widths).
fn int_to_sql(v: i64, ty: &Type, out: &mut BytesMut) -> ToSqlResult {
    let out_of_range = || format!("{v} is out of range for a parameter of type {ty}");
    match *ty {
        Type::INT2 => i16::try_from(v).map_err(|_| out_of_range())?.to_sql(ty, out),
        Type::INT4 => i32::try_from(v).map_err(|_| out_of_range())?.to_sql(ty, out),
        Type::INT8 => v.to_sql(ty, out),
        #[allow(clippy::cast_precision_loss)]
        Type::FLOAT8 => (v as f64).to_sql(ty, out),
        Type::OID => u32::try_from(v).map_err(|_| out_of_range())?.to_sql(ty, out),
        _ => Err(format!("an integer cannot be bound to a parameter of type {ty}").into()),
    }
}

/// Turns a driver error into our typed error, reading the SQLSTATE and the names the
/// server reported.
pub(crate) fn map_error(e: postgres::Error) -> Error {
    let Some(db) = e.as_db_error() else {
        return map_client_error(e);
    };
    let code = db.code().code();
    let table = db.table().unwrap_or("?");
    let constraint = db.constraint().unwrap_or("?");
    let detail = db.detail().map(|d| format!(" ({d})")).unwrap_or_default();
    let (kind, message) = match code {
        "23505" => (
            ErrorKind::UniqueViolation,
            format!(
                "unique constraint `{constraint}` on table `{table}` violated{detail}; \
                 use another value or update the existing row"
            ),
        ),
        "23503" => (
            ErrorKind::ForeignKeyViolation,
            format!(
                "foreign key `{constraint}` on table `{table}` violated{detail}; \
                 make sure the referenced row exists (and is not still referenced when deleting)"
            ),
        ),
        "23502" => (
            ErrorKind::NotNullViolation,
            format!(
                "column `{table}.{}` cannot be NULL{detail}; give it a value or make the field an Option",
                db.column().unwrap_or("?")
            ),
        ),
        "23514" => (
            ErrorKind::CheckViolation,
            format!("check constraint `{constraint}` on table `{table}` violated{detail}; fix the value"),
        ),
        "40001" | "40P01" => (
            ErrorKind::SerializationFailure,
            format!("the transaction could not be completed: {}; roll back and run it again", db.message()),
        ),
        "55P03" => (
            ErrorKind::LockNotAvailable,
            format!(
                "{}: another transaction holds the rows this NOWAIT query wanted to lock; roll back \
                 and try again later, or skip them with skip_locked()",
                db.message()
            ),
        ),
        "57014" => (
            ErrorKind::QueryCanceled,
            format!(
                "the statement was canceled: {}; the transaction is rolled back \
                 (raise the statement timeout or make the query cheaper)",
                db.message()
            ),
        ),
        "25P02" => (
            ErrorKind::RollbackRequired,
            "the transaction was aborted by an earlier error; call rollback() before using it again".to_owned(),
        ),
        c if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03") => (
            ErrorKind::ConnectionLost,
            format!(
                "the database connection was lost: {}; its transaction was rolled back by the server, \
                 so run the work again",
                db.message()
            ),
        ),
        _ => {
            let hint = db.hint().map(|h| format!(" (hint: {h})")).unwrap_or_default();
            (ErrorKind::Database, format!("{}: {}{detail}{hint}", db.severity(), db.message()))
        }
    };
    let mut err = Error::new(kind, message);
    err.set_location(db.constraint(), db.table(), db.column());
    err.set_sqlstate(code);
    err.with_cause(e)
}

fn map_client_error(e: postgres::Error) -> Error {
    let text = e.to_string();
    if text.starts_with("error serializing parameter") {
        let why = e.source().map(|s| s.to_string()).unwrap_or_default();
        return Error::encode(format!("cannot send a parameter: {why}")).with_cause(e);
    }
    let is_io = e.source().is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || is_io || text.contains("connection closed") {
        return Error::new(
            ErrorKind::ConnectionLost,
            format!(
                "the database connection was lost ({text}); any open transaction was rolled back, \
                 so run the work again"
            ),
        )
        .with_cause(e);
    }
    Error::new(ErrorKind::Database, text).with_cause(e)
}
