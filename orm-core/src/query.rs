//! Typed SELECT queries: `Program::query().filter(..).order_by(..).all(&engine)`.

use std::marker::PhantomData;

use crate::dialect::Dialect;
use crate::engine::Executor;
use crate::error::{Error, Result};
use crate::expr::{Expr, OrderBy};
use crate::metadata::TableDef;
use crate::model::Model;
use crate::relationship::{Link, Path, Relationship};
use crate::row::Row;
use crate::sql::SqlWriter;
use crate::value::Value;

/// The parts of a SELECT over one model's table, independent of where it runs.
#[derive(Debug, Clone)]
pub(crate) struct Select {
    pub(crate) table: &'static TableDef,
    pub(crate) joins: Vec<Path>,
    /// A `join` that could not be resolved, reported when the query runs.
    pub(crate) join_error: Option<String>,
    pub(crate) filters: Vec<Expr>,
    pub(crate) order: Vec<OrderBy>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
}

impl Select {
    pub(crate) fn new(table: &'static TableDef) -> Select {
        Select {
            table,
            joins: Vec::new(),
            join_error: None,
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
        }
    }

    /// Adds a JOIN along a relationship from this table (or a table joined before).
    pub(crate) fn join(&mut self, join: Result<Path>) {
        match join {
            Ok(join) => {
                let (from, to) = (join.from(), join.to());
                if to.name == self.table.name || self.joins.iter().any(|j| j.to().name == to.name) {
                    self.join_error = Some(format!(
                        "`{}` is already in the query; a table can be joined once (filter a self-referential \
                         relationship with .any()/.has() instead)",
                        to.name
                    ));
                } else if from.name != self.table.name && !self.joins.iter().any(|j| j.to().name == from.name) {
                    self.join_error = Some(format!(
                        "cannot join `{}`: the relationship starts at `{}`, which is not in the query",
                        to.name, from.name
                    ));
                } else {
                    self.joins.push(join);
                }
            }
            Err(e) => self.join_error = Some(e.to_string()),
        }
    }

    /// Whether a join can repeat rows of the queried table (it joins children).
    pub(crate) fn fans_out(&self) -> bool {
        self.joins.iter().any(Path::fans_out)
    }

    fn check_tables(&self) -> Result<()> {
        if let Some(e) = &self.join_error {
            return Err(Error::invalid_state(e.clone()));
        }
        for f in &self.filters {
            f.check()?;
        }
        let own = self.table.name;
        let joined = |t: &str| t == own || self.joins.iter().any(|j| j.to().name == t);
        let other = self
            .filters
            .iter()
            .find_map(|f| f.other_table(own).filter(|t| !joined(t)))
            .or_else(|| self.order.iter().map(|o| o.column.table).find(|t| !joined(t)));
        match other {
            Some(other) => Err(Error::invalid_state(format!(
                "the query selects from `{}` but a filter or ordering uses a column of `{other}`; \
                 join it along a relationship first (.join(..)) or filter with .any()/.has()",
                self.table.name
            ))),
            None => Ok(()),
        }
    }

    /// ` JOIN t ON ..` for every join.
    fn joins_clause(&self, w: &mut SqlWriter) {
        for j in &self.joins {
            match j {
                Path::Secondary(sec) => {
                    let (assoc, from, to) = (sec.assoc, sec.from, sec.to);
                    w.push(" JOIN ").ident(assoc.name).push(" ON ").ident(assoc.name).push(".");
                    w.ident(assoc.columns[sec.from_col].name).push(" = ").ident(from.name).push(".");
                    w.ident(from.columns[sec.from_key].name);
                    w.push(" JOIN ").ident(to.name).push(" ON ").ident(to.name).push(".");
                    w.ident(to.columns[sec.to_key].name);
                    w.push(" = ").ident(assoc.name).push(".").ident(assoc.columns[sec.to_col].name);
                }
                Path::ForeignKey { link, .. } => {
                    w.push(" JOIN ").ident(j.to().name).push(" ON ");
                    w.ident(link.child.name).push(".").ident(link.child.columns[link.fk_column].name);
                    w.push(" = ").ident(link.parent.name).push(".");
                    w.ident(link.parent.columns[link.parent_column].name);
                }
            }
        }
    }

    fn where_clause(&self, w: &mut SqlWriter) {
        for (i, f) in self.filters.iter().enumerate() {
            w.push(if i == 0 { " WHERE " } else { " AND " });
            match f {
                Expr::Or(es) if es.len() > 1 && self.filters.len() > 1 => {
                    w.push("(").expr(f).push(")");
                }
                _ => {
                    w.expr(f);
                }
            }
        }
    }

