//! Typed column handles and the filter expressions built from them.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use crate::schema::types::{ArrayElement, BaseType, ColumnType, SqlArg};
use crate::sql::operand::{Node, Operand, SqlExpr, compare};
use crate::sql::projection::{Rows, Selection, ValueQuery};
use crate::sql::relationship::Related;
use crate::value::Value;

/// A typed handle on a model's column, generated per field: `Program::NAME` is a
/// `Column<Program, String>`. Comparing it with a value of another type does not compile.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String, years_of_study: i32 }
/// let cs = Program::NAME.eq("Bachelors in CS");
/// let long = Program::YEARS_OF_STUDY.ge(4);
/// let filter = cs.or(long).and(Program::ID.in_([1, 2, 3]));
/// # let _ = filter;
/// ```
pub struct Column<M, T> {
    table: &'static str,
    name: &'static str,
    index: usize,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M, T> fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.name)
    }
}

impl<M, T> Column<M, T> {
    /// Used by generated code.
    #[doc(hidden)]
    pub const fn new(table: &'static str, name: &'static str, index: usize) -> Self {
        Column { table, name, index, _marker: PhantomData }
    }

    /// The column of a table joined under another name ([`join_as`](crate::QueryBuilder::join_as)).
    pub const fn of(self, alias: &'static str) -> Column<M, T> {
        Column { table: alias, name: self.name, index: self.index, _marker: PhantomData }
    }

    /// The column's name in the database.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The table's name.
    pub fn table(&self) -> &'static str {
        self.table
    }

    /// The column's position in the model's table.
    pub fn index(&self) -> usize {
        self.index
    }
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Operand<T::Inner>) -> Expr {
            compare(Node::Column(self.reference()), CmpOp::$op, other.into_node())
        }
    )*};
}

impl<M, T: ColumnType> Column<M, T> {
    pub(crate) fn reference(&self) -> ColumnRef {
        ColumnRef { table: self.table, name: self.name, nullable: T::NULLABLE }
    }

    /// Ascending order: `ORDER BY column ASC` (NULLs last, on every backend).
    pub fn asc(self) -> OrderBy {
        OrderBy::new(Node::Column(self.reference()), false)
    }

    /// Descending order: `ORDER BY column DESC` (NULLs first, on every backend).
    pub fn desc(self) -> OrderBy {
        OrderBy::new(Node::Column(self.reference()), true)
    }

    /// The column read as an `Option` (`None` for NULL): a column on the NULL side of an
    /// outer join (`Course::query().left_join(Course::PROGRAM)
    /// .select((Course::TITLE, Program::NAME.nullable()))`).
    pub fn nullable(self) -> SqlExpr<Option<T::Inner>> {
        SqlExpr::new(Node::Column(self.reference()))
    }

    /// `column IS NULL`.
    pub fn is_null(self) -> Expr {
        Expr::IsNull { column: self.reference(), negated: false }
    }

    /// `column IS NOT NULL`.
    pub fn is_not_null(self) -> Expr {
        Expr::IsNull { column: self.reference(), negated: true }
    }

    comparisons! {
        /// `column = other`: a value (bound), another column or an expression of its type.
        eq => Eq,
        /// `column <> other`.
        ne => Ne,
        /// `column < other`.
        lt => Lt,
        /// `column <= other`.
        le => Le,
        /// `column > other`.
        gt => Gt,
        /// `column >= other`.
        ge => Ge,
    }

    /// `column BETWEEN low AND high` (both ends included).
    pub fn between(self, low: impl Operand<T::Inner>, high: impl Operand<T::Inner>) -> Expr {
        SqlExpr::<T>::new(Node::Column(self.reference())).between(low, high)
    }

    /// `column IN (SELECT ..)`: the values of another query's one column of this type:
    /// `Customer::ID.in_query(Order::query().filter(..).select(Order::CUSTOMER_ID))`.
    pub fn in_query<N, S>(self, query: Rows<N, S>) -> Expr
    where
        S: Selection,
        S::Output: ColumnType<Inner = T::Inner>,
    {
        Expr::InQuery { left: Node::Column(self.reference()), query: Box::new(query.into_subquery()), negated: false }
    }

