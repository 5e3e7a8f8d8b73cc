//! The session: identity map, object states, transactions, and the unit of work that
//! turns `add` / `get_mut` / `delete` into ordered, batched SQL at `flush` and `commit`.

mod accessors;
mod association;
#[cfg(feature = "tokio")]
mod blocking;
mod bulk;
mod collections;
#[cfg(test)]
mod cost_tests;
mod deleted;
mod eager;
mod flush_plan;
mod handle;
mod identity;
mod int_keys;
mod links;
mod loading;
mod modified;
pub(crate) mod options;
mod parent_links;
mod pending;
mod pool;
mod query;
mod retry;
mod staging;
mod transaction;
mod unit_of_work;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

pub use accessors::Children;
pub use handle::{Obj, ObjectState};
pub use loading::glue;
pub use query::SessionQuery;
pub use retry::Retry;

use collections::Collections;
use deleted::Deletions;
pub(crate) use handle::{ErasedObj, Meta};
use identity::{IdentityMap, Slot};
pub(crate) use parent_links::{ParentLink, ParentLinks};
use transaction::{SavedState, TxLog, TxRecord};

use crate::error::{Error, ErrorKind, Result};
use crate::execution::connection::Connection;
use crate::execution::engine::Engine;
use crate::schema::identity_key::IdentityKey;
use crate::schema::link::{Link, LinkKey};
use crate::schema::model::Model;
use crate::schema::types::PrimaryKey;

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// A unit of work: the objects you add, load, change and delete, written to the
/// database in one ordered, batched flush at [`commit`](Session::commit).
///
/// Made by [`Engine::session`]. A session holds one pooled connection while it works
/// (from its first statement to commit or rollback); dropped without `commit`, it leaves
/// nothing in the database. A session and its [`Obj`] handles belong to one thread.
///
/// ```no_run
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String, years_of_study: i32 }
/// # fn main() -> orm_core::Result<()> {
/// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let mut db = engine.session();
/// let cs = db.add(Program::new("Bachelors in CS", 3));
/// db.commit()?;                                  // INSERT ... RETURNING id
/// cs.get_mut().years_of_study = 4;
/// db.commit()?;                                  // UPDATE programs SET years_of_study = $1 WHERE ...
/// let same = db.get::<Program>(cs.get().id)?.unwrap();
/// assert!(same == cs);                           // one handle per row
/// # Ok(()) }
/// ```
pub struct Session {
    engine: Engine,
    /// The primary's connection, from the first statement sent there to commit or rollback.
    conn: Option<Connection>,
    /// A read replica's connection, while the session reads there (see `read_connection`).
    replica: Option<Connection>,
    /// Reads go to the primary: asked for, or the session has written.
    on_primary: bool,
    id: u64,
    entries: Vec<Option<Entry>>,
    identity: IdentityMap,
    /// Pending entries, in the order they were added.
    new: Vec<usize>,
    /// Persistent entries marked for deletion, in order.
    deleted: Deletions,
    /// How many of `entries` are empty (objects that left the session).
    vacated: usize,
    /// Loaded collections: (parent entry, link) -> child entries.
    collections: Collections,
    /// Many-to-one links set in memory: (child entry, link) -> parent entry (None = removed).
    parents: ParentLinks,
    /// Many-to-many pairs added (true) or removed (false) in memory since the last flush.
    pairs: HashMap<association::PairKey, bool>,
    autoflush: bool,
    /// Set by a failed flush: everything but `rollback` is refused.
    poisoned: Option<String>,
    /// Why an object added by `add` could not be linked as its fields asked (a parent of
    /// another session): the next flush returns it, writing nothing.
    refused_add: Option<Error>,
    /// What flushes of the open transaction changed, to undo on rollback.
    tx_log: TxLog,
    /// Open savepoints, innermost last.
    savepoints: Vec<SavedState>,
    /// Lazy loads per relationship, for the N+1 detector.
    pub(crate) lazy_loads: HashMap<LinkKey, usize>,
    /// Collections a query asked to raise on (instead of lazily loading).
    pub(crate) raise_on_load: HashSet<(usize, LinkKey)>,
    /// While a statement's rows are read: the new objects, allocated after the last row.
    staging: Option<staging::Staging>,
    /// While a selectin load reads children: the parent each loaded row names.
    report: Option<loading::ParentReport>,
}

