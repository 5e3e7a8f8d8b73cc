//! The binding layer: every value on its way to or from the database is a [`Value`].
//!
//! Values are always sent as bound parameters, never spliced into SQL text. A backend
//! converts a `Value` into its driver's wire format (see `execution/backend/`).

use std::fmt;

/// A database value, independent of the backend.
///
/// ```
/// use orm_core::Value;
/// assert_eq!(Value::from("Bachelors in CS"), Value::Text("Bachelors in CS".into()));
/// assert_eq!(Value::from(Some(3_i32)), Value::I32(3));
/// assert_eq!(Value::from(None::<i32>), Value::Null);
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL.
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// SMALLINT.
    I16(i16),
    /// INTEGER.
    I32(i32),
    /// BIGINT.
    I64(i64),
    /// REAL.
    F32(f32),
    /// DOUBLE PRECISION.
    F64(f64),
    /// VARCHAR / TEXT.
    Text(String),
    /// BYTEA / BLOB.
    Bytes(Vec<u8>),
    /// DATE.
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    /// TIME.
    #[cfg(feature = "chrono")]
    Time(chrono::NaiveTime),
    /// TIMESTAMP (without time zone).
    #[cfg(feature = "chrono")]
    Timestamp(chrono::NaiveDateTime),
    /// TIMESTAMP WITH TIME ZONE.
    #[cfg(feature = "chrono")]
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// UUID.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// JSONB.
    #[cfg(feature = "json")]
    Json(serde_json::Value),
    /// NUMERIC.
    #[cfg(feature = "decimal")]
    Decimal(rust_decimal::Decimal),
    /// An array of values of one type, used for `= ANY($1)` and `UNNEST` on PostgreSQL.
    Array(Vec<Value>),
    /// A value that could not be converted for the database (e.g. a `Json<T>` whose
    /// `Serialize` failed), and why: binding it is an [`Encode`](crate::ErrorKind::Encode)
    /// error, so the statement is never sent.
    #[doc(hidden)]
    Unencodable(String),
}

impl Value {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as an `i64`, for integer values.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I16(v) => Some(v.into()),
            Value::I32(v) => Some(v.into()),
            Value::I64(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string slice, for text values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "bool",
            Value::I16(_) => "i16",
            Value::I32(_) => "i32",
            Value::I64(_) => "i64",
            Value::F32(_) => "f32",
            Value::F64(_) => "f64",
            Value::Text(_) => "String",
            Value::Bytes(_) => "Vec<u8>",
            #[cfg(feature = "chrono")]
            Value::Date(_) => "NaiveDate",
            #[cfg(feature = "chrono")]
            Value::Time(_) => "NaiveTime",
            #[cfg(feature = "chrono")]
            Value::Timestamp(_) => "NaiveDateTime",
            #[cfg(feature = "chrono")]
            Value::TimestampTz(_) => "DateTime<Utc>",
            #[cfg(feature = "uuid")]
            Value::Uuid(_) => "Uuid",
            #[cfg(feature = "json")]
            Value::Json(_) => "serde_json::Value",
            #[cfg(feature = "decimal")]
            Value::Decimal(_) => "Decimal",
            Value::Array(_) => "array",
            Value::Unencodable(_) => "unencodable",
        }
    }
}

/// Values print the way SQLAlchemy's echo prints parameters: strings quoted, NULL as `None`.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("None"),
            Value::Bool(v) => f.write_str(if *v { "True" } else { "False" }),
            Value::I16(v) => write!(f, "{v}"),
            Value::I32(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F32(v) => write!(f, "{v:?}"),
            Value::F64(v) => write!(f, "{v:?}"),
            Value::Text(s) => write_quoted(f, s),
            Value::Bytes(b) => {
                f.write_str("b'")?;
                for &byte in b.iter().take(32) {
                    if byte.is_ascii_graphic() && byte != b'\'' && byte != b'\\' || byte == b' ' {
                        write!(f, "{}", byte as char)?;
                    } else {
                        write!(f, "\\x{byte:02x}")?;
                    }
                }
                if b.len() > 32 {
                    write!(f, "... ({} bytes)", b.len())?;
                }
                f.write_str("'")
            }
            #[cfg(feature = "chrono")]
            Value::Date(v) => write!(f, "'{v}'"),
            #[cfg(feature = "chrono")]
            Value::Time(v) => write!(f, "'{v}'"),
            #[cfg(feature = "chrono")]
            Value::Timestamp(v) => write!(f, "'{v}'"),
            #[cfg(feature = "chrono")]
            Value::TimestampTz(v) => write!(f, "'{}'", v.to_rfc3339()),
            #[cfg(feature = "uuid")]
            Value::Uuid(v) => write!(f, "'{v}'"),
            #[cfg(feature = "json")]
            Value::Json(v) => write_quoted(f, &v.to_string()),
            #[cfg(feature = "decimal")]
            Value::Decimal(v) => write!(f, "Decimal('{v}')"),
            Value::Unencodable(why) => write!(f, "<cannot encode: {why}>"),
            Value::Array(items) => {
                const SHOWN: usize = 10;
                f.write_str("[")?;
                for (i, item) in items.iter().take(SHOWN).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item:?}")?;
                }
                if items.len() > SHOWN {
                    write!(f, ", ... {} more", items.len() - SHOWN)?;
                }
                f.write_str("]")
            }
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    const SHOWN: usize = 200;
    f.write_str("'")?;
    for (i, c) in s.chars().enumerate() {
        if i == SHOWN {
            return write!(f, "...' ({} chars)", s.chars().count());
        }
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\0' => f.write_str("\\x00")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("'")
}

macro_rules! value_from {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Value { Value::$variant(v) }
        }
    )*};
}

value_from! {
    bool => Bool, i16 => I16, i32 => I32, i64 => I64, f32 => F32, f64 => F64,
    String => Text, Vec<u8> => Bytes,
}

#[cfg(feature = "chrono")]
value_from! {
    chrono::NaiveDate => Date, chrono::NaiveTime => Time, chrono::NaiveDateTime => Timestamp,
    chrono::DateTime<chrono::Utc> => TimestampTz,
}

#[cfg(feature = "uuid")]
value_from! { uuid::Uuid => Uuid }

#[cfg(feature = "json")]
value_from! { serde_json::Value => Json }

#[cfg(feature = "decimal")]
value_from! { rust_decimal::Decimal => Decimal }

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a `&[Value]` of bound parameters for raw SQL.
///
/// ```
/// use orm_core::{params, Value};
/// let p: &[Value] = params!["Bachelors in CS", 3, None::<i64>];
/// assert_eq!(p.len(), 3);
/// ```
#[macro_export]
macro_rules! params {
    () => { &[] as &[$crate::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::Value::from($v)),+] as &[$crate::Value] };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_like_sqlalchemy() {
        let v = vec![Value::from("it's"), Value::I32(3), Value::Null, Value::Bool(true)];
        assert_eq!(format!("{v:?}"), r"['it\'s', 3, None, True]");
    }

    #[test]
    fn long_arrays_are_shortened() {
        let v = Value::Array((0..25).map(Value::I32).collect());
        assert_eq!(format!("{v:?}"), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 15 more]");
    }
}
