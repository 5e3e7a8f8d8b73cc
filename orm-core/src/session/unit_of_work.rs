//! The unit of work: what a flush writes, in which order, in how few statements.
//!
//! 1. *Prepare* and 2. *Order* make the flush's plan (`flush_plan.rs`): delete cascades
//!    expanded (loading children when needed), the pending, changed and deleted objects
//!    collected, tables sorted by their foreign keys (parents inserted and updated before
//!    children, children deleted before parents), rows of one table that point at each
//!    other split in waves.
//! 3. *Execute*, in one transaction: one multi-row INSERT ... RETURNING per table (and
//!    wave), one UPDATE per table and set of changed columns, one DELETE per table.
//!    Parent keys are copied into children's foreign keys just before their rows go out.
//! 4. *Finish*: on success the objects change state; on failure every column the flush
//!    set is restored, the transaction is rolled back and the session must be rolled
//!    back before further use.

use super::association;
use super::deleted::Deletions;
use super::flush_plan::{
    Plan, delete_waves, early_deletes, insert_waves, prepare, releases_one_to_one, single_statement,
};
use super::handle::InsertColumns;
use super::{Meta, ObjectState, ParentLink, Session, TxRecord, modified};
use crate::error::{Error, Result};
use crate::execution::batch;
use crate::schema::identity_key::IdentityKey;
use crate::schema::link::LinkKey;
use crate::schema::managed::{Clock, is_unset_time, next_version};
use crate::schema::table::TableDef;
use crate::value::Value;

/// Undo information of one flush: columns it set (newest last), and the pending rows
/// it has inserted so far.
#[derive(Default)]
struct Undo {
    columns: Vec<(usize, usize, Value)>,
    /// The instant the flush stamps `created_at` / `updated_at` columns with.
    clock: Clock,
    /// Indexed by entry: whether the flush has inserted that pending row.
    inserted: Vec<bool>,
}

pub(crate) fn flush(s: &mut Session, committing: bool) -> Result<()> {
    if let Some(e) = s.refused_add.take() {
        // The objects are not as the application built them: roll back before going on.
        s.poison(e.to_string());
        return Err(e.context("an object added to the session could not be linked; nothing was written"));
    }
    s.prune_unchanged();
    if !s.is_dirty() {
        return Ok(());
    }
    #[cfg(feature = "tracing")]
    let _span =
        tracing::info_span!(target: "orm::session", "orm.flush", orm.objects = s.len(), orm.committing = committing)
            .entered();
    let deleted_before = s.deleted.clone();
    let plan = match prepare(s).and_then(|plan| before_write(s, &plan).map(|()| plan)) {
        Ok(plan) => plan,
        Err(e) => {
            s.deleted = deleted_before;
            return Err(e);
        }
    };
    if plan.is_empty() {
        mark_links_synced(s);
        return Ok(());
    }
    let single = committing && !s.in_transaction() && single_statement(s, &plan);
    let mut undo = Undo::default();
    let result = (|| {
        if single {
            s.writes_on_primary();
        } else {
            s.ensure_transaction()?;
        }
        execute(s, &plan, &mut undo)
    })();
    match result {
        Ok(updated) => {
            finish(s, plan, undo, updated);
            if single {
                // The statement committed on its own.
                s.note_commit();
            }
            Ok(())
        }
        Err(e) => {
            fail(s, undo, deleted_before);
            Err(e)
        }
    }
}

