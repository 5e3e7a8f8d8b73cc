//! MySQL and MariaDB through the `mysql` crate: the pooled connection (its prepared
//! statements cached by the driver), numbered placeholders rewritten to MySQL's `?`,
//! value binding, decoding, and error-code-to-[`ErrorKind`] mapping.

use std::fmt;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use r2d2::ManageConnection;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{BackendConnection, Failure, Prepared};
use crate::error::{Error, ErrorKind};
use crate::execution::row::Row;
use crate::schema::decode::DecodeError;
use crate::value::Value;

/// What the server is, read once per engine: which statements it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// MariaDB (10.5 and later have `INSERT .. RETURNING`).
    MariaDb,
    /// MySQL 8.
    MySql,
}

/// Opens and checks MySQL connections for r2d2.
pub(crate) struct MyManager {
    opts: std::sync::Arc<mysql::Opts>,
    /// Skip the checkout ping for connections used more recently than this.
    ping_after_idle: Option<Duration>,
    /// The connection `build()` opened to check the server, handed to the first connect.
    spare: std::sync::Mutex<Option<MyConn>>,
}

impl fmt::Debug for MyManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MyManager").finish_non_exhaustive()
    }
}

impl MyManager {
    pub(crate) fn new(opts: mysql::Opts, ping_after_idle: Option<Duration>) -> MyManager {
        MyManager { opts: std::sync::Arc::new(opts), ping_after_idle, spare: std::sync::Mutex::new(None) }
    }

    /// Keeps `conn` for the next connect.
    pub(crate) fn keep_spare(&self, conn: MyConn) {
        *self.spare.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(conn);
    }
}

impl ManageConnection for MyManager {
    type Connection = MyConn;
    type Error = mysql::Error;

    fn connect(&self) -> Result<MyConn, mysql::Error> {
        if let Some(conn) = self.spare.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            return Ok(conn);
        }
        let raw = mysql::Conn::new((*self.opts).clone())?;
        Ok(MyConn::new(raw, self.opts.clone()))
    }

    fn is_valid(&self, conn: &mut MyConn) -> Result<(), mysql::Error> {
        let fresh = self.ping_after_idle.is_some_and(|idle| conn.last_used.elapsed() < idle);
        if !fresh {
            conn.raw.ping()?;
            conn.last_used = Instant::now();
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut MyConn) -> bool {
        conn.broken || conn.in_transaction
    }
}

/// One MySQL connection as the pool keeps it.
pub(crate) struct MyConn {
    raw: mysql::Conn,
    /// How to reach the server again (`KILL QUERY` comes from another connection).
    opts: std::sync::Arc<mysql::Opts>,
    /// Statements written with numbered placeholders (`?1`), as MySQL wants them: the
    /// text with `?` and, for each `?`, the index of its parameter.
    rewritten: HashMap<String, Rewritten>,
    /// Statements run on this connection, to report `[cached]` in echo (the driver keeps
    /// the prepared statements themselves).
    seen: HashSet<String>,
    pub(crate) in_transaction: bool,
    pub(crate) broken: bool,
    last_used: Instant,
    /// The info string of the last statement.
    info: String,
}

impl MyConn {
    pub(crate) fn new(raw: mysql::Conn, opts: std::sync::Arc<mysql::Opts>) -> MyConn {
        MyConn {
            raw,
            opts,
            rewritten: HashMap::default(),
            seen: HashSet::default(),
            in_transaction: false,
            broken: false,
            last_used: Instant::now(),
            info: String::new(),
        }
    }

