//! How relationships link rows: a foreign key seen from both sides ([`Link`]), the path
//! through a many-to-many's association table ([`Secondary`]), and the direction a
//! relationship is walked in ([`Path`]). Resolved from the static relationship
//! descriptions; used to render joins and subqueries and by the session.

use crate::error::{Error, Result};
use crate::schema::relationship::{Loading, RelationKind, RelationshipDef};
use crate::schema::table::TableDef;

/// How a relationship links rows, in the direction walked: along a foreign key (from the
/// parent to its children, or back), or through a many-to-many's association table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Path {
    ForeignKey { link: Link, from_parent: bool },
    Secondary(Secondary),
}

impl Path {
    /// The table the path starts from.
    pub(crate) fn from(&self) -> &'static TableDef {
        match self {
            Path::ForeignKey { link, from_parent: true } => link.parent,
            Path::ForeignKey { link, from_parent: false } => link.child,
            Path::Secondary(sec) => sec.from,
        }
    }

    /// The table the path leads to.
    pub(crate) fn to(&self) -> &'static TableDef {
        match self {
            Path::ForeignKey { link, from_parent: true } => link.child,
            Path::ForeignKey { link, from_parent: false } => link.parent,
            Path::Secondary(sec) => sec.to,
        }
    }

    /// Whether a row at the start can have several rows at the end (a join repeats it).
    pub(crate) fn fans_out(&self) -> bool {
        !matches!(self, Path::ForeignKey { from_parent: false, .. })
    }

    /// Identifies the collection the path fills (from the parent side).
    pub(crate) fn key(&self) -> LinkKey {
        match self {
            Path::ForeignKey { link, .. } => link.key(),
            Path::Secondary(sec) => sec.key(),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Path::ForeignKey { link, .. } => link.describe(),
            Path::Secondary(sec) => sec.describe(),
        }
    }
}

/// One foreign key seen as a relationship: parent rows referenced by child rows.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub(crate) parent: &'static TableDef,
    pub(crate) child: &'static TableDef,
    /// The foreign-key column in the child table.
    pub(crate) fk_column: usize,
    /// The referenced column in the parent table.
    pub(crate) parent_column: usize,
    /// The `has_many` declaration, when there is one (cascades, loading).
    pub(crate) def: Option<&'static RelationshipDef>,
}

/// Identifies a link whichever side it is reached from.
#[derive(Debug, Clone, Copy, Eq)]
pub(crate) struct LinkKey {
    child_table: &'static str,
    fk_column: usize,
    /// Whether the link is a many-to-many's association table (a tag: equality and
    /// hashing go by table and column, which already tell).
    through_association: bool,
}

impl PartialEq for LinkKey {
    /// By table name; the same static name (the usual case) is found equal without
    /// comparing its bytes.
    #[inline]
    fn eq(&self, other: &LinkKey) -> bool {
        self.fk_column == other.fk_column
            && (std::ptr::eq(self.child_table, other.child_table) || self.child_table == other.child_table)
    }
}

impl std::hash::Hash for LinkKey {
    /// The column, the name's length and its first eight bytes: consistent with equality
    /// by name, and one word to hash instead of a string (sessions hash a key per object).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let bytes = self.child_table.as_bytes();
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        state.write_u64(
            u64::from_le_bytes(head) ^ ((bytes.len() as u64) << 56) ^ (self.fk_column as u64).rotate_left(32),
        );
    }
}

impl PartialEq for Link {
    fn eq(&self, other: &Link) -> bool {
        self.key() == other.key()
    }
}

impl LinkKey {
    /// The links of `table`'s foreign keys, in column order.
    pub(crate) fn of_foreign_keys(table: &'static TableDef) -> impl Iterator<Item = LinkKey> {
        let columns = table.columns.iter().enumerate();
        columns.filter(|(_, c)| c.foreign_key.is_some()).map(|(i, _)| LinkKey::new(table.name, i))
    }

    /// Whether the collections of this key are a many-to-many's (pairs through an
    /// association table) rather than children over a foreign key.
    pub(crate) fn is_association(&self) -> bool {
        self.through_association
    }

    /// The link through column `fk_column` of `child_table`.
    pub(crate) fn new(child_table: &'static str, fk_column: usize) -> LinkKey {
        LinkKey { child_table, fk_column, through_association: false }
    }
}

impl Link {
    pub(crate) fn key(&self) -> LinkKey {
        LinkKey { child_table: self.child.name, fk_column: self.fk_column, through_association: false }
    }

    /// The link of a `has_many` relationship declared on `parent`.
    pub(crate) fn has_many(parent: &'static TableDef, def: &'static RelationshipDef) -> Result<Link> {
        let child = (def.target)();
        match def.kind {
            RelationKind::HasMany | RelationKind::HasOne => Link::between(parent, child, def.foreign_key, Some(def)),
            RelationKind::BelongsTo => Link::between(child, parent, def.foreign_key, None),
            RelationKind::ManyToMany => Err(Error::schema(format!(
                "{}.{} is many-to-many: it has no foreign key of its own",
                parent.model, def.name
            ))),
        }
    }

