//! SQL functions over typed expressions: any function by name, the text functions,
//! `COALESCE`, `round`, aggregates (`count`, `sum`, `avg`, `min`, `max`), subquery tests
//! (`EXISTS`) and typed constants. Each is typed as SQL computes it, NULL included: a
//! function of a value that can be NULL can be NULL.

use crate::schema::types::{BaseType, ColumnType, SqlType};
use crate::sql::arithmetic::{Combined, Numeric, Term};
use crate::sql::expr::{Column, Expr};
use crate::sql::operand::{CastTo, IntoSqlExpr, Node, SqlExpr};
use crate::value::Value;

/// The current time, as a UTC timestamp.
#[cfg(feature = "chrono")]
pub fn now() -> SqlExpr<chrono::DateTime<chrono::Utc>> {
    SqlExpr::new(Node::Now)
}

/// An argument of [`function`]: a column, an expression, or a value.
pub trait FunctionArg {
    /// The argument as an expression node.
    #[doc(hidden)]
    fn arg_node(self) -> Node;
}

impl<M, T: ColumnType> FunctionArg for Column<M, T> {
    fn arg_node(self) -> Node {
        Node::Column(self.reference())
    }
}

impl<T> FunctionArg for SqlExpr<T> {
    fn arg_node(self) -> Node {
        self.node
    }
}

impl<T> FunctionArg for &SqlExpr<T> {
    fn arg_node(self) -> Node {
        self.node.clone()
    }
}

macro_rules! value_args {
    ($($ty:ty),*) => {$(
        impl FunctionArg for $ty {
            fn arg_node(self) -> Node {
                Node::Value(Value::from(self))
            }
        }
    )*};
}

value_args!(i16, i32, i64, f32, f64, bool, String, &str);

/// The arguments of [`function`]: one, or a tuple of up to four.
pub trait FunctionArgs {
    /// The argument nodes.
    #[doc(hidden)]
    fn arg_nodes(self) -> Vec<Node>;
}

impl<A: FunctionArg> FunctionArgs for A {
    fn arg_nodes(self) -> Vec<Node> {
        vec![self.arg_node()]
    }
}

macro_rules! function_args {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FunctionArg),+> FunctionArgs for ($($t,)+) {
            fn arg_nodes(self) -> Vec<Node> {
                vec![$(self.$i.arg_node()),+]
            }
        }
    };
}

function_args!(A 0, B 1);
function_args!(A 0, B 1, C 2);
function_args!(A 0, B 1, C 2, D 3);

/// Any SQL function by name, read back as `T`: `function::<String>("replace", (Item::SKU,
/// "-", ""))`. The name must be a plain identifier (checked before the query runs); the
/// arguments are bound or named columns.
pub fn function<T: ColumnType>(name: &'static str, args: impl FunctionArgs) -> SqlExpr<T> {
    SqlExpr::new(Node::Function { name, args: args.arg_nodes() })
}

/// `lower(text)`.
pub fn lower<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<T> {
    call("lower", text)
}

/// `upper(text)`.
pub fn upper<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<T> {
    call("upper", text)
}

/// `length(text)`: characters, as an `i64` (NULL where the text is).
pub fn length<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<T::Like<i64>> {
    SqlExpr::new(Node::Cast {
        node: Box::new(Node::Function { name: "length", args: vec![text.into_sql_expr().node] }),
        to: CastTo::Type(SqlType::BigInt),
    })
}

/// `a || b`: text joined, NULL where either is. Any text expression on either side:
/// `concat(Customer::NAME, " <")`, `concat(Order::ID.expr().cast::<Text>(), "/")`.
pub fn concat<T: ColumnType<Inner = String>, R: Term<String>>(a: impl IntoSqlExpr<T>, b: R) -> SqlExpr<Combined<T, R>> {
    SqlExpr::new(Node::Binary { left: Box::new(a.into_sql_expr().node), op: " || ", right: Box::new(b.into_node()) })
}

/// `COALESCE(expr, fallback)`: the value, or `fallback` where it is NULL; NULL-able only
/// when the fallback is.
pub fn coalesce<T: ColumnType, R: Term<T::Inner>>(expr: impl IntoSqlExpr<T>, fallback: R) -> SqlExpr<R::Output> {
    SqlExpr::new(Node::Function { name: "coalesce", args: vec![expr.into_sql_expr().node, fallback.into_node()] })
}

/// Numbers that [`round`] takes: floats and decimals.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be rounded to digits: round takes float or decimal expressions",
    label = "not a float or decimal"
)]
pub trait Roundable: BaseType {}
impl Roundable for f32 {}
impl Roundable for f64 {}
#[cfg(feature = "decimal")]
impl Roundable for rust_decimal::Decimal {}

