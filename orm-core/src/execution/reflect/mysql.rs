//! Reflection on MySQL 8 and MariaDB, from `information_schema`: the tables of a database,
//! their columns, keys, foreign keys, uniques, indexes and named CHECKs, in the forms the
//! models' side takes ([`TableSchema::from_model`](crate::metadata::TableSchema::from_model)),
//! so that what `create_all` made compares equal to its models.
//!
//! What MySQL adds on its own is left out: the index it creates for a foreign key (named
//! after the constraint), MariaDB's `json_valid` check of a JSON column (the column reads
//! as JSON), the column-level CHECK the ORM writes after an `ENUM(..)` (MariaDB names it
//! after the column, MySQL `<table>_chk_<n>`).

use std::sync::{Mutex, PoisonError};

use super::{empty_table, strip_parens};
use crate::error::{Error, Result};
use crate::execution::connection::Connection;
use crate::schema::described::{
    CheckSchema, ColumnKind, ColumnSchema, ForeignKeySchema, IndexSchema, Schema, TableSchema, UniqueSchema,
};
use crate::schema::mapped::EnumDef;
use crate::schema::table::ReferentialAction;
use crate::schema::types::SqlType;
use crate::sql::dialect::{Dialect, MARIADB, needs_quotes};
use crate::value::Value;

pub(super) fn reflect_mysql(conn: &mut Connection, schema: Option<&str>) -> Result<Schema> {
    let mariadb = std::ptr::addr_eq(conn.dialect() as *const dyn Dialect, &MARIADB as *const _);
    let schema = match schema {
        Some(s) => s.to_owned(),
        None => {
            conn.query_raw("SELECT DATABASE()", &[], |row| row.get::<Option<String>>(0))?.pop().flatten().ok_or_else(
                || {
                    Error::invalid_state(
                        "no database selected: name it in the URL (mysql://host/db), or reflect_schema(name)",
                    )
                },
            )?
        }
    };
    let db = [Value::from(schema.as_str())];
    let mut tables: Vec<TableSchema> = conn
        .query_raw(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?1 AND TABLE_TYPE = 'BASE TABLE' \
             ORDER BY TABLE_NAME",
            &db,
            |row| row.get::<String>(0),
        )?
        .into_iter()
        .map(empty_table)
        .collect();

    // Checks first: MariaDB's tell which LONGTEXT columns are JSON.
    let check_sql = if mariadb {
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL = 'Column' FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = ?1 ORDER BY TABLE_NAME, CONSTRAINT_NAME"
    } else {
        "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 0 FROM information_schema.CHECK_CONSTRAINTS cc \
         JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA \
         AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK' \
         WHERE cc.CONSTRAINT_SCHEMA = ?1 ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME"
    };
    let checks = conn.query_raw(check_sql, &db, |row| {
        Ok((row.get::<String>(0)?, row.get::<String>(1)?, row.get::<String>(2)?, row.get::<i64>(3)? != 0))
    })?;
    let mut json_columns: Vec<(String, String)> = Vec::new();
    for (table, name, clause, column_level) in checks {
        if let Some(column) = json_valid_column(&clause) {
            json_columns.push((table, column));
            continue;
        }
        // The CHECK after an ENUM(..) column is the column's definition, no model check.
        if column_level || is_generated_check_name(&table, &name) {
            continue;
        }
        if let Some(t) = tables.iter_mut().find(|t| t.name == table) {
            t.checks.push(CheckSchema { name, expr: portable_condition(&clause) });
        }
    }

    let columns = conn.query_raw(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?1 ORDER BY TABLE_NAME, ORDINAL_POSITION",
        &db,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)? == "YES",
                row.get::<Option<String>>(5)?,
                row.get::<String>(6)?,
            ))
        },
    )?;
    for (table, name, column_type, data_type, nullable, default, extra) in columns {
        let json = json_columns.iter().any(|(t, c)| *t == table && *c == name);
        let (kind, length) = mysql_kind(&column_type, &data_type, json);
        let extra = extra.to_ascii_lowercase();
        let column = ColumnSchema {
            autoincrement: extra.contains("auto_increment"),
            default: mysql_default(default, &extra, &data_type, mariadb),
            name,
            renamed_from: None,
            kind,
            length,
            nullable,
        };
        if let Some(t) = tables.iter_mut().find(|t| t.name == table) {
            t.columns.push(column);
        }
    }

    let foreign_keys = conn.query_raw(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
         r.DELETE_RULE, r.UPDATE_RULE FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
         AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = ?1 AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        &db,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)?,
                row.get::<String>(5)?,
                row.get::<String>(6)?,
            ))
        },
    )?;
    for (table, name, column, ref_table, ref_column, on_delete, on_update) in foreign_keys {
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else { continue };
        match t.foreign_keys.last_mut() {
            Some(fk) if fk.name.as_deref() == Some(name.as_str()) => {
                fk.columns.push(column);
                fk.referenced.push(ref_column);
            }
            _ => t.foreign_keys.push(ForeignKeySchema {
                name: Some(name),
                columns: vec![column],
                table: ref_table,
                referenced: vec![ref_column],
                on_delete: mysql_action(&on_delete),
                on_update: mysql_action(&on_update),
            }),
        }
    }

    let keys = conn.query_raw(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ?1 ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        &db,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<i64>(2)? == 0,
                row.get::<Option<String>>(3)?.unwrap_or_default(),
            ))
        },
    )?;
    let mut indexes: Vec<(String, String, bool, Vec<String>)> = Vec::new();
    for (table, name, unique, column) in keys {
        match indexes.last_mut() {
            Some((t, n, _, columns)) if *t == table && *n == name => columns.push(column),
            _ => indexes.push((table, name, unique, vec![column])),
        }
    }
    for (table, name, unique, columns) in indexes {
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else { continue };
        if name == "PRIMARY" {
            // Always `PRIMARY` on MySQL: no name worth keeping.
            t.primary_key = columns;
        } else if unique {
            // MySQL has no unique constraint apart from its index.
            t.uniques.push(UniqueSchema { name: Some(name), columns });
        } else if !t.foreign_keys.iter().any(|fk| fk.name.as_deref() == Some(name.as_str())) {
            // (An index named after a foreign key is the one MySQL made for it.)
            t.indexes.push(IndexSchema { name, columns, unique: false, predicate: None });
        }
    }
    Ok(Schema { tables, enums: Vec::new() })
}

