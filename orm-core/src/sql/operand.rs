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

use crate::schema::types::{BaseType, ColumnType, SqlType};
use crate::sql::dialect::Dialect;
use crate::sql::expr::{CmpOp, Column, ColumnRef, Expr, OrderBy};
use crate::sql::writer::SqlWriter;
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
    Cast { node: Box<Node>, to: CastTo },
    /// `round(node, digits)` of a number of type `to` (through NUMERIC on PostgreSQL).
    Round { node: Box<Node>, digits: u8, to: SqlType },
    /// A condition as a value (`price < $1`), TRUE or FALSE (or NULL).
    Condition(Box<Expr>),
    /// `(SELECT ..)`: a scalar subquery.
    Subquery(Box<crate::sql::projection::ValueQuery>),
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
            Node::Cast { node, .. } | Node::Round { node, .. } => node.is_aggregate(),
            Node::Case { whens, otherwise } => {
                whens.iter().any(|(_, n)| n.is_aggregate()) || otherwise.as_ref().is_some_and(|n| n.is_aggregate())
            }
            Node::Condition(e) => e.has_aggregate(),
            Node::Column(_) | Node::Value(_) | Node::Subquery(_) | Node::Now | Node::Window { .. } => false,
        }
    }

    /// Whether the node binds values when written (conservatively: subqueries, CASE and
    /// conditions are taken to).
    pub(crate) fn binds_values(&self) -> bool {
        match self {
            Node::Column(_) | Node::Now | Node::Count { arg: None, .. } => false,
            Node::Value(_) | Node::Round { .. } | Node::Subquery(_) | Node::Case { .. } | Node::Condition(_) => true,
            Node::Binary { left, right, .. } => left.binds_values() || right.binds_values(),
            Node::Function { args, .. } => args.iter().any(Node::binds_values),
            Node::Count { arg: Some(a), .. } => a.binds_values(),
            Node::Cast { node, .. } => node.binds_values(),
            Node::Window { func, partition, order } => {
                func.binds_values()
                    || partition.iter().any(Node::binds_values)
                    || order.iter().any(|o| o.node.binds_values())
            }
        }
    }

    /// The values bound by the node, in the order `SqlWriter::node` binds them.
    pub(crate) fn params(&self, dialect: &'static dyn Dialect, out: &mut Vec<Value>) {
        let mut w = SqlWriter::new(dialect);
        w.node(self);
        out.extend(w.finish().1);
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
            Node::Round { digits, .. } if *digits > MAX_ROUND_DIGITS => Err(crate::error::Error::invalid_state(
                format!("round() takes at most {MAX_ROUND_DIGITS} digits (SQLite's limit); {digits} were asked"),
            )),
            Node::Round { node, .. } => node.check_subqueries(),
            Node::Condition(e) => e.check(),
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
            Node::Cast { node, .. } | Node::Round { node, .. } => node.tables(out),
            Node::Condition(e) => e.tables(out),
            // Its own tables are its business; a correlated one names the outer query's.
            Node::Subquery(_) | Node::Now => {}
            Node::Window { func, partition, order } => {
                func.tables(out);
                partition.iter().chain(order.iter().map(|o| &o.node)).for_each(|n| n.tables(out));
            }
            Node::Case { whens, otherwise } => {
                for (cond, value) in whens {
                    cond.tables(out);
                    value.tables(out);
                }
                if let Some(o) = otherwise {
                    o.tables(out);
                }
            }
        }
    }
}

/// The most digits [`round`](crate::functions::round) keeps (SQLite rounds to no more).
pub(crate) const MAX_ROUND_DIGITS: u8 = 30;

/// The type a `CAST` converts to.
#[derive(Debug, Clone, Copy, PartialEq)]
#[doc(hidden)]
pub enum CastTo {
    /// The SQL type of a column type, as the dialect names it (`VARCHAR` for a `String`).
    Type(SqlType),
    /// `TEXT`.
    Text,
}

/// What [`SqlExpr::cast`] converts to: any column type (`cast::<f64>()`), or [`Text`].
pub trait CastTarget {
    /// The Rust type the cast reads back as.
    type Output: ColumnType;
    /// The SQL type.
    #[doc(hidden)]
    const TO: CastTo;
}

impl<U: ColumnType> CastTarget for U {
    type Output = U;
    const TO: CastTo = CastTo::Type(U::SQL_TYPE);
}

/// `TEXT`, as a cast's target: `Order::ID.expr().cast::<Text>()` reads a `String`
/// (`cast::<String>()` is `VARCHAR`, which is the same on PostgreSQL and SQLite).
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl CastTarget for Text {
    type Output = String;
    const TO: CastTo = CastTo::Text;
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
    /// The operand's own type, NULL-able or not (`Option<i64>` for a NULL-able column).
    type Type: ColumnType;
    /// The operand as an expression node.
    #[doc(hidden)]
    fn into_node(self) -> Node;
}

