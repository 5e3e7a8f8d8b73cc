//! Pieces of INSERT statements shared by single-row and batch inserts: a one-row
//! `INSERT .. VALUES .. RETURNING` and `RETURNING` lists.

use crate::schema::table::TableDef;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// `INSERT INTO t (given..) VALUES (..) RETURNING <generated..>` for one row
/// ([`TableDef::insert_columns`] says which are which).
pub(crate) fn insert_sql(
    w: &mut SqlWriter,
    table: &TableDef,
    given: &[usize],
    generated: &[usize],
    value_of: &mut dyn FnMut(usize) -> Value,
) {
    w.push("INSERT INTO ").ident(table.name);
    if given.is_empty() {
        w.push(" DEFAULT VALUES");
    } else {
        w.push(" (");
        for (n, &i) in given.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.ident(table.columns[i].name);
        }
        w.push(") VALUES (");
        for (n, &i) in given.iter().enumerate() {
            if n > 0 {
                w.push(", ");
            }
            w.param(value_of(i));
        }
        w.push(")");
    }
    returning(w, table, generated);
}

/// ` RETURNING t.a, t.b` (nothing when there is nothing to read back).
pub(crate) fn returning(w: &mut SqlWriter, table: &TableDef, columns: &[usize]) {
    for (n, &i) in columns.iter().enumerate() {
        w.push(if n == 0 { " RETURNING " } else { ", " });
        w.ident(table.name).push(".").ident(table.columns[i].name);
    }
}