    fn limit_offset(&self, w: &mut SqlWriter, limit: Option<u64>) {
        if let Some(n) = limit {
            w.push(" LIMIT ").param(Value::I64(i64::try_from(n).unwrap_or(i64::MAX)));
        } else if self.offset.is_some() && w.dialect.offset_needs_limit() {
            w.push(" LIMIT -1");
        }
        if let Some(n) = self.offset {
            w.push(" OFFSET ").param(Value::I64(i64::try_from(n).unwrap_or(i64::MAX)));
        }
    }

    /// `SELECT <all columns> FROM t WHERE .. ORDER BY .. LIMIT ..`, with `limit`
    /// overriding the query's own (for `first`).
    ///
    /// The SQL text depends only on the query's shape (tables, columns, operators), not on
    /// its values: texts are cached per shape, and a cached query only collects its
    /// parameters.
    pub(crate) fn render(&self, dialect: &'static dyn Dialect, limit: Option<u64>) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        let limit = match (limit, self.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let shape = self.shape(dialect, limit);
        if let Some(sql) = crate::sql::cached_sql(&shape) {
            let mut params = Vec::new();
            for f in &self.filters {
                crate::sql::expr_params(f, dialect, &mut params);
            }
            self.limit_offset_params(&mut params, limit);
            return Ok((sql, params));
        }
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ").select_list(self.table).push(" FROM ").ident(self.table.name);
        self.joins_clause(&mut w);
        self.where_clause(&mut w);
        w.order_by(&self.order);
        self.limit_offset(&mut w, limit);
        let (sql, params) = w.finish();
        crate::sql::cache_sql(shape, &sql);
        Ok((sql, params))
    }

    /// The SELECT with one more column: the number of children of each row over `link`.
    pub(crate) fn render_with_count(&self, dialect: &'static dyn Dialect, link: Link) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ").select_list(self.table).push(", (SELECT count(*) FROM ").ident(link.child.name);
        w.push(" WHERE ").ident(link.child.name).push(".").ident(link.child.columns[link.fk_column].name);
        w.push(" = ").ident(self.table.name).push(".").ident(link.parent.columns[link.parent_column].name);
        w.push(") AS count_1 FROM ").ident(self.table.name);
        self.joins_clause(&mut w);
        self.where_clause(&mut w);
        w.order_by(&self.order);
        self.limit_offset(&mut w, self.limit);
        Ok(w.finish())
    }

    /// What the SELECT's text depends on, as tokens.
    fn shape(&self, dialect: &'static dyn Dialect, limit: Option<u64>) -> Vec<usize> {
        let mut shape = Vec::with_capacity(16);
        shape.push(std::ptr::from_ref(self.table) as usize);
        shape.push(dialect.name().as_ptr() as usize);
        shape.push(self.joins.len());
        for j in &self.joins {
            match j {
                Path::Secondary(sec) => shape.extend([sec.assoc.name.as_ptr() as usize, sec.from_col, 2]),
                Path::ForeignKey { link, from_parent } => {
                    shape.extend([link.child.name.as_ptr() as usize, link.fk_column, usize::from(*from_parent)])
                }
            }
        }
        shape.push(self.filters.len());
        for f in &self.filters {
            crate::sql::expr_shape(f, dialect, &mut shape);
        }
        for o in &self.order {
            shape.extend([
                o.column.table.as_ptr() as usize,
                o.column.name.as_ptr() as usize,
                usize::from(o.descending),
            ]);
        }
        shape.push(usize::from(limit.is_some()) | usize::from(self.offset.is_some()) << 1 | 1 << 2);
        shape
    }

    /// The LIMIT and OFFSET parameters, in the order `limit_offset` binds them.
    fn limit_offset_params(&self, params: &mut Vec<Value>, limit: Option<u64>) {
        for n in [limit, self.offset].into_iter().flatten() {
            params.push(Value::I64(i64::try_from(n).unwrap_or(i64::MAX)));
        }
    }

    /// `SELECT count(*) ...` of the rows the query would return.
    pub(crate) fn render_count(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        let mut w = SqlWriter::new(dialect);
        if self.limit.is_none() && self.offset.is_none() && !self.fans_out() {
            w.push("SELECT count(*) AS count_1 FROM ").ident(self.table.name);
            self.joins_clause(&mut w);
            self.where_clause(&mut w);
        } else {
            // Rows repeated by a join count once: DISTINCT over the key.
            w.push("SELECT count(*) AS count_1 FROM (SELECT ");
            if self.fans_out() {
                w.push("DISTINCT ");
                for (n, c) in self.table.primary_key_columns().enumerate() {
                    if n > 0 {
                        w.push(", ");
                    }
                    w.ident(self.table.name).push(".").ident(c.name);
                }
            } else {
                w.push("1 AS one");
            }
            w.push(" FROM ").ident(self.table.name);
            self.joins_clause(&mut w);
            self.where_clause(&mut w);
            if !self.fans_out() {
                w.order_by(&self.order);
            }
            self.limit_offset(&mut w, self.limit);
            w.push(") AS anon_1");
        }
        Ok(w.finish())
    }

