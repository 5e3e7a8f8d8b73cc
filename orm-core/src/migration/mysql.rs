//! Migrations on MySQL 8 and MariaDB: the ALTER statements as both spell them, and how a
//! migration runs there.
//!
//! MySQL's DDL is not transactional: each `CREATE`, `ALTER` and `DROP` commits at once.
//! So a MySQL migration runs its statements one by one, records its version after the
//! last, and when a statement fails reports which one, and which ran before it (they
//! stay applied); the whole run holds `GET_LOCK('orm_migrations_<database>')`, MySQL's
//! named lock, where PostgreSQL holds an advisory lock.
//!
//! One `up.mysql.sql` serves MySQL 8 and MariaDB: the collation a table is created with
//! (binary, no padding, so that text compares as on PostgreSQL) is named in an
//! executable comment for each (`/*!80000 ..*/` runs on MySQL 8 only, `/*M!100500 ..*/`
//! on MariaDB only).

use crate::migration::change::Change;
use crate::schema::described::{ForeignKeySchema, Schema, TableSchema, UniqueSchema};
use crate::sql::ddl::{ident, ident_list};
use crate::sql::dialect::Dialect;

/// The table options of a CREATE TABLE in a MySQL migration: InnoDB, utf8mb4 and each
/// server's binary no-pad collation.
pub(crate) const TABLE_OPTIONS: &str = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 /*!80000 COLLATE=utf8mb4_0900_bin */ \
                                 /*M!100500 COLLATE=utf8mb4_nopad_bin */";

/// The header line of every MySQL migration file.
pub(crate) const NOT_TRANSACTIONAL: &str = "-- MySQL and MariaDB commit each DDL statement as it runs: these statements run one by \
                                     one, outside a transaction;\n-- if one fails, those before it stay applied (the \
                                     error lists them) and the version is not recorded.\n";

/// The statements of `changes`, which start from `before`, as MySQL and MariaDB take
/// them: each change altered in place.
pub(crate) fn render(changes: &[Change], before: &Schema, dialect: &dyn Dialect) -> Vec<String> {
    // Foreign keys go first: MySQL refuses to drop an index a foreign key still uses.
    let (fk_drops, rest): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|c| matches!(c, Change::DropForeignKey { .. }));
    let cx = Cx { changes, before, dialect };
    fk_drops.into_iter().chain(rest).flat_map(|c| cx.change(c)).collect()
}

struct Cx<'a> {
    changes: &'a [Change],
    before: &'a Schema,
    dialect: &'a dyn Dialect,
}