/// The type of a MySQL column from `COLUMN_TYPE` (`int(11)`, `varchar(80)`,
/// `enum('a','b')`) and `DATA_TYPE`: the names the MySQL dialect gives the ORM's types
/// first (`CHAR(36)` for a UUID, `FLOAT`, `DECIMAL(65,28)`, `JSON`, which MariaDB keeps
/// as LONGTEXT with a `json_valid` check, LONGTEXT for TEXT), then SQL's usual names.
fn mysql_kind(column_type: &str, data_type: &str, json: bool) -> (ColumnKind, Option<u32>) {
    let lower = column_type.trim().to_ascii_lowercase();
    let known = |ty| (ColumnKind::Known(ty), None);
    if json || data_type.eq_ignore_ascii_case("json") {
        return known(SqlType::Json);
    }
    match lower.replace(' ', "").as_str() {
        // The MySQL dialect writes the models' TEXT as LONGTEXT (MySQL's TEXT holds 64 KiB).
        "longtext" => return (ColumnKind::Named("text".to_owned()), None),
        "char(36)" => return known(SqlType::Uuid),
        "float" => return known(SqlType::Real),
        "decimal(65,28)" => return known(SqlType::Decimal),
        _ => {}
    }
    if data_type.eq_ignore_ascii_case("enum")
        && let Some(labels) = enum_labels(column_type)
    {
        return known(SqlType::Enum(interned_enum(labels)));
    }
    ColumnKind::from_sql(column_type)
}

/// `enum('a','it''s')` -> `["a", "it's"]`.
fn enum_labels(column_type: &str) -> Option<Vec<String>> {
    let inner = column_type.trim();
    let inner = inner.get(..5).filter(|p| p.eq_ignore_ascii_case("enum(")).map(|_| &inner[5..])?;
    let mut labels = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        if chars.next()? != '\'' {
            return None;
        }
        let mut label = String::new();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    label.push('\'');
                }
                '\'' => break,
                '\\' => label.push(chars.next()?),
                c => label.push(c),
            }
        }
        labels.push(label);
        match chars.next()? {
            ',' => {}
            ')' => return Some(labels),
            _ => return None,
        }
    }
}

