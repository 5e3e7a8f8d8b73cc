//! Objects loaded by one statement, allocated a block at a time while its rows are read
//! (see [`BLOCK_SIZE`]): each block goes to its session entries as soon as it is full,
//! and the last, partial one after the last row.

use std::any::Any;
use std::rc::Rc;

use super::handle::{AnyBlock, BLOCK_SIZE, Block, ObjCell};
use super::{Entry, ErasedObj, Meta, ObjectState, pool};
use crate::schema::model::Model;

/// The session's entries, as staging fills them.
type Entries = Vec<Option<Entry>>;

/// The new objects of the statement being read, per model.
pub(crate) struct Staging {
    session: u64,
    /// The session's first free entry when the statement started; the staged objects
    /// take the entries from there, in the order they were pushed.
    base: usize,
    staged: usize,
    /// How many rows the statement returned, when known: sizes the blocks.
    pub(crate) rows_hint: usize,
    stages: Vec<Box<dyn Stage>>,
}

/// The block of one model being filled, with its objects' session entries (kept here, so
/// that sealing the block does not read the objects again).
struct Staged<T> {
    filling: Vec<ObjCell<T>>,
    entries: Vec<usize>,
}

trait Stage {
    fn as_any(&mut self) -> &mut dyn Any;
    /// Puts the objects of the block being filled in their entries.
    fn seal(&mut self, entries: &mut Entries, next_capacity: usize);
}

impl<T: Model> Stage for Staged<T> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn seal(&mut self, entries: &mut Entries, next_capacity: usize) {
        let next = if next_capacity == BLOCK_SIZE { pool::take::<T>() } else { Vec::with_capacity(next_capacity) };
        let cells = std::mem::replace(&mut self.filling, next);
        if cells.is_empty() {
            return;
        }
        let block = Rc::new(Block::Many(cells, pool::give_back::<T>));
        let erased: Rc<dyn AnyBlock> = block.clone();
        for (index, entry) in self.entries.drain(..).enumerate() {
            let slot = Some(Entry { obj: ErasedObj::new(erased.clone(), index) });
            // One model's objects come in entry order; with several (joined loads), a
            // block can leave gaps that another model's blocks fill.
            if entry == entries.len() {
                entries.push(slot);
            } else if entry > entries.len() {
                entries.resize_with(entry, || None);
                entries.push(slot);
            } else {
                entries[entry] = slot;
            }
        }
    }
}

impl Staging {
    pub(crate) fn new(session: u64, base: usize) -> Staging {
        Staging { session, base, staged: 0, rows_hint: 0, stages: Vec::new() }
    }

    /// The entry the next staged object takes.
    pub(crate) fn next_entry(&self) -> usize {
        self.base + self.staged
    }

    /// Allocates `value` as the persistent object of `entry`, which must be
    /// [`next_entry`](Staging::next_entry).
    #[inline]
    pub(crate) fn push<T: Model>(&mut self, entries: &mut Entries, entry: usize, value: T) {
        let left = self.rows_hint.saturating_sub(self.staged).clamp(1, BLOCK_SIZE);
        let found = self.stages.iter_mut().find_map(|stage| stage.as_any().downcast_mut::<Staged<T>>());
        let staged = match found {
            Some(staged) => staged,
            None => {
                self.stages.push(Box::new(Staged::<T> {
                    filling: if left == BLOCK_SIZE { pool::take::<T>() } else { Vec::with_capacity(left) },
                    entries: Vec::with_capacity(left),
                }));
                let last = self.stages.last_mut().expect("just pushed");
                last.as_any().downcast_mut::<Staged<T>>().expect("a stage of T")
            }
        };
        if staged.filling.len() == BLOCK_SIZE {
            staged.seal(entries, left);
        }
        staged.filling.push(ObjCell::new(value, Meta::new(self.session, entry, ObjectState::Persistent)));
        staged.entries.push(entry);
        self.staged += 1;
    }

    /// Puts the objects of the last, partial blocks in their entries.
    pub(crate) fn finish(mut self, entries: &mut Entries) {
        for stage in &mut self.stages {
            stage.seal(entries, 0);
        }
    }
}
