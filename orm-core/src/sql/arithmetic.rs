//! Arithmetic over typed expressions, typed as SQL computes it: integers of different
//! widths widen (`i32 * i64` is an `i64`), an integer with a double is a double, and
//! the result can be NULL when either side can (`Option<i64> + i64` is an
//! `Option<i64>`). A value on the left works too (`30000 - Product::PRICE`).
//!
//! ```
//! use orm_core::prelude::*;
//! use orm_core::functions::value;
//! # #[derive(Model)] #[orm(table = "lines")]
//! # struct Line { #[orm(primary_key)] id: i32, quantity: i32, price: i64, discount: Option<i64> }
//! let total = Line::QUANTITY * Line::PRICE;           // SqlExpr<i64>: INTEGER * BIGINT
//! let net = Line::PRICE - Line::DISCOUNT;             // SqlExpr<Option<i64>>
//! let left = 30000 - Line::PRICE;                     // SqlExpr<i64>, 30000 bound as BIGINT
//! let also = value(30000) - Line::PRICE;              // the same, as an expression first
//! # let _ = (total, net, left, also);
//! ```

use std::ops::{Add, Div, Mul, Sub};

use crate::schema::types::{BaseType, ColumnType};
use crate::sql::expr::Column;
use crate::sql::operand::{IntoSqlExpr, Node, SqlExpr};
use crate::value::Value;

/// Number types that arithmetic applies to.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a number: arithmetic and averages take integer, float or decimal columns",
    label = "not a number"
)]
pub trait Numeric {}
macro_rules! numeric {
    ($($ty:ty),*) => {$( impl Numeric for $ty {} )*};
}
numeric!(i16, i32, i64, f32, f64);
#[cfg(feature = "decimal")]
impl Numeric for rust_decimal::Decimal {}

/// The type SQL gives an expression over a `Self` and an `R`: `Self` with itself, the
/// wider integer of two (`i16`, `i32`, `i64`), a double with an integer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` and `{R}` do not combine in SQL without a cast",
    label = "cast one side first: `.cast::<{Self}>()`"
)]
pub trait Widen<R> {
    /// The combined type.
    type Output: BaseType;
}

impl<T: BaseType> Widen<T> for T {
    type Output = T;
}

macro_rules! widen {
    ($($a:ty, $b:ty => $out:ty;)*) => {$(
        impl Widen<$b> for $a {
            type Output = $out;
        }
    )*};
}

widen! {
    i16, i32 => i32; i32, i16 => i32;
    i16, i64 => i64; i64, i16 => i64;
    i32, i64 => i64; i64, i32 => i64;
    i16, f64 => f64; f64, i16 => f64;
    i32, f64 => f64; f64, i32 => f64;
    i64, f64 => f64; f64, i64 => f64;
}

/// The right side of an expression whose left side has the base type `L`: a value of
/// `L` (bound as a parameter), or a column or expression of a type that combines with
/// `L` (see [`Widen`]). `Output` is the expression's type: the combined base, NULL-able
/// where the right side is.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be combined with an expression of type `{L}`",
    label = "expected a value of type `{L}`, or a column or expression of a type that combines with it"
)]
pub trait Term<L> {
    /// The type of the right side, widened to what it combines into.
    type Output: ColumnType;
    /// The operand as an expression node.
    #[doc(hidden)]
    fn into_node(self) -> Node;
}

impl<L: BaseType> Term<L> for L {
    type Output = L;
    fn into_node(self) -> Node {
        Node::Value(BaseType::into_value(self))
    }
}

impl Term<String> for &str {
    type Output = String;
    fn into_node(self) -> Node {
        Node::Value(Value::Text(self.to_owned()))
    }
}

impl<L, M, U: ColumnType> Term<L> for Column<M, U>
where
    L: Widen<U::Inner>,
{
    type Output = U::Like<<L as Widen<U::Inner>>::Output>;
    fn into_node(self) -> Node {
        Node::Column(self.reference())
    }
}

impl<L, U: ColumnType> Term<L> for SqlExpr<U>
where
    L: Widen<U::Inner>,
{
    type Output = U::Like<<L as Widen<U::Inner>>::Output>;
    fn into_node(self) -> Node {
        self.node
    }
}

impl<L, U: ColumnType> Term<L> for &SqlExpr<U>
where
    L: Widen<U::Inner>,
{
    type Output = U::Like<<L as Widen<U::Inner>>::Output>;
    fn into_node(self) -> Node {
        self.node.clone()
    }
}

/// The type of `left <op> right`: the combined type, NULL-able where either side is.
pub type Combined<T, R> = <T as ColumnType>::Like<<R as Term<<T as ColumnType>::Inner>>::Output>;

fn binary(left: Node, op: &'static str, right: Node) -> Node {
    Node::Binary { left: Box::new(left), op, right: Box::new(right) }
}

macro_rules! arithmetic {
    ($($trait:ident $method:ident $op:literal),*) => {$(
        impl<T: ColumnType, R: Term<T::Inner>> $trait<R> for SqlExpr<T>
        where
            T::Inner: Numeric,
        {
            type Output = SqlExpr<Combined<T, R>>;
            fn $method(self, right: R) -> Self::Output {
                SqlExpr::new(binary(self.node, $op, right.into_node()))
            }
        }

        impl<T: ColumnType, R: Term<T::Inner>> $trait<R> for &SqlExpr<T>
        where
            T::Inner: Numeric,
        {
            type Output = SqlExpr<Combined<T, R>>;
            fn $method(self, right: R) -> Self::Output {
                SqlExpr::new(binary(self.node.clone(), $op, right.into_node()))
            }
        }

        impl<M, T: ColumnType, R: Term<T::Inner>> $trait<R> for Column<M, T>
        where
            T::Inner: Numeric,
        {
            type Output = SqlExpr<Combined<T, R>>;
            fn $method(self, right: R) -> Self::Output {
                self.into_sql_expr().$method(right)
            }
        }

        // A value on the left: `30000 - Product::PRICE`. Only `i64` and `f64` take one,
        // so that a literal's type is known at once (an integer is bound as BIGINT, which
        // is what SQL makes of it with any narrower integer).
        left_value!($trait $method $op i64);
        left_value!($trait $method $op f64);
    )*};
}

macro_rules! left_value {
    ($trait:ident $method:ident $op:literal $value:ty) => {
        impl<U: ColumnType> $trait<SqlExpr<U>> for $value
        where
            $value: Widen<U::Inner>,
        {
            type Output = SqlExpr<U::Like<<$value as Widen<U::Inner>>::Output>>;
            fn $method(self, right: SqlExpr<U>) -> Self::Output {
                SqlExpr::new(binary(Node::Value(BaseType::into_value(self)), $op, right.node))
            }
        }

        impl<M, U: ColumnType> $trait<Column<M, U>> for $value
        where
            $value: Widen<U::Inner>,
        {
            type Output = SqlExpr<U::Like<<$value as Widen<U::Inner>>::Output>>;
            fn $method(self, right: Column<M, U>) -> Self::Output {
                SqlExpr::new(binary(Node::Value(BaseType::into_value(self)), $op, Node::Column(right.reference())))
            }
        }
    };
}

arithmetic!(Add add " + ", Sub sub " - ", Mul mul " * ", Div div " / ");
