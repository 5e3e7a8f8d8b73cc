//! Direct CRUD without a session: what the generated `insert`, `get`, `update` and
//! `delete` methods call, on an [`Executor`].

use crate::error::{Error, ErrorKind, Result};
use crate::execution::connection::Connection;
use crate::execution::engine::Executor;
use crate::execution::row::read_value;
use crate::schema::managed::{Clock, is_unset_time, next_version};
use crate::schema::model::Model;
use crate::schema::table::TableDef;
use crate::schema::types::PrimaryKey;
use crate::sql::dml::insert_sql;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// Inserts `obj`, fills in the columns the database generated, and returns its key.
pub fn insert<M: Model>(db: impl Executor, obj: &mut M) -> Result<M::PrimaryKey> {
    let table = M::TABLE;
    db.with_connection(|conn| insert_on(conn, obj)).map_err(|e| name_foreign_key(e, table))
}

fn insert_on<M: Model>(conn: &mut Connection, obj: &mut M) -> Result<M::PrimaryKey> {
    let table = M::TABLE;
    obj.__before_write(true)?;
    let mut clock = Clock::default();
    for stamp in [table.created_at, table.updated_at].into_iter().flatten() {
        if is_unset_time(&obj.column_value(stamp)) {
            obj.set_column_value(stamp, clock.now(table, stamp)?)?;
        }
    }
    {
        let mut w = SqlWriter::new(conn.dialect());
        let (given, generated) = table.insert_columns(|i| obj.column_value(i).is_null());
        insert_sql(&mut w, table, &given, &generated, &mut |i| obj.column_value(i));
        let (sql, params) = w.finish();
        if generated.is_empty() {
            conn.execute(&sql, &params)?;
        } else {
            let rows = conn.query_raw(&sql, &params, |row| {
                generated.iter().enumerate().map(|(n, &i)| read_value(row, n, table, i)).collect::<Result<Vec<_>>>()
            })?;
            let values = rows
                .into_iter()
                .next()
                .ok_or_else(|| Error::not_found(format!("the row inserted into `{}`", table.name)))?;
            for (&i, v) in generated.iter().zip(values) {
                obj.set_column_value(i, v)?;
            }
        }
        Ok(obj.primary_key())
    }
}

/// The object with primary key `key`, if there is one.
pub fn get<M: Model>(db: impl Executor, key: M::PrimaryKey) -> Result<Option<M>> {
    let table = M::TABLE;
    db.with_connection(|conn| {
        let mut w = SqlWriter::new(conn.dialect());
        w.push("SELECT ").select_list(table, table.name).push(" FROM ").ident(table.name);
        w.where_key(table, key.to_values());
        let (sql, params) = w.finish();
        Ok(conn.query_raw(&sql, &params, |row| M::from_row(row, 0))?.into_iter().next())
    })
}

/// Writes every column of `obj` to its row; [`NotFound`](crate::ErrorKind::NotFound)
/// when no row has its key. With a version counter, the row must still be at `obj`'s
/// version ([`StaleData`](crate::ErrorKind::StaleData) if another writer changed it) and
/// `obj` gets the next one; an `updated_at` column gets the current time.
pub fn update<M: Model>(db: impl Executor, obj: &mut M) -> Result<()> {
    let table = M::TABLE;
    let columns: Vec<usize> = (0..table.columns.len()).filter(|&i| !table.columns[i].primary_key).collect();
    if columns.is_empty() {
        return Ok(());
    }
    obj.__before_write(false)?;
    let mut matched = obj.primary_key().to_values();
    let mut next = Vec::new();
    if let Some(version) = table.version {
        let loaded = obj.column_value(version);
        next.push((version, next_version(table, version, &loaded)?));
        matched.push(loaded);
    }
    if let Some(stamp) = table.updated_at {
        next.push((stamp, Clock::default().now(table, stamp)?));
    }
    db.with_connection(|conn| {
        let mut w = SqlWriter::new(conn.dialect());
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (n, &i) in columns.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            let value = next.iter().find(|(c, _)| *c == i).map_or_else(|| obj.column_value(i), |(_, v)| v.clone());
            w.ident(table.columns[i].name).push(" = ").param(value);
        }
        w.where_match(table, &table.match_columns(), matched.clone());
        let (sql, params) = w.finish();
        match conn.execute(&sql, &params)? {
            0 if table.version.is_some() => Err(stale(table, &matched)),
            0 => Err(Error::not_found(describe_key(table, &obj.primary_key().to_values()))),
            _ => Ok(()),
        }
    })?;
    for (column, value) in next {
        obj.set_column_value(column, value)?;
    }
    Ok(())
}