    /// `column NOT IN (SELECT ..)`.
    pub fn not_in_query<N, S>(self, query: Rows<N, S>) -> Expr
    where
        S: Selection,
        S::Output: ColumnType<Inner = T::Inner>,
    {
        Expr::InQuery { left: Node::Column(self.reference()), query: Box::new(query.into_subquery()), negated: true }
    }

    /// The column as a typed expression, for [`cast`](SqlExpr::cast) and the like.
    pub fn expr(self) -> SqlExpr<T> {
        SqlExpr::new(Node::Column(self.reference()))
    }

    /// `column IN (values)`; on PostgreSQL `column = ANY($1)`, one statement for any count.
    pub fn in_<V: SqlArg<T::Inner>>(self, values: impl IntoIterator<Item = V>) -> Expr {
        Expr::In {
            column: self.reference(),
            values: values.into_iter().map(SqlArg::into_value).collect(),
            negated: false,
        }
    }

    /// `column NOT IN (values)`.
    pub fn not_in<V: SqlArg<T::Inner>>(self, values: impl IntoIterator<Item = V>) -> Expr {
        Expr::In {
            column: self.reference(),
            values: values.into_iter().map(SqlArg::into_value).collect(),
            negated: true,
        }
    }
}

impl<M, T: ColumnType<Inner = String>> Column<M, T> {
    /// `column LIKE pattern` (`%` any text, `_` one character, a backslash escapes either
    /// or itself; case-sensitive), the same on every backend.
    pub fn like(self, pattern: impl SqlArg<String>) -> Expr {
        Expr::Like { column: self.reference(), pattern: pattern.into_value(), case_insensitive: false }
    }

    /// `column ILIKE pattern`: like [`like`](Self::like), ignoring case.
    pub fn ilike(self, pattern: impl SqlArg<String>) -> Expr {
        Expr::Like { column: self.reference(), pattern: pattern.into_value(), case_insensitive: true }
    }
}

/// Column types whose values can contain others: JSON documents (`@>` on PostgreSQL,
/// the same test computed by SQLite) and arrays.
pub trait Contains {
    /// What a value of the column may contain: a JSON value for documents.
    type Part;
    /// The part as a bound value.
    #[doc(hidden)]
    fn part_value(part: Self::Part) -> Value;
}

#[cfg(feature = "json")]
impl Contains for serde_json::Value {
    type Part = serde_json::Value;
    fn part_value(part: serde_json::Value) -> Value {
        Value::Json(part)
    }
}

#[cfg(feature = "json")]
impl<T> Contains for crate::schema::json::Json<T> {
    type Part = serde_json::Value;
    fn part_value(part: serde_json::Value) -> Value {
        Value::Json(part)
    }
}

impl<E: ArrayElement> Contains for Vec<E> {
    type Part = Vec<E>;
    fn part_value(part: Vec<E>) -> Value {
        Value::Array(part.iter().map(BaseType::to_value).collect())
    }
}

impl<M, E: ArrayElement, T: ColumnType<Inner = Vec<E>>> Column<M, T> {
    /// `column && values`: the array column shares an element with `values`.
    pub fn overlaps(self, values: Vec<E>) -> Expr {
        Expr::Overlaps { column: self.reference(), values: Vec::<E>::part_value(values) }
    }

    /// `value = ANY(column)`: the array column has `value` among its elements.
    pub fn any(self, value: impl SqlArg<E>) -> Expr {
        Expr::AnyElement { column: self.reference(), value: value.into_value() }
    }
}

