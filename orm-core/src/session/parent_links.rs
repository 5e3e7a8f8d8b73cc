//! Many-to-one links set in memory: for each child entry, its parent over each of its
//! foreign keys, until a flush has copied the parent's key into the child. A flush that
//! succeeds lets go of them all (the foreign keys say the same from then on), so they
//! hold only what changed since the last flush.
//!
//! A flush of many new children reads one link per child, and `add` writes one: the links
//! sit in one vector in the order they were set, 20 bytes each (the few distinct
//! relationships are kept once, on the side), and each child entry points at its newest
//! link (a child has one link per foreign key, rarely more than one). No hashing, no
//! rehashing as a session grows.

use crate::schema::link::{Link, LinkKey};

/// A child's parent as set in memory.
#[derive(Clone, Copy)]
pub(crate) struct ParentLink {
    pub(crate) link: Link,
    /// `None`: the child was taken away from its parent.
    pub(crate) parent: Option<usize>,
}

/// No link, no parent.
const NONE: u32 = u32::MAX;

/// The links of a session's children.
#[derive(Clone, Default)]
pub(crate) struct ParentLinks {
    /// Indexed by child entry: the child's newest link in `nodes`, or [`NONE`].
    newest: Vec<u32>,
    nodes: Vec<Node>,
    /// The distinct relationships the nodes refer to.
    links: Vec<Link>,
}

#[derive(Clone, Copy)]
struct Node {
    child: u32,
    /// The child's previous link, or [`NONE`].
    older: u32,
    /// The parent entry, or [`NONE`].
    parent: u32,
    /// Index into `links`.
    link: u32,
}

/// Entries and link counts are far below `u32::MAX` (a session of four billion objects
/// would not fit in memory); the session's entry numbers are `u32` already.
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(NONE)
}

impl ParentLinks {
    /// The link of `child` over `key`.
    #[inline]
    pub(crate) fn get(&self, child: usize, key: LinkKey) -> Option<ParentLink> {
        let at = self.find(child, key)?;
        Some(self.view(&self.nodes[at]))
    }

    #[inline]
    fn find(&self, child: usize, key: LinkKey) -> Option<usize> {
        let mut at = self.newest.get(child).copied().unwrap_or(NONE);
        while let Some(node) = self.nodes.get(at as usize) {
            if self.links[node.link as usize].key() == key {
                return Some(at as usize);
            }
            at = node.older;
        }
        None
    }

    #[inline]
    fn view(&self, node: &Node) -> ParentLink {
        ParentLink {
            link: self.links[node.link as usize],
            parent: (node.parent != NONE).then_some(node.parent as usize),
        }
    }

    /// The index of `link` in `links`, added when new.
    fn intern(&mut self, link: &Link) -> u32 {
        let same = |l: &Link| {
            std::ptr::eq(l.parent, link.parent)
                && std::ptr::eq(l.child, link.child)
                && l.fk_column == link.fk_column
                && l.parent_column == link.parent_column
                && match (l.def, link.def) {
                    (Some(a), Some(b)) => std::ptr::eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        };
        let at = self.links.iter().position(same).unwrap_or_else(|| {
            self.links.push(*link);
            self.links.len() - 1
        });
        small(at)
    }

    /// Sets the link of `child` over `link.link`, replacing the one it had.
    pub(crate) fn insert(&mut self, child: usize, link: ParentLink) {
        let node = Node {
            child: small(child),
            older: NONE,
            parent: link.parent.map_or(NONE, small),
            link: self.intern(&link.link),
        };
        self.put(child, link.link.key(), node);
    }

    /// Links several children to one parent over `link` (a link each, replacing
    /// the one they had over it): the relationship is looked up once for all of them.
    pub(crate) fn insert_new(&mut self, children: &[usize], link: &Link, parent: usize) {
        let (at, key, parent) = (self.intern(link), link.key(), small(parent));
        if let Some(&last) = children.iter().max()
            && self.newest.len() <= last
        {
            self.newest.resize(last + 1, NONE);
        }
        for &child in children {
            self.put(child, key, Node { child: small(child), older: NONE, parent, link: at });
        }
    }

    /// Replaces the link of `child` over `key` with `node`, or adds it.
    #[inline(always)]
    fn put(&mut self, child: usize, key: LinkKey, node: Node) {
        if let Some(at) = self.find(child, key) {
            self.nodes[at] = Node { older: self.nodes[at].older, ..node };
            return;
        }
        if self.newest.len() <= child {
            self.newest.resize(child + 1, NONE);
        }
        self.nodes.push(Node { older: self.newest[child], ..node });
        self.newest[child] = small(self.nodes.len() - 1);
    }

    /// Makes room for `n` more links.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.nodes.reserve(n);
    }

    pub(crate) fn clear(&mut self) {
        self.newest.clear();
        self.nodes.clear();
    }

    /// Whether no link is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every link, as (child entry, link), in the order they were first set.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, ParentLink)> + '_ {
        self.nodes.iter().map(|n| (n.child as usize, self.view(n)))
    }

    /// Keeps the links for which `keep` says yes; `keep` may change their parent.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(usize, &mut ParentLink) -> bool) {
        let links = &self.links;
        let before = self.nodes.len();
        self.nodes.retain_mut(|n| {
            let mut view =
                ParentLink { link: links[n.link as usize], parent: (n.parent != NONE).then_some(n.parent as usize) };
            let kept = keep(n.child as usize, &mut view);
            n.parent = view.parent.map_or(NONE, small);
            kept
        });
        if self.nodes.len() == before {
            return;
        }
        self.newest.fill(NONE);
        for (at, node) in self.nodes.iter_mut().enumerate() {
            node.older = self.newest[node.child as usize];
            self.newest[node.child as usize] = small(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::table::TableDef;

    static TABLE: TableDef = TableDef::for_tests(&[0]);

    fn link(fk_column: usize, parent: usize) -> ParentLink {
        let link = Link { parent: &TABLE, child: &TABLE, fk_column, parent_column: 0, def: None };
        ParentLink { link, parent: Some(parent) }
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
        assert!(links.get(3, LinkKey::new("t", 2)).is_none());
        assert_eq!(links.get(3, LinkKey::new("t", 1)).and_then(|p| p.parent), Some(12));
        assert_eq!(links.get(5, LinkKey::new("t", 1)).and_then(|p| p.parent), Some(11));
        links.retain(|_, p| {
            p.parent = None;
            true
        });
        assert!(links.iter().all(|(_, p)| p.parent.is_none()));
        links.clear();
        assert!(links.is_empty() && links.get(5, LinkKey::new("t", 1)).is_none());
    }
}