    fn between(
        parent: &'static TableDef,
        child: &'static TableDef,
        fk: &str,
        def: Option<&'static RelationshipDef>,
    ) -> Result<Link> {
        let fk_column = child.column_index(fk).ok_or_else(|| {
            Error::schema(format!(
                "the relationship between `{}` and `{}` names the foreign key `{fk}`, \
                 but `{}` has no such column",
                parent.name, child.name, child.name
            ))
        })?;
        let referenced =
            child.columns[fk_column].foreign_key.as_ref().filter(|f| f.table == parent.name).map(|f| f.column);
        let parent_column = match referenced {
            Some(name) => parent.column_index(name),
            None if parent.primary_key.len() == 1 => Some(parent.primary_key[0]),
            None => None,
        }
        .ok_or_else(|| {
            Error::schema(format!(
                "`{}.{fk}` does not reference a column of `{}`; declare it with \
                 #[orm(foreign_key = \"{}.<column>\")]",
                child.name, parent.name, parent.name
            ))
        })?;
        Ok(Link { parent, child, fk_column, parent_column, def })
    }

    /// Whether the parent has at most one child over this link (`has_one`).
    pub(crate) fn is_one_to_one(&self) -> bool {
        self.def.is_some_and(|d| d.kind == RelationKind::HasOne)
    }

    /// The strategy used when nothing else is asked for.
    pub(crate) fn default_loading(&self) -> Loading {
        self.def.map_or(Loading::Lazy, |d| d.loading)
    }

    pub(crate) fn describe(&self) -> String {
        match self.def {
            Some(def) => format!("{}.{}", self.parent.model, def.name),
            None => format!("{}.{}", self.child.name, self.child.columns[self.fk_column].name),
        }
    }
}

/// The path of a `many_to_many` relationship through its association table, from rows
/// of `from` to rows of `to`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Secondary {
    pub(crate) def: &'static RelationshipDef,
    pub(crate) assoc: &'static TableDef,
    pub(crate) from: &'static TableDef,
    pub(crate) to: &'static TableDef,
    /// The association table's column that references `from` (and `to`).
    pub(crate) from_col: usize,
    pub(crate) to_col: usize,
    /// The columns of `from` and `to` the association table references.
    pub(crate) from_key: usize,
    pub(crate) to_key: usize,
    /// Whether the path goes from the relationship's target back to where it is declared.
    reverse: bool,
}

impl PartialEq for Secondary {
    fn eq(&self, other: &Secondary) -> bool {
        self.key() == other.key()
    }
}

impl Secondary {
    pub(crate) fn new(
        declared_on: &'static TableDef,
        def: &'static RelationshipDef,
        reverse: bool,
    ) -> Result<Secondary> {
        let assoc = def.secondary.ok_or_else(|| {
            Error::schema(format!("{}.{} is many-to-many but has no association table", declared_on.model, def.name))
        })?;
        let target = (def.target)();
        let (from, to) = if reverse { (target, declared_on) } else { (declared_on, target) };
        let referencing = |t: &TableDef, except: Option<usize>| {
            assoc.columns.iter().enumerate().find_map(|(i, c)| {
                let fk = c.foreign_key.as_ref().filter(|fk| fk.table == t.name && Some(i) != except)?;
                Some((i, t.column_index(fk.column)?))
            })
        };
        let missing = || {
            Error::schema(format!(
                "the association table `{}` of {}.{} does not reference both `{}` and `{}`",
                assoc.name, declared_on.model, def.name, from.name, to.name
            ))
        };
        let (from_col, from_key) = referencing(from, None).ok_or_else(missing)?;
        let (to_col, to_key) = referencing(to, Some(from_col)).ok_or_else(missing)?;
        Ok(Secondary { def, assoc, from, to, from_col, to_col, from_key, to_key, reverse })
    }

    /// The same path walked the other way.
    pub(crate) fn reversed(&self) -> Secondary {
        Secondary {
            from: self.to,
            to: self.from,
            from_col: self.to_col,
            to_col: self.from_col,
            from_key: self.to_key,
            to_key: self.from_key,
            reverse: !self.reverse,
            ..*self
        }
    }

    /// Whether the path goes from the relationship's target to where it is declared.
    pub(crate) fn is_reversed(&self) -> bool {
        self.reverse
    }

    /// Identifies the collection of `to` rows of a `from` row.
    pub(crate) fn key(&self) -> LinkKey {
        LinkKey { child_table: self.assoc.name, fk_column: self.from_col, through_association: true }
    }

    pub(crate) fn describe(&self) -> String {
        match (self.reverse, self.def.backref) {
            (true, Some(backref)) => format!("{}.{backref}", self.from.model),
            (true, None) => format!("{}.{} (reversed)", self.to.model, self.def.name),
            (false, _) => format!("{}.{}", self.from.model, self.def.name),
        }
    }
}
