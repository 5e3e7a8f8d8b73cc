//! Loading related objects: lazy collection and parent access, `selectin` (one extra
//! statement for all parents) and `joined` (in the parents' statement), and the
//! `Children` guard that keeps a collection and its children's parents in step.

use rustc_hash::FxHashMap as HashMap;
use std::marker::PhantomData;

use super::staging::Staging;
use super::{IdentityKey, ObjectState, Session};
use crate::error::{Error, Result};
use crate::execution::row::{Row, read_value};
use crate::schema::link::{Link, LinkKey, Path, Secondary};
use crate::schema::model::Model;
use crate::schema::relationship::{Loading, ModelHook, RelationshipDef};
use crate::session::Obj;
use crate::session::options::LoadOption;
use crate::sql::expr::{CmpOp, ColumnRef, Expr};
use crate::sql::select::Select;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// The owners (entries) holding each key value.
pub(crate) type OwnersByKey = HashMap<IdentityKey, Vec<usize>>;

/// Decodes a row of a known model and registers it in the session: what generated code
/// hands the session so that it can load related objects of any model.
#[doc(hidden)]
pub type RowLoader = fn(&mut Session, &Row<'_>, usize) -> Result<usize>;

/// The loader of model `T`, and the hook that carries it in relationship descriptions
/// (`RelationshipDef::loader`), which the schema layer cannot name.
#[doc(hidden)]
pub struct LoaderOf<T>(PhantomData<fn() -> T>);

impl<T: Model> LoaderOf<T> {
    /// [`load_row::<T>`](load_row).
    pub const LOADER: RowLoader = load_row::<T>;
    /// The loader as the derive stores it.
    pub const HOOK: ModelHook = ModelHook::new(&Self::LOADER);
}

/// The loader a relationship description carries.
pub(crate) fn loader_of(hook: ModelHook) -> Result<RowLoader> {
    hook.get::<RowLoader>()
        .copied()
        .ok_or_else(|| Error::schema("a relationship carries no row loader; derive its models with #[derive(Model)]"))
}

/// While a selectin load reads children: the children's table, the column of each of
/// their rows that names its parent, and the parent's identity as the last row named it.
pub(crate) struct ParentReport {
    child: &'static crate::schema::table::TableDef,
    column: usize,
    parent: &'static crate::schema::table::TableDef,
    parent_key: Option<IdentityKey>,
}

/// The loader of model `T`.
#[doc(hidden)]
pub fn load_row<T: Model>(session: &mut Session, row: &Row<'_>, offset: usize) -> Result<usize> {
    let value = T::from_row(row, offset)?;
    if let Some(report) = &mut session.report
        && (std::ptr::eq(report.child, T::TABLE) || report.child.name == T::TABLE.name)
    {
        report.parent_key = Some(IdentityKey::of_value(report.parent, value.column_value(report.column)));
    }
    session.register_row(value)
}

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
        if def.kind == crate::schema::relationship::RelationKind::ManyToMany {
            return self.associated(parent, def, P::TABLE);
        }
        self.check_usable()?;
        let entry = self.entry_of(parent)?;
        let link = Link::has_many(P::TABLE, def)?;
        self.load_collection(entry, link, "access")?;
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
        self.check_usable()?;
        let entry = self.entry_of(parent)?;
        let link = Link::has_many(P::TABLE, def)?;
        match self.load_collection(entry, link, "access")?.as_slice() {
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
            column: ColumnRef { table: P::TABLE.name, name: P::TABLE.columns[link.parent_column].name },
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
        if let Some(p) = parent_entry
            && link.is_one_to_one()
        {
            self.displace_one(p, link, Some(entry))?;
        }
        self.link(link, entry, parent_entry);
        Ok(())
    }

    /// The children of a parent that the session holds, without loading anything.
    pub(crate) fn children_in_memory(&self, parent: usize, link: Link) -> Vec<usize> {
        if let Some(children) = self.collections.get(&(parent, link.key())) {
            return children.clone();
        }
        self.live_entries()
            .filter(|(_, e)| e.obj.table().name == link.child.name)
            .map(|(i, _)| i)
            .filter(|&i| self.current_parent(link, i) == Some(parent))
            .collect()
    }

    /// Makes sure a parent's collection is loaded (lazy load), and returns it.
    pub(crate) fn load_collection(&mut self, parent: usize, link: Link, why: &str) -> Result<Vec<usize>> {
        let key = (parent, link.key());
        if let Some(children) = self.collections.get(&key) {
            return Ok(children.clone());
        }
        let pending = self.entry(parent).is_some_and(|e| e.obj.meta().state == ObjectState::Pending);
        if pending {
            // A new parent has no rows referencing it yet: only the children set in memory.
            let children = self.linked_children(parent, link);
            self.collections.insert(key, children.clone());
            return Ok(children);
        }
        let raise = link.default_loading() == Loading::Raise || self.raise_on_load.contains(&key);
        if raise && why == "access" {
            return Err(Error::invalid_state(format!(
                "{} is not loaded and is declared lazy = \"raise\"; load it with the query \
                 (.options(selectinload(..)) or joinedload(..))",
                link.describe()
            )));
        }
        // No autoflush: children pushed in memory are merged in below, so that new
        // children of several parents still go out together at the next flush.
        self.note_lazy_load(link.key(), || link.describe())?;
        let Some(loader) = link.def.map(|d| loader_of(d.loader)).transpose()? else {
            return Err(Error::schema(format!("{} cannot be loaded: it has no has_many declaration", link.describe())));
        };
        let parent_value =
            self.entry(parent).map(|e| e.obj.column_value(link.parent_column)).transpose()?.unwrap_or(Value::Null);
        let mut select = Select::new(link.child);
        select.filters.push(Expr::Compare {
            column: ColumnRef { table: link.child.name, name: link.child.columns[link.fk_column].name },
            op: CmpOp::Eq,
            value: parent_value,
        });
        let loaded = self.run_select(&select, None, loader)?;
        let mut children: Vec<usize> =
            loaded.into_iter().filter(|&c| self.current_parent(link, c) == Some(parent)).collect();
        for c in self.linked_children(parent, link) {
            if !children.contains(&c) {
                children.push(c);
            }
        }
        self.collections.insert(key, children.clone());
        Ok(children)
    }

    /// Marks the collections of rows this session just inserted as loaded: a new row's
    /// collection is kept complete while it is pending (see `link`), and nobody else has
    /// seen the row yet.
    pub(crate) fn collections_known_for_new_rows(&mut self, entries: &[usize]) {
        for &entry in entries {
            let Some(table) = self.entry(entry).map(|e| e.obj.table()) else { continue };
            for def in table.relationships.iter().filter(|d| d.kind.is_parent_side()) {
                let Ok(link) = Link::has_many(table, def) else { continue };
                self.collections.entry((entry, link.key())).or_default();
            }
        }
    }

    /// Children linked to `parent` in memory (pushed, or moved from another parent).
    fn linked_children(&self, parent: usize, link: Link) -> Vec<usize> {
        let mut children: Vec<usize> = self
            .parents
            .iter()
            .filter(|(_, p)| p.link.key() == link.key() && p.parent == Some(parent))
            .map(|(c, _)| c)
            .collect();
        children.sort_unstable();
        children
    }

    /// Counts lazy loads of a relationship; warns (or fails, in strict mode) when the
    /// same relationship is lazily loaded again: the N+1 pattern.
    pub(crate) fn note_lazy_load(&mut self, key: LinkKey, describe: impl FnOnce() -> String) -> Result<()> {
        let mode = self.engine.n_plus_one();
        if mode == crate::execution::engine::NPlusOne::Off {
            return Ok(());
        }
        let count = self.lazy_loads.entry(key).or_insert(0);
        *count += 1;
        if *count < 2 {
            return Ok(());
        }
        let message = format!(
            "{} was lazily loaded for another parent in this session ({} loads): an N+1 query \
             pattern; load it with the parents (.options(selectinload(..)) or joinedload(..))",
            describe(),
            count
        );
        match mode {
            crate::execution::engine::NPlusOne::Error => Err(Error::invalid_state(message)),
            _ => {
                if *count == 2 {
                    log::warn!(target: "orm::n_plus_one", "{message}");
                }
                Ok(())
            }
        }
    }

    /// Runs a query on the session's connection, handing each row to `f` together with
    /// the session (to register the objects it holds).
    pub(crate) fn with_rows(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&mut Session, &Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.read_connection()?;
        let mut conn = self.conn.take().expect("connection just checked out");
        let mut first = true;
        self.staging = Some(Staging::new(self.id, self.entries.len()));
        let result = conn.query_raw(sql, params, |row| {
            if first {
                first = false;
                self.reserve(row.total_hint());
                // One row: nothing to allocate together.
                if row.total_hint() == 1 {
                    self.staging = None;
                } else if let Some(staging) = &mut self.staging {
                    staging.rows_hint = row.total_hint();
                }
            }
            f(self, row)
        });
        self.conn = Some(conn);
        // Also after a failure: the rows read so far are registered.
        if let Some(staging) = self.staging.take() {
            staging.finish(&mut self.entries);
        }
        result.map(drop)
    }

    /// Runs a SELECT of `select.table`, registering each row with `loader`.
    pub(crate) fn run_select(&mut self, select: &Select, limit: Option<u64>, loader: RowLoader) -> Result<Vec<usize>> {
        let (sql, params) = select.render(self.engine.dialect(), limit)?;
        let mut entries = Vec::new();
        self.with_rows(&sql, &params, |s, row| {
            entries.push(loader(s, row, 0)?);
            Ok(())
        })?;
        Ok(entries)
    }

    /// Runs a SELECT of `T` with eager loading options, returning handles in row order.
    pub(crate) fn load_select<T: Model>(
        &mut self,
        select: &Select,
        limit: Option<u64>,
        options: &[LoadOption],
    ) -> Result<Vec<Obj<T>>> {
        let mut entries = self.select_entries(select, limit, load_row::<T>, options)?;
        if select.fans_out() {
            let mut seen = rustc_hash::FxHashSet::default();
            entries.retain(|e| seen.insert(*e));
        }
        Ok(entries.into_iter().filter_map(|e| self.handle(e)).collect())
    }

    fn select_entries(
        &mut self,
        select: &Select,
        limit: Option<u64>,
        loader: RowLoader,
        options: &[LoadOption],
    ) -> Result<Vec<usize>> {
        let options = effective_options(select.table, options)?;
        let joined: Vec<&LoadOption> = options
            .iter()
            .filter(|o| o.strategy == Loading::Joined && !matches!(o.path, Ok(Path::Secondary(_))))
            .collect();
        let entries = if joined.is_empty() {
            self.run_select(select, limit, loader)?
        } else {
            self.run_joined(select, limit, loader, &joined)?
        };
        self.apply_options(&entries, &options)?;
        Ok(entries)
    }

    /// Loads, for the objects `parents` (all of one table), what `options` ask for.
    fn apply_options(&mut self, parents: &[usize], options: &[LoadOption]) -> Result<()> {
        for option in options {
            if let Ok(Path::Secondary(sec)) = option.path {
                // Many-to-many: `joined` loads with one extra statement too.
                match option.strategy {
                    Loading::SelectIn | Loading::Joined => {
                        let members = self.select_associated(parents, sec)?;
                        let nested = effective_options(sec.to, &option.then)?;
                        if !members.is_empty() {
                            self.apply_options(&members, &nested)?;
                        }
                    }
                    Loading::Raise => {
                        for &p in parents {
                            self.raise_on_load.insert((p, sec.key()));
                        }
                    }
                    Loading::Lazy => {}
                }
                continue;
            }
            let link = option_link(option)?;
            match option.strategy {
                Loading::SelectIn => {
                    let children = self.select_in(parents, link)?;
                    let nested = effective_options(link.child, &option.then)?;
                    if !children.is_empty() {
                        self.apply_options(&children, &nested)?;
                    }
                }
                Loading::Joined => {
                    // The rows came with the parents' statement; go on below them.
                    let children: Vec<usize> = parents
                        .iter()
                        .filter_map(|&p| self.collections.get(&(p, link.key())))
                        .flatten()
                        .copied()
                        .collect();
                    let nested: Vec<LoadOption> = effective_options(link.child, &option.then)?
                        .into_iter()
                        .filter(|o| o.strategy != Loading::Joined || !option.then.iter().any(|t| same_option(t, o)))
                        .collect();
                    if !children.is_empty() {
                        self.apply_options(&children, &nested)?;
                    }
                }
                Loading::Raise => {
                    for &p in parents {
                        self.raise_on_load.insert((p, link.key()));
                    }
                }
                Loading::Lazy => {}
            }
        }
        Ok(())
    }

    /// The distinct non-NULL values of `owners`' column `column` (of `table`), in order,
    /// and the owners holding each: what a SELECT for all their collections looks up.
    pub(crate) fn owner_keys(
        &self,
        owners: impl Iterator<Item = usize>,
        table: &'static crate::schema::table::TableDef,
        column: usize,
    ) -> Result<(Vec<Value>, OwnersByKey)> {
        let mut keys = Vec::new();
        let mut by_key = OwnersByKey::default();
        for owner in owners {
            let Some(e) = self.entry(owner) else { continue };
            let v = e.obj.column_value(column)?;
            if v.is_null() {
                continue;
            }
            let owners_of_key = by_key.entry(IdentityKey::single(table, &v)).or_default();
            if owners_of_key.is_empty() {
                keys.push(v);
            }
            owners_of_key.push(owner);
        }
        Ok((keys, by_key))
    }

    /// How many keys one `IN (..)` may list: all of them as one array parameter, else
    /// as many as the dialect binds (one parameter spare).
    pub(crate) fn in_list_chunk(&self) -> usize {
        let dialect = self.engine.dialect();
        if dialect.array_params() { usize::MAX } else { (dialect.max_bind_params() - 1).max(1) }
    }

    /// `SELECT child.* FROM child WHERE child.fk = ANY($1)`: the collections of all
    /// `parents` in one statement (chunked where bind parameters are limited).
    fn select_in(&mut self, parents: &[usize], link: Link) -> Result<Vec<usize>> {
        let loader = link_loader(link)?;
        let (keys, by_key) = self.owner_keys(parents.iter().copied(), link.parent, link.parent_column)?;
        // Each key's place in `keys`, and the children found for it there.
        let slots: HashMap<IdentityKey, usize> =
            keys.iter().enumerate().map(|(slot, k)| (IdentityKey::single(link.parent, k), slot)).collect();
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
        let mut all_children = Vec::new();
        let chunk = self.in_list_chunk();
        let (child_table, fk) = (link.child, link.fk_column);
        for part in keys.chunks(chunk) {
            let mut select = Select::new(child_table);
            select.filters.push(Expr::In {
                column: ColumnRef { table: child_table.name, name: child_table.columns[fk].name },
                values: part.to_vec(),
                negated: false,
            });
            let (sql, params) = select.render(self.engine.dialect(), None)?;
            let per_key = |rows: usize| rows / part.len().max(1);
            // Each child goes to its parent's group as its row is read, by the foreign key
            // the loader reports (the object is not read again).
            self.report = Some(ParentReport { child: child_table, column: fk, parent: link.parent, parent_key: None });
            let read = self.with_rows(&sql, &params, |s, row| {
                let child = loader(s, row, 0)?;
                all_children.push(child);
                let parent = s.report.as_ref().and_then(|r| r.parent_key.as_ref());
                if let Some(&slot) = parent.and_then(|key| slots.get(key)) {
                    let group = &mut groups[slot];
                    if group.capacity() == 0 {
                        group.reserve(per_key(row.total_hint()));
                    }
                    group.push(child);
                }
                Ok(())
            });
            self.report = None;
            read?;
        }
        for (key, mut owners) in by_key {
            let children = slots.get(&key).map(|&slot| std::mem::take(&mut groups[slot])).unwrap_or_default();
            let last = owners.pop();
            for p in owners {
                self.collections.insert((p, link.key()), children.clone());
            }
            if let Some(p) = last {
                self.collections.insert((p, link.key()), children);
            }
        }
        Ok(all_children)
    }

    /// The parents' SELECT with LEFT OUTER JOINs for `joined` relationships (and the
    /// joined relationships below them), filling their collections from the same rows.
    fn run_joined(
        &mut self,
        select: &Select,
        limit: Option<u64>,
        loader: RowLoader,
        joined: &[&LoadOption],
    ) -> Result<Vec<usize>> {
        // Slots: the root table, then each joined table with its parent slot.
        struct Slot {
            link: Link,
            parent: usize,
            alias: String,
            offset: usize,
            loader: RowLoader,
        }
        let root = select.table;
        let mut slots: Vec<Slot> = Vec::new();
        let mut offset = root.columns.len();
        fn add_slots(slots: &mut Vec<Slot>, offset: &mut usize, parent: usize, option: &LoadOption) -> Result<()> {
            let link = option_link(option)?;
            let slot = Slot {
                link,
                parent,
                alias: format!("{}_{}", link.child.name, slots.len() + 1),
                offset: *offset,
                loader: link_loader(link)?,
            };
            *offset += link.child.columns.len();
            slots.push(slot);
            let me = slots.len(); // slot index + 1 (0 is the root)
            for then in option.then.iter().filter(|t| t.strategy == Loading::Joined) {
                add_slots(slots, offset, me, then)?;
            }
            Ok(())
        }
        for option in joined {
            add_slots(&mut slots, &mut offset, 0, option)?;
        }

        let dialect = self.engine.dialect();
        let inner = if select.limit.is_some() || select.offset.is_some() || limit.is_some() {
            Some(select.render(dialect, limit)?)
        } else {
            None
        };
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ").select_list(root);
        for slot in &slots {
            for c in slot.link.child.columns {
                w.push(", ").ident(&slot.alias).push(".").ident(c.name);
            }
        }
        w.push(" FROM ");
        let filtered_inside = inner.is_some();
        match inner {
            Some((sql, inner_params)) => {
                w.push("(").push(&sql).push(") AS ").ident(root.name);
                w.params = inner_params;
            }
            None => {
                w.ident(root.name);
            }
        }
        for slot in &slots {
            let parent_alias =
                if slot.parent == 0 { root.name.to_owned() } else { slots[slot.parent - 1].alias.clone() };
            w.push(" LEFT OUTER JOIN ").ident(slot.link.child.name).push(" AS ").ident(&slot.alias).push(" ON ");
            w.ident(&slot.alias).push(".").ident(slot.link.child.columns[slot.link.fk_column].name);
            w.push(" = ").ident(&parent_alias).push(".").ident(slot.link.parent.columns[slot.link.parent_column].name);
        }
        if !filtered_inside {
            for (i, f) in select.filters.iter().enumerate() {
                w.push(if i == 0 { " WHERE " } else { " AND " });
                w.push("(").expr(f).push(")");
            }
        }
        w.order_by(&select.order);
        let (sql, params) = w.finish();

        let mut roots: Vec<usize> = Vec::new();
        let mut seen_roots = rustc_hash::FxHashSet::default();
        self.with_rows(&sql, &params, |s, row| {
            let mut slot_entries: Vec<Option<usize>> = Vec::with_capacity(slots.len() + 1);
            let root_entry = loader(s, row, 0)?;
            if seen_roots.insert(root_entry) {
                roots.push(root_entry);
            }
            slot_entries.push(Some(root_entry));
            for slot in &slots {
                let parent = slot_entries[slot.parent];
                let child_table = slot.link.child;
                let pk = child_table.primary_key[0];
                let present = !read_value(row, slot.offset + pk, child_table, pk)?.is_null();
                let child = if present { Some((slot.loader)(s, row, slot.offset)?) } else { None };
                if let Some(p) = parent {
                    let collection = s.collections.entry((p, slot.link.key())).or_default();
                    if let Some(c) = child
                        && !collection.contains(&c)
                    {
                        collection.push(c);
                    }
                }
                slot_entries.push(child);
            }
            Ok(())
        })?;
        Ok(roots)
    }
}

