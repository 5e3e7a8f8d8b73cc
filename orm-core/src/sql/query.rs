//! Typed queries of one model as values: `Program::query().filter(..).order_by(..)`,
//! built without a database, rendered with `to_sql`, and run on an engine or a connection
//! (`execution/query.rs`); inside a session, `session.query::<M>()`.

use std::marker::PhantomData;

use crate::error::Result;
use crate::schema::model::Model;
use crate::schema::table::TableDef;
use crate::sql::cte::Cte;
use crate::sql::dialect::Dialect;
use crate::sql::expr::{Expr, OrderBy};
use crate::sql::projection::Selection;
use crate::sql::relationship::Relationship;
use crate::sql::select::{LockWait, Select};
use crate::sql::source::{JoinKind, JoinSource, Source};
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

    /// The SQL text and parameters this query sends, for inspection.
    pub fn to_sql(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.select.render(dialect, None)
    }
}

impl<M> Query<M> {
    /// A query that reads from `source` (an aliased table, a CTE, a subquery).
    pub(crate) fn from_source(source: Source) -> Self {
        Query { select: Select::from_source(source), _model: PhantomData }
    }
}

impl<M> QueryBuilder for Query<M> {
    fn select_mut(&mut self) -> &mut Select {
        &mut self.select
    }
}

/// The building methods of every query, written once: a [`Query`] (run on an engine or a
/// connection, giving plain values) and a [`SessionQuery`](crate::SessionQuery) (run in a
/// session, giving its objects) have them all. In the prelude.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::dialect::POSTGRES;
/// # #[derive(Model)] #[orm(table = "jobs")]
/// # struct Job { #[orm(primary_key)] id: i64, queue: String, claimed: bool }
/// // The next ten unclaimed jobs, skipping those other workers hold.
/// let next = Job::query()
///     .filter(Job::CLAIMED.eq(false))
///     .order_by(Job::ID)
///     .limit(10)
///     .for_update()
///     .skip_locked();
/// let (sql, _) = next.to_sql(&POSTGRES)?;
/// assert!(sql.ends_with("ORDER BY jobs.id ASC LIMIT $2 FOR UPDATE SKIP LOCKED"), "{sql}");
/// # Ok::<(), orm_core::Error>(())
/// ```
pub trait QueryBuilder: Sized {
    /// The SELECT being built.
    #[doc(hidden)]
    fn select_mut(&mut self) -> &mut Select;

    /// Keeps the rows where `expr` holds (several filters are ANDed).
    fn filter(mut self, expr: Expr) -> Self {
        self.select_mut().filters.push(expr);
        self
    }

    /// Joins the related table along a relationship, so that filters and ordering can use
    /// its columns: `Course::query().join(Course::PROGRAM).filter(Program::NAME.eq(..))`.
    /// The relationship may start at the queried model or at a table joined before, so
    /// joins chain: `Enrollment::query().join(Enrollment::COURSE).join(Course::PROGRAM)`.
    /// Objects come back once each even when the join repeats them. Joins are written in
    /// the order they are asked for.
    fn join<A: Model, T: Model>(mut self, rel: Relationship<A, T>) -> Self {
        self.select_mut().join_along(JoinKind::Inner, rel.path(), None);
        self
    }

    /// `LEFT OUTER JOIN` along a relationship: every row of the query so far, with the
    /// related rows where there are some and NULL where there are none (programs with
    /// their courses, and those without). Columns of the joined table can then be NULL:
    /// select them with `.nullable()` (`Course::TITLE.nullable()`, an `Option<String>`);
    /// a query that reads one into a type without NULL is refused before it runs.
    fn left_join<A: Model, T: Model>(mut self, rel: Relationship<A, T>) -> Self {
        self.select_mut().join_along(JoinKind::Left, rel.path(), None);
        self
    }

    /// [`left_join`](Self::left_join), by SQLAlchemy's name (`outerjoin`).
    fn outer_join<A: Model, T: Model>(self, rel: Relationship<A, T>) -> Self {
        self.left_join(rel)
    }

    /// Joins a table again under another name, along a relationship from the queried
    /// model: its columns are then `Column::of(alias)`. An employee with the manager's
    /// name: `Employee::query().join_as(Employee::MANAGER, "boss")
    /// .filter(Employee::NAME.of("boss").eq("Ann"))`.
    fn join_as<A: Model, T: Model>(mut self, rel: Relationship<A, T>, alias: &'static str) -> Self {
        self.select_mut().join_along(JoinKind::Inner, rel.path(), Some(alias));
        self
    }

    /// [`join_as`](Self::join_as) as a `LEFT OUTER JOIN`: categories with their parent's
    /// name, roots included (their parent's columns NULL).
    fn left_join_as<A: Model, T: Model>(mut self, rel: Relationship<A, T>, alias: &'static str) -> Self {
        self.select_mut().join_along(JoinKind::Left, rel.path(), Some(alias));
        self
    }

