//! One table's integer keys -> session entries, for the identity map.
//!
//! Serial keys are dense: a load of 100,000 rows holds keys that lie within a range not
//! much wider than their count. Such keys go in a vector indexed by `key - base` (4 bytes
//! a key, written in key order: a load in key order touches memory in order), instead of
//! a hash table (16 bytes a slot at a load factor of at most 7/8, each key at a random
//! place: past the size of the CPU's cache, every insert of a big load is a cache miss).
//! When keys turn sparse (more than [`SLOTS_PER_KEY`] slots a key), the table becomes a
//! hash map for good.

use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::{Entry, VacantEntry};

/// An empty slot of a dense table.
const EMPTY: u32 = u32::MAX;

/// A dense table may hold this many slots per key (plus [`SLACK`]); past it, it turns
/// into a hash map. At 4 bytes a slot it then uses no more memory than the hash map.
const SLOTS_PER_KEY: usize = 4;
const SLACK: usize = 64;

#[derive(Debug, Clone)]
pub(crate) enum IntKeys {
    Dense {
        /// The key of `slots[0]`.
        base: i64,
        slots: Vec<u32>,
        /// Keys held.
        len: usize,
        /// Room asked for before the first key came.
        reserve: usize,
    },
    Sparse(HashMap<i64, u32>),
}

impl Default for IntKeys {
    fn default() -> IntKeys {
        IntKeys::Dense { base: 0, slots: Vec::new(), len: 0, reserve: 0 }
    }
}

/// What [`IntKeys::slot`] found.
pub(crate) enum IntSlot<'a> {
    Found(u32),
    Vacant(IntVacancy<'a>),
}

/// The place of a key not yet in the table.
pub(crate) enum IntVacancy<'a> {
    Dense { slot: &'a mut u32, len: &'a mut usize },
    Sparse(VacantEntry<'a, i64, u32>),
}

impl IntVacancy<'_> {
    pub(crate) fn insert(self, entry: u32) {
        match self {
            IntVacancy::Dense { slot, len } => {
                *slot = entry;
                *len += 1;
            }
            IntVacancy::Sparse(vacant) => {
                vacant.insert(entry);
            }
        }
    }
}

impl IntKeys {
    pub(crate) fn get(&self, key: i64) -> Option<u32> {
        match self {
            IntKeys::Dense { base, slots, .. } => {
                let at = usize::try_from(key.checked_sub(*base)?).ok()?;
                slots.get(at).copied().filter(|&e| e != EMPTY)
            }
            IntKeys::Sparse(map) => map.get(&key).copied(),
        }
    }

