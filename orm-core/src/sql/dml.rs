//! Pieces of INSERT statements shared by single-row and batch inserts: a one-row
//! `INSERT .. VALUES .. RETURNING` and `RETURNING` lists.

use crate::schema::table::TableDef;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// `INSERT INTO t (..) VALUES (..) RETURNING <generated columns>` for one row.
pub(crate) fn insert_sql(w: &mut SqlWriter, table: &TableDef, value_of: &mut dyn FnMut(usize) -> Value) -> Vec<usize> {
    w.push("INSERT INTO ").ident(table.name);
    let given: Vec<usize> = (0..table.columns.len()).filter(|&i| !table.columns[i].generated_on_insert()).collect();
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
    let generated: Vec<usize> = (0..table.columns.len()).filter(|&i| table.columns[i].generated_on_insert()).collect();
    returning(w, table, &generated);
    generated
}

/// ` RETURNING t.a, t.b` (nothing when there is nothing to read back).
pub(crate) fn returning(w: &mut SqlWriter, table: &TableDef, columns: &[usize]) {
    for (n, &i) in columns.iter().enumerate() {
        w.push(if n == 0 { " RETURNING " } else { ", " });
        w.ident(table.name).push(".").ident(table.columns[i].name);
    }
}