/// Runs the plan; returns the updated entries.
fn execute(s: &mut Session, plan: &Plan, undo: &mut Undo) -> Result<Vec<usize>> {
    let mut updated = Vec::new();
    // Association rows first: nothing references them.
    if plan.pair_deletes > 0 {
        let rows = association::pair_rows(s, false, &rustc_hash::FxHashSet::default())?;
        association::write_pairs(s, rows, false)?;
    }
    // One-to-one children deleted in this flush free their unique foreign keys first.
    let early = early_deletes(s, plan);
    for &table in plan.order.iter().rev().filter(|t| early.contains(&t.name)) {
        delete_table(s, table, &plan.deletes[table.name])?;
    }
    // Rows moved off a one-to-one parent, if any: looked for row by row only then.
    let moves_one_to_one = s.parents.iter().any(|(_, p)| p.link.is_one_to_one());
    for &table in &plan.order {
        let (releases, updates) = match plan.updates.get(table.name) {
            Some(rows) if moves_one_to_one => rows.iter().partition(|&&row| releases_one_to_one(s, row)),
            Some(rows) => (Vec::new(), rows.clone()),
            None => (Vec::new(), Vec::new()),
        };
        if !releases.is_empty() {
            update_rows(s, table, &releases, undo, &mut updated)?;
        }
        if let Some(rows) = plan.inserts.get(table.name) {
            for wave in insert_waves(s, table, rows) {
                insert_wave(s, table, &wave, undo)?;
            }
        }
        if !updates.is_empty() {
            update_rows(s, table, &updates, undo, &mut updated)?;
        }
    }
    // New association rows, once both sides have their keys.
    if plan.pair_inserts > 0 {
        let deleted: rustc_hash::FxHashSet<usize> =
            plan.deletes.values().flatten().chain(&plan.deleted_by_database).copied().collect();
        let rows = association::pair_rows(s, true, &deleted)?;
        association::write_pairs(s, rows, true)?;
    }
    for &table in plan.order.iter().rev().filter(|t| !early.contains(&t.name)) {
        if let Some(rows) = plan.deletes.get(table.name) {
            delete_table(s, table, rows)?;
        }
    }
    Ok(updated)
}

fn delete_table(s: &mut Session, table: &'static TableDef, rows: &[usize]) -> Result<()> {
    for wave in delete_waves(s, table, rows)? {
        delete_rows(s, table, &wave)?;
    }
    Ok(())
}

/// The key of the parent whose children are being synced, read once for all of them
/// (children of one parent come one after another).
struct LastParent {
    entry: usize,
    column: usize,
    key: Value,
}

/// Copies the key of the parent set in memory into the child's foreign key.
fn sync_foreign_keys(s: &Session, entry: usize, undo: &mut Undo, last: &mut Option<LastParent>) -> Result<()> {
    let mut keys = Vec::new();
    parent_keys(s, entry, s.parent_links(entry), &undo.inserted, last, &mut keys)?;
    for (column, value) in keys {
        set_column(s, entry, column, value, undo)?;
    }
    Ok(())
}

/// The foreign keys a child takes from its parents set in memory (`links`), as
/// (column, parent key) pairs in `out`. A parent
/// without a key yet is an error: it is not in the session, or not inserted before.
fn parent_keys(
    s: &Session,
    entry: usize,
    links: impl Iterator<Item = ParentLink>,
    inserted: &[bool],
    last: &mut Option<LastParent>,
    out: &mut Vec<(usize, Value)>,
) -> Result<()> {
    for p in links {
        let (link, parent) = (p.link, p.parent);
        let value = match parent {
            Some(p) if last.as_ref().is_some_and(|l| l.entry == p && l.column == link.parent_column) => {
                last.as_ref().map_or(Value::Null, |l| l.key.clone())
            }
            Some(p) => {
                let Some(pe) = s.entry(p) else { continue };
                let v = pe.obj.column_value(link.parent_column)?;
                let unsaved = pe.obj.meta().state == ObjectState::Pending && !inserted.get(p).copied().unwrap_or(false);
                if v.is_null() || unsaved {
                    return Err(Error::invalid_state(format!(
                        "cannot save {}: its parent {} has no key yet (is it in the session?)",
                        s.entry(entry).map(|e| e.obj.describe()).unwrap_or_default(),
                        pe.obj.describe()
                    )));
                }
                *last = Some(LastParent { entry: p, column: link.parent_column, key: v.clone() });
                v
            }
            None => Value::Null,
        };
        out.push((link.fk_column, value));
    }
    Ok(())
}

fn set_column(s: &Session, entry: usize, column: usize, value: Value, undo: &mut Undo) -> Result<()> {
    let e = s.entry(entry).expect("live entry");
    let old = e.obj.column_value(column)?;
    if old != value {
        e.obj.set_column(column, value)?;
        undo.columns.push((entry, column, old));
    }
    Ok(())
}