impl Cx<'_> {
    fn id(&self, name: &str) -> String {
        ident(self.dialect, name)
    }

    fn alter(&self, table: &str) -> String {
        format!("ALTER TABLE {}", self.id(table))
    }

    fn change(&self, change: &Change) -> Vec<String> {
        let dialect = self.dialect;
        match change {
            Change::CreateTable(t) => {
                let mut statements = t.create_sql(dialect);
                if let Some(create) = statements.first_mut() {
                    *create = portable_options(create, dialect);
                }
                statements
            }
            Change::DropTable(t) => vec![format!("DROP TABLE {}", self.id(&t.name))],
            Change::RenameTable { from, to } => vec![format!("{} RENAME TO {}", self.alter(from), self.id(to))],
            Change::AddColumn { table, column } => {
                vec![format!("{} ADD COLUMN {}", self.alter(table), column.definition_sql(dialect))]
            }
            Change::DropColumn { table, column } => {
                vec![format!("{} DROP COLUMN {}", self.alter(table), self.id(&column.name))]
            }
            Change::RenameColumn { table, from, to } => {
                vec![format!("{} RENAME COLUMN {} TO {}", self.alter(table), self.id(from), self.id(to))]
            }
            // MODIFY restates the whole column: type (AUTO_INCREMENT kept), default,
            // nullability, an enum's CHECK.
            Change::AlterColumn { table, to, .. } => {
                vec![format!("{} MODIFY COLUMN {}", self.alter(table), to.definition_sql(dialect))]
            }
            Change::AlterPrimaryKey { table, from, to, .. } => {
                let mut actions = Vec::new();
                if !from.is_empty() {
                    actions.push("DROP PRIMARY KEY".to_owned());
                }
                if !to.is_empty() {
                    actions.push(format!("ADD PRIMARY KEY ({})", ident_list(dialect, to)));
                }
                vec![format!("{} {}", self.alter(table), actions.join(", "))]
            }
            Change::AddForeignKey { table, foreign_key } => {
                let named = ForeignKeySchema { name: Some(fk_name(table, foreign_key)), ..foreign_key.clone() };
                vec![format!("{} ADD {}", self.alter(table), named.definition_sql(dialect))]
            }
            Change::DropForeignKey { table, foreign_key } => {
                let name = fk_name(table, foreign_key);
                let mut statements = vec![format!("{} DROP FOREIGN KEY {}", self.alter(table), self.id(&name))];
                // The index MySQL made for the key (named after it) stays behind; it was
                // made unless another index served the key.
                let served =
                    self.before.table(table).is_some_and(|t| key_lists(t).any(|k| serves(k, &foreign_key.columns)));
                if !served {
                    statements.push(format!("DROP INDEX {} ON {}", self.id(&name), self.id(table)));
                }
                statements
            }
            Change::AddUnique { table, unique } => {
                let named = UniqueSchema { name: Some(unique_name(table, unique)), ..unique.clone() };
                vec![format!("{} ADD {}", self.alter(table), named.definition_sql(dialect))]
            }
            Change::DropUnique { table, unique } => {
                let name = unique_name(table, unique);
                self.around_foreign_keys(table, &name, &unique.columns, || {
                    format!("{} DROP INDEX {}", self.alter(table), self.id(&name))
                })
            }
            Change::CreateIndex { table, index } => vec![index.create_sql(dialect, table)],
            Change::DropIndex { table, index } => self.around_foreign_keys(table, &index.name, &index.columns, || {
                format!("DROP INDEX {} ON {}", self.id(&index.name), self.id(table))
            }),
            Change::AddCheck { table, check } => vec![format!(
                "{} ADD CONSTRAINT {} CHECK ({})",
                self.alter(table),
                self.id(&check.name),
                backtick_identifiers(&check.expr)
            )],
            // `DROP CONSTRAINT`: MariaDB's and MySQL 8.0.19's (`DROP CHECK` is MySQL's only).
            Change::DropCheck { table, check } => {
                vec![format!("{} DROP CONSTRAINT {}", self.alter(table), self.id(&check.name))]
            }
        }
    }

    /// `drop`, the statement that drops the index `dropped` of `table` (over `columns`),
    /// with each foreign key that stays and that only this index served dropped before it
    /// and added again after: MySQL refuses to drop an index a foreign key uses, and the
    /// key added again gets an index of MySQL's own, which goes by itself when a model's
    /// index serves the key again (one made here would stay).
    fn around_foreign_keys(
        &self,
        table: &str,
        dropped: &str,
        columns: &[String],
        drop: impl FnOnce() -> String,
    ) -> Vec<String> {
        let Some(t) = self.before.table(table) else { return vec![drop()] };
        // The other indexes that stay (those this migration drops too do not count).
        let going = |name: &str| {
            name == dropped
                || self.changes.iter().any(|c| match c {
                    Change::DropIndex { table: tt, index } => tt == table && index.name == name,
                    Change::DropUnique { table: tt, unique } => tt == table && unique_name(table, unique) == name,
                    _ => false,
                })
        };
        let staying: Vec<&[String]> = std::iter::once(t.primary_key.as_slice())
            .filter(|k| !k.is_empty())
            .chain(t.uniques.iter().filter(|u| !going(&unique_name(table, u))).map(|u| u.columns.as_slice()))
            .chain(t.indexes.iter().filter(|i| !going(&i.name)).map(|i| i.columns.as_slice()))
            .collect();
        let dropped_by_migration = |fk: &ForeignKeySchema| {
            self.changes.iter().any(|c| {
                matches!(c, Change::DropForeignKey { table: tt, foreign_key }
                    if tt == table && fk_name(table, foreign_key) == fk_name(table, fk))
            })
        };
        let detoured: Vec<ForeignKeySchema> = t
            .foreign_keys
            .iter()
            .filter(|fk| !dropped_by_migration(fk))
            .filter(|fk| serves(columns, &fk.columns) && !staying.iter().any(|k| serves(k, &fk.columns)))
            .map(|fk| ForeignKeySchema { name: Some(fk_name(table, fk)), ..fk.clone() })
            .collect();
        let mut statements: Vec<String> = detoured
            .iter()
            .map(|fk| format!("{} DROP FOREIGN KEY {}", self.alter(table), self.id(&fk_name(table, fk))))
            .collect();
        statements.push(drop());
        statements
            .extend(detoured.iter().map(|fk| format!("{} ADD {}", self.alter(table), fk.definition_sql(self.dialect))));
        statements
    }
}

