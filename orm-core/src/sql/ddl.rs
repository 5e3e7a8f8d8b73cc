//! DDL text: the CREATE TABLE / CREATE INDEX / DROP TABLE statements of a table, as a
//! [`Dialect`] spells them, without a database.

use crate::schema::described::{ColumnKind, ColumnSchema, ForeignKeySchema, IndexSchema, TableSchema, UniqueSchema};
use crate::schema::mapped::EnumDef;
use crate::schema::table::{ColumnDef, TableDef};
use crate::schema::types::SqlType;
use crate::sql::dialect::Dialect;

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
        TableSchema::from_model(self).create_sql(dialect)
    }

    /// The PostgreSQL enum types this table's columns use (the `pg_enum` form), which
    /// must exist before it.
    pub fn enum_types(&self, dialect: &dyn Dialect) -> Vec<&'static EnumDef> {
        let mut found: Vec<&'static EnumDef> = Vec::new();
        for c in self.columns {
            let element = match c.sql_type {
                SqlType::Array(element) => *element,
                other => other,
            };
            if let SqlType::Enum(def) = element
                && def.pg_type.is_some()
                && dialect.native_enums()
                && !found.contains(&def)
            {
                found.push(def);
            }
        }
        found
    }

    /// The statement that drops this table.
    pub fn drop_sql(&self, dialect: &dyn Dialect) -> String {
        let mut sql = String::from("DROP TABLE ");
        dialect.write_ident(&mut sql, self.name);
        sql
    }
}

impl EnumDef {
    /// `CREATE TYPE name AS ENUM ('a', 'b')`, for the native form.
    pub fn create_sql(&self, dialect: &dyn Dialect) -> Option<String> {
        let name = self.pg_type.filter(|_| dialect.native_enums())?;
        let mut sql = String::from("CREATE TYPE ");
        dialect.write_ident(&mut sql, name);
        sql.push_str(" AS ENUM (");
        sql.push_str(&self.label_list());
        sql.push(')');
        Some(sql)
    }
}

/// `name` as the dialect writes an identifier (quoted when it must be).
pub(crate) fn ident(dialect: &dyn Dialect, name: &str) -> String {
    let mut s = String::new();
    dialect.write_ident(&mut s, name);
    s
}

/// `a, b, c`: identifiers in a list.
pub(crate) fn ident_list(dialect: &dyn Dialect, names: &[String]) -> String {
    names.iter().map(|n| ident(dialect, n)).collect::<Vec<_>>().join(", ")
}

impl TableSchema {
    /// The statements that create this table and its indexes.
    pub fn create_sql(&self, dialect: &dyn Dialect) -> Vec<String> {
        self.create_sql_named(dialect, &self.name)
    }

    /// [`create_sql`](Self::create_sql) under another table name (SQLite's table rebuild
    /// creates the new table beside the old one); indexes are left out then.
    pub(crate) fn create_sql_named(&self, dialect: &dyn Dialect, name: &str) -> Vec<String> {
        let mut lines: Vec<String> = self.columns.iter().map(|c| c.definition_sql(dialect)).collect();
        if !self.primary_key.is_empty() {
            lines.push(format!("PRIMARY KEY ({})", ident_list(dialect, &self.primary_key)));
        }
        // Where the database would name unnamed constraints its own way (MySQL: after the
        // column, `t_ibfk_1`), they get PostgreSQL's names, so that errors name them alike.
        let named = dialect.name() == "mysql";
        for u in &self.uniques {
            lines.push(match (&u.name, named) {
                (None, true) => {
                    UniqueSchema { name: Some(format!("{}_{}_key", self.name, u.columns.join("_"))), ..u.clone() }
                        .definition_sql(dialect)
                }
                _ => u.definition_sql(dialect),
            });
        }
        for check in &self.checks {
            lines.push(format!("CONSTRAINT {} CHECK ({})", ident(dialect, &check.name), check.expr));
        }
        for fk in &self.foreign_keys {
            lines.push(match (&fk.name, named) {
                (None, true) => ForeignKeySchema {
                    name: Some(format!("{}_{}_fkey", self.name, fk.columns.join("_"))),
                    ..fk.clone()
                }
                .definition_sql(dialect),
                _ => fk.definition_sql(dialect),
            });
        }
        let mut statement = format!("CREATE TABLE {} (\n\t{}\n)", ident(dialect, name), lines.join(",\n\t"));
        statement.push_str(dialect.table_options());
        let mut statements = vec![statement];
        if name == self.name {
            statements.extend(self.indexes.iter().map(|i| i.create_sql(dialect, &self.name)));
        }
        statements
    }
}

