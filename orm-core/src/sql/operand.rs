//! Typed SQL expressions beyond "a column compared with a value": columns compared with
//! columns, arithmetic, string functions, `COALESCE`, `CAST` and aggregates, each an
//! [`SqlExpr<T>`] whose `T` is the Rust type it reads back as.
//!
//! ```
//! use orm_core::prelude::*;
//! use orm_core::functions::{count, sum, lower};
//! # #[derive(Model)] #[orm(table = "items")]
//! # struct Item { #[orm(primary_key)] id: i32, sku: String, price: i64, quantity: i64, list_price: i64 }
//! let total = Item::PRICE * Item::QUANTITY;                 // SqlExpr<i64>
//! let discounted = Item::PRICE.lt(Item::LIST_PRICE);        // column against column
//! let by_sku = lower(Item::SKU).eq("tea-1");                // lower(items.sku) = $1
//! let revenue = sum(total);                                 // SqlExpr<Option<i64>>
//! let n = count(Item::ID);                                  // SqlExpr<i64>
//! # let _ = (discounted, by_sku, revenue, n);
//! ```

use std::marker::PhantomData;
use std::ops::{Add, Div, Mul, Sub};

use crate::schema::types::{BaseType, ColumnType, SqlType};
use crate::sql::expr::{CmpOp, Column, ColumnRef, Expr};
use crate::value::Value;