    /// `JOIN target ON condition`: a model's table (`Program::table()`), an
    /// [`aliased`](crate::aliased) one, a [`Cte`] or a [`Subquery`](crate::Subquery),
    /// on any condition over the columns in the query:
    /// `Order::query().join_on(Customer::table(), Customer::ID.eq(Order::CUSTOMER_ID))`.
    /// A row repeats for each row it matches, as in SQL.
    fn join_on(mut self, target: impl JoinSource, on: Expr) -> Self {
        self.select_mut().join_on(JoinKind::Inner, target.source(), on);
        self
    }

    /// `LEFT OUTER JOIN target ON condition` (see [`join_on`](Self::join_on) and
    /// [`left_join`](Self::left_join)): the target's columns can be NULL.
    fn left_join_on(mut self, target: impl JoinSource, on: Expr) -> Self {
        self.select_mut().join_on(JoinKind::Left, target.source(), on);
        self
    }

    /// `FULL OUTER JOIN target ON condition`: the rows of both sides, each side NULL where
    /// the other has no match, so every column read can be NULL (`.nullable()`). For value
    /// queries; a backend without FULL JOIN refuses it.
    fn full_join_on(mut self, target: impl JoinSource, on: Expr) -> Self {
        self.select_mut().join_on(JoinKind::Full, target.source(), on);
        self
    }

    /// Joins a common table expression ([`Rows::cte`](crate::Rows::cte)) on a condition
    /// over its columns: `.join_cte(&spend, customer.eq(Customer::ID))`; the same as
    /// [`join_on`](Self::join_on). A row repeats for each CTE row it matches, as in SQL.
    fn join_cte<S: Selection>(self, cte: &Cte<S>, on: Expr) -> Self {
        self.join_on(cte, on)
    }

    /// Orders the rows by a column or an expression (`Program::NAME`, `count_all().desc()`);
    /// a bare column orders ascending. Terms keep the order of the calls.
    fn order_by(mut self, order: impl Into<OrderBy>) -> Self {
        self.select_mut().order.push(order.into());
        self
    }

    /// Returns at most `n` rows.
    fn limit(mut self, n: u64) -> Self {
        self.select_mut().limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    fn offset(mut self, n: u64) -> Self {
        self.select_mut().offset = Some(n);
        self
    }

    /// Locks the rows for update until the transaction ends (`FOR UPDATE`, PostgreSQL; a
    /// session runs the query in its transaction). SQLite has no row locks and refuses it.
    fn for_update(mut self) -> Self {
        self.select_mut().lock_mut().share = false;
        self
    }

    /// Locks the rows against changes by others, who may still read and share-lock them
    /// (`FOR SHARE`).
    fn for_share(mut self) -> Self {
        self.select_mut().lock_mut().share = true;
        self
    }

    /// Fails at once (`ErrorKind::LockNotAvailable`) instead of waiting for rows another
    /// transaction has locked (`NOWAIT`); locks for update unless `for_share` was asked.
    fn nowait(mut self) -> Self {
        self.select_mut().lock_mut().wait = LockWait::NoWait;
        self
    }

    /// Leaves out the rows another transaction has locked (`SKIP LOCKED`): the work-queue
    /// pattern, each worker taking rows no other holds.
    fn skip_locked(mut self) -> Self {
        self.select_mut().lock_mut().wait = LockWait::SkipLocked;
        self
    }

    /// Every row below the filtered ones in a tree (a self-referential one-to-many such as
    /// `Category::CHILDREN`), the filtered ones included: a `WITH RECURSIVE` walk, cycles
    /// visited once.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "categories")]
    /// # struct Category { #[orm(primary_key)] id: i32, name: String,
    /// #   #[orm(foreign_key = "categories.id")] parent_id: Option<i32>,
    /// #   #[orm(has_many(Category, foreign_key = "parent_id", backref = "parent"))] children: HasMany<Category> }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Category::table()])?;
    /// let mut fiction = Category::new("Fiction");
    /// let mut scifi = Category::new("Science fiction");
    /// scifi.children.push(Category::new("Space opera"));
    /// fiction.children.push(scifi);
    /// let mut db = engine.session();
    /// db.add(fiction);
    /// db.add(Category::new("Cooking"));
    /// db.commit()?;
    /// let tree = Category::query().filter(Category::NAME.eq("Fiction")).descendants(Category::CHILDREN);
    /// assert_eq!(tree.order_by(Category::ID).all(&engine)?.len(), 3);
    /// let up = Category::query().filter(Category::NAME.eq("Space opera")).ancestors(Category::CHILDREN);
    /// assert_eq!(up.all(&engine)?.len(), 3);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    fn descendants<A: Model, T: Model>(mut self, rel: Relationship<A, T>) -> Self {
        self.select_mut().walk(rel.path(), true);
        self
    }

    /// Every row above the filtered ones in a tree, up to the roots, the filtered ones
    /// included (see [`descendants`](Self::descendants)).
    fn ancestors<A: Model, T: Model>(mut self, rel: Relationship<A, T>) -> Self {
        self.select_mut().walk(rel.path(), false);
        self
    }

    /// Locks only the rows of `table` (`FOR UPDATE OF t`) in a query that joins others.
    fn of(mut self, table: &'static TableDef) -> Self {
        self.select_mut().lock_mut().of.push(table.name);
        self
    }
}
