//! Writes by criteria and upserts, as SQL values: `UPDATE t SET .. WHERE ..` from a
//! query's filters ([`Query::update`](crate::Query::update)), and `INSERT .. ON CONFLICT
//! (..) DO NOTHING | DO UPDATE SET c = excluded.c` ([`Insert`]), on both backends.

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::schema::model::Model;
use crate::schema::table::TableDef;
use crate::schema::types::ColumnType;
use crate::sql::dialect::Dialect;
use crate::sql::expr::{Column, ColumnRef, Expr};
use crate::sql::operand::{Node, Operand, SqlExpr};
use crate::sql::select::Select;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// `column = expr` in an UPDATE: from [`Column::set`] or [`Column::set_null`].
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment<M> {
    pub(crate) column: &'static str,
    pub(crate) value: Node,
    _model: PhantomData<fn() -> M>,
}

impl<M, T: ColumnType> Column<M, T> {
    /// `SET column = value` in a bulk update; the value may be an expression of the row's
    /// columns: `Product::STOCK.set(Product::STOCK - 1)`.
    pub fn set(self, value: impl Operand<T::Inner>) -> Assignment<M> {
        Assignment { column: self.name(), value: value.into_node(), _model: PhantomData }
    }

    /// `SET column = NULL` (a NULL-able column).
    pub fn set_null(self) -> Assignment<M> {
        Assignment { column: self.name(), value: Node::Value(Value::Null), _model: PhantomData }
    }
}

impl Select {
    /// `UPDATE t SET a = .., b = .. WHERE <filters> [RETURNING key]`.
    pub(crate) fn render_update<M>(
        &self,
        dialect: &'static dyn Dialect,
        sets: &[Assignment<M>],
        returning_key: bool,
    ) -> Result<(String, Vec<Value>)> {
        let table = self.check_plain("an update")?;
        if sets.is_empty() {
            return Err(Error::invalid_state("an update needs at least one column to set (.set(..))"));
        }
        check_set_order(dialect, sets)?;
        let mut w = SqlWriter::new(dialect);
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (i, set) in sets.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(set.column).push(" = ").node(&set.value);
        }
        self.write_where(&mut w);
        if returning_key {
            write_returning_key(&mut w, table);
        }
        Ok(w.finish())
    }

    /// Where there is no `UPDATE .. RETURNING` (MySQL), the first step of one: `SELECT
    /// t.key FROM t WHERE <filters> FOR UPDATE`, the keys of the rows to change, locked.
    pub(crate) fn render_keys_for_update(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        let table = self.check_plain("an update")?;
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ");
        for (i, c) in table.primary_key_columns().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(table.name).push(".").ident(c.name);
        }
        w.push(" FROM ").ident(table.name);
        self.write_where(&mut w);
        w.push(" FOR UPDATE");
        Ok(w.finish())
    }

    /// The second step: `UPDATE t SET .. WHERE t.key IN (..)`, the rows read (and locked)
    /// by the first.
    pub(crate) fn render_update_of_keys<M>(
        &self,
        dialect: &'static dyn Dialect,
        sets: &[Assignment<M>],
        keys: &[Vec<Value>],
    ) -> Result<(String, Vec<Value>)> {
        let table = self.check_plain("an update")?;
        check_set_order(dialect, sets)?;
        let mut w = SqlWriter::new(dialect);
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (i, set) in sets.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(set.column).push(" = ").node(&set.value);
        }
        write_where_keys(&mut w, table, keys);
        Ok(w.finish())
    }

    /// The third: `SELECT t.key, <items> FROM t WHERE t.key IN (..)`, what `RETURNING`
    /// would have given.
    pub(crate) fn render_returning_of_keys(
        &self,
        dialect: &'static dyn Dialect,
        keys: &[Vec<Value>],
        items: &[Node],
    ) -> Result<(String, Vec<Value>)> {
        let table = self.check_plain("an update")?;
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ");
        for (i, item) in items.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).node(item);
        }
        w.push(" FROM ").ident(table.name);
        write_where_keys(&mut w, table, keys);
        Ok(w.finish())
    }

    /// `UPDATE .. RETURNING <items>` / `DELETE .. RETURNING <items>`: the values of the
    /// rows changed.
    pub(crate) fn render_returning<M>(
        &self,
        dialect: &'static dyn Dialect,
        sets: Option<&[Assignment<M>]>,
        items: &[Node],
    ) -> Result<(String, Vec<Value>)> {
        let mut w = SqlWriter::new(dialect);
        match sets {
            Some(sets) => {
                let table = self.check_plain("an update")?;
                if sets.is_empty() {
                    return Err(Error::invalid_state("an update needs at least one column to set (.set(..))"));
                }
                w.push("UPDATE ").ident(table.name).push(" SET ");
                for (i, set) in sets.iter().enumerate() {
                    w.push(if i == 0 { "" } else { ", " }).ident(set.column).push(" = ").node(&set.value);
                }
            }
            None => {
                let table = self.check_plain("a bulk delete")?;
                w.push("DELETE FROM ").ident(table.name);
            }
        }
        self.write_where(&mut w);
        w.push(" RETURNING ");
        for (i, item) in items.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).node(item);
        }
        Ok(w.finish())
    }

    /// `DELETE FROM t WHERE <filters> RETURNING key`.
    pub(crate) fn render_delete_returning(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        let table = self.check_plain("a bulk delete")?;
        let mut w = SqlWriter::new(dialect);
        w.push("DELETE FROM ").ident(table.name);
        self.write_where(&mut w);
        write_returning_key(&mut w, table);
        Ok(w.finish())
    }
}

