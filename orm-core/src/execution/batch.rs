//! Many rows of one table in few statements: the INSERT, UPDATE and DELETE statements of
//! a flush. On PostgreSQL a batch binds one array per column (`UNNEST($1::int[], ...)`),
//! so a statement's text is the same for any number of rows and is prepared once.

use std::collections::HashMap;

use crate::error::{Error, ErrorKind, Result};
use crate::execution::connection::Connection;
use crate::execution::row::{read_key_array, read_value};
use crate::schema::identity_key::IdentityKey;
use crate::schema::table::TableDef;
use crate::schema::types::SqlType;
use crate::sql::dialect::{Dialect, pg_type_name};
use crate::sql::dml::{self, insert_sql};
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// Whether a batch of `table`'s rows binds one array per column (`UNNEST($1::int[], ..)`):
/// on PostgreSQL, unless a column holds arrays itself (UNNEST would flatten them), in
/// which case each value is a parameter.
pub(crate) fn binds_columns(dialect: &dyn Dialect, table: &TableDef) -> bool {
    dialect.array_params() && !table.columns.iter().any(|c| matches!(c.sql_type, SqlType::Array(_)))
}

/// Rows per statement: bounded by the bind-parameter limit where each value is a
/// parameter, by memory where a column is one array.
pub(crate) fn max_rows(dialect: &dyn Dialect, table: &TableDef, params_per_row: usize) -> usize {
    if binds_columns(dialect, table) { 100_000 } else { (dialect.max_bind_params() / params_per_row.max(1)).max(1) }
}

/// `$1::INTEGER[]`: a whole column as one array parameter.
fn array_param(w: &mut SqlWriter, table: &TableDef, column: usize, values: Vec<Value>) {
    w.param(Value::Array(values));
    w.push("::").push(&pg_type_name(table.columns[column].sql_type)).push("[]");
}

