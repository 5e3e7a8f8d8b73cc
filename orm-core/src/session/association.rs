//! Many-to-many collections: pairs of objects linked through the rows of an association
//! table, kept in step on both sides in memory, loaded with one statement for any number
//! of owners, and written by the unit of work as INSERTs and DELETEs of association rows.

use rustc_hash::FxHashMap as HashMap;

use super::{IdentityKey, Session};
use crate::error::{Error, Result};
use crate::execution::batch;
use crate::execution::row::read_value;
use crate::schema::link::Secondary;
use crate::schema::relationship::Loading;
use crate::schema::table::TableDef;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// One association row in memory: the table and the entries for its first and second
/// column (so that both directions name a pair alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PairKey {
    assoc: &'static str,
    first: usize,
    second: usize,
}

impl PairKey {
    fn new(sec: &Secondary, from: usize, to: usize) -> PairKey {
        if sec.from_col < sec.to_col {
            PairKey { assoc: sec.assoc.name, first: from, second: to }
        } else {
            PairKey { assoc: sec.assoc.name, first: to, second: from }
        }
    }

    pub(crate) fn involves(&self, entry: usize) -> bool {
        self.first == entry || self.second == entry
    }

    /// The entry paired with `from`, when the pair is in `sec`'s table with `from` on its
    /// `from` side.
    fn other_end(&self, sec: &Secondary, from: usize) -> Option<usize> {
        if self.assoc != sec.assoc.name {
            return None;
        }
        let (mine, other) =
            if sec.from_col < sec.to_col { (self.first, self.second) } else { (self.second, self.first) };
        (mine == from).then_some(other)
    }
}

impl Session {
    /// Links `from` and `to` over `sec`: both loaded collections follow, and the flush
    /// inserts the association row.
    pub(crate) fn associate(&mut self, sec: Secondary, from: usize, to: usize) {
        let key = PairKey::new(&sec, from, to);
        match self.pairs.get(&key) {
            Some(false) => {
                self.pairs.remove(&key);
            }
            Some(true) => {}
            None => {
                if self.collections.get(&(from, sec.key())).is_some_and(|c| c.contains(&to)) {
                    return; // already linked in the database
                }
                self.pairs.insert(key, true);
            }
        }
        for (owner, member, path) in [(from, to, sec), (to, from, sec.reversed())] {
            let collection = if self.is_pending(owner) {
                Some(self.collections.get_or_default((owner, path.key())))
            } else {
                self.collections.get_mut(&(owner, path.key()))
            };
            if let Some(c) = collection
                && !c.contains(&member)
            {
                c.push(member);
            }
        }
    }

    /// Unlinks `from` and `to` over `sec`; the flush deletes the association row.
    pub(crate) fn dissociate(&mut self, sec: Secondary, from: usize, to: usize) {
        let key = PairKey::new(&sec, from, to);
        if self.pairs.remove(&key) != Some(true) {
            self.pairs.insert(key, false);
        }
        for (owner, member, path) in [(from, to, sec), (to, from, sec.reversed())] {
            if let Some(c) = self.collections.get_mut(&(owner, path.key())) {
                c.retain(|&m| m != member);
            }
        }
    }

    /// Makes sure the many-to-many collection of `owner` is loaded. Costs nothing when it is.
    pub(crate) fn load_associated(&mut self, owner: usize, sec: Secondary, why: &str) -> Result<()> {
        let key = (owner, sec.key());
        if self.collections.contains_key(&key) {
            return Ok(());
        }
        if self.is_pending(owner) {
            let members = self.pending_members(owner, &sec, true);
            self.collections.insert(key, members);
            return Ok(());
        }
        let declared_raise = !sec.is_reversed() && sec.def.loading == Loading::Raise;
        if why == "access" && (declared_raise || self.raise_on_load.contains(&key)) {
            return Err(Error::invalid_state(format!(
                "{} is not loaded and is declared lazy = \"raise\"; load it with the query \
                 (.options(selectinload(..)))",
                sec.describe()
            )));
        }
        self.note_lazy_load(sec.key(), || sec.describe())?;
        self.select_associated(&[owner], sec)?;
        Ok(())
    }

    /// Entries paired with `owner` (added, or removed) in memory since the last flush.
    fn pending_members(&self, owner: usize, sec: &Secondary, added: bool) -> Vec<usize> {
        let mut members: Vec<usize> =
            self.pairs.iter().filter(|(_, a)| **a == added).filter_map(|(k, _)| k.other_end(sec, owner)).collect();
        members.sort_unstable();
        members
    }

    /// `SELECT to.*, assoc.from_col FROM to JOIN assoc ON .. WHERE assoc.from_col = ANY($1)`:
    /// the collections of all `owners` in one statement (chunked where bind parameters are
    /// limited), merged with the pairs changed in memory. Returns every loaded member.
    pub(crate) fn select_associated(&mut self, owners: &[usize], sec: Secondary) -> Result<Vec<usize>> {
        let loader = super::loading::loader_of(sec.to)?;
        let live = owners.iter().copied().filter(|&o| !self.is_pending(o));
        let (keys, by_key) = self.owner_keys(live, sec.from, sec.from_key)?;
        let dialect = self.engine.dialect();
        let chunk = self.in_list_chunk();
        let mut all = Vec::new();
        let mut grouped: HashMap<IdentityKey, Vec<usize>> = HashMap::default();
        let extra = sec.to.columns.len();
        for part in keys.chunks(chunk) {
            let (sql, params) = associated_select(dialect, &sec, part);
            self.with_rows(&sql, &params, |s, row| {
                let member = loader(s, row, 0)?;
                let owner_key = read_value(row, extra, sec.assoc, sec.from_col)?;
                grouped.entry(IdentityKey::single(sec.from, &owner_key)).or_default().push(member);
                all.push(member);
                Ok(())
            })?;
        }
        for (key, owners_of_key) in by_key {
            let loaded = grouped.remove(&key).unwrap_or_default();
            for owner in owners_of_key {
                if self.pairs.is_empty() {
                    // Nothing changed in memory (the usual case): the rows are the collection.
                    self.collections.insert((owner, sec.key()), loaded.clone());
                    continue;
                }
                let removed = self.pending_members(owner, &sec, false);
                let mut members: Vec<usize> = loaded.iter().copied().filter(|m| !removed.contains(m)).collect();
                for m in self.pending_members(owner, &sec, true) {
                    if !members.contains(&m) {
                        members.push(m);
                    }
                }
                self.collections.insert((owner, sec.key()), members);
            }
        }
        Ok(all)
    }
}

