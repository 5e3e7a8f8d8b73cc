//! Rust types that map to SQL column types.
//!
//! A field's type must implement [`ColumnType`]; `#[derive(Model)]` checks this at compile
//! time and points at the field when it does not. `Option<T>` makes a column NULL-able.

use crate::schema::decode::{ColumnSource, DecodeError};
use crate::value::Value;

/// The logical SQL type of a column; each [`Dialect`](crate::Dialect) names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlType {
    /// 16-bit integer (`i16`).
    SmallInt,
    /// 32-bit integer (`i32`).
    Integer,
    /// 64-bit integer (`i64`).
    BigInt,
    /// 32-bit float (`f32`).
    Real,
    /// 64-bit float (`f64`).
    Double,
    /// Boolean (`bool`).
    Boolean,
    /// Variable-length text (`String`), with an optional length from `#[orm(length = N)]`.
    Text,
    /// Binary data (`Vec<u8>`).
    Bytes,
    /// Calendar date (`chrono::NaiveDate`).
    Date,
    /// Time of day (`chrono::NaiveTime`).
    Time,
    /// Timestamp without time zone (`chrono::NaiveDateTime`).
    Timestamp,
    /// Timestamp with time zone (`chrono::DateTime<Utc>`).
    TimestampTz,
    /// UUID (`uuid::Uuid`).
    Uuid,
    /// JSON document (`serde_json::Value`).
    Json,
    /// Exact decimal number (`rust_decimal::Decimal`).
    Decimal,
    /// A fieldless Rust enum stored by label (`#[derive(ColumnType)]`): TEXT with a CHECK,
    /// or a PostgreSQL `ENUM` type.
    Enum(&'static crate::schema::mapped::EnumDef),
    /// A one-dimensional array (`Vec<T>`): a PostgreSQL array, a JSON array on SQLite.
    Array(&'static SqlType),
}

impl SqlType {
    /// Whether this is an integer type (candidate for an auto-increment key).
    pub const fn is_integer(self) -> bool {
        matches!(self, SqlType::SmallInt | SqlType::Integer | SqlType::BigInt)
    }

    /// Whether this is a timestamp type (candidate for `created_at` / `updated_at`).
    pub const fn is_timestamp(self) -> bool {
        matches!(self, SqlType::Timestamp | SqlType::TimestampTz)
    }
}

/// A Rust type that can be stored in a database column.
///
/// Implemented for `i16`, `i32`, `i64`, `f32`, `f64`, `bool`, `String`, `Vec<u8>`, their
/// `Option`s, and, behind this crate's features, `chrono`, `uuid`, `serde_json` and
/// `rust_decimal` types.
///
/// ```
/// use orm_core::{ColumnType, SqlType};
/// assert_eq!(<Option<String> as ColumnType>::SQL_TYPE, SqlType::Text);
/// assert!(<Option<String> as ColumnType>::NULLABLE);
/// assert!(!<i32 as ColumnType>::NULLABLE);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a database column",
    label = "this field's type has no SQL mapping",
    note = "supported: i16, i32, i64, f32, f64, bool, String, Vec<u8>, Vec<T> (arrays of those but u8) \
            and Option<T> of those; chrono, uuid, serde_json (and Json<T>) and rust_decimal types \
            behind orm-core's features",
    note = "for a newtype or a fieldless enum of your own, add #[derive(ColumnType)]; \
            for any other type, implement `orm_core::MappedType`",
    note = "to keep a field out of the table, mark it `#[orm(skip)]`"
)]
pub trait ColumnType: Sized + Clone + Default + 'static {
    /// The column's SQL type.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts NULL (true for `Option<T>`).
    const NULLABLE: bool;
    /// The Rust type's name, for messages.
    const RUST_NAME: &'static str;
    /// The non-NULL type that filters compare this column with.
    type Inner: BaseType;
    /// `U`, NULL-able where this type is: the type of an expression over a value of this
    /// type and one of `U` (`<Option<i32>>::Like<i64>` is `Option<i64>`, `<i32>::Like<i64>`
    /// is `i64`), since SQL gives NULL when either side is NULL.
    type Like<U: ColumnType>: ColumnType<Inner = U::Inner>;

    /// Converts the value for binding.
    fn to_value(&self) -> Value;

    /// Converts the value for binding, without copying it.
    #[doc(hidden)]
    fn into_value(self) -> Value;

    /// Whether this equals `value` (dirty checks compare without copying).
    #[doc(hidden)]
    fn equals_value(&self, value: &Value) -> bool {
        self.to_value() == *value
    }

    /// Converts a value back (keys assigned at flush, foreign keys copied from parents).
    /// Gives the value back when it has the wrong type.
    fn from_value(value: Value) -> Result<Self, Value>;

    /// Reads the column `idx` of a result row.
    #[doc(hidden)]
    fn decode<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Self, DecodeError>;
}

