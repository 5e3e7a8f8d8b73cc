//! Reading column values, independent of where they come from: a [`ColumnSource`] (a
//! result row of any backend) offers each base type, and every [`ColumnType`] reads
//! itself from one. The schema says what a column holds; the backends, which implement
//! `ColumnSource`, say how their rows hold it (as serde's `Deserializer` does for its
//! data model).

use crate::error::{Error, Result};
use crate::schema::table::TableDef;
use crate::schema::types::{ColumnType, SqlType};
use crate::value::Value;

/// Generates the [`ColumnSource`] trait: one method per base type.
macro_rules! column_source {
    ($($(#[$cfg:meta])* $method:ident -> $ty:ty;)*) => {
        /// A row's columns, read as the base types of column values (`None` for NULL).
        /// Implemented by [`Row`](crate::Row) for every backend; generated decoders and
        /// [`ColumnType`] read through it.
        #[doc(hidden)]
        pub trait ColumnSource {
            $(
                $(#[$cfg])*
                #[doc = concat!("Column `idx` as a `", stringify!($ty), "`.")]
                fn $method(&self, idx: usize) -> Result<Option<$ty>, DecodeError>;
            )*

            /// Column `idx` as an array of values of SQL type `element`.
            fn array(&self, idx: usize, element: SqlType) -> Result<Option<Vec<Value>>, DecodeError>;
        }
    };
}

column_source! {
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

/// Why a column value could not become the field's type; turned into an [`Error`] that
/// names the column by the caller, which knows it.
/// Boxed, so that decoding results stay small on the hot path.
#[doc(hidden)]
#[derive(Debug)]
pub struct DecodeError(Box<DecodeFailure>);

#[derive(Debug)]
struct DecodeFailure {
    sql_type: String,
    message: String,
}

impl DecodeError {
    /// A value of SQL type `sql_type` that could not be read, and why.
    pub(crate) fn new(sql_type: String, message: String) -> DecodeError {
        DecodeError(Box::new(DecodeFailure { sql_type, message }))
    }

    pub(crate) fn unexpected_null() -> DecodeError {
        DecodeError::new("NULL".to_owned(), "the column is NULL; make the field an Option".to_owned())
    }

    /// The error for column `column` of `table`, read into a `rust_type`.
    pub(crate) fn into_error(self, table: &str, column: &str, rust_type: &str) -> Error {
        let why = if self.0.message.contains("cannot convert between") { "" } else { &self.0.message };
        Error::decode(table, column, &self.0.sql_type, rust_type, why)
    }
}

/// Reads column `idx` of a row as the `column`-th column of `table`: decode errors name
/// `table.column`.
#[inline(always)]
pub(crate) fn decode_column<T: ColumnType, R: ColumnSource + ?Sized>(
    row: &R,
    idx: usize,
    table: &TableDef,
    column: usize,
) -> Result<T> {
    T::decode(row, idx).map_err(|e| e.into_error(table.name, table.columns[column].name, T::RUST_NAME))
}
