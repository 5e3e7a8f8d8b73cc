//! Object handles: `Obj<T>`, the one shared reference to a row's object in a session.

use std::any::Any;
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::execution::row::Row;
use crate::schema::identity_key::IdentityKey;
use crate::schema::model::Model;
use crate::schema::table::TableDef;
use crate::schema::types::PrimaryKey;
use crate::session::pending::{Attach, PendingChildren};
use crate::session::{modified, pool};
use crate::value::Value;

/// Where an object stands, as in SQLAlchemy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectState {
    /// Not in a session and never saved.
    Transient,
    /// Added to a session; INSERTed at the next flush.
    Pending,
    /// In a session and in the database.
    Persistent,
    /// DELETEd by a flush; gone from the session when the transaction commits.
    Deleted,
    /// Was in a session that closed, or was expunged from it.
    Detached,
}

/// A handle on an object: cheap to clone, compared by identity. Within a session there
/// is one handle per row, however the row was loaded.
///
/// Read with [`get`](Obj::get), change with [`get_mut`](Obj::get_mut); the session
/// notices the change and UPDATEs the changed columns at the next flush.
///
/// Handles are `!Send`: a session and its objects belong to one thread.
///
/// Objects loaded by one statement are allocated together, up to 64 to an allocation:
/// a handle kept after its session has closed keeps that allocation alive.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String }
/// let p = Obj::new(Program::new("Bachelors in CS"));
/// assert_eq!(p.state(), ObjectState::Transient);
/// p.get_mut().name.push_str(" (hons)");
/// assert_eq!(p.get().name, "Bachelors in CS (hons)");
/// assert!(p.clone() == p); // handles compare by identity
/// ```
pub struct Obj<T> {
    block: Rc<Block<T>>,
    index: u32,
}

/// At most this many objects share one allocation (a [`Block`]): objects loaded by one
/// statement are allocated together, so that loading 10,000 rows costs 314 allocations
/// (two per block) instead of 10,000, and a handle kept after its session keeps at most
/// 63 neighbours alive with it.
pub(crate) const BLOCK_SIZE: usize = 64;

/// Objects allocated together: one made on its own, or up to [`BLOCK_SIZE`] loaded by one
/// statement. Freed when the last handle on any of them, and their session, let go.
pub(crate) enum Block<T> {
    One(ObjCell<T>),
    /// The cells, and where their memory goes when the block goes (back to the thread's
    /// pool of blocks of this model: see `pool.rs`).
    Many(Vec<ObjCell<T>>, fn(Vec<ObjCell<T>>)),
}

impl<T> Drop for Block<T> {
    fn drop(&mut self) {
        if let Block::Many(cells, give_back) = self {
            give_back(std::mem::take(cells));
        }
    }
}

impl<T> Block<T> {
    #[inline]
    fn cell(&self, index: u32) -> &ObjCell<T> {
        match self {
            Block::One(cell) => cell,
            Block::Many(cells, _) => &cells[index as usize],
        }
    }

    /// The objects of the block.
    pub(crate) fn cells(&self) -> &[ObjCell<T>] {
        match self {
            Block::One(cell) => std::slice::from_ref(cell),
            Block::Many(cells, _) => cells,
        }
    }
}

/// One object, its session bookkeeping, and the snapshot of its database values taken
/// before the first change.
pub(crate) struct ObjCell<T> {
    pub(crate) value: RefCell<T>,
    pub(crate) meta: Cell<Meta>,
    /// The column values as the database has them, taken on the first `get_mut` after
    /// a load or flush; `None` = unchanged since.
    pub(crate) snapshot: Snapshot,
}

/// The values an object had in the database before its first change: a `Cell` rather
/// than a `RefCell` (no borrow flag), and a thin pointer (8 bytes), because it is only
/// ever replaced or looked at for a moment and every loaded object has one while few
/// ever take a snapshot.
// A `Vec` would be 24 bytes in every object, a boxed slice 16; the box of a `Vec` is 8,
// and its second allocation is paid only by objects that change.
#[derive(Default)]
#[allow(clippy::box_collection)]
pub(crate) struct Snapshot(Cell<Option<Box<Vec<Value>>>>);

