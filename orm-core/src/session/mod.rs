//! The session: identity map, object states, transactions, and the unit of work that
//! turns `add` / `get_mut` / `delete` into ordered, batched SQL at `flush` and `commit`.

mod association;
mod handle;
mod identity;
mod loading;
pub(crate) mod options;
mod parent_links;
mod pending;
mod query;
mod staging;
mod unit_of_work;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

pub use handle::{Obj, ObjectState};
pub use loading::{Children, LoaderOf};
pub use query::SessionQuery;

pub(crate) use handle::{ErasedObj, Meta};
use identity::{IdentityMap, Slot};
pub(crate) use parent_links::{ParentLink, ParentLinks};

use crate::error::{Error, ErrorKind, Result};
use crate::execution::connection::Connection;
use crate::execution::engine::Engine;
use crate::schema::identity_key::IdentityKey;
use crate::schema::link::{Link, LinkKey};
use crate::schema::model::Model;
use crate::schema::types::PrimaryKey;
use crate::value::Value;

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
    conn: Option<Connection>,
    id: u64,
    entries: Vec<Option<Entry>>,
    identity: IdentityMap,
    /// Pending entries, in the order they were added.
    new: Vec<usize>,
    /// Persistent entries marked for deletion, in order.
    deleted: Vec<usize>,
    /// Loaded one-to-many collections: (parent entry, link) -> child entries.
    collections: HashMap<(usize, LinkKey), Vec<usize>>,
    /// Many-to-one links set in memory: (child entry, link) -> parent entry (None = removed).
    parents: ParentLinks,
    /// Many-to-many pairs added (true) or removed (false) in memory since the last flush.
    pairs: HashMap<association::PairKey, bool>,
    autoflush: bool,
    /// Set by a failed flush: everything but `rollback` is refused.
    poisoned: Option<String>,
    /// What flushes of the open transaction changed, to undo on rollback.
    tx_log: Vec<TxRecord>,
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

/// A change a flush made inside the open transaction, undone on rollback.
#[derive(Clone)]
pub(crate) enum TxRecord {
    /// The flush set columns of entries (generated keys, synced foreign keys): each
    /// (entry, column, value before), in the order they were set.
    Columns(Vec<(usize, usize, Value)>),
    /// The entries a flush INSERTed, in the order they were added.
    Inserted(Vec<usize>),
    /// The entry was UPDATEd; its values as the database had them before.
    Updated(usize, Vec<Value>),
    /// The entry was DELETEd (by statement or by the database's cascade).
    Deleted(usize),
}

/// One object as a savepoint saw it: handle, identity, state, values, snapshot.
type SavedEntry = (ErasedObj, Meta, Vec<Value>, Option<Vec<Value>>);

/// Everything needed to return to the moment a savepoint was taken.
struct SavedState {
    name: String,
    entries: Vec<Option<SavedEntry>>,
    identity: IdentityMap,
    new: Vec<usize>,
    deleted: Vec<usize>,
    collections: HashMap<(usize, LinkKey), Vec<usize>>,
    parents: ParentLinks,
    pairs: HashMap<association::PairKey, bool>,
    tx_log: Vec<TxRecord>,
}

