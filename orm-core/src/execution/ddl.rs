//! Running DDL: `create_all` and `drop_all` on a connection, in foreign-key order, in one
//! transaction, skipping the tables that exist (or do not).

use std::collections::HashSet;

use crate::error::Result;
use crate::execution::connection::Connection;
use crate::schema::table::TableDef;
use crate::schema::table_order::{sort_tables, with_association_tables};

/// Creates the missing tables among `tables`, in one transaction.
pub(crate) fn create_all(conn: &mut Connection, tables: &[&'static TableDef]) -> Result<()> {
    let ordered = sort_tables(&with_association_tables(tables))?;
    conn.transaction(|conn| {
        let existing = existing_tables(conn, &ordered)?;
        let dialect = conn.dialect();
        for table in ordered.iter().filter(|t| !existing.contains(t.name)) {
            for statement in table.create_sql(dialect) {
                conn.batch_execute(&statement)?;
            }
        }
        Ok(())
    })
}

/// Drops the existing tables among `tables`, referencing tables first, in one transaction.
pub(crate) fn drop_all(conn: &mut Connection, tables: &[&'static TableDef]) -> Result<()> {
    let ordered = sort_tables(&with_association_tables(tables))?;
    conn.transaction(|conn| {
        let existing = existing_tables(conn, &ordered)?;
        let dialect = conn.dialect();
        for table in ordered.iter().rev().filter(|t| existing.contains(t.name)) {
            conn.batch_execute(&table.drop_sql(dialect))?;
        }
        Ok(())
    })
}

/// Which of the tables exist (and are visible on the search path).
fn existing_tables(conn: &mut Connection, tables: &[&'static TableDef]) -> Result<HashSet<String>> {
    if tables.is_empty() {
        return Ok(HashSet::new());
    }
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let (sql, params) = conn.dialect().existing_tables_query(&names);
    let rows = conn.query_raw(&sql, &params, |row| row.get::<String>(0))?;
    Ok(rows.into_iter().collect())
}