    /// `DELETE FROM t WHERE ..` for the query's filters.
    pub(crate) fn render_delete(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        if self.limit.is_some() || self.offset.is_some() || !self.order.is_empty() || !self.joins.is_empty() {
            return Err(Error::unsupported(
                "a bulk delete cannot have limit, offset, order_by or joins; filter the rows instead \
                 (.any()/.has() for related rows)",
            ));
        }
        let mut w = SqlWriter::new(dialect);
        w.push("DELETE FROM ").ident(self.table.name);
        self.where_clause(&mut w);
        Ok(w.finish())
    }

    pub(crate) fn describe(&self) -> String {
        format!("a query on `{}`", self.table.name)
    }
}

/// A SELECT of one model, built without a database and run on an [`Executor`]
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

    fn fetch(&self, db: impl Executor, limit: Option<u64>) -> Result<Vec<M>> {
        let rows = db.with_connection(|conn| {
            let (sql, params) = self.select.render(conn.dialect(), limit)?;
            conn.query_raw(&sql, &params, |row: &Row<'_>| M::from_row(row, 0))
        })?;
        if !self.select.fans_out() {
            return Ok(rows);
        }
        let mut seen = rustc_hash::FxHashSet::default();
        Ok(rows
            .into_iter()
            .filter(|m| {
                seen.insert(crate::session::IdentityKey::new(M::TABLE, &crate::PrimaryKey::to_values(&m.primary_key())))
            })
            .collect())
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

    /// The number of matching rows.
    pub fn count(self, db: impl Executor) -> Result<i64> {
        db.with_connection(|conn| {
            let (sql, params) = self.select.render_count(conn.dialect())?;
            let counts = conn.query_raw(&sql, &params, |row| row.get::<i64>(0))?;
            Ok(counts.into_iter().next().unwrap_or(0))
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

/// The link of a relationship whose children are counted.
pub(crate) fn counted_link<P: Model, C: Model>(rel: &Relationship<P, C>) -> Result<Link> {
    match rel.path()? {
        // Many-to-many: count the association rows.
        Path::Secondary(sec) => Ok(Link {
            parent: sec.from,
            child: sec.assoc,
            fk_column: sec.from_col,
            parent_column: sec.from_key,
            def: None,
        }),
        Path::ForeignKey { link, from_parent: true } => Ok(link),
        Path::ForeignKey { from_parent: false, .. } => Err(Error::invalid_state(format!(
            "{rel:?} goes from a child to its parent: there is one parent (or none) per row to count"
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{POSTGRES, SQLITE};
    use crate::expr::{CmpOp, ColumnRef};
    use crate::metadata::TableDef;

    static T: TableDef = TableDef {
        name: "t",
        model: "T",
        columns: &[],
        primary_key: &[],
        uniques: &[],
        indexes: &[],
        relationships: &[],
    };

    fn col(name: &'static str) -> ColumnRef {
        ColumnRef { table: "t", name }
    }

    #[test]
    fn cached_texts_give_the_same_sql_and_parameters_as_rendering() {
        let filters = vec![
            Expr::Compare { column: col("a"), op: CmpOp::Ge, value: Value::I32(1) },
            Expr::Or(vec![
                Expr::Like { column: col("b"), pattern: Value::from("x%"), case_insensitive: true },
                Expr::Not(Box::new(Expr::In {
                    column: col("c"),
                    values: vec![Value::I32(2), Value::I32(3)],
                    negated: true,
                })),
                Expr::IsNull { column: col("d"), negated: false },
            ]),
            Expr::And(vec![]),
        ];
        for dialect in [&POSTGRES as &'static dyn Dialect, &SQLITE] {
            let mut select = Select::new(&T);
            select.filters = filters.clone();
            select.offset = Some(5);
            let first = select.render(dialect, Some(1)).unwrap();
            let second = select.render(dialect, Some(1)).unwrap();
            assert_eq!(first, second);
            // Other values, same shape: the cached text, the new values.
            if let Expr::Compare { value, .. } = &mut select.filters[0] {
                *value = Value::I32(7);
            }
            let third = select.render(dialect, Some(1)).unwrap();
            assert_eq!(third.0, first.0);
            assert_eq!(third.1[0], Value::I32(7));
            // Another IN-list length is another text on SQLite only.
            if let Expr::Or(es) = &mut select.filters[1]
                && let Expr::Not(inner) = &mut es[1]
                && let Expr::In { values, .. } = inner.as_mut()
            {
                values.push(Value::I32(4));
            }
            let fourth = select.render(dialect, Some(1)).unwrap();
            let mut fresh = SqlWriter::new(dialect);
            fresh.push("SELECT ").select_list(select.table).push(" FROM ").ident(select.table.name);
            select.where_clause(&mut fresh);
            select.limit_offset(&mut fresh, Some(1));
            assert_eq!(fourth, fresh.finish());
        }
    }
}