impl Snapshot {
    /// Looks at the snapshot (`None`: unchanged since the last load or flush).
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&[Value]>) -> R) -> R {
        let snapshot = self.0.take();
        let result = f(snapshot.as_deref().map(Vec::as_slice));
        self.0.set(snapshot);
        result
    }

    #[inline]
    pub(crate) fn is_none(&self) -> bool {
        self.with(|s| s.is_none())
    }

    pub(crate) fn set(&self, values: Vec<Value>) {
        self.0.set(Some(Box::new(values)));
    }

    pub(crate) fn take(&self) -> Option<Vec<Value>> {
        self.0.take().map(|values| *values)
    }

    #[inline]
    pub(crate) fn clear(&self) {
        self.0.set(None);
    }
}

impl<T> ObjCell<T> {
    pub(crate) fn new(value: T, meta: Meta) -> ObjCell<T> {
        ObjCell { value: RefCell::new(value), meta: Cell::new(meta), snapshot: Snapshot::default() }
    }

    /// Leaves the session: a pending object becomes transient, any other detached.
    fn leave(&self) {
        let state = match self.meta.get().state {
            ObjectState::Pending => ObjectState::Transient,
            _ => ObjectState::Detached,
        };
        self.meta.set(Meta { state, ..Meta::TRANSIENT });
    }
}

/// Bookkeeping shared between the handle and its session.
/// Kept small (16 bytes): it is in every object's cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub(crate) session: u64,
    pub(crate) entry: u32,
    pub(crate) state: ObjectState,
}

impl Meta {
    pub(crate) const TRANSIENT: Meta = Meta { session: 0, entry: 0, state: ObjectState::Transient };

    pub(crate) fn new(session: u64, entry: usize, state: ObjectState) -> Meta {
        Meta { session, entry: u32::try_from(entry).unwrap_or(u32::MAX), state }
    }

    /// The object's index in its session.
    pub(crate) fn entry(&self) -> usize {
        self.entry as usize
    }
}

impl<T: Model> Obj<T> {
    /// A transient handle: not in any session yet (see [`Session::add_obj`](crate::Session::add_obj)).
    pub fn new(value: T) -> Obj<T> {
        Obj { block: Rc::new(Block::One(ObjCell::new(value, Meta::TRANSIENT))), index: 0 }
    }

    /// Transient handles on `values`, allocated [`BLOCK_SIZE`] to a block.
    pub(crate) fn many(values: Vec<T>) -> Vec<Obj<T>> {
        if values.len() < 2 {
            return values.into_iter().map(Obj::new).collect();
        }
        let mut objs = Vec::with_capacity(values.len());
        let mut values = values.into_iter().peekable();
        while values.peek().is_some() {
            let mut cells = pool::take::<T>();
            cells.extend(values.by_ref().take(BLOCK_SIZE).map(|v| ObjCell::new(v, Meta::TRANSIENT)));
            let block = Rc::new(Block::Many(cells, pool::give_back::<T>));
            let len = block.cells().len();
            objs.extend((0..len).map(|index| Obj { block: block.clone(), index: index as u32 }));
        }
        objs
    }

