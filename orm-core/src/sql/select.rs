//! A SELECT as a value (what it reads from, joins, filters, order, limits), rendered to
//! SQL text and parameters for a dialect: what queries run by an engine, a connection or
//! a session have in common.

use crate::error::{Error, Result};
use crate::schema::link::{Link, Path};
use crate::schema::table::TableDef;
use crate::sql::cache::{cache_sql, cached_sql, expr_params, expr_shape};
use crate::sql::cte::CTE_COLUMNS;
use crate::sql::dialect::Dialect;
use crate::sql::expr::{Expr, OrderBy};
use crate::sql::operand::Node;
use crate::sql::projection::ValueQuery;
use crate::sql::source::{Join, JoinKind, Named, Source};
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// The parts of a SELECT, independent of where it runs.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct Select {
    /// What the SELECT reads from first: a model's table, or a named query.
    pub(crate) root: Source,
    /// The joins, in the order they were asked for.
    pub(crate) joins: Vec<Join>,
    /// A join that could not be resolved, reported when the query runs.
    pub(crate) join_error: Option<String>,
    pub(crate) filters: Vec<Expr>,
    /// `ORDER BY` terms, in the order they were asked for.
    pub(crate) order: Vec<OrderBy>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    /// Row locks: `FOR UPDATE` / `FOR SHARE` (PostgreSQL).
    pub(crate) lock: Option<Lock>,
    /// A walk along a self-referential relationship from the filtered rows (a recursive
    /// CTE): their descendants or ancestors.
    pub(crate) walk: Option<Walk>,
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

/// Two SELECTs are equal when they read the same tables the same way.
impl PartialEq for Select {
    fn eq(&self, other: &Select) -> bool {
        self.root == other.root
            && self.joins == other.joins
            && self.join_error == other.join_error
            && self.filters == other.filters
            && self.order == other.order
            && self.limit == other.limit
            && self.offset == other.offset
            && self.lock == other.lock
            && self.walk == other.walk
    }
}

impl Select {
    pub(crate) fn new(table: &'static TableDef) -> Select {
        Select::from_source(Source::Table { table, alias: None })
    }

    /// A SELECT that reads from `root`: an aliased table, a CTE or a subquery.
    pub(crate) fn from_source(root: Source) -> Select {
        Select {
            root,
            joins: Vec::new(),
            join_error: None,
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            lock: None,
            walk: None,
        }
    }

