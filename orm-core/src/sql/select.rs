//! A SELECT over one model's table as a value (tables, joins, filters, order, limits),
//! rendered to SQL text and parameters for a dialect: what queries run by an engine, a
//! connection or a session have in common.

use crate::error::{Error, Result};
use crate::schema::link::{Link, Path};
use crate::schema::table::TableDef;
use crate::sql::cache::{cache_sql, cached_sql, expr_params, expr_shape};
use crate::sql::cte::{CTE_COLUMNS, CteJoin};
use crate::sql::dialect::Dialect;
use crate::sql::expr::{Expr, OrderBy};
use crate::sql::operand::Node;
use crate::sql::projection::Subquery;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// The parts of a SELECT over one model's table, independent of where it runs.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct Select {
    pub(crate) table: &'static TableDef,
    pub(crate) joins: Vec<Path>,
    /// The name each join's table goes by (`JOIN employees AS boss`), when aliased.
    pub(crate) join_aliases: Vec<Option<&'static str>>,
    /// A `join` that could not be resolved, reported when the query runs.
    pub(crate) join_error: Option<String>,
    pub(crate) filters: Vec<Expr>,
    pub(crate) order: Vec<OrderBy>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    /// Row locks: `FOR UPDATE` / `FOR SHARE` (PostgreSQL).
    pub(crate) lock: Option<Lock>,
    /// A walk along a self-referential relationship from the filtered rows (a recursive
    /// CTE): their descendants or ancestors.
    pub(crate) walk: Option<Walk>,
    /// Common table expressions joined in (`WITH name AS (..) .. JOIN name ON ..`).
    pub(crate) ctes: Vec<CteJoin>,
}

/// The rows reachable from the filtered ones over a self-referential foreign key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Walk {
    pub(crate) link: Link,
    /// Down to the children (descendants), or up to the parents (ancestors).
    pub(crate) down: bool,
}

impl PartialEq for Walk {
    fn eq(&self, other: &Walk) -> bool {
        self.down == other.down
            && self.link.fk_column == other.link.fk_column
            && std::ptr::eq(self.link.child, other.link.child)
    }
}

/// The row locks a SELECT takes (`FOR UPDATE [OF t] [NOWAIT | SKIP LOCKED]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lock {
    pub(crate) share: bool,
    pub(crate) wait: LockWait,
    /// Lock only the rows of these tables (`OF t`); empty: every table of the query.
    pub(crate) of: Vec<&'static str>,
}

/// What a locking SELECT does about rows another transaction has locked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LockWait {
    Wait,
    NoWait,
    SkipLocked,
}

impl Lock {
    fn tokens(&self, shape: &mut Vec<usize>) {
        shape.push(1 << 8 | usize::from(self.share) << 2 | self.wait as usize);
        shape.extend(self.of.iter().map(|t| t.as_ptr() as usize));
    }
}

/// Two SELECTs are equal when they read the same table the same way.
impl PartialEq for Select {
    fn eq(&self, other: &Select) -> bool {
        std::ptr::eq(self.table, other.table)
            && self.joins == other.joins
            && self.join_aliases == other.join_aliases
            && self.join_error == other.join_error
            && self.filters == other.filters
            && self.order == other.order
            && self.limit == other.limit
            && self.offset == other.offset
            && self.lock == other.lock
            && self.walk == other.walk
            && self.ctes == other.ctes
    }
}

impl Select {
    pub(crate) fn new(table: &'static TableDef) -> Select {
        Select {
            table,
            joins: Vec::new(),
            join_aliases: Vec::new(),
            join_error: None,
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            lock: None,
            walk: None,
            ctes: Vec::new(),
        }
    }

    /// Walks a relationship from the filtered rows to every row reachable over it.
    pub(crate) fn walk(&mut self, path: Result<Path>, down_from_parent: bool) {
        match path {
            // Either side of the relationship names the same tree.
            Ok(Path::ForeignKey { link, .. }) if std::ptr::eq(link.parent, link.child) => {
                self.walk = Some(Walk { link, down: down_from_parent });
            }
            Ok(_) => {
                self.join_error = Some(format!(
                    "descendants()/ancestors() walk a self-referential one-to-many relationship (a tree of \
                     `{}` rows); this one is not",
                    self.table.name
                ));
            }
            Err(e) => self.join_error = Some(e.to_string()),
        }
    }

