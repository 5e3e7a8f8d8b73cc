//! Relationship fields of a model struct: `HasMany<T>`, `HasOne<T>`, `ManyToMany<T>`,
//! `BelongsTo<T>`. They hold the objects pushed into them before the owner joins a
//! session; the session takes them out through [`PendingVisitor`].

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;

use crate::schema::relationship::RelationshipDef;
use crate::schema::table::TableDef;

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
    /// A `Vec<T>`, when a child was pushed.
    pending: Option<Waiting>,
    count: usize,
    _child: PhantomData<fn() -> T>,
}

/// The objects waiting in a relationship field, a `Vec<T>` with its type erased: a model
/// holds its pending related objects without containing their types, so that the
/// compiler's drop check of a model does not walk the whole chain of models related to it
/// (a chain of hundreds of models compiles with the default recursion limit). Only a
/// `Vec` of the field's type goes in, and it comes out as that.
#[doc(hidden)]
pub type Waiting = Box<dyn Any + Send + Sync>;

/// The objects of a [`Waiting`], as the `T`s they are.
fn waiting_as<T: Any>(waiting: Option<&Waiting>) -> &[T] {
    waiting.and_then(|w| w.downcast_ref::<Vec<T>>()).map_or(&[], Vec::as_slice)
}

impl<T> HasMany<T> {
    /// The number of children waiting to join a session with the parent.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no child is waiting.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The waiting children, moved out as they are kept (for the session).
    #[doc(hidden)]
    pub fn take_waiting(&mut self) -> Option<Waiting> {
        self.count = 0;
        self.pending.take()
    }
}

impl<T: Any + Send + Sync> HasMany<T> {
    /// Adds a child that joins the session with its parent.
    pub fn push(&mut self, child: T) {
        let waiting = self.pending.get_or_insert_with(|| Box::new(Vec::<T>::new()));
        if let Some(children) = waiting.downcast_mut::<Vec<T>>() {
            children.push(child);
            self.count += 1;
        }
    }

    /// The waiting children.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        waiting_as::<T>(self.pending.as_ref()).iter()
    }
}

impl<T> Default for HasMany<T> {
    fn default() -> Self {
        HasMany { pending: None, count: 0, _child: PhantomData }
    }
}

impl<T: Clone + Any + Send + Sync> Clone for HasMany<T> {
    fn clone(&self) -> Self {
        let children: Vec<T> = self.iter().cloned().collect();
        HasMany { count: children.len(), pending: Some(Box::new(children)), _child: PhantomData }
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
        if self.count == 0 { f.write_str("HasMany") } else { write!(f, "HasMany({} waiting)", self.count) }
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
    pending: Option<Waiting>,
    _child: PhantomData<fn() -> T>,
}

impl<T: Any + Send + Sync> HasOne<T> {
    /// Sets the child that joins the session with its parent.
    pub fn set(&mut self, child: T) {
        self.pending = Some(Box::new(vec![child]));
    }