/// Splits row-major values into one array per column.
fn columns_of(rows: Vec<Vec<Value>>, width: usize) -> Vec<Vec<Value>> {
    let mut columns: Vec<Vec<Value>> = (0..width).map(|_| Vec::with_capacity(rows.len())).collect();
    for row in rows {
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    columns
}

/// Inserts `rows` rows whose `given` columns hold `columns` (one vector per column, in
/// row order) and returns, for each `generated` column, the values the database chose,
/// in row order.
pub(crate) fn insert(
    conn: &mut Connection,
    dialect: &'static dyn Dialect,
    table: &'static TableDef,
    given: &[usize],
    generated: &[usize],
    columns: &mut [Vec<Value>],
    rows: usize,
) -> Result<Vec<Vec<Value>>> {
    // Sized when filled: the common case replaces it with the returned keys.
    let mut out: Vec<Vec<Value>> = generated.iter().map(|_| Vec::new()).collect();
    if rows == 0 {
        return Ok(out);
    }
    if rows == 1 || given.is_empty() {
        // `r` indexes every column vector.
        #[allow(clippy::needless_range_loop)]
        for r in 0..rows {
            let mut w = SqlWriter::new(dialect);
            let mut next = 0;
            insert_sql(&mut w, table, given, generated, &mut |_| {
                next += 1;
                columns[next - 1][r].clone()
            });
            let (sql, params) = w.finish();
            if generated.is_empty() {
                conn.execute(&sql, &params)?;
                continue;
            }
            let returned = conn.query_raw(&sql, &params, |row| {
                generated.iter().enumerate().map(|(n, &c)| read_value(row, n, table, c)).collect::<Result<Vec<_>>>()
            })?;
            let values = returned
                .into_iter()
                .next()
                .ok_or_else(|| Error::not_found(format!("the row inserted into `{}`", table.name)))?;
            for (column, v) in out.iter_mut().zip(values) {
                column.push(v);
            }
        }
        return Ok(out);
    }

    // Returned rows are matched to input rows by the generated key (it ascends in insert
    // order) or, without one, by the primary key the rows were given.
    let autoincrement = table.autoincrement_column().filter(|c| generated.contains(c));
    let match_by_key = !generated.is_empty() && autoincrement.is_none();
    let mut returning: Vec<usize> = generated.to_vec();
    if match_by_key {
        returning.extend(table.primary_key.iter().copied());
    }
    // The common case on PostgreSQL, one generated key: the keys come back as one array
    // (`WITH inserted AS (INSERT .. RETURNING id) SELECT array_agg(id) FROM inserted`),
    // not as a row each, which costs the client far more than the server's aggregate.
    let keys_as_array = match (returning.as_slice(), autoincrement) {
        ([only], Some(auto)) => dialect.array_params() && *only == auto,
        _ => false,
    };
    let chunk = max_rows(dialect, table, given.len());
    let unnest = binds_columns(dialect, table);
    let mut returned: Vec<Vec<Value>> = Vec::new();
    let mut start = 0;
    while start < rows {
        let end = (start + chunk).min(rows);
        let mut w = SqlWriter::new(dialect);
        if keys_as_array {
            w.push("WITH inserted AS (");
        }
        w.push("INSERT INTO ").ident(table.name).push(" (");
        for (n, &c) in given.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.ident(table.columns[c].name);
        }
        w.push(")");
        if unnest {
            w.push(" SELECT ");
            for n in 0..given.len() {
                w.push(if n == 0 { "" } else { ", " }).push(&format!("p{n}"));
            }
            w.push(" FROM unnest(");
            // One statement for all rows moves the columns in (and back out after it)
            // instead of copying them.
            let whole = start == 0 && end == rows;
            for (n, (&c, column)) in given.iter().zip(columns.iter_mut()).enumerate() {
                if n > 0 {
                    w.push(", ");
                }
                let part = if whole { std::mem::take(column) } else { column[start..end].to_vec() };
                array_param(&mut w, table, c, part);
            }
            w.push(") WITH ORDINALITY AS imp(");
            for n in 0..given.len() {
                w.push(&format!("p{n}, "));
            }
            w.push("ord) ORDER BY ord");
        } else {
            w.push(" VALUES ");
            for r in start..end {
                w.push(if r == start { "(" } else { ", (" });
                for (n, column) in columns.iter().enumerate() {
                    if n > 0 {
                        w.push(", ");
                    }
                    w.param(column[r].clone());
                }
                w.push(")");
            }
        }
        dml::returning(&mut w, table, &returning);
        if keys_as_array {
            let key = table.columns[returning[0]].name;
            w.push(") SELECT array_agg(").ident(key).push(") FROM inserted");
        }
        let (sql, params) = w.finish();
        let result = if keys_as_array {
            run_insert_keys_as_array(conn, &sql, &params, table, returning[0], &mut returned)
        } else {
            run_insert(conn, &sql, &params, table, &returning, generated, autoincrement, &mut returned)
        };
        if unnest && start == 0 && end == rows {
            // Give the moved columns back.
            for (column, param) in columns.iter_mut().zip(params) {
                if let Value::Array(values) = param {
                    *column = values;
                }
            }
        }
        result?;
        start = end;
    }
    if returning.is_empty() {
        return Ok(out);
    }
    if let ([_], Some(_)) = (returning.as_slice(), autoincrement) {
        let keys: Vec<Value> = returned.into_iter().flatten().collect();
        if keys.len() != rows {
            return Err(returned_count_error(table, rows, keys.len()));
        }
        out[0] = keys;
        return Ok(out);
    }
    if returned.len() != rows {
        return Err(returned_count_error(table, rows, returned.len()));
    }
    if !match_by_key {
        for row in returned {
            for (column, v) in out.iter_mut().zip(row) {
                column.push(v);
            }
        }
        return Ok(out);
    }
    let n = generated.len();
    let mut by_key: HashMap<IdentityKey, Vec<Value>> = returned
        .into_iter()
        .map(|mut r| {
            let key = r.split_off(n);
            (IdentityKey::new(table, &key), r)
        })
        .collect();
    let key_columns: Vec<usize> =
        table.primary_key.iter().map(|k| given.iter().position(|g| g == k).unwrap_or(0)).collect();
    #[allow(clippy::needless_range_loop)]
    for r in 0..rows {
        let key: Vec<Value> = key_columns.iter().map(|&c| columns[c][r].clone()).collect();
        let values = by_key.remove(&IdentityKey::new(table, &key)).ok_or_else(|| {
            Error::new(ErrorKind::StaleData, format!("a row inserted into `{}` was not returned", table.name))
        })?;
        for (column, v) in out.iter_mut().zip(values) {
            column.push(v);
        }
    }
    Ok(out)
}

