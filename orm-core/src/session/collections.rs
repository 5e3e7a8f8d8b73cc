//! The loaded collections of a session: for each owner entry and relationship, the
//! entries of its children (or of its many-to-many partners), in order.
//!
//! Kept by owner, so that an object leaving the session drops its own collections in one
//! step, and with a journal per open savepoint: a collection's contents before its first
//! change under the savepoint, so that rolling the savepoint back restores what changed
//! rather than a copy of everything taken in advance.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::schema::link::{Link, LinkKey};

/// Identifies a collection: the owner's entry and the relationship.
pub(crate) type CollectionKey = (usize, LinkKey);

/// The collections of one owner: nearly always one relationship, kept inline.
#[derive(Clone)]
enum Owned {
    One(LinkKey, Vec<usize>),
    Many(Vec<(LinkKey, Vec<usize>)>),
}

impl Owned {
    fn get(&self, key: LinkKey) -> Option<&Vec<usize>> {
        match self {
            Owned::One(k, v) => (*k == key).then_some(v),
            Owned::Many(all) => all.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
        }
    }

    fn get_mut(&mut self, key: LinkKey) -> Option<&mut Vec<usize>> {
        match self {
            Owned::One(k, v) => (*k == key).then_some(v),
            Owned::Many(all) => all.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v),
        }
    }

    fn keys(&self) -> Vec<LinkKey> {
        match self {
            Owned::One(k, _) => vec![*k],
            Owned::Many(all) => all.iter().map(|(k, _)| *k).collect(),
        }
    }
}

/// What one savepoint must put back: each collection changed under it, as it was before
/// its first change (`None`: it did not exist).
#[derive(Default)]
struct Journal {
    before: Vec<(CollectionKey, Option<Vec<usize>>)>,
    touched: HashSet<CollectionKey>,
}

/// The loaded collections of a session.
#[derive(Default)]
pub(crate) struct Collections {
    by_owner: HashMap<usize, Owned>,
    /// Owners with a many-to-many collection: an object leaving the session is taken out
    /// of theirs (its own parents over foreign keys are found from the object).
    association_owners: HashSet<usize>,
    /// The foreign keys collections were loaded over, by key: what finds the parents
    /// whose collections an object leaving the session is in.
    links: HashMap<LinkKey, Link>,
    /// One per open savepoint, innermost last.
    journals: Vec<Journal>,
}

impl Collections {
    /// The collection of `key`, if loaded.
    #[inline]
    pub(crate) fn get(&self, (owner, link): &CollectionKey) -> Option<&Vec<usize>> {
        self.by_owner.get(owner)?.get(*link)
    }

    /// Notes the foreign key behind collections of `link.key()` (see [`Collections::forget`]).
    #[inline]
    pub(crate) fn remember(&mut self, link: &Link) {
        self.links.entry(link.key()).or_insert(*link);
    }

    /// The foreign key behind collections of `key`, when one was noted.
    pub(crate) fn link_of(&self, key: LinkKey) -> Option<Link> {
        self.links.get(&key).copied()
    }

    /// Whether the collection of `key` is loaded.
    pub(crate) fn contains_key(&self, key: &CollectionKey) -> bool {
        self.get(key).is_some()
    }

    /// The collection of `key` to change, if loaded.
    pub(crate) fn get_mut(&mut self, key: &CollectionKey) -> Option<&mut Vec<usize>> {
        self.contains_key(key).then(|| self.journal(*key));
        self.by_owner.get_mut(&key.0)?.get_mut(key.1)
    }

    /// The collection of `key` to change, created empty when not loaded.
    pub(crate) fn get_or_default(&mut self, key: CollectionKey) -> &mut Vec<usize> {
        if !self.contains_key(&key) {
            self.insert(key, Vec::new());
        } else {
            self.journal(key);
        }
        self.by_owner.get_mut(&key.0).and_then(|o| o.get_mut(key.1)).expect("just made")
    }

    /// Sets the collection of `key`.
    pub(crate) fn insert(&mut self, key: CollectionKey, children: Vec<usize>) {
        self.journal(key);
        let (owner, link) = key;
        if link.is_association() {
            self.association_owners.insert(owner);
        }
        match self.by_owner.get_mut(&owner) {
            None => {
                self.by_owner.insert(owner, Owned::One(link, children));
            }
            Some(owned) => {
                if let Some(existing) = owned.get_mut(link) {
                    *existing = children;
                    return;
                }
                let first = match std::mem::replace(owned, Owned::Many(Vec::new())) {
                    Owned::One(k, v) => vec![(k, v)],
                    Owned::Many(all) => all,
                };
                let mut all = first;
                all.push((link, children));
                *owned = Owned::Many(all);
            }
        }
    }