/// The enums reflection has met, by their labels: each is made `'static` once (a column's
/// type holds its labels as `&'static`), however often a database is reflected.
static ENUMS: Mutex<Vec<&'static EnumDef>> = Mutex::new(Vec::new());

fn interned_enum(labels: Vec<String>) -> &'static EnumDef {
    let mut known = ENUMS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(def) = known.iter().find(|d| d.labels.iter().copied().eq(labels.iter().map(String::as_str))) {
        return def;
    }
    let labels: Vec<&'static str> = labels.into_iter().map(|l| &*Box::leak(l.into_boxed_str())).collect();
    let def: &'static EnumDef =
        Box::leak(Box::new(EnumDef { rust_name: "", pg_type: None, labels: Box::leak(labels.into_boxed_slice()) }));
    known.push(def);
    def
}

/// A column's server default as SQL. MariaDB quotes literals and says `NULL` for a
/// NULL-able column without one; MySQL 8 gives literals bare and marks expressions
/// `DEFAULT_GENERATED`.
fn mysql_default(raw: Option<String>, extra: &str, data_type: &str, mariadb: bool) -> Option<String> {
    let raw = raw?;
    if mariadb {
        return (raw != "NULL").then_some(raw);
    }
    let numeric = matches!(
        data_type.to_ascii_lowercase().as_str(),
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal" | "float" | "double" | "bit"
    );
    if extra.contains("default_generated") {
        Some(portable_sql(&raw))
    } else if numeric {
        Some(raw)
    } else {
        Some(format!("'{}'", raw.replace('\'', "''")))
    }
}