/// A foreign key's name: its own, or the one `create_all` gives it on MySQL.
fn fk_name(table: &str, fk: &ForeignKeySchema) -> String {
    fk.name.clone().unwrap_or_else(|| format!("{table}_{}_fkey", fk.columns.join("_")))
}

/// A unique constraint's name: its own, or the one `create_all` gives it on MySQL.
fn unique_name(table: &str, unique: &UniqueSchema) -> String {
    unique.name.clone().unwrap_or_else(|| format!("{table}_{}_key", unique.columns.join("_")))
}

/// The column lists of a table's indexes of every kind: primary key, uniques, indexes.
fn key_lists(t: &TableSchema) -> impl Iterator<Item = &[String]> {
    std::iter::once(t.primary_key.as_slice())
        .filter(|k| !k.is_empty())
        .chain(t.uniques.iter().map(|u| u.columns.as_slice()))
        .chain(t.indexes.iter().map(|i| i.columns.as_slice()))
}

/// Whether an index over `index` can serve a foreign key over `columns` (they lead it).
fn serves(index: &[String], columns: &[String]) -> bool {
    !columns.is_empty() && index.starts_with(columns)
}

/// A CREATE TABLE with the dialect's table options replaced by [`TABLE_OPTIONS`].
fn portable_options(create: &str, dialect: &dyn Dialect) -> String {
    match create.strip_suffix(dialect.table_options()) {
        Some(head) if !dialect.table_options().is_empty() => format!("{head}{TABLE_OPTIONS}"),
        _ => create.to_owned(),
    }
}