/// ` WHERE t.k IN (..)` (`(t.a, t.b) IN ((..), ..)` for a composite key) over `keys`.
fn write_where_keys(w: &mut SqlWriter, table: &TableDef, keys: &[Vec<Value>]) {
    let columns: Vec<&str> = table.primary_key_columns().map(|c| c.name).collect();
    w.push(" WHERE ");
    if keys.is_empty() {
        w.push("1 = 0");
        return;
    }
    if let [only] = columns.as_slice() {
        w.ident(table.name).push(".").ident(only).push(" IN (");
        for (i, key) in keys.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).param(key[0].clone());
        }
        w.push(")");
        return;
    }
    w.push("(");
    for (i, c) in columns.iter().enumerate() {
        w.push(if i == 0 { "" } else { ", " }).ident(table.name).push(".").ident(c);
    }
    w.push(") IN (");
    for (r, key) in keys.iter().enumerate() {
        w.push(if r == 0 { "(" } else { ", (" });
        for (i, v) in key.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).param(v.clone());
        }
        w.push(")");
    }
    w.push(")");
}

/// MySQL evaluates an UPDATE's assignments left to right, each seeing the columns set
/// before it: `SET a = b, b = a` does not swap there. An assignment that reads a column
/// set before it is refused on MySQL (the others read every column as it was).
fn check_set_order<M>(dialect: &dyn Dialect, sets: &[Assignment<M>]) -> Result<()> {
    if dialect.name() != "mysql" {
        return Ok(());
    }
    for (i, set) in sets.iter().enumerate() {
        if let Some(earlier) = sets[..i].iter().find(|s| mentions(&set.value, s.column)) {
            return Err(Error::unsupported(format!(
                "on MySQL the assignment to `{}` would read `{}` as set by this same update (MySQL assigns \
                 left to right), not as it was; set `{}` first, or split the update in two",
                set.column, earlier.column, set.column
            )));
        }
    }
    Ok(())
}

/// Whether `node` may read column `name` of the row being written (conservatively:
/// subqueries and CASE are taken to). An upsert's proposed row (`excluded`, MySQL's
/// `VALUES(c)`) is not that row: no assignment changes it.
fn mentions(node: &Node, name: &str) -> bool {
    match node {
        Node::Column(c) => c.table != "excluded" && c.name == name,
        Node::Condition(e) => expr_mentions(e, name),
        Node::Value(_) | Node::Now | Node::Count { arg: None, .. } => false,
        Node::Binary { left, right, .. } => mentions(left, name) || mentions(right, name),
        Node::Function { args, .. } => args.iter().any(|a| mentions(a, name)),
        Node::Count { arg: Some(arg), .. } => mentions(arg, name),
        Node::Cast { node, .. } | Node::Round { node, .. } => mentions(node, name),
        Node::Window { .. } | Node::Case { .. } | Node::Subquery(_) => true,
    }
}

