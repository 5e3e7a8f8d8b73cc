//! Reading PostgreSQL column values into base types.
//!
//! `postgres::Row::try_get` checks, for every value, that the Rust type accepts the
//! column's SQL type, and `String`'s `FromSql` compares the type's name with three
//! extension types before it reads text. Loading thousands of rows, that is a large part
//! of the client's time. The common types here compare the column's type once per value
//! (an enum comparison) and read its bytes directly; anything else, and any type they do
//! not expect, goes through `FromSql` with its checks and messages.

use std::error::Error as StdError;

use postgres::types::{FromSql, Type};

use crate::schema::decode::DecodeError;

/// How a base type reads a non-NULL or NULL value of a PostgreSQL column.
pub trait PgDecode: for<'b> FromSql<'b> {
    /// Reads column `idx`; `None` for NULL.
    fn decode_pg(row: &postgres::Row, idx: usize) -> Result<Option<Self>, DecodeError> {
        through_from_sql(row, idx)
    }
}

/// The general path: `Row::try_get` with `FromSql`'s own type check.
fn through_from_sql<T: for<'b> FromSql<'b>>(row: &postgres::Row, idx: usize) -> Result<Option<T>, DecodeError> {
    row.try_get::<usize, Option<T>>(idx).map_err(|e| {
        DecodeError::new(column_type_name(row, idx), StdError::source(&e).map(|s| s.to_string()).unwrap_or_default())
    })
}

fn column_type_name(row: &postgres::Row, idx: usize) -> String {
    row.columns().get(idx).map_or_else(|| "?".to_owned(), |c| c.type_().name().to_owned())
}

/// A column's undecoded bytes (`None` = NULL), accepted for any SQL type: the caller
/// has checked the type.
struct RawColumn<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for RawColumn<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(RawColumn(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(RawColumn(None))
    }

    fn from_sql_nullable(_: &Type, raw: Option<&'a [u8]>) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(RawColumn(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Reads column `idx` with `read` when `expected` says yes to its SQL type, else through
/// `FromSql`.
#[inline(always)]
fn read_direct<T: for<'b> FromSql<'b>>(
    row: &postgres::Row,
    idx: usize,
    expected: impl FnOnce(&Type) -> bool,
    read: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<Option<T>, DecodeError> {
    let matches = row.columns().get(idx).is_some_and(|c| expected(c.type_()));
    if !matches {
        return through_from_sql(row, idx);
    }
    match row.try_get::<usize, RawColumn<'_>>(idx) {
        Ok(RawColumn(None)) => Ok(None),
        Ok(RawColumn(Some(bytes))) => {
            read(bytes).map(Some).map_err(|why| DecodeError::new(column_type_name(row, idx), why))
        }
        Err(_) => through_from_sql(row, idx),
    }
}

/// The SQL types whose values are plain UTF-8 text on the wire, both ways: the text
/// types and enum types (whose binary form is the label).
pub(crate) fn is_text(ty: &Type) -> bool {
    *ty == Type::TEXT
        || *ty == Type::VARCHAR
        || *ty == Type::BPCHAR
        || *ty == Type::NAME
        || matches!(ty.kind(), postgres::types::Kind::Enum(_))
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
    bytes.try_into().map_err(|_| format!("expected {N} bytes, the server sent {}", bytes.len()))
}

impl PgDecode for String {
    #[inline]
    fn decode_pg(row: &postgres::Row, idx: usize) -> Result<Option<Self>, DecodeError> {
        read_direct(row, idx, is_text, |bytes| std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| e.to_string()))
    }
}

/// Fixed-width big-endian numbers, read when the column is exactly their SQL type.
macro_rules! fixed_width {
    ($($ty:ty => $sql:ident),* $(,)?) => {$(
        impl PgDecode for $ty {
            #[inline]
            fn decode_pg(row: &postgres::Row, idx: usize) -> Result<Option<Self>, DecodeError> {
                read_direct(row, idx, |t| *t == Type::$sql, |bytes| fixed(bytes).map(<$ty>::from_be_bytes))
            }
        }
    )*};
}

fixed_width!(i16 => INT2, i32 => INT4, i64 => INT8, f64 => FLOAT8);

impl PgDecode for bool {
    #[inline]
    fn decode_pg(row: &postgres::Row, idx: usize) -> Result<Option<Self>, DecodeError> {
        read_direct(row, idx, |t| *t == Type::BOOL, |bytes| fixed::<1>(bytes).map(|[b]| b != 0))
    }
}

impl PgDecode for f32 {}
impl PgDecode for Vec<u8> {}
#[cfg(feature = "chrono")]
impl PgDecode for chrono::NaiveDate {}
#[cfg(feature = "chrono")]
impl PgDecode for chrono::NaiveTime {}
#[cfg(feature = "chrono")]
impl PgDecode for chrono::NaiveDateTime {}
#[cfg(feature = "chrono")]
impl PgDecode for chrono::DateTime<chrono::Utc> {}
#[cfg(feature = "uuid")]
impl PgDecode for uuid::Uuid {}
#[cfg(feature = "json")]
impl PgDecode for serde_json::Value {}
#[cfg(feature = "decimal")]
impl PgDecode for rust_decimal::Decimal {}

/// Reads column `idx`, a one-dimensional array, as values of SQL type `element`:
/// PostgreSQL's binary array format (dimensions, a NULL flag, the element type, each
/// dimension's length and lower bound, then each element's length and bytes).
pub(crate) fn decode_array(
    row: &postgres::Row,
    idx: usize,
    element: crate::schema::types::SqlType,
) -> Result<Option<Vec<crate::value::Value>>, DecodeError> {
    let ty = row.columns().get(idx).map(|c| c.type_().clone());
    let fail = |why: String| DecodeError::new(column_type_name(row, idx), why);
    let Some(postgres::types::Kind::Array(member)) = ty.as_ref().map(Type::kind) else {
        return Err(fail("the column is not an array".to_owned()));
    };
    let raw = match row.try_get::<usize, RawColumn<'_>>(idx) {
        Ok(RawColumn(None)) => return Ok(None),
        Ok(RawColumn(Some(bytes))) => bytes,
        Err(e) => return Err(fail(e.to_string())),
    };
    let mut reader = ArrayReader { bytes: raw };
    let dimensions = reader.i32().map_err(fail)?;
    reader.i32().map_err(fail)?; // has NULLs
    reader.i32().map_err(fail)?; // element type oid
    if dimensions == 0 {
        return Ok(Some(Vec::new()));
    }
    if dimensions != 1 {
        return Err(fail(format!("a {dimensions}-dimensional array cannot be read into a Vec")));
    }
    let len = usize::try_from(reader.i32().map_err(fail)?).map_err(|_| fail("a negative length".to_owned()))?;
    reader.i32().map_err(fail)?; // lower bound
    let mut values = Vec::with_capacity(len);
    for _ in 0..len {
        let size = reader.i32().map_err(fail)?;
        if size < 0 {
            values.push(crate::value::Value::Null);
            continue;
        }
        let bytes = reader.take(size as usize).map_err(fail)?;
        values.push(element_value(member, element, bytes).map_err(fail)?);
    }
    Ok(Some(values))
}

