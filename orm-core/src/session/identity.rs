//! The identity map: which session entry holds the object of each row.

use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::{Entry, VacantEntry};

use super::int_keys::{IntKeys, IntSlot, IntVacancy};
use crate::schema::identity_key::IdentityKey;
use crate::schema::table::TableDef;

/// The identity map: the session entry of each row's object. Integer keys, by far the
/// most common, sit in one table per model table, as `key -> entry` (`int_keys.rs`:
/// 4 bytes a key while the keys are dense, as serial keys are; every loaded object has
/// one, so its size counts), which needs no pass over it to drop it when the session
/// ends; other keys beside them.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdentityMap {
    /// Per model table (the address of its static metadata): integer key -> entry. A
    /// session touches few tables: they are found by a scan.
    ints: Vec<(usize, IntKeys)>,
    others: HashMap<IdentityKey, usize>,
    /// Room asked for before the table of the coming rows was known.
    reserve: usize,
}

/// What [`IdentityMap::slot`] found for a key.
pub(crate) enum Slot<'a> {
    /// The entry that has the row.
    Found(usize),
    /// No entry has it yet: `insert` the one that will.
    Vacant(Vacancy<'a>),
}

/// The place of a key not yet in the map.
pub(crate) enum Vacancy<'a> {
    Int(IntVacancy<'a>),
    Other(VacantEntry<'a, IdentityKey, usize>),
}

impl Vacancy<'_> {
    pub(crate) fn insert(self, entry: usize) {
        match self {
            Vacancy::Int(slot) => slot.insert(small(entry)),
            Vacancy::Other(slot) => {
                slot.insert(entry);
            }
        }
    }
}

/// An entry number as the integer tables keep it: a session holds far fewer than
/// `u32::MAX` objects (its entry numbers are `u32` in every object's `Meta` too).
fn small(entry: usize) -> u32 {
    u32::try_from(entry).unwrap_or(u32::MAX)
}

impl IdentityMap {
    fn ints_of(&self, table: usize) -> Option<&IntKeys> {
        self.ints.iter().find(|(t, _)| *t == table).map(|(_, m)| m)
    }

    /// The integer table of `table`, made when missing (and sized as asked before).
    #[inline]
    fn ints_of_mut(&mut self, table: usize) -> &mut IntKeys {
        let at = match self.ints.iter().position(|(t, _)| *t == table) {
            Some(at) => at,
            None => {
                self.ints.push((table, IntKeys::default()));
                self.ints.len() - 1
            }
        };
        let map = &mut self.ints[at].1;
        if self.reserve > 0 {
            map.reserve(std::mem::take(&mut self.reserve));
        }
        map
    }

    pub(crate) fn get(&self, key: &IdentityKey) -> Option<usize> {
        match key {
            IdentityKey::Int { table, key } => self.ints_of(*table)?.get(*key).map(|e| e as usize),
            other => self.others.get(other).copied(),
        }
    }

    pub(crate) fn contains_key(&self, key: &IdentityKey) -> bool {
        self.get(key).is_some()
    }

    /// The entry of `key`, or the place to put it (one lookup either way).
    #[inline]
    pub(crate) fn slot(&mut self, key: &IdentityKey) -> Slot<'_> {
        match key {
            IdentityKey::Int { table, key } => match self.ints_of_mut(*table).slot(*key) {
                IntSlot::Found(found) => Slot::Found(found as usize),
                IntSlot::Vacant(vacant) => Slot::Vacant(Vacancy::Int(vacant)),
            },
            other => match self.others.entry(other.clone()) {
                Entry::Occupied(found) => Slot::Found(*found.get()),
                Entry::Vacant(vacant) => Slot::Vacant(Vacancy::Other(vacant)),
            },
        }
    }

    pub(crate) fn insert(&mut self, key: IdentityKey, entry: usize) {
        match key {
            IdentityKey::Int { table, key } => {
                self.ints_of_mut(table).insert(key, small(entry));
            }
            other => {
                self.others.insert(other, entry);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &IdentityKey) -> Option<usize> {
        match key {
            IdentityKey::Int { table, key } => {
                let at = self.ints.iter().position(|(t, _)| t == table)?;
                self.ints[at].1.remove(*key).map(|e| e as usize)
            }
            other => self.others.remove(other),
        }
    }

    /// Room for `n` more integer keys (of the table the next rows come from).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.reserve = n;
    }

    /// Room for `n` more integer keys of `table`.
    pub(crate) fn reserve_for(&mut self, table: &'static TableDef, n: usize) {
        let id = std::ptr::from_ref(table) as usize;
        let at = self.ints.iter().position(|(t, _)| *t == id).unwrap_or_else(|| {
            self.ints.push((id, IntKeys::default()));
            self.ints.len() - 1
        });
        self.ints[at].1.reserve(n);
    }

    pub(crate) fn clear(&mut self) {
        self.ints.clear();
        self.others.clear();
        self.reserve = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::table::TableDef;
    use crate::value::Value;

    static T: TableDef = TableDef::for_tests(&[0]);

    #[test]
    fn the_map_finds_integer_and_other_keys() {
        let mut map = IdentityMap::default();
        let (int, text) = (IdentityKey::new(&T, &[Value::I32(3)]), IdentityKey::new(&T, &[Value::from("3")]));
        map.insert(int.clone(), 1);
        assert!(matches!(map.slot(&text), Slot::Vacant(_)));
        if let Slot::Vacant(place) = map.slot(&text) {
            place.insert(2);
        }
        assert!(matches!(map.slot(&IdentityKey::single(&T, &Value::I64(3))), Slot::Found(1)));
        assert_eq!((map.get(&int), map.get(&text)), (Some(1), Some(2)));
        assert_eq!(map.remove(&text), Some(2));
        assert!(!map.contains_key(&text) && map.contains_key(&int));
        map.clear();
        assert_eq!(map.get(&int), None);
    }
}
