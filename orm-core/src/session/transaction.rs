//! The session's transaction: flush and commit, rollback (which returns the session's
//! objects to the start of the transaction), and savepoints (`begin_nested`).

use rustc_hash::FxHashMap as HashMap;

use super::ParentLinks;
use super::association::PairKey;
use super::identity::IdentityMap;
use super::unit_of_work;
use super::{Entry, ErasedObj, Meta, ObjectState, Session};
use crate::error::{Error, ErrorKind, Result};
use crate::execution::connection::Connection;
use crate::schema::identity_key::IdentityKey;
use crate::schema::link::LinkKey;
use crate::value::Value;

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
pub(crate) struct SavedState {
    pub(super) name: String,
    entries: Vec<Option<SavedEntry>>,
    identity: IdentityMap,
    new: Vec<usize>,
    deleted: Vec<usize>,
    collections: HashMap<(usize, LinkKey), Vec<usize>>,
    parents: ParentLinks,
    pairs: HashMap<PairKey, bool>,
    tx_log: Vec<TxRecord>,
}

impl Session {
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
}