/// INSERTs the new rows of one table (and wave): one statement (or batch) per run of
/// consecutive rows that leave the same server-default columns to the database (NULL in
/// the object), so that a value the user set is always sent and keys follow add order.
fn insert_wave(s: &mut Session, table: &'static TableDef, rows: &[usize], undo: &mut Undo) -> Result<()> {
    for stamp in [table.created_at, table.updated_at].into_iter().flatten() {
        for &row in rows {
            let current = s.entry(row).expect("live entry").obj.column_value(stamp)?;
            if is_unset_time(&current) {
                let now = undo.clock.now(table, stamp)?;
                set_column(s, row, stamp, now, undo)?;
            }
        }
    }
    let defaults = table.server_default_columns();
    for (run, unset) in default_runs(s, &defaults, rows)? {
        let (given, generated) =
            table.insert_columns(|c| defaults.iter().position(|&d| d == c).is_some_and(|k| unset[k]));
        insert_run(s, table, &rows[run], &given, &generated, undo)?;
    }
    Ok(())
}

/// The runs of consecutive `rows` that leave the same of the `defaults` columns to the
/// database (NULL in the object), with which they leave; one run when there are none.
pub(super) fn default_runs(
    s: &Session,
    defaults: &[usize],
    rows: &[usize],
) -> Result<Vec<(std::ops::Range<usize>, Vec<bool>)>> {
    if defaults.is_empty() {
        return Ok(vec![(0..rows.len(), Vec::new())]);
    }
    let mut runs: Vec<(std::ops::Range<usize>, Vec<bool>)> = Vec::new();
    for (n, &row) in rows.iter().enumerate() {
        let obj = &s.entry(row).expect("live entry").obj;
        let unset = defaults.iter().map(|&c| obj.column_value(c).map(|v| v.is_null())).collect::<Result<Vec<_>>>()?;
        match runs.last_mut() {
            Some((run, same)) if *same == unset => run.end = n + 1,
            _ => runs.push((n..n + 1, unset)),
        }
    }
    Ok(runs)
}

/// INSERTs rows that send the same columns. Each row is handled in two calls on its
/// object: one takes its parents' keys and lends its values to the statement, one after
/// the statement takes them back with the generated key.
fn insert_run(
    s: &mut Session,
    table: &'static TableDef,
    rows: &[usize],
    given: &[usize],
    generated: &[usize],
    undo: &mut Undo,
) -> Result<()> {
    let links: Vec<LinkKey> = LinkKey::of_foreign_keys(table).collect();
    let dialect = s.engine.dialect();
    // One array per column: what PostgreSQL binds. When all rows go in one statement the
    // values are moved out of the objects and back after it, instead of copied.
    let moved = batch::binds_columns(dialect, table)
        && rows.len() > 1
        && rows.len() <= batch::max_rows(dialect, table, given.len());
    undo.columns.reserve(rows.len() * (generated.len() + links.len()));
    let Undo { columns: undo_columns, inserted, .. } = undo;
    let mut insert = InsertColumns::new(given, generated, moved, rows.len(), undo_columns);
    let mut last = None;
    let mut keys = Vec::new();
    for (n, &row) in rows.iter().enumerate() {
        keys.clear();
        let parents = links.iter().filter_map(|&key| s.parents.get(row, key));
        let staged = parent_keys(s, row, parents, inserted, &mut last, &mut keys)
            .and_then(|()| s.entry(row).expect("live entry").obj.stage_insert(row, &keys, &mut insert));
        if let Err(e) = staged {
            // Give the rows before this one their values back.
            give_back(s, &rows[..n], &mut insert);
            return Err(e);
        }
    }
    let result = match s.connection() {
        Ok(conn) => batch::insert(conn, dialect, table, given, generated, &mut insert.values, rows.len()),
        Err(e) => Err(e),
    };
    let returned = match result {
        Ok(returned) => returned,
        Err(e) => {
            give_back(s, rows, &mut insert);
            return Err(blame(e, s, table, rows, "inserting"));
        }
    };
    insert.hand_back();
    let mut first_error = None;
    for (n, &row) in rows.iter().enumerate() {
        // Every row takes its values back, even after one failed to.
        if let Err(e) = s.entry(row).expect("live entry").obj.finish_insert(row, n, &mut insert, &returned) {
            first_error.get_or_insert(e);
        }
        if inserted.len() <= row {
            inserted.resize(row + 1, false);
        }
        inserted[row] = true;
    }
    first_error.map_or(Ok(()), Err)
}