/// Runs one INSERT and collects what it returned into `returned`.
#[allow(clippy::too_many_arguments)]
fn run_insert(
    conn: &mut Connection,
    sql: &str,
    params: &[Value],
    table: &'static TableDef,
    returning: &[usize],
    generated: &[usize],
    autoincrement: Option<usize>,
    returned: &mut Vec<Vec<Value>>,
) -> Result<()> {
    if returning.is_empty() {
        conn.execute(sql, params)?;
    } else if let ([auto], Some(_)) = (returning, autoincrement) {
        // The common case, one generated key: no row vectors, just sorted keys.
        let mut keys = conn.query_raw(sql, params, |row| read_value(row, 0, table, *auto))?;
        keys.sort_unstable_by_key(|k| k.as_i64().unwrap_or(i64::MAX));
        returned.push(keys);
    } else {
        let mut got = conn.query_raw(sql, params, |row| {
            returning.iter().enumerate().map(|(n, &c)| read_value(row, n, table, c)).collect::<Result<Vec<_>>>()
        })?;
        if let Some(auto) = autoincrement {
            let at = generated.iter().position(|&g| g == auto).unwrap_or(0);
            got.sort_by_key(|r| r[at].as_i64().unwrap_or(i64::MAX));
        }
        returned.extend(got);
    }
    Ok(())
}

/// Runs one `WITH inserted AS (INSERT ..) SELECT array_agg(key)` and collects the keys,
/// sorted: they ascend in insert order, whatever order the aggregate saw them in.
fn run_insert_keys_as_array(
    conn: &mut Connection,
    sql: &str,
    params: &[Value],
    table: &'static TableDef,
    key: usize,
    returned: &mut Vec<Vec<Value>>,
) -> Result<()> {
    let mut arrays = conn.query_raw(sql, params, |row| read_key_array(row, 0, table, key))?;
    let mut keys = arrays.pop().unwrap_or_default();
    let order = |k: &Value| k.as_i64().unwrap_or(i64::MAX);
    if !keys.is_sorted_by_key(order) {
        keys.sort_unstable_by_key(order);
    }
    returned.push(keys);
    Ok(())
}

fn returned_count_error(table: &TableDef, expected: usize, got: usize) -> Error {
    Error::new(ErrorKind::StaleData, format!("inserting {expected} rows into `{}` returned {got} rows", table.name))
}

