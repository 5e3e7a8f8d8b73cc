//! Eager loading: the relationships a query's options (or the relationships' own
//! `lazy = ..`) ask for, loaded with the parents: `selectin` (one extra statement for all
//! parents, `fk = ANY($1)`) and `joined` (LEFT OUTER JOINs in the parents' statement),
//! chained through levels.

use rustc_hash::FxHashMap as HashMap;

use super::loading::{ParentReport, RowLoader, loader_of};
use super::{IdentityKey, Session};
use crate::error::{Error, Result};
use crate::execution::row::read_value;
use crate::schema::link::{Link, Path, Secondary};
use crate::schema::relationship::Loading;
use crate::session::options::LoadOption;
use crate::sql::expr::{ColumnRef, Expr};
use crate::sql::select::Select;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// The owners (entries) holding each key value.
pub(crate) type OwnersByKey = HashMap<IdentityKey, Vec<usize>>;

impl Session {
    pub(super) fn select_entries(
        &mut self,
        select: &Select,
        limit: Option<u64>,
        loader: RowLoader,
        options: &[LoadOption],
    ) -> Result<Vec<usize>> {
        let options = effective_options(select.model_table()?, options)?;
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
                    // The children are listed only when options go on below them.
                    let nested = effective_options(link.child, &option.then)?;
                    let children = self.select_in(parents, link, !nested.is_empty())?;
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
    fn select_in(&mut self, parents: &[usize], link: Link, list_children: bool) -> Result<Vec<usize>> {
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
                column: ColumnRef::not_null(child_table.name, child_table.columns[fk].name),
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
                if list_children {
                    all_children.push(child);
                }
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
        self.collections.remember(&link);
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
        let root = select.model_table()?;
        let root_name = select.root_name();
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
        // The query's own rows are selected first, in a subquery, where it limits them,
        // joins other tables or aliases its own: the joined children then attach to those.
        let selected_first = select.limit.is_some()
            || select.offset.is_some()
            || limit.is_some()
            || !select.joins.is_empty()
            || root_name != root.name;
        let inner = if selected_first {
            let mut tables = Vec::new();
            select.order.iter().for_each(|o| o.node.tables(&mut tables));
            if let Some(other) = tables.into_iter().find(|t| *t != root_name) {
                return Err(Error::unsupported(format!(
                    "joined loading orders the loaded objects by their own columns only, and this query                      orders by `{other}`; load the relationship with selectinload(..) instead"
                )));
            }
            Some(select.render(dialect, limit)?)
        } else {
            None
        };
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ").select_list(root, root_name);
        for slot in &slots {
            for c in slot.link.child.columns {
                w.push(", ").ident(&slot.alias).push(".").ident(c.name);
            }
        }
        w.push(" FROM ");
        let filtered_inside = inner.is_some();
        match inner {
            Some((sql, inner_params)) => {
                w.push("(").push(&sql).push(") AS ").ident(root_name);
                w.params = inner_params;
            }
            None => {
                w.ident(root.name);
            }
        }
        for slot in &slots {
            let parent_alias =
                if slot.parent == 0 { root_name.to_owned() } else { slots[slot.parent - 1].alias.clone() };
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

        for slot in &slots {
            self.collections.remember(&slot.link);
        }
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
                    let collection = s.collections.get_or_default((p, slot.link.key()));
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
    if link.def.is_none() {
        return Err(Error::schema(format!("{} has no has_many declaration to load it with", link.describe())));
    }
    loader_of(link.child)
}
