//! The session's transaction: flush and commit, rollback (which returns the session's
//! objects to the start of the transaction), and savepoints (`begin_nested`).

use rustc_hash::FxHashMap as HashMap;

use super::unit_of_work;
use super::{Entry, ErasedObj, Meta, ObjectState, Session, modified};
use crate::error::{Error, ErrorKind, Result};
use crate::execution::connection::Connection;
use crate::schema::identity_key::IdentityKey;
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

/// What flushes of the open transaction did, newest last, and which entries already have
/// their values before the transaction (or before the innermost savepoint) recorded, by an
/// `Inserted` or `Updated` record: a later flush of the same object keeps the first one.
/// That index is brought up to date only when a flush updates rows (or a savepoint
/// begins): a transaction that only inserts never pays for it.
#[derive(Default)]
pub(crate) struct TxLog {
    records: Vec<TxRecord>,
    /// `records[..indexed]` are in `kept_at`.
    indexed: usize,
    /// Entry -> its newest place in `kept`.
    kept_at: HashMap<usize, usize>,
    /// Entries as they got a record of their values before, with the place of their
    /// previous one (savepoints truncate this and put the previous places back).
    kept: Vec<(usize, Option<usize>)>,
}

impl TxLog {
    pub(crate) fn push(&mut self, record: TxRecord) {
        self.records.push(record);
    }

    /// Brings the index of kept values up to date with the records.
    pub(crate) fn index(&mut self) {
        for record in &self.records[self.indexed..] {
            let kept: &[usize] = match record {
                TxRecord::Inserted(entries) => entries,
                TxRecord::Updated(entry, _) => std::slice::from_ref(entry),
                _ => &[],
            };
            for &entry in kept {
                let previous = self.kept_at.insert(entry, self.kept.len());
                self.kept.push((entry, previous));
            }
        }
        self.indexed = self.records.len();
    }

    /// Whether the values `entry` had before the transaction, or before the savepoint
    /// whose mark is `since` (see [`TxLog::mark`]), are recorded (after [`TxLog::index`]).
    pub(crate) fn keeps_before(&self, entry: usize, since: (usize, usize)) -> bool {
        self.kept_at.get(&entry).is_some_and(|&at| at >= since.1)
    }

    pub(crate) fn records(&self) -> &[TxRecord] {
        &self.records
    }

    /// Where the log stands, to come back to ([`TxLog::split_off`]).
    pub(crate) fn mark(&mut self) -> (usize, usize) {
        self.index();
        (self.records.len(), self.kept.len())
    }

    /// The records made since `mark`, taken out.
    fn split_off(&mut self, (records, kept): (usize, usize)) -> Vec<TxRecord> {
        while self.kept.len() > kept {
            let Some((entry, previous)) = self.kept.pop() else { break };
            match previous {
                Some(at) => self.kept_at.insert(entry, at),
                None => self.kept_at.remove(&entry),
            };
        }
        self.indexed = self.indexed.min(records);
        self.records.split_off(records.min(self.records.len()))
    }

    /// Every record, taken out.
    fn take(&mut self) -> Vec<TxRecord> {
        self.indexed = 0;
        self.kept_at.clear();
        self.kept.clear();
        std::mem::take(&mut self.records)
    }

    pub(crate) fn clear(&mut self) {
        self.take();
    }
}

/// What a savepoint needs to return the session to the moment it was taken. A savepoint
/// starts on a flushed session (no pending, deleted or changed object, no link or pair set
/// in memory), so it only notes where things stood and keeps what its work replaces:
/// its cost is what changes under it, not what the session holds.
pub(crate) struct SavedState {
    pub(super) name: String,
    /// Entries from here on joined under the savepoint.
    entries: usize,
    pub(super) tx_log: (usize, usize),
    /// Objects that left the session under the savepoint: entry, handle, state then.
    vacated: Vec<(usize, ErasedObj, Meta)>,
}

