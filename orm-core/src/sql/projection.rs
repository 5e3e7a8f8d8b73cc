//! Queries that return values instead of whole objects: columns and expressions as typed
//! tuples (`(String, String)`, `(String, i64)`), with `GROUP BY` and `HAVING`.
//!
//! ```
//! use orm_core::prelude::*;
//! use orm_core::functions::{avg, count_all};
//! # #[derive(Model)] #[orm(table = "products")]
//! # struct Product { #[orm(primary_key)] id: i32, category: String, price: i64 }
//! let engine = Engine::connect("sqlite::memory:")?;
//! engine.create_all(&[Product::table()])?;
//! for (category, price) in [("tea", 400), ("tea", 600), ("cake", 1200)] {
//!     Product::new(category, price).insert(&engine)?;
//! }
//! let per_category: Vec<(String, i64, Option<f64>)> = Product::query()
//!     .select((Product::CATEGORY, count_all(), avg(Product::PRICE)))
//!     .group_by(Product::CATEGORY)
//!     .having(count_all().gt(1))
//!     .all(&engine)?;
//! assert_eq!(per_category, [("tea".to_owned(), 2, Some(500.0))]);
//! # Ok::<(), orm_core::Error>(())
//! ```

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::schema::decode::ColumnSource;
use crate::schema::types::ColumnType;
use crate::sql::cte::cte_column;
use crate::sql::dialect::Dialect;
use crate::sql::expr::{Column, Expr, OrderBy};
use crate::sql::operand::{IntoSqlExpr, Node, SqlExpr};
use crate::sql::query::{Query, QueryBuilder};
use crate::sql::select::Select;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// One selected column or expression, read back as `Output`.
pub trait SelectItem {
    /// The Rust type it reads back as.
    type Output: ColumnType;
    /// The expression.
    #[doc(hidden)]
    fn node(self) -> Node;
    /// Reads column `idx` of a row.
    #[doc(hidden)]
    fn decode<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Self::Output> {
        let output = <Self::Output as ColumnType>::decode(row, idx);
        output.map_err(|e| e.into_error("query", &format!("column {}", idx + 1), Self::Output::RUST_NAME))
    }
}

impl<T: ColumnType> SelectItem for SqlExpr<T> {
    type Output = T;
    fn node(self) -> Node {
        self.node
    }
}

impl<T: ColumnType> SelectItem for &SqlExpr<T> {
    type Output = T;
    fn node(self) -> Node {
        self.node.clone()
    }
}

/// A condition as a value: `Customer::CITY.is_null()`, `Product::ID.le(60)` read as a
/// `bool`. A condition that can be NULL (over a NULL-able column) is refused unless read
/// with [`Expr::nullable`] as an `Option<bool>`.
impl SelectItem for Expr {
    type Output = bool;
    fn node(self) -> Node {
        Node::Condition(Box::new(self))
    }
}

impl Expr {
    /// The condition as a value that can be NULL (`Option<bool>`): TRUE, FALSE, or NULL
    /// where SQL cannot tell (a comparison with NULL).
    pub fn nullable(self) -> SqlExpr<Option<bool>> {
        SqlExpr::new(Node::Condition(Box::new(self)))
    }

    /// The condition as a typed value, to group or compute with.
    pub fn value(self) -> SqlExpr<bool> {
        SqlExpr::new(Node::Condition(Box::new(self)))
    }
}

impl<T: ColumnType> SelectItem for crate::sql::operand::Over<T> {
    type Output = T;
    fn node(self) -> Node {
        self.expr().node
    }
}

impl<M, T: ColumnType> SelectItem for Column<M, T> {
    type Output = T;
    fn node(self) -> Node {
        self.into_sql_expr().node
    }
}

