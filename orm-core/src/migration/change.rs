//! One step of a schema migration, and its inverse (what the down step does).

use std::fmt;

use crate::schema::described::{
    CheckSchema, ColumnKind, ColumnSchema, ForeignKeySchema, IndexSchema, TableSchema, UniqueSchema,
};
use crate::schema::types::SqlType;

/// A change to a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `CREATE TABLE` (with its indexes).
    CreateTable(TableSchema),
    /// `DROP TABLE`: destructive.
    DropTable(TableSchema),
    /// `ALTER TABLE .. RENAME TO ..`.
    RenameTable {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// `ADD COLUMN`.
    AddColumn {
        /// The table.
        table: String,
        /// The new column.
        column: ColumnSchema,
    },
    /// `DROP COLUMN`: destructive.
    DropColumn {
        /// The table.
        table: String,
        /// The dropped column, as it was.
        column: ColumnSchema,
    },
    /// `RENAME COLUMN`.
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// A column's type, nullability or server default.
    AlterColumn {
        /// The table.
        table: String,
        /// The column as it was.
        from: ColumnSchema,
        /// The column as it becomes.
        to: ColumnSchema,
    },
    /// The primary key's columns change.
    AlterPrimaryKey {
        /// The table.
        table: String,
        /// The key's columns before.
        from: Vec<String>,
        /// The key's columns after.
        to: Vec<String>,
        /// The name of the key constraint it replaces, when the database reported one.
        constraint: Option<String>,
    },
    /// A foreign key is added.
    AddForeignKey {
        /// The table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKeySchema,
    },
    /// A foreign key is dropped.
    DropForeignKey {
        /// The table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKeySchema,
    },
    /// A UNIQUE constraint is added.
    AddUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: UniqueSchema,
    },
    /// A UNIQUE constraint is dropped.
    DropUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: UniqueSchema,
    },
    /// `CREATE INDEX`.
    CreateIndex {
        /// The table.
        table: String,
        /// The index.
        index: IndexSchema,
    },
    /// `DROP INDEX`.
    DropIndex {
        /// The table.
        table: String,
        /// The index.
        index: IndexSchema,
    },
    /// A CHECK constraint is added.
    AddCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: CheckSchema,
    },
    /// A CHECK constraint is dropped.
    DropCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: CheckSchema,
    },
}

impl Change {
    /// The change that undoes this one.
    pub fn inverse(&self) -> Change {
        use Change::*;
        match self.clone() {
            CreateTable(t) => DropTable(t),
            DropTable(t) => CreateTable(t),
            RenameTable { from, to } => RenameTable { from: to, to: from },
            AddColumn { table, column } => DropColumn { table, column },
            DropColumn { table, column } => AddColumn { table, column },
            RenameColumn { table, from, to } => RenameColumn { table, from: to, to: from },
            AlterColumn { table, from, to } => AlterColumn { table, from: to, to: from },
            // The key the change made has the database's default name.
            AlterPrimaryKey { table, from, to, .. } => AlterPrimaryKey { table, from: to, to: from, constraint: None },
            AddForeignKey { table, foreign_key } => DropForeignKey { table, foreign_key },
            DropForeignKey { table, foreign_key } => AddForeignKey { table, foreign_key },
            AddUnique { table, unique } => DropUnique { table, unique },
            DropUnique { table, unique } => AddUnique { table, unique },
            CreateIndex { table, index } => DropIndex { table, index },
            DropIndex { table, index } => CreateIndex { table, index },
            AddCheck { table, check } => DropCheck { table, check },
            DropCheck { table, check } => AddCheck { table, check },
        }
    }

    /// Whether the change can lose data: a dropped table or column, or a type that holds
    /// less than before.
    pub fn is_destructive(&self) -> bool {
        match self {
            Change::DropTable(_) | Change::DropColumn { .. } => true,
            Change::AlterColumn { from, to, .. } => !widens(from, to),
            _ => false,
        }
    }