/// A node of an expression tree, rendered by `SqlWriter::node`.
#[derive(Debug, Clone, PartialEq)]
#[doc(hidden)]
pub enum Node {
    /// A column.
    Column(ColumnRef),
    /// A bound value.
    Value(Value),
    /// `left <op> right`, parenthesised.
    Binary { left: Box<Node>, op: &'static str, right: Box<Node> },
    /// `name(args)`.
    Function { name: &'static str, args: Vec<Node> },
    /// `count(*)`, `count(x)`, `count(DISTINCT x)`.
    Count { arg: Option<Box<Node>>, distinct: bool },
    /// `CAST(node AS type)`, with the dialect's name of the type.
    Cast { node: Box<Node>, to: SqlType },
    /// `(SELECT ..)`: a scalar subquery.
    Subquery(Box<crate::sql::projection::Subquery>),
}

impl Node {
    /// Whether the expression has an aggregate in it.
    pub(crate) fn is_aggregate(&self) -> bool {
        match self {
            Node::Count { .. } => true,
            Node::Function { name, args } => {
                matches!(*name, "sum" | "avg" | "min" | "max") || args.iter().any(Node::is_aggregate)
            }
            Node::Binary { left, right, .. } => left.is_aggregate() || right.is_aggregate(),
            Node::Cast { node, .. } => node.is_aggregate(),
            Node::Column(_) | Node::Value(_) | Node::Subquery(_) => false,
        }
    }

    /// The values bound by the node, in the order `SqlWriter::node` binds them.
    pub(crate) fn params(&self, out: &mut Vec<Value>) {
        match self {
            Node::Column(_) => {}
            Node::Value(v) => out.push(v.clone()),
            Node::Binary { left, right, .. } => {
                left.params(out);
                right.params(out);
            }
            Node::Function { args, .. } => args.iter().for_each(|a| a.params(out)),
            Node::Count { arg, .. } => {
                if let Some(a) = arg {
                    a.params(out);
                }
            }
            Node::Cast { node, .. } => node.params(out),
            Node::Subquery(sub) => sub.params(&crate::sql::dialect::POSTGRES, out),
        }
    }

    /// The subqueries in the expression, checked (their grouping).
    pub(crate) fn check_subqueries(&self) -> crate::error::Result<()> {
        match self {
            Node::Subquery(sub) => sub.check_nested(),
            Node::Binary { left, right, .. } => left.check_subqueries().and(right.check_subqueries()),
            Node::Function { args, .. } => args.iter().try_for_each(Node::check_subqueries),
            Node::Count { arg: Some(a), .. } => a.check_subqueries(),
            Node::Cast { node, .. } => node.check_subqueries(),
            _ => Ok(()),
        }
    }

    /// The tables whose columns the expression names.
    pub(crate) fn tables(&self, out: &mut Vec<&'static str>) {
        match self {
            Node::Column(c) => out.push(c.table),
            Node::Value(_) => {}
            Node::Binary { left, right, .. } => {
                left.tables(out);
                right.tables(out);
            }
            Node::Function { args, .. } => args.iter().for_each(|a| a.tables(out)),
            Node::Count { arg, .. } => {
                if let Some(a) = arg {
                    a.tables(out);
                }
            }
            Node::Cast { node, .. } => node.tables(out),
            // Its own tables are its business; a correlated one names the outer query's.
            Node::Subquery(_) => {}
        }
    }
}

/// A typed SQL expression that reads back as a `T`.
#[must_use]
pub struct SqlExpr<T> {
    pub(crate) node: Node,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for SqlExpr<T> {
    fn clone(&self) -> Self {
        SqlExpr::new(self.node.clone())
    }
}

impl<T> std::fmt::Debug for SqlExpr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

impl<T> SqlExpr<T> {
    pub(crate) fn new(node: Node) -> Self {
        SqlExpr { node, _type: PhantomData }
    }
}

/// What a typed expression of base type `T` can be compared or combined with: a value of
/// `T` (bound as a parameter), a column or an expression of `T`.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be compared with a column of type `{T}`",
    label = "expected a value, column or expression of the column's type `{T}`"
)]
pub trait Operand<T> {
    /// The operand as an expression node.
    #[doc(hidden)]
    fn into_node(self) -> Node;
}

impl<T: BaseType> Operand<T> for T {
    fn into_node(self) -> Node {
        Node::Value(BaseType::into_value(self))
    }
}

impl<T: BaseType> Operand<T> for &T {
    fn into_node(self) -> Node {
        Node::Value(BaseType::to_value(self))
    }
}

impl Operand<String> for &str {
    fn into_node(self) -> Node {
        Node::Value(Value::Text(self.to_owned()))
    }
}

impl Operand<Vec<u8>> for &[u8] {
    fn into_node(self) -> Node {
        Node::Value(Value::Bytes(self.to_vec()))
    }
}

impl<M, U: ColumnType> Operand<U::Inner> for Column<M, U> {
    fn into_node(self) -> Node {
        Node::Column(self.reference())
    }
}

impl<U: ColumnType> Operand<U::Inner> for SqlExpr<U> {
    fn into_node(self) -> Node {
        self.node
    }
}

/// A column or expression as a typed expression.
pub trait IntoSqlExpr<T> {
    /// The expression.
    fn into_sql_expr(self) -> SqlExpr<T>;
}

impl<M, T> IntoSqlExpr<T> for Column<M, T> {
    fn into_sql_expr(self) -> SqlExpr<T> {
        SqlExpr::new(Node::Column(self.reference()))
    }
}

impl<T> IntoSqlExpr<T> for SqlExpr<T> {
    fn into_sql_expr(self) -> SqlExpr<T> {
        self
    }
}

/// Comparisons of an expression with a value, column or expression of its type.
macro_rules! node_comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Operand<T::Inner>) -> Expr {
            compare(self.node, CmpOp::$op, other.into_node())
        }
    )*};
}

/// `left <op> right`: the cached form when the left side is a column and the right a value.
pub(crate) fn compare(left: Node, op: CmpOp, right: Node) -> Expr {
    match (left, right) {
        (Node::Column(column), Node::Value(value)) => Expr::Compare { column, op, value },
        (left, right) => Expr::Cmp { left, op, right },
    }
}

impl<T: ColumnType> SqlExpr<T> {
    node_comparisons! {
        /// `expr = other`.
        eq => Eq,
        /// `expr <> other`.
        ne => Ne,
        /// `expr < other`.
        lt => Lt,
        /// `expr <= other`.
        le => Le,
        /// `expr > other`.
        gt => Gt,
        /// `expr >= other`.
        ge => Ge,
    }

