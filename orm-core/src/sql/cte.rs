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

use crate::schema::types::ColumnType;
use crate::sql::expr::ColumnRef;
use crate::sql::operand::{Node, SqlExpr};
use crate::sql::projection::{Rows, Selection};
use crate::sql::source::Named;

/// The names of a CTE's (or a subquery's) columns, by position: `col_1`, `col_2`, ...
pub(crate) const CTE_COLUMNS: [&str; 16] = [
    "col_1", "col_2", "col_3", "col_4", "col_5", "col_6", "col_7", "col_8", "col_9", "col_10", "col_11", "col_12",
    "col_13", "col_14", "col_15", "col_16",
];

/// A named value query (`WITH name AS (..)`), from [`Rows::cte`]: join it into a query
/// with [`QueryBuilder::join_cte`](crate::QueryBuilder::join_cte) (or `join_on`,
/// `left_join_on`), select from it alone with [`query`](Self::query), and use its
/// [`columns`](Self::columns) there.
#[must_use]
pub struct Cte<S: Selection> {
    pub(crate) named: Named,
    pub(crate) _types: PhantomData<fn() -> S>,
}

impl<M, S: Selection> Rows<M, S> {
    /// Names the query as a common table expression (`WITH name AS (..)`), to join into
    /// another query with [`join_cte`](crate::QueryBuilder::join_cte).
    pub fn cte(self, name: &'static str) -> Cte<S> {
        let named = Named { name, query: self.into_subquery(), step: None, reference: false, inline: false };
        Cte { named, _types: PhantomData }
    }

    /// A recursive common table expression (`WITH RECURSIVE name AS (this UNION ALL
    /// step)`): this query gives the first rows, and `step`, given the CTE to join, the
    /// rows that follow from those found so far, until it finds none. A category tree
    /// with each category's depth:
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// use orm_core::functions::value;
    /// # #[derive(Model)] #[orm(table = "categories")]
    /// # struct Category { #[orm(primary_key)] id: i32, name: String,
    /// #     #[orm(foreign_key = "categories.id")] parent_id: Option<i32> }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Category::table()])?;
    /// let rows = "('Food', NULL), ('Tea', 1), ('Green tea', 2)";
    /// engine.execute(&format!("INSERT INTO categories (name, parent_id) VALUES {rows}"), &[])?;
    /// let tree = Category::query()
    ///     .filter(Category::PARENT_ID.is_null())
    ///     .select((Category::ID, value(0)))
    ///     .cte_recursive("tree", |tree| {
    ///         let (id, depth) = tree.columns();
    ///         Category::query().join_cte(tree, id.eq(Category::PARENT_ID)).select((Category::ID, depth + 1))
    ///     });
    /// let (id, depth) = tree.columns();
    /// let depths: Vec<(String, i32)> = Category::query()
    ///     .join_cte(&tree, id.eq(Category::ID))
    ///     .select((Category::NAME, depth))
    ///     .order_by(Category::ID)
    ///     .all(&engine)?;
    /// assert_eq!(depths, [("Food".into(), 0), ("Tea".into(), 1), ("Green tea".into(), 2)]);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn cte_recursive<N, T: Selection<Output = S::Output>>(
        self,
        name: &'static str,
        step: impl FnOnce(&Cte<S>) -> Rows<N, T>,
    ) -> Cte<S> {
        let query = self.into_subquery();
        let itself = Named { name, query: query.clone(), step: None, reference: true, inline: false };
        let step = step(&Cte { named: itself, _types: PhantomData }).into_subquery();
        let named = Named { name, query, step: Some(Box::new(step)), reference: false, inline: false };
        Cte { named, _types: PhantomData }
    }
}

/// Column `index` of the CTE or subquery `name`.
pub(crate) fn cte_column<T: ColumnType>(name: &'static str, index: usize) -> SqlExpr<T> {
    SqlExpr::new(Node::Column(ColumnRef { table: name, name: CTE_COLUMNS[index], nullable: T::NULLABLE }))
}
