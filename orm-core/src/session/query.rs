//! Queries inside a session: results are the session's objects (one handle per row).

use std::marker::PhantomData;

use super::{Obj, Session};
use crate::error::{Error, Result};
use crate::schema::model::Model;
use crate::session::options::LoadOption;
use crate::sql::expr::{Expr, OrderBy};
use crate::sql::select::Select;

/// A SELECT of `T` in a session, from [`Session::query`]. Pending changes are flushed
/// before it runs (autoflush); rows the session already holds come back as the same
/// handles, refreshed unless they have unflushed changes.
///
/// ```no_run
/// # use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "courses")]
/// # struct Course { #[orm(primary_key)] id: i32, title: String, #[orm(foreign_key = "programs.id")] program_id: i32 }
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String,
/// #   #[orm(has_many(Course, foreign_key = "program_id"))] courses: HasMany<Course> }
/// # fn main() -> orm_core::Result<()> {
/// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let mut db = engine.session();
/// let programs = db
///     .query::<Program>()
///     .filter(Program::NAME.like("Bachelors%"))
///     .options(selectinload(Program::COURSES))   // 2 statements for any number of programs
///     .all()?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct SessionQuery<'s, T> {
    session: &'s mut Session,
    select: Select,
    options: Vec<LoadOption>,
    _model: PhantomData<fn() -> T>,
}

impl<'s, T: Model> SessionQuery<'s, T> {
    pub(crate) fn new(session: &'s mut Session) -> Self {
        SessionQuery { session, select: Select::new(T::TABLE), options: Vec::new(), _model: PhantomData }
    }

    /// Keeps the rows where `expr` holds (several filters are ANDed).
    pub fn filter(mut self, expr: Expr) -> Self {
        self.select.filters.push(expr);
        self
    }

    /// Joins the related table along a relationship, so that filters and ordering can use
    /// its columns; it may start at `T` or at a table joined before. Objects come back once
    /// each even when the join repeats their rows.
    pub fn join<A: Model, R: Model>(mut self, rel: crate::sql::relationship::Relationship<A, R>) -> Self {
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

    /// Loads relationships with the rows: `selectinload(Program::COURSES)`, ...
    pub fn options(mut self, option: LoadOption) -> Self {
        self.options.push(option);
        self
    }

    fn fetch(self, limit: Option<u64>) -> Result<Vec<Obj<T>>> {
        self.session.check_usable()?;
        self.session.autoflush()?;
        self.session.load_select::<T>(&self.select, limit, &self.options)
    }

    /// Every matching object.
    pub fn all(self) -> Result<Vec<Obj<T>>> {
        self.fetch(None)
    }

    /// The first matching object (`LIMIT 1`), if any.
    pub fn first(self) -> Result<Option<Obj<T>>> {
        Ok(self.fetch(Some(1))?.into_iter().next())
    }

    /// Exactly one object: [`NotFound`](crate::ErrorKind::NotFound) when there is none,
    /// [`MultipleRows`](crate::ErrorKind::MultipleRows) when there are more.
    pub fn one(self) -> Result<Obj<T>> {
        let what = self.select.describe();
        self.one_or_none()?.ok_or_else(|| Error::not_found(what))
    }

    /// One object or none: [`MultipleRows`](crate::ErrorKind::MultipleRows) when there are more.
    pub fn one_or_none(self) -> Result<Option<Obj<T>>> {
        let what = self.select.describe();
        let mut rows = self.fetch(None)?;
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            _ => Err(Error::multiple_rows(what)),
        }
    }

    /// Every matching object with its number of related rows over a one-to-many
    /// relationship (one statement for all of them).
    pub fn with_counts<R: Model>(
        self,
        rel: crate::sql::relationship::Relationship<T, R>,
    ) -> Result<Vec<(Obj<T>, i64)>> {
        self.session.check_usable()?;
        self.session.autoflush()?;
        let link = crate::sql::relationship::counted_link(&rel)?;
        let (sql, params) = self.select.render_with_count(self.session.engine().dialect(), link)?;
        let n = T::TABLE.columns.len();
        let mut out = Vec::new();
        self.session.with_rows(&sql, &params, |s, row| {
            let entry = super::loading::load_row::<T>(s, row, 0)?;
            out.push((entry, row.get::<i64>(n)?));
            Ok(())
        })?;
        Ok(out.into_iter().filter_map(|(e, n)| self.session.handle(e).map(|o| (o, n))).collect())
    }

    /// The number of matching rows.
    pub fn count(self) -> Result<i64> {
        self.session.check_usable()?;
        self.session.autoflush()?;
        let (sql, params) = self.select.render_count(self.session.engine.dialect())?;
        let conn = self.session.read_connection()?;
        let counts = conn.query_raw(&sql, &params, |row| row.get::<i64>(0))?;
        Ok(counts.into_iter().next().unwrap_or(0))
    }
}
