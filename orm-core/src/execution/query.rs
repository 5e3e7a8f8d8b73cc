//! Running queries without a session: a [`Query`] on an [`Executor`] (an engine or a
//! connection) returns plain structs; raw SQL that returns rows of a model.

use crate::error::{Error, Result};
use crate::execution::engine::Executor;
use crate::execution::row::Row;
use crate::schema::identity_key::IdentityKey;
use crate::schema::model::Model;
use crate::schema::types::PrimaryKey;
use crate::sql::query::Query;
use crate::sql::relationship::{Relationship, counted_link};
use crate::value::Value;

impl<M: Model> Query<M> {
    fn fetch(&self, db: impl Executor, limit: Option<u64>) -> Result<Vec<M>> {
        let rows = db.with_connection(|conn| {
            let (sql, params) = self.select.render(conn.dialect(), limit)?;
            if self.select.locks() && !conn.in_transaction() {
                return Err(Error::invalid_state(
                    "row locks last until the transaction ends, and this query runs in none: run it in a \
                     session, or on a connection after begin()",
                ));
            }
            conn.query_raw(&sql, &params, |row: &Row<'_>| M::from_row(row, 0))
        })?;
        if !self.select.fans_out() {
            return Ok(rows);
        }
        let mut seen = rustc_hash::FxHashSet::default();
        Ok(rows.into_iter().filter(|m| seen.insert(IdentityKey::new(M::TABLE, &m.primary_key().to_values()))).collect())
    }

    /// Every matching row with its number of related rows over a one-to-many (or many-to-many)
    /// relationship (`SELECT .., (SELECT count(*) FROM courses WHERE ..)`): counts per parent.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "courses")]
    /// # struct Course { #[orm(primary_key)] id: i32, #[orm(foreign_key = "programs.id")] program_id: i32 }
    /// # #[derive(Model)] #[orm(table = "programs")]
    /// # struct Program { #[orm(primary_key)] id: i32, name: String,
    /// #   #[orm(has_many(Course, foreign_key = "program_id"))] courses: HasMany<Course> }
    /// # fn main() -> orm_core::Result<()> {
    /// # let engine = Engine::connect("sqlite::memory:")?;
    /// for (program, courses) in Program::query().order_by(Program::NAME).with_counts(Program::COURSES, &engine)? {
    ///     println!("{}: {courses} courses", program.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn with_counts<T: Model>(self, rel: Relationship<M, T>, db: impl Executor) -> Result<Vec<(M, i64)>> {
        let link = counted_link(&rel)?;
        let n = M::TABLE.columns.len();
        db.with_connection(|conn| {
            let (sql, params) = self.select.render_with_count(conn.dialect(), link)?;
            conn.query_raw(&sql, &params, |row| Ok((M::from_row(row, 0)?, row.get::<i64>(n)?)))
        })
    }

    /// Every matching row.
    pub fn all(self, db: impl Executor) -> Result<Vec<M>> {
        self.fetch(db, None)
    }

    /// The first matching row (`LIMIT 1`), if any.
    pub fn first(self, db: impl Executor) -> Result<Option<M>> {
        Ok(self.fetch(db, Some(1))?.into_iter().next())
    }

    /// Exactly one row: [`NotFound`](crate::ErrorKind::NotFound) when there is none,
    /// [`MultipleRows`](crate::ErrorKind::MultipleRows) when there are more.
    pub fn one(self, db: impl Executor) -> Result<M> {
        let what = self.select.describe();
        self.one_or_none(db)?.ok_or_else(|| Error::not_found(what))
    }