    /// Reads the object.
    ///
    /// # Panics
    /// When a [`get_mut`](Obj::get_mut) guard of the same object is alive, as
    /// `RefCell::borrow` does; [`try_get`](Obj::try_get) returns an error instead.
    pub fn get(&self) -> Ref<'_, T> {
        self.cell().value.borrow()
    }

    /// Reads the object, or an error when a `get_mut` guard of it is alive.
    pub fn try_get(&self) -> Result<Ref<'_, T>> {
        self.cell().value.try_borrow().map_err(|_| self.cell().borrowed_error())
    }

    /// Changes the object; the session UPDATEs the changed columns at the next flush.
    ///
    /// # Panics
    /// When another guard of the same object is alive, as `RefCell::borrow_mut` does;
    /// [`try_get_mut`](Obj::try_get_mut) returns an error instead.
    pub fn get_mut(&self) -> RefMut<'_, T> {
        self.cell().snapshot_before_change();
        self.cell().value.borrow_mut()
    }

    /// Changes the object, or an error when another guard of it is alive.
    pub fn try_get_mut(&self) -> Result<RefMut<'_, T>> {
        let guard = self.cell().value.try_borrow_mut().map_err(|_| self.cell().borrowed_error())?;
        drop(guard);
        Ok(self.get_mut())
    }

    /// The object's state.
    pub fn state(&self) -> ObjectState {
        self.cell().meta.get().state
    }

    /// Whether the object has changes the database does not have yet.
    pub fn is_modified(&self) -> bool {
        match self.state() {
            ObjectState::Pending | ObjectState::Transient => true,
            _ => self.cell().changed_columns().is_ok_and(|c| !c.is_empty()),
        }
    }

    /// The primary key (assigned by the database for pending objects at flush).
    pub fn primary_key(&self) -> T::PrimaryKey {
        self.get().primary_key()
    }

    /// A clone of the object itself.
    pub fn to_owned(&self) -> T
    where
        T: Clone,
    {
        self.get().clone()
    }

    /// The object's allocation and index in it: what tells it apart from any other.
    pub(crate) fn identity(&self) -> (usize, u32) {
        (Rc::as_ptr(&self.block).cast::<()>() as usize, self.index)
    }

    pub(crate) fn erased(&self) -> ErasedObj {
        ErasedObj { block: self.block.clone(), index: self.index }
    }

    pub(crate) fn from_erased(obj: ErasedObj) -> Option<Obj<T>> {
        let index = obj.index;
        obj.block.into_any().downcast::<Block<T>>().ok().map(|block| Obj { block, index })
    }
}

impl<T> Obj<T> {
    /// The object's cell in its block.
    #[inline]
    pub(crate) fn cell(&self) -> &ObjCell<T> {
        self.block.cell(self.index)
    }
}

impl<T> Clone for Obj<T> {
    fn clone(&self) -> Self {
        Obj { block: self.block.clone(), index: self.index }
    }
}

impl<T> PartialEq for Obj<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.block, &other.block) && self.index == other.index
    }
}

impl<T> Eq for Obj<T> {}

impl<T> Hash for Obj<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(Rc::as_ptr(&self.block), state);
        self.index.hash(state);
    }
}

impl<T: fmt::Debug> fmt::Debug for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell().value.try_borrow() {
            Ok(v) => write!(f, "Obj({:?}, {:?})", self.cell().meta.get().state, &*v),
            Err(_) => write!(f, "Obj({:?}, <borrowed>)", self.cell().meta.get().state),
        }
    }
}

impl<T: Model> ObjCell<T> {
    /// Takes the snapshot a change will be compared with, once per load/flush.
    /// The session hears of it (`modified.rs`), so that finding the changed objects
    /// costs what changed, not what the session holds.
    pub(crate) fn snapshot_before_change(&self) {
        let meta = self.meta.get();
        if meta.state != ObjectState::Persistent {
            return;
        }
        if self.snapshot.is_none()
            && let Ok(value) = self.value.try_borrow()
        {
            self.snapshot.set(all_values(&*value));
            modified::record(meta.session, meta.entry);
        }
    }

    fn borrowed_error(&self) -> Error {
        Error::invalid_state(format!(
            "the {} object is borrowed: a get_mut() guard of it is still alive; drop the guard first",
            T::TABLE.model
        ))
    }
}

/// Sets `column` of `value` (the object of `entry`) to `new` if it differs, recording the
/// value it had in `undo`.
#[inline(always)]
fn set_recorded<T: Model>(
    value: &mut T,
    entry: usize,
    column: usize,
    new: &Value,
    undo: &mut Vec<(usize, usize, Value)>,
) -> Result<()> {
    if !value.column_equals(column, new) {
        let before = value.column_value(column);
        value.set_column_value(column, new.clone())?;
        undo.push((entry, column, before));
    }
    Ok(())
}

pub(crate) fn all_values<T: Model>(value: &T) -> Vec<Value> {
    (0..T::TABLE.columns.len()).map(|i| value.column_value(i)).collect()
}