/// What a query selects: one item or a tuple of up to sixteen.
pub trait Selection {
    /// A row's values: one item's type, or a tuple of them.
    type Output;
    /// The columns of a [`Cte`](crate::sql::cte::Cte) of this selection, typed alike.
    type Columns;
    /// The columns of the CTE `name` that selects this.
    #[doc(hidden)]
    fn columns(name: &'static str) -> Self::Columns;
    /// The selected expressions, in order.
    #[doc(hidden)]
    fn nodes(self) -> Vec<Node>;
    /// Whether each selected value's type takes NULL, in order.
    #[doc(hidden)]
    fn nullable() -> Vec<bool>;
    /// Reads a row's values, from its column `first` on.
    #[doc(hidden)]
    fn decode_from<R: ColumnSource + ?Sized>(row: &R, first: usize) -> Result<Self::Output>;
    /// Reads a row.
    #[doc(hidden)]
    fn decode<R: ColumnSource + ?Sized>(row: &R) -> Result<Self::Output> {
        Self::decode_from(row, 0)
    }
}

/// One item alone: its value, not a tuple of one.
impl<I: SelectItem> Selection for I {
    type Output = I::Output;
    type Columns = SqlExpr<I::Output>;
    fn columns(name: &'static str) -> Self::Columns {
        cte_column(name, 0)
    }
    fn nodes(self) -> Vec<Node> {
        vec![self.node()]
    }
    fn nullable() -> Vec<bool> {
        vec![<I::Output as ColumnType>::NULLABLE]
    }
    fn decode_from<R: ColumnSource + ?Sized>(row: &R, first: usize) -> Result<I::Output> {
        I::decode(row, first)
    }
}

macro_rules! tuple_selection {
    ($($t:ident $i:tt),+) => {
        impl<$($t: SelectItem),+> Selection for ($($t,)+) {
            type Output = ($($t::Output,)+);
            type Columns = ($(SqlExpr<$t::Output>,)+);
            fn columns(name: &'static str) -> Self::Columns {
                ($(cte_column(name, $i),)+)
            }
            fn nodes(self) -> Vec<Node> {
                vec![$(self.$i.node()),+]
            }
            fn nullable() -> Vec<bool> {
                vec![$(<$t::Output as ColumnType>::NULLABLE),+]
            }
            fn decode_from<R: ColumnSource + ?Sized>(row: &R, first: usize) -> Result<Self::Output> {
                Ok(($($t::decode(row, first + $i)?,)+))
            }
        }
    };
}

tuple_selection!(A 0);
tuple_selection!(A 0, B 1);
tuple_selection!(A 0, B 1, C 2);
tuple_selection!(A 0, B 1, C 2, D 3);
tuple_selection!(A 0, B 1, C 2, D 3, E 4);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, N 12);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, N 12, O 13);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, N 12, O 13, P 14);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, N 12, O 13, P 14, Q 15);

/// A struct built from a value query's rows: `#[derive(FromRow)]` on a struct whose
/// fields, in order, have the selected values' types; then
/// [`Rows::all_as`](crate::Rows::all_as) reads it.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::functions::count_all;
/// # #[derive(Model)] #[orm(table = "products")]
/// # struct Product { #[orm(primary_key)] id: i32, category: String }
/// #[derive(FromRow, Debug, PartialEq)]
/// struct PerCategory {
///     category: String,
///     products: i64,
/// }
///
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Product::table()])?;
/// Product::new("tea").insert(&engine)?;
/// let counts: Vec<PerCategory> = Product::query()
///     .select((Product::CATEGORY, count_all()))
///     .group_by(Product::CATEGORY)
///     .all_as(&engine)?;
/// assert_eq!(counts, [PerCategory { category: "tea".into(), products: 1 }]);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub trait FromRow: Sized {
    /// The selected values, as a tuple.
    type Values;
    /// The struct from one row's values.
    fn from_values(values: Self::Values) -> Self;
}

/// An `ORDER BY` term over an expression: the same as [`OrderBy`], by its older name.
pub type ExprOrder = OrderBy;

impl<T> SqlExpr<T> {
    /// Ascending order by this expression (NULLs last, on every backend).
    pub fn asc(&self) -> OrderBy {
        OrderBy::new(self.node.clone(), false)
    }