/// A non-NULL column type: the base of [`ColumnType`] for `T` and `Option<T>`.
///
/// Implemented by the built-in types and, through [`MappedType`](crate::MappedType), by
/// types of your own; implement `MappedType`, not this.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a non-NULL column type",
    label = "expected a built-in column type or a type implementing `MappedType`",
    note = "a newtype or a mapped type is stored as a non-NULL type: `String`, not `Option<String>`; \
            put the `Option` on the model's field instead"
)]
pub trait BaseType: Sized + Clone + Default + 'static {
    /// The column's SQL type.
    const SQL_TYPE: SqlType;
    /// The Rust type's name, for messages.
    const RUST_NAME: &'static str;
    #[doc(hidden)]
    fn to_value(&self) -> Value;
    #[doc(hidden)]
    fn into_value(self) -> Value;
    #[doc(hidden)]
    fn equals_value(&self, value: &Value) -> bool;
    #[doc(hidden)]
    fn from_value(value: Value) -> Result<Self, Value>;
    #[doc(hidden)]
    fn decode_nullable<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Option<Self>, DecodeError>;
}

impl<T: BaseType> ColumnType for T {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = false;
    const RUST_NAME: &'static str = T::RUST_NAME;
    type Inner = T;
    type Like<U: ColumnType> = U;

    fn to_value(&self) -> Value {
        BaseType::to_value(self)
    }

    fn into_value(self) -> Value {
        BaseType::into_value(self)
    }

    fn equals_value(&self, value: &Value) -> bool {
        BaseType::equals_value(self, value)
    }

    #[inline]
    fn from_value(value: Value) -> Result<Self, Value> {
        <T as BaseType>::from_value(value)
    }

    #[inline(always)]
    fn decode<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Self, DecodeError> {
        T::decode_nullable(row, idx)?.ok_or_else(DecodeError::unexpected_null)
    }
}

impl<T: BaseType> ColumnType for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    const RUST_NAME: &'static str = T::RUST_NAME;
    type Inner = T;
    type Like<U: ColumnType> = Option<U::Inner>;

    fn into_value(self) -> Value {
        match self {
            Some(v) => BaseType::into_value(v),
            None => Value::Null,
        }
    }

    fn equals_value(&self, value: &Value) -> bool {
        match self {
            Some(v) => BaseType::equals_value(v, value),
            None => value.is_null(),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Some(v) => BaseType::to_value(v),
            None => Value::Null,
        }
    }

    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Null => Ok(None),
            v => <T as BaseType>::from_value(v).map(Some),
        }
    }

    fn decode<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Self, DecodeError> {
        T::decode_nullable(row, idx)
    }
}

/// A type that can be an element of an array column (`Vec<T>`): the built-in scalar
/// types other than `u8` (`Vec<u8>` is binary data) and types mapped with
/// [`MappedType`](crate::MappedType) or `#[derive(ColumnType)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an element of an array column",
    note = "array elements are integers, floats, bools, Strings, chrono, uuid and decimal types, \
            and mapped types (enums, newtypes)"
)]
pub trait ArrayElement: BaseType {}