/// No row with this key at this version: deleted, or changed by another writer.
fn stale(table: &TableDef, matched: &[Value]) -> Error {
    let (key, version) = matched.split_at(matched.len() - 1);
    Error::new(
        ErrorKind::StaleData,
        format!(
            "the row {} is no longer at version {:?}: another transaction changed or deleted it \
             since it was read; read it again and retry",
            describe_key(table, key),
            version[0]
        ),
    )
}

/// Deletes the row of `obj`; [`NotFound`](crate::ErrorKind::NotFound) when there is none,
/// [`StaleData`](crate::ErrorKind::StaleData) when it is no longer at `obj`'s version.
pub fn delete<M: Model>(db: impl Executor, obj: &M) -> Result<()> {
    let table = M::TABLE;
    let Some(version) = table.version else {
        return delete_by_key::<M>(db, obj.primary_key());
    };
    let mut matched = obj.primary_key().to_values();
    matched.push(obj.column_value(version));
    db.with_connection(|conn| {
        let mut w = SqlWriter::new(conn.dialect());
        w.push("DELETE FROM ").ident(table.name);
        w.where_match(table, &table.match_columns(), matched.clone());
        let (sql, params) = w.finish();
        match conn.execute(&sql, &params)? {
            0 => Err(stale(table, &matched)),
            _ => Ok(()),
        }
    })
}

/// Deletes the row with primary key `key`; [`NotFound`](crate::ErrorKind::NotFound) when
/// there is none.
pub fn delete_by_key<M: Model>(db: impl Executor, key: M::PrimaryKey) -> Result<()> {
    let table = M::TABLE;
    db.with_connection(|conn| {
        let mut w = SqlWriter::new(conn.dialect());
        w.push("DELETE FROM ").ident(table.name);
        let values = key.to_values();
        w.where_key(table, values.clone());
        let (sql, params) = w.finish();
        match conn.execute(&sql, &params)? {
            0 => Err(Error::not_found(describe_key(table, &values))),
            _ => Ok(()),
        }
    })
}

/// Fills in the name of a violated foreign key the database did not name (SQLite), when
/// the table has only one: PostgreSQL's default `<table>_<column>_fkey`.
pub(crate) fn name_foreign_key(mut e: Error, table: &TableDef) -> Error {
    if e.kind() == ErrorKind::ForeignKeyViolation && e.constraint().is_none() {
        let mut fks = table.columns.iter().filter(|c| c.foreign_key.is_some());
        if let (Some(only), None) = (fks.next(), fks.next()) {
            let name = format!("{}_{}_fkey", table.name, only.name);
            e.set_location(Some(&name), Some(table.name), None);
        }
    }
    e
}

/// `programs.id = 3` or `t.(a, b) = (1, 'x')`, for messages.
pub(crate) fn describe_key(table: &TableDef, key: &[Value]) -> String {
    let names: Vec<&str> = table.primary_key_columns().map(|c| c.name).collect();
    if names.len() == 1 && key.len() == 1 {
        format!("{}.{} = {:?}", table.name, names[0], key[0])
    } else {
        let values: Vec<String> = key.iter().map(|v| format!("{v:?}")).collect();
        format!("{}.({}) = ({})", table.name, names.join(", "), values.join(", "))
    }
}
