//! DDL: CREATE/DROP TABLE text from metadata, and `create_all` / `drop_all` in
//! foreign-key order.

use std::collections::HashSet;

use crate::connection::Connection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::metadata::TableDef;

impl TableDef {
    /// The statements that create this table and its indexes, without a database.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// use orm_core::dialect::POSTGRES;
    ///
    /// #[derive(Model)]
    /// #[orm(table = "programs")]
    /// struct Program {
    ///     #[orm(primary_key)]
    ///     id: i32,
    ///     name: String,
    /// }
    ///
    /// assert_eq!(
    ///     Program::table().create_sql(&POSTGRES),
    ///     ["CREATE TABLE programs (\n\tid SERIAL NOT NULL,\n\tname VARCHAR NOT NULL,\n\tPRIMARY KEY (id)\n)"]
    /// );
    /// ```
    pub fn create_sql(&self, dialect: &dyn Dialect) -> Vec<String> {
        let ident = |name: &str| {
            let mut s = String::new();
            dialect.write_ident(&mut s, name);
            s
        };
        let list = |names: &mut dyn Iterator<Item = &str>| names.map(ident).collect::<Vec<_>>().join(", ");
        let mut lines = Vec::new();
        for c in self.columns {
            let mut line = format!("{} {}", ident(c.name), dialect.column_type(c));
            if let Some(default) = c.server_default {
                line.push_str(" DEFAULT ");
                line.push_str(default);
            }
            if !c.nullable || c.primary_key {
                line.push_str(" NOT NULL");
            }
            lines.push(line);
        }
        if !self.primary_key.is_empty() {
            let cols = list(&mut self.primary_key_columns().map(|c| c.name));
            lines.push(format!("PRIMARY KEY ({cols})"));
        }
        for c in self.columns.iter().filter(|c| c.unique && !(c.primary_key && self.primary_key.len() == 1)) {
            lines.push(format!("UNIQUE ({})", ident(c.name)));
        }
        for unique in self.uniques {
            lines.push(format!("UNIQUE ({})", list(&mut unique.iter().copied())));
        }
        for c in self.columns {
            if let Some(fk) = &c.foreign_key {
                let mut line =
                    format!("FOREIGN KEY({}) REFERENCES {} ({})", ident(c.name), ident(fk.table), ident(fk.column));
                if let Some(action) = fk.on_delete.sql() {
                    line.push_str(" ON DELETE ");
                    line.push_str(action);
                }
                if let Some(action) = fk.on_update.sql() {
                    line.push_str(" ON UPDATE ");
                    line.push_str(action);
                }
                lines.push(line);
            }
        }
        let mut statements = vec![format!("CREATE TABLE {} (\n\t{}\n)", ident(self.name), lines.join(",\n\t"))];
        for index in self.indexes {
            statements.push(format!(
                "CREATE INDEX {} ON {} ({})",
                ident(index.name),
                ident(self.name),
                list(&mut index.columns.iter().copied())
            ));
        }
        statements
    }

    /// The statement that drops this table.
    pub fn drop_sql(&self, dialect: &dyn Dialect) -> String {
        let mut sql = String::from("DROP TABLE ");
        dialect.write_ident(&mut sql, self.name);
        sql
    }
}

/// Orders tables so that every table comes after the tables it references. Tables
/// outside `tables` are assumed to exist; a table may reference itself.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")] struct Program { #[orm(primary_key)] id: i32 }
/// # #[derive(Model)] #[orm(table = "courses")]
/// # struct Course { #[orm(primary_key)] id: i32, #[orm(foreign_key = "programs.id")] program_id: i32 }
/// let order = orm_core::ddl::sort_tables(&[Course::table(), Program::table()]).unwrap();
/// assert_eq!(order.iter().map(|t| t.name).collect::<Vec<_>>(), ["programs", "courses"]);
/// ```
pub fn sort_tables(tables: &[&'static TableDef]) -> Result<Vec<&'static TableDef>> {
    let mut done: Vec<&'static TableDef> = Vec::with_capacity(tables.len());
    let mut placed: HashSet<&str> = HashSet::new();
    let names: HashSet<&str> = tables.iter().map(|t| t.name).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let unique: Vec<&'static TableDef> = tables.iter().copied().filter(|t| seen.insert(t.name)).collect();
    while done.len() < unique.len() {
        let ready = unique.iter().copied().find(|t| {
            !placed.contains(t.name) && t.referenced_tables().all(|r| placed.contains(r) || !names.contains(r))
        });
        match ready {
            Some(t) => {
                placed.insert(t.name);
                done.push(t);
            }
            None => {
                let rest: Vec<&'static TableDef> =
                    unique.iter().copied().filter(|t| !placed.contains(t.name)).collect();
                return Err(Error::schema(format!(
                    "the foreign keys of these tables form a cycle: {}; \
                     make one of the foreign keys nullable and set it after both rows exist",
                    describe_cycle(&rest, &placed)
                )));
            }
        }
    }
    Ok(done)
}

/// `a -> b -> a`, following unplaced references from the first unplaced table.
fn describe_cycle(rest: &[&'static TableDef], placed: &HashSet<&str>) -> String {
    let mut path = vec![rest[0].name];
    let mut current = rest[0];
    loop {
        let next = current.referenced_tables().find(|r| !placed.contains(r) && rest.iter().any(|t| t.name == *r));
        let Some(next) = next else { break };
        if let Some(pos) = path.iter().position(|p| *p == next) {
            path.drain(..pos);
            path.push(next);
            break;
        }
        path.push(next);
        match rest.iter().find(|t| t.name == next) {
            Some(t) => current = t,
            None => break,
        }
    }
    path.join(" -> ")
}

/// `tables` and the association tables of their `many_to_many` relationships.
pub fn with_association_tables(tables: &[&'static TableDef]) -> Vec<&'static TableDef> {
    let mut all = tables.to_vec();
    for secondary in tables.iter().flat_map(|t| t.relationships).filter_map(|r| r.secondary) {
        if !all.iter().any(|t| t.name == secondary.name) {
            all.push(secondary);
        }
    }
    all
}

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
