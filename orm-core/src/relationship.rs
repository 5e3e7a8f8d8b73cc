//! Relationship fields and handles: `HasMany<T>` in structs, `Relationship<P, C>`
//! constants for loading options, and the links the session keeps between objects.

use std::fmt;
use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::metadata::{Loading, RelationKind, RelationshipDef, TableDef};
use crate::model::Model;
use crate::session::{Obj, Session};

/// A one-to-many relationship field: `pub courses: HasMany<Course>`.
///
/// In a session, reach the children through the generated accessor
/// (`program.courses(&mut db)?`). Before an object joins a session, children pushed here
/// are added with it (save-update cascade).
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "courses")]
/// # struct Course { #[orm(primary_key)] id: i32, title: String, #[orm(foreign_key = "programs.id")] program_id: i32 }
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String,
/// #   #[orm(has_many(Course, foreign_key = "program_id"))] courses: HasMany<Course> }
/// let mut p = Program::new("Bachelors in CS");
/// p.courses.push(Course::new("Data SCIENCE")); // program_id is set at flush
/// assert_eq!(p.courses.len(), 1);
/// ```
pub struct HasMany<T> {
    pending: Vec<T>,
}

impl<T> HasMany<T> {
    /// Adds a child that joins the session with its parent.
    pub fn push(&mut self, child: T) {
        self.pending.push(child);
    }

    /// The number of children waiting to join a session with the parent.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no child is waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The waiting children.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.pending.iter()
    }

    #[doc(hidden)]
    pub fn take(&mut self) -> Vec<T> {
        std::mem::take(&mut self.pending)
    }
}

impl<T> Default for HasMany<T> {
    fn default() -> Self {
        HasMany { pending: Vec::new() }
    }
}

impl<T: Clone> Clone for HasMany<T> {
    fn clone(&self) -> Self {
        HasMany { pending: self.pending.clone() }
    }
}

impl<T> PartialEq for HasMany<T> {
    /// Relationship fields never make two objects differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for HasMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pending.is_empty() {
            f.write_str("HasMany")
        } else {
            write!(f, "HasMany({} waiting)", self.pending.len())
        }
    }
}

/// A one-to-one relationship field: `pub profile: HasOne<Profile>`, declared with
/// `#[orm(has_one(Profile, foreign_key = "user_id", backref = "user"))]` over a unique
/// foreign key on the child.
///
/// In a session, read the child with the generated accessor (`user.profile(&mut db)?`)
/// and replace it with `set_profile`. Before an object joins a session, a child set here
/// is added with it.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "profiles")]
/// # struct Profile { #[orm(primary_key)] id: i32, bio: String,
/// #   #[orm(foreign_key = "users.id", unique)] user_id: i32 }
/// # #[derive(Model)] #[orm(table = "users")]
/// # struct User { #[orm(primary_key)] id: i32, name: String,
/// #   #[orm(has_one(Profile, foreign_key = "user_id"))] profile: HasOne<Profile> }
/// let mut ada = User::new("ada");
/// ada.profile.set(Profile::new("mathematician")); // user_id is set at flush
/// assert!(ada.profile.get().is_some());
/// ```
pub struct HasOne<T> {
    pending: Option<T>,
}

impl<T> HasOne<T> {
    /// Sets the child that joins the session with its parent.
    pub fn set(&mut self, child: T) {
        self.pending = Some(child);
    }

    /// The child waiting to join a session with the parent.
    pub fn get(&self) -> Option<&T> {
        self.pending.as_ref()
    }

    #[doc(hidden)]
    pub fn take(&mut self) -> Vec<T> {
        self.pending.take().into_iter().collect()
    }
}

impl<T> Default for HasOne<T> {
    fn default() -> Self {
        HasOne { pending: None }
    }
}

impl<T: Clone> Clone for HasOne<T> {
    fn clone(&self) -> Self {
        HasOne { pending: self.pending.clone() }
    }
}

impl<T> PartialEq for HasOne<T> {
    /// Relationship fields never make two objects differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for HasOne<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.pending.is_some() { "HasOne(1 waiting)" } else { "HasOne" })
    }
}