    /// `WITH RECURSIVE orm_tree(k, up) AS (SELECT .. WHERE <filters> UNION SELECT .. JOIN
    /// orm_tree ..)`, and the filter that keeps the rows it reached.
    fn write_walk(&self, w: &mut SqlWriter, walk: Walk) {
        let t = self.table.name;
        let key = self.table.columns[walk.link.parent_column].name;
        let fk = self.table.columns[walk.link.fk_column].name;
        let member = |w: &mut SqlWriter| {
            w.push("SELECT ").ident(t).push(".").ident(key).push(", ").ident(t).push(".").ident(fk);
            w.push(" FROM ").ident(t);
        };
        w.push("WITH RECURSIVE orm_tree(k, up) AS (");
        member(w);
        self.where_clause(w);
        w.push(" UNION ");
        member(w);
        w.push(" JOIN orm_tree ON ");
        if walk.down {
            w.ident(t).push(".").ident(fk).push(" = orm_tree.k");
        } else {
            w.ident(t).push(".").ident(key).push(" = orm_tree.up");
        }
        w.push(") ");
    }

    /// The lock of the query, set up (FOR UPDATE unless said otherwise).
    pub(crate) fn lock_mut(&mut self) -> &mut Lock {
        self.lock.get_or_insert_with(|| Lock { share: false, wait: LockWait::Wait, of: Vec::new() })
    }

    /// ` FOR UPDATE OF t NOWAIT`; an error where the dialect has no row locks, or the
    /// query cannot lock its rows.
    fn lock_clause(&self, w: &mut SqlWriter) -> Result<()> {
        let Some(lock) = &self.lock else { return Ok(()) };
        if !w.dialect.row_locks() {
            return Err(Error::unsupported(format!(
                "{} has no row locks (FOR UPDATE / FOR SHARE): a write transaction there locks the whole \
                 database from BEGIN, which already serializes writers; drop for_update()/for_share() \
                 on this backend",
                w.dialect.name()
            )));
        }
        if self.fans_out() {
            return Err(Error::unsupported(
                "a query whose join repeats rows cannot lock them (PostgreSQL refuses FOR UPDATE with \
                 DISTINCT); filter with .any() instead of joining the children",
            ));
        }
        w.push(if lock.share { " FOR SHARE" } else { " FOR UPDATE" });
        for (n, table) in lock.of.iter().enumerate() {
            w.push(if n == 0 { " OF " } else { ", " }).ident(table);
        }
        w.push(match lock.wait {
            LockWait::Wait => "",
            LockWait::NoWait => " NOWAIT",
            LockWait::SkipLocked => " SKIP LOCKED",
        });
        Ok(())
    }

    /// Whether the query takes row locks (and so must run inside a transaction).
    pub(crate) fn locks(&self) -> bool {
        self.lock.is_some()
    }

    /// Adds a JOIN along a relationship from this table (or a table joined before).
    pub(crate) fn join(&mut self, join: Result<Path>) {
        match join {
            Ok(join) => {
                let (from, to) = (join.from(), join.to());
                if to.name == self.table.name || self.joins.iter().any(|j| j.to().name == to.name) {
                    self.join_error = Some(format!(
                        "`{}` is already in the query; join it again under another name with \
                         .join_as(rel, \"alias\") and name its columns with Column::of(\"alias\")",
                        to.name
                    ));
                } else if from.name != self.table.name && !self.joins.iter().any(|j| j.to().name == from.name) {
                    self.join_error = Some(format!(
                        "cannot join `{}`: the relationship starts at `{}`, which is not in the query",
                        to.name, from.name
                    ));
                } else {
                    self.joins.push(join);
                    self.join_aliases.push(None);
                }
            }
            Err(e) => self.join_error = Some(e.to_string()),
        }
    }

    /// Adds a JOIN along a relationship from this table, its table named `alias`: a
    /// second copy of a table (an employee's manager, from `employees` again).
    pub(crate) fn join_as(&mut self, join: Result<Path>, alias: &'static str) {
        match join {
            Ok(join @ Path::ForeignKey { .. }) => {
                let from = join.from();
                if alias == self.table.name || self.known(alias) {
                    self.join_error = Some(format!("`{alias}` is already a name in the query; pick another alias"));
                } else if from.name != self.table.name {
                    self.join_error = Some(format!(
                        "join_as starts at the queried table `{}`; `{}` is not it",
                        self.table.name, from.name
                    ));
                } else {
                    self.joins.push(join);
                    self.join_aliases.push(Some(alias));
                }
            }
            Ok(Path::Secondary(_)) => {
                self.join_error = Some("join_as takes a one-to-many or many-to-one relationship".to_owned());
            }
            Err(e) => self.join_error = Some(e.to_string()),
        }
    }