/// The session's view of an object of any model.
pub(crate) trait AnyObject {
    fn table(&self) -> &'static TableDef;
    fn meta(&self) -> Meta;
    fn set_meta(&self, meta: Meta);
    /// All column values; an error when the object is mutably borrowed.
    fn values(&self) -> Result<Vec<Value>>;
    fn column_value(&self, column: usize) -> Result<Value>;
    /// Appends the values of `columns` to `into` (one vector per column): moved out
    /// (see `Model::take_column_value`) when `take`, else copied.
    fn push_columns(&self, columns: &[usize], into: &mut [Vec<Value>], take: bool) -> Result<()>;
    /// Sets a column as the session does (key assignment, foreign-key sync).
    fn set_column(&self, column: usize, value: Value) -> Result<()>;
    /// Overwrites every column; `as_clean` forgets the snapshot (the values are the database's).
    fn set_all(&self, values: Vec<Value>, as_clean: bool) -> Result<()>;
    /// The changed columns since the snapshot (empty when there is none).
    fn changed_columns(&self) -> Result<Vec<usize>>;
    fn snapshot(&self) -> Option<Vec<Value>>;
    fn take_snapshot(&self) -> Option<Vec<Value>>;
    /// The primary key as the database has it: from the snapshot when the object changed.
    fn database_key(&self) -> Vec<Value>;
    /// Puts back the values taken with `push_columns`, the `row`-th of each vector,
    /// without counting them as changes.
    fn put_columns(&self, columns: &[usize], from: &mut [Vec<Value>], row: usize) -> Result<()>;
    /// A new row's part of a batch INSERT, in one call: sets the foreign keys `fks`
    /// (column, parent key) where they differ, recording `(entry, column, value before)`
    /// in `undo`, then appends the `given` columns to `into` (moved out when `take`).
    fn stage_insert(&self, entry: usize, fks: &[(usize, Value)], insert: &mut InsertColumns<'_>) -> Result<()>;
    /// After the INSERT (and `hand_back`), in row order: puts back the values
    /// `stage_insert` moved out and sets the generated columns to the `row`-th of what
    /// the database `returned` for them (one vector per column; none when the statement
    /// failed), recording the values they replace in `undo`.
    fn finish_insert(
        &self,
        entry: usize,
        row: usize,
        insert: &mut InsertColumns<'_>,
        returned: &[Vec<Value>],
    ) -> Result<()>;
    /// The row is in the database now: the object becomes persistent, with no snapshot;
    /// returns its identity key.
    fn mark_persistent(&self) -> IdentityKey;
    fn clear_snapshot(&self);
    /// Replaces the object's values with the row's, unless it has unflushed changes.
    fn refresh_from_row(&self, row: &Row<'_>, offset: usize, force: bool) -> Result<()>;
    /// Children added to the struct's `HasMany` fields before it joined the session.
    fn take_pending_children(&self) -> Vec<Attach>;
    /// Whether the model has hooks to run before a write.
    fn has_hooks(&self) -> bool;
    /// Runs the model's `before_insert` / `before_update` and `validate` hooks.
    fn before_write(&self, inserting: bool) -> Result<()>;
    fn describe(&self) -> String;
    /// The identity key of the object's current primary-key values.
    fn identity_key(&self) -> IdentityKey;
}

/// The columns of a batch INSERT as `stage_insert` and `finish_insert` see them.
pub(crate) struct InsertColumns<'a> {
    /// The columns bound.
    pub(crate) given: &'a [usize],
    /// While staging: the values of the given columns, one vector each, row by row.
    pub(crate) values: Vec<Vec<Value>>,
    /// Whether the values are moved out of the objects (and back after the statement).
    pub(crate) moved: bool,
    /// After the statement: the moved values on their way back, row by row.
    lent: Vec<std::vec::IntoIter<Value>>,
    /// The columns the database generates.
    pub(crate) generated: &'a [usize],
    /// Undo records of the flush: (entry, column, value before).
    pub(crate) undo: &'a mut Vec<(usize, usize, Value)>,
}

impl<'a> InsertColumns<'a> {
    pub(crate) fn new(
        given: &'a [usize],
        generated: &'a [usize],
        moved: bool,
        rows: usize,
        undo: &'a mut Vec<(usize, usize, Value)>,
    ) -> InsertColumns<'a> {
        let values = given.iter().map(|_| Vec::with_capacity(rows)).collect();
        InsertColumns { given, values, moved, lent: Vec::new(), generated, undo }
    }

    /// Ends staging: `finish_insert` hands the values back from now on, first row first.
    pub(crate) fn hand_back(&mut self) {
        self.lent = std::mem::take(&mut self.values).into_iter().map(Vec::into_iter).collect();
    }
}