/// The statement that loads the `to` rows paired with the owners whose keys are `keys`.
fn associated_select(
    dialect: &'static dyn crate::sql::dialect::Dialect,
    sec: &Secondary,
    keys: &[Value],
) -> (String, Vec<Value>) {
    let (to, assoc) = (sec.to, sec.assoc);
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT ")
        .select_list(to, to.name)
        .push(", ")
        .ident(assoc.name)
        .push(".")
        .ident(assoc.columns[sec.from_col].name);
    w.push(" FROM ").ident(to.name).push(" JOIN ").ident(assoc.name).push(" ON ");
    w.ident(assoc.name).push(".").ident(assoc.columns[sec.to_col].name);
    w.push(" = ").ident(to.name).push(".").ident(to.columns[sec.to_key].name);
    w.push(" WHERE ").ident(assoc.name).push(".").ident(assoc.columns[sec.from_col].name);
    match keys {
        [one] => {
            w.push(" = ").param(one.clone());
        }
        _ if dialect.array_params() => {
            w.push(" = ANY(").param(Value::Array(keys.to_vec())).push(")");
        }
        _ => {
            w.push(" IN (");
            for (n, k) in keys.iter().enumerate() {
                w.push(if n == 0 { "" } else { ", " }).param(k.clone());
            }
            w.push(")");
        }
    }
    w.finish()
}

/// The association rows a flush writes: `insert` picks the pairs added in memory,
/// otherwise the pairs removed. Pairs with an object deleted in the same flush are left
/// to the database (the association table's foreign keys cascade).
pub(crate) fn pair_rows(
    s: &Session,
    insert: bool,
    deleted: &rustc_hash::FxHashSet<usize>,
) -> Result<Vec<(&'static TableDef, Vec<Value>)>> {
    let mut rows: Vec<(&'static TableDef, Vec<Value>)> = Vec::new();
    let mut keys: Vec<&PairKey> = s.pairs.iter().filter(|(_, a)| **a == insert).map(|(k, _)| k).collect();
    keys.sort_unstable_by_key(|k| (k.assoc, k.first, k.second));
    for k in keys {
        if insert && (deleted.contains(&k.first) || deleted.contains(&k.second)) {
            continue;
        }
        let (Some(first), Some(second)) = (s.entry(k.first), s.entry(k.second)) else { continue };
        let Some(assoc) = association_table(first.obj.table(), second.obj.table(), k.assoc) else { continue };
        let mut values = Vec::with_capacity(2);
        for (obj, column) in [(&first.obj, &assoc.columns[0]), (&second.obj, &assoc.columns[1])] {
            let referenced = column.foreign_key.as_ref().map(|fk| fk.column).unwrap_or_default();
            let index = obj.table().column_index(referenced).ok_or_else(|| {
                Error::schema(format!("`{}` has no column `{referenced}` for `{}`", obj.table().name, assoc.name))
            })?;
            values.push(obj.column_value(index)?);
        }
        rows.push((assoc, values));
    }
    Ok(rows)
}

/// The association table called `name` that one of the two tables declares.
fn association_table(a: &'static TableDef, b: &'static TableDef, name: &str) -> Option<&'static TableDef> {
    a.relationships.iter().chain(b.relationships).filter_map(|r| r.secondary).find(|t| t.name == name)
}

/// Inserts (or deletes) association rows, one statement per table (and chunk).
pub(crate) fn write_pairs(s: &mut Session, rows: Vec<(&'static TableDef, Vec<Value>)>, insert: bool) -> Result<()> {
    let mut by_table: Vec<(&'static TableDef, Vec<Vec<Value>>)> = Vec::new();
    for (table, values) in rows {
        match by_table.iter_mut().find(|(t, _)| t.name == table.name) {
            Some((_, all)) => all.push(values),
            None => by_table.push((table, vec![values])),
        }
    }
    let dialect = s.engine.dialect();
    for (table, rows) in by_table {
        let conn = s.connection()?;
        let result = if insert {
            batch::insert_values(conn, dialect, table, rows)
        } else {
            batch::delete(conn, dialect, table, rows)
        };
        result.map_err(|e| {
            let doing = if insert { "inserting into" } else { "deleting from" };
            e.context(format!(
                "flush failed {doing} the association table `{}`; nothing of the flush was written",
                table.name
            ))
        })?;
    }
    Ok(())
}

/// How many association tables the pairs added (or removed) in memory touch: the
/// statements `write_pairs` needs, before chunking.
pub(crate) fn pair_tables(s: &Session, insert: bool) -> usize {
    let mut tables: Vec<&str> = s.pairs.iter().filter(|(_, a)| **a == insert).map(|(k, _)| k.assoc).collect();
    tables.sort_unstable();
    tables.dedup();
    tables.len()
}