impl<T: BaseType> Operand<T> for T {
    type Type = T;
    fn into_node(self) -> Node {
        Node::Value(BaseType::into_value(self))
    }
}

impl<T: BaseType> Operand<T> for &T {
    type Type = T;
    fn into_node(self) -> Node {
        Node::Value(BaseType::to_value(self))
    }
}

impl Operand<String> for &str {
    type Type = String;
    fn into_node(self) -> Node {
        Node::Value(Value::Text(self.to_owned()))
    }
}

impl Operand<Vec<u8>> for &[u8] {
    type Type = Vec<u8>;
    fn into_node(self) -> Node {
        Node::Value(Value::Bytes(self.to_vec()))
    }
}

impl<M, U: ColumnType> Operand<U::Inner> for Column<M, U> {
    type Type = U;
    fn into_node(self) -> Node {
        Node::Column(self.reference())
    }
}

impl<U: ColumnType> Operand<U::Inner> for SqlExpr<U> {
    type Type = U;
    fn into_node(self) -> Node {
        self.node
    }
}

impl<U: ColumnType> Operand<U::Inner> for &SqlExpr<U> {
    type Type = U;
    fn into_node(self) -> Node {
        self.node.clone()
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

impl<T> IntoSqlExpr<T> for &SqlExpr<T> {
    fn into_sql_expr(self) -> SqlExpr<T> {
        self.clone()
    }
}

/// Comparisons of an expression with a value, column or expression of its type.
macro_rules! node_comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(&self, other: impl Operand<T::Inner>) -> Expr {
            compare(self.node.clone(), CmpOp::$op, other.into_node())
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
    pub fn is_null(&self) -> Expr {
        Expr::NodeIsNull { node: self.node.clone(), negated: false }
    }

    /// `expr IS NOT NULL`.
    pub fn is_not_null(&self) -> Expr {
        Expr::NodeIsNull { node: self.node.clone(), negated: true }
    }

    /// `expr BETWEEN low AND high`.
    pub fn between(&self, low: impl Operand<T::Inner>, high: impl Operand<T::Inner>) -> Expr {
        let node = &self.node;
        compare(node.clone(), CmpOp::Ge, low.into_node()).and(compare(node.clone(), CmpOp::Le, high.into_node()))
    }

    /// `CAST(expr AS type)`, read back as `U`: `cast::<f64>()`, `cast::<Text>()` for
    /// `TEXT`. NULL stays NULL: a NULL-able expression casts to an `Option`.
    pub fn cast<U: CastTarget>(self) -> SqlExpr<T::Like<U::Output>> {
        SqlExpr::new(Node::Cast { node: Box::new(self.node), to: U::TO })
    }

    /// The same expression, read as an `Option` (`None` for NULL): for a column on the
    /// NULL side of an outer join, or a value the database may leave NULL.
    pub fn nullable(self) -> SqlExpr<Option<T::Inner>> {
        SqlExpr::new(self.node)
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
    pub fn is_distinct_from(&self, other: impl Operand<T::Inner>) -> Expr {
        Expr::Distinct { left: self.node.clone(), right: other.into_node(), negated: false }
    }

    /// `expr IS NOT DISTINCT FROM other`: `=` with NULL as a value (`IS` on SQLite).
    pub fn is_not_distinct_from(&self, other: impl Operand<T::Inner>) -> Expr {
        Expr::Distinct { left: self.node.clone(), right: other.into_node(), negated: true }
    }
}

/// `CASE WHEN .. THEN .. END`, started by [`when`]: `N` is the type of its values so
/// far, NULL-able when one of them is.
#[must_use]
pub struct Case<N> {
    whens: Vec<(Expr, Node)>,
    _type: PhantomData<fn() -> N>,
}

/// `CASE WHEN cond THEN value`: add more with [`Case::when`], finish with
/// [`Case::otherwise`] (a value for every other row) or [`Case::end`] (NULL for them).
/// The CASE reads back as an `Option` when a value can be NULL.
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
pub fn when<T: BaseType, O: Operand<T>>(condition: Expr, then: O) -> Case<O::Type> {
    Case { whens: vec![(condition, then.into_node())], _type: PhantomData }
}

impl<N: ColumnType> Case<N> {
    /// Another `WHEN cond THEN value`.
    pub fn when<O: Operand<N::Inner>>(mut self, condition: Expr, then: O) -> Case<N::Like<O::Type>> {
        self.whens.push((condition, then.into_node()));
        Case { whens: self.whens, _type: PhantomData }
    }

    /// `ELSE value END`.
    pub fn otherwise<O: Operand<N::Inner>>(self, value: O) -> SqlExpr<N::Like<O::Type>> {
        SqlExpr::new(Node::Case { whens: self.whens, otherwise: Some(Box::new(value.into_node())) })
    }

    /// `END`: NULL where no condition holds.
    pub fn end(self) -> SqlExpr<Option<N::Inner>> {
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
    cast: Option<CastTo>,
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