impl<M, T: ColumnType> Column<M, T>
where
    T::Inner: Contains,
{
    /// `column @> part`: the column's value contains `part` (a JSON document contains a
    /// sub-document: `{"sizes": [40]}` is in `{"color": "teal", "sizes": [38, 40]}`).
    pub fn contains(self, part: <T::Inner as Contains>::Part) -> Expr {
        let part = <T::Inner as Contains>::part_value(part);
        Expr::Contains { column: self.reference(), path: Vec::new(), part }
    }
}

#[cfg(feature = "json")]
impl<M, T: ColumnType> Column<M, T>
where
    T::Inner: crate::schema::json::JsonDocument,
{
    /// The value at key `key` of a JSON document column, for filters:
    /// `Shirt::SPECS.field("color").eq("teal")` (`specs ->> 'color' = 'teal'`);
    /// `.field(..)` again goes deeper.
    pub fn field(self, key: &str) -> DocumentPath {
        DocumentPath { column: self.reference(), path: vec![key.to_owned()] }
    }
}

/// A path into a JSON document column (from [`Column::field`]), compared as text or
/// tested for containment.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentPath {
    column: ColumnRef,
    path: Vec<String>,
}

macro_rules! path_comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self, text: impl SqlArg<String>) -> Expr {
            Expr::PathText { column: self.column, path: self.path, test: PathTest::Compare(CmpOp::$op, text.into_value()) }
        }
    )*};
}

impl DocumentPath {
    /// The value at key `key` below this one.
    #[must_use]
    pub fn field(mut self, key: &str) -> DocumentPath {
        self.path.push(key.to_owned());
        self
    }

    path_comparisons! {
        /// The value at the path, as text, equals `text` (`->>` / `#>>`).
        eq => Eq,
        /// The value at the path, as text, differs from `text`.
        ne => Ne,
        /// The value at the path, as text, sorts before `text`.
        lt => Lt,
        /// ... before or equal to `text`.
        le => Le,
        /// ... after `text`.
        gt => Gt,
        /// ... after or equal to `text`.
        ge => Ge,
    }

    /// The value at the path as a number, for numeric comparisons:
    /// `Book::EDITION.field("year").number().lt(1970)`.
    pub fn number(self) -> NumberPath {
        NumberPath { path: self }
    }

    /// No value at the path (the key is missing, or holds JSON null).
    pub fn is_null(self) -> Expr {
        Expr::PathText { column: self.column, path: self.path, test: PathTest::IsNull(false) }
    }

    /// A value at the path that is not JSON null.
    pub fn is_not_null(self) -> Expr {
        Expr::PathText { column: self.column, path: self.path, test: PathTest::IsNull(true) }
    }

    /// The sub-document at the path contains `part` (`#> path @> part`).
    #[cfg(feature = "json")]
    pub fn contains(self, part: serde_json::Value) -> Expr {
        Expr::Contains { column: self.column, path: self.path, part: Value::Json(part) }
    }
}

/// The number at a path of a JSON document (from [`DocumentPath::number`]); a value that
/// is not a number makes the comparison fail on PostgreSQL and compare as 0 on SQLite.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberPath {
    path: DocumentPath,
}

macro_rules! number_comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self, number: impl Into<f64>) -> Expr {
            let DocumentPath { column, path } = self.path;
            Expr::PathText { column, path, test: PathTest::Number(CmpOp::$op, number.into()) }
        }
    )*};
}

impl NumberPath {
    number_comparisons! {
        /// The number at the path equals `number`.
        eq => Eq,
        /// ... differs from `number`.
        ne => Ne,
        /// ... is less than `number`.
        lt => Lt,
        /// ... is at most `number`.
        le => Le,
        /// ... is greater than `number`.
        gt => Gt,
        /// ... is at least `number`.
        ge => Ge,
    }
}

/// What a filter on a path of a document tests.
#[derive(Debug, Clone, PartialEq)]
pub enum PathTest {
    /// The text at the path compared with a value.
    Compare(CmpOp, Value),
    /// The number at the path compared with a number.
    Number(CmpOp, f64),
    /// `IS NULL` (`false`) or `IS NOT NULL` (`true`).
    IsNull(bool),
}

