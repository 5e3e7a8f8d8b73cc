//! Typed relationship handles (`Program::COURSES`), generated per relationship field:
//! filters over related rows (`any`, `has`, `exists`) and joins along them.

use std::fmt;
use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::schema::link::{Link, Path, Secondary};
use crate::schema::model::Model;
use crate::schema::relationship::{RelationKind, RelationshipDef};
use crate::schema::table::TableDef;
use crate::sql::expr::Expr;

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

/// The related rows an existence filter looks for (built by [`Relationship::any`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub(crate) path: Result<Path, String>,
    pub(crate) filter: Option<Box<Expr>>,
}

/// The link of a relationship whose children are counted.
pub(crate) fn counted_link<P: Model, C: Model>(rel: &Relationship<P, C>) -> Result<Link> {
    match rel.path()? {
        // Many-to-many: count the association rows.
        Path::Secondary(sec) => Ok(Link {
            parent: sec.from,
            child: sec.assoc,
            fk_column: sec.from_col,
            parent_column: sec.from_key,
            def: None,
        }),
        Path::ForeignKey { link, from_parent: true } => Ok(link),
        Path::ForeignKey { from_parent: false, .. } => Err(Error::invalid_state(format!(
            "{rel:?} goes from a child to its parent: there is one parent (or none) per row to count"
        ))),
    }
}
