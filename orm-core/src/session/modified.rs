//! Which persistent objects of a session changed since its last flush: the objects that
//! took a snapshot (see `handle.rs`: the first `get_mut` after a load or flush takes it),
//! recorded as they take it, as SQLAlchemy's identity map keeps its `_modified` set. The
//! autoflush check before every statement, the flush's search for changed rows and a
//! rollback then look at these objects only, not at every object the session holds.
//!
//! A handle does not know its session, only the session's id (in its `Meta`), so the
//! records go through a table per thread, keyed by session id: sessions and handles are
//! `!Send`, so an object's session is always on the thread that changes the object.
//!
//! The invariant the session keeps: every object of the session that has a snapshot is
//! in its record (an object may stay recorded after its snapshot went).

use std::cell::RefCell;

use rustc_hash::FxHashMap as HashMap;

thread_local! {
    /// Session id -> the entries of its objects that took a snapshot, in that order.
    static RECORDS: RefCell<HashMap<u64, Vec<u32>>> = RefCell::new(HashMap::default());
}

/// Starts the record of session `id` (empty).
pub(crate) fn open(id: u64) {
    let _ = RECORDS.try_with(|r| r.borrow_mut().insert(id, Vec::new()));
}

/// Ends the record of session `id`.
pub(crate) fn close(id: u64) {
    let _ = RECORDS.try_with(|r| r.borrow_mut().remove(&id));
}

/// Records that the object at `entry` of session `id` took a snapshot.
#[inline]
pub(crate) fn record(id: u64, entry: u32) {
    let _ = RECORDS.try_with(|r| {
        if let Some(entries) = r.borrow_mut().get_mut(&id) {
            entries.push(entry);
        }
    });
}

/// The recorded entries of session `id`, taken out (the record is empty after).
pub(crate) fn take(id: u64) -> Vec<usize> {
    RECORDS
        .try_with(|r| {
            r.borrow_mut()
                .get_mut(&id)
                .map(std::mem::take)
                .unwrap_or_default()
                .into_iter()
                .map(|e| e as usize)
                .collect()
        })
        .unwrap_or_default()
}

/// Puts entries back in the record of session `id` (after [`take`]), before any recorded since.
pub(crate) fn restore(id: u64, entries: &[usize]) {
    let _ = RECORDS.try_with(|r| {
        if let Some(recorded) = r.borrow_mut().get_mut(&id) {
            let since = std::mem::take(recorded);
            recorded.extend(entries.iter().map(|&e| e as u32));
            recorded.extend(since);
        }
    });
}

/// The recorded entries of session `id`, in record order (a copy: looking at the objects
/// may record more).
pub(crate) fn recorded(id: u64) -> Vec<usize> {
    RECORDS
        .try_with(|r| r.borrow().get(&id).map(|entries| entries.iter().map(|&e| e as usize).collect()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// How many entries the record of session `id` holds.
pub(crate) fn len(id: u64) -> usize {
    RECORDS.try_with(|r| r.borrow().get(&id).map_or(0, Vec::len)).unwrap_or(0)
}