impl Engine {
    /// A new session on this engine.
    pub fn session(&self) -> Session {
        Session {
            engine: self.clone(),
            conn: None,
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            entries: Vec::new(),
            identity: IdentityMap::default(),
            new: Vec::new(),
            deleted: Vec::new(),
            collections: HashMap::default(),
            parents: ParentLinks::default(),
            pairs: HashMap::default(),
            autoflush: true,
            poisoned: None,
            tx_log: Vec::new(),
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
            .field("objects", &self.entries.iter().flatten().count())
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

    // ----- adding, deleting, detaching --------------------------------------------

    /// Adds a new object; it is INSERTed at the next flush. Children pushed into its
    /// `HasMany` fields are added with it.
    pub fn add<T: Model>(&mut self, value: T) -> Obj<T> {
        let obj = Obj::new(value);
        self.attach_new(obj.erased());
        obj
    }

    /// Adds several new objects, in order (allocated together).
    pub fn add_all<T: Model>(&mut self, values: impl IntoIterator<Item = T>) -> Vec<Obj<T>> {
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
            // Only fails on inconsistent metadata, which the derive rules out.
            if let Err(e) = children(self, entry) {
                log::warn!(target: "orm::session", "cannot add children: {e}");
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
            Some(ObjectState::Persistent) if !self.deleted.contains(&entry) => self.deleted.push(entry),
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
        self.tx_log.retain(|_| false);
    }

    fn expunge_entry(&mut self, entry: usize, state: ObjectState) {
        if let Some(key) = self.registered_key(entry) {
            self.identity.remove(&key);
        }
        let Some(e) = self.entries.get_mut(entry).and_then(Option::take) else {
            return;
        };
        e.obj.set_meta(Meta { state, ..Meta::TRANSIENT });
        self.new.retain(|&i| i != entry);
        self.deleted.retain(|&i| i != entry);
        self.forget_links(entry);
    }

    /// Drops an entry from every collection and link.
    fn forget_links(&mut self, entry: usize) {
        self.collections.retain(|(parent, _), _| *parent != entry);
        for children in self.collections.values_mut() {
            children.retain(|&c| c != entry);
        }
        self.parents.retain(|child, p| child != entry && p.parent != Some(entry));
        self.pairs.retain(|k, _| !k.involves(entry));
    }

    /// The objects in the session (pending, persistent and marked deleted).
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Whether the session holds no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `obj` is in this session.
    pub fn contains<T: Model>(&self, obj: &Obj<T>) -> bool {
        self.entry_of(obj).is_ok()
    }

    /// Whether a flush would write anything.
    pub fn is_dirty(&self) -> bool {
        !self.new.is_empty()
            || !self.deleted.is_empty()
            || self.parents.iter().any(|(_, p)| !p.synced)
            || !self.pairs.is_empty()
            // A borrowed object counts as dirty, so that the flush reports the borrow.
            || self.entries.iter().flatten().any(|e| e.obj.changed_columns().map_or(true, |c| !c.is_empty()))
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
                column: crate::sql::expr::ColumnRef { table: T::TABLE.name, name: c.name },
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
            w.push("SELECT ").select_list(T::TABLE).push(" FROM ").ident(T::TABLE.name);
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

    // ----- transactions ------------------------------------------------------------

    /// Writes pending changes to the database, inside the session's transaction.
    pub fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        unit_of_work::flush(self, false)
    }

    /// Flushes, then commits the transaction and returns the connection to the pool.
    pub fn commit(&mut self) -> Result<()> {
        self.check_usable()?;
        if !self.savepoints.is_empty() {
            return Err(Error::invalid_state(
                "commit() inside begin_nested(): return from the closure to release the savepoint first",
            ));
        }
        unit_of_work::flush(self, true)?;
        if self.in_transaction() {
            let r = self.conn.as_mut().map_or(Ok(()), Connection::commit);
            if let Err(e) = r {
                let e = self.name_deferred_foreign_key(e);
                self.restore_after_rollback();
                self.conn = None;
                return Err(e.context("commit failed; the transaction was rolled back"));
            }
        }
        self.finish_transaction();
        Ok(())
    }

    /// A deferred foreign key that failed at COMMIT, which SQLite does not name: when
    /// the rows the transaction inserted or updated are in tables with one foreign key
    /// between them (and it deleted nothing), that key is the one.
    fn name_deferred_foreign_key(&self, e: Error) -> Error {
        if e.kind() != ErrorKind::ForeignKeyViolation || e.constraint().is_some() {
            return e;
        }
        let mut tables: Vec<&'static crate::schema::table::TableDef> = Vec::new();
        for record in &self.tx_log {
            let entries = match record {
                TxRecord::Inserted(entries) => entries.as_slice(),
                TxRecord::Updated(entry, _) => std::slice::from_ref(entry),
                TxRecord::Deleted(_) => return e,
                TxRecord::Columns(_) => continue,
            };
            for t in entries.iter().filter_map(|&entry| self.entry(entry).map(|e| e.obj.table())) {
                if t.columns.iter().any(|c| c.foreign_key.is_some()) && !tables.iter().any(|x| x.name == t.name) {
                    tables.push(t);
                }
            }
        }
        match tables[..] {
            [table] => crate::execution::crud::name_foreign_key(e, table),
            _ => e,
        }
    }

    /// Rolls the transaction back and returns the session to the state before it:
    /// objects added in it leave the session, deleted ones come back, changed ones get
    /// their database values again.
    pub fn rollback(&mut self) -> Result<()> {
        let result = match self.conn.as_mut() {
            Some(conn) if conn.in_transaction() => conn.rollback(),
            _ => Ok(()),
        };
        self.restore_after_rollback();
        self.conn = None;
        self.poisoned = None;
        match result {
            Err(e) if e.kind() != ErrorKind::ConnectionLost => Err(e),
            _ => Ok(()),
        }
    }

    /// Opens the transaction now (otherwise it opens at the first write; reads before
    /// it run on their own, which READ COMMITTED makes equivalent).
    pub fn begin(&mut self) -> Result<()> {
        self.check_usable()?;
        self.ensure_transaction()
    }

    /// Runs `f` inside a savepoint: when it returns `Err`, its database work and its
    /// changes to the session are undone and the error is returned; the rest of the
    /// transaction goes on.
    pub fn begin_nested<R>(&mut self, f: impl FnOnce(&mut Session) -> Result<R>) -> Result<R> {
        self.check_usable()?;
        unit_of_work::flush(self, false)?;
        self.ensure_transaction()?;
        let name = format!("sa_savepoint_{}", self.savepoints.len() + 1);
        self.connection()?.savepoint(&name)?;
        let saved = self.save_state(name.clone());
        self.savepoints.push(saved);
        let result = f(self).and_then(|r| unit_of_work::flush(self, false).map(|()| r));
        let saved = self.savepoints.pop().expect("savepoint frame");
        match result {
            Ok(r) => {
                self.connection()?.release_savepoint(&name)?;
                Ok(r)
            }
            Err(e) => {
                let conn = self.connection()?;
                conn.rollback_to_savepoint(&name)?;
                conn.release_savepoint(&name)?;
                self.restore_state(saved);
                self.poisoned = None;
                Err(e)
            }
        }
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::in_transaction)
    }

    /// Rolls back and detaches every object; the session stays usable.
    pub fn close(&mut self) {
        let _ = self.rollback();
        self.expunge_all();
    }

    fn finish_transaction(&mut self) {
        for record in std::mem::take(&mut self.tx_log) {
            if let TxRecord::Deleted(entry) = record
                && let Some(e) = self.entries.get_mut(entry).and_then(Option::take)
            {
                e.obj.set_meta(Meta { state: ObjectState::Detached, ..Meta::TRANSIENT });
            }
        }
        self.conn = None;
    }

    fn restore_after_rollback(&mut self) {
        // Unflushed changes are discarded.
        for e in self.entries.iter().flatten() {
            if let Some(before) = e.obj.snapshot() {
                let _ = e.obj.set_all(before, true);
            }
        }
        // Undo what flushes of the transaction did, newest first.
        for record in std::mem::take(&mut self.tx_log).into_iter().rev() {
            match record {
                TxRecord::Columns(columns) => {
                    for (entry, column, before) in columns.into_iter().rev() {
                        if let Some(e) = self.entries.get(entry).and_then(Option::as_ref) {
                            let _ = e.obj.set_column(column, before);
                            e.obj.clear_snapshot();
                        }
                    }
                }
                TxRecord::Inserted(entries) => {
                    // Their keys leave the identity map below, with every key that no
                    // longer names its object.
                    for entry in entries.into_iter().rev() {
                        self.expunge_entry(entry, ObjectState::Transient);
                    }
                }
                TxRecord::Updated(entry, before) => {
                    if let Some(e) = self.entries.get(entry).and_then(Option::as_ref) {
                        let _ = e.obj.set_all(before, true);
                    }
                }
                TxRecord::Deleted(entry) => {
                    if let Some(e) = self.entries.get_mut(entry).and_then(Option::as_mut) {
                        let meta = e.obj.meta();
                        e.obj.set_meta(Meta { state: ObjectState::Persistent, ..meta });
                    }
                }
            }
        }
        // Objects never flushed leave the session.
        for entry in std::mem::take(&mut self.new) {
            self.expunge_entry(entry, ObjectState::Transient);
        }
        // The identity map again holds exactly the persistent objects, under the keys
        // their restored values give (inserted rows are gone, deleted ones are back, and a
        // key an update changed is the old one again).
        self.identity.clear();
        for (entry, e) in self.entries.iter().enumerate() {
            if let Some(e) = e
                && e.obj.meta().state == ObjectState::Persistent
            {
                let key = IdentityKey::new(e.obj.table(), &e.obj.database_key());
                if !key.has_null() {
                    self.identity.insert(key, entry);
                }
            }
        }
        self.deleted.clear();
        self.collections.clear();
        self.parents.clear();
        self.pairs.clear();
        self.savepoints.clear();
    }

    fn save_state(&self, name: String) -> SavedState {
        SavedState {
            name,
            entries: self
                .entries
                .iter()
                .map(|e| {
                    e.as_ref()
                        .map(|e| (e.obj.clone(), e.obj.meta(), e.obj.values().unwrap_or_default(), e.obj.snapshot()))
                })
                .collect(),
            identity: self.identity.clone(),
            new: self.new.clone(),
            deleted: self.deleted.clone(),
            collections: self.collections.clone(),
            parents: self.parents.clone(),
            pairs: self.pairs.clone(),
            tx_log: self.tx_log.clone(),
        }
    }

    fn restore_state(&mut self, saved: SavedState) {
        let _ = &saved.name;
        // Objects that joined after the savepoint leave the session.
        for (i, e) in self.entries.iter().enumerate() {
            if let Some(e) = e
                && saved.entries.get(i).is_none_or(Option::is_none)
            {
                // Its INSERT, if any, is undone with the savepoint.
                e.obj.set_meta(Meta { state: ObjectState::Transient, ..Meta::TRANSIENT });
            }
        }
        self.entries = saved
            .entries
            .into_iter()
            .map(|e| {
                e.map(|(obj, meta, values, snapshot)| {
                    obj.set_meta(meta);
                    let _ = obj.set_all(values, true);
                    if let Some(s) = snapshot {
                        obj.restore_snapshot(s);
                    }
                    Entry { obj }
                })
            })
            .collect();
        self.identity = saved.identity;
        self.new = saved.new;
        self.deleted = saved.deleted;
        self.collections = saved.collections;
        self.parents = saved.parents;
        self.pairs = saved.pairs;
        self.tx_log = saved.tx_log;
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

    fn has_pending_work(&self) -> bool {
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
    /// that every read of the session sees one snapshot.
    pub(crate) fn read_connection(&mut self) -> Result<&mut Connection> {
        if self.engine.isolation_level() != crate::execution::connection::IsolationLevel::ReadCommitted {
            self.ensure_transaction()?;
        }
        self.connection()
    }

    pub(crate) fn ensure_transaction(&mut self) -> Result<()> {
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

    /// Sets (or clears) the parent of a child in memory, keeping the parent's loaded
    /// collection in step; the foreign key follows at flush.
    pub(crate) fn link(&mut self, link: Link, child: usize, parent: Option<usize>) {
        let key = link.key();
        let old = self.current_parent(link, child);
        if old == parent && self.parents.get(child, key).is_some() {
            return;
        }
        if let Some(old) = old
            && let Some(children) = self.collections.get_mut(&(old, key))
        {
            children.retain(|&c| c != child);
        }
        if let Some(new) = parent {
            // A new parent's collection is exactly its linked children: keep it complete.
            let collection = if self.is_pending(new) {
                Some(self.collections.entry((new, key)).or_default())
            } else {
                self.collections.get_mut(&(new, key))
            };
            if let Some(children) = collection
                && !children.contains(&child)
            {
                children.push(child);
            }
        }
        self.parents.insert(child, ParentLink { link, parent, synced: false });
    }

    pub(crate) fn is_pending(&self, entry: usize) -> bool {
        self.entry(entry).is_some_and(|e| e.obj.meta().state == ObjectState::Pending)
    }

    /// Links a child that has just joined the session (so it has no parent and is in no
    /// collection yet) to its parent.
    pub(crate) fn link_new(&mut self, link: Link, child: usize, parent: usize) {
        self.link_new_children(link, &[child], parent);
    }

    /// [`link_new`](Session::link_new) for several new children of one parent.
    pub(crate) fn link_new_children(&mut self, link: Link, children: &[usize], parent: usize) {
        let key = link.key();
        let collection = if self.is_pending(parent) {
            Some(self.collections.entry((parent, key)).or_default())
        } else {
            self.collections.get_mut(&(parent, key))
        };
        if let Some(collection) = collection {
            collection.extend_from_slice(children);
        }
        self.parents.insert_new(children, &link, parent);
    }

    /// Makes room for `n` more new children with their parent links.
    pub(crate) fn reserve_children(&mut self, n: usize) {
        self.entries.reserve(n);
        self.new.reserve(n);
        self.parents.reserve(n);
    }

    /// Makes room for `n` more objects (a result of that many rows is coming).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.identity.reserve(n);
    }

    /// The parents set in memory for a child, one per foreign key of its table.
    pub(crate) fn parent_links(&self, child: usize) -> impl Iterator<Item = ParentLink> + '_ {
        let table = self.entry(child).map(|e| e.obj.table());
        table.into_iter().flat_map(LinkKey::of_foreign_keys).filter_map(move |key| self.parents.get(child, key))
    }

    /// The parent entry of a child over a link, from memory: the link set by the
    /// session, or else the identity map entry its foreign key points at.
    pub(crate) fn current_parent(&self, link: Link, child: usize) -> Option<usize> {
        if let Some(p) = self.parents.get(child, link.key()) {
            return p.parent;
        }
        let fk = self.entry(child)?.obj.column_value(link.fk_column).ok()?;
        self.parent_by_key(link, &fk)
    }

    /// The entry of the parent whose referenced column holds `fk`, if loaded.
    pub(crate) fn parent_by_key(&self, link: Link, fk: &Value) -> Option<usize> {
        if fk.is_null() {
            return None;
        }
        if link.parent.primary_key == [link.parent_column] {
            return self.identity.get(&IdentityKey::new(link.parent, std::slice::from_ref(fk)));
        }
        self.entries.iter().enumerate().find_map(|(i, e)| {
            let e = e.as_ref()?;
            (e.obj.table().name == link.parent.name && e.obj.column_value(link.parent_column).ok().as_ref() == Some(fk))
                .then_some(i)
        })
    }

    /// Every object leaves the session (pending ones become transient, the others
    /// detached) and the session lets go of them, in one pass, a block at a time: objects
    /// of one block sit next to each other among the entries. A block nobody else holds
    /// is freed without marking its objects, since nothing can see them any more.
    fn release_all(&mut self) {
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
    }
}