    /// Which server this is and its version, from `SELECT VERSION()`
    /// (`10.11.6-MariaDB-0+deb12u1`, `8.0.36`): MariaDB's handshake claims 5.5.5.
    pub(crate) fn server(&mut self) -> Result<(Flavor, (u16, u16, u16)), Error> {
        let version: Option<String> = self.raw.query_first("SELECT VERSION()").map_err(map_error)?;
        let version = version.unwrap_or_default();
        let mut numbers = version.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u16>().ok());
        let parsed = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
        let flavor = if version.to_ascii_lowercase().contains("mariadb") { Flavor::MariaDb } else { Flavor::MySql };
        Ok((flavor, parsed))
    }

    /// The server's kind, after refusing servers the ORM cannot serve exactly: MariaDB
    /// before 10.6 (INSERT .. RETURNING, window functions, CTEs, SKIP LOCKED, JSON_TABLE)
    /// and, for now, Oracle's MySQL, which has no INSERT .. RETURNING: the flush reads
    /// generated keys back with it (MySQL needs LAST_INSERT_ID batches, not written yet).
    pub(crate) fn check_version(&mut self) -> Result<Flavor, Error> {
        let (flavor, (major, minor, patch)) = self.server()?;
        let (ok, needed) = match flavor {
            Flavor::MariaDb => ((major, minor) >= (10, 6), "MariaDB 10.6"),
            Flavor::MySql => {
                return Err(Error::unsupported(format!(
                    "the server is MySQL {major}.{minor}.{patch}, which the ORM does not support yet: its inserts \
                     read generated keys back with INSERT .. RETURNING, which MySQL lacks; use MariaDB 10.6 or \
                     later (mariadb:// or mysql:// URLs alike)"
                )));
            }
        };
        if ok {
            Ok(flavor)
        } else {
            Err(Error::unsupported(format!(
                "the server is version {major}.{minor}.{patch}; the ORM needs {needed} or later"
            )))
        }
    }

    /// What cancels the statement running on this connection, from another thread.
    pub(crate) fn kill_query(&self) -> KillQuery {
        KillQuery { opts: self.opts.clone(), id: self.raw.connection_id() }
    }

    /// How the statement was prepared, for echo: `None` = run before on this connection.
    fn prepared(&mut self, sql: &str, started: Instant) -> Prepared {
        if self.seen.contains(sql) {
            return None;
        }
        if self.seen.len() >= 256 {
            self.seen.clear();
        }
        self.seen.insert(sql.to_owned());
        Some(started.elapsed())
    }

    /// The parameters in the order of the `?`s of `sql` as MySQL takes it (rewritten once
    /// per connection, and kept in `rewritten`, where numbered placeholders repeat or
    /// come out of order).
    fn bind_params(&mut self, sql: &str, params: &[Value]) -> Result<mysql::Params, Error> {
        if !self.rewritten.contains_key(sql) {
            let Some((text, order)) = rewrite_placeholders(sql)? else {
                return Ok(positional(params.iter().map(bind).collect::<Result<Vec<_>, Error>>()?));
            };
            if self.rewritten.len() >= 256 {
                self.rewritten.clear();
            }
            self.rewritten.insert(sql.to_owned(), Rewritten { text: text.into(), order: order.into() });
        }
        let values = self.rewritten[sql]
            .order
            .iter()
            .map(|&i| {
                params.get(i).ok_or_else(|| {
                    Error::invalid_state(format!(
                        "the statement uses parameter {} but {} were given",
                        i + 1,
                        params.len()
                    ))
                })
            })
            .map(|v| v.and_then(bind))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(positional(values))
    }

    /// Runs `sql`, handing each row to `f`; returns the rows the statement changed.
    fn run(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<(u64, Prepared), Failure> {
        let started = Instant::now();
        let bound = self.bind_params(sql, params).map_err(Failure::Database)?;
        let text = self.rewritten.get(sql).map_or(sql, |r| &r.text);
        let mut failure = None;
        self.info.clear();
        let changed = {
            let mut result = self.raw.exec_iter(text, bound).map_err(|e| Failure::Database(map_error_in(e, sql)))?;
            let mut changed = 0;
            while let Some(set) = result.iter() {
                changed += set.affected_rows();
                if self.info.is_empty() {
                    self.info = set.info_str().into_owned();
                }
                for row in set {
                    let row = row.map_err(|e| Failure::Database(map_error_in(e, sql)))?;
                    if failure.is_none()
                        && let Err(e) = f(&Row::mysql(&row))
                    {
                        // Read the rest, so that the connection is ready for the next statement.
                        failure = Some(e);
                    }
                }
            }
            changed
        };
        self.last_used = Instant::now();
        if let Some(e) = failure {
            return Err(Failure::Row(e));
        }
        Ok((changed, self.prepared(sql, started)))
    }
}

/// A statement with numbered placeholders as MySQL takes it: its text with `?`s, and the
/// index of the parameter each `?` takes.
struct Rewritten {
    text: Box<str>,
    order: Box<[usize]>,
}

/// Bound values as the driver's parameters.
fn positional(values: Vec<mysql::Value>) -> mysql::Params {
    if values.is_empty() { mysql::Params::Empty } else { mysql::Params::Positional(values) }
}

/// Cancels a connection's running statement: `KILL QUERY id` sent on a connection of its
/// own (MySQL's way; the killed statement fails with error 1317, `QueryCanceled`).
pub(crate) struct KillQuery {
    opts: std::sync::Arc<mysql::Opts>,
    id: u32,
}