/// [`mentions`] for a condition.
fn expr_mentions(e: &Expr, name: &str) -> bool {
    let column = |c: &ColumnRef| c.table != "excluded" && c.name == name;
    match e {
        Expr::Compare { column: c, .. }
        | Expr::Like { column: c, .. }
        | Expr::In { column: c, .. }
        | Expr::IsNull { column: c, .. }
        | Expr::Contains { column: c, .. }
        | Expr::Overlaps { column: c, .. }
        | Expr::AnyElement { column: c, .. }
        | Expr::PathText { column: c, .. } => column(c),
        Expr::Cmp { left, right, .. } | Expr::Distinct { left, right, .. } => {
            mentions(left, name) || mentions(right, name)
        }
        Expr::NodeIsNull { node, .. } => mentions(node, name),
        Expr::InQuery { .. } | Expr::ExistsQuery { .. } | Expr::Exists { .. } => true,
        Expr::And(es) | Expr::Or(es) => es.iter().any(|e| expr_mentions(e, name)),
        Expr::Not(e) => expr_mentions(e, name),
    }
}

/// ` RETURNING t.k1, t.k2`: the primary key of each row written.
fn write_returning_key(w: &mut SqlWriter, table: &TableDef) {
    w.push(" RETURNING ");
    for (i, c) in table.primary_key_columns().enumerate() {
        w.push(if i == 0 { "" } else { ", " }).ident(table.name).push(".").ident(c.name);
    }
}

/// The columns a conflict is detected on, or updated from: a column of `M` or a tuple of
/// them.
pub trait ColumnList<M> {
    /// The column names.
    #[doc(hidden)]
    fn names(&self) -> Vec<&'static str>;
}

impl<M, T> ColumnList<M> for Column<M, T> {
    fn names(&self) -> Vec<&'static str> {
        vec![self.name()]
    }
}

macro_rules! column_tuples {
    ($($t:ident $i:tt),+) => {
        impl<M, $($t),+> ColumnList<M> for ($(Column<M, $t>,)+) {
            fn names(&self) -> Vec<&'static str> {
                vec![$(self.$i.name()),+]
            }
        }
    };
}

column_tuples!(A 0, B 1);
column_tuples!(A 0, B 1, C 2);
column_tuples!(A 0, B 1, C 2, D 3);

/// `INSERT INTO t (columns) SELECT ..`: the rows of a value query, into `M`'s table.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::InsertSelect;
/// # #[derive(Model)] #[orm(table = "orders")]
/// # struct Order { #[orm(primary_key)] id: i32, customer: String, total: i64 }
/// # #[derive(Model)] #[orm(table = "big_orders")]
/// # struct BigOrder { #[orm(primary_key)] id: i32, customer: String, total: i64 }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Order::table(), BigOrder::table()])?;
/// Order::new("ann", 900).insert(&engine)?;
/// Order::new("bob", 50).insert(&engine)?;
/// let big = Order::query().filter(Order::TOTAL.ge(100)).select((Order::CUSTOMER, Order::TOTAL));
/// let copied = InsertSelect::into((BigOrder::CUSTOMER, BigOrder::TOTAL), big).execute(&engine)?;
/// assert_eq!(copied, 1);
/// # Ok::<(), orm_core::Error>(())
/// ```
#[must_use]
pub struct InsertSelect<M> {
    columns: Vec<&'static str>,
    query: crate::sql::projection::ValueQuery,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> InsertSelect<M> {
    /// Inserts the rows `query` selects into `columns` of `M`'s table; the query's values
    /// have the columns' types, in order.
    pub fn into<C, N, S>(columns: C, query: crate::sql::projection::Rows<N, S>) -> InsertSelect<M>
    where
        C: ColumnList<M> + crate::sql::projection::Selection<Output = S::Output>,
        S: crate::sql::projection::Selection,
    {
        InsertSelect { columns: columns.names(), query: query.into_subquery(), _model: PhantomData }
    }

    /// The statement and its parameters.
    pub fn to_sql(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        self.query.check(&[])?;
        let mut w = SqlWriter::new(dialect);
        w.push("INSERT INTO ").ident(M::TABLE.name).push(" (");
        for (i, c) in self.columns.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(c);
        }
        w.push(") ");
        self.query.write(&mut w);
        Ok(w.finish())
    }
}