impl ColumnSchema {
    /// `name TYPE [DEFAULT ..] [NOT NULL] [CHECK (..)]`, as in CREATE TABLE and ADD COLUMN.
    pub fn definition_sql(&self, dialect: &dyn Dialect) -> String {
        let mut line = format!("{} {}", ident(dialect, &self.name), self.type_sql(dialect));
        if let Some(default) = &self.default {
            line.push_str(" DEFAULT ");
            line.push_str(default);
        }
        if !self.nullable {
            line.push_str(" NOT NULL");
        }
        if let ColumnKind::Known(SqlType::Enum(def)) = self.kind
            && !(def.pg_type.is_some() && dialect.native_enums())
        {
            line.push_str(&format!(" CHECK ({} IN ({}))", ident(dialect, &self.name), def.label_list()));
        }
        line
    }

    /// The column's type as the dialect names it (`SERIAL`, `VARCHAR(80)`, `mood`).
    pub fn type_sql(&self, dialect: &dyn Dialect) -> String {
        match &self.kind {
            ColumnKind::Known(ty) => dialect.column_type(&ColumnDef {
                name: "",
                field: "",
                sql_type: *ty,
                rust_type: "",
                nullable: self.nullable,
                primary_key: false,
                autoincrement: self.autoincrement,
                unique: false,
                index: false,
                length: self.length,
                declared_type: None,
                server_default: None,
                renamed_from: None,
                foreign_key: None,
            }),
            ColumnKind::Named(name) => dialect.declared_type(name),
            ColumnKind::Enum(name) if dialect.native_enums() => ident(dialect, name),
            ColumnKind::Enum(_) => "TEXT".to_owned(),
        }
    }
}

impl UniqueSchema {
    /// `[CONSTRAINT name] UNIQUE (a, b)`.
    pub(crate) fn definition_sql(&self, dialect: &dyn Dialect) -> String {
        let columns = ident_list(dialect, &self.columns);
        match &self.name {
            Some(name) => format!("CONSTRAINT {} UNIQUE ({columns})", ident(dialect, name)),
            None => format!("UNIQUE ({columns})"),
        }
    }
}

impl ForeignKeySchema {
    /// `[CONSTRAINT name] FOREIGN KEY(a) REFERENCES t (b) [ON DELETE ..] [ON UPDATE ..]`.
    pub(crate) fn definition_sql(&self, dialect: &dyn Dialect) -> String {
        let name = self.name.as_ref().map(|n| format!("CONSTRAINT {} ", ident(dialect, n))).unwrap_or_default();
        let mut line = format!(
            "{name}FOREIGN KEY({}) REFERENCES {} ({})",
            ident_list(dialect, &self.columns),
            ident(dialect, &self.table),
            ident_list(dialect, &self.referenced)
        );
        if let Some(action) = self.on_delete.sql() {
            line.push_str(" ON DELETE ");
            line.push_str(action);
        }
        if let Some(action) = self.on_update.sql() {
            line.push_str(" ON UPDATE ");
            line.push_str(action);
        }
        line
    }
}

impl IndexSchema {
    /// `CREATE [UNIQUE] INDEX name ON table (a, b) [WHERE ..]`.
    pub fn create_sql(&self, dialect: &dyn Dialect, table: &str) -> String {
        let mut statement = format!(
            "CREATE {}INDEX {} ON {} ({})",
            if self.unique { "UNIQUE " } else { "" },
            ident(dialect, &self.name),
            ident(dialect, table),
            ident_list(dialect, &self.columns)
        );
        if let Some(predicate) = &self.predicate {
            statement.push_str(" WHERE ");
            statement.push_str(predicate);
        }
        statement
    }
}
