//! Queries inside a session: results are the session's objects (one handle per row).

use std::marker::PhantomData;

use super::{Obj, Session};
use crate::error::{Error, Result};
use crate::schema::model::Model;
use crate::session::options::LoadOption;
use crate::sql::query::QueryBuilder;
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
        Self::from_select(session, Select::new(T::TABLE))
    }

    pub(crate) fn from_select(session: &'s mut Session, select: Select) -> Self {
        SessionQuery { session, select, options: Vec::new(), _model: PhantomData }
    }

    /// Loads relationships with the rows: `selectinload(Program::COURSES)`, ...
    pub fn options(mut self, option: LoadOption) -> Self {
        self.options.push(option);
        self
    }

    fn fetch(self, limit: Option<u64>) -> Result<Vec<Obj<T>>> {
        self.session.check_usable()?;
        self.session.autoflush()?;
        if self.select.locks() {
            // Row locks last as long as the transaction: the session's, on the primary.
            self.session.ensure_transaction()?;
        }
        self.session.load_select::<T>(&self.select, limit, &self.options)
    }

    /// Streams the matching objects in batches of `size` (SQLAlchemy's `yield_per`): the
    /// rows are read as `f` goes (none is held beyond its batch), each batch's objects
    /// are handed to `f`, and those it did not change then leave the session, so that
    /// memory stays flat for any number of rows. Changed ones stay and are written at
    /// the next flush. `f` gets the objects only: the session is busy reading.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "events")]
    /// # struct Event { #[orm(primary_key)] id: i64, kind: String, seen: bool }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Event::table()])?;
    /// let mut db = engine.session();
    /// db.add_all((0..250).map(|i| Event::new(if i % 2 == 0 { "click" } else { "view" }, false)));
    /// db.commit()?;
    /// let mut db = engine.session(); // (the first one holds all 250 it added)
    /// db.query::<Event>().for_each_batch(100, |batch| {
    ///     for event in batch.iter().filter(|e| e.get().kind == "click") {
    ///         event.get_mut().seen = true; // stays in the session, written at commit
    ///     }
    ///     Ok(())
    /// })?;
    /// assert_eq!(db.len(), 125);
    /// db.commit()?;
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn for_each_batch(self, size: usize, mut f: impl FnMut(&[Obj<T>]) -> Result<()>) -> Result<()> {
        let session = self.session;
        session.check_usable()?;
        session.autoflush()?;
        if self.select.locks() {
            session.ensure_transaction()?;
        }
        if self.select.fans_out() {
            return Err(Error::unsupported(
                "a streamed query cannot have a join that repeats rows; filter with .any() instead",
            ));
        }
        let size = size.max(1);
        let (sql, params) = self.select.render(session.engine.dialect(), None)?;
        let (mut conn, replica) = session.take_read_connection()?;
        // Objects the session held before stay whatever happens to them.
        let held_before = session.entries.len();
        let mut batch: Vec<Obj<T>> = Vec::with_capacity(size);
        // Whether each object of the batch joined the session with this stream.
        let mut joined: Vec<bool> = Vec::with_capacity(size);
        let mut hand_over = |session: &mut Session, batch: &mut Vec<Obj<T>>, joined: &mut Vec<bool>| -> Result<()> {
            let result = f(batch);
            for (obj, new) in batch.drain(..).zip(joined.drain(..)) {
                if new && obj.cell().snapshot.is_none() && obj.state() == crate::ObjectState::Persistent {
                    let _ = session.expunge(&obj);
                }
            }
            session.trim_vacated_tail();
            result
        };
        super::loading::learn::<T>();
        let result = conn.for_each_row(&sql, &params, |row| {
            let entry = super::loading::load_row::<T>(session, row, 0)?;
            if let Some(obj) = session.handle::<T>(entry) {
                batch.push(obj);
                joined.push(entry >= held_before);
            }
            if batch.len() == size {
                hand_over(session, &mut batch, &mut joined)?;
            }
            Ok(())
        });
        session.put_back_read_connection(conn, replica);
        result?;
        if !batch.is_empty() {
            hand_over(session, &mut batch, &mut joined)?;
        }
        Ok(())
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
        super::loading::learn::<T>();
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

impl<T> QueryBuilder for SessionQuery<'_, T> {
    fn select_mut(&mut self) -> &mut Select {
        &mut self.select
    }
}