/// Sets `columns` of the rows matched by `keys` to `values`: each key is the row's
/// primary key, then its version if the table has a version counter. With `updated`,
/// a batch returns the keys it matched (`RETURNING`; a one-column key), so that a
/// mismatch can name the rows it missed.
pub(crate) fn update(
    conn: &mut Connection,
    dialect: &'static dyn Dialect,
    table: &'static TableDef,
    columns: &[usize],
    keys: Vec<Vec<Value>>,
    values: &mut [Vec<Value>],
    mut updated: Option<&mut Vec<Value>>,
) -> Result<()> {
    if table.primary_key.len() != 1 {
        updated = None;
    }
    // `values` has one vector per changed column (moved into the statement and back on
    // PostgreSQL); `keys` one per row.
    let expected = keys.len();
    let matching = table.match_columns();
    if expected > 1 && binds_columns(dialect, table) {
        let mut w = SqlWriter::new(dialect);
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (n, &c) in columns.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.ident(table.columns[c].name).push(&format!(" = v.c{n}"));
        }
        w.push(" FROM unnest(");
        for (n, (&c, column)) in columns.iter().zip(values.iter_mut()).enumerate() {
            if n > 0 {
                w.push(", ");
            }
            array_param(&mut w, table, c, std::mem::take(column));
        }
        for (&k, column) in matching.iter().zip(columns_of(keys, matching.len())) {
            w.push(", ");
            array_param(&mut w, table, k, column);
        }
        w.push(") AS v(");
        for n in 0..columns.len() {
            w.push(&format!("c{n}, "));
        }
        for n in 0..matching.len() {
            w.push(if n == 0 { "" } else { ", " }).push(&format!("k{n}"));
        }
        w.push(") WHERE ");
        for (n, &k) in matching.iter().enumerate() {
            if n > 0 {
                w.push(" AND ");
            }
            w.ident(table.name).push(".").ident(table.columns[k].name).push(&format!(" = v.k{n}"));
        }
        let guarded = !conn.in_transaction();
        if guarded {
            guard_count(&mut w, expected);
        } else if updated.is_some() {
            returning_key(&mut w, table);
        }
        let (sql, params) = w.finish();
        let result = match updated {
            _ if guarded => run_guarded(conn, &sql, &params, "update", table, expected),
            Some(keys) => run_returning_keys(conn, &sql, &params, table, keys),
            None => conn.execute(&sql, &params),
        };
        for (column, param) in values.iter_mut().zip(params) {
            if let Value::Array(moved) = param {
                *column = moved;
            }
        }
        return check_count("update", table, expected, result?);
    }
    let row_of = |r: usize| values.iter().map(|column| column[r].clone()).collect::<Vec<_>>();
    if expected == 1 {
        let key = keys.into_iter().next().unwrap_or_default();
        let row = row_of(0);
        let mut w = SqlWriter::new(dialect);
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (n, (&c, v)) in columns.iter().zip(row).enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.ident(table.columns[c].name).push(" = ").param(v);
        }
        w.where_match(table, &matching, key);
        let (sql, params) = w.finish();
        let matched = conn.execute(&sql, &params)?;
        return check_count("update", table, 1, matched);
    }
    // `UPDATE t SET a = v.column1 FROM (VALUES (?1, ?2), ..) AS v WHERE t.id = v.column2`,
    // as many rows per statement as parameters allow; MySQL joins the VALUES table instead
    // (`update_by_join`).
    let width = columns.len() + matching.len();
    let rows: Vec<Vec<Value>> = keys
        .into_iter()
        .enumerate()
        .map(|(r, k)| {
            let mut v = row_of(r);
            v.extend(k);
            v
        })
        .collect();
    let mut per_statement = max_rows(dialect, table, width);
    if !dialect.values_lists() {
        per_statement = per_statement.min(JOINED_ROWS);
    }
    let mut matched = 0;
    for part in rows.chunks(per_statement) {
        if !dialect.values_lists() {
            matched += update_by_join(conn, dialect, table, columns, &matching, part, updated.as_deref_mut())?;
            continue;
        }
        let mut w = SqlWriter::new(dialect);
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (n, &c) in columns.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.ident(table.columns[c].name).push(&format!(" = v.column{}", n + 1));
        }
        w.push(" FROM (VALUES ");
        if dialect.array_params() {
            // PostgreSQL types a VALUES list's parameters as text: cast each to its column's type.
            let casts: Vec<_> =
                columns.iter().chain(&matching).map(|&c| pg_type_name(table.columns[c].sql_type)).collect();
            for (r, row) in part.iter().enumerate() {
                w.push(if r == 0 { "(" } else { ", (" });
                for (n, (v, cast)) in row.iter().zip(&casts).enumerate() {
                    w.push(if n == 0 { "" } else { ", " }).param(v.clone()).push("::").push(cast);
                }
                w.push(")");
            }
        } else {
            values_list(&mut w, part);
        }
        w.push(") AS v WHERE ");
        for (n, &k) in matching.iter().enumerate() {
            if n > 0 {
                w.push(" AND ");
            }
            w.ident(table.name).push(".").ident(table.columns[k].name);
            w.push(&format!(" = v.column{}", columns.len() + n + 1));
        }
        if updated.is_some() {
            returning_key(&mut w, table);
        }
        let (sql, params) = w.finish();
        matched += match updated.as_deref_mut() {
            Some(keys) => run_returning_keys(conn, &sql, &params, table, keys)?,
            None => conn.execute(&sql, &params)?,
        };
    }
    check_count("update", table, expected, matched)
}

/// The rows of one [`update_by_join`]: MariaDB's cost per row grows past about 10,000
/// (the server's time for 32,767 rows in one statement is 2.5 times that of the same rows
/// in statements of 10,000).
const JOINED_ROWS: usize = 10_000;