/// Puts back the values `rows` lent a statement that did not run or failed.
fn give_back(s: &Session, rows: &[usize], insert: &mut InsertColumns<'_>) {
    insert.hand_back();
    for (n, &row) in rows.iter().enumerate() {
        let _ = s.entry(row).expect("live entry").obj.finish_insert(row, n, insert, &[]);
    }
}

fn update_rows(
    s: &mut Session,
    table: &'static TableDef,
    rows: &[usize],
    undo: &mut Undo,
    updated: &mut Vec<usize>,
) -> Result<()> {
    // Group rows by the set of columns they change: one statement per group.
    let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut last = None;
    for &row in rows {
        sync_foreign_keys(s, row, undo, &mut last)?;
        let mut changed = s.entry(row).expect("live entry").obj.changed_columns()?;
        if changed.is_empty() {
            continue;
        }
        if table.version.is_some() || table.updated_at.is_some() {
            changed = stamp_update(s, table, row, &changed, undo)?;
        }
        updated.push(row);
        match groups.iter_mut().find(|(cols, _)| *cols == changed) {
            Some((_, members)) => members.push(row),
            None => groups.push((changed, vec![row])),
        }
    }
    let dialect = s.engine.dialect();
    for (columns, members) in groups {
        // As for inserts: values move into one statement and back, instead of copies.
        let moved = batch::binds_columns(dialect, table) && members.len() > 1;
        let mut keys = Vec::with_capacity(members.len());
        let mut values: Vec<Vec<Value>> = columns.iter().map(|_| Vec::with_capacity(members.len())).collect();
        for &row in &members {
            let e = s.entry(row).expect("live entry");
            // The key as the database has it (the snapshot), in case the key changed, and
            // the version the object was loaded at.
            let mut key = e.obj.database_key();
            if let Some(version) = table.version {
                key.push(e.obj.snapshot().and_then(|before| before.get(version).cloned()).unwrap_or(Value::Null));
            }
            keys.push(key);
            e.obj.push_columns(&columns, &mut values, moved)?;
        }
        let conn = s.connection()?;
        // A versioned batch in a transaction learns which rows it matched, to name a stale
        // one (outside one, a mismatch changes nothing, and the rows tell).
        let mut updated = Vec::new();
        let returning_keys = table.version.is_some() && members.len() > 1 && conn.in_transaction();
        let result =
            batch::update(conn, dialect, table, &columns, keys, &mut values, returning_keys.then_some(&mut updated));
        if moved {
            for (n, &row) in members.iter().enumerate() {
                s.entry(row).expect("live entry").obj.put_columns(&columns, &mut values, n)?;
            }
        }
        if let Err(e) = result {
            let e = name_stale(e, s, table, &members, returning_keys.then_some(&updated[..]));
            return Err(blame(e, s, table, &members, "updating"));
        }
    }
    Ok(())
}

/// Before a changed row is updated: the next version, and the update time unless the
/// user set one. Returns the row's changed columns with these.
fn stamp_update(
    s: &Session,
    table: &'static TableDef,
    row: usize,
    changed: &[usize],
    undo: &mut Undo,
) -> Result<Vec<usize>> {
    let obj = &s.entry(row).expect("live entry").obj;
    if let Some(version) = table.version {
        let loaded = obj.snapshot().and_then(|before| before.get(version).cloned()).unwrap_or(Value::Null);
        set_column(s, row, version, next_version(table, version, &loaded)?, undo)?;
    }
    if let Some(stamp) = table.updated_at.filter(|c| !changed.contains(c)) {
        let now = undo.clock.now(table, stamp)?;
        set_column(s, row, stamp, now, undo)?;
    }
    s.entry(row).expect("live entry").obj.changed_columns()
}