/// A column named by table and column name, in rendered SQL.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRef {
    pub(crate) table: &'static str,
    pub(crate) name: &'static str,
    /// Whether the column's type takes NULL (`Option<T>`).
    pub(crate) nullable: bool,
}

impl ColumnRef {
    /// A NOT NULL column of `table` (keys, foreign keys the ORM reads itself).
    pub(crate) fn not_null(table: &'static str, name: &'static str) -> ColumnRef {
        ColumnRef { table, name, nullable: false }
    }
}

/// The same column, however it was reached.
impl PartialEq for ColumnRef {
    fn eq(&self, other: &ColumnRef) -> bool {
        self.table == other.table && self.name == other.name
    }
}

impl Eq for ColumnRef {}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => " = ",
            CmpOp::Ne => " <> ",
            CmpOp::Lt => " < ",
            CmpOp::Le => " <= ",
            CmpOp::Gt => " > ",
            CmpOp::Ge => " >= ",
        }
    }
}

/// A boolean SQL expression over columns and bound values, for `filter`.
///
/// Combine with `and`, `or`, `not` (or `&`, `|`, `!`).
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String, years_of_study: i32 }
/// let e = !(Program::NAME.like("Bachelors%") | Program::YEARS_OF_STUDY.lt(3));
/// # let _ = e;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// `column <op> value`.
    Compare {
        /// The column.
        column: ColumnRef,
        /// The operator.
        op: CmpOp,
        /// The bound value.
        value: Value,
    },
    /// `column [I]LIKE pattern`.
    Like {
        /// The column.
        column: ColumnRef,
        /// The bound pattern.
        pattern: Value,
        /// ILIKE instead of LIKE.
        case_insensitive: bool,
    },
    /// `column [NOT] IN (values)`.
    In {
        /// The column.
        column: ColumnRef,
        /// The bound values.
        values: Vec<Value>,
        /// NOT IN.
        negated: bool,
    },
    /// `column IS [NOT] NULL`.
    IsNull {
        /// The column.
        column: ColumnRef,
        /// IS NOT NULL.
        negated: bool,
    },
    /// All of the expressions.
    And(Vec<Expr>),
    /// Any of the expressions.
    Or(Vec<Expr>),
    /// The negation.
    Not(Box<Expr>),
    /// `column && values`: an array column shares an element with `values`.
    Overlaps {
        /// The column.
        column: ColumnRef,
        /// The bound array.
        values: Value,
    },
    /// `value = ANY(column)`: an array column has the element.
    AnyElement {
        /// The column.
        column: ColumnRef,
        /// The bound element.
        value: Value,
    },
    /// `left <op> right` over expressions (a column with a column, functions, arithmetic).
    Cmp {
        /// The left side.
        left: Node,
        /// The operator.
        op: CmpOp,
        /// The right side.
        right: Node,
    },
    /// `left [NOT] IN (SELECT ..)`.
    InQuery {
        /// The left side.
        left: Node,
        /// The subquery (one column).
        query: Box<ValueQuery>,
        /// NOT IN.
        negated: bool,
    },
    /// `[NOT] EXISTS (SELECT ..)` over any query (correlated or not).
    ExistsQuery {
        /// The subquery.
        query: Box<ValueQuery>,
        /// NOT EXISTS.
        negated: bool,
    },
    /// `left IS [NOT] DISTINCT FROM right` (`IS NOT` / `IS` on SQLite).
    Distinct {
        /// The left side.
        left: Node,
        /// The right side.
        right: Node,
        /// IS NOT DISTINCT FROM.
        negated: bool,
    },
    /// `expr IS [NOT] NULL` over an expression.
    NodeIsNull {
        /// The expression.
        node: Node,
        /// IS NOT NULL.
        negated: bool,
    },
    /// `column [#> path] @> part`: the value (at the path) contains `part`.
    Contains {
        /// The column.
        column: ColumnRef,
        /// Keys into a document; empty for the whole value.
        path: Vec<String>,
        /// The bound part.
        part: Value,
    },
    /// `(column #>> path) <test>`: the text at a path of a JSON document.
    PathText {
        /// The column.
        column: ColumnRef,
        /// Keys into the document.
        path: Vec<String>,
        /// The test.
        test: PathTest,
    },
    /// `[NOT] EXISTS (SELECT 1 FROM related WHERE <join condition> AND ..)`, from
    /// [`Relationship::any`](crate::Relationship::any) and friends.
    Exists {
        /// The relationship and the filter on the related rows.
        related: Related,
        /// NOT EXISTS.
        negated: bool,
    },
}