/// A many-to-many relationship field: `pub tags: ManyToMany<Tag>`, declared with
/// `#[orm(many_to_many(Tag, secondary = "post_tags", backref = "posts"))]`. The derive
/// generates the association table (`post_tags (post_id, tag_id)`), which `create_all`
/// creates with the models. Objects pushed here before the owner joins a session are
/// added and paired with it.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "tags")]
/// # struct Tag { #[orm(primary_key)] id: i32, name: String }
/// # #[derive(Model)] #[orm(table = "posts")]
/// # struct Post { #[orm(primary_key)] id: i32, title: String,
/// #   #[orm(many_to_many(Tag, secondary = "post_tags", backref = "posts"))] tags: ManyToMany<Tag> }
/// let mut post = Post::new("Hello");
/// post.tags.push(Tag::new("rust")); // the association row is inserted at flush
/// assert_eq!(Post::table().relationship("tags").unwrap().secondary.unwrap().name, "post_tags");
/// ```
pub type ManyToMany<T> = HasMany<T>;

/// A many-to-one relationship field declared on the child:
/// `#[orm(belongs_to(Department, foreign_key = "department_id"))] department: BelongsTo<Department>`.
///
/// It holds nothing: reach the parent through the generated accessor
/// (`employee.department(&mut db)?`) and set it with `set_department`.
pub struct BelongsTo<T> {
    _marker: PhantomData<fn() -> T>,
}

impl<T> Default for BelongsTo<T> {
    fn default() -> Self {
        BelongsTo { _marker: PhantomData }
    }
}

impl<T> Clone for BelongsTo<T> {
    fn clone(&self) -> Self {
        BelongsTo::default()
    }
}

impl<T> PartialEq for BelongsTo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for BelongsTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BelongsTo")
    }
}

/// Children pushed into a `HasMany` field before the parent joined a session.
#[doc(hidden)]
pub struct PendingChildren {
    attach: Box<Attach>,
}

/// Adds children to a session under the parent entry.
type Attach = dyn FnOnce(&mut Session, usize) -> Result<()>;

impl PendingChildren {
    /// Used by generated code: the children of relationship `def` of a parent.
    pub fn new<C: Model>(def: &'static RelationshipDef, parent: &'static TableDef, children: Vec<C>) -> Self {
        PendingChildren {
            attach: Box::new(move |session, parent_entry| {
                let link = Link::has_many(parent, def)?;
                session.reserve_children(children.len());
                let entries: Vec<usize> =
                    Obj::many(children).iter().map(|child| session.attach_new(child.erased())).collect();
                session.link_new_children(link, &entries, parent_entry);
                Ok(())
            }),
        }
    }

    /// Used by generated code: objects pushed into a `ManyToMany` field, paired with the
    /// owner when it joins a session.
    pub fn associated<C: Model>(def: &'static RelationshipDef, owner: &'static TableDef, members: Vec<C>) -> Self {
        PendingChildren {
            attach: Box::new(move |session, owner_entry| {
                let sec = Secondary::new(owner, def, false)?;
                for member in members {
                    let member = session.add(member);
                    let member_entry = member.cell().meta.get().entry();
                    session.associate(sec, owner_entry, member_entry);
                }
                Ok(())
            }),
        }
    }

    pub(crate) fn attach(self, session: &mut Session, parent_entry: usize) -> Result<()> {
        (self.attach)(session, parent_entry)
    }
}

/// A typed handle on a relationship, generated per relationship field
/// (`Program::COURSES`), for loading options.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "courses")]
/// # struct Course { #[orm(primary_key)] id: i32, #[orm(foreign_key = "programs.id")] program_id: i32 }
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32,
/// #   #[orm(has_many(Course, foreign_key = "program_id"))] courses: HasMany<Course> }
/// let eager = selectinload(Program::COURSES);
/// # let _ = eager;
/// ```
pub struct Relationship<P, C> {
    def: &'static RelationshipDef,
    /// The table the relationship is declared on.
    declared_on: &'static TableDef,
    /// Whether the handle goes from the other side of its declaration (a backref).
    reverse: bool,
    _marker: PhantomData<fn() -> (P, C)>,
}

impl<P, C> Clone for Relationship<P, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, C> Copy for Relationship<P, C> {}

impl<P, C> fmt::Debug for Relationship<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.declared_on.model, self.def.name)
    }
}

impl<P: Model, C: Model> Relationship<P, C> {
    /// Used by generated code.
    #[doc(hidden)]
    pub const fn new(def: &'static RelationshipDef, declared_on: &'static TableDef) -> Self {
        Relationship { def, declared_on, reverse: false, _marker: PhantomData }
    }

    /// Used by generated code: the other direction of a relationship (a backref).
    #[doc(hidden)]
    pub const fn reverse(def: &'static RelationshipDef, declared_on: &'static TableDef) -> Self {
        Relationship { def, declared_on, reverse: true, _marker: PhantomData }
    }