    /// Descending order by this expression: `.order_by(count_all().desc())` (NULLs
    /// first, on every backend).
    pub fn desc(&self) -> OrderBy {
        OrderBy::new(self.node.clone(), true)
    }
}

/// A SELECT of values, untyped: what [`Rows`] runs, and what a subquery embeds.
#[derive(Debug, Clone, PartialEq)]
#[doc(hidden)]
pub struct ValueQuery {
    pub(crate) select: Select,
    pub(crate) items: Vec<Node>,
    /// Whether each item is read into a type that takes NULL.
    pub(crate) nullable: Vec<bool>,
    pub(crate) group_by: Vec<Node>,
    pub(crate) having: Vec<Expr>,
    pub(crate) distinct: bool,
    /// `DISTINCT ON (..)` (PostgreSQL).
    pub(crate) distinct_on: Vec<Node>,
    /// `UNION [ALL] | INTERSECT | EXCEPT` and the queries they add.
    pub(crate) compounds: Vec<(SetOp, ValueQuery)>,
}

/// How a compound query combines its parts.
#[derive(Debug, Clone, Copy, PartialEq)]
#[doc(hidden)]
pub enum SetOp {
    Union,
    UnionAll,
    Intersect,
    Except,
}

impl SetOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            SetOp::Union => " UNION ",
            SetOp::UnionAll => " UNION ALL ",
            SetOp::Intersect => " INTERSECT ",
            SetOp::Except => " EXCEPT ",
        }
    }
}

impl ValueQuery {
    /// Every selected expression is aggregated or grouped by, when the query aggregates.
    fn check_grouping(&self) -> Result<()> {
        let aggregates = self.items.iter().any(Node::is_aggregate) || !self.group_by.is_empty();
        if !aggregates {
            return Ok(());
        }
        for item in &self.items {
            // A window function over groups is the database's to check (its arguments and
            // order must be grouped).
            let free = matches!(item, Node::Value(_) | Node::Window { .. })
                || matches!(item, Node::Cast { node, .. } if matches!(**node, Node::Window { .. }));
            if !item.is_aggregate() && !self.group_by.contains(item) && !free {
                let mut w = SqlWriter::new(&crate::sql::dialect::POSTGRES);
                w.node(item);
                let (text, _) = w.finish();
                return Err(Error::invalid_state(format!(
                    "`{text}` is selected but neither grouped nor aggregated; add it to group_by(..) \
                     or select an aggregate of it (count, sum, min, ..)"
                )));
            }
        }
        Ok(())
    }