/// `REFERENTIAL_CONSTRAINTS`' rules. InnoDB checks NO ACTION at once, as RESTRICT, and
/// MariaDB reports a foreign key declared without an action as RESTRICT: both read as
/// NO ACTION, the models' default.
fn mysql_action(rule: &str) -> ReferentialAction {
    match rule {
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

/// The column of MariaDB's check `json_valid(`column`)`, which its JSON type adds.
fn json_valid_column(clause: &str) -> Option<String> {
    let inner = strip_parens(clause).strip_prefix("json_valid(")?.strip_suffix(')')?;
    let name = inner.strip_prefix('`')?.strip_suffix('`')?;
    (!name.contains('`')).then(|| name.to_owned())
}

/// MySQL 8's name for a CHECK it named itself (a column's): `<table>_chk_<n>`.
fn is_generated_check_name(table: &str, name: &str) -> bool {
    name.strip_prefix(table)
        .and_then(|rest| rest.strip_prefix("_chk_"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A CHECK clause as MySQL reports it, in the form the other backends and the models
/// write: [`portable_sql`], without enclosing parentheses.
fn portable_condition(clause: &str) -> String {
    strip_parens(&portable_sql(clause)).to_owned()
}

/// SQL as MySQL reports it (a CHECK clause, an expression default), in the form the
/// other backends and the models write: identifiers out of backticks (in double quotes
/// where they need quoting), string literals without MySQL 8's charset introducer
/// (`_utf8mb4'a'`) and with a quote doubled rather than escaped.
fn portable_sql(clause: &str) -> String {
    let chars: Vec<char> = clause.chars().collect();
    let mut out = String::with_capacity(clause.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\'' => {
                out.push('\'');
                i += 1;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            if chars[i + 1] == '\'' {
                                out.push_str("''");
                            } else {
                                out.push(chars[i]);
                                out.push(chars[i + 1]);
                            }
                            i += 2;
                        }
                        '\'' if chars.get(i + 1) == Some(&'\'') => {
                            out.push_str("''");
                            i += 2;
                        }
                        '\'' => break,
                        c => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                out.push('\'');
                i += 1;
            }
            '`' => {
                let mut name = String::new();
                i += 1;
                while i < chars.len() {
                    if chars[i] == '`' {
                        if chars.get(i + 1) == Some(&'`') {
                            name.push('`');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    name.push(chars[i]);
                    i += 1;
                }
                i += 1;
                if needs_quotes(&name) {
                    out.push('"');
                    out.push_str(&name.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(&name);
                }
            }
            '_' if !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') => {
                // A charset introducer: `_utf8mb4'..'`.
                let word: String = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
                if chars.get(i + word.len()) == Some(&'\'') && word.len() > 1 {
                    i += word.len();
                } else {
                    out.push_str(&word);
                    i += word.len();
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_types_map_back() {
        assert_eq!(mysql_kind("int(11)", "int", false), (ColumnKind::Known(SqlType::Integer), None));
        assert_eq!(mysql_kind("bigint", "bigint", false), (ColumnKind::Known(SqlType::BigInt), None));
        assert_eq!(mysql_kind("tinyint(1)", "tinyint", false), (ColumnKind::Known(SqlType::Boolean), None));
        assert_eq!(mysql_kind("varchar(80)", "varchar", false), (ColumnKind::Known(SqlType::Text), Some(80)));
        assert_eq!(mysql_kind("longtext", "longtext", true), (ColumnKind::Known(SqlType::Json), None));
        assert_eq!(mysql_kind("longtext", "longtext", false), (ColumnKind::Named("text".into()), None));
        assert_eq!(mysql_kind("json", "json", false), (ColumnKind::Known(SqlType::Json), None));
        assert_eq!(mysql_kind("char(36)", "char", false), (ColumnKind::Known(SqlType::Uuid), None));
        assert_eq!(mysql_kind("datetime(6)", "datetime", false), (ColumnKind::Known(SqlType::Timestamp), None));
        assert_eq!(mysql_kind("time(6)", "time", false), (ColumnKind::Known(SqlType::Time), None));
        assert_eq!(mysql_kind("decimal(65,28)", "decimal", false), (ColumnKind::Known(SqlType::Decimal), None));
        assert_eq!(mysql_kind("decimal(10,2)", "decimal", false), (ColumnKind::Named("numeric(10,2)".into()), None));
        assert_eq!(mysql_kind("float", "float", false), (ColumnKind::Known(SqlType::Real), None));
        assert_eq!(mysql_kind("longblob", "longblob", false), (ColumnKind::Known(SqlType::Bytes), None));
        let (ColumnKind::Known(SqlType::Enum(def)), None) = mysql_kind("enum('a','it''s')", "enum", false) else {
            panic!("an enum")
        };
        assert_eq!(def.labels, ["a", "it's"]);
        let (ColumnKind::Known(SqlType::Enum(again)), _) = mysql_kind("enum('a','it''s')", "enum", false) else {
            panic!("an enum")
        };
        assert!(std::ptr::eq(def, again), "interned");
    }

    #[test]
    fn conditions_lose_mysql_spelling() {
        assert_eq!(portable_condition("(`price` >= 0)"), "price >= 0");
        assert_eq!(portable_condition("`Odd` in (_utf8mb4'a',_utf8mb4'it\\'s')"), "\"Odd\" in ('a','it''s')");
        assert_eq!(portable_condition("`ends_at` >= `starts_at`"), "ends_at >= starts_at");
        assert_eq!(portable_condition("`my_col` = '`x`'"), "my_col = '`x`'");
        assert_eq!(json_valid_column("json_valid(`doc`)").as_deref(), Some("doc"));
        assert!(is_generated_check_name("items", "items_chk_1"));
        assert!(!is_generated_check_name("items", "items_chk_stock"));
    }

    #[test]
    fn defaults_read_alike() {
        assert_eq!(mysql_default(Some("NULL".into()), "", "varchar", true), None);
        assert_eq!(mysql_default(Some("'none'".into()), "", "varchar", true).as_deref(), Some("'none'"));
        assert_eq!(mysql_default(Some("none".into()), "", "varchar", false).as_deref(), Some("'none'"));
        assert_eq!(mysql_default(Some("0".into()), "", "tinyint", false).as_deref(), Some("0"));
        assert_eq!(
            mysql_default(Some("CURRENT_TIMESTAMP(6)".into()), "default_generated", "datetime", false).as_deref(),
            Some("CURRENT_TIMESTAMP(6)")
        );
        assert_eq!(
            mysql_default(Some("(_utf8mb4'[]')".into()), "default_generated", "json", false).as_deref(),
            Some("('[]')")
        );
    }
}