    /// The relationship's metadata.
    pub fn def(&self) -> &'static RelationshipDef {
        self.def
    }

    pub(crate) fn link(&self) -> Result<Link> {
        Link::has_many(self.declared_on, self.def)
    }

    /// How the relationship links the rows, in this handle's direction.
    pub(crate) fn path(&self) -> Result<Path> {
        if self.def.kind == RelationKind::ManyToMany {
            return Ok(Path::Secondary(Secondary::new(self.declared_on, self.def, self.reverse)?));
        }
        Ok(Path::ForeignKey { link: self.link()?, from_parent: self.starts_at_parent() })
    }

    /// Whether the handle goes from the parent (`P`) to its children (`C`).
    pub(crate) fn starts_at_parent(&self) -> bool {
        self.def.kind.is_parent_side() != self.reverse
    }

    fn related(&self, filter: Option<Expr>) -> Related {
        Related { path: self.path().map_err(|e| e.to_string()), filter: filter.map(Box::new) }
    }

    /// Rows of `P` with at least one related `C` matching `filter`: `EXISTS (SELECT 1 FROM
    /// courses WHERE courses.program_id = programs.id AND ..)`. SQLAlchemy's `any`.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "courses")]
    /// # struct Course { #[orm(primary_key)] id: i32, title: String, #[orm(foreign_key = "programs.id")] program_id: i32 }
    /// # #[derive(Model)] #[orm(table = "programs")]
    /// # struct Program { #[orm(primary_key)] id: i32,
    /// #   #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))] courses: HasMany<Course> }
    /// let with_data_courses = Program::query().filter(Program::COURSES.any(Course::TITLE.like("Data%")));
    /// let in_program_1 = Course::query().filter(Course::PROGRAM.has(Program::ID.eq(1)));
    /// # let _ = (with_data_courses, in_program_1);
    /// ```
    pub fn any(&self, filter: Expr) -> Expr {
        Expr::Exists { related: self.related(Some(filter)), negated: false }
    }

    /// Rows of `P` whose related `C` matches `filter` (for a many-to-one relationship);
    /// the same SQL as [`any`](Self::any), SQLAlchemy's `has`.
    pub fn has(&self, filter: Expr) -> Expr {
        self.any(filter)
    }

    /// Rows of `P` with at least one related `C`.
    pub fn exists(&self) -> Expr {
        Expr::Exists { related: self.related(None), negated: false }
    }

    /// Rows of `P` with no related `C`.
    pub fn not_exists(&self) -> Expr {
        Expr::Exists { related: self.related(None), negated: true }
    }
}

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

/// The related rows an existence filter looks for (built by [`Relationship::any`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub(crate) path: Result<Path, String>,
    pub(crate) filter: Option<Box<Expr>>,
}

/// How to load a relationship with a query: see [`selectinload`], [`joinedload`],
/// [`lazyload`], [`raiseload`].
#[derive(Debug, Clone)]
pub struct LoadOption {
    /// A foreign key from the parent, or an association table.
    pub(crate) path: Result<Path, String>,
    pub(crate) strategy: Loading,
    pub(crate) then: Vec<LoadOption>,
}

impl LoadOption {
    fn new<P: Model, C: Model>(rel: Relationship<P, C>, strategy: Loading) -> LoadOption {
        let path = match rel.path() {
            Ok(Path::ForeignKey { from_parent: false, .. }) => Err(format!(
                "{rel:?} goes from a child to its parent; load parents with their own query \
                 (they are loaded once per session anyway) or load the children from the parents"
            )),
            other => other.map_err(|e| e.to_string()),
        };
        LoadOption { path, strategy, then: Vec::new() }
    }

    /// The key of the collection the option loads.
    pub(crate) fn key(&self) -> Option<LinkKey> {
        self.path.as_ref().ok().map(Path::key)
    }

    /// Also applies `option` to the related objects (programs -> courses -> enrollments).
    #[must_use]
    pub fn then(mut self, option: LoadOption) -> LoadOption {
        self.then.push(option);
        self
    }
}

/// Load the relationship for all parents with one extra SELECT (`fk = ANY($1)`).
pub fn selectinload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::SelectIn)
}

/// Load the relationship in the parents' own SELECT, through a LEFT OUTER JOIN.
pub fn joinedload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::Joined)
}

/// Load the relationship on first access, one SELECT per parent.
pub fn lazyload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::Lazy)
}

/// Make first access of the relationship an error instead of a SELECT.
pub fn raiseload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::Raise)
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

    /// The link through column `fk_column` of `child_table`.
    pub(crate) fn new(child_table: &'static str, fk_column: usize) -> LinkKey {
        LinkKey { child_table, fk_column }
    }
}

