//! The objects marked for deletion since the last flush: in the order they were marked
//! (the flush deletes them in that order), with membership answered without a scan.

use rustc_hash::FxHashSet as HashSet;

/// Entries marked for deletion, in order.
#[derive(Clone, Default)]
pub(crate) struct Deletions {
    order: Vec<usize>,
    set: HashSet<usize>,
}

impl Deletions {
    /// Marks `entry`; false when it was marked already.
    pub(crate) fn push(&mut self, entry: usize) -> bool {
        let new = self.set.insert(entry);
        if new {
            self.order.push(entry);
        }
        new
    }

    pub(crate) fn contains(&self, entry: &usize) -> bool {
        self.set.contains(entry)
    }

    /// Unmarks `entry`.
    pub(crate) fn remove(&mut self, entry: usize) {
        if self.set.remove(&entry) {
            self.order.retain(|&e| e != entry);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.order.clear();
        self.set.clear();
    }

    /// The `i`-th marked entry.
    pub(crate) fn get(&self, i: usize) -> Option<usize> {
        self.order.get(i).copied()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, usize> {
        self.order.iter()
    }
}

impl<'a> IntoIterator for &'a Deletions {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.order.iter()
    }
}
