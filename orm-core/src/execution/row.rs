//! A borrowed result row, whatever the backend: what raw queries and generated decoders
//! read columns from.

use crate::error::{Error, Result};
use crate::execution::backend::BackendDecode;
#[cfg(feature = "sqlite")]
use crate::execution::backend::sqlite::storage_class;
use crate::schema::decode::{ColumnSource, DecodeError, decode_column};
use crate::schema::table::TableDef;
use crate::schema::types::{BaseType, ColumnType, SqlType};
use crate::value::Value;

/// One row of a result, passed to the closures of raw queries and to generated decoders.
///
/// ```no_run
/// # fn main() -> orm_core::Result<()> {
/// # let engine = orm_core::Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let mut conn = engine.connection()?;
/// let names: Vec<(i32, String)> = conn.query_raw(
///     "SELECT id, name FROM programs WHERE years_of_study = $1",
///     orm_core::params![3],
///     |row| Ok((row.get(0)?, row.get(1)?)),
/// )?;
/// # Ok(()) }
/// ```
pub struct Row<'a> {
    inner: RowInner<'a>,
    /// How many rows the result has, when the driver knows it up front (0 otherwise).
    total: usize,
}

pub(crate) enum RowInner<'a> {
    #[cfg(feature = "postgres")]
    Pg(&'a postgres::Row),
    #[cfg(feature = "sqlite")]
    Sqlite(&'a rusqlite::Row<'a>),
    #[cfg(feature = "mysql")]
    My(&'a mysql::Row),
}

impl<'a> Row<'a> {
    #[cfg(feature = "postgres")]
    pub(crate) fn pg(row: &'a postgres::Row, total: usize) -> Row<'a> {
        Row { inner: RowInner::Pg(row), total }
    }

    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite(row: &'a rusqlite::Row<'a>) -> Row<'a> {
        Row { inner: RowInner::Sqlite(row), total: 0 }
    }

    #[cfg(feature = "mysql")]
    pub(crate) fn mysql(row: &'a mysql::Row) -> Row<'a> {
        Row { inner: RowInner::My(row), total: 0 }
    }

    /// How many rows the whole result has, when known before reading them (0 otherwise):
    /// lets loaders size their tables once.
    pub(crate) fn total_hint(&self) -> usize {
        self.total
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        match &self.inner {
            #[cfg(feature = "postgres")]
            RowInner::Pg(r) => r.len(),
            #[cfg(feature = "sqlite")]
            RowInner::Sqlite(r) => r.as_ref().column_count(),
            #[cfg(feature = "mysql")]
            RowInner::My(r) => r.len(),
        }
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of column `idx`, if there is one.
    pub fn column_name(&self, idx: usize) -> Option<&str> {
        match &self.inner {
            #[cfg(feature = "postgres")]
            RowInner::Pg(r) => r.columns().get(idx).map(|c| c.name()),
            #[cfg(feature = "sqlite")]
            RowInner::Sqlite(r) => r.as_ref().column_name(idx).ok(),
            #[cfg(feature = "mysql")]
            RowInner::My(r) => r.columns_ref().get(idx).map(|c| c.name_str()).and_then(|n| match n {
                std::borrow::Cow::Borrowed(n) => Some(n),
                std::borrow::Cow::Owned(_) => None,
            }),
        }
    }

    /// The value of column `idx` (counted from 0) as a `T`.
    pub fn get<T: ColumnType>(&self, idx: usize) -> Result<T> {
        if idx >= self.len() {
            return Err(Error::invalid_state(format!("the row has {} columns; there is no column {idx}", self.len())));
        }
        T::decode(self, idx).map_err(|e| {
            let name = self.column_name(idx).unwrap_or("?");
            e.into_error("query", name, T::RUST_NAME)
        })
    }

    /// The value of the column called `name` as a `T`.
    pub fn get_by_name<T: ColumnType>(&self, name: &str) -> Result<T> {
        let idx = (0..self.len())
            .find(|&i| self.column_name(i) == Some(name))
            .ok_or_else(|| Error::invalid_state(format!("the row has no column named `{name}`")))?;
        self.get(idx)
    }

    /// Column `idx` as a base type, read as its backend holds it.
    #[inline(always)]
    fn decode_raw<T: BackendDecode>(&self, idx: usize) -> Result<Option<T>, DecodeError> {
        match &self.inner {
            #[cfg(feature = "postgres")]
            RowInner::Pg(r) => T::decode_pg(r, idx),
            #[cfg(feature = "sqlite")]
            RowInner::Sqlite(r) => {
                let value = r.get_ref(idx).map_err(|e| DecodeError::new("?".to_owned(), e.to_string()))?;
                if let rusqlite::types::ValueRef::Null = value {
                    return Ok(None);
                }
                T::from_sqlite(value)
                    .map(Some)
                    .map_err(|message| DecodeError::new(storage_class(value).to_owned(), message))
            }
            #[cfg(feature = "mysql")]
            RowInner::My(r) => crate::execution::backend::mysql::decode::<T>(r, idx),
        }
    }
}

/// Generates the [`ColumnSource`] methods of [`Row`]: each reads its type as the backend
/// holds it.
macro_rules! row_source {
    ($($(#[$cfg:meta])* $method:ident -> $ty:ty;)*) => {
        impl ColumnSource for Row<'_> {
            fn array(&self, idx: usize, element: SqlType) -> Result<Option<Vec<Value>>, DecodeError> {
                match &self.inner {
                    #[cfg(feature = "postgres")]
                    RowInner::Pg(r) => crate::execution::backend::pg_decode::decode_array(r, idx, element),
                    #[cfg(feature = "sqlite")]
                    RowInner::Sqlite(r) => {
                        let value = r.get_ref(idx).map_err(|e| DecodeError::new("?".to_owned(), e.to_string()))?;
                        if let rusqlite::types::ValueRef::Null = value {
                            return Ok(None);
                        }
                        crate::execution::backend::sqlite::decode_array(value, element)
                            .map(Some)
                            .map_err(|message| DecodeError::new(storage_class(value).to_owned(), message))
                    }
                    #[cfg(feature = "mysql")]
                    RowInner::My(_) => {
                        let _ = (idx, element);
                        Err(DecodeError::new("?".to_owned(), "MySQL has no array columns".to_owned()))
                    }
                }
            }

            $(
                $(#[$cfg])*
                #[inline(always)]
                fn $method(&self, idx: usize) -> Result<Option<$ty>, DecodeError> {
                    self.decode_raw::<$ty>(idx)
                }
            )*
        }
    };
}

row_source! {
    i16 -> i16;
    i32 -> i32;
    i64 -> i64;
    f32 -> f32;
    f64 -> f64;
    bool -> bool;
    string -> String;
    bytes -> Vec<u8>;
    #[cfg(feature = "chrono")]
    date -> chrono::NaiveDate;
    #[cfg(feature = "chrono")]
    time -> chrono::NaiveTime;
    #[cfg(feature = "chrono")]
    timestamp -> chrono::NaiveDateTime;
    #[cfg(feature = "chrono")]
    timestamp_tz -> chrono::DateTime<chrono::Utc>;
    #[cfg(feature = "uuid")]
    uuid -> uuid::Uuid;
    #[cfg(feature = "json")]
    json -> serde_json::Value;
    #[cfg(feature = "decimal")]
    decimal -> rust_decimal::Decimal;
}

/// Reads column `idx` of a row as a [`Value`] of the model column's SQL type (keys and
/// defaults read back after INSERT).
pub(crate) fn read_value(row: &Row<'_>, idx: usize, table: &TableDef, column: usize) -> Result<Value> {
    fn read<T: BaseType + Into<Value>>(row: &Row<'_>, idx: usize, table: &TableDef, column: usize) -> Result<Value> {
        Ok(decode_column::<Option<T>, _>(row, idx, table, column)?.map_or(Value::Null, Into::into))
    }
    match table.columns[column].sql_type {
        SqlType::SmallInt => read::<i16>(row, idx, table, column),
        SqlType::Integer => read::<i32>(row, idx, table, column),
        SqlType::BigInt => read::<i64>(row, idx, table, column),
        SqlType::Real => read::<f32>(row, idx, table, column),
        SqlType::Double => read::<f64>(row, idx, table, column),
        SqlType::Boolean => read::<bool>(row, idx, table, column),
        SqlType::Text | SqlType::Enum(_) => read::<String>(row, idx, table, column),
        SqlType::Bytes => read::<Vec<u8>>(row, idx, table, column),
        #[cfg(feature = "chrono")]
        SqlType::Date => read::<chrono::NaiveDate>(row, idx, table, column),
        #[cfg(feature = "chrono")]
        SqlType::Time => read::<chrono::NaiveTime>(row, idx, table, column),
        #[cfg(feature = "chrono")]
        SqlType::Timestamp => read::<chrono::NaiveDateTime>(row, idx, table, column),
        #[cfg(feature = "chrono")]
        SqlType::TimestampTz => read::<chrono::DateTime<chrono::Utc>>(row, idx, table, column),
        #[cfg(feature = "uuid")]
        SqlType::Uuid => read::<uuid::Uuid>(row, idx, table, column),
        #[cfg(feature = "json")]
        SqlType::Json => read::<serde_json::Value>(row, idx, table, column),
        #[cfg(feature = "decimal")]
        SqlType::Decimal => read::<rust_decimal::Decimal>(row, idx, table, column),
        #[allow(unreachable_patterns)]
        other => Err(Error::unsupported(format!(
            "column `{}.{}` has type {other:?}, whose cargo feature is not enabled",
            table.name, table.columns[column].name
        ))),
    }
}

/// Reads column `idx`, an array of integer keys (`array_agg(id)`; NULL when empty), as
/// [`Value`]s of the model column's SQL type.
#[cfg(feature = "postgres")]
pub(crate) fn read_key_array(row: &Row<'_>, idx: usize, table: &TableDef, column: usize) -> Result<Vec<Value>> {
    fn read<T>(row: &Row<'_>, idx: usize, table: &TableDef, column: usize) -> Result<Vec<Value>>
    where
        T: for<'b> postgres::types::FromSql<'b> + Into<Value>,
    {
        #[allow(irrefutable_let_patterns)]
        let RowInner::Pg(r) = &row.inner else {
            return Err(Error::unsupported("key arrays are read on PostgreSQL only"));
        };
        let keys = r.try_get::<usize, Option<Vec<T>>>(idx).map_err(|e| {
            Error::decode(table.name, table.columns[column].name, "array", "a list of keys", &e.to_string())
        })?;
        Ok(keys.unwrap_or_default().into_iter().map(Into::into).collect())
    }
    match table.columns[column].sql_type {
        SqlType::SmallInt => read::<i16>(row, idx, table, column),
        SqlType::Integer => read::<i32>(row, idx, table, column),
        SqlType::BigInt => read::<i64>(row, idx, table, column),
        other => Err(Error::unsupported(format!(
            "column `{}.{}` has type {other:?}; generated keys are integers",
            table.name, table.columns[column].name
        ))),
    }
}

/// Without PostgreSQL no statement returns key arrays.
#[cfg(not(feature = "postgres"))]
pub(crate) fn read_key_array(_: &Row<'_>, _: usize, _: &TableDef, _: usize) -> Result<Vec<Value>> {
    Err(Error::unsupported("key arrays are read on PostgreSQL only"))
}
