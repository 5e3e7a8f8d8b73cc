//! Objects loaded by one statement: allocated a block at a time while its rows are read
//! (see [`BLOCK_SIZE`]), and put in their session entries after the last row.

use std::any::Any;
use std::rc::Rc;

use super::handle::{AnyBlock, BLOCK_SIZE, Block, ObjCell};
use super::{Entry, ErasedObj, IdentityKey, Meta, ObjectState, Session};
use crate::model::Model;

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

/// New objects of one model: full blocks, the block being filled, and each object's
/// identity key in order. Each object's meta holds its reserved session entry.
struct Staged<T> {
    blocks: Vec<Rc<Block<T>>>,
    filling: Vec<ObjCell<T>>,
    keys: Vec<IdentityKey>,
}

trait Stage {
    fn as_any(&mut self) -> &mut dyn Any;
    /// Puts the objects in their entries.
    fn install(self: Box<Self>, session: &mut Session);
}

impl<T: Model> Staged<T> {
    fn seal(&mut self, next_capacity: usize) {
        let cells = std::mem::replace(&mut self.filling, Vec::with_capacity(next_capacity));
        if !cells.is_empty() {
            self.blocks.push(Rc::new(Block::Many(cells.into_boxed_slice())));
        }
    }
}

impl<T: Model> Stage for Staged<T> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn install(mut self: Box<Self>, session: &mut Session) {
        self.seal(0);
        let mut keys = self.keys.into_iter();
        for block in self.blocks {
            let erased: Rc<dyn AnyBlock> = block.clone();
            for (index, cell) in block.cells().iter().enumerate() {
                let entry = cell.meta.get().entry();
                let slot = Some(Entry { obj: ErasedObj::new(erased.clone(), index), key: keys.next() });
                // One model's objects come in entry order; with several (joined loads),
                // the first leaves gaps that the others fill.
                if entry >= session.entries.len() {
                    session.entries.resize_with(entry, || None);
                    session.entries.push(slot);
                } else {
                    session.entries[entry] = slot;
                }
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
    pub(crate) fn push<T: Model>(&mut self, entry: usize, key: IdentityKey, value: T) {
        let found = self.stages.iter_mut().find_map(|stage| stage.as_any().downcast_mut::<Staged<T>>());
        let staged = match found {
            Some(staged) => staged,
            None => {
                let rows = self.rows_hint;
                self.stages.push(Box::new(Staged::<T> {
                    blocks: Vec::with_capacity(rows.div_ceil(BLOCK_SIZE)),
                    filling: Vec::with_capacity(rows.clamp(1, BLOCK_SIZE)),
                    keys: Vec::with_capacity(rows),
                }));
                let last = self.stages.last_mut().expect("just pushed");
                last.as_any().downcast_mut::<Staged<T>>().expect("a stage of T")
            }
        };
        if staged.filling.len() == BLOCK_SIZE {
            let left = self.rows_hint.saturating_sub(staged.keys.len());
            staged.seal(left.clamp(1, BLOCK_SIZE));
        }
        staged.filling.push(ObjCell::new(value, Meta::new(self.session, entry, ObjectState::Persistent)));
        staged.keys.push(key);
        self.staged += 1;
    }

    /// Puts every staged object in its entry, right after the session's last.
    pub(crate) fn install(self, session: &mut Session) {
        debug_assert_eq!(session.entries.len(), self.base, "no entry is added while rows are read");
        for stage in self.stages {
            stage.install(session);
        }
    }
}