impl Link {
    pub(crate) fn key(&self) -> LinkKey {
        LinkKey { child_table: self.child.name, fk_column: self.fk_column }
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
        LinkKey { child_table: self.assoc.name, fk_column: self.from_col }
    }

    /// Decodes and registers a row of `to`.
    pub(crate) fn loader(&self) -> crate::session::RowLoader {
        if self.reverse { self.def.owner_loader } else { self.def.loader }
    }

    pub(crate) fn describe(&self) -> String {
        match (self.reverse, self.def.backref) {
            (true, Some(backref)) => format!("{}.{backref}", self.from.model),
            (true, None) => format!("{}.{} (reversed)", self.to.model, self.def.name),
            (false, _) => format!("{}.{}", self.from.model, self.def.name),
        }
    }
}

/// What a backref accessor returns: the parent for a NOT NULL foreign key, an
/// `Option` of it for a NULL-able one.
#[doc(hidden)]
pub trait ForeignKeyField {
    type Parent<P>;
    fn wrap<P>(parent: Option<P>, describe: impl FnOnce() -> String) -> Result<Self::Parent<P>>;
}

impl<T: crate::types::BaseType> ForeignKeyField for T {
    type Parent<P> = P;
    fn wrap<P>(parent: Option<P>, describe: impl FnOnce() -> String) -> Result<P> {
        parent.ok_or_else(|| Error::not_found(describe()))
    }
}

impl<T: crate::types::BaseType> ForeignKeyField for Option<T> {
    type Parent<P> = Option<P>;
    fn wrap<P>(parent: Option<P>, _: impl FnOnce() -> String) -> Result<Option<P>> {
        Ok(parent)
    }
}

/// The type of a model's column, looked up by the hash of the column's name: lets the
/// derive of one model check the foreign key it names on another.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no column with the name given in this relationship's `foreign_key`",
    label = "no such foreign-key column on `{Self}`",
    note = "`foreign_key = \"...\"` must name a column of the child model"
)]
pub trait ColumnNamed<const NAME_HASH: u64> {
    type Type;
}

/// A primary key of one column, which an association table can reference.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a many_to_many needs a one-column primary key, and `{Self}` is not one",
    label = "the related model's primary key has several columns",
    note = "map the association as a model of its own with two has_many instead"
)]
pub trait SingleColumnKey {
    const SQL_TYPE: crate::types::SqlType;
    const RUST_NAME: &'static str;
}

impl<T: crate::types::BaseType> SingleColumnKey for T {
    const SQL_TYPE: crate::types::SqlType = T::SQL_TYPE;
    const RUST_NAME: &'static str = T::RUST_NAME;
}

/// The SQL type of `M`'s primary key, for an association table's column (generated code).
#[doc(hidden)]
pub const fn key_sql_type<M: Model>() -> crate::types::SqlType
where
    M::PrimaryKey: SingleColumnKey,
{
    <M::PrimaryKey as SingleColumnKey>::SQL_TYPE
}

/// The Rust type name of `M`'s primary key (generated code).
#[doc(hidden)]
pub const fn key_rust_type<M: Model>() -> &'static str
where
    M::PrimaryKey: SingleColumnKey,
{
    <M::PrimaryKey as SingleColumnKey>::RUST_NAME
}

/// `M`'s table name (generated code).
#[doc(hidden)]
pub const fn table_name<M: Model>() -> &'static str {
    M::TABLE_NAME
}

/// The name of `M`'s (first) primary-key column (generated code).
#[doc(hidden)]
pub const fn key_column<M: Model>() -> &'static str {
    M::KEY_COLUMN
}

/// A column that holds no value twice (UNIQUE, or the whole primary key), looked up by
/// the hash of its name: a `has_one` needs one as its foreign key.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no unique column with the name given in this has_one's `foreign_key`",
    label = "a has_one needs a unique foreign key on `{Self}`",
    note = "mark the foreign-key field #[orm(unique)], or use has_many for several children"
)]
pub trait UniqueColumn<const NAME_HASH: u64> {}

/// A foreign-key column type that can hold the parent's key type `K`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the foreign key has type `{Self}`, which cannot hold the parent's primary key `{K}`",
    label = "foreign key type does not match the parent's key",
    note = "give the foreign-key field the parent key's type, or an Option of it"
)]
pub trait ForeignKeyOf<K> {}

impl<K: crate::types::BaseType> ForeignKeyOf<K> for K {}
impl<K: crate::types::BaseType> ForeignKeyOf<K> for Option<K> {}

/// FNV-1a of a column name, shared by the derive and [`ColumnNamed`].
#[doc(hidden)]
pub const fn name_hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}