    /// The entry of `key`, or the place to put it.
    #[inline]
    pub(crate) fn slot(&mut self, key: i64) -> IntSlot<'_> {
        if let IntKeys::Dense { .. } = self
            && let Some(at) = self.dense_index(key)
        {
            let IntKeys::Dense { slots, len, .. } = self else { unreachable!("dense") };
            return match slots[at] {
                EMPTY => IntSlot::Vacant(IntVacancy::Dense { slot: &mut slots[at], len }),
                found => IntSlot::Found(found),
            };
        }
        let IntKeys::Sparse(map) = self else { unreachable!("turned sparse by dense_index") };
        match map.entry(key) {
            Entry::Occupied(found) => IntSlot::Found(*found.get()),
            Entry::Vacant(vacant) => IntSlot::Vacant(IntVacancy::Sparse(vacant)),
        }
    }

    pub(crate) fn insert(&mut self, key: i64, entry: u32) {
        self.remove(key);
        if let IntSlot::Vacant(place) = self.slot(key) {
            place.insert(entry);
        }
    }

    pub(crate) fn remove(&mut self, key: i64) -> Option<u32> {
        match self {
            IntKeys::Dense { base, slots, len, .. } => {
                let at = usize::try_from(key.checked_sub(*base)?).ok()?;
                let slot = slots.get_mut(at)?;
                let found = std::mem::replace(slot, EMPTY);
                (found != EMPTY).then(|| {
                    *len -= 1;
                    found
                })
            }
            IntKeys::Sparse(map) => map.remove(&key),
        }
    }

    /// Room for `n` more keys.
    pub(crate) fn reserve(&mut self, n: usize) {
        match self {
            IntKeys::Dense { len, reserve, .. } => *reserve = (*reserve).max(len.saturating_add(n)),
            IntKeys::Sparse(map) => map.reserve(n),
        }
    }

    /// The index of `key` in a dense table, which grows to cover it; `None` when covering
    /// it would make the table too sparse (it is a hash map then).
    fn dense_index(&mut self, key: i64) -> Option<usize> {
        let IntKeys::Dense { base, slots, len, reserve } = self else { return None };
        if slots.is_empty() {
            // The first key: room after it for the rows announced.
            *base = key;
            slots.resize((*reserve).max(16), EMPTY);
        }
        // Rows announced count as keys to come: a load in descending key order must not
        // look sparse after its first key.
        let limit = SLOTS_PER_KEY.saturating_mul((*len + 1).max(*reserve)).saturating_add(SLACK);
        // Key arithmetic in i128: no i64 difference overflows there.
        let (key, old_base) = (i128::from(key), i128::from(*base));
        let (offset, width, limit) = (key - old_base, slots.len() as i128, limit as i128);
        if (0..width).contains(&offset) {
            return usize::try_from(offset).ok();
        }
        // Past either end: grow (doubling, as far as the density allows) or turn sparse.
        let (new_base, new_width) = if offset >= 0 {
            (old_base, (offset + 1).max((2 * width).min(limit)))
        } else {
            // Room before the key too, so that descending keys do not shift every time.
            let new_base = (key - width.min(limit / 2)).max(i128::from(i64::MIN));
            (new_base, old_base - new_base + width)
        };
        if new_width > limit {
            self.make_sparse();
            return None;
        }
        let (Ok(shift), Ok(new_width), Ok(new_base_i64)) =
            (usize::try_from(old_base - new_base), usize::try_from(new_width), i64::try_from(new_base))
        else {
            self.make_sparse();
            return None;
        };
        if shift > 0 {
            let mut moved = vec![EMPTY; shift];
            moved.extend_from_slice(slots);
            *slots = moved;
            *base = new_base_i64;
        }
        slots.resize(new_width.max(slots.len()), EMPTY);
        usize::try_from(key - new_base).ok()
    }

    fn make_sparse(&mut self) {
        let IntKeys::Dense { base, slots, len, .. } = self else { return };
        let mut map = HashMap::default();
        map.reserve(*len * 2);
        for (at, &entry) in slots.iter().enumerate().filter(|(_, e)| **e != EMPTY) {
            map.insert(*base + i64::try_from(at).unwrap_or(0), entry);
        }
        *self = IntKeys::Sparse(map);
    }

    #[cfg(test)]
    fn is_dense(&self) -> bool {
        matches!(self, IntKeys::Dense { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(t: &mut IntKeys, key: i64, entry: u32) {
        match t.slot(key) {
            IntSlot::Vacant(place) => place.insert(entry),
            IntSlot::Found(e) => panic!("{key} already held by {e}"),
        }
    }

    #[test]
    fn serial_keys_stay_dense_in_any_order() {
        let mut t = IntKeys::default();
        t.reserve(1000);
        for k in 1..=1000 {
            put(&mut t, k, u32::try_from(k).unwrap() * 10);
        }
        for k in (-500..=0).rev() {
            put(&mut t, k, 7);
        }
        assert!(t.is_dense());
        assert_eq!(
            (t.get(1), t.get(1000), t.get(-500), t.get(1001), t.get(-501)),
            (Some(10), Some(10_000), Some(7), None, None)
        );
        assert!(matches!(t.slot(500), IntSlot::Found(5000)));
        assert_eq!(t.remove(500), Some(5000));
        assert_eq!((t.remove(500), t.get(500)), (None, None));
        t.insert(500, 1);
        assert_eq!(t.get(500), Some(1));
    }

    #[test]
    fn sparse_keys_turn_into_a_hash_map_and_keep_every_entry() {
        let mut t = IntKeys::default();
        for i in 0..100 {
            put(&mut t, i, u32::try_from(i).unwrap());
        }
        put(&mut t, 1 << 40, 1);
        put(&mut t, i64::MIN, 2);
        put(&mut t, i64::MAX, 3);
        assert!(!t.is_dense());
        for i in 0..100 {
            assert_eq!(t.get(i), Some(u32::try_from(i).unwrap()));
        }
        assert_eq!((t.get(1 << 40), t.get(i64::MIN), t.get(i64::MAX)), (Some(1), Some(2), Some(3)));
    }

    #[test]
    fn keys_at_both_ends_of_i64_turn_sparse_without_overflow() {
        for (first, second) in [(i64::MAX, i64::MIN), (i64::MIN, i64::MAX), (0, i64::MIN), (-5, i64::MAX)] {
            let mut t = IntKeys::default();
            put(&mut t, first, 1);
            put(&mut t, second, 2);
            assert!(!t.is_dense());
            assert_eq!((t.get(first), t.get(second)), (Some(1), Some(2)), "{first} {second}");
        }
    }

    #[test]
    fn extreme_keys_in_a_dense_table_do_not_overflow() {
        let mut t = IntKeys::default();
        put(&mut t, i64::MAX, 1);
        put(&mut t, i64::MAX - 1, 2);
        assert_eq!((t.get(i64::MAX), t.get(i64::MAX - 1), t.get(i64::MIN)), (Some(1), Some(2), None));
        let mut t = IntKeys::default();
        put(&mut t, i64::MIN, 1);
        put(&mut t, i64::MIN + 3, 2);
        assert_eq!((t.get(i64::MIN), t.get(i64::MIN + 3), t.get(i64::MAX)), (Some(1), Some(2), None));
    }
}
