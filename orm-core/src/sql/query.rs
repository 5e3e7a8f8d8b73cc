//! Typed queries of one model as values: `Program::query().filter(..).order_by(..)`,
//! built without a database, rendered with `to_sql`, and run on an engine or a connection
//! (`execution/query.rs`); inside a session, `session.query::<M>()`.

use std::marker::PhantomData;

use crate::error::Result;
use crate::schema::model::Model;
use crate::sql::dialect::Dialect;
use crate::sql::expr::{Expr, OrderBy};
use crate::sql::relationship::Relationship;
use crate::sql::select::Select;
use crate::value::Value;

/// A SELECT of one model, built without a database and run on an [`Executor`](crate::Executor)
/// (an `&Engine` or a `&mut Connection`). Inside a session use `session.query::<M>()`.
///
/// ```no_run
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String, years_of_study: i32 }
/// # fn main() -> orm_core::Result<()> {
/// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let three_years: Vec<Program> = Program::query()
///     .filter(Program::YEARS_OF_STUDY.eq(3))
///     .order_by(Program::NAME.desc())
///     .limit(10)
///     .all(&engine)?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct Query<M> {
    pub(crate) select: Select,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for Query<M> {
    fn clone(&self) -> Self {
        Query { select: self.select.clone(), _model: PhantomData }
    }
}

impl<M> std::fmt::Debug for Query<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.select.fmt(f)
    }
}

impl<M: Model> Default for Query<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Query<M> {
    /// A query for every row of `M`'s table.
    pub fn new() -> Self {
        Query { select: Select::new(M::TABLE), _model: PhantomData }
    }

    /// Keeps the rows where `expr` holds (several filters are ANDed).
    pub fn filter(mut self, expr: Expr) -> Self {
        self.select.filters.push(expr);
        self
    }

    /// Joins the related table along a relationship, so that filters and ordering can use
    /// its columns: `Course::query().join(Course::PROGRAM).filter(Program::NAME.eq(..))`.
    /// The relationship may start at `M` or at a table joined before, so joins chain:
    /// `Enrollment::query().join(Enrollment::COURSE).join(Course::PROGRAM)`.
    /// Rows come back once each even when the join repeats them.
    pub fn join<A: Model, T: Model>(mut self, rel: Relationship<A, T>) -> Self {
        self.select.join(rel.path());
        self
    }

    /// Orders the rows; a bare column orders ascending.
    pub fn order_by(mut self, order: impl Into<OrderBy>) -> Self {
        self.select.order.push(order.into());
        self
    }

    /// Returns at most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.select.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.select.offset = Some(n);
        self
    }

    /// The SQL text and parameters this query sends, for inspection.
    pub fn to_sql(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.select.render(dialect, None)
    }
}