/// MySQL's and MariaDB's batched UPDATE (MySQL writes each row `ROW(..)`): `UPDATE t JOIN (WITH v (a, orm_key_id) AS ((SELECT t.a,
/// t.id FROM t LIMIT 0) UNION ALL VALUES (?1, ?2), ..) SELECT * FROM v) AS v ON t.id =
/// v.orm_key_id SET t.a = v.a`: the rows (values, then keys) joined by key in one pass,
/// where a CASE over the keys costs each row a scan of them (ten times slower at 10,000
/// rows). The empty SELECT gives the derived columns the table's types (MariaDB would
/// take them from the first row's values, too short for a longer text below it), and the
/// value columns keep their names, for the error of a value too long. The keys of the
/// rows matched are read first, locked, when the caller wants them. Returns the rows
/// matched.
fn update_by_join(
    conn: &mut Connection,
    dialect: &'static dyn Dialect,
    table: &'static TableDef,
    columns: &[usize],
    matching: &[usize],
    rows: &[Vec<Value>],
    updated: Option<&mut Vec<Value>>,
) -> Result<u64> {
    let key_name = |k: usize| format!("orm_key_{}", table.columns[k].name);
    let mut w = SqlWriter::new(dialect);
    w.push("UPDATE ").ident(table.name).push(" JOIN (WITH v (");
    for (n, &c) in columns.iter().enumerate() {
        w.push(if n == 0 { "" } else { ", " }).ident(table.columns[c].name);
    }
    for &k in matching {
        w.push(", ").ident(&key_name(k));
    }
    w.push(") AS ((SELECT ");
    for (n, &c) in columns.iter().chain(matching).enumerate() {
        w.push(if n == 0 { "" } else { ", " }).ident(table.name).push(".").ident(table.columns[c].name);
    }
    w.push(" FROM ").ident(table.name).push(" LIMIT 0) UNION ALL VALUES ");
    for (r, row) in rows.iter().enumerate() {
        w.push(if r == 0 { "" } else { ", " }).push(dialect.values_row()).push("(");
        for (n, v) in row.iter().enumerate() {
            w.push(if n == 0 { "" } else { ", " }).param(v.clone());
        }
        w.push(")");
    }
    w.push(") SELECT * FROM v) AS v ON ");
    for (n, &k) in matching.iter().enumerate() {
        w.push(if n == 0 { "" } else { " AND " }).ident(table.name).push(".").ident(table.columns[k].name);
        w.push(" = v.").ident(&key_name(k));
    }
    w.push(" SET ");
    for (n, &c) in columns.iter().enumerate() {
        w.push(if n == 0 { "" } else { ", " }).ident(table.name).push(".").ident(table.columns[c].name);
        w.push(" = v.").ident(table.columns[c].name);
    }
    let (sql, params) = w.finish();
    if let Some(found) = updated {
        let keys: Vec<Vec<Value>> = rows.iter().map(|row| row[columns.len()..].to_vec()).collect();
        found.extend(matched_keys(conn, dialect, table, matching, &keys)?);
    }
    conn.execute(&sql, &params)
}

/// The primary keys of the rows that `keys` (primary key, then version) match, locked
/// for the update that follows (`SELECT t.id FROM t WHERE (..) IN (..) FOR UPDATE`).
fn matched_keys(
    conn: &mut Connection,
    dialect: &'static dyn Dialect,
    table: &'static TableDef,
    matching: &[usize],
    keys: &[Vec<Value>],
) -> Result<Vec<Value>> {
    let key = table.primary_key[0];
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT ").ident(table.name).push(".").ident(table.columns[key].name).push(" FROM ").ident(table.name);
    w.push(" WHERE (");
    for (n, &k) in matching.iter().enumerate() {
        w.push(if n == 0 { "" } else { ", " }).ident(table.name).push(".").ident(table.columns[k].name);
    }
    w.push(") IN (");
    row_values(&mut w, keys);
    w.push(")");
    if conn.in_transaction() {
        w.push(" FOR UPDATE");
    }
    let (sql, params) = w.finish();
    conn.query_raw(&sql, &params, |row| read_value(row, 0, table, key))
}

/// `(?1, ?2), (?3, ?4)` as a list of row values: `VALUES (..), (..)` where the dialect
/// has it, plain rows otherwise (MySQL).
fn row_values(w: &mut SqlWriter, rows: &[Vec<Value>]) {
    if w.dialect.values_lists() {
        w.push("VALUES ");
    }
    values_list(w, rows);
}

