//! Types of your own in columns: a [`MappedType`] is stored as one of the built-in column
//! types ([`BaseType`]) and converted on the way in and out. `#[derive(ColumnType)]`
//! writes the mapping for newtypes and fieldless enums; anything else implements the
//! trait by hand (see the money example on [`MappedType`]).

use crate::schema::decode::{ColumnSource, DecodeError};
use crate::schema::types::{BaseType, SqlType};
use crate::value::Value;

/// A Rust type stored as a built-in column type.
///
/// Implement it, and the type can be a model field (`Option<T>` for a NULL-able column),
/// a primary or foreign key, and a filter argument (`Product::PRICE.ge(Money::cents(100))`);
/// dirty checks compare its stored form. `from_stored` refuses values the type cannot
/// hold; the error names the column and says why.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::MappedType;
///
/// /// An amount of money, stored in cents as a BIGINT.
/// #[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
/// pub struct Money { cents: i64 }
///
/// impl MappedType for Money {
///     type Stored = i64;
///     const RUST_NAME: &'static str = "Money";
///     fn to_stored(&self) -> i64 { self.cents }
///     fn from_stored(cents: i64) -> Result<Money, String> {
///         if cents < 0 { return Err(format!("{cents} cents: a price cannot be negative")); }
///         Ok(Money { cents })
///     }
/// }
///
/// #[derive(Model)]
/// struct Product {
///     #[orm(primary_key)]
///     id: i32,
///     price: Money,
/// }
///
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Product::table()])?;
/// let mut session = engine.session();
/// session.add(Product::new(Money { cents: 1999 }));
/// session.commit()?;
/// let cheap = session.query::<Product>().filter(Product::PRICE.lt(Money { cents: 2000 })).all()?;
/// assert_eq!(cheap[0].get().price.cents, 1999);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub trait MappedType: Sized + Clone + Default + 'static {
    /// The built-in type the value is stored as (`i64`, `String`, `Decimal`, ...).
    type Stored: BaseType;
    /// The type's name, for messages.
    const RUST_NAME: &'static str;
    /// The column's SQL type; the stored type's by default. `#[derive(ColumnType)]` on an
    /// enum sets [`SqlType::Enum`].
    const SQL_TYPE: SqlType = <Self::Stored as BaseType>::SQL_TYPE;

    /// The value to store.
    fn to_stored(&self) -> Self::Stored;

    /// The value to store, taking `self` (override to avoid a copy).
    fn into_stored(self) -> Self::Stored {
        self.to_stored()
    }

    /// The value read from the database, or why it cannot be one of these.
    fn from_stored(stored: Self::Stored) -> Result<Self, String>;
}

impl<T: MappedType> BaseType for T {
    const SQL_TYPE: SqlType = <T as MappedType>::SQL_TYPE;
    const RUST_NAME: &'static str = <T as MappedType>::RUST_NAME;

    fn to_value(&self) -> Value {
        BaseType::into_value(self.to_stored())
    }

    fn into_value(self) -> Value {
        BaseType::into_value(self.into_stored())
    }

    fn equals_value(&self, value: &Value) -> bool {
        BaseType::equals_value(&self.to_stored(), value)
    }

    fn from_value(value: Value) -> Result<Self, Value> {
        let stored = <T::Stored as BaseType>::from_value(value)?;
        T::from_stored(stored.clone()).map_err(|_| BaseType::into_value(stored))
    }

    fn decode_nullable<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Option<Self>, DecodeError> {
        match <T::Stored as BaseType>::decode_nullable(row, idx)? {
            None => Ok(None),
            Some(stored) => T::from_stored(stored).map(Some).map_err(|why| {
                DecodeError::new(
                    <T::Stored as BaseType>::RUST_NAME.to_owned(),
                    format!("not a {}: {why}", T::RUST_NAME),
                )
            }),
        }
    }
}

/// The values of a fieldless enum mapped by `#[derive(ColumnType)]`: stored as text, kept
/// to the labels by a `CHECK (column IN (..))`, or, with `#[orm(pg_enum = "name")]`, as a
/// PostgreSQL `ENUM` type that `create_all` creates before the tables and `drop_all`
/// drops after them.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EnumDef {
    /// The Rust enum's name.
    pub rust_name: &'static str,
    /// The PostgreSQL type's name, for the native form.
    pub pg_type: Option<&'static str>,
    /// The stored labels, in declaration order.
    pub labels: &'static [&'static str],
}

impl EnumDef {
    /// `'a', 'b'`: the labels as SQL string literals, for DDL.
    pub(crate) fn label_list(&self) -> String {
        let quoted: Vec<String> = self.labels.iter().map(|l| format!("'{}'", l.replace('\'', "''"))).collect();
        quoted.join(", ")
    }
}