macro_rules! array_elements {
    ($($(#[$cfg:meta])* $ty:ty),* $(,)?) => {$( $(#[$cfg])* impl ArrayElement for $ty {} )*};
}

array_elements! {
    i16, i32, i64, f32, f64, bool, String,
    #[cfg(feature = "chrono")] chrono::NaiveDate,
    #[cfg(feature = "chrono")] chrono::NaiveTime,
    #[cfg(feature = "chrono")] chrono::NaiveDateTime,
    #[cfg(feature = "chrono")] chrono::DateTime<chrono::Utc>,
    #[cfg(feature = "uuid")] uuid::Uuid,
    #[cfg(feature = "decimal")] rust_decimal::Decimal,
}

impl<T: crate::schema::mapped::MappedType> ArrayElement for T {}

/// `Vec<T>` is an array column: `INTEGER[]` on PostgreSQL (filters `contains`, `overlaps`,
/// `any`), a JSON array on SQLite (the same filters, through JSON functions).
impl<E: ArrayElement> BaseType for Vec<E> {
    const SQL_TYPE: SqlType = SqlType::Array(&E::SQL_TYPE);
    const RUST_NAME: &'static str = "Vec<T>";

    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(BaseType::to_value).collect())
    }

    fn into_value(self) -> Value {
        Value::Array(self.into_iter().map(BaseType::into_value).collect())
    }

    fn equals_value(&self, value: &Value) -> bool {
        matches!(value, Value::Array(items) if items.len() == self.len()
            && self.iter().zip(items).all(|(e, v)| e.equals_value(v)))
    }

    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Array(items) => {
                items.iter().cloned().map(E::from_value).collect::<Result<Vec<E>, _>>().map_err(|_| Value::Array(items))
            }
            other => Err(other),
        }
    }

    fn decode_nullable<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Option<Self>, DecodeError> {
        let Some(items) = row.array(idx, E::SQL_TYPE)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|v| {
                E::from_value(v).map_err(|v| {
                    DecodeError::new("array".to_owned(), format!("the element {v:?} is not a {}", E::RUST_NAME))
                })
            })
            .collect::<Result<Vec<E>, _>>()
            .map(Some)
    }
}

/// `base_type!(T, SqlType, "name", read, ValueVariant, OtherVariant => conversion, ..)`,
/// where `read` is the [`ColumnSource`] method that reads a `T`; with a leading `@` and a
/// `same` function after the variant, that function decides whether a value is unchanged
/// (floats compare bit for bit, so that `0.0` -> `-0.0` is a change and an unchanged NaN
/// is not).
macro_rules! base_type {
    ($ty:ty, $sql:ident, $name:literal, $read:ident, $variant:ident $(, $other:ident => $conv:expr)*) => {
        base_type!(@ $ty, $sql, $name, $read, $variant, |a: &$ty, b: &$ty| a == b $(, $other => $conv)*);
    };
    (@ $ty:ty, $sql:ident, $name:literal, $read:ident, $variant:ident, $same:expr $(, $other:ident => $conv:expr)*) => {
        impl BaseType for $ty {
            const SQL_TYPE: SqlType = SqlType::$sql;
            const RUST_NAME: &'static str = $name;

            fn to_value(&self) -> Value {
                Value::$variant(self.clone())
            }

            fn into_value(self) -> Value {
                Value::$variant(self)
            }

            #[allow(clippy::redundant_closure_call)]
            fn equals_value(&self, value: &Value) -> bool {
                matches!(value, Value::$variant(v) if ($same)(v, self))
            }

            #[allow(clippy::redundant_closure_call)]
            #[inline]
            fn from_value(value: Value) -> Result<Self, Value> {
                match value {
                    Value::$variant(v) => Ok(v),
                    $(Value::$other(v) => ($conv)(v).ok_or(Value::$other(v)),)*
                    other => Err(other),
                }
            }

            #[inline(always)]
            fn decode_nullable<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Option<Self>, DecodeError> {
                row.$read(idx)
            }
        }
    };
}

base_type!(i16, SmallInt, "i16", i16, I16,
    I32 => |v: i32| i16::try_from(v).ok(), I64 => |v: i64| i16::try_from(v).ok());
base_type!(i32, Integer, "i32", i32, I32,
    I16 => |v: i16| Some(i32::from(v)), I64 => |v: i64| i32::try_from(v).ok());
base_type!(i64, BigInt, "i64", i64, I64,
    I16 => |v: i16| Some(i64::from(v)), I32 => |v: i32| Some(i64::from(v)));
base_type!(@ f32, Real, "f32", f32, F32, |a: &f32, b: &f32| a.to_bits() == b.to_bits());
base_type!(@ f64, Double, "f64", f64, F64, |a: &f64, b: &f64| a.to_bits() == b.to_bits(),
    F32 => |v: f32| Some(f64::from(v)));