    /// What must hold before the query is rendered: its grouping, the tables its
    /// expressions name (`outer`: those of an enclosing query, for a correlated
    /// subquery), its locks.
    pub(crate) fn check(&self, outer: &[&'static str]) -> Result<()> {
        self.check_grouping()?;
        self.check_items()?;
        self.check_compounds()?;
        self.check_nulls()?;
        let mut tables: Vec<&'static str> = Vec::new();
        for node in self.items.iter().chain(&self.group_by).chain(self.select.order.iter().map(|o| &o.node)) {
            node.tables(&mut tables);
        }
        self.select.check_projection(&self.items, &self.group_by, &self.having, &tables, outer)
    }

    /// The checks of a query used inside another: its grouping (the tables it names may
    /// be the enclosing query's; the database resolves them).
    pub(crate) fn check_nested(&self) -> Result<()> {
        self.check_grouping()?;
        self.check_items()
    }

    /// A compound query's parts are plain SELECTs (SQLite takes no order or limit inside
    /// one); the whole is ordered by selected expressions only (the result's columns), and
    /// every part is checked.
    fn check_compounds(&self) -> Result<()> {
        if self.compounds.is_empty() {
            return Ok(());
        }
        let ordered =
            |q: &ValueQuery| !q.select.order.is_empty() || q.select.limit.is_some() || q.select.offset.is_some();
        let with_cte = |q: &ValueQuery| q.select.named_sources().any(|n| !n.inline);
        if self.compounds.iter().any(|(_, q)| ordered(q) || !q.compounds.is_empty() || with_cte(q)) {
            return Err(Error::unsupported(
                "the added parts of a UNION / INTERSECT / EXCEPT take no order_by, limit, offset or CTE \
                 (they apply to the whole: put them on the first query)",
            ));
        }
        if !self.select.order.iter().all(|o| self.items.contains(&o.node)) {
            return Err(Error::unsupported(
                "a UNION / INTERSECT / EXCEPT is ordered by the columns it returns: order by expressions \
                 that the query selects",
            ));
        }
        self.compounds.iter().try_for_each(|(_, q)| q.check(&[]))
    }

    /// No item that can be NULL is read into a type that cannot hold NULL: what types
    /// cannot see (a column on the NULL side of an outer join, a condition over a NULL-able
    /// column) is refused here, before the database.
    fn check_nulls(&self) -> Result<()> {
        let outer = self.select.outer_names();
        let on_null_side = |t: &str| outer.contains(&t);
        for (item, _) in self.items.iter().zip(&self.nullable).filter(|(_, nullable)| !**nullable) {
            if !item.may_be_null(&on_null_side) {
                continue;
            }
            let mut tables = Vec::new();
            item.tables(&mut tables);
            let why = match tables.iter().find(|t| on_null_side(t)) {
                Some(t) => format!("`{t}` is on the NULL side of an outer join"),
                None => "it is computed from a NULL-able value".to_owned(),
            };
            let mut w = SqlWriter::new(&crate::sql::dialect::POSTGRES);
            w.node(item);
            let (text, _) = w.finish();
            return Err(Error::invalid_state(format!(
                "`{text}` can be NULL ({why}) but is read into a type without NULL; select it with \
                 .nullable() to read an Option, or give it a value for NULL with coalesce(..)"
            )));
        }
        Ok(())
    }

    /// The expressions' own checks (function names, nested subqueries, CASE conditions).
    fn check_items(&self) -> Result<()> {
        for node in self.items.iter().chain(&self.group_by).chain(self.select.order.iter().map(|o| &o.node)) {
            node.check_subqueries()?;
        }
        self.having.iter().try_for_each(Expr::check)
    }

    /// The parameters the query binds, in order.
    pub(crate) fn params(&self, dialect: &'static dyn Dialect, out: &mut Vec<Value>) {
        let mut w = SqlWriter::new(dialect);
        self.write(&mut w);
        out.extend(w.finish().1);
    }

    /// The SELECT's text, into `w` (checked before with [`check`](Self::check)).
    pub(crate) fn write(&self, w: &mut SqlWriter) {
        self.select.write_projection(w, self, false);
    }

    fn render(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.check(&[])?;
        self.select.check_dialect(dialect)?;
        if !self.distinct_on.is_empty() && !dialect.distinct_on() {
            return Err(Error::unsupported(format!(
                "{} has no DISTINCT ON; pick the rows with a window (row_number().partition_by(..)) instead",
                dialect.name()
            )));
        }
        let mut w = SqlWriter::new(dialect);
        self.write(&mut w);
        Ok(w.finish())
    }
}

/// A query of `M`'s table that returns the values `S` selects (from [`Query::select`]):
/// run it on an engine or connection ([`all`](Self::all)) or in a session
/// ([`Session::rows`](crate::Session::rows)), or use it as a subquery
/// ([`Column::in_query`](crate::Column::in_query), [`exists`](crate::functions::exists),
/// [`as_value`](Self::as_value)).
#[must_use]
pub struct Rows<M, S: Selection> {
    pub(crate) query: ValueQuery,
    _types: PhantomData<fn() -> (M, S)>,
}

impl<M, S: Selection> Clone for Rows<M, S> {
    fn clone(&self) -> Self {
        Rows { query: self.query.clone(), _types: PhantomData }
    }
}

impl<M, S: Selection> QueryBuilder for Rows<M, S> {
    fn select_mut(&mut self) -> &mut Select {
        &mut self.query.select
    }
}

impl<M> Query<M> {
    /// Selects columns and expressions instead of whole rows:
    /// `Course::query().join(Course::PROGRAM).select((Course::TITLE, Program::NAME))`
    /// reads `(String, String)` rows.
    pub fn select<S: Selection>(self, selection: S) -> Rows<M, S> {
        Rows {
            query: ValueQuery {
                select: self.select,
                nullable: S::nullable(),
                items: selection.nodes(),
                group_by: Vec::new(),
                having: Vec::new(),
                distinct: false,
                distinct_on: Vec::new(),
                compounds: Vec::new(),
            },
            _types: PhantomData,
        }
    }
}

impl<M, S: Selection> Rows<M, S> {
    /// Groups the rows by a column or expression (call again for several).
    pub fn group_by<T>(mut self, by: impl IntoSqlExpr<T>) -> Self {
        self.query.group_by.push(by.into_sql_expr().node);
        self
    }