impl Expr {
    /// Both this and `other`.
    #[must_use]
    pub fn and(self, other: Expr) -> Expr {
        match self {
            Expr::And(mut all) => {
                all.push(other);
                Expr::And(all)
            }
            e => Expr::And(vec![e, other]),
        }
    }

    /// This or `other`.
    #[must_use]
    pub fn or(self, other: Expr) -> Expr {
        match self {
            Expr::Or(mut any) => {
                any.push(other);
                Expr::Or(any)
            }
            e => Expr::Or(vec![e, other]),
        }
    }

    /// The negation of this expression.
    #[must_use]
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// A table the expression names that `known` does not know (not in the query).
    pub(crate) fn unknown_table(&self, known: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        match self {
            // The common filters name one column: no list to gather.
            Expr::Compare { column, .. } | Expr::Like { column, .. } | Expr::In { column, .. } => {
                (!known(column.table)).then_some(column.table)
            }
            Expr::And(es) | Expr::Or(es) => es.iter().find_map(|e| e.unknown_table(known)),
            Expr::Not(e) => e.unknown_table(known),
            _ => {
                let mut tables = Vec::new();
                self.tables(&mut tables);
                tables.into_iter().find(|t| !known(t))
            }
        }
    }

    /// The tables whose columns the expression names (a subquery's own are its business;
    /// a relationship test names the table it starts from).
    pub(crate) fn tables(&self, out: &mut Vec<&'static str>) {
        match self {
            Expr::Compare { column, .. }
            | Expr::Like { column, .. }
            | Expr::In { column, .. }
            | Expr::IsNull { column, .. }
            | Expr::Contains { column, .. }
            | Expr::Overlaps { column, .. }
            | Expr::AnyElement { column, .. }
            | Expr::PathText { column, .. } => out.push(column.table),
            Expr::Cmp { left, right, .. } | Expr::Distinct { left, right, .. } => {
                left.tables(out);
                right.tables(out);
            }
            Expr::NodeIsNull { node, .. } | Expr::InQuery { left: node, .. } => node.tables(out),
            Expr::ExistsQuery { .. } => {}
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.tables(out)),
            Expr::Not(e) => e.tables(out),
            Expr::Exists { related, .. } => {
                if let Ok(path) = &related.path {
                    out.push(path.from().name);
                }
            }
        }
    }

    /// Whether the condition has an aggregate in it (`count(*) > 1`).
    pub(crate) fn has_aggregate(&self) -> bool {
        match self {
            Expr::Cmp { left, right, .. } | Expr::Distinct { left, right, .. } => {
                left.is_aggregate() || right.is_aggregate()
            }
            Expr::NodeIsNull { node, .. } | Expr::InQuery { left: node, .. } => node.is_aggregate(),
            Expr::And(es) | Expr::Or(es) => es.iter().any(Expr::has_aggregate),
            Expr::Not(e) => e.has_aggregate(),
            _ => false,
        }
    }

    /// Whether the expression's SQL text depends only on its shape (so it can be cached).
    pub(crate) fn cacheable(&self) -> bool {
        match self {
            Expr::Cmp { .. }
            | Expr::Distinct { .. }
            | Expr::NodeIsNull { .. }
            | Expr::InQuery { .. }
            | Expr::ExistsQuery { .. } => false,
            Expr::And(es) | Expr::Or(es) => es.iter().all(Expr::cacheable),
            Expr::Not(e) => e.cacheable(),
            Expr::Exists { related, .. } => related.filter.as_ref().is_none_or(|f| f.cacheable()),
            _ => true,
        }
    }

    /// The first problem an expression has (a relationship that cannot be resolved, a
    /// subquery that selects a column it neither groups nor aggregates).
    pub(crate) fn check(&self) -> crate::Result<()> {
        match self {
            Expr::Cmp { left, right, .. } | Expr::Distinct { left, right, .. } => {
                left.check_subqueries().and(right.check_subqueries())
            }
            Expr::NodeIsNull { node, .. } => node.check_subqueries(),
            Expr::InQuery { left, query, .. } => left.check_subqueries().and(query.check_nested()),
            Expr::ExistsQuery { query, .. } => query.check_nested(),
            Expr::And(es) | Expr::Or(es) => es.iter().try_for_each(Expr::check),
            Expr::Not(e) => e.check(),
            Expr::Exists { related, .. } => match &related.path {
                Ok(_) => related.filter.as_ref().map_or(Ok(()), |f| f.check()),
                Err(e) => Err(crate::Error::schema(e.clone())),
            },
            _ => Ok(()),
        }
    }
}