base_type!(bool, Boolean, "bool", bool, Bool);
base_type!(String, Text, "String", string, Text);
base_type!(Vec<u8>, Bytes, "Vec<u8>", bytes, Bytes);
#[cfg(feature = "chrono")]
base_type!(chrono::NaiveDate, Date, "NaiveDate", date, Date);
#[cfg(feature = "chrono")]
base_type!(chrono::NaiveTime, Time, "NaiveTime", time, Time);
#[cfg(feature = "chrono")]
base_type!(chrono::NaiveDateTime, Timestamp, "NaiveDateTime", timestamp, Timestamp);
#[cfg(feature = "chrono")]
base_type!(chrono::DateTime<chrono::Utc>, TimestampTz, "DateTime<Utc>", timestamp_tz, TimestampTz);
#[cfg(feature = "uuid")]
base_type!(uuid::Uuid, Uuid, "Uuid", uuid, Uuid);
#[cfg(feature = "json")]
base_type!(serde_json::Value, Json, "serde_json::Value", json, Json);
#[cfg(feature = "decimal")]
base_type!(rust_decimal::Decimal, Decimal, "Decimal", decimal, Decimal);

/// A value that a filter may compare with a column of type `T`.
///
/// Implemented for `T` itself, `&T`, and `&str` for text columns, so that
/// `Program::NAME.eq("Bachelors in CS")` and `Program::ID.eq(3)` both compile while
/// `Program::ID.eq("3")` does not.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be compared with a column of type `{T}`",
    label = "expected a value of the column's type `{T}`"
)]
pub trait SqlArg<T> {
    /// Converts the argument for binding.
    fn into_value(self) -> Value;
}

impl<T: BaseType> SqlArg<T> for T {
    fn into_value(self) -> Value {
        BaseType::to_value(&self)
    }
}

impl<T: BaseType> SqlArg<T> for &T {
    fn into_value(self) -> Value {
        BaseType::to_value(self)
    }
}

impl SqlArg<String> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl SqlArg<Vec<u8>> for &[u8] {
    fn into_value(self) -> Value {
        Value::Bytes(self.to_vec())
    }
}

/// The type of a model's primary key: one column type or a tuple of them.
///
/// ```
/// use orm_core::{PrimaryKey, Value};
/// assert_eq!(3_i32.to_values(), vec![Value::I32(3)]);
/// assert_eq!((1_i32, "a".to_string()).to_values(), vec![Value::I32(1), Value::Text("a".into())]);
/// ```
pub trait PrimaryKey: Sized + Clone + 'static {
    /// The key's column values, in primary-key order.
    fn to_values(&self) -> Vec<Value>;
    /// Rebuilds the key from its column values.
    fn from_values(values: Vec<Value>) -> Option<Self>;
}

impl<T: BaseType> PrimaryKey for T {
    fn to_values(&self) -> Vec<Value> {
        vec![BaseType::to_value(self)]
    }

    fn from_values(values: Vec<Value>) -> Option<Self> {
        let [v]: [Value; 1] = values.try_into().ok()?;
        <T as BaseType>::from_value(v).ok()
    }
}

macro_rules! tuple_key {
    ($($t:ident $i:tt),+) => {
        impl<$($t: BaseType),+> PrimaryKey for ($($t,)+) {
            fn to_values(&self) -> Vec<Value> {
                vec![$(BaseType::to_value(&self.$i)),+]
            }

            fn from_values(values: Vec<Value>) -> Option<Self> {
                let mut it = values.into_iter();
                let key = ($(<$t as BaseType>::from_value(it.next()?).ok()?,)+);
                it.next().is_none().then_some(key)
            }
        }
    };
}

tuple_key!(A 0, B 1);
tuple_key!(A 0, B 1, C 2);
tuple_key!(A 0, B 1, C 2, D 3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_convert_within_range() {
        assert_eq!(<i32 as ColumnType>::from_value(Value::I64(7)), Ok(7));
        assert!(<i32 as ColumnType>::from_value(Value::I64(i64::MAX)).is_err());
        assert_eq!(<Option<i64> as ColumnType>::from_value(Value::Null), Ok(None));
        assert!(<String as ColumnType>::from_value(Value::I32(1)).is_err());
    }

    #[test]
    fn tuple_keys_round_trip() {
        let key = (1_i32, "x".to_string(), 2_i64);
        assert_eq!(PrimaryKey::from_values(key.to_values()), Some(key));
        assert_eq!(<(i32, i32)>::from_values(vec![Value::I32(1)]), None);
    }
}