/// What an upsert does on a conflict.
#[derive(Debug, Clone, PartialEq)]
enum OnConflict {
    Fail,
    Nothing,
    Update,
}

/// The row an upsert proposed, in its `DO UPDATE`: `excluded(Stock::COUNT)` is the count
/// the conflicting row would have had (`excluded.count`).
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::{Insert, excluded};
/// # #[derive(Model, Clone)] #[orm(table = "stock")]
/// # struct Stock { #[orm(primary_key)] id: i32, #[orm(unique)] sku: String, count: i32 }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Stock::table()])?;
/// Insert::rows([Stock::new("TEA-1", 5)]).execute(&engine)?;
/// // A delivery adds to the stock in one statement.
/// Insert::rows([Stock::new("TEA-1", 12)])
///     .on_conflict(Stock::SKU)
///     .do_update_set(Stock::COUNT, Stock::COUNT + excluded(Stock::COUNT))
///     .execute(&engine)?;
/// assert_eq!(Stock::query().filter(Stock::SKU.eq("TEA-1")).one(&engine)?.count, 17);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn excluded<M, T: ColumnType>(column: Column<M, T>) -> SqlExpr<T> {
    SqlExpr::new(Node::Column(column.of("excluded").reference()))
}

/// An `INSERT` of several rows that may meet rows already there: `ON CONFLICT (..) DO
/// NOTHING`, or `DO UPDATE SET c = excluded.c` (the proposed value), `c = <expression>`
/// (over the existing row and [`excluded`]), with an optional `WHERE`: one atomic
/// statement, PostgreSQL and SQLite alike.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::Insert;
/// # #[derive(Model, Clone)] #[orm(table = "stock")]
/// # struct Stock { #[orm(primary_key)] id: i32, #[orm(unique)] sku: String, count: i32 }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Stock::table()])?;
/// Insert::rows([Stock::new("TEA-1", 5)]).execute(&engine)?;
/// let delivery = [Stock::new("TEA-1", 12), Stock::new("CAKE-2", 3)];
/// let written = Insert::rows(delivery).on_conflict(Stock::SKU).do_update(Stock::COUNT).execute(&engine)?;
/// assert_eq!(written, 2);
/// let tea = Stock::query().filter(Stock::SKU.eq("TEA-1")).one(&engine)?;
/// assert_eq!(tea.count, 12);
/// # Ok::<(), orm_core::Error>(())
/// ```
#[must_use]
pub struct Insert<M> {
    pub(crate) rows: Vec<M>,
    conflict: OnConflict,
    target: Vec<&'static str>,
    /// `DO UPDATE SET column = value`, in the order given.
    sets: Vec<(&'static str, Node)>,
    /// `DO UPDATE .. WHERE condition`.
    update_filter: Option<Expr>,
}

impl<M: Model> Insert<M> {
    /// An INSERT of these rows (their database-generated key columns are left out).
    pub fn rows(rows: impl IntoIterator<Item = M>) -> Insert<M> {
        Insert {
            rows: rows.into_iter().collect(),
            conflict: OnConflict::Fail,
            target: Vec::new(),
            sets: Vec::new(),
            update_filter: None,
        }
    }

    /// The unique columns a conflict is detected on: `on_conflict(Stock::SKU)` or a tuple.
    pub fn on_conflict(mut self, columns: impl ColumnList<M>) -> Self {
        self.target = columns.names();
        self
    }