fn delete_rows(s: &mut Session, table: &'static TableDef, rows: &[usize]) -> Result<()> {
    let mut keys = Vec::with_capacity(rows.len());
    for &row in rows {
        let e = s.entry(row).expect("live entry");
        let values = match e.obj.snapshot() {
            Some(snapshot) => snapshot,
            None => e.obj.values()?,
        };
        keys.push(table.match_columns().iter().map(|&k| values[k].clone()).collect::<Vec<_>>());
    }
    let dialect = s.engine.dialect();
    let conn = s.connection()?;
    let result = batch::delete(conn, dialect, table, keys);
    result.map_err(|e| blame(e, s, table, rows, "deleting"))
}

/// The models' hooks on the rows the flush will insert and update, in the order the
/// objects joined the session, before any statement is sent.
fn before_write(s: &Session, plan: &Plan) -> Result<()> {
    let with_hooks = |rows: &&Vec<usize>| rows.first().and_then(|&r| s.entry(r)).is_some_and(|e| e.obj.has_hooks());
    let mut rows: Vec<(usize, bool)> = plan.inserts.values().filter(with_hooks).flatten().map(|&r| (r, true)).collect();
    rows.extend(plan.updates.values().filter(with_hooks).flatten().map(|&r| (r, false)));
    if rows.is_empty() {
        return Ok(());
    }
    rows.sort_unstable();
    for (row, inserting) in rows {
        let e = s.entry(row).expect("live entry");
        e.obj.before_write(inserting).map_err(|err| {
            let doing = if inserting { "inserting" } else { "updating" };
            err.context(format!("flush stopped before {doing} {}; nothing of the flush was written", e.obj.describe()))
        })?;
    }
    Ok(())
}

/// An UPDATE batch that matched fewer rows than it had: names the first of `rows` it
/// missed. A versioned batch in a transaction returned the keys it `matched`; otherwise
/// one SELECT by key finds the rows gone or, when the batch changed nothing (a
/// versioned one outside a transaction), at another version than loaded.
fn name_stale(e: Error, s: &mut Session, table: &'static TableDef, rows: &[usize], matched: Option<&[Value]>) -> Error {
    if e.kind() != crate::error::ErrorKind::StaleData || rows.len() < 2 || table.primary_key.len() != 1 {
        return e;
    }
    let key_column = table.primary_key[0];
    let loaded_version = |row: usize| {
        let version = table.version?;
        let obj = &s.entry(row)?.obj;
        Some(obj.snapshot().and_then(|b| b.get(version).cloned()).unwrap_or(Value::Null))
    };
    let expected: Vec<(usize, Value, Option<Value>)> = rows
        .iter()
        .filter_map(|&row| Some((row, s.entry(row)?.obj.database_key().into_iter().next()?, loaded_version(row))))
        .collect();
    // Key -> the version the database holds (None without a version column).
    let present: std::collections::HashMap<IdentityKey, Option<Value>> = match matched {
        Some(keys) => keys.iter().map(|k| (IdentityKey::of_value(table, k.clone()), None)).collect(),
        None => {
            let mut w = crate::sql::writer::SqlWriter::new(s.engine.dialect());
            w.push("SELECT ").ident(table.columns[key_column].name);
            if let Some(v) = table.version {
                w.push(", ").ident(table.columns[v].name);
            }
            w.push(" FROM ").ident(table.name).push(" WHERE ");
            w.expr(&crate::sql::expr::Expr::In {
                column: crate::sql::expr::ColumnRef::not_null(table.name, table.columns[key_column].name),
                values: expected.iter().map(|(_, k, _)| k.clone()).collect(),
                negated: false,
            });
            let (sql, params) = w.finish();
            let Ok(conn) = s.connection() else { return e };
            let found = conn.query_raw(&sql, &params, |row| {
                let key = crate::execution::row::read_value(row, 0, table, key_column)?;
                let version = match table.version {
                    Some(v) => Some(crate::execution::row::read_value(row, 1, table, v)?),
                    None => None,
                };
                Ok((IdentityKey::of_value(table, key), version))
            });
            match found {
                Ok(found) => found.into_iter().collect(),
                Err(_) => return e,
            }
        }
    };
    let stale =
        expected.into_iter().find(|(_, key, loaded)| match present.get(&IdentityKey::of_value(table, key.clone())) {
            None => true,
            Some(now) => now.is_some() && now != loaded,
        });
    let Some((row, _, loaded)) = stale else { return e };
    let why = match loaded {
        Some(version) => {
            format!("another transaction changed or deleted its row since it was loaded at version {version:?}")
        }
        None => "its row was deleted by another transaction".to_owned(),
    };
    let describe = s.entry(row).map(|e| e.obj.describe()).unwrap_or_default();
    Error::new(crate::error::ErrorKind::StaleData, format!("{describe}: {why}; roll back and reload it")).with_cause(e)
}