/// A condition with its double-quoted identifiers in backticks (MySQL reads `"a"` as a
/// string), string literals left alone.
fn backtick_identifiers(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    for c in expr.chars() {
        match (quote, c) {
            (None, '\'') => {
                quote = Some('\'');
                out.push(c);
            }
            (None, '"') => {
                quote = Some('"');
                out.push('`');
            }
            (Some('"'), '"') => {
                quote = None;
                out.push('`');
            }
            (Some('\''), '\'') => {
                quote = None;
                out.push(c);
            }
            (Some('"'), '`') => out.push_str("``"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(feature = "mysql")]
pub(crate) use run::{lock, run_statements, unlock, versions_table_sql};

/// Running migrations on a MySQL connection.
#[cfg(feature = "mysql")]
mod run {
    use sha2::{Digest, Sha256};

    use crate::error::{Error, Result};
    use crate::execution::connection::Connection;
    use crate::migration::diff::VERSIONS_TABLE;
    use crate::migration::files::{Direction, Migration, statements};
    use crate::value::Value;

    /// How long `upgrade` waits for another deployer's run to end: in effect for ever, as
    /// PostgreSQL's advisory lock waits (MariaDB takes no negative timeout).
    const LOCK_TIMEOUT_SECS: i64 = 365 * 24 * 3600;

    /// `orm_migrations_<database>`, hashed when longer than MySQL's 64 characters.
    fn lock_name(database: &str) -> String {
        let name = format!("orm_migrations_{database}");
        if name.len() <= 64 {
            return name;
        }
        let hash: String = Sha256::digest(database.as_bytes()).iter().take(20).map(|b| format!("{b:02x}")).collect();
        format!("orm_migrations_{hash}")
    }

    /// Takes the migration lock of the connection's database; returns its name.
    pub(crate) fn lock(conn: &mut Connection) -> Result<String> {
        let database = conn.query_raw("SELECT DATABASE()", &[], |row| row.get::<Option<String>>(0))?.pop().flatten();
        let database = database.ok_or_else(|| {
            Error::migration("no database selected: name the database to migrate in the URL (mysql://host/db)")
        })?;
        let name = lock_name(&database);
        let taken = conn.query_raw(
            "SELECT GET_LOCK(?1, ?2)",
            &[Value::from(name.as_str()), Value::I64(LOCK_TIMEOUT_SECS)],
            |row| row.get::<Option<i64>>(0),
        )?;
        match taken.first() {
            Some(Some(1)) => Ok(name),
            _ => Err(Error::migration(format!(
                "the migration lock `{name}` was not granted: another deployer has been migrating this database \
                 for too long (SELECT IS_USED_LOCK('{name}') names its connection); end it, then run again"
            ))),
        }
    }

    /// Releases the lock [`lock`] took.
    pub(crate) fn unlock(conn: &mut Connection, name: &str) -> Result<()> {
        conn.query_raw("SELECT RELEASE_LOCK(?1)", &[Value::from(name)], |_| Ok(())).map(drop)
    }

    /// CREATE TABLE of the versions table.
    pub(crate) fn versions_table_sql(table_options: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (version BIGINT NOT NULL PRIMARY KEY, \
             name VARCHAR(255) NOT NULL, checksum VARCHAR(64) NOT NULL, \
             applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), execution_ms BIGINT NOT NULL){table_options}"
        )
    }

    /// Runs a step's statements one by one, each committed as it runs. A failure names
    /// the statement, and lists those that ran before it, which stay applied.
    pub(crate) fn run_statements(conn: &mut Connection, m: &Migration, direction: Direction, sql: &str) -> Result<()> {
        let list = statements(sql);
        for (n, statement) in list.iter().enumerate() {
            if let Err(e) = conn.batch_execute(statement) {
                return Err(partial_failure(m, direction, &list, n, &e).with_cause(e));
            }
        }
        Ok(())
    }

    /// The error of statement `failed` (from 0) of a step, which ran after those before it.
    fn partial_failure(m: &Migration, direction: Direction, list: &[String], failed: usize, e: &Error) -> Error {
        let (word, command) = match direction {
            Direction::Up => ("up", "upgrade"),
            Direction::Down => ("down", "downgrade"),
        };
        let indent = |s: &str| s.replace('\n', "\n     ");
        let mut text = format!(
            "migration {} ({word}), statement {} of {} failed: {e}\n  failed: {}\n",
            m.id(),
            failed + 1,
            list.len(),
            indent(&list[failed])
        );
        if failed == 0 {
            text.push_str(&format!(
                "no statement of it ran before, so the database is as it was; fix the statement, then run {command} \
                 again"
            ));
        } else {
            text.push_str(&format!(
                "MySQL commits DDL as it runs, so the {} that ran before it stayed applied (not rolled back):\n",
                if failed == 1 { "statement".to_owned() } else { format!("{failed} statements") }
            ));
            for (n, statement) in list[..failed].iter().enumerate() {
                text.push_str(&format!("  {}. {}\n", n + 1, indent(statement)));
            }
            text.push_str(&format!(
                "the migration is not recorded as applied: undo those statements by hand (or finish the step by \
                 hand and record version {} in {VERSIONS_TABLE}), fix statement {}, then run {command} again",
                m.version,
                failed + 1
            ));
        }
        Error::migration(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::described::{CheckSchema, IndexSchema};
    use crate::schema::table::ReferentialAction;
    use crate::sql::dialect::MYSQL;

    fn books(indexes: Vec<IndexSchema>) -> Schema {
        let mut t = TableSchema {
            name: "books".into(),
            renamed_from: None,
            columns: Vec::new(),
            primary_key: vec!["id".into()],
            primary_key_name: None,
            foreign_keys: vec![ForeignKeySchema {
                name: None,
                columns: vec!["author_id".into()],
                table: "authors".into(),
                referenced: vec!["id".into()],
                on_delete: ReferentialAction::Cascade,
                on_update: ReferentialAction::NoAction,
            }],
            uniques: Vec::new(),
            indexes,
            checks: Vec::new(),
        };
        t.checks.push(CheckSchema { name: "ck".into(), expr: "\"Odd\" > 0 AND note <> '\"x\"'".into() });
        Schema { tables: vec![t], enums: Vec::new() }
    }

    fn index() -> IndexSchema {
        IndexSchema {
            name: "ix_books_author_id".into(),
            columns: vec!["author_id".into()],
            unique: false,
            predicate: None,
        }
    }

    #[test]
    fn a_dropped_foreign_key_takes_the_index_mysql_made_for_it() {
        let plain = books(Vec::new());
        let fk = plain.tables[0].foreign_keys[0].clone();
        let drop = [Change::DropForeignKey { table: "books".into(), foreign_key: fk }];
        assert_eq!(
            render(&drop, &plain, &MYSQL),
            [
                "ALTER TABLE `books` DROP FOREIGN KEY `books_author_id_fkey`",
                "DROP INDEX `books_author_id_fkey` ON `books`"
            ]
        );
        // Served by an index of the model's: no index of MySQL's to drop.
        let indexed = books(vec![index()]);
        assert_eq!(render(&drop, &indexed, &MYSQL), ["ALTER TABLE `books` DROP FOREIGN KEY `books_author_id_fkey`"]);
    }

    #[test]
    fn a_foreign_key_steps_aside_for_the_index_it_needs() {
        let indexed = books(vec![index()]);
        let drop = [Change::DropIndex { table: "books".into(), index: index() }];
        assert_eq!(
            render(&drop, &indexed, &MYSQL),
            [
                "ALTER TABLE `books` DROP FOREIGN KEY `books_author_id_fkey`",
                "DROP INDEX `ix_books_author_id` ON `books`",
                "ALTER TABLE `books` ADD CONSTRAINT `books_author_id_fkey` FOREIGN KEY(`author_id`) REFERENCES \
                 `authors` (`id`) ON DELETE CASCADE"
            ]
        );
    }

    #[test]
    fn checks_and_tables_in_mysql_spelling() {
        let schema = books(Vec::new());
        let check = schema.tables[0].checks[0].clone();
        assert_eq!(
            render(&[Change::AddCheck { table: "books".into(), check }], &schema, &MYSQL),
            ["ALTER TABLE `books` ADD CONSTRAINT `ck` CHECK (`Odd` > 0 AND note <> '\"x\"')"]
        );
        let create = render(&[Change::CreateTable(schema.tables[0].clone())], &schema, &MYSQL);
        assert!(create[0].ends_with(TABLE_OPTIONS), "{create:?}");
        assert!(create[0].contains("CONSTRAINT `books_author_id_fkey` FOREIGN KEY"), "{create:?}");
    }
}
