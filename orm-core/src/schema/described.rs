//! A schema as owned data: what migrations compare. Both sides of a comparison take this
//! form: the models' tables ([`TableSchema::from_model`]) and a live database's
//! (`Engine::reflect`).
//!
//! ```
//! use orm_core::prelude::*;
//! use orm_core::metadata::TableSchema;
//!
//! #[derive(Model)]
//! #[orm(table = "programs")]
//! struct Program {
//!     #[orm(primary_key)]
//!     id: i32,
//!     #[orm(unique, length = 80)]
//!     name: String,
//! }
//!
//! let table = TableSchema::from_model(Program::table());
//! assert_eq!(table.primary_key, ["id"]);
//! assert_eq!(table.column("name").map(|c| c.length), Some(Some(80)));
//! assert_eq!(table.uniques[0].columns, ["name"]);
//! ```

use crate::schema::table::{ReferentialAction, TableDef};
use crate::schema::types::SqlType;

/// A database schema: its tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// The tables, in the order they were read.
    pub tables: Vec<TableSchema>,
}

impl Schema {
    /// The schema of the models' tables.
    pub fn from_models(tables: &[&'static TableDef]) -> Schema {
        Schema { tables: tables.iter().map(|t| TableSchema::from_model(t)).collect() }
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// A table: its columns, keys, constraints and indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// The table's name.
    pub name: String,
    /// Its previous name (`#[orm(renamed_from = "..")]`); models only.
    pub renamed_from: Option<String>,
    /// The columns, in order.
    pub columns: Vec<ColumnSchema>,
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// The primary key constraint's name, when the database reports one.
    pub primary_key_name: Option<String>,
    /// The foreign keys.
    pub foreign_keys: Vec<ForeignKeySchema>,
    /// UNIQUE constraints (one column's or several).
    pub uniques: Vec<UniqueSchema>,
    /// Indexes that are no constraint's.
    pub indexes: Vec<IndexSchema>,
    /// Named CHECK constraints.
    pub checks: Vec<CheckSchema>,
}

/// A column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    /// The column's name.
    pub name: String,
    /// Its previous name (`#[orm(renamed_from = "..")]`); models only.
    pub renamed_from: Option<String>,
    /// Its type.
    pub kind: ColumnKind,
    /// A VARCHAR's length.
    pub length: Option<u32>,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Whether the database numbers it (SERIAL; SQLite's INTEGER PRIMARY KEY).
    pub autoincrement: bool,
    /// The server default, as SQL.
    pub default: Option<String>,
}

/// A column's type: one the ORM maps, or one it only knows by name (a PostgreSQL enum
/// type or extension type read from a database).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// A type the ORM maps.
    Known(SqlType),
    /// A type known by its name in the database.
    Named(String),
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeySchema {
    /// The constraint's name, when the database gave one.
    pub name: Option<String>,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub table: String,
    /// The referenced columns.
    pub referenced: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: ReferentialAction,
    /// `ON UPDATE`.
    pub on_update: ReferentialAction,
}

/// A UNIQUE constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueSchema {
    /// The constraint's name, when the model gives one or the database reports it.
    pub name: Option<String>,
    /// The columns, in order.
    pub columns: Vec<String>,
}

/// An index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSchema {
    /// The index's name.
    pub name: String,
    /// The indexed columns, in order.
    pub columns: Vec<String>,
    /// `CREATE UNIQUE INDEX`.
    pub unique: bool,
    /// A partial index's condition.
    pub predicate: Option<String>,
}

/// A named CHECK constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSchema {
    /// The constraint's name.
    pub name: String,
    /// The condition, as SQL.
    pub expr: String,
}

impl TableSchema {
    /// The model's table as owned data.
    pub fn from_model(table: &TableDef) -> TableSchema {
        let columns = table
            .columns
            .iter()
            .map(|c| ColumnSchema {
                name: c.name.to_owned(),
                renamed_from: c.renamed_from.map(str::to_owned),
                kind: ColumnKind::Known(c.sql_type),
                length: c.length,
                nullable: c.nullable && !c.primary_key,
                autoincrement: c.autoincrement,
                default: c.server_default.map(str::to_owned),
            })
            .collect();
        let single_key = table.primary_key.len() == 1;
        let column_uniques = table
            .columns
            .iter()
            .filter(|c| c.unique && !(c.primary_key && single_key))
            .map(|c| UniqueSchema { name: None, columns: vec![c.name.to_owned()] });
        let uniques = table.uniques.iter().map(|u| UniqueSchema {
            name: u.name.map(str::to_owned),
            columns: u.columns.iter().map(|c| (*c).to_owned()).collect(),
        });
        TableSchema {
            name: table.name.to_owned(),
            renamed_from: table.renamed_from.map(str::to_owned),
            columns,
            primary_key: table.primary_key_columns().map(|c| c.name.to_owned()).collect(),
            primary_key_name: None,
            foreign_keys: table
                .columns
                .iter()
                .filter_map(|c| {
                    let fk = c.foreign_key.as_ref()?;
                    Some(ForeignKeySchema {
                        name: None,
                        columns: vec![c.name.to_owned()],
                        table: fk.table.to_owned(),
                        referenced: vec![fk.column.to_owned()],
                        on_delete: fk.on_delete,
                        on_update: fk.on_update,
                    })
                })
                .collect(),
            uniques: column_uniques.chain(uniques).collect(),
            indexes: table
                .indexes
                .iter()
                .map(|i| IndexSchema {
                    name: i.name.to_owned(),
                    columns: i.columns.iter().map(|c| (*c).to_owned()).collect(),
                    unique: false,
                    predicate: i.predicate.map(str::to_owned),
                })
                .collect(),
            checks: table
                .checks
                .iter()
                .map(|c| CheckSchema { name: c.name.to_owned(), expr: c.expr.to_owned() })
                .collect(),
        }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }
}