    /// The table the change applies to (its name when the change runs).
    pub fn table(&self) -> &str {
        match self {
            Change::CreateTable(t) | Change::DropTable(t) => &t.name,
            Change::RenameTable { from, .. } => from,
            Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::AlterColumn { table, .. }
            | Change::AlterPrimaryKey { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropForeignKey { table, .. }
            | Change::AddUnique { table, .. }
            | Change::DropUnique { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::DropIndex { table, .. }
            | Change::AddCheck { table, .. }
            | Change::DropCheck { table, .. } => table,
        }
    }
}

/// Whether every value of `from`'s type fits `to`'s (so changing it loses nothing).
fn widens(from: &ColumnSchema, to: &ColumnSchema) -> bool {
    let rank = |kind: &ColumnKind| match kind {
        ColumnKind::Known(SqlType::SmallInt) => Some(1),
        ColumnKind::Known(SqlType::Integer) => Some(2),
        ColumnKind::Known(SqlType::BigInt) => Some(3),
        _ => None,
    };
    // Any VARCHAR fits in TEXT.
    if matches!(from.kind, ColumnKind::Known(SqlType::Text)) && to.kind == ColumnKind::Named("text".to_owned()) {
        return true;
    }
    if from.kind == to.kind {
        return match (from.length, to.length) {
            (Some(a), Some(b)) => b >= a,
            (_, None) => true,
            (None, Some(_)) => false,
        };
    }
    match (rank(&from.kind), rank(&to.kind)) {
        (Some(a), Some(b)) => b >= a,
        _ => false,
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateTable(t) => write!(f, "create table {}", t.name),
            Change::DropTable(t) => write!(f, "drop table {}", t.name),
            Change::RenameTable { from, to } => write!(f, "rename table {from} to {to}"),
            Change::AddColumn { table, column } => write!(f, "add column {table}.{}", column.name),
            Change::DropColumn { table, column } => write!(f, "drop column {table}.{}", column.name),
            Change::RenameColumn { table, from, to } => write!(f, "rename column {table}.{from} to {to}"),
            Change::AlterColumn { table, from, to } => {
                let mut what = Vec::new();
                if from.kind != to.kind || from.length != to.length {
                    what.push("type");
                }
                if from.nullable != to.nullable {
                    what.push(if to.nullable { "drop not null" } else { "set not null" });
                }
                if from.default != to.default {
                    what.push("server default");
                }
                write!(f, "alter column {table}.{} ({})", to.name, what.join(", "))
            }
            Change::AlterPrimaryKey { table, from, to, .. } => {
                write!(f, "primary key of {table} ({}) to ({})", from.join(", "), to.join(", "))
            }
            Change::AddForeignKey { table, foreign_key } | Change::DropForeignKey { table, foreign_key } => {
                let verb = if matches!(self, Change::AddForeignKey { .. }) { "add" } else { "drop" };
                write!(
                    f,
                    "{verb} foreign key {}{table}({}) -> {}",
                    named(&foreign_key.name),
                    foreign_key.columns.join(", "),
                    foreign_key.table
                )
            }
            Change::AddUnique { table, unique } | Change::DropUnique { table, unique } => {
                let verb = if matches!(self, Change::AddUnique { .. }) { "add" } else { "drop" };
                write!(f, "{verb} unique {}{table}({})", named(&unique.name), unique.columns.join(", "))
            }
            Change::CreateIndex { index, .. } => write!(f, "create index {}", index.name),
            Change::DropIndex { index, .. } => write!(f, "drop index {}", index.name),
            Change::AddCheck { table, check } => write!(f, "add check {table}.{}", check.name),
            Change::DropCheck { table, check } => write!(f, "drop check {table}.{}", check.name),
        }
    }
}

/// `name on ` for a constraint that has a name, for messages.
fn named(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!("{n} on ")).unwrap_or_default()
}