/// An object of the session. The key the identity map holds it under is not kept here
/// (every loaded object would carry a second copy): it is the object's primary key as
/// the database has it, see [`Session::registered_key`].
pub(crate) struct Entry {
    pub(crate) obj: ErasedObj,
}

impl Engine {
    /// A new session on this engine.
    pub fn session(&self) -> Session {
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        modified::open(id);
        Session {
            engine: self.clone(),
            conn: None,
            replica: None,
            on_primary: false,
            id,
            entries: Vec::new(),
            identity: IdentityMap::default(),
            new: Vec::new(),
            deleted: Deletions::default(),
            vacated: 0,
            collections: Collections::default(),
            parents: ParentLinks::default(),
            pairs: HashMap::default(),
            autoflush: true,
            poisoned: None,
            refused_add: None,
            tx_log: TxLog::default(),
            savepoints: Vec::new(),
            lazy_loads: HashMap::default(),
            raise_on_load: HashSet::default(),
            staging: None,
            report: None,
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("objects", &self.len())
            .field("new", &self.new.len())
            .field("deleted", &self.deleted.len())
            .field("in_transaction", &self.in_transaction())
            .finish()
    }
}

impl Session {
    /// The engine the session works on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Sends every statement of the session, reads included, to the primary, also on an
    /// engine with read replicas ([`EngineBuilder::replica`](crate::EngineBuilder::replica)).
    ///
    /// ```
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = orm_core::Engine::connect("sqlite::memory:")?;
    /// let mut db = engine.session().on_primary();
    /// # Ok(()) }
    /// ```
    pub fn on_primary(mut self) -> Session {
        self.on_primary = true;
        self.replica = None;
        self
    }

