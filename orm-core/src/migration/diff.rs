//! Autogenerate's comparison: the changes that take a database's schema (reflected) to
//! the models' (the target). Renames are never guessed: a table or column is renamed only
//! when the model says `#[orm(renamed_from = "..")]`; anything else missing is dropped
//! and marked destructive.

use crate::migration::change::Change;
use crate::schema::described::{CheckSchema, ColumnSchema, ForeignKeySchema, Schema, TableSchema};
use crate::schema::table::ReferentialAction;
use crate::sql::dialect::Dialect;

/// The table that records applied migrations; never part of a comparison.
pub const VERSIONS_TABLE: &str = "orm_migrations";

/// The changes from `current` (the database) to `target` (the models), in the order they
/// run, types compared as `dialect` (the database's) names them.
pub fn diff(current: &Schema, target: &Schema, dialect: &dyn Dialect) -> Vec<Change> {
    let mut plan = Plan::default();
    let mut matched: Vec<&str> = Vec::new();
    let mut created: Vec<&TableSchema> = Vec::new();
    for new in &target.tables {
        let old = current.table(&new.name).or_else(|| {
            let from = new.renamed_from.as_deref()?;
            let old = current.table(from)?;
            plan.renames.push(Change::RenameTable { from: from.to_owned(), to: new.name.clone() });
            Some(old)
        });
        match old {
            Some(old) => {
                matched.push(&old.name);
                compare_tables(&mut plan, old, new, dialect);
            }
            None => created.push(new),
        }
    }
    for new in referenced_first(&created) {
        plan.creates.push(Change::CreateTable(new.clone()));
    }
    let dropped: Vec<&TableSchema> =
        current.tables.iter().filter(|t| t.name != VERSIONS_TABLE && !matched.contains(&t.name.as_str())).collect();
    for old in referenced_first(&dropped).into_iter().rev() {
        plan.drop_tables.push(Change::DropTable(old.clone()));
    }
    plan.into_changes()
}

/// The tables, each after those among them that its foreign keys reference (a cycle
/// keeps the given order for its tables).
fn referenced_first<'a>(tables: &[&'a TableSchema]) -> Vec<&'a TableSchema> {
    let mut done: Vec<&'a TableSchema> = Vec::with_capacity(tables.len());
    while done.len() < tables.len() {
        let pending = || tables.iter().copied().filter(|t| !done.iter().any(|d| d.name == t.name));
        let ready = pending().find(|t| {
            t.foreign_keys.iter().all(|fk| {
                fk.table == t.name
                    || done.iter().any(|d| d.name == fk.table)
                    || !tables.iter().any(|o| o.name == fk.table)
            })
        });
        match ready.or_else(|| pending().next()) {
            Some(t) => done.push(t),
            None => break,
        }
    }
    done
}

/// Changes by the phase they run in, so that each finds what it needs.
#[derive(Default)]
struct Plan {
    /// Foreign keys, indexes, uniques and checks that go or change.
    drops: Vec<Change>,
    renames: Vec<Change>,
    creates: Vec<Change>,
    columns: Vec<Change>,
    adds: Vec<Change>,
    drop_columns: Vec<Change>,
    drop_tables: Vec<Change>,
}

impl Plan {
    fn into_changes(self) -> Vec<Change> {
        let mut all = self.drops;
        all.extend(self.renames);
        all.extend(self.creates);
        all.extend(self.columns);
        all.extend(self.adds);
        all.extend(self.drop_columns);
        all.extend(self.drop_tables);
        all
    }
}