    /// `expr IS NULL`.
    pub fn is_null(self) -> Expr {
        Expr::NodeIsNull { node: self.node, negated: false }
    }

    /// `expr IS NOT NULL`.
    pub fn is_not_null(self) -> Expr {
        Expr::NodeIsNull { node: self.node, negated: true }
    }

    /// `expr BETWEEN low AND high`.
    pub fn between(self, low: impl Operand<T::Inner>, high: impl Operand<T::Inner>) -> Expr {
        let node = self.node;
        compare(node.clone(), CmpOp::Ge, low.into_node()).and(compare(node, CmpOp::Le, high.into_node()))
    }

    /// `CAST(expr AS type)`, read back as `U`: `cast::<f64>()`.
    pub fn cast<U: ColumnType>(self) -> SqlExpr<U> {
        SqlExpr::new(Node::Cast { node: Box::new(self.node), to: U::SQL_TYPE })
    }
}

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

macro_rules! arithmetic {
    ($($trait:ident $method:ident $op:literal),*) => {$(
        impl<T: ColumnType, R: Operand<T::Inner>> $trait<R> for SqlExpr<T>
        where
            T::Inner: Numeric,
        {
            type Output = SqlExpr<T>;
            fn $method(self, right: R) -> SqlExpr<T> {
                SqlExpr::new(Node::Binary { left: Box::new(self.node), op: $op, right: Box::new(right.into_node()) })
            }
        }

        impl<M, T: ColumnType, R: Operand<T::Inner>> $trait<R> for Column<M, T>
        where
            T::Inner: Numeric,
        {
            type Output = SqlExpr<T>;
            fn $method(self, right: R) -> SqlExpr<T> {
                self.into_sql_expr().$method(right)
            }
        }
    )*};
}

arithmetic!(Add add " + ", Sub sub " - ", Mul mul " * ", Div div " / ");

/// `lower(text)`.
pub fn lower<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<T> {
    function("lower", text)
}

/// `upper(text)`.
pub fn upper<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<T> {
    function("upper", text)
}

/// `length(text)`: characters, as an `i64`.
pub fn length<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<i64> {
    SqlExpr::new(Node::Cast {
        node: Box::new(Node::Function { name: "length", args: vec![text.into_sql_expr().node] }),
        to: SqlType::BigInt,
    })
}

/// `a || b`: text joined.
pub fn concat<T: ColumnType<Inner = String>>(a: impl IntoSqlExpr<T>, b: impl Operand<String>) -> SqlExpr<T> {
    SqlExpr::new(Node::Binary { left: Box::new(a.into_sql_expr().node), op: " || ", right: Box::new(b.into_node()) })
}

/// `COALESCE(expr, fallback)`: the value, or `fallback` where it is NULL.
pub fn coalesce<T: ColumnType>(expr: impl IntoSqlExpr<T>, fallback: impl Operand<T::Inner>) -> SqlExpr<T::Inner>
where
    T::Inner: ColumnType,
{
    SqlExpr::new(Node::Function { name: "coalesce", args: vec![expr.into_sql_expr().node, fallback.into_node()] })
}

fn function<T, U>(name: &'static str, arg: impl IntoSqlExpr<T>) -> SqlExpr<U> {
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
    SqlExpr::new(Node::Cast { node: Box::new(sum), to: <<T::Inner as Summable>::Sum as ColumnType>::SQL_TYPE })
}

/// `avg(expr)` as a float (`None` over no rows), the same on every backend.
pub fn avg<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<f64>>
where
    T::Inner: Numeric,
{
    let avg = Node::Function { name: "avg", args: vec![expr.into_sql_expr().node] };
    SqlExpr::new(Node::Cast { node: Box::new(avg), to: SqlType::Double })
}

/// `min(expr)`, `None` over no rows.
pub fn min<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<T::Inner>>
where
    T::Inner: BaseType,
{
    function("min", expr)
}

/// `max(expr)`, `None` over no rows.
pub fn max<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<T::Inner>>
where
    T::Inner: BaseType,
{
    function("max", expr)
}