/// A block of objects of any model.
pub(crate) trait AnyBlock {
    fn object(&self, index: u32) -> &(dyn AnyObject + 'static);
    /// Every object of the block in session `session` leaves it.
    fn leave_session(&self, session: u64);
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
}

impl<T: Model> AnyBlock for Block<T> {
    #[inline]
    fn object(&self, index: u32) -> &(dyn AnyObject + 'static) {
        self.cell(index)
    }

    fn leave_session(&self, session: u64) {
        // An object is in a session exactly when its meta names it (leaving resets it).
        for cell in self.cells().iter().filter(|c| c.meta.get().session == session) {
            cell.leave();
        }
    }

    fn into_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }
}

/// A handle on an object of any model: what the session keeps per entry. Dereferences
/// to the object's [`AnyObject`] view.
#[derive(Clone)]
pub(crate) struct ErasedObj {
    block: Rc<dyn AnyBlock>,
    index: u32,
}

impl ErasedObj {
    /// The handle on object `index` of `block`.
    pub(crate) fn new(block: Rc<dyn AnyBlock>, index: usize) -> ErasedObj {
        ErasedObj { block, index: index as u32 }
    }

    /// Which block the object is in.
    pub(crate) fn block_id(&self) -> *const () {
        Rc::as_ptr(&self.block).cast()
    }

    /// The object's index in its block.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// Whether anything but this handle holds the object's block (another handle on one
    /// of its objects, another session).
    pub(crate) fn is_shared(&self) -> bool {
        Rc::strong_count(&self.block) > 1
    }

    /// Every object of this one's block that is in session `session` leaves it.
    pub(crate) fn release_block(&self, session: u64) {
        self.block.leave_session(session);
    }
}

impl std::ops::Deref for ErasedObj {
    type Target = dyn AnyObject;

    #[inline]
    fn deref(&self) -> &(dyn AnyObject + 'static) {
        self.block.object(self.index)
    }
}

