//! A flush's plan: which rows it inserts, updates and deletes, table by table, and in
//! which order. Deletions are expanded along relationships first (cascades, passive
//! deletes, NULLed foreign keys); tables go in foreign-key order, and rows of one table
//! that reference each other go in waves.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::association;
use super::{ObjectState, Session, modified};
use crate::error::{Error, Result};
use crate::execution::batch;
use crate::schema::identity_key::IdentityKey;
use crate::schema::link::{Link, LinkKey};
use crate::schema::table::{ReferentialAction, TableDef};
use crate::value::Value;

/// What one flush does.
pub(super) struct Plan {
    /// Tables in foreign-key order (parents first).
    pub(super) order: Vec<&'static TableDef>,
    pub(super) inserts: HashMap<&'static str, Vec<usize>>,
    pub(super) updates: HashMap<&'static str, Vec<usize>>,
    /// Rows to DELETE, per table.
    pub(super) deletes: HashMap<&'static str, Vec<usize>>,
    /// Rows the database deletes itself (ON DELETE CASCADE under passive_deletes).
    pub(super) deleted_by_database: Vec<usize>,
    /// Association tables with many-to-many pairs to insert, and to delete.
    pub(super) pair_inserts: usize,
    pub(super) pair_deletes: usize,
}

impl Plan {
    pub(super) fn is_empty(&self) -> bool {
        self.inserts.is_empty()
            && self.updates.is_empty()
            && self.deletes.is_empty()
            && self.deleted_by_database.is_empty()
            && self.pair_inserts == 0
            && self.pair_deletes == 0
    }
}

