//! Statement logging: SQLAlchemy-style `echo` to standard output, and one `log` record
//! per statement under the target [`LOG_TARGET`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::value::Value;

/// The `log` target of every statement the ORM sends: `orm::sql`.
pub const LOG_TARGET: &str = "orm::sql";

/// A function called with every statement the engine sends and its parameters.
pub type StatementListener = Arc<dyn Fn(&str, &[Value]) + Send + Sync>;

/// The `log` target of statements slower than the engine's threshold
/// ([`EngineBuilder::slow_statement_threshold`](crate::EngineBuilder::slow_statement_threshold)),
/// logged at WARN: `orm::slow`.
pub const SLOW_LOG_TARGET: &str = "orm::slow";

/// Where statements are reported.
#[derive(Clone, Default)]
pub(crate) struct Echo {
    /// Print statements and parameters to standard output.
    pub(crate) stdout: bool,
    /// Never show parameter values, neither in echo nor in log records.
    pub(crate) hide_parameters: bool,
    /// Called with every statement, e.g. to count or record them.
    pub(crate) listener: Option<StatementListener>,
    /// Statements that take this long or longer are logged at WARN.
    pub(crate) slow: Option<Duration>,
}

/// A statement being run: timed when slow statements are logged, and inside a
/// `tracing` span (the `tracing` feature).
pub(crate) struct Running {
    started: Option<Instant>,
    #[cfg(feature = "tracing")]
    span: tracing::span::EnteredSpan,
}

impl std::fmt::Debug for Echo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Echo")
            .field("stdout", &self.stdout)
            .field("hide_parameters", &self.hide_parameters)
            .field("listener", &self.listener.is_some())
            .finish()
    }
}

/// How the statement was prepared: `None` = from the cache.
pub(crate) type Prepared = Option<Duration>;

impl Echo {
    /// A statement starts: its span entered, its clock started (when either is wanted).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn start(&self, system: &'static str, sql: &str, params: &[Value]) -> Running {
        #[cfg(feature = "tracing")]
        let span = {
            let span = tracing::info_span!(
                target: "orm::sql",
                "orm.statement",
                db.system = system,
                db.operation = operation(sql),
                db.sql.table = statement_table(sql),
                db.statement = sql,
                db.rows = tracing::field::Empty,
                db.parameters = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
            );
            if !self.hide_parameters && !span.is_disabled() {
                span.record("db.parameters", python_tuple(params).as_str());
            }
            span.entered()
        };
        #[cfg(feature = "tracing")]
        let timed = self.slow.is_some() || !span.is_disabled();
        #[cfg(not(feature = "tracing"))]
        let timed = self.slow.is_some();
        Running {
            started: timed.then(Instant::now),
            #[cfg(feature = "tracing")]
            span,
        }
    }

    /// A statement ended: `rows` it returned or changed, or an error. Logs it at WARN
    /// under [`SLOW_LOG_TARGET`] when it took the slow threshold or longer.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn finish(&self, running: Running, sql: &str, params: &[Value], rows: Option<u64>, ok: bool) {
        #[cfg(feature = "tracing")]
        {
            if let Some(rows) = rows {
                running.span.record("db.rows", rows);
            }
            running.span.record("otel.status_code", if ok { "OK" } else { "ERROR" });
        }
        let (Some(slow), Some(started)) = (self.slow, running.started) else { return };
        let took = started.elapsed();
        if took >= slow {
            let shown = if self.hide_parameters { "[parameters hidden]".to_owned() } else { python_tuple(params) };
            let outcome = if ok { String::new() } else { " (failed)".to_owned() };
            log::warn!(
                target: SLOW_LOG_TARGET,
                "slow statement: {:.3}s{outcome}, over {:.3}s: {sql} -- {shown}",
                took.as_secs_f64(),
                slow.as_secs_f64()
            );
        }
    }
    /// Reports a statement without parameters (BEGIN, COMMIT, DDL); echo and logs show
    /// it as `shown` (`BEGIN (implicit)`), listeners get the SQL itself.
    pub(crate) fn plain(&self, sql: &str, shown: &str) {
        if let Some(listener) = &self.listener {
            listener(sql, &[]);
        }
        if self.stdout {
            print_line(shown);
        }
        log::info!(target: LOG_TARGET, "{shown}");
    }

    /// Reports a statement with its bound parameters.
    pub(crate) fn statement(&self, sql: &str, params: &[Value], prepared: Prepared) {
        if let Some(listener) = &self.listener {
            listener(sql, params);
        }
        let enabled = log::log_enabled!(target: LOG_TARGET, log::Level::Info);
        if !self.stdout && !enabled {
            return;
        }
        let how = match prepared {
            Some(took) => format!("[prepared in {:.5}s]", took.as_secs_f64()),
            None => "[cached]".to_owned(),
        };
        let shown = if self.hide_parameters { "[parameters hidden]".to_owned() } else { python_tuple(params) };
        if self.stdout {
            print_line(sql);
            print_line(&format!("{how} {shown}"));
        }
        if enabled {
            log::info!(target: LOG_TARGET, "{sql} -- {how} {shown}");
        }
    }
}

