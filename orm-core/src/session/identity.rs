//! The identity map: which session entry holds the object of each row.

use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::{Entry, VacantEntry};

use crate::schema::identity_key::IdentityKey;

/// The identity map: the session entry of each row's object. Integer keys are kept as
/// plain words, which need no pass over the table to drop it when the session ends;
/// other keys beside them.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdentityMap {
    ints: HashMap<(usize, i64), usize>,
    others: HashMap<IdentityKey, usize>,
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
    Int(VacantEntry<'a, (usize, i64), usize>),
    Other(VacantEntry<'a, IdentityKey, usize>),
}

impl Vacancy<'_> {
    pub(crate) fn insert(self, entry: usize) {
        match self {
            Vacancy::Int(slot) => {
                slot.insert(entry);
            }
            Vacancy::Other(slot) => {
                slot.insert(entry);
            }
        }
    }
}

impl IdentityMap {
    pub(crate) fn get(&self, key: &IdentityKey) -> Option<usize> {
        match key {
            IdentityKey::Int { table, key } => self.ints.get(&(*table, *key)).copied(),
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
            IdentityKey::Int { table, key } => match self.ints.entry((*table, *key)) {
                Entry::Occupied(found) => Slot::Found(*found.get()),
                Entry::Vacant(vacant) => Slot::Vacant(Vacancy::Int(vacant)),
            },
            other => match self.others.entry(other.clone()) {
                Entry::Occupied(found) => Slot::Found(*found.get()),
                Entry::Vacant(vacant) => Slot::Vacant(Vacancy::Other(vacant)),
            },
        }
    }

    pub(crate) fn insert(&mut self, key: IdentityKey, entry: usize) {
        match key {
            IdentityKey::Int { table, key } => self.ints.insert((table, key), entry),
            other => self.others.insert(other, entry),
        };
    }

    pub(crate) fn remove(&mut self, key: &IdentityKey) -> Option<usize> {
        match key {
            IdentityKey::Int { table, key } => self.ints.remove(&(*table, *key)),
            other => self.others.remove(other),
        }
    }

    /// Room for `n` more integer keys.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.ints.reserve(n);
    }

    pub(crate) fn clear(&mut self) {
        self.ints.clear();
        self.others.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::table::TableDef;
    use crate::value::Value;

    static T: TableDef = TableDef {
        name: "t",
        model: "T",
        columns: &[],
        primary_key: &[0],
        uniques: &[],
        indexes: &[],
        relationships: &[],
    };

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