    /// Runs a statement of your own inside the session's transaction (after autoflush, so
    /// it sees the session's changes; it commits or rolls back with them), and returns the
    /// number of rows it changed: SQLAlchemy's `session.execute(text(..))`. Objects the
    /// session holds are not refreshed from what it changed (`refresh` them).
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "products")]
    /// # struct Product { #[orm(primary_key)] id: i32, sku: String, stock: i32 }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Product::table()])?;
    /// let mut db = engine.session();
    /// db.add(Product::new("TEA-1", 10));
    /// let sold = db.execute("UPDATE products SET stock = stock - 1 WHERE sku = $1", orm_core::params!["TEA-1"])?;
    /// assert_eq!(sold, 1); // the pending product was flushed first
    /// db.rollback()?;      // and both are undone together
    /// assert_eq!(db.query::<Product>().count()?, 0);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn execute(&mut self, sql: &str, params: &[crate::value::Value]) -> Result<u64> {
        self.check_usable()?;
        self.autoflush()?;
        self.ensure_transaction()?;
        self.connection()?.execute(sql, params)
    }

    /// Runs a [`Query`](crate::Query) value in the session: its rows come back as the
    /// session's objects (autoflush first), as from [`query`](Self::query). One query,
    /// built once, runs on an engine (plain values) or in a session (objects).
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "programs")]
    /// # struct Program { #[orm(primary_key)] id: i32, name: String }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Program::table()])?;
    /// let named = |name: &str| Program::query().filter(Program::NAME.eq(name));
    /// let mut db = engine.session();
    /// db.add(Program::new("Bachelors in CS"));
    /// let obj = db.select(named("Bachelors in CS")).one()?;  // an Obj<Program>, autoflushed
    /// db.commit()?;
    /// let plain = named("Bachelors in CS").one(&engine)?;    // a Program
    /// assert_eq!(plain.id, obj.get().id);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn select<T: Model>(&mut self, query: crate::sql::query::Query<T>) -> SessionQuery<'_, T> {
        SessionQuery::from_select(self, query.select)
    }

    /// Runs a query of values ([`Query::select`](crate::Query::select)) in the session:
    /// after autoflush, on its connection (and in its transaction when one is open), so
    /// that it counts and sums what the session has written.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// use orm_core::functions::count_all;
    /// # #[derive(Model)] #[orm(table = "programs")]
    /// # struct Program { #[orm(primary_key)] id: i32, name: String }
    /// let engine = Engine::connect("sqlite::memory:")?;
    /// engine.create_all(&[Program::table()])?;
    /// let mut db = engine.session();
    /// db.add(Program::new("Bachelors in CS"));
    /// let names: Vec<String> = db.rows(Program::query().select(Program::NAME))?;
    /// assert_eq!(names, ["Bachelors in CS"]);
    /// assert_eq!(db.rows(Program::query().select(count_all()))?, [1]);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn rows<M, S: crate::sql::projection::Selection>(
        &mut self,
        query: crate::sql::projection::Rows<M, S>,
    ) -> Result<Vec<S::Output>> {
        self.check_usable()?;
        self.autoflush()?;
        if query.query.select.locks() {
            self.ensure_transaction()?;
        }
        let (sql, params) = query.render(self.engine.dialect())?;
        self.read_connection()?.query_raw(&sql, &params, |row| crate::sql::projection::Rows::<M, S>::decode(row))
    }

    /// Runs raw SQL on the session's connection (after autoflush), handing each row to `f`:
    /// inside the session's transaction when one is open, else where its reads go (a read
    /// replica, on an engine that has them, until the session writes).
    ///
    /// ```
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = orm_core::Engine::connect("sqlite::memory:")?;
    /// let mut db = engine.session();
    /// let two = db.query_raw("SELECT 1 + 1", &[], |row| row.get::<i64>(0))?;
    /// assert_eq!(two, [2]);
    /// # Ok(()) }
    /// ```
    pub fn query_raw<T>(
        &mut self,
        sql: &str,
        params: &[crate::value::Value],
        f: impl FnMut(&crate::execution::row::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.check_usable()?;
        self.autoflush()?;
        self.read_connection()?.query_raw(sql, params, f)
    }

    // ----- adding, deleting, detaching --------------------------------------------

    /// Adds a new object; it is INSERTed at the next flush. Children pushed into its
    /// `HasMany` fields are added with it.
    pub fn add<T: Model>(&mut self, value: T) -> Obj<T> {
        loading::learn::<T>();
        let obj = Obj::new(value);
        self.attach_new(obj.erased());
        obj
    }

    /// Adds several new objects, in order (allocated together).
    pub fn add_all<T: Model>(&mut self, values: impl IntoIterator<Item = T>) -> Vec<Obj<T>> {
        loading::learn::<T>();
        let objs = Obj::many(values.into_iter().collect());
        self.entries.reserve(objs.len());
        self.new.reserve(objs.len());
        for obj in &objs {
            self.attach_new(obj.erased());
        }
        objs
    }

    /// Adds an existing handle: a transient one becomes pending, a detached one
    /// persistent again (unless the session already has another object for its row).
    pub fn add_obj<T: Model>(&mut self, obj: &Obj<T>) -> Result<()> {
        loading::learn::<T>();
        let meta = obj.cell().meta.get();
        match meta.state {
            ObjectState::Transient => {
                self.attach_new(obj.erased());
                Ok(())
            }
            ObjectState::Pending | ObjectState::Persistent if meta.session == self.id => Ok(()),
            ObjectState::Detached => {
                let values = obj.erased().values()?;
                let key = IdentityKey::from_columns(T::TABLE, &values);
                if self.identity.contains_key(&key) {
                    return Err(Error::new(
                        ErrorKind::InvalidState,
                        format!(
                            "the session already has another {} object for the same row; \
                             use that one (session.get) instead of re-adding this one",
                            T::TABLE.model
                        ),
                    ));
                }
                let entry = self.push_entry(obj.erased(), ObjectState::Persistent);
                self.identity.insert(key, entry);
                Ok(())
            }
            _ => Err(self.foreign_object(T::TABLE.model)),
        }
    }

    fn push_entry(&mut self, obj: ErasedObj, state: ObjectState) -> usize {
        let entry = self.entries.len();
        obj.set_meta(Meta::new(self.id, entry, state));
        self.entries.push(Some(Entry { obj }));
        entry
    }

    pub(crate) fn attach_new(&mut self, obj: ErasedObj) -> usize {
        let pending = obj.take_pending_children();
        let entry = self.push_entry(obj, ObjectState::Pending);
        self.new.push(entry);
        for children in pending {
            if let Err(e) = children(self, entry) {
                self.refused_add.get_or_insert(e);
            }
        }
        entry
    }

    /// Marks an object for deletion at the next flush. A pending object is simply
    /// removed from the session.
    pub fn delete<T: Model>(&mut self, obj: &Obj<T>) -> Result<()> {
        let entry = self.entry_of(obj)?;
        self.delete_entry(entry);
        Ok(())
    }

    /// Marks the object at `entry` for deletion (a pending one just leaves the session).
    pub(crate) fn delete_entry(&mut self, entry: usize) {
        match self.entry(entry).map(|e| e.obj.meta().state) {
            Some(ObjectState::Pending) => self.expunge_entry(entry, ObjectState::Transient),
            Some(ObjectState::Persistent) => {
                self.deleted.push(entry);
            }
            _ => {}
        }
    }

    /// Removes an object from the session without touching the database: it becomes
    /// detached (or transient, if it was never flushed).
    pub fn expunge<T: Model>(&mut self, obj: &Obj<T>) -> Result<()> {
        let entry = self.entry_of(obj)?;
        let state = if obj.state() == ObjectState::Pending { ObjectState::Transient } else { ObjectState::Detached };
        self.expunge_entry(entry, state);
        Ok(())
    }

    /// Removes every object from the session (the identity map is then empty).
    pub fn expunge_all(&mut self) {
        self.release_all();
        self.identity.clear();
        self.new.clear();
        self.deleted.clear();
        self.collections.clear();
        self.parents.clear();
        self.pairs.clear();
        self.tx_log.clear();
        modified::take(self.id);
    }

    fn expunge_entry(&mut self, entry: usize, state: ObjectState) {
        if let Some(key) = self.registered_key(entry) {
            self.identity.remove(&key);
        }
        // Found before the object leaves: its parents, whose collections it leaves.
        let parents: Vec<(usize, LinkKey)> =
            self.parent_links_of(entry).into_iter().filter_map(|(link, p)| p.map(|p| (p, link.key()))).collect();
        let Some(e) = self.vacate(entry) else {
            return;
        };
        e.obj.set_meta(Meta { state, ..Meta::TRANSIENT });
        if self.is_new(entry) {
            self.new.retain(|&i| i != entry);
        }
        self.deleted.remove(entry);
        self.forget_links(entry, parents);
    }

    /// Whether `entry` is among the pending objects (they are few: what was added since
    /// the last flush).
    fn is_new(&self, entry: usize) -> bool {
        self.new.contains(&entry)
    }

    /// Drops an entry from every collection and link: its own collections, its parents'
    /// (`parents`, found while it was still in the session), many-to-many collections,
    /// and the links and pairs set in memory since the last flush.
    pub(crate) fn forget_links(&mut self, entry: usize, parents: Vec<(usize, LinkKey)>) {
        self.collections.forget(entry, parents);
        self.parents.retain(|child, p| child != entry && p.parent != Some(entry));
        self.pairs.retain(|k, _| !k.involves(entry));
    }

    /// The parent of `entry` over each foreign key of its table, from memory: what a
    /// leaving object is taken out of.
    pub(crate) fn parent_links_of(&self, entry: usize) -> Vec<(Link, Option<usize>)> {
        let Some(table) = self.entry(entry).map(|e| e.obj.table()) else {
            return Vec::new();
        };
        LinkKey::of_foreign_keys(table)
            .filter_map(|key| self.parents.get(entry, key).map(|p| p.link).or_else(|| self.collections.link_of(key)))
            .map(|link| (link, self.current_parent(link, entry)))
            .collect()
    }

    /// Empties the slot of `entry` and returns what was there; an open savepoint keeps it,
    /// to put it back if the savepoint is rolled back.
    pub(crate) fn vacate(&mut self, entry: usize) -> Option<Entry> {
        let e = self.entries.get_mut(entry).and_then(Option::take)?;
        self.vacated += 1;
        if let Some(savepoint) = self.savepoints.last_mut() {
            savepoint.keep_vacated(entry, &e);
        }
        Some(e)
    }

    /// Gives back the empty slots at the end of the entries (objects that left the
    /// session last), so that a stream of objects through the session keeps no trace of
    /// them. Not under a savepoint, which may bring them back to their slots.
    pub(crate) fn trim_vacated_tail(&mut self) {
        if !self.savepoints.is_empty() {
            return;
        }
        while let Some(None) = self.entries.last() {
            self.entries.pop();
            self.vacated = self.vacated.saturating_sub(1);
        }
    }

    /// The objects in the session (pending, persistent and marked deleted).
    pub fn len(&self) -> usize {
        self.entries.len() - self.vacated
    }

    /// Whether the session holds no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `obj` is in this session.
    pub fn contains<T: Model>(&self, obj: &Obj<T>) -> bool {
        self.entry_of(obj).is_ok()
    }

    /// Whether a flush would write anything. Costs what changed since the last flush,
    /// not what the session holds: only objects recorded as changed are looked at.
    pub fn is_dirty(&self) -> bool {
        !self.new.is_empty()
            || !self.deleted.is_empty()
            || !self.parents.is_empty()
            || !self.pairs.is_empty()
            || modified::recorded(self.id).into_iter().any(|entry| self.is_changed(entry))
    }

    /// Whether the object at `entry` differs from its snapshot; a borrowed object counts
    /// as changed, so that the flush reports the borrow.
    pub(crate) fn is_changed(&self, entry: usize) -> bool {
        self.entry(entry).is_some_and(|e| e.obj.changed_columns().map_or(true, |c| !c.is_empty()))
    }

    /// Forgets the snapshots of recorded objects that did not change after all (their
    /// values are the database's), so that the record holds only changed objects.
    pub(crate) fn prune_unchanged(&mut self) {
        if modified::len(self.id) == 0 {
            return;
        }
        let recorded = modified::take(self.id);
        let changed: Vec<usize> = recorded
            .into_iter()
            .filter(|&entry| match self.entry(entry) {
                Some(_) if self.is_changed(entry) => true,
                Some(e) => {
                    e.obj.clear_snapshot();
                    false
                }
                None => false,
            })
            .collect();
        modified::restore(self.id, &changed);
    }

    /// Turns automatic flushing before queries on or off (on by default).
    pub fn set_autoflush(&mut self, on: bool) {
        self.autoflush = on;
    }

    // ----- loading -----------------------------------------------------------------

    /// The object with primary key `key`: from the identity map when the session has
    /// it, otherwise from the database. `None` when there is no such row (or the
    /// object is marked for deletion).
    pub fn get<T: Model>(&mut self, key: T::PrimaryKey) -> Result<Option<Obj<T>>> {
        self.check_usable()?;
        let values = key.to_values();
        let identity = IdentityKey::new(T::TABLE, &values);
        if let Some(entry) = self.identity.get(&identity) {
            if self.deleted.contains(&entry) {
                return Ok(None);
            }
            return Ok(self.handle::<T>(entry));
        }
        self.autoflush()?;
        let mut q = crate::sql::select::Select::new(T::TABLE);
        let columns: Vec<_> = T::TABLE.primary_key_columns().collect();
        for (c, v) in columns.into_iter().zip(values) {
            q.filters.push(crate::sql::expr::Expr::Compare {
                column: crate::sql::expr::ColumnRef::not_null(T::TABLE.name, c.name),
                op: crate::sql::expr::CmpOp::Eq,
                value: v,
            });
        }
        Ok(self.load_select::<T>(&q, None, &[])?.into_iter().next())
    }

    /// Reloads an object's columns from the database, discarding unflushed changes.
    pub fn refresh<T: Model>(&mut self, obj: &Obj<T>) -> Result<()> {
        self.check_usable()?;
        let entry = self.entry_of(obj)?;
        if obj.state() != ObjectState::Persistent {
            return Err(Error::invalid_state(format!(
                "only persistent objects can be refreshed; this {} is {:?}",
                T::TABLE.model,
                obj.state()
            )));
        }
        let key = obj.get().primary_key().to_values();
        let (sql, params) = {
            let mut w = crate::sql::writer::SqlWriter::new(self.engine.dialect());
            w.push("SELECT ").select_list(T::TABLE, T::TABLE.name).push(" FROM ").ident(T::TABLE.name);
            w.where_key(T::TABLE, key.clone());
            w.finish()
        };
        let obj_dyn = self.entries[entry].as_ref().map(|e| e.obj.clone());
        let conn = self.read_connection()?;
        let found = conn.query_raw(&sql, &params, |row| {
            if let Some(o) = &obj_dyn {
                o.refresh_from_row(row, 0, true)?;
            }
            Ok(())
        })?;
        if found.is_empty() {
            return Err(Error::not_found(crate::execution::crud::describe_key(T::TABLE, &key)));
        }
        Ok(())
    }

    /// A query whose results are objects of this session.
    pub fn query<T: Model>(&mut self) -> SessionQuery<'_, T> {
        SessionQuery::new(self)
    }

    // ----- internals shared with loading and the unit of work ----------------------

    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.poisoned {
            Some(why) => Err(Error::new(
                ErrorKind::RollbackRequired,
                format!(
                    "the session's transaction was rolled back by a failed flush ({why}); \
                     call rollback() before using the session again"
                ),
            )),
            None => Ok(()),
        }
    }

    pub(crate) fn autoflush(&mut self) -> Result<()> {
        if self.autoflush && self.has_pending_work() {
            unit_of_work::flush(self, false)?;
        }
        Ok(())
    }

    fn has_pending_work(&mut self) -> bool {
        self.prune_unchanged();
        self.is_dirty()
    }

    /// The session's connection, checked out on first use.
    pub(crate) fn connection(&mut self) -> Result<&mut Connection> {
        if self.conn.is_none() {
            self.conn = Some(self.engine.connection()?);
        }
        Ok(self.conn.as_mut().expect("connection"))
    }

    /// The connection for a read: outside READ COMMITTED the transaction opens first, so
    /// that every read of the session sees one snapshot. On an engine with read replicas,
    /// a session that has not written (and has no transaction open) reads from a replica
    /// that has replayed the engine's commits, when one can serve.
    pub(crate) fn read_connection(&mut self) -> Result<&mut Connection> {
        if self.engine.isolation_level() != crate::execution::connection::IsolationLevel::ReadCommitted {
            self.ensure_transaction()?;
        }
        if self.reads_from_replica() {
            return Ok(self.replica.as_mut().expect("the replica connection"));
        }
        self.connection()
    }

    /// Whether this read goes to a replica (checking one out if needed).
    fn reads_from_replica(&mut self) -> bool {
        if self.on_primary || self.conn.is_some() || !self.engine.has_replicas() {
            return false;
        }
        if self.replica.is_none() {
            self.replica = self.engine.replica_connection();
        }
        self.replica.is_some()
    }

    /// Takes the connection the next read goes to, with whether it is the replica's.
    pub(crate) fn take_read_connection(&mut self) -> Result<(Connection, bool)> {
        self.read_connection()?;
        match self.replica.take() {
            Some(replica) => Ok((replica, true)),
            None => Ok((self.conn.take().expect("connection just checked out"), false)),
        }
    }

    /// Gives back what [`take_read_connection`](Self::take_read_connection) took.
    pub(crate) fn put_back_read_connection(&mut self, conn: Connection, replica: bool) {
        if replica { self.replica = Some(conn) } else { self.conn = Some(conn) }
    }

    /// From its first write on, the session works on the primary.
    pub(crate) fn writes_on_primary(&mut self) {
        self.on_primary = true;
        self.replica = None;
    }

    /// After a commit on the primary: lets the engine note where the primary stands, for
    /// read-your-writes on its replicas.
    pub(crate) fn note_commit(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            self.engine.note_commit(conn);
        }
    }

    pub(crate) fn ensure_transaction(&mut self) -> Result<()> {
        self.writes_on_primary();
        let conn = self.connection()?;
        if !conn.in_transaction() {
            conn.begin()?;
        }
        Ok(())
    }

    pub(crate) fn poison(&mut self, why: String) {
        self.poisoned = Some(why);
    }

    pub(crate) fn innermost_savepoint(&self) -> Option<&str> {
        self.savepoints.last().map(|s| s.name.as_str())
    }

    pub(crate) fn entry(&self, entry: usize) -> Option<&Entry> {
        self.entries.get(entry).and_then(Option::as_ref)
    }

    /// The key the identity map holds `entry` under: its primary key as the database has
    /// it (from the snapshot when it changed since), when the map does hold it there.
    pub(crate) fn registered_key(&self, entry: usize) -> Option<IdentityKey> {
        let e = self.entry(entry)?;
        let key = IdentityKey::new(e.obj.table(), &e.obj.database_key());
        (self.identity.get(&key) == Some(entry)).then_some(key)
    }

    pub(crate) fn handle<T: Model>(&self, entry: usize) -> Option<Obj<T>> {
        self.entry(entry).and_then(|e| Obj::from_erased(e.obj.clone()))
    }

    /// The entry of a handle of this session.
    pub(crate) fn entry_of<T: Model>(&self, obj: &Obj<T>) -> Result<usize> {
        let meta = obj.cell().meta.get();
        match meta.state {
            ObjectState::Pending | ObjectState::Persistent | ObjectState::Deleted if meta.session == self.id => {
                Ok(meta.entry())
            }
            ObjectState::Transient => Err(Error::invalid_state(format!(
                "this {} is not in the session; add it first (session.add / add_obj)",
                T::TABLE.model
            ))),
            ObjectState::Detached => Err(Error::invalid_state(format!(
                "this {} is detached (its session closed or expunged it); add_obj() it to this session first",
                T::TABLE.model
            ))),
            _ => Err(self.foreign_object(T::TABLE.model)),
        }
    }

    fn foreign_object(&self, model: &str) -> Error {
        Error::invalid_state(format!(
            "this {model} belongs to another session; objects cannot move between open sessions"
        ))
    }

    /// Registers a row loaded from the database: the existing object (refreshed when it
    /// has no unflushed changes) or a new persistent one. Returns its entry.
    #[inline]
    pub(crate) fn register_row<T: Model>(&mut self, value: T) -> Result<usize> {
        let key = match T::TABLE.primary_key {
            [one] => IdentityKey::of_value(T::TABLE, value.column_value(*one)),
            _ => IdentityKey::new(T::TABLE, &value.primary_key().to_values()),
        };
        match self.identity.slot(&key) {
            Slot::Found(entry) => {
                if let Some(existing) = self.handle::<T>(entry)
                    && existing.cell().snapshot.is_none()
                    && let Ok(mut current) = existing.cell().value.try_borrow_mut()
                {
                    current.assign_columns(value);
                }
                Ok(entry)
            }
            Slot::Vacant(place) => match &mut self.staging {
                // Reading a statement's rows: its entry is filled after the last row.
                Some(staging) => {
                    let entry = staging.next_entry();
                    place.insert(entry);
                    staging.push(&mut self.entries, entry, value);
                    Ok(entry)
                }
                None => {
                    let entry = self.entries.len();
                    place.insert(entry);
                    let obj = Obj::new(value);
                    obj.cell().meta.set(Meta::new(self.id, entry, ObjectState::Persistent));
                    self.entries.push(Some(Entry { obj: obj.erased() }));
                    Ok(entry)
                }
            },
        }
    }

    /// Every object leaves the session (pending ones become transient, the others
    /// detached) and the session lets go of them, in one pass, a block at a time: objects
    /// of one block sit next to each other among the entries. A block nobody else holds
    /// is freed without marking its objects, since nothing can see them any more.
    fn release_all(&mut self) {
        if let Some(savepoint) = self.savepoints.last_mut() {
            for (entry, e) in self.entries.iter().enumerate() {
                if let Some(e) = e {
                    savepoint.keep_vacated(entry, e);
                }
            }
        }
        self.vacated = 0;
        let mut entries = std::mem::take(&mut self.entries).into_iter().flatten().peekable();
        while let Some(entry) = entries.next() {
            let last_of_block = entries.peek().is_none_or(|next| next.obj.block_id() != entry.obj.block_id());
            if last_of_block && entry.obj.is_shared() {
                entry.obj.release_block(self.id);
            }
        }
    }

    pub(crate) fn live_entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i, e)))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The connection rolls back on drop; the objects outlive the session, detached
        // (objects nobody else holds go with their block).
        self.release_all();
        modified::close(self.id);
    }
}
