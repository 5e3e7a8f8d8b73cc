//! Relationship accessors: the children of a parent (`program.courses(&mut db)?`, a
//! [`Children`] guard that keeps a collection and its children's parents in step), the
//! child of a one-to-one parent, the parent of a child; read from memory or loaded on
//! first access, and changed in memory until the next flush.

use std::marker::PhantomData;

use super::{ObjectState, Session};
use crate::error::{Error, Result};
use crate::schema::link::{Link, Path, Secondary};
use crate::schema::model::Model;
use crate::schema::relationship::RelationshipDef;
use crate::session::Obj;
use crate::sql::expr::{CmpOp, ColumnRef, Expr};
use crate::sql::select::Select;

/// The children of one parent over one relationship, from [`Session::children`] (or the
/// generated accessor, `program.courses(&mut db)?`).
///
/// ```no_run
/// # use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "courses")]
/// # struct Course { #[orm(primary_key)] id: i32, title: String, #[orm(foreign_key = "programs.id")] program_id: i32 }
/// # #[derive(Model)] #[orm(table = "programs")]
/// # struct Program { #[orm(primary_key)] id: i32, name: String,
/// #   #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))] courses: HasMany<Course> }
/// # fn main() -> orm_core::Result<()> {
/// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let mut db = engine.session();
/// let cs = db.add(Program::new("Bachelors in CS"));
/// cs.courses(&mut db)?.push(Course::new("Data SCIENCE"));
/// for course in cs.courses(&mut db)?.to_vec() {
///     println!("{}", course.get().title);
/// }
/// db.commit()?; // the program first, then its course with program_id filled in
/// # Ok(()) }
/// ```
pub struct Children<'s, C> {
    session: &'s mut Session,
    parent: usize,
    /// From the owner: a foreign key from the parent, or an association table.
    via: Path,
    _model: PhantomData<fn() -> C>,
}

impl<C: Model> std::fmt::Debug for Children<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Children({}, {} loaded)", self.via.describe(), self.entries().len())
    }
}