/// All of the expressions (`TRUE` when empty).
pub fn and(exprs: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::And(exprs.into_iter().collect())
}

/// Any of the expressions (`FALSE` when empty).
pub fn or(exprs: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Or(exprs.into_iter().collect())
}

/// The negation of an expression.
pub fn not(expr: Expr) -> Expr {
    Expr::Not(Box::new(expr))
}

impl BitAnd for Expr {
    type Output = Expr;
    fn bitand(self, rhs: Expr) -> Expr {
        self.and(rhs)
    }
}

impl BitOr for Expr {
    type Output = Expr;
    fn bitor(self, rhs: Expr) -> Expr {
        self.or(rhs)
    }
}

impl Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }
}

/// One `ORDER BY` term: a column or an expression, ascending or descending. A bare
/// column orders ascending; `Program::NAME.desc()`, `count_all().desc()`.
///
/// NULLs sort as PostgreSQL sorts them, on every backend: after every value in
/// ascending order, before them in descending order; [`nulls_first`](Self::nulls_first)
/// and [`nulls_last`](Self::nulls_last) say otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub(crate) node: Node,
    pub(crate) descending: bool,
    /// Where NULLs go when the user said so: `Some(true)` first, `Some(false)` last.
    pub(crate) nulls_first: Option<bool>,
}

impl OrderBy {
    pub(crate) fn new(node: Node, descending: bool) -> OrderBy {
        OrderBy { node, descending, nulls_first: None }
    }

    /// NULLs before every value (`NULLS FIRST`).
    #[must_use]
    pub fn nulls_first(mut self) -> OrderBy {
        self.nulls_first = Some(true);
        self
    }

    /// NULLs after every value (`NULLS LAST`).
    #[must_use]
    pub fn nulls_last(mut self) -> OrderBy {
        self.nulls_first = Some(false);
        self
    }

    /// Where NULLs go: as asked, else where PostgreSQL puts them (last ascending,
    /// first descending).
    pub(crate) fn puts_nulls_first(&self) -> bool {
        self.nulls_first.unwrap_or(self.descending)
    }
}

impl<M, T: ColumnType> From<Column<M, T>> for OrderBy {
    fn from(c: Column<M, T>) -> OrderBy {
        c.asc()
    }
}

impl<T> From<SqlExpr<T>> for OrderBy {
    fn from(e: SqlExpr<T>) -> OrderBy {
        OrderBy::new(e.node, false)
    }
}

impl<T> From<&SqlExpr<T>> for OrderBy {
    fn from(e: &SqlExpr<T>) -> OrderBy {
        OrderBy::new(e.node.clone(), false)
    }
}
