//! Relationships changed in memory: a child's parent set (or cleared), new children linked
//! to their parent, with the parent's loaded collection kept in step; the foreign keys
//! follow at the next flush.

use super::{ObjectState, ParentLink, Session};
use crate::schema::identity_key::IdentityKey;
use crate::schema::link::{Link, LinkKey};
use crate::value::Value;

impl Session {
    /// Sets (or clears) the parent of a child in memory, keeping the parent's loaded
    /// collection in step; the foreign key follows at flush.
    pub(crate) fn link(&mut self, link: Link, child: usize, parent: Option<usize>) {
        let key = link.key();
        self.collections.remember(&link);
        let old = self.current_parent(link, child);
        if old == parent && self.parents.get(child, key).is_some() {
            return;
        }
        if let Some(old) = old
            && let Some(children) = self.collections.get_mut(&(old, key))
        {
            children.retain(|&c| c != child);
        }
        if let Some(new) = parent {
            // A new parent's collection is exactly its linked children: keep it complete.
            let collection = if self.is_pending(new) {
                Some(self.collections.get_or_default((new, key)))
            } else {
                self.collections.get_mut(&(new, key))
            };
            if let Some(children) = collection
                && !children.contains(&child)
            {
                children.push(child);
            }
        }
        self.parents.insert(child, ParentLink { link, parent });
    }

    pub(crate) fn is_pending(&self, entry: usize) -> bool {
        self.entry(entry).is_some_and(|e| e.obj.meta().state == ObjectState::Pending)
    }

    /// Links a child that has just joined the session (so it has no parent and is in no
    /// collection yet) to its parent.
    pub(crate) fn link_new(&mut self, link: Link, child: usize, parent: usize) {
        self.link_new_children(link, &[child], parent);
    }

    /// [`link_new`](Session::link_new) for several new children of one parent.
    pub(crate) fn link_new_children(&mut self, link: Link, children: &[usize], parent: usize) {
        let key = link.key();
        self.collections.remember(&link);
        let collection = if self.is_pending(parent) {
            Some(self.collections.get_or_default((parent, key)))
        } else {
            self.collections.get_mut(&(parent, key))
        };
        if let Some(collection) = collection {
            collection.extend_from_slice(children);
        }
        self.parents.insert_new(children, &link, parent);
    }

    /// Makes room for `n` more new children with their parent links.
    pub(crate) fn reserve_children(&mut self, n: usize) {
        self.entries.reserve(n);
        self.new.reserve(n);
        self.parents.reserve(n);
    }

    /// Makes room for `n` more objects (a result of that many rows is coming).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.identity.reserve(n);
    }

    /// The parents set in memory for a child, one per foreign key of its table.
    pub(crate) fn parent_links(&self, child: usize) -> impl Iterator<Item = ParentLink> + '_ {
        let table = self.entry(child).map(|e| e.obj.table());
        table.into_iter().flat_map(LinkKey::of_foreign_keys).filter_map(move |key| self.parents.get(child, key))
    }

    /// The parent entry of a child over a link, from memory: the link set by the
    /// session, or else the identity map entry its foreign key points at.
    pub(crate) fn current_parent(&self, link: Link, child: usize) -> Option<usize> {
        if let Some(p) = self.parents.get(child, link.key()) {
            return p.parent;
        }
        let fk = self.entry(child)?.obj.column_value(link.fk_column).ok()?;
        self.parent_by_key(link, &fk)
    }

    /// The entry of the parent whose referenced column holds `fk`, if loaded.
    pub(crate) fn parent_by_key(&self, link: Link, fk: &Value) -> Option<usize> {
        if fk.is_null() {
            return None;
        }
        if link.parent.primary_key == [link.parent_column] {
            return self.identity.get(&IdentityKey::new(link.parent, std::slice::from_ref(fk)));
        }
        self.entries.iter().enumerate().find_map(|(i, e)| {
            let e = e.as_ref()?;
            (e.obj.table().name == link.parent.name && e.obj.column_value(link.parent_column).ok().as_ref() == Some(fk))
                .then_some(i)
        })
    }
}
