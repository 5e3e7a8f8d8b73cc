//! Changes as SQL statements for a dialect. PostgreSQL alters tables in place, and so do
//! MySQL and MariaDB, in their own spelling (`migration/mysql.rs`); SQLite,
//! whose `ALTER TABLE` can add, rename and drop columns but not change them or their
//! constraints, rebuilds such a table (Alembic's batch mode): creates the new table
//! beside the old one, copies the rows, drops the old table, renames the new one and
//! recreates its indexes. The migration runner checks foreign keys before it commits.

use crate::migration::change::Change;
use crate::schema::described::{ColumnKind, Schema, TableSchema};
use crate::schema::types::SqlType;
use crate::sql::ddl::{ident, ident_list};
use crate::sql::dialect::Dialect;

/// The name a rebuilt table is created under before it replaces the old one.
const REBUILD_PREFIX: &str = "_orm_new_";

/// The statements of `changes`, which take `before` to `after`.
pub fn render(changes: &[Change], before: &Schema, after: &Schema, dialect: &dyn Dialect) -> Vec<String> {
    if dialect.name() == "mysql" {
        return super::mysql::render(changes, before, dialect);
    }
    if dialect.native_enums() {
        return changes.iter().flat_map(|c| render_in_place(c, dialect)).collect();
    }
    // SQLite: the tables some change needs rebuilt, by their name when the change runs.
    let now = |name: &str| {
        changes
            .iter()
            .find_map(|c| match c {
                Change::RenameTable { from, to } if from == name => Some(to.clone()),
                _ => None,
            })
            .unwrap_or_else(|| name.to_owned())
    };
    let mut rebuilt: Vec<String> = Vec::new();
    for change in changes {
        if needs_rebuild(change) && !rebuilt.contains(&now(change.table())) {
            rebuilt.push(now(change.table()));
        }
    }
    let absorbed = |c: &Change| {
        !matches!(
            c,
            Change::RenameTable { .. } | Change::RenameColumn { .. } | Change::CreateTable(_) | Change::DropTable(_)
        ) && rebuilt.contains(&now(c.table()))
    };
    let early = |c: &Change| {
        matches!(
            c,
            Change::RenameTable { .. }
                | Change::RenameColumn { .. }
                | Change::CreateTable(_)
                | Change::DropIndex { .. }
                | Change::DropForeignKey { .. }
                | Change::DropUnique { .. }
                | Change::DropCheck { .. }
        )
    };
    let kept: Vec<&Change> = changes.iter().filter(|c| !absorbed(c)).collect();
    let mut statements: Vec<String> =
        kept.iter().filter(|c| early(c)).flat_map(|c| render_in_place(c, dialect)).collect();
    for table in &rebuilt {
        let Some(target) = after.table(table) else { continue };
        let old_name = changes
            .iter()
            .find_map(|c| match c {
                Change::RenameTable { from, to } if to == table => Some(from.as_str()),
                _ => None,
            })
            .unwrap_or(table);
        let Some(source) = before.table(old_name) else { continue };
        // The source's columns as they are called when the rebuild runs (renames first).
        let live: Vec<String> = source
            .columns
            .iter()
            .map(|c| {
                changes
                    .iter()
                    .find_map(|ch| match ch {
                        Change::RenameColumn { table: t, from, to } if t == table && *from == c.name => {
                            Some(to.clone())
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| c.name.clone())
            })
            .collect();
        statements.extend(rebuild(target, &live, dialect));
    }
    statements.extend(kept.iter().filter(|c| !early(c)).flat_map(|c| render_in_place(c, dialect)));
    statements
}

/// Whether SQLite must rebuild the table for the change.
fn needs_rebuild(change: &Change) -> bool {
    match change {
        Change::AddColumn { column, .. } => !column.nullable && column.default.is_none(),
        Change::DropColumn { .. }
        | Change::AlterColumn { .. }
        | Change::AlterPrimaryKey { .. }
        | Change::AddForeignKey { .. }
        | Change::DropForeignKey { .. }
        | Change::AddUnique { .. }
        | Change::DropUnique { .. }
        | Change::AddCheck { .. }
        | Change::DropCheck { .. } => true,
        _ => false,
    }
}

/// SQLite's table rebuild into `target`, copying the columns both have (`live`: the old
/// table's column names).
fn rebuild(target: &TableSchema, live: &[String], dialect: &dyn Dialect) -> Vec<String> {
    let temp = format!("{REBUILD_PREFIX}{}", target.name);
    let mut statements = target.create_sql_named(dialect, &temp);
    let copied: Vec<String> =
        target.columns.iter().filter(|c| live.contains(&c.name)).map(|c| c.name.clone()).collect();
    let columns = ident_list(dialect, &copied);
    statements.push(format!(
        "INSERT INTO {} ({columns}) SELECT {columns} FROM {}",
        ident(dialect, &temp),
        ident(dialect, &target.name)
    ));
    statements.push(format!("DROP TABLE {}", ident(dialect, &target.name)));
    statements.push(format!("ALTER TABLE {} RENAME TO {}", ident(dialect, &temp), ident(dialect, &target.name)));
    statements.extend(target.indexes.iter().map(|i| i.create_sql(dialect, &target.name)));
    statements
}

/// PostgreSQL's default name of a constraint: `<table>_<columns>_<suffix>`, cut to 63 bytes.
fn default_constraint_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut name = format!("{table}_{}", columns.join("_"));
    let room = 63 - suffix.len() - 1;
    if name.len() > room {
        let mut cut = room;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    format!("{name}_{suffix}")
}

/// `CREATE TYPE` for the PostgreSQL enum types a table's columns use, unless they exist.
fn enum_types(columns: &[&crate::schema::described::ColumnSchema], dialect: &dyn Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for c in columns {
        let element = match c.kind {
            ColumnKind::Known(SqlType::Array(element)) => *element,
            ColumnKind::Known(ty) => ty,
            ColumnKind::Named(_) | ColumnKind::Enum(_) => continue,
        };
        if let SqlType::Enum(def) = element
            && let Some(create) = def.create_sql(dialect)
        {
            out.push(format!("DO $$ BEGIN {create}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"));
        }
    }
    out
}

/// A change as ALTER statements (no rebuild).
fn render_in_place(change: &Change, dialect: &dyn Dialect) -> Vec<String> {
    let id = |name: &str| ident(dialect, name);
    let alter = |table: &str| format!("ALTER TABLE {}", id(table));
    let postgres = dialect.native_enums();
    match change {
        Change::CreateTable(t) => {
            let mut statements = enum_types(&t.columns.iter().collect::<Vec<_>>(), dialect);
            statements.extend(t.create_sql(dialect));
            statements
        }
        Change::DropTable(t) => vec![format!("DROP TABLE {}", id(&t.name))],
        Change::RenameTable { from, to } => vec![format!("{} RENAME TO {}", alter(from), id(to))],
        Change::AddColumn { table, column } => {
            let mut statements = enum_types(&[column], dialect);
            statements.push(format!("{} ADD COLUMN {}", alter(table), column.definition_sql(dialect)));
            statements
        }
        Change::DropColumn { table, column } => vec![format!("{} DROP COLUMN {}", alter(table), id(&column.name))],
        Change::RenameColumn { table, from, to } => {
            vec![format!("{} RENAME COLUMN {} TO {}", alter(table), id(from), id(to))]
        }
        Change::AlterColumn { table, from, to } => {
            let column = id(&to.name);
            let mut actions = Vec::new();
            let mut plain = to.clone();
            plain.autoincrement = false;
            let mut plain_from = from.clone();
            plain_from.autoincrement = false;
            if !plain.type_sql(dialect).eq_ignore_ascii_case(&plain_from.type_sql(dialect)) {
                let ty = plain.type_sql(dialect);
                actions.push(format!("ALTER COLUMN {column} TYPE {ty} USING {column}::{ty}"));
            }
            if from.nullable != to.nullable {
                actions.push(format!("ALTER COLUMN {column} {} NOT NULL", if to.nullable { "DROP" } else { "SET" }));
            }
            if from.default != to.default {
                actions.push(match &to.default {
                    Some(default) => format!("ALTER COLUMN {column} SET DEFAULT {default}"),
                    None => format!("ALTER COLUMN {column} DROP DEFAULT"),
                });
            }
            if actions.is_empty() { Vec::new() } else { vec![format!("{} {}", alter(table), actions.join(", "))] }
        }
        Change::AlterPrimaryKey { table, from, to, constraint } => {
            // PostgreSQL names a key `<table>_pkey` unless told otherwise.
            let mut actions = Vec::new();
            if !from.is_empty() {
                let name = constraint.clone().unwrap_or_else(|| format!("{table}_pkey"));
                actions.push(format!("DROP CONSTRAINT {}", id(&name)));
            }
            if !to.is_empty() {
                actions.push(format!("ADD PRIMARY KEY ({})", ident_list(dialect, to)));
            }
            vec![format!("{} {}", alter(table), actions.join(", "))]
        }
        Change::AddForeignKey { table, foreign_key } => {
            vec![format!("{} ADD {}", alter(table), foreign_key.definition_sql(dialect))]
        }
        Change::DropForeignKey { table, foreign_key } if postgres => {
            let name = foreign_key
                .name
                .clone()
                .unwrap_or_else(|| default_constraint_name(table, &foreign_key.columns, "fkey"));
            vec![format!("{} DROP CONSTRAINT {}", alter(table), id(&name))]
        }
        Change::AddUnique { table, unique } => vec![format!("{} ADD {}", alter(table), unique.definition_sql(dialect))],
        Change::DropUnique { table, unique } if postgres => {
            let name = unique.name.clone().unwrap_or_else(|| default_constraint_name(table, &unique.columns, "key"));
            vec![format!("{} DROP CONSTRAINT {}", alter(table), id(&name))]
        }
        Change::CreateIndex { table, index } => vec![index.create_sql(dialect, table)],
        Change::DropIndex { index, .. } => vec![format!("DROP INDEX {}", id(&index.name))],
        Change::AddCheck { table, check } => {
            vec![format!("{} ADD CONSTRAINT {} CHECK ({})", alter(table), id(&check.name), check.expr)]
        }
        Change::DropCheck { table, check } if postgres => {
            vec![format!("{} DROP CONSTRAINT {}", alter(table), id(&check.name))]
        }
        // SQLite drops these with the table rebuild.
        Change::DropForeignKey { .. } | Change::DropUnique { .. } | Change::DropCheck { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_postgres() {
        assert_eq!(default_constraint_name("books", &["author_id".into()], "fkey"), "books_author_id_fkey");
        let long = "x".repeat(70);
        assert_eq!(default_constraint_name(&long, &["a".into()], "key").len(), 63);
    }
}