impl<C: Model> Children<'_, C> {
    fn entries(&self) -> &[usize] {
        self.session.collections.get(&(self.parent, self.via.key())).map_or(&[], Vec::as_slice)
    }

    /// The number of children.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The child at `index`.
    pub fn get(&self, index: usize) -> Option<Obj<C>> {
        self.entries().get(index).and_then(|&e| self.session.handle(e))
    }

    /// The children, in order.
    pub fn to_vec(&self) -> Vec<Obj<C>> {
        self.entries().iter().filter_map(|&e| self.session.handle(e)).collect()
    }

    /// The children, in order.
    pub fn iter(&self) -> impl Iterator<Item = Obj<C>> + '_ {
        self.entries().iter().filter_map(|&e| self.session.handle(e))
    }

    /// Whether `child` is one of the children.
    pub fn contains(&self, child: &Obj<C>) -> bool {
        self.session.entry_of(child).is_ok_and(|e| self.entries().contains(&e))
    }

    /// Adds a new child: it joins the session (save-update cascade), and its foreign key
    /// gets the parent's key at flush (for a many-to-many collection: the association row
    /// is inserted at flush).
    pub fn push(&mut self, child: C) -> Obj<C> {
        let obj = self.session.add(child);
        let entry = obj.cell().meta.get().entry();
        match self.via {
            Path::ForeignKey { link, .. } => self.session.link_new(link, entry, self.parent),
            Path::Secondary(sec) => self.session.associate(sec, self.parent, entry),
        }
        obj
    }

    /// Moves an object of the session (or a transient one) into this collection, out of
    /// the collection it was in (a many-to-many collection adds it, keeping its others).
    pub fn push_obj(&mut self, child: &Obj<C>) -> Result<()> {
        if child.state() == ObjectState::Transient {
            self.session.add_obj(child)?;
        }
        let entry = self.session.entry_of(child)?;
        match self.via {
            Path::ForeignKey { link, .. } => self.session.link(link, entry, Some(self.parent)),
            Path::Secondary(sec) => self.session.associate(sec, self.parent, entry),
        }
        Ok(())
    }

    /// Takes a child out of the collection: its foreign key becomes NULL at flush, or
    /// the child is deleted when the relationship cascades `delete-orphan` (for a
    /// many-to-many collection: the association row is deleted, the object stays).
    /// Returns whether it was a child.
    pub fn remove(&mut self, child: &Obj<C>) -> Result<bool> {
        let entry = self.session.entry_of(child)?;
        if !self.entries().contains(&entry) {
            return Ok(false);
        }
        match self.via {
            Path::ForeignKey { link, .. } => {
                self.session.link(link, entry, None);
                if link.def.is_some_and(|d| d.cascade.delete_orphan) {
                    self.session.delete(child)?;
                }
            }
            Path::Secondary(sec) => self.session.dissociate(sec, self.parent, entry),
        }
        Ok(true)
    }

    /// Removes every child (see [`remove`](Self::remove)).
    pub fn clear(&mut self) -> Result<()> {
        for child in self.to_vec() {
            self.remove(&child)?;
        }
        Ok(())
    }

    /// Adds new children, as [`push`](Self::push) does each; returns their handles.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "courses")]
    /// # struct Course { #[orm(primary_key)] id: i32, title: String, #[orm(foreign_key = "programs.id")] program_id: i32 }
    /// # #[derive(Model)] #[orm(table = "programs")]
    /// # struct Program { #[orm(primary_key)] id: i32, name: String,
    /// #   #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))] courses: HasMany<Course> }
    /// # fn main() -> orm_core::Result<()> {
    /// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
    /// # let mut db = engine.session();
    /// let cs = db.add(Program::new("Bachelors in CS"));
    /// let added = cs.courses(&mut db)?.extend([Course::new("Data SCIENCE"), Course::new("Compilers")]);
    /// assert_eq!(added.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn extend(&mut self, children: impl IntoIterator<Item = C>) -> Vec<Obj<C>> {
        children.into_iter().map(|child| self.push(child)).collect()
    }

    /// Adds objects that exist already, as [`push_obj`](Self::push_obj) does each
    /// (`post.tags(&mut db)?.extend_objs([&classic, &award])?`).
    pub fn extend_objs<'o>(&mut self, children: impl IntoIterator<Item = &'o Obj<C>>) -> Result<()>
    where
        C: 'o,
    {
        children.into_iter().try_for_each(|child| self.push_obj(child))
    }

    /// Takes the child at `index` out of the collection (see [`remove`](Self::remove));
    /// returns it, or `None` when there is no child at `index`.
    pub fn remove_at(&mut self, index: usize) -> Result<Option<Obj<C>>> {
        let Some(child) = self.get(index) else { return Ok(None) };
        self.remove(&child)?;
        Ok(Some(child))
    }

    /// Keeps the children for which `keep` is true and takes the others out (see
    /// [`remove`](Self::remove)); returns how many went.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "courses")]
    /// # struct Course { #[orm(primary_key)] id: i32, title: String, #[orm(foreign_key = "programs.id")] program_id: Option<i32> }
    /// # #[derive(Model)] #[orm(table = "programs")]
    /// # struct Program { #[orm(primary_key)] id: i32, name: String,
    /// #   #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))] courses: HasMany<Course> }
    /// # fn main() -> orm_core::Result<()> {
    /// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
    /// # let mut db = engine.session();
    /// # let cs = db.get::<Program>(1)?.expect("program 1");
    /// let gone = cs.courses(&mut db)?.retain(|course| !course.get().title.starts_with("Old"))?;
    /// # Ok(()) }
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&Obj<C>) -> bool) -> Result<usize> {
        let going: Vec<Obj<C>> = self.iter().filter(|child| !keep(child)).collect();
        for child in &going {
            self.remove(child)?;
        }
        Ok(going.len())
    }
}

