//! Running DDL: `create_all` and `drop_all` on a connection, in foreign-key order, in one
//! transaction, skipping the tables that exist (or do not).

use std::collections::HashSet;

use crate::error::Result;
use crate::execution::connection::Connection;
use crate::schema::mapped::EnumDef;
use crate::schema::table::TableDef;
use crate::schema::table_order::{sort_tables, with_association_tables};
use crate::sql::dialect::Dialect;
use crate::value::Value;

/// Creates the missing tables among `tables`, in one transaction.
pub(crate) fn create_all(conn: &mut Connection, tables: &[&'static TableDef]) -> Result<()> {
    let ordered = sort_tables(&with_association_tables(tables))?;
    if conn.dialect().name() == "mysql" {
        return create_all_mysql(conn, &ordered);
    }
    conn.transaction(|conn| {
        let existing = existing_tables(conn, &ordered)?;
        let dialect = conn.dialect();
        let missing: Vec<&'static TableDef> = ordered.iter().copied().filter(|t| !existing.contains(t.name)).collect();
        create_enum_types(conn, &missing)?;
        for table in missing {
            for statement in table.create_sql(dialect) {
                conn.batch_execute(&statement)?;
            }
        }
        Ok(())
    })
}

/// `create_all` on MySQL, where DDL commits at once: what MySQL cannot hold is refused
/// before any statement (array columns, partial indexes), and when a statement fails the
/// tables this call created are dropped again, so that it creates all or nothing.
fn create_all_mysql(conn: &mut Connection, ordered: &[&'static TableDef]) -> Result<()> {
    for table in ordered {
        if let Some(c) = table.columns.iter().find(|c| matches!(c.sql_type, crate::schema::types::SqlType::Array(_))) {
            return Err(crate::error::Error::unsupported(format!(
                "column `{}.{}` holds an array, which MySQL has no type for; store the elements in a table of \
                 their own (has_many), or use PostgreSQL",
                table.name, c.name
            )));
        }
        let schema = crate::schema::described::TableSchema::from_model(table);
        if let Some(index) = schema.indexes.iter().find(|i| i.predicate.is_some()) {
            return Err(crate::error::Error::unsupported(format!(
                "index `{}` on `{}` is partial (WHERE ..), which MySQL does not have; drop its condition, \
                 or enforce it in the application",
                index.name, table.name
            )));
        }
    }
    let existing = existing_tables(conn, ordered)?;
    let dialect = conn.dialect();
    let mut created: Vec<&'static TableDef> = Vec::new();
    for &table in ordered.iter().filter(|t| !existing.contains(t.name)) {
        let result = table.create_sql(dialect).iter().try_for_each(|statement| conn.batch_execute(statement));
        if let Err(e) = result {
            // The statement that failed may have made its table (a failed CREATE INDEX).
            if existing_tables(conn, &[table])?.contains(table.name) {
                created.push(table);
            }
            for made in created.iter().rev() {
                conn.batch_execute(&made.drop_sql(dialect))?;
            }
            let names: Vec<&str> = created.iter().map(|t| t.name).collect();
            let dropped = if names.is_empty() { "nothing".to_owned() } else { names.join(", ") };
            return Err(e.context(format!(
                "create_all failed creating `{}` (MySQL commits each DDL statement); it dropped again what it \
                 had created: {dropped}",
                table.name
            )));
        }
        created.push(table);
    }
    Ok(())
}

/// Drops the existing tables among `tables`, referencing tables first, in one transaction.
pub(crate) fn drop_all(conn: &mut Connection, tables: &[&'static TableDef]) -> Result<()> {
    let ordered = sort_tables(&with_association_tables(tables))?;
    conn.transaction(|conn| {
        let existing = existing_tables(conn, &ordered)?;
        let dialect = conn.dialect();
        let dropped: Vec<&'static TableDef> =
            ordered.iter().rev().copied().filter(|t| existing.contains(t.name)).collect();
        for table in &dropped {
            conn.batch_execute(&table.drop_sql(dialect))?;
        }
        drop_unused_enum_types(conn, &dropped)
    })
}

/// The PostgreSQL enum types the tables use, each once.
fn enum_types(dialect: &dyn Dialect, tables: &[&'static TableDef]) -> Vec<&'static EnumDef> {
    let mut all: Vec<&'static EnumDef> = Vec::new();
    for def in tables.iter().flat_map(|t| t.enum_types(dialect)) {
        if !all.contains(&def) {
            all.push(def);
        }
    }
    all
}

/// Creates the enum types the tables need that do not exist yet.
fn create_enum_types(conn: &mut Connection, tables: &[&'static TableDef]) -> Result<()> {
    let types = enum_types(conn.dialect(), tables);
    if types.is_empty() {
        return Ok(());
    }
    let names = Value::Array(types.iter().filter_map(|d| d.pg_type).map(Value::from).collect());
    let existing: HashSet<String> = conn
        .query_raw(
            "SELECT t.typname::text FROM pg_catalog.pg_type t WHERE t.typname = ANY($1) \
             AND pg_catalog.pg_type_is_visible(t.oid)",
            &[names],
            |row| row.get::<String>(0),
        )?
        .into_iter()
        .collect();
    for def in types {
        if let (Some(name), Some(sql)) = (def.pg_type, def.create_sql(conn.dialect()))
            && !existing.contains(name)
        {
            conn.batch_execute(&sql)?;
        }
    }
    Ok(())
}

/// Drops the enum types of the dropped tables that no other column uses.
fn drop_unused_enum_types(conn: &mut Connection, dropped: &[&'static TableDef]) -> Result<()> {
    for def in enum_types(conn.dialect(), dropped) {
        let Some(name) = def.pg_type else { continue };
        let users = conn.query_raw(
            "SELECT count(*) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON a.atttypid = t.oid \
             WHERE t.typname = $1 AND pg_catalog.pg_type_is_visible(t.oid) AND NOT a.attisdropped",
            &[Value::from(name)],
            |row| row.get::<i64>(0),
        )?;
        if users.first().copied().unwrap_or(0) == 0 {
            let mut sql = String::from("DROP TYPE IF EXISTS ");
            conn.dialect().write_ident(&mut sql, name);
            conn.batch_execute(&sql)?;
        }
    }
    Ok(())
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
