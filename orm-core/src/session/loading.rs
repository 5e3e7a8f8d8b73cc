//! Loading objects into the session: running a SELECT whose rows become the session's
//! objects (registered in the identity map, allocated a block at a time), the loaders
//! relationship descriptions carry for each model, and lazy loading of a collection on
//! first access (with the N+1 detector).

use std::marker::PhantomData;

use super::staging::Staging;
use super::{IdentityKey, ObjectState, Session};
use crate::error::{Error, Result};
use crate::execution::row::Row;
use crate::schema::fields::Waiting;
use crate::schema::link::{Link, LinkKey};
use crate::schema::model::Model;
use crate::schema::relationship::Loading;
use crate::schema::table::TableDef;
use crate::session::Obj;
use crate::session::handle::ErasedObj;
use crate::session::options::LoadOption;
use crate::sql::expr::{CmpOp, ColumnRef, Expr};
use crate::sql::select::Select;
use crate::value::Value;

/// Decodes a row of a known model and registers it in the session: what generated code
/// hands the session so that it can load related objects of any model.
#[doc(hidden)]
pub type RowLoader = fn(&mut Session, &Row<'_>, usize) -> Result<usize>;

/// What the session needs of a model it meets only through its table (rows of it loaded
/// along a relationship, objects of it waiting in a relationship field): kept in the
/// table's [`LoaderSlot`](crate::schema::relationship::LoaderSlot) from the first time the
/// session meets the model.
pub(crate) struct ModelGlue {
    /// Decodes and registers a row.
    pub(crate) loader: RowLoader,
    /// Makes new objects of waiting values (a `Vec` of the model's type), allocated together.
    pub(crate) new_objects: fn(Waiting) -> Vec<ErasedObj>,
}

struct GlueOf<T>(PhantomData<fn() -> T>);

impl<T: Model> GlueOf<T> {
    const GLUE: ModelGlue = ModelGlue { loader: load_row::<T>, new_objects: new_objects::<T> };
}

/// New objects of `T` from waiting values.
fn new_objects<T: Model>(waiting: Waiting) -> Vec<ErasedObj> {
    let values: Vec<T> = waiting.downcast::<Vec<T>>().map(|values| *values).unwrap_or_default();
    Obj::many(values).iter().map(Obj::erased).collect()
}

/// The glue of model `T`, for its table's slot (generated `Model::learn_models` stores it).
#[doc(hidden)]
pub fn glue<T: Model>() -> &'static (dyn std::any::Any + Send + Sync) {
    &GlueOf::<T>::GLUE
}

/// Makes the session able to load and add rows of `T` and of every model its
/// relationships lead to (once per process; afterwards one atomic read).
pub(crate) fn learn<T: Model>() {
    T::learn_models();
}

/// What the session learned of the model of `table`.
pub(crate) fn glue_of(table: &'static TableDef) -> Result<&'static ModelGlue> {
    table.loader.get::<ModelGlue>().ok_or_else(|| {
        Error::schema(format!(
            "the session cannot load or add `{}` rows: it has not met the {} model; use it in the \
             session (query or add one) first",
            table.name, table.model
        ))
    })
}

/// The loader of rows of `table`.
pub(crate) fn loader_of(table: &'static TableDef) -> Result<RowLoader> {
    Ok(glue_of(table)?.loader)
}

/// While a selectin load reads children: the children's table, the column of each of
/// their rows that names its parent, and the parent's identity as the last row named it.
pub(crate) struct ParentReport {
    pub(super) child: &'static TableDef,
    pub(super) column: usize,
    pub(super) parent: &'static TableDef,
    pub(super) parent_key: Option<IdentityKey>,
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

impl Session {
    /// Makes sure a parent's collection is loaded (lazy load), and returns it (a copy).
    pub(crate) fn load_collection(&mut self, parent: usize, link: Link, why: &str) -> Result<Vec<usize>> {
        self.ensure_collection(parent, link, why)?;
        Ok(self.collections.get(&(parent, link.key())).cloned().unwrap_or_default())
    }

    /// Makes sure a parent's collection is loaded (lazy load). Costs nothing when it is.
    pub(crate) fn ensure_collection(&mut self, parent: usize, link: Link, why: &str) -> Result<()> {
        let key = (parent, link.key());
        if self.collections.contains_key(&key) {
            return Ok(());
        }
        self.collections.remember(&link);
        let pending = self.entry(parent).is_some_and(|e| e.obj.meta().state == ObjectState::Pending);
        if pending {
            // A new parent has no rows referencing it yet: only the children set in memory.
            let children = self.linked_children(parent, link);
            self.collections.insert(key, children);
            return Ok(());
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
        if link.def.is_none() {
            return Err(Error::schema(format!("{} cannot be loaded: it has no has_many declaration", link.describe())));
        }
        let loader = loader_of(link.child)?;
        let parent_value =
            self.entry(parent).map(|e| e.obj.column_value(link.parent_column)).transpose()?.unwrap_or(Value::Null);
        let mut select = Select::new(link.child);
        select.filters.push(Expr::Compare {
            column: ColumnRef::not_null(link.child.name, link.child.columns[link.fk_column].name),
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
        self.collections.insert(key, children);
        Ok(())
    }

    /// Marks the collections of rows this session just inserted as loaded: a new row's
    /// collection is kept complete while it is pending (see `link`), and nobody else has
    /// seen the row yet.
    pub(crate) fn collections_known_for_new_rows(&mut self, entries: &[usize]) {
        for &entry in entries {
            let Some(table) = self.entry(entry).map(|e| e.obj.table()) else { continue };
            for def in table.relationships.iter().filter(|d| d.kind.is_parent_side()) {
                let Ok(link) = Link::has_many(table, def) else { continue };
                self.collections.remember(&link);
                self.collections.get_or_default((entry, link.key()));
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
        let (mut conn, replica) = self.take_read_connection()?;
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
        self.put_back_read_connection(conn, replica);
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
        learn::<T>();
        let mut entries = self.select_entries(select, limit, load_row::<T>, options)?;
        if select.fans_out() {
            let mut seen = rustc_hash::FxHashSet::default();
            entries.retain(|e| seen.insert(*e));
        }
        Ok(entries.into_iter().filter_map(|e| self.handle(e)).collect())
    }
}