/// Adds to a failed statement's error which object and what the flush was doing.
fn blame(e: Error, s: &Session, table: &TableDef, rows: &[usize], doing: &str) -> Error {
    // A failed INSERT or UPDATE violates a foreign key of its own table; a failed DELETE
    // violates one of the tables that reference it, which SQLite does not name.
    let e = if doing == "deleting" { e } else { crate::execution::crud::name_foreign_key(e, table) };
    let culprit = culprit(&e, s, table, rows);
    let what = match (rows.len(), culprit) {
        (_, Some(d)) => format!("flush failed {doing} {d}"),
        (1, None) => format!("flush failed {doing} {}", s.entry(rows[0]).map(|e| e.obj.describe()).unwrap_or_default()),
        (n, None) => format!("flush failed {doing} {n} {} objects", table.model),
    };
    e.context(format!("{what}; nothing of the flush was written"))
}

/// The row named by the database's `Key (a, b)=(1, x)` detail, if it is one of `rows`.
fn culprit(e: &Error, s: &Session, table: &TableDef, rows: &[usize]) -> Option<String> {
    let message = e.message();
    let start = message.find("Key (")? + 5;
    let rest = &message[start..];
    let close = rest.find(")=(")?;
    let columns: Vec<&str> = rest[..close].split(", ").collect();
    let after = &rest[close + 3..];
    let end = after.find(')')?;
    let texts: Vec<&str> = after[..end].split(", ").collect();
    if columns.len() != texts.len() {
        return None;
    }
    let indexes: Vec<usize> = columns.iter().map(|c| table.column_index(c)).collect::<Option<_>>()?;
    rows.iter().enumerate().find_map(|(n, &row)| {
        let e = s.entry(row)?;
        let matches =
            indexes.iter().zip(&texts).all(|(&i, t)| e.obj.column_value(i).is_ok_and(|v| plain_text(&v) == *t));
        matches
            .then(|| format!("{} (the {} of {} {} objects)", e.obj.describe(), ordinal(n + 1), rows.len(), table.model))
    })
}

fn plain_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => format!("{other:?}"),
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

// ----- finish ----------------------------------------------------------------------------

