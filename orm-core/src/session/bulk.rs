//! Writes by criteria inside a session, kept true to the identity map (SQLAlchemy's
//! `synchronize_session="fetch"`): the statement returns the keys of the rows it changed,
//! and the objects the session holds for them get the new values (or are marked deleted);
//! a rollback gives them their values back. Upserts run in the session's transaction.

use super::transaction::TxRecord;
use super::{Meta, ObjectState, Session};
use crate::error::Result;
use crate::execution::row::{Row, read_value};
use crate::schema::identity_key::IdentityKey;
use crate::schema::model::Model;
use crate::schema::table::TableDef;
use crate::sql::expr::{ColumnRef, Expr};
use crate::sql::operand::Node;
use crate::sql::projection::Selection;
use crate::sql::query::Query;
use crate::sql::select::Select;
use crate::sql::writes::{Assignment, Insert};
use crate::value::Value;

impl Session {
    /// Sets columns of the rows the query matches, in one statement inside the session's
    /// transaction (after autoflush), and returns how many: `UPDATE products SET stock =
    /// stock - 1 WHERE sku = $1`. Objects the session holds for those rows are refreshed.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "products")]
    /// # struct Product { #[orm(primary_key)] id: i32, sku: String, stock: i32 }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Product::table()])?;
    /// let mut db = engine.session();
    /// let tea = db.add(Product::new("TEA-1", 10));
    /// let sold = Product::query().filter(Product::SKU.eq("TEA-1"));
    /// assert_eq!(db.update(sold, [Product::STOCK.set(Product::STOCK - 1)])?, 1);
    /// assert_eq!(tea.get().stock, 9); // the object the session holds follows
    /// db.commit()?;
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn update<M: Model>(&mut self, query: Query<M>, sets: impl IntoIterator<Item = Assignment<M>>) -> Result<u64> {
        self.check_usable()?;
        self.autoflush()?;
        self.ensure_transaction()?;
        let sets: Vec<Assignment<M>> = sets.into_iter().collect();
        let dialect = self.engine.dialect();
        let keys: Vec<Vec<Value>> = if dialect.update_returning() {
            let (sql, params) = query.select.render_update(dialect, &sets, true)?;
            self.changed_rows::<M, ()>(&sql, &params, |_, _| Ok(()))?.into_iter().map(|(k, _)| k).collect()
        } else {
            self.update_keys(&query, &sets)?
        };
        self.follow_updates::<M>(&keys)?;
        Ok(keys.len() as u64)
    }

    /// An UPDATE where there is no `UPDATE .. RETURNING` (MySQL): the keys of the rows it
    /// matches read and locked first, then those rows updated; returns their keys.
    fn update_keys<M: Model>(&mut self, query: &Query<M>, sets: &[Assignment<M>]) -> Result<Vec<Vec<Value>>> {
        let dialect = self.engine.dialect();
        let (sql, params) = query.select.render_keys_for_update(dialect)?;
        let keys: Vec<Vec<Value>> =
            self.changed_rows::<M, ()>(&sql, &params, |_, _| Ok(()))?.into_iter().map(|(k, _)| k).collect();
        if !keys.is_empty() {
            let (sql, params) = query.select.render_update_of_keys(dialect, sets, &keys)?;
            self.connection()?.execute(&sql, &params)?;
        }
        Ok(keys)
    }

