//! What a SELECT reads from: a model's table (under an alias, for a second copy of it),
//! or a query with a name (a common table expression, or a subquery in FROM), and the
//! joins that bring in more of them, inner or outer, in the order they were asked for.
//!
//! ```
//! use orm_core::prelude::*;
//! use orm_core::functions::count;
//! # #[derive(Model)] #[orm(table = "customers")]
//! # struct Customer { #[orm(primary_key)] id: i32, name: String,
//! #   #[orm(has_many(Order, foreign_key = "customer_id", backref = "customer"))] orders: HasMany<Order> }
//! # #[derive(Model)] #[orm(table = "orders")]
//! # struct Order { #[orm(primary_key)] id: i32, customer_id: i32, total: i64 }
//! let engine = Engine::connect("sqlite::memory:")?;
//! engine.create_all(&[Customer::table(), Order::table()])?;
//! Customer::new("Ann").insert(&engine)?;
//! Customer::new("Bob").insert(&engine)?;
//! Order::new(1, 500).insert(&engine)?;
//! // Every customer, with or without orders: a LEFT JOIN; the orders' side can be NULL.
//! let orders: Vec<(String, i64, Option<i64>)> = Customer::query()
//!     .left_join(Customer::ORDERS)
//!     .select((Customer::NAME, count(Order::ID), Order::TOTAL.nullable()))
//!     .group_by(Customer::NAME)
//!     .group_by(Order::TOTAL)
//!     .order_by(Customer::NAME)
//!     .all(&engine)?;
//! assert_eq!(orders, [("Ann".to_owned(), 1, Some(500)), ("Bob".to_owned(), 0, None)]);
//! # Ok::<(), orm_core::Error>(())
//! ```

use std::marker::PhantomData;

use crate::schema::link::Path;
use crate::schema::model::Model;
use crate::schema::table::TableDef;
use crate::sql::cte::Cte;
use crate::sql::expr::{Column, Expr};
use crate::sql::projection::{Rows, Selection, ValueQuery};
use crate::sql::query::Query;

/// A table or named query in FROM or JOIN, and the name the query calls it by.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub enum Source {
    /// A model's table, under its own name or an alias.
    Table { table: &'static TableDef, alias: Option<&'static str> },
    /// A common table expression or a subquery.
    Named(Box<Named>),
}

/// Sources compare by table identity (tables are static), alias and query.
impl PartialEq for Source {
    fn eq(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Table { table: a, alias: x }, Source::Table { table: b, alias: y }) => {
                std::ptr::eq(*a, *b) && x == y
            }
            (Source::Named(a), Source::Named(b)) => a == b,
            _ => false,
        }
    }
}

impl Source {
    /// The name the query calls it by.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Source::Table { table, alias } => alias.unwrap_or(table.name),
            Source::Named(named) => named.name,
        }
    }
}

/// A query with a name: `WITH name(col_1, ..) AS (..)` (a CTE), or `(SELECT .. AS col_1,
/// ..) AS name` written in place (a subquery in FROM). Its columns are `name.col_1`, ...
#[derive(Debug, Clone, PartialEq)]
#[doc(hidden)]
pub struct Named {
    pub(crate) name: &'static str,
    pub(crate) query: ValueQuery,
    /// The recursive part of `WITH RECURSIVE`, which joins the CTE itself.
    pub(crate) step: Option<Box<ValueQuery>>,
    /// A CTE's own name inside its recursive part: joined, never defined again.
    pub(crate) reference: bool,
    /// A subquery written where it is used, not a CTE defined ahead of the SELECT.
    pub(crate) inline: bool,
}

/// How a join keeps rows that match nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinKind {
    /// `JOIN`: only rows that match.
    Inner,
    /// `LEFT OUTER JOIN`: every row so far, the joined side NULL where nothing matches.
    Left,
    /// `FULL OUTER JOIN`: every row of both sides, either side NULL where nothing matches.
    Full,
}

impl JoinKind {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            JoinKind::Inner => " JOIN ",
            JoinKind::Left => " LEFT OUTER JOIN ",
            JoinKind::Full => " FULL OUTER JOIN ",
        }
    }
}

/// One join of a SELECT.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Join {
    /// Along a relationship from a table already in the query (the joined table under an
    /// alias, maybe).
    Along { kind: JoinKind, path: Path, alias: Option<&'static str> },
    /// A table or named query on a condition.
    On { kind: JoinKind, source: Source, on: Expr },
}

impl Join {
    pub(crate) fn kind(&self) -> JoinKind {
        match self {
            Join::Along { kind, .. } | Join::On { kind, .. } => *kind,
        }
    }

    /// The names the join brings into the query (an association table and the table
    /// beyond it, for a many-to-many).
    pub(crate) fn names(&self) -> Vec<&'static str> {
        match self {
            Join::Along { path: Path::Secondary(sec), .. } => vec![sec.assoc.name, sec.to.name],
            Join::Along { path, alias, .. } => vec![alias.unwrap_or(path.to().name)],
            Join::On { source, .. } => vec![source.name()],
        }
    }
}

/// Something a query can join on a condition
/// ([`join_on`](crate::QueryBuilder::join_on)): a model's table (`Program::table()`), an
/// [`Aliased`] table, a [`Cte`] or a [`Subquery`].
pub trait JoinSource {
    /// The source, as the query names it.
    #[doc(hidden)]
    fn source(&self) -> Source;
}

impl JoinSource for &'static TableDef {
    fn source(&self) -> Source {
        Source::Table { table: self, alias: None }
    }
}

