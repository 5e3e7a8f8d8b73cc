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

/// A database schema: its tables, and its PostgreSQL enum types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// The tables, in the order they were read.
    pub tables: Vec<TableSchema>,
    /// The enum types (`CREATE TYPE .. AS ENUM`), by name; PostgreSQL only.
    pub enums: Vec<EnumSchema>,
}

/// A PostgreSQL enum type.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumSchema {
    /// The type's name.
    pub name: String,
    /// Its labels, in their order.
    pub labels: Vec<String>,
}

impl Schema {
    /// The schema of the models' tables, with the enum types their columns use.
    pub fn from_models(tables: &[&'static TableDef]) -> Schema {
        let mut enums: Vec<EnumSchema> = Vec::new();
        for column in tables.iter().flat_map(|t| t.columns) {
            let element = match column.sql_type {
                SqlType::Array(element) => *element,
                other => other,
            };
            if let SqlType::Enum(def) = element
                && let Some(name) = def.pg_type
                && !enums.iter().any(|e| e.name == name)
            {
                enums.push(EnumSchema {
                    name: name.to_owned(),
                    labels: def.labels.iter().map(|l| (*l).to_owned()).collect(),
                });
            }
        }
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        Schema { tables: tables.iter().map(|t| TableSchema::from_model(t)).collect(), enums }
    }

    /// The enum type called `name`.
    pub fn enum_type(&self, name: &str) -> Option<&EnumSchema> {
        self.enums.iter().find(|e| e.name == name)
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

/// A column's type: one the ORM maps, one known by its SQL name (`TEXT`, `NUMERIC(10,2)`,
/// a model's `sql_type`), or a PostgreSQL enum type read from a database.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// A type the ORM maps.
    Known(SqlType),
    /// A type known by its SQL name, in lower case with spaces only between words
    /// (`text`, `numeric(10,2)`); written as named on every backend.
    Named(String),
    /// A PostgreSQL enum type, by name (TEXT on SQLite).
    Enum(String),
}

impl ColumnKind {
    /// A type as SQL text names it (a model's `sql_type`, a database's declared type),
    /// with a VARCHAR's length: the ORM's own types under their usual names (`INT`,
    /// `int4`, `character varying(80)`, `double precision`), any other by its name.
    ///
    /// ```
    /// use orm_core::metadata::ColumnKind;
    /// use orm_core::SqlType;
    /// assert_eq!(ColumnKind::from_sql("INT"), (ColumnKind::Known(SqlType::Integer), None));
    /// assert_eq!(ColumnKind::from_sql("character varying(80)"), (ColumnKind::Known(SqlType::Text), Some(80)));
    /// assert_eq!(ColumnKind::from_sql("TEXT"), (ColumnKind::Named("text".into()), None));
    /// assert_eq!(ColumnKind::from_sql("NUMERIC(10, 2)"), (ColumnKind::Named("numeric(10,2)".into()), None));
    /// // MySQL's names: display widths, TINYINT(1), DECIMAL, DATETIME(6), LONGBLOB.
    /// assert_eq!(ColumnKind::from_sql("int(11)"), (ColumnKind::Known(SqlType::Integer), None));
    /// assert_eq!(ColumnKind::from_sql("tinyint(1)"), (ColumnKind::Known(SqlType::Boolean), None));
    /// assert_eq!(ColumnKind::from_sql("DECIMAL(10, 2)"), (ColumnKind::Named("numeric(10,2)".into()), None));
    /// assert_eq!(ColumnKind::from_sql("datetime(6)"), (ColumnKind::Known(SqlType::Timestamp), None));
    /// ```
    pub fn from_sql(text: &str) -> (ColumnKind, Option<u32>) {
        let mut name = canonical_type_name(text);
        // MySQL's spellings of SQL's names: DECIMAL(p,s) is NUMERIC(p,s); an integer's
        // display width (`int(11)`, MariaDB and MySQL before 8.0.19) is no part of its type.
        if let Some(rest) = name.strip_prefix("decimal(") {
            name = format!("numeric({rest}");
        }
        if let Some((base, width)) = name.split_once('(')
            && matches!(base, "int" | "integer" | "bigint" | "smallint" | "mediumint")
            && width.strip_suffix(')').is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
        {
            name = base.to_owned();
        }
        if let Some(element) = name.strip_suffix("[]") {
            return match ColumnKind::from_sql(element).0 {
                ColumnKind::Known(ty) => match static_element(ty) {
                    Some(e) => (ColumnKind::Known(SqlType::Array(e)), None),
                    None => (ColumnKind::Named(name), None),
                },
                _ => (ColumnKind::Named(name), None),
            };
        }
        for prefix in ["varchar(", "character varying("] {
            if let Some(n) = name.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'))
                && let Ok(n) = n.parse()
            {
                return (ColumnKind::Known(SqlType::Text), Some(n));
            }
        }
        let ty = match name.as_str() {
            "smallint" | "int2" => SqlType::SmallInt,
            "integer" | "int" | "int4" => SqlType::Integer,
            "bigint" | "int8" => SqlType::BigInt,
            "real" | "float4" => SqlType::Real,
            "double precision" | "float8" => SqlType::Double,
            "boolean" | "bool" => SqlType::Boolean,
            "varchar" | "character varying" => SqlType::Text,
            "bytea" => SqlType::Bytes,
            "date" => SqlType::Date,
            "time" | "time without time zone" => SqlType::Time,
            "timestamp" | "timestamp without time zone" => SqlType::Timestamp,
            "timestamptz" | "timestamp with time zone" => SqlType::TimestampTz,
            "uuid" => SqlType::Uuid,
            "jsonb" => SqlType::Json,
            "numeric" | "decimal" => SqlType::Decimal,
            // MySQL's: a BOOLEAN is TINYINT(1); DOUBLE, DATETIME and TIME with microseconds, BLOBs.
            "tinyint(1)" => SqlType::Boolean,
            "double" => SqlType::Double,
            "datetime" | "datetime(6)" => SqlType::Timestamp,
            "time(6)" => SqlType::Time,
            "blob" | "longblob" => SqlType::Bytes,
            _ => return (ColumnKind::Named(name), None),
        };
        (ColumnKind::Known(ty), None)
    }
}

/// `NUMERIC (10, 2)` -> `numeric(10,2)`: lower case, one space between words, none
/// around brackets and commas.
fn canonical_type_name(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        let glued = |c: char| "(),[]".contains(c);
        if i > 0 && !out.ends_with(glued) && !word.starts_with(glued) {
            out.push(' ');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

/// A scalar type as a `'static` array element.
pub(crate) fn static_element(ty: SqlType) -> Option<&'static SqlType> {
    Some(match ty {
        SqlType::SmallInt => &SqlType::SmallInt,
        SqlType::Integer => &SqlType::Integer,
        SqlType::BigInt => &SqlType::BigInt,
        SqlType::Real => &SqlType::Real,
        SqlType::Double => &SqlType::Double,
        SqlType::Boolean => &SqlType::Boolean,
        SqlType::Text => &SqlType::Text,
        SqlType::Bytes => &SqlType::Bytes,
        SqlType::Date => &SqlType::Date,
        SqlType::Time => &SqlType::Time,
        SqlType::Timestamp => &SqlType::Timestamp,
        SqlType::TimestampTz => &SqlType::TimestampTz,
        SqlType::Uuid => &SqlType::Uuid,
        SqlType::Json => &SqlType::Json,
        SqlType::Decimal => &SqlType::Decimal,
        _ => return None,
    })
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeySchema {
    /// The constraint's name, when the model gives one or the database reports it.
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
            .map(|c| {
                let (kind, length) = match c.declared_type {
                    Some(declared) => ColumnKind::from_sql(declared),
                    None => (ColumnKind::Known(c.sql_type), c.length),
                };
                ColumnSchema {
                    name: c.name.to_owned(),
                    renamed_from: c.renamed_from.map(str::to_owned),
                    kind,
                    length,
                    nullable: c.nullable && !c.primary_key,
                    autoincrement: c.autoincrement,
                    default: c.server_default.map(str::to_owned),
                }
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
                        name: fk.name.map(str::to_owned),
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