/// The options of a query on `table`: the explicit ones, plus the relationships declared
/// `lazy = "selectin"` / `"joined"` that no explicit option mentions.
fn effective_options(
    table: &'static crate::schema::table::TableDef,
    explicit: &[LoadOption],
) -> Result<Vec<LoadOption>> {
    let mut options: Vec<LoadOption> = explicit.to_vec();
    for def in table.relationships.iter().filter(|d| d.kind != crate::schema::relationship::RelationKind::BelongsTo) {
        if !matches!(def.loading, Loading::SelectIn | Loading::Joined) {
            continue;
        }
        let path = if def.kind == crate::schema::relationship::RelationKind::ManyToMany {
            Path::Secondary(Secondary::new(table, def, false)?)
        } else {
            Path::ForeignKey { link: Link::has_many(table, def)?, from_parent: true }
        };
        let option = LoadOption { path: Ok(path), strategy: def.loading, then: Vec::new() };
        let mentioned = explicit.iter().any(|o| o.key().is_some() && o.key() == option.key());
        if !mentioned {
            options.push(option);
        }
    }
    Ok(options)
}

fn same_option(a: &LoadOption, b: &LoadOption) -> bool {
    a.key().is_some() && a.key() == b.key() && a.strategy == b.strategy
}

/// The foreign key of an option that loads along one (many-to-many options are handled
/// before this is asked).
fn option_link(option: &LoadOption) -> Result<Link> {
    match &option.path {
        Ok(Path::ForeignKey { link, .. }) => Ok(*link),
        Ok(path @ Path::Secondary(_)) => {
            Err(Error::schema(format!("{} has no foreign key of its own", path.describe())))
        }
        Err(e) => Err(Error::schema(e.clone())),
    }
}

fn link_loader(link: Link) -> Result<RowLoader> {
    let def = link
        .def
        .ok_or_else(|| Error::schema(format!("{} has no has_many declaration to load it with", link.describe())))?;
    loader_of(def.loader)
}