/// `old` (the database's table) to `new` (the model's, possibly under a new name).
fn compare_tables(plan: &mut Plan, old: &TableSchema, new: &TableSchema, dialect: &dyn Dialect) {
    let table = new.name.clone();
    // The old table's column names as the new table calls them.
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for column in &new.columns {
        let before = old.column(&column.name).or_else(|| {
            let from = column.renamed_from.as_deref()?;
            let before = old.column(from)?;
            renamed.push((from.to_owned(), column.name.clone()));
            plan.renames.push(Change::RenameColumn {
                table: table.clone(),
                from: from.to_owned(),
                to: column.name.clone(),
            });
            Some(before)
        });
        match before {
            Some(before) => {
                kept.push(&before.name);
                if !same_column(before, column, dialect) {
                    let mut from = before.clone();
                    from.name.clone_from(&column.name);
                    plan.columns.push(Change::AlterColumn { table: table.clone(), from, to: column.clone() });
                }
            }
            None => plan.columns.push(Change::AddColumn { table: table.clone(), column: column.clone() }),
        }
    }
    for column in old.columns.iter().filter(|c| !kept.contains(&c.name.as_str())) {
        plan.drop_columns.push(Change::DropColumn { table: table.clone(), column: column.clone() });
    }
    let rename = |name: &String| {
        renamed.iter().find(|(from, _)| from == name).map_or_else(|| name.clone(), |(_, to)| to.clone())
    };
    let rename_all = |names: &[String]| names.iter().map(rename).collect::<Vec<_>>();

    // The primary key: after the columns it names exist, before constraints lean on it.
    if rename_all(&old.primary_key) != new.primary_key {
        plan.columns.push(Change::AlterPrimaryKey {
            table: table.clone(),
            from: rename_all(&old.primary_key),
            to: new.primary_key.clone(),
            constraint: old.primary_key_name.clone(),
        });
    }

    // Foreign keys compare by what they do, and by name when the model names one.
    let same_fk = |o: &ForeignKeySchema, n: &ForeignKeySchema| {
        rename_all(&o.columns) == n.columns
            && o.table == n.table
            && o.referenced == n.referenced
            && same_action(o.on_delete, n.on_delete, dialect)
            && same_action(o.on_update, n.on_update, dialect)
            && n.name.as_ref().is_none_or(|name| Some(name) == o.name.as_ref())
    };
    for fk in &old.foreign_keys {
        if !new.foreign_keys.iter().any(|n| same_fk(fk, n)) {
            plan.drops.push(Change::DropForeignKey { table: old.name.clone(), foreign_key: fk.clone() });
        }
    }
    for fk in &new.foreign_keys {
        let exists = old.foreign_keys.iter().any(|o| same_fk(o, fk));
        if !exists {
            plan.adds.push(Change::AddForeignKey { table: table.clone(), foreign_key: fk.clone() });
        }
    }
    // Uniques compare by their columns (and name, when the model names one).
    for unique in &old.uniques {
        let columns = rename_all(&unique.columns);
        let same = new
            .uniques
            .iter()
            .any(|n| n.columns == columns && n.name.as_ref().is_none_or(|name| Some(name) == unique.name.as_ref()));
        if !same {
            plan.drops.push(Change::DropUnique { table: old.name.clone(), unique: unique.clone() });
        }
    }
    for unique in &new.uniques {
        let exists = old.uniques.iter().any(|o| {
            rename_all(&o.columns) == unique.columns
                && unique.name.as_ref().is_none_or(|name| Some(name) == o.name.as_ref())
        });
        if !exists {
            plan.adds.push(Change::AddUnique { table: table.clone(), unique: unique.clone() });
        }
    }
    // Indexes compare by name, columns, uniqueness and condition.
    let same_index = |o: &crate::schema::described::IndexSchema, n: &crate::schema::described::IndexSchema| {
        o.name == n.name
            && rename_all(&o.columns) == n.columns
            && o.unique == n.unique
            && o.predicate.as_deref().map(normalize_sql) == n.predicate.as_deref().map(normalize_sql)
    };
    for index in &old.indexes {
        if !new.indexes.iter().any(|n| same_index(index, n)) {
            plan.drops.push(Change::DropIndex { table: old.name.clone(), index: index.clone() });
        }
    }
    for index in &new.indexes {
        if !old.indexes.iter().any(|o| same_index(o, index)) {
            plan.adds.push(Change::CreateIndex { table: table.clone(), index: index.clone() });
        }
    }
    // Checks compare by name, or, under another name, by their condition (a check the
    // database or another tool named is the model's when it tests the same); those the
    // database named itself (`<table>_<column>_check`) belong to a column's definition.
    let same_check = |o: &CheckSchema, n: &CheckSchema| {
        o.name == n.name || normalize_sql(&rename_sql(&o.expr, &renamed)) == normalize_sql(&n.expr)
    };
    for check in &old.checks {
        let generated = check.name.ends_with("_check");
        if !generated && !new.checks.iter().any(|n| same_check(check, n)) {
            plan.drops.push(Change::DropCheck { table: old.name.clone(), check: check.clone() });
        }
    }
    for check in &new.checks {
        if !old.checks.iter().any(|o| same_check(o, check)) {
            plan.adds.push(Change::AddCheck { table: table.clone(), check: check.clone() });
        }
    }
}