/// Makes a statement that runs outside a transaction fail as a whole when it changes
/// another number of rows than `expected`: `WITH changed AS (<statement> RETURNING 1)
/// SELECT count(*) / (CASE WHEN count(*) = $n THEN 1 ELSE 0 END) FROM changed` divides by
/// zero on a mismatch, which undoes the statement (PostgreSQL). A one-statement flush
/// thus needs no BEGIN/COMMIT to leave nothing half-written.
fn guard_count(w: &mut SqlWriter, expected: usize) {
    w.prepend("WITH changed AS (");
    w.push(" RETURNING 1) SELECT count(*) / (CASE WHEN count(*) = ");
    w.param(Value::I64(i64::try_from(expected).unwrap_or(i64::MAX)));
    w.push(" THEN 1 ELSE 0 END) FROM changed");
}

/// Runs a statement made by [`guard_count`]: the rows it changed, or, for the division
/// by zero (SQLSTATE 22012) it raised on a mismatch, a `StaleData` error.
fn run_guarded(
    conn: &mut Connection,
    sql: &str,
    params: &[Value],
    what: &str,
    table: &TableDef,
    expected: usize,
) -> Result<u64> {
    match conn.query_raw(sql, params, |row| row.get::<i64>(0)) {
        Ok(counts) => Ok(counts.first().copied().unwrap_or(0).max(0) as u64),
        Err(e) if e.sqlstate() == Some("22012") => Err(Error::new(
            ErrorKind::StaleData,
            format!(
                "expected to {what} {expected} rows of `{}` but another number matched: another transaction \
                 changed or deleted some since they were loaded; nothing was changed; roll back and reload",
                table.name
            ),
        )
        .context_table(table.name)),
        Err(e) => Err(e),
    }
}

/// ` RETURNING t.id`: the key of each row a statement changed.
fn returning_key(w: &mut SqlWriter, table: &TableDef) {
    let key = table.primary_key[0];
    w.push(" RETURNING ").ident(table.name).push(".").ident(table.columns[key].name);
}

/// Runs a statement that returns its rows' keys, collecting them; returns how many.
fn run_returning_keys(
    conn: &mut Connection,
    sql: &str,
    params: &[Value],
    table: &TableDef,
    keys: &mut Vec<Value>,
) -> Result<u64> {
    let key = table.primary_key[0];
    let got = conn.query_raw(sql, params, |row| read_value(row, 0, table, key))?;
    let n = got.len() as u64;
    keys.extend(got);
    Ok(n)
}

/// `(?1, ?2), (?3, ?4)`.
fn values_list(w: &mut SqlWriter, rows: &[Vec<Value>]) {
    for (r, row) in rows.iter().enumerate() {
        w.push(if r == 0 { "(" } else { ", (" });
        for (n, v) in row.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.param(v.clone());
        }
        w.push(")");
    }
}