impl<T: Model> AnyObject for ObjCell<T> {
    fn table(&self) -> &'static TableDef {
        T::TABLE
    }

    fn meta(&self) -> Meta {
        self.meta.get()
    }

    fn set_meta(&self, meta: Meta) {
        self.meta.set(meta);
    }

    fn values(&self) -> Result<Vec<Value>> {
        #[cfg(test)]
        super::cost_tests::count(&super::cost_tests::VALUE_COPIES);
        let value = self.value.try_borrow().map_err(|_| self.borrowed_error())?;
        Ok(all_values(&*value))
    }

    fn column_value(&self, column: usize) -> Result<Value> {
        let value = self.value.try_borrow().map_err(|_| self.borrowed_error())?;
        Ok(value.column_value(column))
    }

    fn push_columns(&self, columns: &[usize], into: &mut [Vec<Value>], take: bool) -> Result<()> {
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        for (&column, values) in columns.iter().zip(into) {
            values.push(if take { value.take_column_value(column) } else { value.column_value(column) });
        }
        Ok(())
    }

    fn set_column(&self, column: usize, v: Value) -> Result<()> {
        self.snapshot_before_change();
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        value.set_column_value(column, v)
    }

    fn set_all(&self, values: Vec<Value>, as_clean: bool) -> Result<()> {
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        for (i, v) in values.into_iter().enumerate() {
            value.set_column_value(i, v)?;
        }
        if as_clean {
            self.snapshot.clear();
        }
        Ok(())
    }

    fn changed_columns(&self) -> Result<Vec<usize>> {
        #[cfg(test)]
        super::cost_tests::count(&super::cost_tests::CHANGE_CHECKS);
        self.snapshot.with(|snapshot| {
            let Some(before) = snapshot else {
                return Ok(Vec::new());
            };
            let value = self.value.try_borrow().map_err(|_| self.borrowed_error())?;
            Ok((0..before.len()).filter(|&i| !value.column_equals(i, &before[i])).collect())
        })
    }

    fn snapshot(&self) -> Option<Vec<Value>> {
        self.snapshot.with(|s| s.map(<[Value]>::to_vec))
    }

    fn take_snapshot(&self) -> Option<Vec<Value>> {
        self.snapshot.take()
    }

    fn database_key(&self) -> Vec<Value> {
        let table = T::TABLE;
        let from_snapshot = self.snapshot.with(|snapshot| {
            snapshot.map(|before| {
                table.primary_key.iter().map(|&k| before.get(k).cloned().unwrap_or(Value::Null)).collect()
            })
        });
        if let Some(key) = from_snapshot {
            return key;
        }
        match self.value.try_borrow() {
            Ok(value) => table.primary_key.iter().map(|&k| value.column_value(k)).collect(),
            Err(_) => vec![Value::Null; table.primary_key.len()],
        }
    }

    fn put_columns(&self, columns: &[usize], from: &mut [Vec<Value>], row: usize) -> Result<()> {
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        for (&column, values) in columns.iter().zip(from) {
            value.set_column_value(column, std::mem::replace(&mut values[row], Value::Null))?;
        }
        Ok(())
    }

    fn stage_insert(&self, entry: usize, fks: &[(usize, Value)], insert: &mut InsertColumns<'_>) -> Result<()> {
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        for (column, key) in fks {
            set_recorded(&mut *value, entry, *column, key, insert.undo)?;
        }
        for (&column, values) in insert.given.iter().zip(insert.values.iter_mut()) {
            values.push(if insert.moved { value.take_column_value(column) } else { value.column_value(column) });
        }
        Ok(())
    }

    fn finish_insert(
        &self,
        entry: usize,
        row: usize,
        insert: &mut InsertColumns<'_>,
        returned: &[Vec<Value>],
    ) -> Result<()> {
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        if insert.moved {
            for (&column, values) in insert.given.iter().zip(insert.lent.iter_mut()) {
                if let Some(v) = values.next() {
                    value.set_column_value(column, v)?;
                }
            }
        }
        for (&column, values) in insert.generated.iter().zip(returned) {
            set_recorded(&mut *value, entry, column, &values[row], insert.undo)?;
        }
        Ok(())
    }

    fn mark_persistent(&self) -> IdentityKey {
        self.meta.set(Meta { state: ObjectState::Persistent, ..self.meta.get() });
        self.snapshot.clear();
        self.identity_key()
    }

    fn clear_snapshot(&self) {
        self.snapshot.clear();
    }

    fn refresh_from_row(&self, row: &Row<'_>, offset: usize, force: bool) -> Result<()> {
        if !force && !self.snapshot.is_none() {
            return Ok(()); // unflushed changes win over what the query saw
        }
        let fresh = T::from_row(row, offset)?;
        let Ok(mut value) = self.value.try_borrow_mut() else {
            // A guard is alive: keep the object as the user sees it.
            return Ok(());
        };
        for i in 0..T::TABLE.columns.len() {
            value.set_column_value(i, fresh.column_value(i))?;
        }
        self.snapshot.clear();
        Ok(())
    }

    fn take_pending_children(&self) -> Vec<Attach> {
        let mut pending = PendingChildren::default();
        if let Ok(mut value) = self.value.try_borrow_mut() {
            value.take_pending_children(&mut pending);
        }
        pending.0
    }

    fn has_hooks(&self) -> bool {
        T::HAS_HOOKS
    }

    fn before_write(&self, inserting: bool) -> Result<()> {
        self.snapshot_before_change();
        let mut value = self.value.try_borrow_mut().map_err(|_| self.borrowed_error())?;
        value.__before_write(inserting)
    }

    fn describe(&self) -> String {
        let table = T::TABLE;
        match self.value.try_borrow() {
            Ok(value) if self.meta.get().state != ObjectState::Pending || table.autoincrement_column().is_none() => {
                let key: Vec<String> =
                    table.primary_key.iter().map(|&i| format!("{:?}", value.column_value(i))).collect();
                format!("{}({})", table.model, key.join(", "))
            }
            _ => format!("a new {}", table.model),
        }
    }

    fn identity_key(&self) -> IdentityKey {
        let table = T::TABLE;
        match self.value.try_borrow() {
            Ok(value) => match table.primary_key {
                [one] => IdentityKey::single(table, &value.column_value(*one)),
                _ => IdentityKey::new(table, &value.primary_key().to_values()),
            },
            Err(_) => IdentityKey::new(table, &[Value::Null]),
        }
    }
}