    /// The model's table the SELECT reads its rows from (objects are read only from one).
    pub(crate) fn model_table(&self) -> Result<&'static TableDef> {
        match &self.root {
            Source::Table { table, .. } => Ok(table),
            Source::Named(named) => Err(Error::invalid_state(format!(
                "`{}` is a query, not a table: select values from it (.select(..)), not objects",
                named.name
            ))),
        }
    }

    /// The name the SELECT calls its root by (the table, its alias, the CTE).
    pub(crate) fn root_name(&self) -> &'static str {
        self.root.name()
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
                    self.root_name()
                ));
            }
            Err(e) => self.join_error = Some(e.to_string()),
        }
    }

    /// `WITH RECURSIVE orm_tree(k, up) AS (SELECT .. WHERE <filters> UNION SELECT .. JOIN
    /// orm_tree ..)`, and the filter that keeps the rows it reached.
    fn write_walk(&self, w: &mut SqlWriter, table: &'static TableDef, walk: Walk) {
        let t = table.name;
        let key = table.columns[walk.link.parent_column].name;
        let fk = table.columns[walk.link.fk_column].name;
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
        if let Some(outer) = self.joins.iter().find(|j| j.kind() != JoinKind::Inner) {
            return Err(Error::unsupported(format!(
                "the rows of an outer join cannot be locked (PostgreSQL refuses FOR UPDATE on the NULL side \
                 of one): lock `{}`'s rows with an inner join or a filter instead",
                outer.names().join("`, `")
            )));
        }
        let of_every_table = lock.of.is_empty() || (self.joins.is_empty() && lock.of == [self.root_name()]);
        if !w.dialect.lock_of() && !of_every_table {
            return Err(Error::unsupported(
                "MariaDB locks the rows of every table a query reads and cannot name some (FOR UPDATE OF): \
                 drop of(..), or lock the other table's rows with a query of their own",
            ));
        }
        let share = w.dialect.share_lock();
        w.push(if lock.share { share } else { " FOR UPDATE" });
        if w.dialect.lock_of() {
            for (n, table) in lock.of.iter().enumerate() {
                w.push(if n == 0 { " OF " } else { ", " }).ident(table);
            }
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

    /// Whether `name` is already a name in the query (its root, a join, a joined CTE).
    fn known(&self, name: &str) -> bool {
        self.root_name() == name || self.joins.iter().any(|j| j.names().contains(&name))
    }

    /// The name `table` goes by where a relationship starts from it: the root's (maybe an
    /// alias) when it is the root's table, else its own.
    fn name_of(&self, table: &'static TableDef) -> &'static str {
        match &self.root {
            Source::Table { table: root, alias } if std::ptr::eq(*root, table) => alias.unwrap_or(table.name),
            _ => table.name,
        }
    }

    /// Whether `table` is in the query under its own name, or as the root under an alias.
    fn has_table(&self, table: &'static TableDef) -> bool {
        matches!(&self.root, Source::Table { table: root, .. } if std::ptr::eq(*root, table))
            || self.joins.iter().any(|j| match j {
                Join::Along { path: Path::Secondary(sec), .. } => std::ptr::eq(sec.to, table),
                Join::Along { path, alias: None, .. } => std::ptr::eq(path.to(), table),
                Join::On { source: Source::Table { table: t, alias: None }, .. } => std::ptr::eq(*t, table),
                _ => false,
            })
    }

    /// Adds a JOIN along a relationship from the queried table (or a table joined before),
    /// the joined table under `alias` when given.
    pub(crate) fn join_along(&mut self, kind: JoinKind, join: Result<Path>, alias: Option<&'static str>) {
        let join = match join {
            Ok(join) => join,
            Err(e) => {
                self.join_error = Some(e.to_string());
                return;
            }
        };
        let (from, to) = (join.from(), join.to());
        let name = alias.unwrap_or(to.name);
        if self.known(name) || matches!(join, Path::Secondary(sec) if self.known(sec.assoc.name)) {
            self.join_error = Some(match alias {
                Some(a) => format!("`{a}` is already a name in the query; pick another alias"),
                None => format!(
                    "`{}` is already in the query; join it again under another name with \
                     .join_as(rel, \"alias\") and name its columns with Column::of(\"alias\")",
                    to.name
                ),
            });
        } else if !self.has_table(from) {
            self.join_error = Some(format!(
                "cannot join `{}`: the relationship starts at `{}`, which is not in the query",
                to.name, from.name
            ));
        } else if alias.is_some() && matches!(join, Path::Secondary(_)) {
            self.join_error = Some("join_as takes a one-to-many or many-to-one relationship".to_owned());
        } else {
            self.joins.push(Join::Along { kind, path: join, alias });
        }
    }

    /// Adds a JOIN of a table or named query on a condition.
    pub(crate) fn join_on(&mut self, kind: JoinKind, source: Source, on: Expr) {
        let name = source.name();
        if self.known(name) {
            let hint = match source {
                Source::Table { .. } => "; join it again under another name with aliased::<Model>(\"alias\")",
                Source::Named(_) => "; name it otherwise",
            };
            self.join_error = Some(format!("`{name}` is already a name in the query{hint}"));
        } else {
            self.joins.push(Join::On { kind, source, on });
        }
    }

    /// The names on the NULL side of an outer join: a LEFT JOIN's table, and for a FULL
    /// JOIN everything before it too.
    pub(crate) fn outer_names(&self) -> Vec<&'static str> {
        let mut outer = Vec::new();
        let mut so_far = vec![self.root_name()];
        for join in &self.joins {
            let names = join.names();
            match join.kind() {
                JoinKind::Inner => {}
                JoinKind::Left => outer.extend(names.iter().copied()),
                JoinKind::Full => {
                    outer.extend(so_far.iter().copied());
                    outer.extend(names.iter().copied());
                }
            }
            so_far.extend(names);
        }
        outer
    }

    /// The named queries the SELECT reads from, root first.
    pub(crate) fn named_sources(&self) -> impl Iterator<Item = &Named> {
        let root = match &self.root {
            Source::Named(named) => Some(&**named),
            Source::Table { .. } => None,
        };
        root.into_iter().chain(self.joins.iter().filter_map(|j| match j {
            Join::On { source: Source::Named(named), .. } => Some(&**named),
            _ => None,
        }))
    }

    /// Whether the SELECT reads only from tables joined along relationships (its text
    /// then depends only on its shape).
    fn reads_tables_only(&self) -> bool {
        matches!(self.root, Source::Table { .. }) && self.joins.iter().all(|j| matches!(j, Join::Along { .. }))
    }

    /// `WITH [RECURSIVE] name(col_1, ..) AS (.. [UNION ALL ..]), .. ` for the CTEs read
    /// (a CTE joined inside its own recursive part is defined by the enclosing WITH).
    fn with_clause(&self, w: &mut SqlWriter) {
        let defined: Vec<&Named> = self.named_sources().filter(|n| !n.reference && !n.inline).collect();
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
        self.joins.iter().any(|j| matches!(j, Join::Along { path, .. } if path.fans_out()))
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
        let conditions = self.joins.iter().filter_map(|j| match j {
            Join::On { on, .. } => Some(on),
            Join::Along { .. } => None,
        });
        for f in self.filters.iter().chain(conditions.clone()) {
            f.check()?;
        }
        for named in self.named_sources().filter(|n| !n.reference) {
            if named.query.items.len() > CTE_COLUMNS.len() {
                return Err(Error::invalid_state(format!(
                    "`{}` selects {} columns; a CTE or subquery selects at most {}",
                    named.name,
                    named.query.items.len(),
                    CTE_COLUMNS.len()
                )));
            }
            named.query.check(&[])?;
            if let Some(step) = &named.step {
                step.check(&[])?;
            }
        }
        let joined = |t: &str| self.known(t) || outer.contains(&t);
        let other = self.filters.iter().chain(conditions).find_map(|f| f.unknown_table(&joined)).or_else(|| {
            self.order.iter().find_map(|o| match &o.node {
                Node::Column(c) => (!joined(c.table)).then_some(c.table),
                node => {
                    let mut tables = Vec::new();
                    node.tables(&mut tables);
                    tables.into_iter().find(|t| !joined(t))
                }
            })
        });
        match other {
            Some(other) => Err(Error::invalid_state(format!(
                "the query selects from `{}` but a filter or ordering uses a column of `{other}`; \
                 join it along a relationship first (.join(..)) or on a condition (.join_on(..)), or filter \
                 with .any()/.has()",
                self.root_name()
            ))),
            None => Ok(()),
        }
    }

    /// ` FROM t [AS a]`, ` FROM cte`, ` FROM (SELECT ..) AS name`.
    fn write_from(&self, w: &mut SqlWriter) {
        w.push(" FROM ");
        write_source(w, &self.root);
    }

    /// ` [LEFT OUTER | FULL OUTER] JOIN t ON ..` for every join, in order.
    fn joins_clause(&self, w: &mut SqlWriter) {
        for join in &self.joins {
            match join {
                Join::Along { kind, path: Path::Secondary(sec), .. } => {
                    let (assoc, from, to) = (sec.assoc, sec.from, sec.to);
                    let from_name = self.name_of(from);
                    w.push(kind.sql()).ident(assoc.name).push(" ON ").ident(assoc.name).push(".");
                    w.ident(assoc.columns[sec.from_col].name).push(" = ").ident(from_name).push(".");
                    w.ident(from.columns[sec.from_key].name);
                    w.push(kind.sql()).ident(to.name).push(" ON ").ident(to.name).push(".");
                    w.ident(to.columns[sec.to_key].name);
                    w.push(" = ").ident(assoc.name).push(".").ident(assoc.columns[sec.to_col].name);
                }
                Join::Along { kind, path: path @ Path::ForeignKey { link, from_parent }, alias } => {
                    w.push(kind.sql()).ident(path.to().name);
                    if let Some(a) = alias {
                        w.push(" AS ").ident(a);
                    }
                    // The joined side goes by its alias; the side it starts from by the name
                    // the query gives it.
                    let to_name = alias.unwrap_or(path.to().name);
                    let from_name = self.name_of(path.from());
                    let (child, parent) = if *from_parent { (to_name, from_name) } else { (from_name, to_name) };
                    w.push(" ON ");
                    w.ident(child).push(".").ident(link.child.columns[link.fk_column].name);
                    w.push(" = ").ident(parent).push(".");
                    w.ident(link.parent.columns[link.parent_column].name);
                }
                Join::On { kind, source, on } => {
                    w.push(kind.sql());
                    write_source(w, source);
                    w.push(" ON ").expr(on);
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
            // No limit: -1 on SQLite, the largest unsigned BIGINT on MySQL.
            w.push(if w.dialect.name() == "mysql" { " LIMIT 18446744073709551615" } else { " LIMIT -1" });
        }
        if let Some(n) = self.offset {
            w.push(" OFFSET ").param(Value::I64(i64::try_from(n).unwrap_or(i64::MAX)));
        }
    }

    /// Runs `f` with the writer knowing this SELECT's outer-joined names (NULLs placed
    /// in ORDER BY), as well as those of the SELECTs it is written inside.
    fn with_outer_names<R>(&self, w: &mut SqlWriter, f: impl FnOnce(&mut SqlWriter) -> R) -> R {
        let before = w.outer_tables.len();
        w.outer_tables.extend(self.outer_names());
        let result = f(w);
        w.outer_tables.truncate(before);
        result
    }

    /// Refuses what a query of whole objects cannot do: read from a named query, or let
    /// a FULL JOIN make its rows NULL.
    fn check_objects(&self) -> Result<&'static TableDef> {
        let table = self.model_table()?;
        if self.joins.iter().any(|j| j.kind() == JoinKind::Full) {
            return Err(Error::unsupported(format!(
                "a FULL JOIN gives rows with no `{}` row, which are no objects; select values instead \
                 (.select(..)), reading the model's side with .nullable()",
                table.name
            )));
        }
        Ok(table)
    }

    /// `SELECT <all columns> FROM t WHERE .. ORDER BY .. LIMIT ..`, with `limit`
    /// overriding the query's own (for `first`).
    ///
    /// The SQL text depends only on the query's shape (tables, columns, operators), not on
    /// its values: texts are cached per shape, and a cached query only collects its
    /// parameters.
    pub(crate) fn render(&self, dialect: &'static dyn Dialect, limit: Option<u64>) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        let table = self.check_objects()?;
        let limit = match (limit, self.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let cacheable = self.walk.is_none()
            && self.reads_tables_only()
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
        w.outer_tables = self.outer_names();
        if let Some(walk) = self.walk {
            if !self.joins.is_empty() || !matches!(self.root, Source::Table { alias: None, .. }) || self.lock.is_some()
            {
                return Err(Error::unsupported("a walk (descendants/ancestors) takes no joins, alias or locks"));
            }
            self.write_walk(&mut w, table, walk);
            w.push("SELECT ").select_list(table, table.name).push(" FROM ").ident(table.name);
            let key = table.columns[walk.link.parent_column].name;
            w.push(" WHERE ").ident(table.name).push(".").ident(key).push(" IN (SELECT k FROM orm_tree)");
        } else {
            self.with_clause(&mut w);
            w.push("SELECT ").select_list(table, self.root_name());
            self.write_from(&mut w);
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
        let own = self.root_name();
        let joined = |t: &str| self.known(t) || outer.contains(&t);
        let other = tables
            .iter()
            .copied()
            .find(|t| !joined(t))
            .or_else(|| having.iter().find_map(|h| h.unknown_table(&joined)));
        if let Some(other) = other {
            return Err(Error::invalid_state(format!(
                "the query selects from `{own}` but an expression uses a column of `{other}`; join it \
                 along a relationship first (.join(..)) or on a condition (.join_on(..))"
            )));
        }
        if self.lock.is_some() && (!group_by.is_empty() || items.iter().any(Node::is_aggregate)) {
            return Err(Error::unsupported("grouped or aggregated rows cannot be locked; lock the rows themselves"));
        }
        if self.walk.is_some() {
            return Err(Error::unsupported(
                "a walk (descendants/ancestors) reads whole objects; select values along a tree with \
                 cte_recursive(..)",
            ));
        }
        Ok(())
    }

    /// Whether the dialect can take the query's locks and joins (see `lock_clause`).
    pub(crate) fn check_dialect(&self, dialect: &'static dyn Dialect) -> Result<()> {
        if !dialect.full_join() && self.joins.iter().any(|j| j.kind() == JoinKind::Full) {
            return Err(Error::unsupported(format!(
                "{} has no FULL OUTER JOIN; combine a LEFT JOIN with the rows of the other side that \
                 match nothing (union_all)",
                dialect.name()
            )));
        }
        self.lock_clause(&mut SqlWriter::new(dialect))
    }

    /// `SELECT [DISTINCT] <items> FROM .. WHERE .. GROUP BY .. HAVING .. ORDER BY .. LIMIT ..`;
    /// `named_items` names the items `col_1`, `col_2`, .. (a subquery in FROM).
    pub(crate) fn write_projection(&self, w: &mut SqlWriter, q: &ValueQuery, named_items: bool) {
        self.with_outer_names(w, |w| {
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
                if named_items {
                    w.push(" AS ").push(CTE_COLUMNS[i.min(CTE_COLUMNS.len() - 1)]);
                }
            }
            self.write_from(w);
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
            // A compound query is ordered by its result's columns, by position (checked to
            // be selected by `ValueQuery::check_compounds`); a selected expression that binds
            // values by its position too (PostgreSQL does not see `price >= $1` and
            // `price >= $3` as the same expression).
            for (i, o) in self.order.iter().enumerate() {
                w.push(if i == 0 { " ORDER BY " } else { ", " });
                let at = q.items.iter().position(|item| *item == o.node);
                match at {
                    Some(at) if !q.compounds.is_empty() || o.node.binds_values() => {
                        // By position (MySQL cannot place NULLs of a position: they sort
                        // low there, as on SQLite).
                        w.push(&(at + 1).to_string());
                    }
                    _ => {
                        w.nulls_key(o).node(&o.node);
                    }
                }
                w.order_direction(o);
            }
            self.limit_offset(w, self.limit);
            let _ = self.lock_clause(w);
        });
    }

    /// The SELECT with one more column: the number of children of each row over `link`.
    pub(crate) fn render_with_count(&self, dialect: &'static dyn Dialect, link: Link) -> Result<(String, Vec<Value>)> {
        self.check_tables()?;
        let table = self.check_objects()?;
        let name = self.root_name();
        let mut w = SqlWriter::new(dialect);
        w.outer_tables = self.outer_names();
        self.with_clause(&mut w);
        w.push("SELECT ").select_list(table, name).push(", (SELECT count(*) FROM ").ident(link.child.name);
        w.push(" WHERE ").ident(link.child.name).push(".").ident(link.child.columns[link.fk_column].name);
        w.push(" = ").ident(name).push(".").ident(link.parent.columns[link.parent_column].name);
        w.push(") AS count_1");
        self.write_from(&mut w);
        self.joins_clause(&mut w);
        self.where_clause(&mut w);
        w.order_by(&self.order);
        self.limit_offset(&mut w, self.limit);
        self.lock_clause(&mut w)?;
        Ok(w.finish())
    }

    /// What the SELECT's text depends on, as tokens (for a SELECT that reads tables only).
    fn shape(&self, dialect: &'static dyn Dialect, limit: Option<u64>) -> Vec<usize> {
        let mut shape = Vec::with_capacity(16);
        if let Source::Table { table, alias } = &self.root {
            shape.push(std::ptr::from_ref(*table) as usize);
            shape.push(alias.map_or(0, |a| a.as_ptr() as usize));
        }
        // The dialect: its name, and where it is (MySQL and MariaDB share a name, not a
        // spelling; the other dialects' statics take no room, so their addresses may not
        // differ).
        shape.push(dialect.name().as_ptr() as usize);
        shape.push(std::ptr::from_ref(dialect).cast::<()>() as usize);
        shape.push(self.joins.len());
        for j in &self.joins {
            if let Join::Along { kind, path, alias } = j {
                shape.push(*kind as usize);
                shape.push(alias.map_or(0, |a| a.as_ptr() as usize));
                match path {
                    Path::Secondary(sec) => shape.extend([sec.assoc.name.as_ptr() as usize, sec.from_col, 2]),
                    Path::ForeignKey { link, from_parent } => {
                        shape.extend([link.child.name.as_ptr() as usize, link.fk_column, usize::from(*from_parent)])
                    }
                }
            }
        }
        shape.push(self.filters.len());
        for f in &self.filters {
            expr_shape(f, dialect, &mut shape);
        }
        for o in &self.order {
            if let Node::Column(c) = &o.node {
                let flags = usize::from(o.descending)
                    | usize::from(o.nulls_first.is_some()) << 1
                    | usize::from(o.puts_nulls_first()) << 2;
                shape.extend([c.table.as_ptr() as usize, c.name.as_ptr() as usize, flags]);
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
        let table = self.check_objects()?;
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
        w.outer_tables = self.outer_names();
        self.with_clause(&mut w);
        if self.limit.is_none() && self.offset.is_none() && !self.fans_out() {
            w.push("SELECT count(*) AS count_1");
            self.write_from(&mut w);
            self.joins_clause(&mut w);
            self.where_clause(&mut w);
        } else {
            // Rows repeated by a join count once: DISTINCT over the key.
            w.push("SELECT count(*) AS count_1 FROM (SELECT ");
            if self.fans_out() {
                w.push("DISTINCT ");
                for (n, c) in table.primary_key_columns().enumerate() {
                    if n > 0 {
                        w.push(", ");
                    }
                    w.ident(self.root_name()).push(".").ident(c.name);
                }
            } else {
                w.push("1 AS one");
            }
            self.write_from(&mut w);
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

    /// A query that an UPDATE or DELETE can take the filters of: its table under its own
    /// name, no limit, offset, ordering, joins or locks.
    pub(crate) fn check_plain(&self, what: &str) -> Result<&'static TableDef> {
        self.check_tables()?;
        let table = self.model_table()?;
        if self.limit.is_some()
            || self.walk.is_some()
            || self.offset.is_some()
            || !self.order.is_empty()
            || !self.joins.is_empty()
            || !matches!(self.root, Source::Table { alias: None, .. })
            || self.lock.is_some()
        {
            return Err(Error::unsupported(format!(
                "{what} cannot have limit, offset, order_by, joins, an alias or locks; filter the rows \
                 instead (.any()/.has() for related rows)"
            )));
        }
        Ok(table)
    }

    /// ` WHERE ..` of the query's filters.
    pub(crate) fn write_where(&self, w: &mut SqlWriter) {
        self.where_clause(w);
    }

    /// `DELETE FROM t WHERE ..` for the query's filters.
    pub(crate) fn render_delete(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        let table = self.check_plain("a bulk delete")?;
        let mut w = SqlWriter::new(dialect);
        w.push("DELETE FROM ").ident(table.name);
        self.where_clause(&mut w);
        Ok(w.finish())
    }

    pub(crate) fn describe(&self) -> String {
        format!("a query on `{}`", self.root_name())
    }
}

/// A table or named query as FROM or JOIN writes it.
fn write_source(w: &mut SqlWriter, source: &Source) {
    match source {
        Source::Table { table, alias } => {
            w.ident(table.name);
            if let Some(a) = alias {
                w.push(" AS ").ident(a);
            }
        }
        Source::Named(named) if named.inline => {
            w.push("(");
            named.query.select.write_projection(w, &named.query, true);
            w.push(") AS ").ident(named.name);
        }
        Source::Named(named) => {
            w.ident(named.name);
        }
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
            fresh.push("SELECT ").select_list(&T, T.name).push(" FROM ").ident(T.name);
            select.where_clause(&mut fresh);
            select.limit_offset(&mut fresh, Some(1));
            assert_eq!(fourth, fresh.finish());
        }
    }
}