impl SavedState {
    /// Keeps an object of the session as it leaves it, when it was there before the
    /// savepoint (one that joined after leaves with the savepoint anyway).
    pub(crate) fn keep_vacated(&mut self, entry: usize, e: &Entry) {
        if entry < self.entries {
            self.vacated.push((entry, e.obj.clone(), e.obj.meta()));
        }
    }
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
            self.note_commit();
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
        for record in self.tx_log.records() {
            let entries: &[usize] = match record {
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
        self.replica = None;
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
        self.savepoints.push(SavedState {
            name: name.clone(),
            entries: self.entries.len(),
            tx_log: self.tx_log.mark(),
            vacated: Vec::new(),
        });
        self.collections.begin_savepoint();
        let result = f(self).and_then(|r| unit_of_work::flush(self, false).map(|()| r));
        let Some(saved) = self.savepoints.pop() else {
            // The closure rolled the whole transaction back: nothing is left to release.
            return result;
        };
        match result {
            Ok(r) => {
                self.collections.release_savepoint();
                if let Some(outer) = self.savepoints.last_mut() {
                    for (entry, obj, meta) in saved.vacated {
                        if entry < outer.entries {
                            outer.vacated.push((entry, obj, meta));
                        }
                    }
                }
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
        for record in self.tx_log.take() {
            if let TxRecord::Deleted(entry) = record
                && let Some(e) = self.vacate(entry)
            {
                e.obj.set_meta(Meta { state: ObjectState::Detached, ..Meta::TRANSIENT });
            }
        }
        self.conn = None;
        self.replica = None;
    }

    fn restore_after_rollback(&mut self) {
        // Unflushed changes are discarded (only changed objects have a snapshot).
        self.discard_unflushed_changes();
        // Undo what flushes of the transaction did, newest first.
        let records = self.tx_log.take();
        self.undo(records);
        // Objects never flushed leave the session.
        for entry in std::mem::take(&mut self.new) {
            self.expunge_entry(entry, ObjectState::Transient);
        }
        self.deleted.clear();
        self.collections.clear();
        self.collections.end_savepoints();
        self.parents.clear();
        self.pairs.clear();
        self.savepoints.clear();
    }

    /// Objects changed since the last flush get their values back from their snapshots.
    fn discard_unflushed_changes(&mut self) {
        for entry in modified::take(self.id) {
            if let Some(e) = self.entry(entry)
                && let Some(before) = e.obj.snapshot()
            {
                let _ = e.obj.set_all(before, true);
            }
        }
    }

    /// Undoes flush records, newest first: columns the flushes set get their old values,
    /// inserted objects leave, updated ones get their values back and deleted ones come
    /// back; the identity map follows every key that moves.
    fn undo(&mut self, records: Vec<TxRecord>) {
        for record in records.into_iter().rev() {
            match record {
                TxRecord::Columns(columns) => {
                    for (entry, column, before) in columns.into_iter().rev() {
                        if let Some(e) = self.entry(entry) {
                            let _ = e.obj.set_column(column, before);
                            e.obj.clear_snapshot();
                        }
                    }
                }
                TxRecord::Inserted(entries) => {
                    for entry in entries.into_iter().rev() {
                        self.expunge_entry(entry, ObjectState::Transient);
                    }
                }
                TxRecord::Updated(entry, before) => {
                    let Some(obj) = self.entry(entry).map(|e| e.obj.clone()) else { continue };
                    // The key the update gave the object goes; the one it had comes back.
                    let now = obj.identity_key();
                    if self.identity.get(&now) == Some(entry) {
                        self.identity.remove(&now);
                    }
                    let _ = obj.set_all(before, true);
                    self.register_again(entry);
                }
                TxRecord::Deleted(entry) => {
                    if let Some(e) = self.entry(entry) {
                        let meta = e.obj.meta();
                        e.obj.set_meta(Meta { state: ObjectState::Persistent, ..meta });
                    }
                    self.register_again(entry);
                }
            }
        }
        // What the undone columns recorded as changed is undone too.
        modified::take(self.id);
    }

    /// Puts a persistent object back in the identity map, under its key as the database
    /// has it.
    fn register_again(&mut self, entry: usize) {
        let Some(e) = self.entry(entry) else { return };
        if e.obj.meta().state != ObjectState::Persistent {
            return;
        }
        let key = IdentityKey::new(e.obj.table(), &e.obj.database_key());
        if !key.has_null() {
            self.identity.insert(key, entry);
        }
    }

    /// Returns the session to the moment the savepoint `saved` was taken (its database
    /// work is rolled back already).
    fn restore_state(&mut self, saved: SavedState) {
        self.discard_unflushed_changes();
        let records = self.tx_log.split_off(saved.tx_log);
        // Objects that joined under the savepoint (added, or loaded) leave the session;
        // their INSERTs, if any, are undone with it. Their keys go first, while the
        // objects can still tell them.
        for entry in saved.entries..self.entries.len() {
            if let Some(key) = self.registered_key(entry) {
                self.identity.remove(&key);
            }
        }
        let start = saved.entries.min(self.entries.len());
        self.vacated -= self.entries[start..].iter().filter(|e| e.is_none()).count();
        for e in self.entries.drain(start..).flatten() {
            e.obj.set_meta(Meta { state: ObjectState::Transient, ..Meta::TRANSIENT });
        }
        // After expunge_all the entries are gone: their slots come back empty, to refill.
        if self.entries.len() < saved.entries {
            self.vacated += saved.entries - self.entries.len();
            self.entries.resize_with(saved.entries, || None);
        }
        // Objects that left under the savepoint come back as they were, before the flush
        // records are undone (some are about them).
        for (entry, obj, meta) in saved.vacated.into_iter().rev() {
            if let Some(slot) = self.entries.get_mut(entry)
                && slot.is_none()
            {
                obj.set_meta(meta);
                if let Some(before) = obj.take_snapshot() {
                    let _ = obj.set_all(before, true);
                }
                *slot = Some(Entry { obj });
                self.vacated -= 1;
                self.register_again(entry);
            }
        }
        self.undo(records);
        // The savepoint began on a flushed session: nothing was pending, marked, linked
        // or paired in memory then.
        self.new.clear();
        self.deleted.clear();
        self.parents.clear();
        self.pairs.clear();
        self.collections.rollback_savepoint();
    }
}