    /// One row or none: [`MultipleRows`](crate::ErrorKind::MultipleRows) when there are more.
    pub fn one_or_none(self, db: impl Executor) -> Result<Option<M>> {
        let mut rows = self.fetch(db, None)?;
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            _ => Err(Error::multiple_rows(self.select.describe())),
        }
    }

    /// Streams the matching rows: each is read, built and handed to `f` in turn, and
    /// none is kept, so that memory stays flat for any number of rows (a PostgreSQL
    /// result is read from the connection as `f` asks for rows). `f` may stop the stream
    /// by returning an error.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "events")]
    /// # struct Event { #[orm(primary_key)] id: i64, kind: String }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Event::table()])?;
    /// for kind in ["click", "view", "click"] {
    ///     Event::new(kind).insert(&engine)?;
    /// }
    /// let mut clicks = 0;
    /// Event::query().for_each(&engine, |event| {
    ///     clicks += usize::from(event.kind == "click");
    ///     Ok(())
    /// })?;
    /// assert_eq!(clicks, 2);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn for_each(self, db: impl Executor, mut f: impl FnMut(M) -> Result<()>) -> Result<()> {
        if self.select.fans_out() {
            return Err(Error::unsupported(
                "a streamed query cannot have a join that repeats rows (they are not kept to drop \
                 the repeats); filter with .any() instead",
            ));
        }
        db.with_connection(|conn| {
            let (sql, params) = self.select.render(conn.dialect(), None)?;
            if self.select.locks() && !conn.in_transaction() {
                return Err(Error::invalid_state(
                    "row locks last until the transaction ends, and this query runs in none: run it on a \
                     connection after begin()",
                ));
            }
            conn.for_each_row(&sql, &params, |row| f(M::from_row(row, 0)?))
        })
    }

    /// The number of matching rows.
    pub fn count(self, db: impl Executor) -> Result<i64> {
        db.with_connection(|conn| {
            let (sql, params) = self.select.render_count(conn.dialect())?;
            let counts = conn.query_raw(&sql, &params, |row| row.get::<i64>(0))?;
            Ok(counts.into_iter().next().unwrap_or(0))
        })
    }

    /// Sets columns of the matching rows in one statement; returns how many. In a
    /// session, [`Session::update`](crate::Session::update) also updates the objects it holds.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "products")]
    /// # struct Product { #[orm(primary_key)] id: i32, sku: String, stock: i32 }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Product::table()])?;
    /// Product::new("TEA-1", 10).insert(&engine)?;
    /// let sold = Product::query().filter(Product::SKU.eq("TEA-1"));
    /// assert_eq!(sold.update([Product::STOCK.set(Product::STOCK - 1)], &engine)?, 1);
    /// let left = Product::query().filter(Product::SKU.eq("TEA-1"))
    ///     .update_returning([Product::STOCK.set(Product::STOCK - 1)], Product::STOCK, &engine)?;
    /// assert_eq!(left, [8]);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn update(
        self,
        sets: impl IntoIterator<Item = crate::sql::writes::Assignment<M>>,
        db: impl Executor,
    ) -> Result<u64> {
        let sets: Vec<_> = sets.into_iter().collect();
        db.with_connection(|conn| {
            let (sql, params) = self.select.render_update(conn.dialect(), &sets, false)?;
            conn.execute(&sql, &params)
        })
    }

    /// Sets columns of the matching rows and returns values of the rows changed
    /// (`UPDATE .. RETURNING`): `.update_returning([Stock::COUNT.set(0)], (Stock::SKU,
    /// Stock::COUNT), &engine)?` gives `Vec<(String, i32)>`.
    pub fn update_returning<S: crate::sql::projection::Selection>(
        self,
        sets: impl IntoIterator<Item = crate::sql::writes::Assignment<M>>,
        returning: S,
        db: impl Executor,
    ) -> Result<Vec<S::Output>> {
        let sets: Vec<_> = sets.into_iter().collect();
        let items = returning.nodes();
        db.with_connection(|conn| {
            let dialect = conn.dialect();
            if dialect.update_returning() {
                let (sql, params) = self.select.render_returning(dialect, Some(&sets), &items)?;
                return conn.query_raw(&sql, &params, |row: &Row<'_>| S::decode(row));
            }
            // No UPDATE .. RETURNING (MySQL): the rows' keys read and locked, the rows
            // updated, then read back, in one transaction.
            let run = |conn: &mut crate::execution::connection::Connection| -> Result<Vec<S::Output>> {
                let table = self.select.check_plain("an update")?;
                let (sql, params) = self.select.render_keys_for_update(dialect)?;
                let keys = conn.query_raw(&sql, &params, |row: &Row<'_>| {
                    table
                        .primary_key
                        .iter()
                        .enumerate()
                        .map(|(n, &c)| crate::execution::row::read_value(row, n, table, c))
                        .collect::<Result<Vec<Value>>>()
                })?;
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let (sql, params) = self.select.render_update_of_keys(dialect, &sets, &keys)?;
                conn.execute(&sql, &params)?;
                let (sql, params) = self.select.render_returning_of_keys(dialect, &keys, &items)?;
                conn.query_raw(&sql, &params, |row: &Row<'_>| S::decode(row))
            };
            if conn.in_transaction() { run(conn) } else { conn.transaction(run) }
        })
    }

    /// Deletes the matching rows and returns values of the rows deleted
    /// (`DELETE .. RETURNING`).
    pub fn delete_returning<S: crate::sql::projection::Selection>(
        self,
        returning: S,
        db: impl Executor,
    ) -> Result<Vec<S::Output>> {
        let items = returning.nodes();
        db.with_connection(|conn| {
            let (sql, params) = self.select.render_returning::<M>(conn.dialect(), None, &items)?;
            conn.query_raw(&sql, &params, |row: &Row<'_>| S::decode(row))
        })
    }

    /// Deletes the matching rows in one statement; returns how many.
    pub fn delete(self, db: impl Executor) -> Result<u64> {
        db.with_connection(|conn| {
            let (sql, params) = self.select.render_delete(conn.dialect())?;
            conn.execute(&sql, &params)
        })
    }
}

/// Raw SQL that returns rows of a model: the escape hatch for queries the builder cannot
/// express. The SELECT list must be the model's columns in field order.
///
/// ```no_run
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String }
/// # fn main() -> orm_core::Result<()> {
/// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let rows: Vec<Program> = orm_core::query::from_sql(
///     &engine,
///     "SELECT id, name FROM programs WHERE name ~ $1",
///     orm_core::params!["^Bach"],
/// )?;
/// # Ok(()) }
/// ```
pub fn from_sql<M: Model>(db: impl Executor, sql: &str, params: &[Value]) -> Result<Vec<M>> {
    db.with_connection(|conn| conn.query_raw(sql, params, |row| M::from_row(row, 0)))
}

