//! Traits and `const fn`s the code of `#[derive(Model)]` uses to check one model against
//! another at compile time (a foreign key names a column of the right type, a `has_one`
//! names a unique one, a `many_to_many` target has a one-column key). Not a public API.

use crate::error::{Error, Result};
use crate::schema::model::Model;
use crate::schema::types::{BaseType, SqlType};

/// What a backref accessor returns: the parent for a NOT NULL foreign key, an
/// `Option` of it for a NULL-able one.
#[doc(hidden)]
pub trait ForeignKeyField {
    type Parent<P>;
    fn wrap<P>(parent: Option<P>, describe: impl FnOnce() -> String) -> Result<Self::Parent<P>>;
}

impl<T: BaseType> ForeignKeyField for T {
    type Parent<P> = P;
    fn wrap<P>(parent: Option<P>, describe: impl FnOnce() -> String) -> Result<P> {
        parent.ok_or_else(|| Error::not_found(describe()))
    }
}

impl<T: BaseType> ForeignKeyField for Option<T> {
    type Parent<P> = Option<P>;
    fn wrap<P>(parent: Option<P>, _: impl FnOnce() -> String) -> Result<Option<P>> {
        Ok(parent)
    }
}

/// The type of a model's column, looked up by the hash of the column's name: lets the
/// derive of one model check the foreign key it names on another.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no column with the name given in this relationship's `foreign_key`",
    label = "no such foreign-key column on `{Self}`",
    note = "`foreign_key = \"...\"` must name a column of the child model"
)]
pub trait ColumnNamed<const NAME_HASH: u64> {
    type Type;
}

/// A primary key of one column, which an association table can reference.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a many_to_many needs a one-column primary key, and `{Self}` is not one",
    label = "the related model's primary key has several columns",
    note = "map the association as a model of its own with two has_many instead"
)]
pub trait SingleColumnKey {
    const SQL_TYPE: SqlType;
    const RUST_NAME: &'static str;
}

impl<T: BaseType> SingleColumnKey for T {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const RUST_NAME: &'static str = T::RUST_NAME;
}

/// The SQL type of `M`'s primary key, for an association table's column (generated code).
#[doc(hidden)]
pub const fn key_sql_type<M: Model>() -> SqlType
where
    M::PrimaryKey: SingleColumnKey,
{
    <M::PrimaryKey as SingleColumnKey>::SQL_TYPE
}

/// The Rust type name of `M`'s primary key (generated code).
#[doc(hidden)]
pub const fn key_rust_type<M: Model>() -> &'static str
where
    M::PrimaryKey: SingleColumnKey,
{
    <M::PrimaryKey as SingleColumnKey>::RUST_NAME
}

/// `M`'s table name (generated code).
#[doc(hidden)]
pub const fn table_name<M: Model>() -> &'static str {
    M::TABLE_NAME
}

/// The name of `M`'s (first) primary-key column (generated code).
#[doc(hidden)]
pub const fn key_column<M: Model>() -> &'static str {
    M::KEY_COLUMN
}

/// A column that holds no value twice (UNIQUE, or the whole primary key), looked up by
/// the hash of its name: a `has_one` needs one as its foreign key.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no unique column with the name given in this has_one's `foreign_key`",
    label = "a has_one needs a unique foreign key on `{Self}`",
    note = "mark the foreign-key field #[orm(unique)], or use has_many for several children"
)]
pub trait UniqueColumn<const NAME_HASH: u64> {}

/// A foreign-key column type that can hold the parent's key type `K`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the foreign key has type `{Self}`, which cannot hold the parent's primary key `{K}`",
    label = "foreign key type does not match the parent's key",
    note = "give the foreign-key field the parent key's type, or an Option of it"
)]
pub trait ForeignKeyOf<K> {}

impl<K: BaseType> ForeignKeyOf<K> for K {}
impl<K: BaseType> ForeignKeyOf<K> for Option<K> {}

/// FNV-1a of a column name, shared by the derive and [`ColumnNamed`].
#[doc(hidden)]
pub const fn name_hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}