    /// Joins a common table expression: `JOIN name ON on`, with `WITH name AS (..)`
    /// ahead of the SELECT.
    pub(crate) fn join_cte(&mut self, cte: CteJoin) {
        if cte.name == self.table.name || self.known(cte.name) {
            self.join_error = Some(format!("`{}` is already a name in the query; name the CTE otherwise", cte.name));
        } else if cte.query.items.len() > CTE_COLUMNS.len() {
            self.join_error = Some(format!("a CTE selects at most {} columns", CTE_COLUMNS.len()));
        } else {
            self.ctes.push(cte);
        }
    }

    /// Whether `name` is a table, alias or CTE the query's joins bring in.
    fn known(&self, name: &str) -> bool {
        self.ctes.iter().any(|c| c.name == name)
            || self.joins.iter().zip(&self.join_aliases).any(|(j, alias)| match alias {
                Some(a) => *a == name,
                None => j.to().name == name,
            })
    }

    /// `WITH [RECURSIVE] name(col_1, ..) AS (.. [UNION ALL ..]), .. ` for the joined CTEs
    /// (a CTE joined inside its own recursive part is defined by the enclosing WITH).
    fn with_clause(&self, w: &mut SqlWriter) {
        let defined: Vec<&CteJoin> = self.ctes.iter().filter(|c| !c.reference).collect();
        let recursive = defined.iter().any(|c| c.step.is_some());
        for (i, cte) in defined.iter().enumerate() {
            let start = match (i, recursive) {
                (0, true) => "WITH RECURSIVE ",
                (0, false) => "WITH ",
                _ => ", ",
            };
            w.push(start).ident(cte.name).push("(");
            for (n, name) in CTE_COLUMNS.iter().take(cte.query.items.len()).enumerate() {
                w.push(if n == 0 { "" } else { ", " }).push(name);
            }
            w.push(") AS (");
            cte.query.write(w);
            if let Some(step) = &cte.step {
                w.push(" UNION ALL ");
                step.write(w);
            }
            w.push(")");
        }
        if !defined.is_empty() {
            w.push(" ");
        }
    }

    /// Whether a join can repeat rows of the queried table (it joins children).
    pub(crate) fn fans_out(&self) -> bool {
        self.joins.iter().any(Path::fans_out)
    }

    fn check_tables(&self) -> Result<()> {
        self.check_tables_within(&[])
    }