/// Deletes the rows matched by `keys` (primary key, then version, as for [`update`]).
pub(crate) fn delete(
    conn: &mut Connection,
    dialect: &'static dyn Dialect,
    table: &'static TableDef,
    keys: Vec<Vec<Value>>,
) -> Result<()> {
    let expected = keys.len();
    let matching = table.match_columns();
    let mut w = SqlWriter::new(dialect);
    w.push("DELETE FROM ").ident(table.name);
    if expected == 1 {
        let key = keys.into_iter().next().unwrap_or_default();
        w.where_match(table, &matching, key);
    } else if dialect.array_params() && matching.len() == 1 {
        let pk = matching[0];
        w.push(" WHERE ").ident(table.name).push(".").ident(table.columns[pk].name).push(" = ANY(");
        w.param(Value::Array(keys.into_iter().flatten().collect()));
        w.push(")");
    } else if dialect.array_params() {
        w.push(" USING unnest(");
        for (n, (&k, column)) in matching.iter().zip(columns_of(keys, matching.len())).enumerate() {
            if n > 0 {
                w.push(", ");
            }
            array_param(&mut w, table, k, column);
        }
        w.push(") AS v(");
        for n in 0..matching.len() {
            w.push(if n == 0 { "" } else { ", " }).push(&format!("k{n}"));
        }
        w.push(") WHERE ");
        for (n, &k) in matching.iter().enumerate() {
            if n > 0 {
                w.push(" AND ");
            }
            w.ident(table.name).push(".").ident(table.columns[k].name).push(&format!(" = v.k{n}"));
        }
    } else if matching.len() == 1 {
        // `IN (?1, ?2, ..)`, as many keys per statement as parameters allow.
        let pk = matching[0];
        let mut matched = 0;
        let all: Vec<Value> = keys.into_iter().flatten().collect();
        for part in all.chunks(max_rows(dialect, table, 1)) {
            let mut w = SqlWriter::new(dialect);
            w.push("DELETE FROM ").ident(table.name).push(" WHERE ");
            w.ident(table.name).push(".").ident(table.columns[pk].name).push(" IN (");
            for (n, v) in part.iter().enumerate() {
                if n > 0 {
                    w.push(", ");
                }
                w.param(v.clone());
            }
            w.push(")");
            let (sql, params) = w.finish();
            matched += conn.execute(&sql, &params)?;
        }
        return check_count("delete", table, expected, matched);
    } else {
        // `WHERE (a, b) IN (VALUES (?1, ?2), ..)`: row values.
        let mut matched = 0;
        for part in keys.chunks(max_rows(dialect, table, matching.len())) {
            let mut w = SqlWriter::new(dialect);
            w.push("DELETE FROM ").ident(table.name).push(" WHERE (");
            for (n, &k) in matching.iter().enumerate() {
                if n > 0 {
                    w.push(", ");
                }
                w.ident(table.name).push(".").ident(table.columns[k].name);
            }
            w.push(") IN (");
            row_values(&mut w, part);
            w.push(")");
            let (sql, params) = w.finish();
            matched += conn.execute(&sql, &params)?;
        }
        return check_count("delete", table, expected, matched);
    }
    // Several rows in one statement outside a transaction: the statement checks its count.
    let guarded = expected > 1 && dialect.array_params() && !conn.in_transaction();
    if guarded {
        guard_count(&mut w, expected);
    }
    let (sql, params) = w.finish();
    let matched = if guarded {
        run_guarded(conn, &sql, &params, "delete", table, expected)?
    } else {
        conn.execute(&sql, &params)?
    };
    check_count("delete", table, expected, matched)
}

/// `INSERT INTO t (a, b) VALUES ($1, $2), ..`: rows of a table without a model (an
/// association table), every column given, as many rows per statement as parameters allow.
pub(crate) fn insert_values(
    conn: &mut Connection,
    dialect: &'static dyn Dialect,
    table: &'static TableDef,
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let head = |w: &mut SqlWriter| {
        w.push("INSERT INTO ").ident(table.name).push(" (");
        for (n, c) in table.columns.iter().enumerate() {
            w.push(if n == 0 { "" } else { ", " }).ident(c.name);
        }
        w.push(") ");
    };
    if dialect.array_params() {
        // One array per column: the same statement text for any number of rows.
        let mut w = SqlWriter::new(dialect);
        head(&mut w);
        w.push("SELECT * FROM unnest(");
        for (n, column) in columns_of(rows, table.columns.len()).into_iter().enumerate() {
            w.push(if n == 0 { "" } else { ", " });
            array_param(&mut w, table, n, column);
        }
        w.push(")");
        let (sql, params) = w.finish();
        conn.execute(&sql, &params)?;
        return Ok(());
    }
    let per_statement = (dialect.max_bind_params() / table.columns.len().max(1)).max(1);
    for part in rows.chunks(per_statement) {
        let mut w = SqlWriter::new(dialect);
        head(&mut w);
        w.push("VALUES ");
        values_list(&mut w, part);
        let (sql, params) = w.finish();
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

fn check_count(what: &str, table: &TableDef, expected: usize, matched: u64) -> Result<()> {
    if matched as usize == expected {
        return Ok(());
    }
    let since = if table.version.is_some() { " (or changed their version)" } else { "" };
    Err(Error::new(
        ErrorKind::StaleData,
        format!(
            "expected to {what} {expected} row(s) of `{}` but {matched} matched: another transaction \
             changed or deleted them{since} since they were loaded; roll back and reload",
            table.name
        ),
    )
    .context_table(table.name))
}

impl Error {
    fn context_table(mut self, table: &str) -> Error {
        self.set_location(None, Some(table), None);
        self
    }
}
