//! The memory of objects a session has let go, kept for the thread's next sessions: a
//! block of [`BLOCK_SIZE`] cells of one model, emptied, is taken again by the next
//! statement that loads rows of that model instead of being freed and allocated anew.
//!
//! Sessions come and go once per request; a session that loads 100,000 objects and ends
//! frees megabytes that glibc then hands back to the kernel (it trims its heap), and the
//! next such session pays the kernel to zero every page again. A thread keeps at most
//! [`MOST_KEPT_BYTES`] this way (about 180,000 objects of a model of seven columns), so
//! that it does not hold its largest load's memory for ever.

use std::any::{Any, TypeId};
use std::cell::RefCell;

use rustc_hash::FxHashMap as HashMap;

use super::handle::{BLOCK_SIZE, ObjCell};

/// The most bytes of emptied blocks a thread keeps, all models together.
pub(crate) const MOST_KEPT_BYTES: usize = 16 << 20;

/// Emptied blocks by model (a `Vec<ObjCell<T>>` each), and the bytes they hold.
type Kept = (HashMap<TypeId, Vec<Box<dyn Any>>>, usize);

thread_local! {
    static BLOCKS: RefCell<Kept> = RefCell::new((HashMap::default(), 0));
}

fn bytes<T>() -> usize {
    BLOCK_SIZE * std::mem::size_of::<ObjCell<T>>()
}

/// An empty block with room for `BLOCK_SIZE` cells of `T`: a kept one when there is.
pub(crate) fn take<T: 'static>() -> Vec<ObjCell<T>> {
    let kept = BLOCKS
        .try_with(|b| {
            let (blocks, held) = &mut *b.borrow_mut();
            let block = blocks.get_mut(&TypeId::of::<ObjCell<T>>()).and_then(Vec::pop)?;
            *held -= bytes::<T>();
            Some(block)
        })
        .ok()
        .flatten()
        .and_then(|block| block.downcast::<Vec<ObjCell<T>>>().ok());
    match kept {
        Some(block) => *block,
        None => {
            #[cfg(test)]
            super::cost_tests::count(&super::cost_tests::NEW_BLOCKS);
            Vec::with_capacity(BLOCK_SIZE)
        }
    }
}

/// Keeps the memory of a block whose objects are gone (they are dropped here).
pub(crate) fn give_back<T: 'static>(mut cells: Vec<ObjCell<T>>) {
    cells.clear();
    if cells.capacity() != BLOCK_SIZE {
        return;
    }
    let _ = BLOCKS.try_with(|b| {
        let (blocks, held) = &mut *b.borrow_mut();
        if *held + bytes::<T>() <= MOST_KEPT_BYTES {
            *held += bytes::<T>();
            blocks.entry(TypeId::of::<ObjCell<T>>()).or_default().push(Box::new(cells));
        }
    });
}