/// A condition with the renamed columns' old names replaced by their new ones (whole
/// words outside quotes).
fn rename_sql(sql: &str, renamed: &[(String, String)]) -> String {
    if renamed.is_empty() {
        return sql.to_owned();
    }
    let mut out = String::new();
    let mut word = String::new();
    let mut quoted = false;
    let flush = |word: &mut String, out: &mut String| {
        let to = renamed.iter().find(|(from, _)| from == word).map_or(word.as_str(), |(_, to)| to.as_str());
        out.push_str(to);
        word.clear();
    };
    for c in sql.chars() {
        if !quoted && (c.is_alphanumeric() || c == '_') {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        if c == '\'' {
            quoted = !quoted;
        }
        out.push(c);
    }
    flush(&mut word, &mut out);
    out
}

/// Whether two columns have the same type (as the dialect names it), nullability and
/// server default.
fn same_column(old: &ColumnSchema, new: &ColumnSchema, dialect: &dyn Dialect) -> bool {
    let default = |c: &ColumnSchema| {
        let sql = normalize_sql(c.default.as_deref()?);
        if dialect.name() != "mysql" {
            return Some(sql);
        }
        // MySQL keeps a BOOLEAN's default as the number it stores, and the current time
        // with the column's precision (`current_timestamp(6)`, parentheses gone here).
        Some(match sql.as_str() {
            "false" => "0".to_owned(),
            "true" => "1".to_owned(),
            "now" | "now6" | "current_timestamp6" | "localtimestamp" | "localtimestamp6" => {
                "current_timestamp".to_owned()
            }
            _ => sql,
        })
    };
    old.type_sql(dialect).eq_ignore_ascii_case(&new.type_sql(dialect))
        && old.nullable == new.nullable
        && default(old) == default(new)
}

/// Whether two referential actions do the same: on MySQL (InnoDB) NO ACTION is RESTRICT.
fn same_action(a: ReferentialAction, b: ReferentialAction, dialect: &dyn Dialect) -> bool {
    let strict = |x| matches!(x, ReferentialAction::NoAction | ReferentialAction::Restrict);
    a == b || (dialect.name() == "mysql" && strict(a) && strict(b))
}

/// SQL text compared loosely: casts (`'a'::character varying`), enclosing parentheses,
/// case outside quotes and spaces do not count.
pub(crate) fn normalize_sql(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::new();
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
        } else if quoted {
            out.push(c);
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            // Skip the cast's type name: words, spaces, quotes, brackets, a length.
            i += 2;
            while i < chars.len() && (chars[i].is_alphanumeric() || " _\"[]".contains(chars[i])) {
                i += 1;
            }
            if chars.get(i) == Some(&'(') {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                i += 1;
            }
            continue;
        } else if !c.is_whitespace() && c != '(' && c != ')' {
            out.extend(c.to_lowercase());
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_compare_without_casts_and_parentheses() {
        assert_eq!(normalize_sql("'draft'::character varying"), normalize_sql("'draft'"));
        assert_eq!(normalize_sql("(0)"), normalize_sql("0"));
        assert_eq!(normalize_sql("NOW()"), normalize_sql("now()"));
        assert_eq!(normalize_sql("'a'::character varying(20)"), "'a'");
        assert_ne!(normalize_sql("'A'"), normalize_sql("'a'"));
        assert_eq!(normalize_sql("(deleted = false)"), normalize_sql("deleted = FALSE"));
    }
}