/// What a CTE and a subquery in FROM share: a named value query whose columns are typed
/// as it selected them, joined or read on its own.
macro_rules! named_rows {
    ($ty:ident, $what:literal) => {
        impl<S: Selection> Clone for $ty<S> {
            fn clone(&self) -> Self {
                $ty { named: self.named.clone(), _types: PhantomData }
            }
        }

        impl<S: Selection> std::fmt::Debug for $ty<S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).field("name", &self.named.name).finish_non_exhaustive()
            }
        }

        impl<S: Selection> $ty<S> {
            /// Its columns, typed as its query selected them: one expression for a single
            /// item, a tuple of them for a tuple (`let (customer, spent) = spend.columns();`).
            pub fn columns(&self) -> S::Columns {
                S::columns(self.named.name)
            }

            /// Its name in SQL.
            pub fn name(&self) -> &'static str {
                self.named.name
            }

            #[doc = concat!("A query that reads from the ", $what, " alone: filter, group and select its")]
            /// [`columns`](Self::columns).
            pub fn query(&self) -> Query<$ty<S>> {
                Query::from_source(Source::Named(Box::new(self.named.clone())))
            }
        }

        impl<S: Selection> JoinSource for &$ty<S> {
            fn source(&self) -> Source {
                Source::Named(Box::new(self.named.clone()))
            }
        }
    };
}

named_rows!(Cte, "CTE (`WITH name AS (..) SELECT .. FROM name`)");
named_rows!(Subquery, "subquery (`SELECT .. FROM (SELECT ..) AS name`)");

impl<M: Model> JoinSource for &Aliased<M> {
    fn source(&self) -> Source {
        Source::Table { table: M::TABLE, alias: Some(self.alias) }
    }
}

/// A value query used as a table in FROM (`(SELECT ..) AS name`), from
/// [`Rows::subquery`]: join it ([`join_on`](crate::QueryBuilder::join_on)), select from
/// it alone ([`query`](Self::query)), and use its [`columns`](Self::columns), typed as
/// the query selected them.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::functions::{avg, count_all, round};
/// # #[derive(Model)] #[orm(table = "orders")]
/// # struct Order { #[orm(primary_key)] id: i32, customer: String, total: i64 }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Order::table()])?;
/// for (customer, total) in [("ann", 500), ("ann", 700), ("bob", 300)] {
///     Order::new(customer, total).insert(&engine)?;
/// }
/// // The average number of orders per customer: an aggregate over an aggregate.
/// let per_customer = Order::query().select((Order::CUSTOMER, count_all())).group_by(Order::CUSTOMER).subquery("c");
/// let (_, orders) = per_customer.columns();
/// let average = per_customer.query().select(round(avg(orders), 1)).one(&engine)?;
/// assert_eq!(average, Some(1.5));
/// # Ok::<(), orm_core::Error>(())
/// ```
#[must_use]
pub struct Subquery<S: Selection> {
    pub(crate) named: Named,
    pub(crate) _types: PhantomData<fn() -> S>,
}

impl<M, S: Selection> Rows<M, S> {
    /// The query as a table in another one's FROM (`(SELECT ..) AS name`): join it, or
    /// select from it alone; see [`Subquery`].
    pub fn subquery(self, name: &'static str) -> Subquery<S> {
        let named = Named { name, query: self.into_subquery(), step: None, reference: false, inline: true };
        Subquery { named, _types: PhantomData }
    }
}

/// A model's table under another name, for a second copy of it in one statement: a
/// correlated subquery over the same table, or a self-join on a condition. From
/// [`aliased`].
#[derive(Debug, Clone, Copy)]
pub struct Aliased<M> {
    alias: &'static str,
    _model: PhantomData<fn() -> M>,
}

/// `M`'s table under the name `alias` (SQLAlchemy's `aliased`): `alias.col(..)` names its
/// columns, `alias.query()` reads from it. Customers who spent more than the average of
/// their city, the subquery's customers being `c2`:
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::aliased;
/// use orm_core::functions::avg;
/// # #[derive(Model)] #[orm(table = "customers")]
/// # struct Customer { #[orm(primary_key)] id: i32, name: String, city: String, spent: i64 }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Customer::table()])?;
/// for (name, city, spent) in [("Ann", "Oslo", 900), ("Bob", "Oslo", 100), ("Cyd", "Rome", 50)] {
///     Customer::new(name, city, spent).insert(&engine)?;
/// }
/// let c2 = aliased::<Customer>("c2");
/// let city_average = c2.query().filter(c2.col(Customer::CITY).eq(Customer::CITY)).select(avg(c2.col(Customer::SPENT)));
/// let above: Vec<String> = Customer::query()
///     .filter(Customer::SPENT.expr().cast::<f64>().gt(city_average.as_value()))
///     .select(Customer::NAME)
///     .all(&engine)?;
/// assert_eq!(above, ["Ann"]);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn aliased<M: Model>(alias: &'static str) -> Aliased<M> {
    Aliased { alias, _model: PhantomData }
}

impl<M: Model> Aliased<M> {
    /// A column of the aliased table: `c2.col(Customer::CITY)` is `c2.city`.
    pub fn col<T>(&self, column: Column<M, T>) -> Column<M, T> {
        column.of(self.alias)
    }

    /// The alias.
    pub fn name(&self) -> &'static str {
        self.alias
    }

    /// A query of `M` that reads from the aliased table (`FROM customers AS c2`).
    pub fn query(&self) -> Query<M> {
        Query::from_source(Source::Table { table: M::TABLE, alias: Some(self.alias) })
    }
}