/// The statement's kind: its first word, upper-cased (`SELECT`, `INSERT`, `WITH`).
#[cfg(feature = "tracing")]
fn operation(sql: &str) -> &str {
    let word = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
    match word.to_ascii_uppercase().as_str() {
        "SELECT" => "SELECT",
        "INSERT" => "INSERT",
        "UPDATE" => "UPDATE",
        "DELETE" => "DELETE",
        "WITH" => "WITH",
        "BEGIN" => "BEGIN",
        "COMMIT" => "COMMIT",
        "ROLLBACK" => "ROLLBACK",
        "SAVEPOINT" => "SAVEPOINT",
        "RELEASE" => "RELEASE",
        "CREATE" => "CREATE",
        "ALTER" => "ALTER",
        "DROP" => "DROP",
        _ => "OTHER",
    }
}

/// The table a statement is about: after `INSERT INTO`, `UPDATE`, `DELETE FROM`, or the
/// first `FROM` (empty when there is none).
#[cfg(any(feature = "tracing", feature = "mysql"))]
pub(crate) fn statement_table(sql: &str) -> &str {
    let upper = sql.to_ascii_uppercase();
    let after = ["INSERT INTO ", "UPDATE ", "DELETE FROM ", " FROM "]
        .iter()
        .filter_map(|k| upper.find(k).map(|at| at + k.len()))
        .min();
    let Some(at) = after else { return "" };
    let rest = &sql[at..];
    let end = rest.find(|c: char| c.is_whitespace() || c == '(' || c == ',' || c == ';').unwrap_or(rest.len());
    rest[..end].trim_matches(['"', '`'])
}

/// Parameters as SQLAlchemy prints positional ones: `('a', 1)`, `(1,)`, `()`.
fn python_tuple(params: &[Value]) -> String {
    let mut out = String::from("(");
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{p:?}");
    }
    if params.len() == 1 {
        out.push(',');
    }
    out.push(')');
    out
}

fn print_line(text: &str) {
    let stamp = timestamp(SystemTime::now());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{stamp} INFO orm.engine {text}");
}

/// `2026-11-25 12:00:00,123` in UTC, as Python's logging prints it.
fn timestamp(now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02},{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (era * 400 + yoe + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "tracing")]
    #[test]
    fn spans_name_the_table_and_kind() {
        assert_eq!(statement_table("SELECT a.id FROM programs WHERE x"), "programs");
        assert_eq!(statement_table("INSERT INTO \"user\" (id) VALUES ($1)"), "user");
        assert_eq!(statement_table("UPDATE courses SET a = 1"), "courses");
        assert_eq!(statement_table("BEGIN"), "");
        assert_eq!(operation("  select 1"), "SELECT");
    }

    #[test]
    fn tuples_look_like_python() {
        assert_eq!(python_tuple(&[]), "()");
        assert_eq!(python_tuple(&[Value::I32(1)]), "(1,)");
        assert_eq!(python_tuple(&[Value::from("a"), Value::Null]), "('a', None)");
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_072_000_123);
        assert_eq!(timestamp(t), "2025-11-25 12:00:00,123");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