pub(super) fn prepare(s: &mut Session) -> Result<Plan> {
    let mut by_database = Vec::new();
    resolve_deletes(s, &mut by_database)?;
    let deleted: HashSet<usize> = s.deleted.iter().chain(&by_database).copied().collect();

    let mut tables: Vec<&'static TableDef> = Vec::new();
    let touch = |t: &'static TableDef, tables: &mut Vec<&'static TableDef>| {
        if !tables.iter().any(|x| x.name == t.name) {
            tables.push(t);
        }
    };
    // New rows come in runs of one table (children added with their parent): the table
    // is looked up once per run.
    let mut new_rows: Vec<(&'static TableDef, Vec<usize>)> = Vec::new();
    let mut run = usize::MAX;
    for &entry in &s.new {
        let Some(e) = s.entry(entry) else { continue };
        let t = e.obj.table();
        if new_rows.get(run).is_none_or(|(rt, _)| !std::ptr::eq(*rt, t)) {
            run = new_rows.iter().position(|(rt, _)| rt.name == t.name).unwrap_or_else(|| {
                touch(t, &mut tables);
                new_rows.push((t, Vec::new()));
                new_rows.len() - 1
            });
        }
        new_rows[run].1.push(entry);
    }
    let inserts: HashMap<&'static str, Vec<usize>> = new_rows.into_iter().map(|(t, rows)| (t.name, rows)).collect();

    // Children whose parent set in memory is not what their foreign key says yet.
    let mut relinked: HashSet<usize> = HashSet::default();
    for (child, p) in s.parents.iter() {
        let Some(e) = s.entry(child) else { continue };
        // New rows take their foreign keys at insert; only persistent ones need an UPDATE.
        if e.obj.meta().state != ObjectState::Persistent || deleted.contains(&child) {
            continue;
        }
        if p.parent.is_none()
            && !p.link.child.columns[p.link.fk_column].nullable
            && e.obj.column_value(p.link.fk_column).is_ok_and(|v| !v.is_null())
        {
            return Err(Error::invalid_state(format!(
                "{} was removed from {} but `{}.{}` cannot be NULL; delete it instead \
                 (session.delete), or declare the relationship with cascade = \"all, delete-orphan\"",
                e.obj.describe(),
                p.link.describe(),
                p.link.child.name,
                p.link.child.columns[p.link.fk_column].name
            )));
        }
        relinked.insert(child);
    }

    // Changed objects are the recorded ones (and the relinked children): the rest of the
    // session is not looked at. Rows go in entry order, as the objects joined the session.
    let mut candidates: Vec<usize> = modified::recorded(s.id).into_iter().chain(relinked.iter().copied()).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut updates: HashMap<&'static str, Vec<usize>> = HashMap::default();
    for entry in candidates {
        let Some(e) = s.entry(entry) else { continue };
        if e.obj.meta().state != ObjectState::Persistent || deleted.contains(&entry) {
            continue;
        }
        if relinked.contains(&entry) || !e.obj.changed_columns()?.is_empty() {
            let t = e.obj.table();
            touch(t, &mut tables);
            updates.entry(t.name).or_default().push(entry);
        }
    }

    let mut deletes: HashMap<&'static str, Vec<usize>> = HashMap::default();
    for &entry in &s.deleted {
        let Some(e) = s.entry(entry) else { continue };
        let t = e.obj.table();
        touch(t, &mut tables);
        deletes.entry(t.name).or_default().push(entry);
    }
    let order = crate::schema::table_order::sort_tables(&tables)?;
    let (pair_inserts, pair_deletes) = (association::pair_tables(s, true), association::pair_tables(s, false));
    Ok(Plan { order, inserts, updates, deletes, deleted_by_database: by_database, pair_inserts, pair_deletes })
}

/// Expands the deletions marked so far along `has_many` relationships: cascade delete,
/// passive deletes (leave it to ON DELETE), or NULLing the children's foreign keys.
fn resolve_deletes(s: &mut Session, by_database: &mut Vec<usize>) -> Result<()> {
    let mut in_memory = ChildrenInMemory::default();
    let mut removed: HashSet<usize> = HashSet::default();
    let mut i = 0;
    while let Some(parent) = s.deleted.get(i) {
        i += 1;
        let Some(e) = s.entry(parent) else { continue };
        let table = e.obj.table();
        let describe = e.obj.describe();
        for def in table.relationships.iter().filter(|r| r.kind.is_parent_side()) {
            let link = Link::has_many(table, def)?;
            let on_delete = link.child.columns[link.fk_column].foreign_key.as_ref().map(|f| f.on_delete);
            if def.passive_deletes {
                // Children the database removes (or un-links) itself: only those the
                // session holds are touched, and without statements.
                for child in in_memory.of(s, parent, link) {
                    match on_delete {
                        Some(ReferentialAction::Cascade)
                            if !removed.contains(&child) && !s.deleted.contains(&child) =>
                        {
                            removed.insert(child);
                            by_database.push(child);
                            cascade_by_database(s, child, by_database, &mut removed, &mut in_memory)?;
                        }
                        Some(ReferentialAction::Cascade) => {}
                        Some(ReferentialAction::SetNull) => {
                            if let Some(c) = s.entry(child) {
                                c.obj.set_column(link.fk_column, Value::Null)?;
                                c.obj.clear_snapshot();
                            }
                        }
                        _ => {}
                    }
                }
                continue;
            }
            let children = s.load_collection(parent, link, "a delete cascade")?;
            for child in children {
                if s.deleted.contains(&child) {
                    continue;
                }
                if def.cascade.delete {
                    s.deleted.push(child);
                } else if link.child.columns[link.fk_column].nullable {
                    s.link(link, child, None);
                } else {
                    let c = s.entry(child).map(|c| c.obj.describe()).unwrap_or_default();
                    return Err(Error::invalid_state(format!(
                        "cannot delete {describe}: {c} refers to it and `{}.{}` cannot be NULL; \
                         declare {} with cascade = \"all\" to delete the children too, or with \
                         passive_deletes to leave it to ON DELETE CASCADE",
                        link.child.name,
                        link.child.columns[link.fk_column].name,
                        link.describe()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A row removed by ON DELETE CASCADE takes its own loaded children with it when their
/// foreign keys cascade too.
fn cascade_by_database(
    s: &mut Session,
    entry: usize,
    by_database: &mut Vec<usize>,
    removed: &mut HashSet<usize>,
    in_memory: &mut ChildrenInMemory,
) -> Result<()> {
    let Some(e) = s.entry(entry) else {
        return Ok(());
    };
    let table = e.obj.table();
    for def in table.relationships.iter().filter(|r| r.kind.is_parent_side()) {
        let link = Link::has_many(table, def)?;
        let cascades = link.child.columns[link.fk_column]
            .foreign_key
            .as_ref()
            .is_some_and(|f| f.on_delete == ReferentialAction::Cascade);
        if cascades {
            for child in in_memory.of(s, entry, link) {
                if removed.insert(child) {
                    by_database.push(child);
                    cascade_by_database(s, child, by_database, removed, in_memory)?;
                }
            }
        }
    }
    Ok(())
}

/// The children a parent has in the session over a link, for deletes the database
/// cascades: its loaded collection, or else the session's objects of the child table
/// whose parent it is, found by reading those objects once per link and flush (not once
/// per deleted parent).
#[derive(Default)]
struct ChildrenInMemory {
    by_link: HashMap<LinkKey, HashMap<usize, Vec<usize>>>,
}

impl ChildrenInMemory {
    fn of(&mut self, s: &Session, parent: usize, link: Link) -> Vec<usize> {
        if let Some(children) = s.collections.get(&(parent, link.key())) {
            return children.clone();
        }
        let by_parent = self.by_link.entry(link.key()).or_insert_with(|| {
            let mut by_parent: HashMap<usize, Vec<usize>> = HashMap::default();
            for (child, e) in s.live_entries() {
                if e.obj.table().name == link.child.name
                    && let Some(p) = s.current_parent(link, child)
                {
                    by_parent.entry(p).or_default().push(child);
                }
            }
            by_parent
        });
        by_parent.get(&parent).cloned().unwrap_or_default()
    }
}

/// Whether the whole flush is one statement, so that committing needs no BEGIN.
pub(super) fn single_statement(s: &Session, plan: &Plan) -> bool {
    if !plan.deleted_by_database.is_empty() && plan.deletes.is_empty() {
        return false;
    }
    // An UPDATE or DELETE of several rows that matches fewer than expected (another
    // transaction changed them, or their version) must change nothing. On PostgreSQL the
    // one statement checks its own count (`batch::guard_count`); elsewhere it runs in a
    // transaction that the failure rolls back.
    let dialect = s.engine.dialect();
    let self_checking = |rows: &Vec<usize>| {
        rows.len() < 2
            || (dialect.array_params()
                && rows.first().and_then(|&r| s.entry(r)).is_some_and(|e| batch::binds_columns(dialect, e.obj.table())))
    };
    if !plan.updates.values().chain(plan.deletes.values()).all(self_checking) {
        return false;
    }
    // Each table (and association table) touched needs a statement at least.
    if plan.inserts.len() + plan.updates.len() + plan.deletes.len() + plan.pair_inserts + plan.pair_deletes > 1 {
        return false;
    }
    let statements = plan.inserts.values().map(|rows| insert_statements(s, rows)).sum::<usize>()
        + plan.updates.values().map(|rows| update_statements(s, rows)).sum::<usize>()
        + plan.deletes.values().map(|rows| delete_statements(s, rows)).sum::<usize>()
        + plan.pair_inserts
        + plan.pair_deletes;
    statements == 1
}

/// How many UPDATE statements a table's changed rows need: one per set of changed
/// columns (a foreign key that follows a new parent counts as changed).
fn update_statements(s: &Session, rows: &[usize]) -> usize {
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for &row in rows {
        let Some(e) = s.entry(row) else { continue };
        let mut changed = e.obj.changed_columns().unwrap_or_default();
        for p in s.parent_links(row) {
            if !changed.contains(&p.link.fk_column) {
                changed.push(p.link.fk_column);
            }
        }
        changed.sort_unstable();
        if !sets.contains(&changed) {
            sets.push(changed);
        }
    }
    sets.len()
}

fn delete_statements(s: &Session, rows: &[usize]) -> usize {
    let Some(table) = rows.first().and_then(|&r| s.entry(r)).map(|e| e.obj.table()) else {
        return 0;
    };
    delete_waves(s, table, rows).map_or(2, |waves| waves.len())
}

fn insert_statements(s: &Session, rows: &[usize]) -> usize {
    let Some(first) = rows.first().and_then(|&r| s.entry(r)) else {
        return 0;
    };
    let table = first.obj.table();
    // Rows that leave different server defaults to the database go in different statements.
    let runs = super::unit_of_work::default_runs(s, &table.server_default_columns(), rows).map_or(1, |r| r.len());
    if runs > 1 {
        return runs;
    }
    let waves = insert_waves(s, table, rows).len();
    let per_row = table.columns.iter().filter(|c| !c.generated_on_insert()).count().max(1);
    let chunk = batch::max_rows(s.engine.dialect(), table, per_row);
    waves.max(1) * rows.len().div_ceil(chunk).max(1)
}

/// Whether a persistent row's UPDATE moves it off a one-to-one parent (to none, or to a
/// parent already in the database): it goes before the table's INSERTs, so that a new
/// child can take the parent's unique key.
pub(super) fn releases_one_to_one(s: &Session, row: usize) -> bool {
    s.parent_links(row).any(|p| p.link.is_one_to_one() && p.parent.is_none_or(|e| !s.is_pending(e)))
}

/// Tables whose rows this flush deletes before anything else: children of a one-to-one
/// relationship (so that a replacement can take the unique key) that no row deleted
/// later depends on.
pub(super) fn early_deletes(s: &Session, plan: &Plan) -> Vec<&'static str> {
    plan.deletes
        .iter()
        .filter(|(_, rows)| rows.iter().any(|&r| s.parent_links(r).any(|p| p.link.is_one_to_one())))
        .map(|(&name, _)| name)
        .filter(|&name| {
            !plan.order.iter().any(|t| {
                t.name != name && plan.deletes.contains_key(t.name) && t.referenced_tables().any(|r| r == name)
            })
        })
        .filter(|&name| plan.inserts.contains_key(name) || plan.updates.contains_key(name))
        .collect()
}

/// Splits a table's pending rows so that a row whose parent (in the same table) is also
/// pending comes in a later wave than the parent. Rows keep their order within a wave.
pub(super) fn insert_waves(s: &Session, table: &'static TableDef, rows: &[usize]) -> Vec<Vec<usize>> {
    // The table's foreign keys to itself (read off its columns, not off the links set).
    let self_links: Vec<LinkKey> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.foreign_key.as_ref().is_some_and(|fk| fk.table == table.name))
        .map(|(i, _)| LinkKey::new(table.name, i))
        .collect();
    if self_links.is_empty() || rows.len() < 2 {
        return vec![rows.to_vec()];
    }
    let pending: HashSet<usize> = rows.iter().copied().collect();
    let mut depth: HashMap<usize, usize> = HashMap::default();
    fn depth_of(
        s: &Session,
        row: usize,
        links: &[LinkKey],
        pending: &HashSet<usize>,
        depth: &mut HashMap<usize, usize>,
        seen: &mut Vec<usize>,
    ) -> usize {
        if let Some(&d) = depth.get(&row) {
            return d;
        }
        if seen.contains(&row) {
            return 0; // a cycle among new rows: the database will refuse it
        }
        seen.push(row);
        let mut d = 0;
        for &link in links {
            if let Some(p) = s.parents.get(row, link).and_then(|p| p.parent)
                && pending.contains(&p)
            {
                d = d.max(1 + depth_of(s, p, links, pending, depth, seen));
            }
        }
        seen.pop();
        depth.insert(row, d);
        d
    }
    let mut waves: Vec<Vec<usize>> = Vec::new();
    for &row in rows {
        let d = depth_of(s, row, &self_links, &pending, &mut depth, &mut Vec::new());
        if waves.len() <= d {
            waves.resize_with(d + 1, Vec::new);
        }
        waves[d].push(row);
    }
    waves
}

/// Splits a table's deleted rows so that a row referencing another deleted row of the same
/// table (a tree) goes in an earlier wave: leaves first, so no delete cascades into rows
/// that a later statement of the flush expects to find.
pub(super) fn delete_waves(s: &Session, table: &'static TableDef, rows: &[usize]) -> Result<Vec<Vec<usize>>> {
    let self_refs: Vec<(usize, usize)> = table
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let fk = c.foreign_key.as_ref().filter(|fk| fk.table == table.name)?;
            Some((i, table.column_index(fk.column)?))
        })
        .collect();
    if self_refs.is_empty() || rows.len() < 2 {
        return Ok(vec![rows.to_vec()]);
    }
    let mut values = Vec::with_capacity(rows.len());
    for &row in rows {
        let e = s.entry(row).expect("live entry");
        values.push(match e.obj.snapshot() {
            Some(snapshot) => snapshot,
            None => e.obj.values()?,
        });
    }
    // For each row, the positions (in `rows`) of the deleted rows it references.
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for &(fk, target) in &self_refs {
        let by_target: HashMap<IdentityKey, usize> =
            values.iter().enumerate().map(|(n, v)| (IdentityKey::single(table, &v[target]), n)).collect();
        for (n, v) in values.iter().enumerate() {
            if let Some(&p) = (!v[fk].is_null()).then(|| by_target.get(&IdentityKey::single(table, &v[fk]))).flatten() {
                parents[n].push(p);
            }
        }
    }
    // Height: 0 for rows no other deleted row references, else 1 + the highest child.
    let mut height = vec![0usize; rows.len()];
    for _ in 0..rows.len() {
        let mut changed = false;
        for (child, ps) in parents.iter().enumerate() {
            for &p in ps {
                if p != child && height[p] < height[child] + 1 && height[child] < rows.len() {
                    height[p] = height[child] + 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut waves: Vec<Vec<usize>> = vec![Vec::new(); height.iter().max().map_or(1, |h| h + 1)];
    for (n, &row) in rows.iter().enumerate() {
        waves[height[n]].push(row);
    }
    Ok(waves)
}