fn finish(s: &mut Session, plan: Plan, undo: Undo, updated: Vec<usize>) {
    // Values before are kept once per transaction, and once more per savepoint.
    let since = s.savepoints.last().map_or((0, 0), |saved| saved.tx_log);
    let in_transaction = s.in_transaction();
    // Room in the identity map for each table's new rows, once.
    for rows in plan.inserts.values() {
        if let Some(table) = rows.first().and_then(|&r| s.entry(r)).map(|e| e.obj.table()) {
            s.identity.reserve_for(table, rows.len());
        }
    }
    let mut new_rows = Vec::with_capacity(s.new.len());
    for entry in std::mem::take(&mut s.new) {
        let Some(e) = s.entry(entry) else { continue };
        let key = e.obj.mark_persistent();
        if !key.has_null() {
            s.identity.insert(key, entry);
        }
        new_rows.push(entry);
    }
    // A row the session just inserted has exactly the children set in memory: its
    // collections count as loaded (the session does not expire on commit).
    s.collections_known_for_new_rows(&new_rows);
    if in_transaction && !new_rows.is_empty() {
        s.tx_log.push(TxRecord::Inserted(new_rows));
    }
    // After the inserts: rollback replays the log backwards, restoring columns before
    // it lets go of the objects.
    if in_transaction && !undo.columns.is_empty() {
        s.tx_log.push(TxRecord::Columns(undo.columns));
    }
    if in_transaction && !updated.is_empty() {
        s.tx_log.index();
    }
    for entry in updated {
        let Some(e) = s.entry(entry) else { continue };
        // The snapshot held the values the database had: the transaction log keeps them
        // for a rollback (outside a transaction there is nothing to roll back).
        let table = e.obj.table();
        let before = e.obj.take_snapshot();
        // A changed primary key moves the object in the identity map.
        let key = e.obj.identity_key();
        let old = match &before {
            Some(values) => IdentityKey::from_columns(table, values),
            None => key.clone(),
        };
        if old != key || s.identity.get(&key) != Some(entry) {
            if s.identity.get(&old) == Some(entry) {
                s.identity.remove(&old);
            }
            if !key.has_null() {
                s.identity.insert(key, entry);
            }
        }
        if in_transaction && !s.tx_log.keeps_before(entry, since) {
            s.tx_log.push(TxRecord::Updated(entry, before.unwrap_or_default()));
        }
    }
    // Every object recorded as changed now has the database's values, whether it was
    // updated, relinked without a change of its own, or changed back: none keeps a
    // snapshot, and the record starts empty again.
    for entry in modified::take(s.id) {
        if let Some(e) = s.entry(entry) {
            e.obj.clear_snapshot();
        }
    }
    for rows in plan.updates.values() {
        for &row in rows {
            if let Some(e) = s.entry(row) {
                e.obj.clear_snapshot();
            }
        }
    }
    let gone: Vec<usize> = plan.deletes.values().flatten().copied().chain(plan.deleted_by_database).collect();
    for entry in gone {
        if let Some(key) = s.registered_key(entry) {
            s.identity.remove(&key);
        }
        let parents: Vec<_> =
            s.parent_links_of(entry).into_iter().filter_map(|(link, p)| p.map(|p| (p, link.key()))).collect();
        if let Some(e) = s.entry(entry) {
            let meta = e.obj.meta();
            e.obj.set_meta(Meta { state: ObjectState::Deleted, ..meta });
        }
        s.forget_links(entry, parents);
        if in_transaction {
            s.tx_log.push(TxRecord::Deleted(entry));
        } else if let Some(e) = s.vacate(entry) {
            e.obj.set_meta(Meta { state: ObjectState::Detached, ..Meta::TRANSIENT });
        }
    }
    s.deleted.clear();
    s.pairs.clear();
    mark_links_synced(s);
}

/// The foreign keys now say what the links set in memory said: the links go.
fn mark_links_synced(s: &mut Session) {
    s.parents.clear();
}

fn fail(s: &mut Session, undo: Undo, deleted_before: Deletions) {
    for (entry, column, old) in undo.columns.into_iter().rev() {
        if let Some(e) = s.entry(entry) {
            let _ = e.obj.set_column(column, old);
            if e.obj.meta().state == ObjectState::Pending {
                e.obj.clear_snapshot();
            }
        }
    }
    s.deleted = deleted_before;
    let savepoint = s.innermost_savepoint().map(str::to_owned);
    match (savepoint, s.conn.as_mut()) {
        (Some(name), Some(conn)) => {
            // Inside begin_nested: only the savepoint's work is lost.
            if conn.rollback_to_savepoint(&name).is_err() {
                s.poison("the savepoint could not be rolled back".to_owned());
            }
        }
        (_, conn) => {
            if let Some(conn) = conn
                && conn.in_transaction()
            {
                let _ = conn.rollback();
            }
            s.poison("a flush failed".to_owned());
        }
    }
}
