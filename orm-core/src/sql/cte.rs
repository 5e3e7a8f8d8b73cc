//! Common table expressions: a value query given a name (`WITH totals AS (SELECT ..)`),
//! joined into another query like a table, its columns typed as the query selected them.
//!
//! ```
//! use orm_core::prelude::*;
//! use orm_core::functions::sum;
//! # #[derive(Model)] #[orm(table = "customers")]
//! # struct Customer { #[orm(primary_key)] id: i32, name: String }
//! # #[derive(Model)] #[orm(table = "orders")]
//! # struct Order { #[orm(primary_key)] id: i32, customer_id: i32, total: i64 }
//! let engine = Engine::connect("sqlite::memory:")?;
//! engine.create_all(&[Customer::table(), Order::table()])?;
//! Customer::new("Ann").insert(&engine)?;
//! Customer::new("Bob").insert(&engine)?;
//! for (customer, total) in [(1, 500), (1, 700), (2, 300)] {
//!     Order::new(customer, total).insert(&engine)?;
//! }
//! // WITH spend AS (SELECT customer_id, sum(total) FROM orders GROUP BY customer_id) ..
//! let spend = Order::query()
//!     .select((Order::CUSTOMER_ID, sum(Order::TOTAL)))
//!     .group_by(Order::CUSTOMER_ID)
//!     .cte("spend");
//! let (customer, spent) = spend.columns();
//! // .. SELECT name, spend.col_2 FROM customers JOIN spend ON spend.col_1 = customers.id
//! let top: Vec<(String, Option<i64>)> = Customer::query()
//!     .join_cte(&spend, customer.eq(Customer::ID))
//!     .select((Customer::NAME, spent.clone()))
//!     .order_by_expr(spent.desc())
//!     .all(&engine)?;
//! assert_eq!(top, [("Ann".to_owned(), Some(1200)), ("Bob".to_owned(), Some(300))]);
//! # Ok::<(), orm_core::Error>(())
//! ```

use std::marker::PhantomData;

use crate::sql::expr::{ColumnRef, Expr};
use crate::sql::operand::{Node, SqlExpr};
use crate::sql::projection::{Rows, Selection, Subquery};

/// The names of a CTE's columns, by position: `col_1`, `col_2`, ...
pub(crate) const CTE_COLUMNS: [&str; 8] = ["col_1", "col_2", "col_3", "col_4", "col_5", "col_6", "col_7", "col_8"];

/// A named value query (`WITH name AS (..)`), from [`Rows::cte`]: join it into a query
/// with [`QueryBuilder::join_cte`](crate::QueryBuilder::join_cte) and use its
/// [`columns`](Self::columns) there.
#[must_use]
pub struct Cte<S: Selection> {
    pub(crate) name: &'static str,
    pub(crate) query: Subquery,
    _types: PhantomData<fn() -> S>,
}

impl<S: Selection> Clone for Cte<S> {
    fn clone(&self) -> Self {
        Cte { name: self.name, query: self.query.clone(), _types: PhantomData }
    }
}

impl<S: Selection> std::fmt::Debug for Cte<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cte").field("name", &self.name).finish_non_exhaustive()
    }
}

impl<S: Selection> Cte<S> {
    /// The CTE's columns, typed as its query selected them: one expression for a single
    /// item, a tuple of them for a tuple (`let (customer, spent) = spend.columns();`).
    pub fn columns(&self) -> S::Columns {
        S::columns(self.name)
    }

    /// The CTE's name in SQL.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<M, S: Selection> Rows<M, S> {
    /// Names the query as a common table expression (`WITH name AS (..)`), to join into
    /// another query with [`join_cte`](crate::QueryBuilder::join_cte).
    pub fn cte(self, name: &'static str) -> Cte<S> {
        Cte { name, query: self.into_subquery(), _types: PhantomData }
    }
}

/// One CTE a SELECT joins: `WITH name(col_1, ..) AS (query)` and `JOIN name ON on`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CteJoin {
    pub(crate) name: &'static str,
    pub(crate) query: Subquery,
    pub(crate) on: Expr,
}

impl CteJoin {
    pub(crate) fn new<S: Selection>(cte: &Cte<S>, on: Expr) -> CteJoin {
        CteJoin { name: cte.name, query: cte.query.clone(), on }
    }
}

/// Column `index` of the CTE `name`.
pub(crate) fn cte_column<T>(name: &'static str, index: usize) -> SqlExpr<T> {
    SqlExpr::new(Node::Column(ColumnRef { table: name, name: CTE_COLUMNS[index] }))
}
