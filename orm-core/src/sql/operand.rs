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
use crate::sql::expr::{CmpOp, Column, ColumnRef, Expr, OrderBy};
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
    /// `CASE WHEN cond THEN value .. [ELSE value] END`.
    Case { whens: Vec<(Expr, Node)>, otherwise: Option<Box<Node>> },
    /// The current time (`now()`; SQLite: the same instant as text in the ORM's format).
    Now,
    /// `func OVER (PARTITION BY .. ORDER BY ..)`: a window function.
    Window { func: Box<Node>, partition: Vec<Node>, order: Vec<OrderBy> },
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
            Node::Case { whens, otherwise } => {
                whens.iter().any(|(_, n)| n.is_aggregate()) || otherwise.as_ref().is_some_and(|n| n.is_aggregate())
            }
            Node::Column(_) | Node::Value(_) | Node::Subquery(_) | Node::Now | Node::Window { .. } => false,
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
            Node::Case { whens, otherwise } => {
                for (cond, value) in whens {
                    crate::sql::cache::expr_params(cond, &crate::sql::dialect::POSTGRES, out);
                    value.params(out);
                }
                if let Some(o) = otherwise {
                    o.params(out);
                }
            }
            Node::Now => {}
            Node::Window { func, partition, order } => {
                func.params(out);
                partition.iter().for_each(|p| p.params(out));
                order.iter().for_each(|o| o.node.params(out));
            }
        }
    }

    /// The subqueries in the expression, checked (their grouping).
    pub(crate) fn check_subqueries(&self) -> crate::error::Result<()> {
        match self {
            Node::Subquery(sub) => sub.check_nested(),
            Node::Function { name, .. } if !is_function_name(name) => Err(crate::error::Error::invalid_state(format!(
                "`{name}` is not a function name (letters, digits and `_`, optionally `schema.`); \
                 name a SQL function"
            ))),
            Node::Case { whens, otherwise } => {
                for (cond, value) in whens {
                    cond.check()?;
                    value.check_subqueries()?;
                }
                otherwise.as_ref().map_or(Ok(()), |o| o.check_subqueries())
            }
            Node::Window { func, partition, order } => {
                func.check_subqueries()?;
                partition.iter().chain(order.iter().map(|o| &o.node)).try_for_each(Node::check_subqueries)
            }
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
            Node::Subquery(_) | Node::Now => {}
            Node::Window { func, partition, order } => {
                func.tables(out);
                partition.iter().chain(order.iter().map(|o| &o.node)).for_each(|n| n.tables(out));
            }
            Node::Case { whens, otherwise } => {
                for (cond, value) in whens {
                    if let Some(t) = cond.unknown_table(&|_| false) {
                        out.push(t);
                    }
                    value.tables(out);
                }
                if let Some(o) = otherwise {
                    o.tables(out);
                }
            }
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

impl<M, T: ColumnType> IntoSqlExpr<T> for Column<M, T> {
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

/// Whether `name` can be written as a function's name: `lower`, `date_trunc`,
/// `public.my_fn`.
fn is_function_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

impl<T: ColumnType> SqlExpr<T> {
    /// `expr IS DISTINCT FROM other`: `<>` with NULL as a value (`IS NOT` on SQLite).
    pub fn is_distinct_from(self, other: impl Operand<T::Inner>) -> Expr {
        Expr::Distinct { left: self.node, right: other.into_node(), negated: false }
    }

    /// `expr IS NOT DISTINCT FROM other`: `=` with NULL as a value (`IS` on SQLite).
    pub fn is_not_distinct_from(self, other: impl Operand<T::Inner>) -> Expr {
        Expr::Distinct { left: self.node, right: other.into_node(), negated: true }
    }
}

/// `CASE WHEN .. THEN .. END`, started by [`when`].
#[must_use]
pub struct Case<T> {
    whens: Vec<(Expr, Node)>,
    _type: PhantomData<fn() -> T>,
}

/// `CASE WHEN cond THEN value`: add more with [`Case::when`], finish with
/// [`Case::otherwise`] (a value for every other row) or [`Case::end`] (NULL for them).
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::functions::when;
/// # #[derive(Model)] #[orm(table = "items")]
/// # struct Item { #[orm(primary_key)] id: i32, price: i64 }
/// let band = when(Item::PRICE.lt(500), "cheap").when(Item::PRICE.lt(1000), "fair").otherwise("dear");
/// let rows = Item::query().select((Item::ID, band));
/// # let _ = rows;
/// ```
pub fn when<T: BaseType>(condition: Expr, then: impl Operand<T>) -> Case<T> {
    Case { whens: vec![(condition, then.into_node())], _type: PhantomData }
}

impl<T: BaseType> Case<T> {
    /// Another `WHEN cond THEN value`.
    pub fn when(mut self, condition: Expr, then: impl Operand<T>) -> Case<T> {
        self.whens.push((condition, then.into_node()));
        self
    }

    /// `ELSE value END`.
    pub fn otherwise(self, value: impl Operand<T>) -> SqlExpr<T> {
        SqlExpr::new(Node::Case { whens: self.whens, otherwise: Some(Box::new(value.into_node())) })
    }

    /// `END`: NULL where no condition holds.
    pub fn end(self) -> SqlExpr<Option<T>> {
        SqlExpr::new(Node::Case { whens: self.whens, otherwise: None })
    }
}

/// A window function being built: `row_number().partition_by(..).order_by(..)`, or an
/// aggregate over a window, `sum(Item::PRICE).over().partition_by(Item::CATEGORY)`.
/// Select it like any expression.
#[must_use]
pub struct Over<T> {
    func: Node,
    partition: Vec<Node>,
    order: Vec<OrderBy>,
    /// The type an aggregate is cast back to (`sum`, `avg`), around the window.
    cast: Option<SqlType>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Over<T> {
    /// `PARTITION BY expr` (call again for several).
    pub fn partition_by<U>(mut self, by: impl IntoSqlExpr<U>) -> Self {
        self.partition.push(by.into_sql_expr().node);
        self
    }

    /// `ORDER BY ..` inside the window: a column or an expression (`Item::PRICE.desc()`,
    /// `sum(Item::PRICE).desc()` over groups); call again for more terms.
    pub fn order_by(mut self, order: impl Into<OrderBy>) -> Self {
        self.order.push(order.into());
        self
    }

    /// The window function as an expression.
    pub fn expr(self) -> SqlExpr<T> {
        let window = Node::Window { func: Box::new(self.func), partition: self.partition, order: self.order };
        match self.cast {
            Some(to) => SqlExpr::new(Node::Cast { node: Box::new(window), to }),
            None => SqlExpr::new(window),
        }
    }
}

impl<T> IntoSqlExpr<T> for Over<T> {
    fn into_sql_expr(self) -> SqlExpr<T> {
        self.expr()
    }
}

impl<T> SqlExpr<T> {
    /// This aggregate over a window of rows instead of a group: `sum(..).over()`.
    pub fn over(self) -> Over<T> {
        let (func, cast) = match self.node {
            Node::Cast { node, to } => (*node, Some(to)),
            node => (node, None),
        };
        Over { func, partition: Vec::new(), order: Vec::new(), cast, _type: PhantomData }
    }
}

fn window<T>(name: &'static str) -> Over<T> {
    Over {
        func: Node::Function { name, args: Vec::new() },
        partition: Vec::new(),
        order: Vec::new(),
        cast: None,
        _type: PhantomData,
    }
}

/// `row_number() OVER (..)`: 1, 2, 3, .. in the window's order.
pub fn row_number() -> Over<i64> {
    window("row_number")
}

/// `rank() OVER (..)`: ties share a rank, the next rank skips.
pub fn rank() -> Over<i64> {
    window("rank")
}

/// `dense_rank() OVER (..)`: ties share a rank, no gaps.
pub fn dense_rank() -> Over<i64> {
    window("dense_rank")
}

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
    call("lower", text)
}

/// `upper(text)`.
pub fn upper<T: ColumnType<Inner = String>>(text: impl IntoSqlExpr<T>) -> SqlExpr<T> {
    call("upper", text)
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
    SqlExpr::new(Node::Cast { node: Box::new(Node::Value(v.into_value())), to: T::SQL_TYPE })
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
    call("min", expr)
}

/// `max(expr)`, `None` over no rows.
pub fn max<T: ColumnType>(expr: impl IntoSqlExpr<T>) -> SqlExpr<Option<T::Inner>>
where
    T::Inner: BaseType,
{
    call("max", expr)
}