    /// [`check_tables`](Self::check_tables) for a query inside another, whose tables
    /// (`outer`) its filters may name.
    fn check_tables_within(&self, outer: &[&'static str]) -> Result<()> {
        if let Some(e) = &self.join_error {
            return Err(Error::invalid_state(e.clone()));
        }
        for f in self.filters.iter().chain(self.ctes.iter().map(|c| &c.on)) {
            f.check()?;
        }
        for cte in self.ctes.iter().filter(|c| !c.reference) {
            cte.query.check(&[])?;
            if let Some(step) = &cte.step {
                step.check(&[])?;
            }
        }
        let own = self.table.name;
        let joined = |t: &str| t == own || self.known(t) || outer.contains(&t);
        let other =
            self.filters.iter().chain(self.ctes.iter().map(|c| &c.on)).find_map(|f| f.unknown_table(&joined)).or_else(
                || {
                    let mut tables = Vec::new();
                    self.order.iter().for_each(|o| o.node.tables(&mut tables));
                    tables.into_iter().find(|t| !joined(t))
                },
            );
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
        for (j, alias) in self.joins.iter().zip(&self.join_aliases) {
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
                Path::ForeignKey { link, from_parent } => {
                    w.push(" JOIN ").ident(j.to().name);
                    // The joined side goes by its alias; the side it starts from by its name.
                    let (child, parent) = match alias {
                        Some(a) => {
                            w.push(" AS ").ident(a);
                            if *from_parent { (*a, link.parent.name) } else { (link.child.name, *a) }
                        }
                        None => (link.child.name, link.parent.name),
                    };
                    w.push(" ON ");
                    w.ident(child).push(".").ident(link.child.columns[link.fk_column].name);
                    w.push(" = ").ident(parent).push(".");
                    w.ident(link.parent.columns[link.parent_column].name);
                }
            }
        }
        for cte in &self.ctes {
            w.push(" JOIN ").ident(cte.name).push(" ON ").expr(&cte.on);
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
        let cacheable = self.walk.is_none()
            && self.ctes.is_empty()
            && self.filters.iter().all(Expr::cacheable)
            && self.order.iter().all(|o| matches!(o.node, Node::Column(_)));
        let shape = if cacheable { self.shape(dialect, limit) } else { Vec::new() };
        if cacheable && let Some(sql) = cached_sql(&shape) {
            let mut params = Vec::new();
            for f in &self.filters {
                expr_params(f, dialect, &mut params);
            }
            self.limit_offset_params(&mut params, limit);
            return Ok((sql, params));
        }
        let mut w = SqlWriter::new(dialect);
        if let Some(walk) = self.walk {
            if !self.joins.is_empty() || !self.ctes.is_empty() || self.lock.is_some() {
                return Err(Error::unsupported("a walk (descendants/ancestors) takes no joins or locks"));
            }
            self.write_walk(&mut w, walk);
            w.push("SELECT ").select_list(self.table).push(" FROM ").ident(self.table.name);
            let key = self.table.columns[walk.link.parent_column].name;
            w.push(" WHERE ").ident(self.table.name).push(".").ident(key).push(" IN (SELECT k FROM orm_tree)");
        } else {
            self.with_clause(&mut w);
            w.push("SELECT ").select_list(self.table).push(" FROM ").ident(self.table.name);
            self.joins_clause(&mut w);
            self.where_clause(&mut w);
        }
        w.order_by(&self.order);
        self.limit_offset(&mut w, limit);
        self.lock_clause(&mut w)?;
        let (sql, params) = w.finish();
        if cacheable {
            cache_sql(shape, &sql);
        }
        Ok((sql, params))
    }

    /// The checks of a projection (`sql/projection.rs`) over this SELECT: `tables` are
    /// those its expressions name, `outer` those of an enclosing query.
    pub(crate) fn check_projection(
        &self,
        items: &[Node],
        group_by: &[Node],
        having: &[Expr],
        tables: &[&'static str],
        outer: &[&'static str],
    ) -> Result<()> {
        self.check_tables_within(outer)?;
        let own = self.table.name;
        let joined = |t: &str| t == own || self.known(t) || outer.contains(&t);
        let other = tables
            .iter()
            .copied()
            .find(|t| !joined(t))
            .or_else(|| having.iter().find_map(|h| h.unknown_table(&joined)));
        if let Some(other) = other {
            return Err(Error::invalid_state(format!(
                "the query selects from `{own}` but an expression uses a column of `{other}`; join it along \
                 a relationship first (.join(..))"
            )));
        }
        if self.lock.is_some() && (!group_by.is_empty() || items.iter().any(Node::is_aggregate)) {
            return Err(Error::unsupported("grouped or aggregated rows cannot be locked; lock the rows themselves"));
        }
        Ok(())
    }

    /// Whether the dialect can take the query's locks (see `lock_clause`).
    pub(crate) fn check_lock(&self, dialect: &'static dyn Dialect) -> Result<()> {
        self.lock_clause(&mut SqlWriter::new(dialect))
    }

    /// `SELECT [DISTINCT] <items> FROM .. WHERE .. GROUP BY .. HAVING .. ORDER BY .. LIMIT ..`.
    pub(crate) fn write_projection(&self, w: &mut SqlWriter, q: &Subquery) {
        self.with_clause(w);
        w.push(if q.distinct { "SELECT DISTINCT " } else { "SELECT " });
        for (i, on) in q.distinct_on.iter().enumerate() {
            w.push(if i == 0 { "DISTINCT ON (" } else { ", " }).node(on);
        }
        if !q.distinct_on.is_empty() {
            w.push(") ");
        }
        for (i, item) in q.items.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).node(item);
        }
        w.push(" FROM ").ident(self.table.name);
        self.joins_clause(w);
        self.where_clause(w);
        for (i, g) in q.group_by.iter().enumerate() {
            w.push(if i == 0 { " GROUP BY " } else { ", " });
            // A selected expression is grouped by its position: PostgreSQL does not see
            // `CASE WHEN x < $1 ..` and `CASE WHEN x < $4 ..` as the same expression.
            match q.items.iter().position(|item| item == g) {
                Some(at) if !matches!(g, Node::Column(_)) => {
                    w.push(&(at + 1).to_string());
                }
                _ => {
                    w.node(g);
                }
            }
        }
        for (i, h) in q.having.iter().enumerate() {
            w.push(if i == 0 { " HAVING " } else { " AND " });
            w.push("(").expr(h).push(")");
        }
        for (op, other) in &q.compounds {
            w.push(op.sql());
            other.write(w);
        }
        if q.compounds.is_empty() {
            w.order_by(&self.order);
        } else {
            // A compound query is ordered by its result's columns, by position (checked to
            // be selected by `Subquery::check_compounds`).
            for (i, o) in self.order.iter().enumerate() {
                let at = q.items.iter().position(|item| *item == o.node).map_or(0, |at| at + 1);
                w.push(if i == 0 { " ORDER BY " } else { ", " }).push(&at.to_string());
                w.order_direction(o);
            }
        }
        self.limit_offset(w, self.limit);
        let _ = self.lock_clause(w);
    }

    /// The SELECT with one more column: the number of children of each row over `link`.
    pub(crate) fn render_with_count(&self, dialect: &'static dyn Dialect, link: Link) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        let mut w = SqlWriter::new(dialect);
        self.with_clause(&mut w);
        w.push("SELECT ").select_list(self.table).push(", (SELECT count(*) FROM ").ident(link.child.name);
        w.push(" WHERE ").ident(link.child.name).push(".").ident(link.child.columns[link.fk_column].name);
        w.push(" = ").ident(self.table.name).push(".").ident(link.parent.columns[link.parent_column].name);
        w.push(") AS count_1 FROM ").ident(self.table.name);
        self.joins_clause(&mut w);
        self.where_clause(&mut w);
        w.order_by(&self.order);
        self.limit_offset(&mut w, self.limit);
        self.lock_clause(&mut w)?;
        Ok(w.finish())
    }

    /// What the SELECT's text depends on, as tokens.
    fn shape(&self, dialect: &'static dyn Dialect, limit: Option<u64>) -> Vec<usize> {
        let mut shape = Vec::with_capacity(16);
        shape.push(std::ptr::from_ref(self.table) as usize);
        shape.push(dialect.name().as_ptr() as usize);
        shape.push(self.joins.len());
        shape.extend(self.join_aliases.iter().map(|a| a.map_or(0, |a| a.as_ptr() as usize)));
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
            expr_shape(f, dialect, &mut shape);
        }
        for o in &self.order {
            if let Node::Column(c) = &o.node {
                shape.extend([
                    c.table.as_ptr() as usize,
                    c.name.as_ptr() as usize,
                    usize::from(o.descending)
                        | usize::from(o.nulls_first.is_some()) << 1
                        | usize::from(o.puts_nulls_first()) << 2,
                ]);
            }
        }
        shape.push(usize::from(limit.is_some()) | usize::from(self.offset.is_some()) << 1 | 1 << 2);
        if let Some(lock) = &self.lock {
            lock.tokens(&mut shape);
        }
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
        if self.walk.is_some() {
            return Err(Error::unsupported("count the rows of a walk (descendants/ancestors) with .all()"));
        }
        if self.lock.is_some() {
            return Err(Error::unsupported(
                "a count locks no rows (PostgreSQL refuses FOR UPDATE with aggregates); lock them with \
                 .all() and count those",
            ));
        }
        let mut w = SqlWriter::new(dialect);
        self.with_clause(&mut w);
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

    /// A query that an UPDATE or DELETE can take the filters of: no limit, offset,
    /// ordering, joins or locks.
    pub(crate) fn check_plain(&self, what: &str) -> Result<()> {
        self.check_tables()?;
        if self.limit.is_some()
            || self.walk.is_some()
            || self.offset.is_some()
            || !self.order.is_empty()
            || !self.joins.is_empty()
            || !self.ctes.is_empty()
            || self.lock.is_some()
        {
            return Err(Error::unsupported(format!(
                "{what} cannot have limit, offset, order_by, joins or locks; filter the rows instead \
                 (.any()/.has() for related rows)"
            )));
        }
        Ok(())
    }

    /// ` WHERE ..` of the query's filters.
    pub(crate) fn write_where(&self, w: &mut SqlWriter) {
        self.where_clause(w);
    }

    /// `DELETE FROM t WHERE ..` for the query's filters.
    pub(crate) fn render_delete(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.check_plain("a bulk delete")?;
        let mut w = SqlWriter::new(dialect);
        w.push("DELETE FROM ").ident(self.table.name);
        self.where_clause(&mut w);
        Ok(w.finish())
    }

    pub(crate) fn describe(&self) -> String {
        format!("a query on `{}`", self.table.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::dialect::{POSTGRES, SQLITE};
    use crate::sql::expr::{CmpOp, ColumnRef};

    static T: TableDef = TableDef::for_tests(&[]);

    fn col(name: &'static str) -> ColumnRef {
        ColumnRef::not_null("t", name)
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