    /// [`update`](Self::update) that returns values of the rows it changed (`UPDATE ..
    /// RETURNING`), in the session's transaction; the objects the session holds for
    /// those rows follow, as after `update`.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "products")]
    /// # struct Product { #[orm(primary_key)] id: i32, sku: String, stock: i32 }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Product::table()])?;
    /// let mut db = engine.session();
    /// let tea = db.add(Product::new("TEA-1", 10));
    /// let sold = Product::query().filter(Product::SKU.eq("TEA-1"));
    /// let left = db.update_returning(sold, [Product::STOCK.set(Product::STOCK - 1)], (Product::SKU, Product::STOCK))?;
    /// assert_eq!(left, [("TEA-1".to_owned(), 9)]);
    /// assert_eq!(tea.get().stock, 9);
    /// db.rollback()?; // the object goes back with the transaction
    /// assert_eq!(tea.get().stock, 10);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn update_returning<M: Model, S: Selection>(
        &mut self,
        query: Query<M>,
        sets: impl IntoIterator<Item = Assignment<M>>,
        returning: S,
    ) -> Result<Vec<S::Output>> {
        self.check_usable()?;
        self.autoflush()?;
        self.ensure_transaction()?;
        let sets: Vec<Assignment<M>> = sets.into_iter().collect();
        let items = key_and(M::TABLE, returning.nodes());
        let dialect = self.engine.dialect();
        let (sql, params) = if dialect.update_returning() {
            query.select.render_returning(dialect, Some(&sets), &items)?
        } else {
            let keys = self.update_keys(&query, &sets)?;
            query.select.render_returning_of_keys(dialect, &keys, &items)?
        };
        let rows = self.changed_rows::<M, S::Output>(&sql, &params, |row, first| S::decode_from(row, first))?;
        let keys: Vec<Vec<Value>> = rows.iter().map(|(key, _)| key.clone()).collect();
        self.follow_updates::<M>(&keys)?;
        Ok(rows.into_iter().map(|(_, values)| values).collect())
    }

    /// The objects the session holds for the rows an UPDATE changed (their keys) take
    /// the new values; their old ones are logged for a rollback.
    fn follow_updates<M: Model>(&mut self, keys: &[Vec<Value>]) -> Result<()> {
        let held = self.held_entries::<M>(keys);
        if held.is_empty() {
            return Ok(());
        }
        for &entry in &held {
            if let Some(e) = self.entry(entry) {
                let before = e.obj.values()?;
                self.tx_log.push(TxRecord::Updated(entry, before));
            }
        }
        self.reload::<M>(&held)
    }

    /// Deletes the rows the query matches, in one statement inside the session's
    /// transaction (after autoflush), and returns how many; objects the session holds for
    /// them become deleted, as after a flush. Relationships are not cascaded: the
    /// database's `ON DELETE` rules apply.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "sessions_log")]
    /// # struct Visit { #[orm(primary_key)] id: i32, expired: bool }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Visit::table()])?;
    /// let mut db = engine.session();
    /// let old = db.add(Visit::new(true));
    /// db.add(Visit::new(false));
    /// db.commit()?;
    /// assert_eq!(db.delete_where(Visit::query().filter(Visit::EXPIRED.eq(true)))?, 1);
    /// assert_eq!(old.state(), ObjectState::Deleted);
    /// db.commit()?;
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn delete_where<M: Model>(&mut self, query: Query<M>) -> Result<u64> {
        self.check_usable()?;
        self.autoflush()?;
        self.ensure_transaction()?;
        let (sql, params) = query.select.render_delete_returning(self.engine.dialect())?;
        let keys: Vec<Vec<Value>> =
            self.changed_rows::<M, ()>(&sql, &params, |_, _| Ok(()))?.into_iter().map(|(k, _)| k).collect();
        self.follow_deletes::<M>(&keys);
        Ok(keys.len() as u64)
    }

    /// [`delete_where`](Self::delete_where) that returns values of the rows it deleted
    /// (`DELETE .. RETURNING`), in the session's transaction; the objects the session
    /// holds for them become deleted.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "visits")]
    /// # struct Visit { #[orm(primary_key)] id: i32, page: String, expired: bool }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Visit::table()])?;
    /// let mut db = engine.session();
    /// let old = db.add(Visit::new("/", true));
    /// db.add(Visit::new("/shop", false));
    /// let gone = db.delete_returning(Visit::query().filter(Visit::EXPIRED.eq(true)), Visit::PAGE)?;
    /// assert_eq!(gone, ["/"]);
    /// assert_eq!(old.state(), ObjectState::Deleted);
    /// db.commit()?;
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn delete_returning<M: Model, S: Selection>(
        &mut self,
        query: Query<M>,
        returning: S,
    ) -> Result<Vec<S::Output>> {
        self.check_usable()?;
        self.autoflush()?;
        self.ensure_transaction()?;
        let items = key_and(M::TABLE, returning.nodes());
        let (sql, params) = query.select.render_returning::<M>(self.engine.dialect(), None, &items)?;
        let rows = self.changed_rows::<M, S::Output>(&sql, &params, |row, first| S::decode_from(row, first))?;
        let keys: Vec<Vec<Value>> = rows.iter().map(|(key, _)| key.clone()).collect();
        self.follow_deletes::<M>(&keys);
        Ok(rows.into_iter().map(|(_, values)| values).collect())
    }

    /// The objects the session holds for the rows a DELETE removed (their keys) become
    /// deleted, as after a flush, and are logged for a rollback.
    fn follow_deletes<M: Model>(&mut self, keys: &[Vec<Value>]) {
        for entry in self.held_entries::<M>(keys) {
            if let Some(key) = self.registered_key(entry) {
                self.identity.remove(&key);
            }
            let parents: Vec<_> =
                self.parent_links_of(entry).into_iter().filter_map(|(link, p)| p.map(|p| (p, link.key()))).collect();
            if let Some(e) = self.entry(entry) {
                let meta = e.obj.meta();
                e.obj.set_meta(Meta { state: ObjectState::Deleted, ..meta });
            }
            self.forget_links(entry, parents);
            self.tx_log.push(TxRecord::Deleted(entry));
        }
    }

    /// Runs an [`Insert`] (an upsert) inside the session's transaction, after autoflush;
    /// returns the rows written. The rows do not become objects of the session.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// use orm_core::Insert;
    /// # #[derive(Model, Clone)] #[orm(table = "stock")]
    /// # struct Stock { #[orm(primary_key)] id: i32, #[orm(unique)] sku: String, count: i32 }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Stock::table()])?;
    /// let mut db = engine.session();
    /// db.insert(Insert::rows([Stock::new("TEA-1", 3)]).on_conflict(Stock::SKU).do_update(Stock::COUNT))?;
    /// db.rollback()?; // undone with the session's transaction
    /// assert_eq!(Stock::query().count(&engine)?, 0);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn insert<M: Model>(&mut self, insert: Insert<M>) -> Result<u64> {
        self.check_usable()?;
        self.autoflush()?;
        self.ensure_transaction()?;
        let (sql, params) = insert.to_sql(self.engine.dialect())?;
        self.connection()?.execute(&sql, &params)
    }

    /// Runs a statement that returns the primary key of each row it changed, then what
    /// `values` reads from the rest of the row.
    fn changed_rows<M: Model, V>(
        &mut self,
        sql: &str,
        params: &[Value],
        values: impl Fn(&Row<'_>, usize) -> Result<V>,
    ) -> Result<Vec<(Vec<Value>, V)>> {
        let table = M::TABLE;
        self.connection()?.query_raw(sql, params, |row| {
            let key = table.primary_key.iter().enumerate().map(|(n, &c)| read_value(row, n, table, c));
            Ok((key.collect::<Result<Vec<Value>>>()?, values(row, table.primary_key.len())?))
        })
    }

    /// The entries the session holds for these keys.
    fn held_entries<M: Model>(&self, keys: &[Vec<Value>]) -> Vec<usize> {
        keys.iter().filter_map(|k| self.identity.get(&IdentityKey::new(M::TABLE, k))).collect()
    }

    /// Reads the rows of these entries again (one statement for a one-column key).
    fn reload<M: Model>(&mut self, entries: &[usize]) -> Result<()> {
        let table = M::TABLE;
        if let [key_column] = table.primary_key {
            let keys: Vec<Value> = entries
                .iter()
                .filter_map(|&e| self.entry(e).and_then(|e| e.obj.database_key().into_iter().next()))
                .collect();
            let mut select = Select::new(table);
            select.filters.push(Expr::In {
                column: ColumnRef::not_null(table.name, table.columns[*key_column].name),
                values: keys,
                negated: false,
            });
            self.load_select::<M>(&select, None, &[])?;
            return Ok(());
        }
        for &entry in entries {
            if let Some(obj) = self.handle::<M>(entry) {
                self.refresh(&obj)?;
            }
        }
        Ok(())
    }
}

/// The primary-key columns of `table`, then `items`: what a RETURNING reads for the
/// session (the key finds the object it holds) and for the caller.
fn key_and(table: &'static TableDef, items: Vec<Node>) -> Vec<Node> {
    let key = table.primary_key.iter().map(|&c| Node::Column(ColumnRef::not_null(table.name, table.columns[c].name)));
    key.chain(items).collect()
}
