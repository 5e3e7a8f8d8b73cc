//! DDL text: the CREATE TABLE / CREATE INDEX / DROP TABLE statements of a table, as a
//! [`Dialect`] spells them, without a database.

use crate::schema::mapped::EnumDef;
use crate::schema::table::TableDef;
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
            if let SqlType::Enum(def) = c.sql_type
                && !(def.pg_type.is_some() && dialect.native_enums())
            {
                line.push_str(&format!(" CHECK ({} IN ({}))", ident(c.name), def.label_list()));
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
            let columns = list(&mut unique.columns.iter().copied());
            lines.push(match unique.name {
                Some(name) => format!("CONSTRAINT {} UNIQUE ({columns})", ident(name)),
                None => format!("UNIQUE ({columns})"),
            });
        }
        for check in self.checks {
            lines.push(format!("CONSTRAINT {} CHECK ({})", ident(check.name), check.expr));
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
            let mut statement = format!(
                "CREATE INDEX {} ON {} ({})",
                ident(index.name),
                ident(self.name),
                list(&mut index.columns.iter().copied())
            );
            if let Some(predicate) = index.predicate {
                statement.push_str(" WHERE ");
                statement.push_str(predicate);
            }
            statements.push(statement);
        }
        statements
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
