//! Columns the session writes itself: the version counter of optimistic locking
//! (`#[orm(version)]`, SQLAlchemy's `version_id_col`) and the `created_at` / `updated_at`
//! timestamps: their next values. A session's flush sets them just before a row goes out
//! (through its undo log), as do the plain `insert`/`update` of `crud`.

use crate::error::{Error, ErrorKind, Result};
use crate::schema::table::TableDef;
#[cfg(feature = "chrono")]
use crate::schema::types::SqlType;
use crate::value::Value;

/// The version after `current`, of the same integer type.
pub(crate) fn next_version(table: &TableDef, column: usize, current: &Value) -> Result<Value> {
    let next = match current {
        Value::I16(v) => v.checked_add(1).map(Value::I16),
        Value::I32(v) => v.checked_add(1).map(Value::I32),
        Value::I64(v) => v.checked_add(1).map(Value::I64),
        _ => None,
    };
    next.ok_or_else(|| {
        let name = table.columns.get(column).map_or("?", |c| c.name);
        Error::new(
            ErrorKind::Encode,
            format!("the version counter `{}.{name}` holds {current:?}, which has no next value", table.name),
        )
    })
}

/// The time a flush stamps its rows with: one instant for the whole flush, to the
/// microsecond (what PostgreSQL keeps), so that an object and its row agree.
#[derive(Default)]
pub(crate) struct Clock {
    #[cfg(feature = "chrono")]
    now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Clock {
    /// The current time as a value of `column`'s type.
    pub(crate) fn now(&mut self, table: &TableDef, column: usize) -> Result<Value> {
        #[cfg(feature = "chrono")]
        {
            use chrono::SubsecRound;
            let now = *self.now.get_or_insert_with(|| chrono::Utc::now().trunc_subsecs(6));
            match table.columns[column].sql_type {
                SqlType::TimestampTz => return Ok(Value::TimestampTz(now)),
                SqlType::Timestamp => return Ok(Value::Timestamp(now.naive_utc())),
                _ => {}
            }
        }
        Err(Error::new(
            ErrorKind::Schema,
            format!("`{}.{}` is not a timestamp column", table.name, table.columns[column].name),
        ))
    }
}

/// Whether a timestamp column holds no time of the user's: NULL, or the type's default
/// (the Unix epoch), which is what `new()` leaves in it.
pub(crate) fn is_unset_time(value: &Value) -> bool {
    match value {
        Value::Null => true,
        #[cfg(feature = "chrono")]
        Value::TimestampTz(t) => t.timestamp() == 0 && t.timestamp_subsec_nanos() == 0,
        #[cfg(feature = "chrono")]
        Value::Timestamp(t) => *t == chrono::NaiveDateTime::default(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: TableDef = TableDef::for_tests(&[]);

    #[test]
    fn versions_count_up_in_their_own_type() {
        assert_eq!(next_version(&T, 0, &Value::I32(1)).unwrap(), Value::I32(2));
        assert_eq!(next_version(&T, 0, &Value::I64(41)).unwrap(), Value::I64(42));
        assert_eq!(next_version(&T, 0, &Value::I16(i16::MAX)).unwrap_err().kind(), ErrorKind::Encode);
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn only_null_and_the_epoch_are_unset_times() {
        use chrono::{DateTime, TimeZone, Utc};
        assert!(is_unset_time(&Value::Null));
        assert!(is_unset_time(&Value::TimestampTz(DateTime::<Utc>::default())));
        assert!(is_unset_time(&Value::Timestamp(chrono::NaiveDateTime::default())));
        assert!(!is_unset_time(&Value::TimestampTz(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap())));
    }
}
