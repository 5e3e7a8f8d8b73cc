//! Many-to-one links set in memory: for each child entry, its parent over each of its
//! foreign keys, until a flush has copied the parent's key into the child.
//!
//! A flush of many new children reads one link per child, and `add` writes one: the links
//! sit in one vector in the order they were set, and each child entry points at its
//! newest link (a child has one link per foreign key, rarely more than one). No hashing,
//! no rehashing as a session grows.

use crate::relationship::{Link, LinkKey};

/// A child's parent as set in memory.
#[derive(Clone, Copy)]
pub(crate) struct ParentLink {
    pub(crate) link: Link,
    /// `None`: the child was taken away from its parent.
    pub(crate) parent: Option<usize>,
    /// Whether the child's foreign key already says so (after a flush).
    pub(crate) synced: bool,
}

/// No link.
const NONE: usize = usize::MAX;

/// The links of a session's children.
#[derive(Clone, Default)]
pub(crate) struct ParentLinks {
    /// Indexed by child entry: the child's newest link in `nodes`, or [`NONE`].
    newest: Vec<usize>,
    nodes: Vec<Node>,
}

#[derive(Clone)]
struct Node {
    child: usize,
    /// The child's previous link, or [`NONE`].
    older: usize,
    link: ParentLink,
}

impl ParentLinks {
    /// The link of `child` over `key`.
    #[inline]
    pub(crate) fn get(&self, child: usize, key: LinkKey) -> Option<&ParentLink> {
        let mut at = self.newest.get(child).copied().unwrap_or(NONE);
        while let Some(node) = self.nodes.get(at) {
            if node.link.link.key() == key {
                return Some(&node.link);
            }
            at = node.older;
        }
        None
    }

    /// Sets the link of `child` over `link.link`, replacing the one it had.
    pub(crate) fn insert(&mut self, child: usize, link: ParentLink) {
        let key = link.link.key();
        let mut at = self.newest.get(child).copied().unwrap_or(NONE);
        while let Some(node) = self.nodes.get_mut(at) {
            if node.link.link.key() == key {
                node.link = link;
                return;
            }
            at = node.older;
        }
        if self.newest.len() <= child {
            self.newest.resize(child + 1, NONE);
        }
        self.nodes.push(Node { child, older: self.newest[child], link });
        self.newest[child] = self.nodes.len() - 1;
    }

    /// Makes room for `n` more links.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.nodes.reserve(n);
    }

    pub(crate) fn clear(&mut self) {
        self.newest.clear();
        self.nodes.clear();
    }

    /// Every link, as (child entry, link), in the order they were first set.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &ParentLink)> {
        self.nodes.iter().map(|n| (n.child, &n.link))
    }

    /// Keeps the links for which `keep` (which may change them) says yes.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(usize, &mut ParentLink) -> bool) {
        let before = self.nodes.len();
        self.nodes.retain_mut(|n| keep(n.child, &mut n.link));
        if self.nodes.len() == before {
            return;
        }
        self.newest.fill(NONE);
        for (at, node) in self.nodes.iter_mut().enumerate() {
            node.older = self.newest[node.child];
            self.newest[node.child] = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::TableDef;

    static TABLE: TableDef = TableDef {
        name: "t",
        model: "T",
        columns: &[],
        primary_key: &[0],
        uniques: &[],
        indexes: &[],
        relationships: &[],
    };

    fn link(fk_column: usize, parent: usize) -> ParentLink {
        let link = Link { parent: &TABLE, child: &TABLE, fk_column, parent_column: 0, def: None };
        ParentLink { link, parent: Some(parent), synced: false }
    }

    #[test]
    fn each_child_has_one_link_per_foreign_key() {
        let mut links = ParentLinks::default();
        links.insert(3, link(1, 10));
        links.insert(3, link(2, 20));
        links.insert(5, link(1, 11));
        links.insert(3, link(1, 12)); // replaces the first
        let parent = |child, fk| links.get(child, LinkKey::new("t", fk)).and_then(|p| p.parent);
        assert_eq!(parent(3, 1), Some(12));
        assert_eq!(parent(3, 2), Some(20));
        assert_eq!(parent(5, 1), Some(11));
        assert_eq!(parent(5, 2), None);
        assert_eq!(parent(99, 1), None);
        assert_eq!(links.iter().count(), 3);

        links.retain(|child, p| child != 3 || p.parent != Some(20));
        assert_eq!(links.get(3, LinkKey::new("t", 2)).map(|p| p.parent), None);
        assert_eq!(links.get(3, LinkKey::new("t", 1)).and_then(|p| p.parent), Some(12));
        assert_eq!(links.get(5, LinkKey::new("t", 1)).and_then(|p| p.parent), Some(11));
        links.retain(|_, p| {
            p.synced = true;
            true
        });
        assert!(links.iter().all(|(_, p)| p.synced));
    }
}