impl Session {
    /// The children of `parent` over the `has_many` (or `many_to_many`) relationship
    /// `def`, loaded on first access. Generated accessors (`program.courses(&mut db)`)
    /// call this.
    pub fn children<P: Model, C: Model>(
        &mut self,
        parent: &Obj<P>,
        def: &'static RelationshipDef,
    ) -> Result<Children<'_, C>> {
        super::loading::learn::<C>();
        if def.kind == crate::schema::relationship::RelationKind::ManyToMany {
            return self.associated(parent, def, P::TABLE);
        }
        self.check_usable()?;
        let entry = self.entry_of(parent)?;
        let link = Link::has_many(P::TABLE, def)?;
        self.ensure_collection(entry, link, "access")?;
        Ok(Children {
            session: self,
            parent: entry,
            via: Path::ForeignKey { link, from_parent: true },
            _model: PhantomData,
        })
    }

    /// The objects paired with `obj` over the `many_to_many` relationship `def` declared
    /// on `declared_on` (which is `P`'s table, or `C`'s for the other direction), loaded on
    /// first access. Generated backref accessors (`tag.posts(&mut db)`) call this.
    pub fn associated<P: Model, C: Model>(
        &mut self,
        obj: &Obj<P>,
        def: &'static RelationshipDef,
        declared_on: &'static crate::schema::table::TableDef,
    ) -> Result<Children<'_, C>> {
        super::loading::learn::<C>();
        self.check_usable()?;
        let entry = self.entry_of(obj)?;
        let sec = Secondary::new(declared_on, def, declared_on.name != P::TABLE.name)?;
        self.load_associated(entry, sec, "access")?;
        Ok(Children { session: self, parent: entry, via: Path::Secondary(sec), _model: PhantomData })
    }

    /// The child of `parent` over the `has_one` relationship `def`, loaded on first
    /// access. Generated accessors (`user.profile(&mut db)`) call this.
    pub fn child<P: Model, C: Model>(
        &mut self,
        parent: &Obj<P>,
        def: &'static RelationshipDef,
    ) -> Result<Option<Obj<C>>> {
        super::loading::learn::<C>();
        self.check_usable()?;
        let entry = self.entry_of(parent)?;
        let link = Link::has_many(P::TABLE, def)?;
        self.ensure_collection(entry, link, "access")?;
        match self.collections.get(&(entry, link.key())).map_or(&[][..], Vec::as_slice) {
            [] => Ok(None),
            [one] => Ok(self.handle(*one)),
            many => Err(Error::invalid_state(format!(
                "{} is one-to-one but {} {} rows refer to this {}; make `{}.{}` unique",
                link.describe(),
                many.len(),
                link.child.model,
                link.parent.model,
                link.child.name,
                link.child.columns[link.fk_column].name
            ))),
        }
    }

    /// Replaces the child of `parent` over the `has_one` relationship `def` (`None`
    /// removes it): the old child's foreign key becomes NULL at flush, or the old child
    /// is deleted when the relationship cascades `delete-orphan`. Generated `set_<name>`
    /// methods call this.
    pub fn set_child<P: Model, C: Model>(
        &mut self,
        parent: &Obj<P>,
        child: Option<&Obj<C>>,
        def: &'static RelationshipDef,
    ) -> Result<()> {
        super::loading::learn::<C>();
        self.check_usable()?;
        let parent_entry = self.entry_of(parent)?;
        let link = Link::has_many(P::TABLE, def)?;
        let child_entry = match child {
            Some(c) => {
                if c.state() == ObjectState::Transient {
                    self.add_obj(c)?;
                }
                Some(self.entry_of(c)?)
            }
            None => None,
        };
        self.displace_one(parent_entry, link, child_entry)?;
        if let Some(c) = child_entry {
            self.link(link, c, Some(parent_entry));
        }
        Ok(())
    }

    /// Makes room under a one-to-one parent: every child but `keep` is unlinked (or
    /// deleted, under `delete-orphan`).
    fn displace_one(&mut self, parent: usize, link: Link, keep: Option<usize>) -> Result<()> {
        let current = self.load_collection(parent, link, "a replacement")?;
        for old in current.into_iter().filter(|&c| Some(c) != keep) {
            let orphan_deleted = link.def.is_some_and(|d| d.cascade.delete_orphan);
            if !orphan_deleted && !link.child.columns[link.fk_column].nullable {
                let describe = self.entry(old).map(|e| e.obj.describe()).unwrap_or_default();
                return Err(Error::invalid_state(format!(
                    "{} already has {describe}, and `{}.{}` cannot be NULL to release it; delete it \
                     first (session.delete), or declare the relationship with cascade = \"all, delete-orphan\"",
                    link.describe(),
                    link.child.name,
                    link.child.columns[link.fk_column].name
                )));
            }
            self.link(link, old, None);
            if orphan_deleted {
                self.delete_entry(old);
            }
        }
        Ok(())
    }

    /// The parent of `child` over the relationship `def` (declared on either side):
    /// from memory when known, else loaded by the child's foreign key. Generated
    /// backref accessors (`course.program(&mut db)`) call this.
    pub fn parent<C: Model, P: Model>(
        &mut self,
        child: &Obj<C>,
        def: &'static RelationshipDef,
        declared_on: &'static crate::schema::table::TableDef,
    ) -> Result<Option<Obj<P>>> {
        self.check_usable()?;
        let entry = self.entry_of(child)?;
        let link = Link::has_many(declared_on, def)?;
        if let Some(parent) = self.current_parent(link, entry) {
            return Ok(self.handle(parent));
        }
        if self.parents.get(entry, link.key()).is_some_and(|p| p.parent.is_none()) {
            return Ok(None);
        }
        let fk = child.erased().column_value(link.fk_column)?;
        if fk.is_null() {
            return Ok(None);
        }
        let mut select = Select::new(P::TABLE);
        select.filters.push(Expr::Compare {
            column: ColumnRef::not_null(P::TABLE.name, P::TABLE.columns[link.parent_column].name),
            op: CmpOp::Eq,
            value: fk,
        });
        Ok(self.load_select::<P>(&select, None, &[])?.into_iter().next())
    }

    /// Sets the parent of `child` over the relationship `def` in memory (`None` unlinks);
    /// the foreign key follows at flush. Generated `set_<backref>` methods call this.
    pub fn set_parent<C: Model, P: Model>(
        &mut self,
        child: &Obj<C>,
        parent: Option<&Obj<P>>,
        def: &'static RelationshipDef,
        declared_on: &'static crate::schema::table::TableDef,
    ) -> Result<()> {
        self.check_usable()?;
        if child.state() == ObjectState::Transient {
            // Setting the parent of a new object brings it into the session (save-update).
            self.add_obj(child)?;
        }
        let entry = self.entry_of(child)?;
        let link = Link::has_many(declared_on, def)?;
        let parent_entry = match parent {
            Some(p) => {
                if p.state() == ObjectState::Transient {
                    self.add_obj(p)?;
                }
                Some(self.entry_of(p)?)
            }
            None => {
                if !link.child.columns[link.fk_column].nullable {
                    return Err(Error::invalid_state(format!(
                        "`{}.{}` cannot be NULL, so a {} always has a parent; delete it instead",
                        link.child.name, link.child.columns[link.fk_column].name, link.child.model
                    )));
                }
                None
            }
        };
        match parent_entry {
            Some(p) => self.set_new_parent(link, entry, p),
            None => {
                self.link(link, entry, None);
                Ok(())
            }
        }
    }

    /// Links `child` under `parent` over `link` (a one-to-one parent lets go of the child
    /// it had).
    pub(crate) fn set_new_parent(&mut self, link: Link, child: usize, parent: usize) -> Result<()> {
        if link.is_one_to_one() {
            self.displace_one(parent, link, Some(child))?;
        }
        self.link(link, child, Some(parent));
        Ok(())
    }
}