impl KillQuery {
    pub(crate) fn cancel(&self) -> Result<(), Error> {
        let mut conn = mysql::Conn::new((*self.opts).clone()).map_err(map_error)?;
        conn.query_drop(format!("KILL QUERY {}", self.id)).map_err(map_error)
    }
}

impl BackendConnection for MyConn {
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        _hide: bool,
        f: &mut dyn FnMut(&Row<'_>) -> crate::error::Result<()>,
    ) -> Result<Prepared, Failure> {
        self.run(sql, params, f).map(|(_, prepared)| prepared)
    }

    fn execute(&mut self, sql: &str, params: &[Value], _hide: bool) -> Result<(u64, Prepared), Error> {
        self.run(sql, params, &mut |_| Ok(())).map_err(|e| match e {
            Failure::Database(e) | Failure::Row(e) => e,
        })
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        let r = self.raw.query_drop(sql).map_err(map_error);
        self.last_used = Instant::now();
        r
    }

    fn clear_statements(&mut self) {
        self.seen.clear();
    }

    fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_transaction = open;
    }

    fn transaction_open_in_database(&self) -> bool {
        // A failed COMMIT ends the transaction on MySQL as on PostgreSQL.
        false
    }

    fn mark_broken(&mut self) {
        self.broken = true;
    }

    fn is_closed(&self) -> bool {
        false
    }

    fn last_info(&self) -> Option<&str> {
        Some(&self.info)
    }
}