    /// A row that conflicts is left out (`DO NOTHING`).
    pub fn do_nothing(mut self) -> Self {
        self.conflict = OnConflict::Nothing;
        self
    }

    /// A row that conflicts updates these columns of the existing row with its values
    /// (`DO UPDATE SET c = excluded.c`).
    pub fn do_update(mut self, columns: impl ColumnList<M>) -> Self {
        self.conflict = OnConflict::Update;
        for column in columns.names() {
            let proposed = Node::Column(ColumnRef::not_null("excluded", column));
            self.sets.push((column, proposed));
        }
        self
    }

    /// A row that conflicts sets `column` of the existing row to `value`: a value, or an
    /// expression over the existing row's columns and the proposed ones ([`excluded`]):
    /// `.do_update_set(Stock::COUNT, Stock::COUNT + excluded(Stock::COUNT))`.
    pub fn do_update_set<T: ColumnType>(mut self, column: Column<M, T>, value: impl Operand<T::Inner>) -> Self {
        self.conflict = OnConflict::Update;
        self.sets.push((column.name(), value.into_node()));
        self
    }

    /// Updates a conflicting row only where `condition` holds (`DO UPDATE .. WHERE`);
    /// the others are left as they are, and not counted as written:
    /// `.do_update_where(excluded(Stock::COUNT).gt(Stock::COUNT))`.
    pub fn do_update_where(mut self, condition: Expr) -> Self {
        self.update_filter = Some(match self.update_filter.take() {
            Some(before) => before.and(condition),
            None => condition,
        });
        self
    }