    /// Keeps the groups where `expr` holds: `.having(count_all().gt(10))`.
    pub fn having(mut self, expr: Expr) -> Self {
        self.query.having.push(expr);
        self
    }

    /// Orders the rows by an expression: the same as
    /// [`order_by`](crate::QueryBuilder::order_by), which takes expressions too. Terms
    /// keep the order of the calls, whichever of the two made them.
    pub fn order_by_expr(mut self, order: impl Into<OrderBy>) -> Self {
        self.query.select.order.push(order.into());
        self
    }

    /// Each different row once (`SELECT DISTINCT`).
    pub fn distinct(mut self) -> Self {
        self.query.distinct = true;
        self
    }

    fn compound<N, T: Selection<Output = S::Output>>(mut self, op: SetOp, other: Rows<N, T>) -> Self {
        self.query.compounds.push((op, other.query));
        self
    }

    /// `UNION`: the rows of both queries, each different row once. The other query
    /// selects values of the same types, from any table.
    pub fn union<N, T: Selection<Output = S::Output>>(self, other: Rows<N, T>) -> Self {
        self.compound(SetOp::Union, other)
    }

    /// `UNION ALL`: the rows of both queries, repeats kept.
    pub fn union_all<N, T: Selection<Output = S::Output>>(self, other: Rows<N, T>) -> Self {
        self.compound(SetOp::UnionAll, other)
    }

    /// `INTERSECT`: the rows both queries return.
    pub fn intersect<N, T: Selection<Output = S::Output>>(self, other: Rows<N, T>) -> Self {
        self.compound(SetOp::Intersect, other)
    }

    /// `EXCEPT`: the rows of this query that the other does not return.
    pub fn except<N, T: Selection<Output = S::Output>>(self, other: Rows<N, T>) -> Self {
        self.compound(SetOp::Except, other)
    }

    /// One row per different value of `on` (`DISTINCT ON (..)`, PostgreSQL; SQLite
    /// refuses it): the first row of each in the query's order, which starts with `on`:
    /// the latest reading per sensor is `.distinct_on(Reading::SENSOR)` ordered by sensor,
    /// then time descending.
    pub fn distinct_on<T>(mut self, on: impl IntoSqlExpr<T>) -> Self {
        self.query.distinct_on.push(on.into_sql_expr().node);
        self
    }

    /// The query as a value in another one (a scalar subquery: one column, at most one
    /// row), NULL when it finds no row, so an `Option`:
    /// `Item::PRICE.gt(Item::query().select(max(Item::PRICE)).as_value())`.
    pub fn as_value(self) -> SqlExpr<Option<<S::Output as ColumnType>::Inner>>
    where
        S::Output: ColumnType,
    {
        SqlExpr::new(Node::Subquery(Box::new(self.query)))
    }

    /// The SQL text and parameters this query sends, for inspection.
    pub fn to_sql(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.render(dialect)
    }

    /// Reads one row.
    pub(crate) fn decode<R: ColumnSource + ?Sized>(row: &R) -> Result<S::Output> {
        S::decode(row)
    }

    pub(crate) fn render(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.query.render(dialect)
    }

    /// The query as a subquery node.
    pub(crate) fn into_subquery(self) -> ValueQuery {
        self.query
    }
}
