//! The [`Model`] trait that `#[derive(Model)]` implements.

use crate::error::Result;
use crate::schema::decode::ColumnSource;
use crate::schema::fields::PendingVisitor;
use crate::schema::table::TableDef;
use crate::schema::types::PrimaryKey;
use crate::value::Value;

/// A struct mapped to a table. Implement it with `#[derive(Model)]`, not by hand.
///
/// ```
/// use orm_core::prelude::*;
///
/// #[derive(Model, Debug)]
/// #[orm(table = "programs")]
/// struct Program {
///     #[orm(primary_key)]
///     id: i32,
///     name: String,
///     years_of_study: i32,
/// }
///
/// let p = Program::new("Bachelors in CS", 3);
/// assert_eq!(p.id, 0); // assigned by the database on insert
/// assert_eq!(p.column_value(1), orm_core::Value::from("Bachelors in CS"));
/// ```
pub trait Model: Sized + 'static {
    /// The primary key's type: a column type, or a tuple for composite keys.
    type PrimaryKey: PrimaryKey;

    /// The table's metadata.
    const TABLE: &'static TableDef;

    /// The table's name (`TABLE.name`, as a constant that other models' metadata can use).
    #[doc(hidden)]
    const TABLE_NAME: &'static str;

    /// The name of the (first) primary-key column.
    #[doc(hidden)]
    const KEY_COLUMN: &'static str;

    /// The primary key of this object.
    fn primary_key(&self) -> Self::PrimaryKey;

    /// Builds an object from the columns `offset..offset + TABLE.columns.len()` of a row
    /// (an [`orm_core::Row`](crate::Row) of a query).
    fn from_row<R: ColumnSource + ?Sized>(row: &R, offset: usize) -> Result<Self>;

    /// The value of the `column`-th column (in `TABLE.columns` order).
    fn column_value(&self, column: usize) -> Value;

    /// Sets the `column`-th column from a value of the column's type.
    fn set_column_value(&mut self, column: usize, value: Value) -> Result<()>;

    /// Whether the `column`-th column holds `value` (compared without copying).
    #[doc(hidden)]
    fn column_equals(&self, column: usize, value: &Value) -> bool {
        self.column_value(column) == *value
    }

    /// Moves the `column`-th column's value out, leaving the type's default; the unit of
    /// work binds it without a copy and puts it back with `set_column_value`.
    #[doc(hidden)]
    fn take_column_value(&mut self, column: usize) -> Value {
        self.column_value(column)
    }

    /// Replaces every column field with `other`'s, keeping relationship and skipped
    /// fields (a clean object refreshed by a query). Generated without clones.
    #[doc(hidden)]
    fn assign_columns(&mut self, other: Self) {
        for i in 0..Self::TABLE.columns.len() {
            let _ = self.set_column_value(i, other.column_value(i));
        }
    }

    /// Fills the model's table's loader slot with what the session needs of it, then
    /// does the same for the models its relationships lead to (generated, `#[inline]`:
    /// nothing of it is compiled until the session meets the model; each model calls the
    /// next one's, so a long chain of related models nests no generic code).
    #[doc(hidden)]
    fn learn_models() {}

    /// Whether the model declares [`Hooks`](crate::Hooks) (`#[orm(hooks)]`).
    #[doc(hidden)]
    const HAS_HOOKS: bool = false;

    /// Runs the model's [`Hooks`](crate::Hooks) before a write (generated with
    /// `#[orm(hooks)]`).
    #[doc(hidden)]
    fn __before_write(&mut self, inserting: bool) -> Result<()> {
        let _ = inserting;
        Ok(())
    }

    /// Hands the objects pushed into the struct's relationship fields to `visitor`, taking
    /// them out (generated).
    #[doc(hidden)]
    fn take_pending_children<V: PendingVisitor>(&mut self, visitor: &mut V) {
        let _ = visitor;
    }
}