impl<M, S: crate::sql::projection::Selection> crate::sql::projection::Rows<M, S> {
    /// Every row's values.
    pub fn all(self, db: impl Executor) -> Result<Vec<S::Output>> {
        db.with_connection(|conn| {
            let (sql, params) = self.render(conn.dialect())?;
            if self.query.select.locks() && !conn.in_transaction() {
                return Err(Error::invalid_state(
                    "row locks last until the transaction ends, and this query runs in none: run it in a \
                     session, or on a connection after begin()",
                ));
            }
            conn.query_raw(&sql, &params, |row: &Row<'_>| Self::decode(row))
        })
    }

    /// Streams the rows' values to `f`, keeping none (see [`Query::for_each`]).
    pub fn for_each(self, db: impl Executor, mut f: impl FnMut(S::Output) -> Result<()>) -> Result<()> {
        db.with_connection(|conn| {
            let (sql, params) = self.render(conn.dialect())?;
            conn.for_each_row(&sql, &params, |row| f(Self::decode(row)?))
        })
    }

    /// Every row as a struct of yours (`#[derive(FromRow)]`, fields in the selection's
    /// order and types).
    pub fn all_as<T: crate::sql::projection::FromRow<Values = S::Output>>(self, db: impl Executor) -> Result<Vec<T>> {
        Ok(self.all(db)?.into_iter().map(T::from_values).collect())
    }

    /// The first row's values (`LIMIT 1`), if any.
    pub fn first(mut self, db: impl Executor) -> Result<Option<S::Output>> {
        self.query.select.limit = Some(self.query.select.limit.map_or(1, |n| n.min(1)));
        Ok(self.all(db)?.into_iter().next())
    }

    /// Exactly one row's values: [`NotFound`](crate::ErrorKind::NotFound) when there is
    /// none, [`MultipleRows`](crate::ErrorKind::MultipleRows) when there are more. For a
    /// single aggregate, its value: `Course::query().select(count_all()).one(&engine)?`.
    pub fn one(self, db: impl Executor) -> Result<S::Output> {
        let what = self.query.select.describe();
        let mut rows = self.all(db)?;
        match rows.len() {
            1 => Ok(rows.pop().expect("one row")),
            0 => Err(Error::not_found(what)),
            _ => Err(Error::multiple_rows(what)),
        }
    }
}

impl<M: Model> crate::sql::writes::Insert<M> {
    /// Runs the INSERT; returns the rows written (inserted or updated; not those a
    /// `do_nothing` skipped).
    pub fn execute(self, db: impl Executor) -> Result<u64> {
        db.with_connection(|conn| {
            let (sql, params) = self.to_sql(conn.dialect())?;
            let affected = conn.execute(&sql, &params)?;
            if conn.dialect().name() == "mysql" {
                return Ok(self.mysql_written(affected, conn.last_info().as_deref()));
            }
            Ok(affected)
        })
    }
}

impl<M: Model> crate::sql::writes::InsertSelect<M> {
    /// Runs the INSERT .. SELECT; returns the rows inserted.
    pub fn execute(self, db: impl Executor) -> Result<u64> {
        db.with_connection(|conn| {
            let (sql, params) = self.to_sql(conn.dialect())?;
            conn.execute(&sql, &params)
        })
    }
}