    /// The statement and its parameters.
    pub fn to_sql(&self, dialect: &'static dyn Dialect) -> Result<(String, Vec<Value>)> {
        let table = M::TABLE;
        if self.rows.is_empty() {
            return Err(Error::invalid_state("an insert needs at least one row"));
        }
        if self.conflict == OnConflict::Update {
            for (_, value) in &self.sets {
                value.check_subqueries()?;
            }
            if let Some(filter) = &self.update_filter {
                filter.check()?;
            }
        } else if self.update_filter.is_some() {
            return Err(Error::invalid_state(
                "do_update_where(..) filters the rows a DO UPDATE changes: set what to update with \
                 do_update(..) or do_update_set(..)",
            ));
        }
        // Database-generated keys stay with the database; a server default is left to it
        // only when no row sets the column.
        let columns: Vec<usize> = (0..table.columns.len())
            .filter(|&c| {
                let def = &table.columns[c];
                let left_to_default =
                    def.server_default.is_some() && self.rows.iter().all(|r| r.column_value(c).is_null());
                !(def.autoincrement || left_to_default)
            })
            .collect();
        let mut w = SqlWriter::new(dialect);
        w.push("INSERT INTO ").ident(table.name).push(" (");
        for (i, &c) in columns.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(table.columns[c].name);
        }
        w.push(") VALUES ");
        for (r, row) in self.rows.iter().enumerate() {
            w.push(if r == 0 { "(" } else { ", (" });
            for (i, &c) in columns.iter().enumerate() {
                w.push(if i == 0 { "" } else { ", " }).param(row.column_value(c));
            }
            w.push(")");
        }
        if self.conflict == OnConflict::Fail {
            return Ok(w.finish());
        }
        if self.target.is_empty() {
            return Err(Error::invalid_state(
                "say which unique columns a conflict is on: .on_conflict(Model::COLUMN) before do_nothing/do_update",
            ));
        }
        if dialect.name() == "mysql" {
            self.on_duplicate_key(&mut w, table, &columns)?;
            return Ok(w.finish());
        }
        w.push(" ON CONFLICT (");
        for (i, c) in self.target.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(c);
        }
        w.push(")");
        if self.conflict == OnConflict::Nothing {
            w.push(" DO NOTHING");
            return Ok(w.finish());
        }
        w.push(" DO UPDATE SET ");
        for (i, (column, value)) in self.sets.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(column).push(" = ").node(value);
        }
        if let Some(filter) = &self.update_filter {
            w.push(" WHERE ").expr(filter);
        }
        Ok(w.finish())
    }

    /// MySQL's upsert: `ON DUPLICATE KEY UPDATE c = VALUES(c)` (the proposed value; `DO
    /// NOTHING` sets the first target column to itself), a `WHERE` as `c = IF(cond, value,
    /// c)`. MySQL takes any unique key's conflict, not the target's alone, and assigns left
    /// to right: what would behave otherwise than on PostgreSQL is refused.
    fn on_duplicate_key(&self, w: &mut SqlWriter, table: &'static TableDef, inserted: &[usize]) -> Result<()> {
        let schema = crate::schema::described::TableSchema::from_model(table);
        let given = |names: &[String]| names.iter().all(|n| inserted.iter().any(|&c| table.columns[c].name == n));
        let mut keys: Vec<Vec<String>> = vec![schema.primary_key.clone()];
        keys.extend(schema.uniques.iter().map(|u| u.columns.clone()));
        keys.extend(schema.indexes.iter().filter(|i| i.unique).map(|i| i.columns.clone()));
        let target: Vec<String> = self.target.iter().map(|t| (*t).to_owned()).collect();
        if let Some(other) = keys.iter().find(|k| !k.is_empty() && given(k) && **k != target) {
            return Err(Error::unsupported(format!(
                "on MySQL an upsert updates the row of any unique key the new row conflicts with, and `{}` has \
                 another than ({}): ({}); upsert on that key too, or insert rows that cannot conflict on it",
                table.name,
                target.join(", "),
                other.join(", ")
            )));
        }
        w.push(" ON DUPLICATE KEY UPDATE ");
        if self.conflict == OnConflict::Nothing {
            w.ident(self.target[0]).push(" = ").ident(self.target[0]);
            return Ok(());
        }
        for (i, (column, value)) in self.sets.iter().enumerate() {
            if let Some((earlier, _)) = self.sets[..i].iter().find(|(c, _)| mentions(value, c)) {
                return Err(Error::unsupported(format!(
                    "on MySQL the upsert's assignment to `{column}` would read `{earlier}` as set by this same \
                     upsert (MySQL assigns left to right), not as it was; set `{column}` first"
                )));
            }
        }
        // The condition is written into each column's IF(..): after the first, it would
        // see the columns set before it.
        let before_last = &self.sets[..self.sets.len().saturating_sub(1)];
        if let Some(filter) = &self.update_filter
            && let Some((earlier, _)) = before_last.iter().find(|(c, _)| expr_mentions(filter, c))
        {
            return Err(Error::unsupported(format!(
                "on MySQL a conditional upsert (do_update_where) tests its condition once per column, after the \
                 columns set before it, and the condition reads `{earlier}`; set `{earlier}` last, or set one \
                 column per conditional upsert"
            )));
        }
        for (i, (column, value)) in self.sets.iter().enumerate() {
            w.push(if i == 0 { "" } else { ", " }).ident(column).push(" = ");
            match &self.update_filter {
                Some(filter) => {
                    w.push("IF(").expr(filter).push(", ").node(value).push(", ").ident(column).push(")");
                }
                None => {
                    w.node(value);
                }
            }
        }
        Ok(())
    }

    /// How many rows a MySQL upsert wrote, as PostgreSQL counts them (inserted, and
    /// updated by `DO UPDATE`), from the rows MySQL affected (1 per insert, 2 per changed
    /// row, 1 per row left as it was) and its duplicates.
    pub(crate) fn mysql_written(&self, affected: u64, info: Option<&str>) -> u64 {
        if self.conflict == OnConflict::Fail {
            return affected;
        }
        let rows = self.rows.len() as u64;
        let duplicates = info
            .and_then(|i| i.split("Duplicates:").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        match (&self.conflict, &self.update_filter) {
            (OnConflict::Nothing, _) => rows - duplicates.min(rows),
            (_, None) => rows,
            // Inserted, and changed: a row the condition kept as it was is not counted.
            (_, Some(_)) => (rows - duplicates.min(rows)) + affected.saturating_sub(rows),
        }
    }
}