    /// Drops the collections of `owner`, takes `entry` out of the collections of the
    /// parents in `parents` (its parents over foreign keys) and out of every many-to-many
    /// collection: what the session does when `entry` leaves it.
    pub(crate) fn forget(&mut self, entry: usize, parents: impl IntoIterator<Item = CollectionKey>) {
        if let Some(owned) = self.by_owner.get(&entry) {
            for link in owned.keys() {
                self.journal((entry, link));
            }
            self.by_owner.remove(&entry);
            self.association_owners.remove(&entry);
        }
        for key in parents {
            if self.get(&key).is_some_and(|c| c.contains(&entry))
                && let Some(children) = self.get_mut(&key)
            {
                children.retain(|&c| c != entry);
            }
        }
        let owners: Vec<usize> = self.association_owners.iter().copied().collect();
        for owner in owners {
            let keys: Vec<LinkKey> = self.by_owner.get(&owner).map(Owned::keys).unwrap_or_default();
            for link in keys.into_iter().filter(LinkKey::is_association) {
                if self.get(&(owner, link)).is_some_and(|c| c.contains(&entry))
                    && let Some(members) = self.get_mut(&(owner, link))
                {
                    members.retain(|&m| m != entry);
                }
            }
        }
    }

    /// Drops every collection.
    pub(crate) fn clear(&mut self) {
        if !self.journals.is_empty() {
            let keys: Vec<CollectionKey> = self
                .by_owner
                .iter()
                .flat_map(|(&owner, owned)| owned.keys().into_iter().map(move |k| (owner, k)))
                .collect();
            for key in keys {
                self.journal(key);
            }
        }
        self.by_owner.clear();
        self.association_owners.clear();
    }

    /// The number of loaded collections.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_owner.values().map(|o| if let Owned::Many(all) = o { all.len() } else { 1 }).sum()
    }

    // ----- savepoints ------------------------------------------------------------------

    /// A savepoint opens: changes from now on are journaled.
    pub(crate) fn begin_savepoint(&mut self) {
        self.journals.push(Journal::default());
    }

    /// The innermost savepoint is released: its changes stay, and an enclosing savepoint
    /// takes over what they replaced.
    pub(crate) fn release_savepoint(&mut self) {
        let Some(inner) = self.journals.pop() else { return };
        if let Some(outer) = self.journals.last_mut() {
            for (key, before) in inner.before {
                if outer.touched.insert(key) {
                    outer.before.push((key, before));
                }
            }
        }
    }

    /// The innermost savepoint is rolled back: every collection it changed is as before.
    pub(crate) fn rollback_savepoint(&mut self) {
        let Some(journal) = self.journals.pop() else { return };
        for ((owner, link), before) in journal.before.into_iter().rev() {
            match before {
                Some(children) => {
                    let saved = std::mem::take(&mut self.journals);
                    self.insert((owner, link), children);
                    self.journals = saved;
                }
                None => self.remove_silently((owner, link)),
            }
        }
    }

    /// Every savepoint ends (the transaction rolled back).
    pub(crate) fn end_savepoints(&mut self) {
        self.journals.clear();
    }

    /// Records what `key` holds before its first change under the innermost savepoint.
    fn journal(&mut self, key: CollectionKey) {
        let Some(journal) = self.journals.last_mut() else { return };
        if journal.touched.insert(key) {
            let before = self.by_owner.get(&key.0).and_then(|o| o.get(key.1)).cloned();
            journal.before.push((key, before));
        }
    }

    /// Removes one collection, without journaling.
    fn remove_silently(&mut self, (owner, link): CollectionKey) {
        let Some(owned) = self.by_owner.get_mut(&owner) else { return };
        match owned {
            Owned::One(k, _) if *k == link => {
                self.by_owner.remove(&owner);
            }
            Owned::One(..) => {}
            Owned::Many(all) => all.retain(|(k, _)| *k != link),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(col: usize) -> LinkKey {
        LinkKey::new("t", col)
    }

    #[test]
    fn owners_keep_several_collections_and_leave_with_them() {
        let mut c = Collections::default();
        c.insert((1, key(0)), vec![10, 11]);
        c.insert((1, key(1)), vec![12]);
        c.get_or_default((2, key(0))).push(11);
        assert_eq!(c.get(&(1, key(0))), Some(&vec![10, 11]));
        assert_eq!(c.get(&(1, key(1))), Some(&vec![12]));
        assert_eq!(c.len(), 3);
        c.forget(11, [(1, key(0)), (2, key(0))]);
        assert_eq!(c.get(&(1, key(0))), Some(&vec![10]));
        assert_eq!(c.get(&(2, key(0))), Some(&vec![]));
        c.forget(1, []);
        assert!(!c.contains_key(&(1, key(0))) && !c.contains_key(&(1, key(1))));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_savepoint_rolls_back_what_changed_under_it() {
        let mut c = Collections::default();
        c.insert((1, key(0)), vec![10]);
        c.insert((2, key(0)), vec![20]);
        c.begin_savepoint();
        c.get_mut(&(1, key(0))).unwrap().push(11);
        c.insert((3, key(0)), vec![30]);
        c.begin_savepoint();
        c.get_mut(&(2, key(0))).unwrap().clear();
        c.forget(1, []);
        c.release_savepoint(); // the inner one's changes now belong to the outer one
        c.rollback_savepoint();
        assert_eq!(c.get(&(1, key(0))), Some(&vec![10]));
        assert_eq!(c.get(&(2, key(0))), Some(&vec![20]));
        assert!(!c.contains_key(&(3, key(0))));
        assert_eq!(c.len(), 2);
    }
}