/// `round(number, digits)`: rounded to `digits` decimal places (at most 30), halves away
/// from zero, the same on every backend (PostgreSQL rounds a float through NUMERIC,
/// since its `round` takes digits for NUMERIC only). NULL stays NULL.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::functions::{avg, round};
/// # #[derive(Model)] #[orm(table = "items")]
/// # struct Item { #[orm(primary_key)] id: i32, price: i64 }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Item::table()])?;
/// for price in [100, 200, 200] {
///     Item::new(price).insert(&engine)?;
/// }
/// let average = Item::query().select(round(avg(Item::PRICE), 2)).one(&engine)?;
/// assert_eq!(average, Some(166.67));
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn round<T: ColumnType>(number: impl IntoSqlExpr<T>, digits: u8) -> SqlExpr<T>
where
    T::Inner: Roundable,
{
    SqlExpr::new(Node::Round { node: Box::new(number.into_sql_expr().node), digits, to: T::SQL_TYPE })
}

fn call<T, U>(name: &'static str, arg: impl IntoSqlExpr<T>) -> SqlExpr<U> {
    SqlExpr::new(Node::Function { name, args: vec![arg.into_sql_expr().node] })
}

/// `EXISTS (SELECT ..)`: the query finds a row. Its filters may name the enclosing
/// query's columns (a correlated subquery):
/// `exists(Order::query().filter(Order::CUSTOMER_ID.eq(Customer::ID)).select(count_all()))`.
pub fn exists<M, S: crate::sql::projection::Selection>(query: crate::sql::projection::Rows<M, S>) -> Expr {
    Expr::ExistsQuery { query: Box::new(query.into_subquery()), negated: false }
}

/// `NOT EXISTS (SELECT ..)`.
pub fn not_exists<M, S: crate::sql::projection::Selection>(query: crate::sql::projection::Rows<M, S>) -> Expr {
    Expr::ExistsQuery { query: Box::new(query.into_subquery()), negated: true }
}

/// A value as an expression of its type (`CAST($1 AS INTEGER)`), to select a constant:
/// a recursive CTE's starting depth, `value(0)`.
pub fn value<T: BaseType>(v: T) -> SqlExpr<T> {
    SqlExpr::new(Node::Cast { node: Box::new(Node::Value(v.into_value())), to: CastTo::Type(T::SQL_TYPE) })
}

/// `count(*)`: the number of rows.
pub fn count_all() -> SqlExpr<i64> {
    SqlExpr::new(Node::Count { arg: None, distinct: false })
}

/// `count(expr)`: the number of rows where it is not NULL.
pub fn count<T>(expr: impl IntoSqlExpr<T>) -> SqlExpr<i64> {
    SqlExpr::new(Node::Count { arg: Some(Box::new(expr.into_sql_expr().node)), distinct: false })
}

/// `count(DISTINCT expr)`: the number of different values.
pub fn count_distinct<T>(expr: impl IntoSqlExpr<T>) -> SqlExpr<i64> {
    SqlExpr::new(Node::Count { arg: Some(Box::new(expr.into_sql_expr().node)), distinct: true })
}

/// How a sum reads back: integers as `i64` (PostgreSQL sums `bigint` into `numeric`; the
/// sum is cast back), floats as `f64`, decimals as decimals; `None` over no rows.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be summed: sum takes integer, float or decimal columns",
    label = "not a number"
)]
pub trait Summable {
    /// The sum's non-NULL type.
    type Sum: ColumnType;
}
impl Summable for i16 {
    type Sum = i64;
}
impl Summable for i32 {
    type Sum = i64;
}
impl Summable for i64 {
    type Sum = i64;
}
impl Summable for f32 {
    type Sum = f64;
}
impl Summable for f64 {
    type Sum = f64;
}
#[cfg(feature = "decimal")]
impl Summable for rust_decimal::Decimal {
    type Sum = rust_decimal::Decimal;
}

/// `sum(expr)`, `None` over no rows: `sum` of an `i32` column is an `Option<i64>`.
pub fn sum<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<<T::Inner as Summable>::Sum>>
where
    T::Inner: Summable,
    <T::Inner as Summable>::Sum: BaseType,
{
    let sum = Node::Function { name: "sum", args: vec![expr.into_sql_expr().node] };
    let to = CastTo::Type(<<T::Inner as Summable>::Sum as ColumnType>::SQL_TYPE);
    SqlExpr::new(Node::Cast { node: Box::new(sum), to })
}

/// `avg(expr)` as an `f64` (`None` over no rows), the same on every backend: PostgreSQL
/// averages integers and decimals as NUMERIC, which is cast to DOUBLE PRECISION; SQLite
/// averages as a REAL. Round it with [`round`]: `round(avg(Item::PRICE), 2)`.
pub fn avg<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<f64>>
where
    T::Inner: Numeric,
{
    let avg = Node::Function { name: "avg", args: vec![expr.into_sql_expr().node] };
    SqlExpr::new(Node::Cast { node: Box::new(avg), to: CastTo::Type(SqlType::Double) })
}

/// `min(expr)`, `None` over no rows.
pub fn min<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<T::Inner>>
where
    T::Inner: BaseType,
{
    call("min", expr)
}

/// `max(expr)`, `None` over no rows.
pub fn max<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<T::Inner>>
where
    T::Inner: BaseType,
{
    call("max", expr)
}