struct ArrayReader<'a> {
    bytes: &'a [u8],
}

impl<'a> ArrayReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err("the array ends early".to_owned());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn i32(&mut self) -> Result<i32, String> {
        self.take(4).and_then(fixed::<4>).map(i32::from_be_bytes)
    }
}

/// One array element's bytes as a value of SQL type `element`.
fn element_value(
    member: &Type,
    element: crate::schema::types::SqlType,
    bytes: &[u8],
) -> Result<crate::value::Value, String> {
    use crate::schema::types::SqlType;
    use crate::value::Value;
    fn via<T: for<'b> FromSql<'b> + Into<Value>>(member: &Type, bytes: &[u8]) -> Result<Value, String> {
        T::from_sql(member, bytes).map(Into::into).map_err(|e| e.to_string())
    }
    match element {
        SqlType::SmallInt => via::<i16>(member, bytes),
        SqlType::Integer => via::<i32>(member, bytes),
        SqlType::BigInt => via::<i64>(member, bytes),
        SqlType::Real => via::<f32>(member, bytes),
        SqlType::Double => via::<f64>(member, bytes),
        SqlType::Boolean => via::<bool>(member, bytes),
        SqlType::Text | SqlType::Enum(_) => {
            std::str::from_utf8(bytes).map(|s| Value::Text(s.to_owned())).map_err(|e| e.to_string())
        }
        SqlType::Bytes => via::<Vec<u8>>(member, bytes),
        #[cfg(feature = "chrono")]
        SqlType::Date => via::<chrono::NaiveDate>(member, bytes),
        #[cfg(feature = "chrono")]
        SqlType::Time => via::<chrono::NaiveTime>(member, bytes),
        #[cfg(feature = "chrono")]
        SqlType::Timestamp => via::<chrono::NaiveDateTime>(member, bytes),
        #[cfg(feature = "chrono")]
        SqlType::TimestampTz => via::<chrono::DateTime<chrono::Utc>>(member, bytes),
        #[cfg(feature = "uuid")]
        SqlType::Uuid => via::<uuid::Uuid>(member, bytes),
        #[cfg(feature = "json")]
        SqlType::Json => via::<serde_json::Value>(member, bytes),
        #[cfg(feature = "decimal")]
        SqlType::Decimal => via::<rust_decimal::Decimal>(member, bytes),
        #[allow(unreachable_patterns)]
        other => Err(format!("array elements of type {other:?} cannot be read")),
    }
}