/// `?1`, `?2` (the ORM's numbered placeholders, in any order, each possibly more than
/// once; `$1`, `$2` as PostgreSQL writes them are taken too, so that raw SQL runs on every
/// backend) as MySQL's plain `?`, with the parameter index of each; `None` when the text
/// has only plain `?`s (or none) in order. String literals, quoted identifiers and
/// comments are skipped. Mixing numbered and plain ones is refused.
pub(crate) fn rewrite_placeholders(sql: &str) -> Result<Option<(String, Vec<usize>)>, Error> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut order = Vec::new();
    let (mut numbered, mut plain) = (false, 0usize);
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\\' && quote != b'`' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] >= 0x80) => {
                // Part of an identifier (`a$1`).
                i += 1;
            }
            mark @ (b'?' | b'$') => {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if digits == 0 {
                    if mark == b'?' {
                        order.push(plain);
                        plain += 1;
                    }
                    i += 1;
                    continue;
                }
                numbered = true;
                let n: usize = sql[i + 1..i + 1 + digits]
                    .parse()
                    .map_err(|_| Error::invalid_state(format!("a placeholder number too large in `{sql}`")))?;
                if n == 0 {
                    return Err(Error::invalid_state(format!("placeholders count from ?1; `{sql}` has ?0")));
                }
                out.push_str(&sql[copied..i]);
                out.push('?');
                order.push(n - 1);
                i += 1 + digits;
                copied = i;
            }
            _ => i += 1,
        }
    }
    if !numbered {
        return Ok(None);
    }
    if plain > 0 {
        return Err(Error::invalid_state(format!(
            "`{sql}` mixes numbered placeholders (?1) with plain ones (?); use one kind"
        )));
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    Ok(Some((out, order)))
}

const NUL_IN_TEXT: &str = "the text contains a NUL byte (\\0), which the ORM does not store in text \
                           columns; remove it, or store the data as Vec<u8>";

/// `value` as the driver sends it.
fn bind(value: &Value) -> Result<mysql::Value, Error> {
    use mysql::Value as M;
    Ok(match value {
        Value::Null => M::NULL,
        Value::Bool(b) => M::Int(i64::from(*b)),
        Value::I16(v) => M::Int(i64::from(*v)),
        Value::I32(v) => M::Int(i64::from(*v)),
        Value::I64(v) => M::Int(*v),
        Value::F32(_) | Value::F64(_) if !finite(value) => {
            return Err(Error::encode("the float is NaN or infinite, which MySQL cannot store; store NULL instead"));
        }
        Value::F32(v) => M::Float(*v),
        Value::F64(v) => M::Double(*v),
        Value::Text(s) if s.contains('\0') => return Err(Error::encode(NUL_IN_TEXT)),
        Value::Text(s) => M::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => M::Bytes(b.clone()),
        #[cfg(feature = "chrono")]
        Value::Date(d) => {
            use chrono::Datelike;
            M::Date(year(d.year())?, d.month() as u8, d.day() as u8, 0, 0, 0, 0)
        }
        #[cfg(feature = "chrono")]
        Value::Time(t) => {
            use chrono::Timelike;
            M::Time(
                false,
                0,
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
                t.nanosecond().min(999_999_999) / 1000,
            )
        }
        #[cfg(feature = "chrono")]
        Value::Timestamp(t) => datetime(t)?,
        #[cfg(feature = "chrono")]
        Value::TimestampTz(t) => datetime(&t.naive_utc())?,
        #[cfg(feature = "uuid")]
        Value::Uuid(u) => M::Bytes(u.hyphenated().to_string().into_bytes()),
        #[cfg(feature = "json")]
        Value::Json(j) => M::Bytes(j.to_string().into_bytes()),
        #[cfg(feature = "decimal")]
        Value::Decimal(d) => M::Bytes(d.to_string().into_bytes()),
        Value::Array(_) => {
            return Err(Error::unsupported(
                "MySQL has no array values: an array cannot be bound as a parameter (use `in_` with the \
                 values, or a table of its own for an array column)",
            ));
        }
        Value::Unencodable(why) => return Err(Error::encode(why.to_string())),
    })
}

fn finite(value: &Value) -> bool {
    match value {
        Value::F32(v) => v.is_finite(),
        Value::F64(v) => v.is_finite(),
        _ => true,
    }
}

#[cfg(feature = "chrono")]
fn year(y: i32) -> Result<u16, Error> {
    u16::try_from(y)
        .ok()
        .filter(|y| *y <= 9999)
        .ok_or_else(|| Error::encode(format!("the year {y} is outside MySQL's range (0 to 9999)")))
}

#[cfg(feature = "chrono")]
fn datetime(t: &chrono::NaiveDateTime) -> Result<mysql::Value, Error> {
    use chrono::{Datelike, Timelike};
    Ok(mysql::Value::Date(
        year(t.year())?,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
        t.nanosecond().min(999_999_999) / 1000,
    ))
}

/// How a base type reads a non-NULL value of a MySQL column.
pub trait MyDecode: Sized {
    /// Converts a non-NULL value (binary protocol: typed; text protocol: bytes).
    fn from_mysql(v: &mysql::Value) -> Result<Self, String>;
}

/// The kind of a value, for messages.
pub(crate) fn value_kind(v: &mysql::Value) -> &'static str {
    match v {
        mysql::Value::NULL => "NULL",
        mysql::Value::Bytes(_) => "bytes",
        mysql::Value::Int(_) => "integer",
        mysql::Value::UInt(_) => "unsigned integer",
        mysql::Value::Float(_) => "FLOAT",
        mysql::Value::Double(_) => "DOUBLE",
        mysql::Value::Date(..) => "DATETIME",
        mysql::Value::Time(..) => "TIME",
    }
}

fn text(v: &mysql::Value) -> Result<&str, String> {
    match v {
        mysql::Value::Bytes(b) => std::str::from_utf8(b).map_err(|e| e.to_string()),
        other => Err(format!("expected text, found {}", value_kind(other))),
    }
}

macro_rules! int_decode {
    ($($ty:ty),*) => {$(
        impl MyDecode for $ty {
            fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
                match v {
                    mysql::Value::Int(i) => <$ty>::try_from(*i).map_err(|_| format!("{i} is out of range")),
                    mysql::Value::UInt(u) => <$ty>::try_from(*u).map_err(|_| format!("{u} is out of range")),
                    mysql::Value::Bytes(_) => {
                        let t = text(v)?;
                        t.parse::<$ty>().map_err(|e| format!("`{t}`: {e}"))
                    }
                    other => Err(format!("expected an integer, found {}", value_kind(other))),
                }
            }
        }
    )*};
}

int_decode!(i16, i32, i64);

impl MyDecode for f64 {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        match v {
            mysql::Value::Double(d) => Ok(*d),
            mysql::Value::Float(f) => Ok(f64::from(*f)),
            mysql::Value::Int(i) => Ok(*i as f64),
            mysql::Value::UInt(u) => Ok(*u as f64),
            mysql::Value::Bytes(_) => {
                let t = text(v)?;
                t.parse::<f64>().map_err(|e| format!("`{t}`: {e}"))
            }
            other => Err(format!("expected a number, found {}", value_kind(other))),
        }
    }
}

impl MyDecode for f32 {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        match v {
            mysql::Value::Float(f) => Ok(*f),
            #[allow(clippy::cast_possible_truncation)]
            other => f64::from_mysql(other).map(|d| d as f32),
        }
    }
}

impl MyDecode for bool {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        match i64::from_mysql(v)? {
            0 => Ok(false),
            1 => Ok(true),
            i => Err(format!("{i} is not a boolean (0 or 1)")),
        }
    }
}

impl MyDecode for String {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        text(v).map(str::to_owned)
    }
}

impl MyDecode for Vec<u8> {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        match v {
            mysql::Value::Bytes(b) => Ok(b.clone()),
            other => Err(format!("expected bytes, found {}", value_kind(other))),
        }
    }
}

#[cfg(feature = "chrono")]
mod chrono_decode {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

    use super::{MyDecode, text, value_kind};
    use crate::sql::storage::{TIME, TIMESTAMP};

    impl MyDecode for NaiveDate {
        fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
            match v {
                mysql::Value::Date(y, m, d, ..) => NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*m), u32::from(*d))
                    .ok_or_else(|| format!("{y}-{m}-{d} is not a date")),
                mysql::Value::Bytes(_) => {
                    let t = text(v)?;
                    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|e| format!("`{t}`: {e}"))
                }
                other => Err(format!("expected a DATE, found {}", value_kind(other))),
            }
        }
    }

    impl MyDecode for NaiveTime {
        fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
            match v {
                mysql::Value::Time(false, 0, h, m, s, us) => {
                    NaiveTime::from_hms_micro_opt(u32::from(*h), u32::from(*m), u32::from(*s), *us)
                        .ok_or_else(|| format!("{h}:{m}:{s}.{us} is not a time of day"))
                }
                mysql::Value::Time(..) => Err("a TIME outside 00:00:00 to 23:59:59 is not a time of day".to_owned()),
                mysql::Value::Bytes(_) => {
                    let t = text(v)?;
                    NaiveTime::parse_from_str(t, TIME)
                        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
                        .map_err(|e| format!("`{t}`: {e}"))
                }
                other => Err(format!("expected a TIME, found {}", value_kind(other))),
            }
        }
    }

    impl MyDecode for NaiveDateTime {
        fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
            match v {
                mysql::Value::Date(y, mo, d, h, mi, s, us) => {
                    NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*mo), u32::from(*d))
                        .and_then(|date| date.and_hms_micro_opt(u32::from(*h), u32::from(*mi), u32::from(*s), *us))
                        .ok_or_else(|| format!("{y}-{mo}-{d} {h}:{mi}:{s}.{us} is not a timestamp"))
                }
                mysql::Value::Bytes(_) => {
                    let t = text(v)?;
                    NaiveDateTime::parse_from_str(t, TIMESTAMP)
                        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S"))
                        .map_err(|e| format!("`{t}`: {e}"))
                }
                other => Err(format!("expected a DATETIME, found {}", value_kind(other))),
            }
        }
    }

    /// Stored as DATETIME in UTC (the connections' time zone is UTC).
    impl MyDecode for DateTime<Utc> {
        fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
            NaiveDateTime::from_mysql(v).map(|t| t.and_utc())
        }
    }
}

#[cfg(feature = "uuid")]
impl MyDecode for uuid::Uuid {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        match v {
            mysql::Value::Bytes(b) if b.len() == 16 => uuid::Uuid::from_slice(b).map_err(|e| e.to_string()),
            _ => {
                let t = text(v)?;
                uuid::Uuid::parse_str(t).map_err(|e| format!("`{t}`: {e}"))
            }
        }
    }
}

#[cfg(feature = "json")]
impl MyDecode for serde_json::Value {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        let t = text(v)?;
        serde_json::from_str(t).map_err(|e| format!("not JSON: {e}"))
    }
}

#[cfg(feature = "decimal")]
impl MyDecode for rust_decimal::Decimal {
    fn from_mysql(v: &mysql::Value) -> Result<Self, String> {
        match v {
            mysql::Value::Int(i) => Ok(rust_decimal::Decimal::from(*i)),
            mysql::Value::UInt(u) => Ok(rust_decimal::Decimal::from(*u)),
            _ => {
                let t = text(v)?;
                t.parse::<rust_decimal::Decimal>().map_err(|e| format!("`{t}`: {e}"))
            }
        }
    }
}

/// A column type as SQL names it (`INT`, `VARCHAR`), for messages.
fn type_name(ty: mysql::consts::ColumnType) -> &'static str {
    use mysql::consts::ColumnType as T;
    match ty {
        T::MYSQL_TYPE_TINY => "TINYINT",
        T::MYSQL_TYPE_SHORT => "SMALLINT",
        T::MYSQL_TYPE_INT24 => "MEDIUMINT",
        T::MYSQL_TYPE_LONG => "INT",
        T::MYSQL_TYPE_LONGLONG => "BIGINT",
        T::MYSQL_TYPE_FLOAT => "FLOAT",
        T::MYSQL_TYPE_DOUBLE => "DOUBLE",
        T::MYSQL_TYPE_DECIMAL | T::MYSQL_TYPE_NEWDECIMAL => "DECIMAL",
        T::MYSQL_TYPE_VARCHAR | T::MYSQL_TYPE_VAR_STRING => "VARCHAR",
        T::MYSQL_TYPE_STRING => "CHAR",
        T::MYSQL_TYPE_TINY_BLOB | T::MYSQL_TYPE_MEDIUM_BLOB | T::MYSQL_TYPE_LONG_BLOB | T::MYSQL_TYPE_BLOB => {
            "TEXT or BLOB"
        }
        T::MYSQL_TYPE_DATE | T::MYSQL_TYPE_NEWDATE => "DATE",
        T::MYSQL_TYPE_TIME | T::MYSQL_TYPE_TIME2 => "TIME",
        T::MYSQL_TYPE_DATETIME | T::MYSQL_TYPE_DATETIME2 => "DATETIME",
        T::MYSQL_TYPE_TIMESTAMP | T::MYSQL_TYPE_TIMESTAMP2 => "TIMESTAMP",
        T::MYSQL_TYPE_JSON => "JSON",
        T::MYSQL_TYPE_ENUM => "ENUM",
        T::MYSQL_TYPE_NULL => "NULL",
        _ => "another type",
    }
}

/// Reads column `idx` of a MySQL row as a base type; `None` for NULL.
pub(crate) fn decode<T: MyDecode>(row: &mysql::Row, idx: usize) -> Result<Option<T>, DecodeError> {
    let column_type =
        || row.columns_ref().get(idx).map_or_else(|| "?".to_owned(), |c| type_name(c.column_type()).to_owned());
    match row.as_ref(idx) {
        None | Some(mysql::Value::NULL) => Ok(None),
        Some(v) => T::from_mysql(v).map(Some).map_err(|why| DecodeError::new(column_type(), why)),
    }
}

/// Why a new connection failed: `Err` with a [`ConnectionRejected`](ErrorKind::ConnectionRejected)
/// error when the server answered no (it will say the same again), `Ok` with the reason
/// when it could not be reached (it may come up within the connect timeout).
pub(crate) fn connect_refusal(
    e: mysql::Error,
    shown: &str,
    ssl_mode: crate::execution::tls::SslMode,
) -> Result<String, Error> {
    let rejected = |said: String, hint: &str, e: mysql::Error| {
        Err(Error::new(ErrorKind::ConnectionRejected, format!("{shown} refused the connection: {said}; {hint}"))
            .with_cause(e))
    };
    match &e {
        mysql::Error::MySqlError(server) => {
            let said = format!("ERROR {} ({}): {}", server.code, server.state, server.message);
            match server.code {
                // Too many connections, server shutting down: worth waiting for.
                1040 | 1053 => Ok(said),
                1045 | 1698 => rejected(said, "check the user name and password, and the user's host in mysql.user", e),
                1044 => rejected(said, "grant the user access to the database, or connect to another", e),
                1049 => rejected(said, "check the database name in the URL, or create the database", e),
                _ => rejected(said, "check the URL and the server's log", e),
            }
        }
        mysql::Error::IoError(io) if io.kind() != std::io::ErrorKind::InvalidData => Ok(e.to_string()),
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => rejected(
            e.to_string(),
            &format!(
                "the server does not offer TLS and ssl-mode {ssl_mode} forbids plain text: turn TLS on in \
                 the server, or connect with ssl-mode=PREFERRED"
            ),
            e,
        ),
        // A handshake that failed (the TLS library's error, or its I/O as invalid data).
        #[cfg(feature = "tls")]
        mysql::Error::TlsError(_) => rejected(e.to_string(), &untrusted(ssl_mode), e),
        mysql::Error::IoError(_) => rejected(e.to_string(), &untrusted(ssl_mode), e),
        mysql::Error::DriverError(mysql::DriverError::ConnectTimeout | mysql::DriverError::CouldNotConnect(_)) => {
            Ok(e.to_string())
        }
        mysql::Error::DriverError(_) | mysql::Error::UrlError(_) => rejected(e.to_string(), "check the URL", e),
        _ => Ok(e.to_string()),
    }
}

/// What to check when the server's certificate was not trusted under `ssl_mode`.
fn untrusted(ssl_mode: crate::execution::tls::SslMode) -> String {
    let host =
        if ssl_mode == crate::execution::tls::SslMode::VerifyFull { " and name the host in the URL" } else { "" };
    format!(
        "with ssl-mode {ssl_mode} the server's certificate must be signed by a CA in ssl-ca (or the system's){host}"
    )
}

/// [`map_error`] for an error of `sql`, whose table names a violated primary key (MariaDB
/// names it `PRIMARY`, without its table).
fn map_error_in(e: mysql::Error, sql: &str) -> Error {
    // MariaDB reports a NOWAIT that met a held row as a lock wait timeout (1205).
    if let mysql::Error::MySqlError(server) = &e
        && server.code == 1205
        && (sql.ends_with(" NOWAIT") || sql.contains(" NOWAIT "))
    {
        let message = format!(
            "{}: another transaction holds the rows this NOWAIT query wanted to lock; roll back and try again \
             later, or skip them with skip_locked()",
            server.message
        );
        let state = server.state.clone();
        let mut err = Error::new(ErrorKind::LockNotAvailable, message);
        err.set_sqlstate(&state);
        return err.with_cause(e);
    }
    map_error_with(e, Some(crate::execution::echo::statement_table(sql)))
}

/// Turns a driver error into our typed error, reading the server's error code and the
/// names in its message.
pub(crate) fn map_error(e: mysql::Error) -> Error {
    map_error_with(e, None)
}

/// [`map_error`], with the table of the statement that failed when known.
fn map_error_with(e: mysql::Error, statement_table: Option<&str>) -> Error {
    let mysql::Error::MySqlError(server) = &e else {
        return map_client_error(e);
    };
    let (code, message) = (server.code, server.message.clone());
    let quoted: Vec<&str> = message.split('\'').skip(1).step_by(2).collect();
    let backticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (kind, text, constraint, table, column) = match code {
        // ER_DUP_ENTRY: "Duplicate entry 'x' for key 'programs.name'" (MySQL 8 prefixes the
        // table; MariaDB gives the key alone).
        1062 | 1586 => {
            let key = quoted.get(1).copied().unwrap_or("?");
            let (table, key) = key.split_once('.').map_or((None, key), |(t, k)| (Some(t), k));
            // A primary key has PostgreSQL's name, `{table}_pkey`, as the other backends give it.
            let table = table.or(statement_table.filter(|t| !t.is_empty()));
            let primary = table.filter(|_| key == "PRIMARY").map(|t| format!("{t}_pkey"));
            let key = primary.as_deref().unwrap_or(key);
            (
                ErrorKind::UniqueViolation,
                format!(
                    "unique constraint `{key}`{} violated ({message}); use another value or update the existing row",
                    table.map(|t| format!(" on table `{t}`")).unwrap_or_default()
                ),
                Some(key.to_owned()),
                table.map(str::to_owned),
                None,
            )
        }
        // A row referenced, or a reference to no row: "... CONSTRAINT `fk` FOREIGN KEY ...".
        1451 | 1452 | 1216 | 1217 => {
            let constraint =
                message.split("CONSTRAINT `").nth(1).and_then(|rest| rest.split('`').next()).map(str::to_owned);
            let table = backticked.get(1).map(|t| (*t).to_owned());
            (
                ErrorKind::ForeignKeyViolation,
                format!(
                    "foreign key `{}` violated ({message}); make sure the referenced row exists \
                     (and is not still referenced when deleting)",
                    constraint.as_deref().unwrap_or("?")
                ),
                constraint,
                table,
                None,
            )
        }
        // ER_BAD_NULL_ERROR "Column 'name' cannot be null"; ER_NO_DEFAULT_FOR_FIELD.
        1048 | 1364 => {
            let column = quoted.first().map(|c| (*c).to_owned());
            let table = statement_table.filter(|t| !t.is_empty());
            (
                ErrorKind::NotNullViolation,
                format!(
                    "column `{}{}` cannot be NULL ({message}); give it a value or make the field an Option",
                    table.map(|t| format!("{t}.")).unwrap_or_default(),
                    column.as_deref().unwrap_or("?")
                ),
                None,
                table.map(str::to_owned),
                column,
            )
        }
        // MySQL's ER_CHECK_CONSTRAINT_VIOLATED, MariaDB's ER_CONSTRAINT_FAILED:
        // "CONSTRAINT `name` failed for `db`.`table`".
        3819 | 4025 => {
            let name = backticked.first().map(|n| (*n).to_owned());
            let table = backticked.get(2).map(|t| (*t).to_owned());
            (
                ErrorKind::CheckViolation,
                format!("check constraint `{}` violated ({message}); fix the value", name.as_deref().unwrap_or("?")),
                name,
                table,
                None,
            )
        }
        // Deadlock, lock wait timeout: the transaction is rolled back (a deadlock) or the
        // statement is (a timeout); both are worth running again.
        1213 | 1205 => (
            ErrorKind::SerializationFailure,
            format!("the transaction could not be completed: {message}; roll back and run it again"),
            None,
            None,
            None,
        ),
        // NOWAIT found a locked row (MySQL 3572, MariaDB reports a lock wait timeout).
        3572 => (
            ErrorKind::LockNotAvailable,
            format!(
                "{message}: another transaction holds the rows this NOWAIT query wanted to lock; roll back \
                 and try again later, or skip them with skip_locked()"
            ),
            None,
            None,
            None,
        ),
        // Over max_statement_time / max_execution_time: the engine's statement timeout.
        1969 | 3024 => (
            ErrorKind::QueryCanceled,
            format!(
                "the statement timeout ran out: {message}; the statement was canceled \
                 (raise the statement timeout or make the query cheaper)"
            ),
            None,
            None,
            None,
        ),
        // Interrupted (KILL QUERY, a cancel token).
        1317 => (
            ErrorKind::QueryCanceled,
            format!("the statement was canceled: {message}; run it again if it is still wanted"),
            None,
            None,
            None,
        ),
        // Server shutting down, connection killed.
        1053 | 1927 | 2006 | 2013 => (
            ErrorKind::ConnectionLost,
            format!(
                "the database connection was lost: {message}; its transaction was rolled back by the server, \
                 so run the work again"
            ),
            None,
            None,
            None,
        ),
        // Data too long for a column: VARCHAR(255) is what a `String` without a length gets.
        1406 => {
            let column = quoted.first().map(|c| (*c).to_owned());
            (
                ErrorKind::Database,
                format!(
                    "ERROR {code} ({}): {message}; the column is shorter than the value: give the field a longer \
                     `length`, or `#[orm(text)]` for text of any length (a `String` without a length is \
                     VARCHAR(255) on MySQL)",
                    server.state
                ),
                None,
                statement_table.filter(|t| !t.is_empty()).map(str::to_owned),
                column,
            )
        }
        _ => (ErrorKind::Database, format!("ERROR {code} ({}): {message}", server.state), None, None, None),
    };
    let mut err = Error::new(kind, text);
    err.set_location(constraint.as_deref(), table.as_deref(), column.as_deref());
    err.set_sqlstate(&server.state);
    err.with_cause(e)
}