    /// The child waiting to join a session with the parent.
    pub fn get(&self) -> Option<&T> {
        waiting_as::<T>(self.pending.as_ref()).first()
    }
}

impl<T> HasOne<T> {
    /// The waiting child, moved out as it is kept (for the session).
    #[doc(hidden)]
    pub fn take_waiting(&mut self) -> Option<Waiting> {
        self.pending.take()
    }
}

impl<T> Default for HasOne<T> {
    fn default() -> Self {
        HasOne { pending: None, _child: PhantomData }
    }
}

impl<T: Clone + Any + Send + Sync> Clone for HasOne<T> {
    fn clone(&self) -> Self {
        HasOne { pending: self.get().map(|c| Box::new(vec![c.clone()]) as Waiting), _child: PhantomData }
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
/// `#[orm(belongs_to(Category, foreign_key = "category_id"))] category: BelongsTo<Category>`.
///
/// In a session, reach the parent through the generated accessor
/// (`book.category(&mut db)?`) and change it with `set_category`. Before the object joins
/// a session, its parent can be set here, as SQLAlchemy's `Book(category=scifi)`: a new
/// parent ([`to`](Self::to), added with the child) or one already in the session
/// ([`to_obj`](Self::to_obj)). The foreign key follows at flush.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model, Clone)] #[orm(table = "categories")]
/// # struct Category { #[orm(primary_key)] id: i32, name: String,
/// #   #[orm(foreign_key = "categories.id")] parent_id: Option<i32>,
/// #   #[orm(belongs_to(Category, foreign_key = "parent_id"))] parent: BelongsTo<Category> }
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Category::table()])?;
/// let mut db = engine.session();
/// let fiction = db.add(Category::new("Fiction"));
/// let scifi = db.add(Category { parent: BelongsTo::to_obj(&fiction), ..Category::new("Sci-fi") });
/// let space = db.add(Category {
///     parent: BelongsTo::to(Category::new("Hard SF")), // a new parent, added with it
///     ..Category::new("Space opera")
/// });
/// db.commit()?;
/// assert_eq!(scifi.get().parent_id, Some(fiction.get().id));
/// assert_eq!(space.parent(&mut db)?.unwrap().get().name, "Hard SF");
/// # Ok::<(), orm_core::Error>(())
/// ```
pub struct BelongsTo<T> {
    pub(crate) pending: Option<StoredParent>,
    _parent: PhantomData<fn() -> T>,
}

/// A [`BelongsTo`]'s parent as the field keeps it (its type erased, see [`Waiting`]).
#[doc(hidden)]
pub enum StoredParent {
    /// A new parent, added with the child.
    New(Waiting),
    /// An object of a session: which session, its entry, and the object's identity there
    /// (its allocation and index), checked when the child joins.
    InSession { session: u64, entry: usize, block: usize, index: u32 },
}

impl<T> BelongsTo<T> {
    /// Whether a parent waits to be linked when the object joins a session.
    pub fn is_set(&self) -> bool {
        self.pending.is_some()
    }

    /// The waiting parent, moved out as it is kept (for the session).
    #[doc(hidden)]
    pub fn take_waiting(&mut self) -> Option<StoredParent> {
        self.pending.take()
    }
}

impl<T: Any + Send + Sync> BelongsTo<T> {
    /// A new parent object, added to the session with the child.
    pub fn to(parent: T) -> BelongsTo<T> {
        BelongsTo { pending: Some(StoredParent::New(Box::new(vec![parent]))), _parent: PhantomData }
    }

    /// Sets a new parent object, added to the session with the child.
    pub fn set(&mut self, parent: T) {
        self.pending = Some(StoredParent::New(Box::new(vec![parent])));
    }
}

impl<T> Default for BelongsTo<T> {
    fn default() -> Self {
        BelongsTo { pending: None, _parent: PhantomData }
    }
}

impl<T: Clone + Any + Send + Sync> Clone for BelongsTo<T> {
    fn clone(&self) -> Self {
        let pending = self.pending.as_ref().and_then(|p| match p {
            StoredParent::New(value) => {
                waiting_as::<T>(Some(value)).first().map(|v| StoredParent::New(Box::new(vec![v.clone()])))
            }
            StoredParent::InSession { session, entry, block, index } => {
                Some(StoredParent::InSession { session: *session, entry: *entry, block: *block, index: *index })
            }
        });
        BelongsTo { pending, _parent: PhantomData }
    }
}

impl<T> PartialEq for BelongsTo<T> {
    /// Relationship fields never make two objects differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for BelongsTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.pending.is_some() { "BelongsTo(1 waiting)" } else { "BelongsTo" })
    }
}

/// What takes the objects out of a model's relationship fields when it joins a session
/// (the session, which adds them and links them to the owner). Generated
/// `Model::take_pending_children` calls it once per field that holds objects. The objects
/// come with their model's table, their types erased: the session adds them through what
/// it learned of that model, so that a model's code names no code of its related models.
#[doc(hidden)]
pub trait PendingVisitor {
    /// Children (of the model of `target`) pushed into the `has_many` (or `has_one`) field
    /// `def` of a `declared_on` row.
    fn children(
        &mut self,
        def: &'static RelationshipDef,
        declared_on: &'static TableDef,
        target: &'static TableDef,
        children: Waiting,
    );

    /// Objects pushed into the `many_to_many` field `def` of a `declared_on` row.
    fn members(
        &mut self,
        def: &'static RelationshipDef,
        declared_on: &'static TableDef,
        target: &'static TableDef,
        members: Waiting,
    );

    /// The parent set on the `belongs_to` field `def` of a `declared_on` row.
    fn parent(
        &mut self,
        def: &'static RelationshipDef,
        declared_on: &'static TableDef,
        target: &'static TableDef,
        parent: StoredParent,
    );
}
