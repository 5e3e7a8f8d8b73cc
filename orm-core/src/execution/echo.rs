//! Statement logging: SQLAlchemy-style `echo` to standard output, and one `log` record
//! per statement under the target [`LOG_TARGET`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::value::Value;

/// The `log` target of every statement the ORM sends: `orm::sql`.
pub const LOG_TARGET: &str = "orm::sql";

/// A function called with every statement the engine sends and its parameters.
pub type StatementListener = Arc<dyn Fn(&str, &[Value]) + Send + Sync>;

/// Where statements are reported.
#[derive(Clone, Default)]
pub(crate) struct Echo {
    /// Print statements and parameters to standard output.
    pub(crate) stdout: bool,
    /// Never show parameter values, neither in echo nor in log records.
    pub(crate) hide_parameters: bool,
    /// Called with every statement, e.g. to count or record them.
    pub(crate) listener: Option<StatementListener>,
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