fn map_client_error(e: mysql::Error) -> Error {
    match &e {
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => Error::new(
            ErrorKind::ConnectionLost,
            format!(
                "the database connection was lost ({e}); any open transaction was rolled back, \
                 so run the work again"
            ),
        )
        .with_cause(e),
        mysql::Error::DriverError(mysql::DriverError::ConnectTimeout | mysql::DriverError::CouldNotConnect(_)) => {
            Error::new(ErrorKind::ConnectionLost, format!("cannot reach the database ({e}); check that it is running"))
                .with_cause(e)
        }
        _ => Error::new(ErrorKind::Database, e.to_string()).with_cause(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_become_plain_ones_in_order() {
        let (sql, order) = rewrite_placeholders("SELECT ?2, '?1', `a?1`, ?1 -- ?3\n, ?2").unwrap().unwrap();
        assert_eq!(sql, "SELECT ?, '?1', `a?1`, ? -- ?3\n, ?");
        assert_eq!(order, [1, 0, 1]);
        assert!(rewrite_placeholders("SELECT ?, 'it''s ?1'").unwrap().is_none());
        assert!(rewrite_placeholders("SELECT ?1, ?").is_err());
        assert!(rewrite_placeholders("SELECT 'a\\'?1'").unwrap().is_none());
        let (sql, order) = rewrite_placeholders("SELECT a$1 FROM t WHERE x = $2 AND y = $1").unwrap().unwrap();
        assert_eq!((sql.as_str(), order), ("SELECT a$1 FROM t WHERE x = ? AND y = ?", vec![1, 0]));
    }
}
