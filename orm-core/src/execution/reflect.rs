//! Reflection: a live database's schema read into [`Schema`], from PostgreSQL's
//! `pg_catalog`, SQLite's `PRAGMA`s or MySQL's `information_schema` (`reflect/mysql.rs`):
//! tables, columns (type, nullability, server default, autoincrement), primary keys,
//! foreign keys with their actions, unique constraints, indexes (partial ones with their
//! condition) and named CHECKs.
//!
//! ```
//! use orm_core::prelude::*;
//! # #[derive(Model)] #[orm(table = "programs")]
//! # struct Program { #[orm(primary_key)] id: i32, #[orm(index)] name: String }
//! let engine = Engine::connect("sqlite::memory:")?;
//! engine.create_all(&[Program::table()])?;
//! let schema = engine.reflect()?;
//! let programs = schema.table("programs").expect("reflected");
//! assert_eq!(programs.primary_key, ["id"]);
//! assert_eq!(programs.indexes[0].columns, ["name"]);
//! # Ok::<(), orm_core::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::execution::connection::Connection;
use crate::execution::engine::Engine;
use crate::schema::described::{
    CheckSchema, ColumnKind, ColumnSchema, EnumSchema, ForeignKeySchema, IndexSchema, Schema, TableSchema, UniqueSchema,
};
use crate::schema::table::ReferentialAction;
use crate::schema::types::SqlType;
use crate::value::Value;

#[cfg(feature = "mysql")]
pub(crate) mod mysql;

/// Lists read in one query are joined with this separator.
const SEP: &str = "\u{1f}";

impl Engine {
    /// The database's schema (the first schema of the search path on PostgreSQL, `main`
    /// on SQLite, the URL's database on MySQL).
    pub fn reflect(&self) -> Result<Schema> {
        self.connection()?.reflect(None)
    }

    /// The schema of the named PostgreSQL schema (SQLite attached database, MySQL
    /// database).
    pub fn reflect_schema(&self, schema: &str) -> Result<Schema> {
        self.connection()?.reflect(Some(schema))
    }
}

impl Connection {
    /// The schema `schema` (default: the current one), as [`Engine::reflect`] reads it.
    pub fn reflect(&mut self, schema: Option<&str>) -> Result<Schema> {
        match self.dialect().name() {
            #[cfg(feature = "mysql")]
            "mysql" => mysql::reflect_mysql(self, schema),
            #[cfg(not(feature = "mysql"))]
            "mysql" => Err(Error::unsupported("reflection on MySQL needs orm-core's `mysql` feature")),
            _ if self.dialect().native_enums() => reflect_postgres(self, schema),
            _ => reflect_sqlite(self, schema),
        }
    }
}

fn split(list: &str) -> Vec<String> {
    if list.is_empty() { Vec::new() } else { list.split(SEP).map(str::to_owned).collect() }
}

fn empty_table(name: String) -> TableSchema {
    TableSchema {
        name,
        renamed_from: None,
        columns: Vec::new(),
        primary_key: Vec::new(),
        primary_key_name: None,
        foreign_keys: Vec::new(),
        uniques: Vec::new(),
        indexes: Vec::new(),
        checks: Vec::new(),
    }
}

/// The type of a PostgreSQL column, from `format_type()`.
fn postgres_kind(formatted: &str, is_enum: bool) -> (ColumnKind, Option<u32>) {
    if is_enum {
        return (ColumnKind::Enum(formatted.to_owned()), None);
    }
    ColumnKind::from_sql(formatted)
}

/// A PostgreSQL action code (`pg_constraint.confdeltype`).
fn postgres_action(code: &str) -> ReferentialAction {
    match code {
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

fn reflect_postgres(conn: &mut Connection, schema: Option<&str>) -> Result<Schema> {
    let schema = match schema {
        Some(s) => s.to_owned(),
        None => conn
            .query_raw("SELECT current_schema()::text", &[], |row| row.get::<Option<String>>(0))?
            .pop()
            .flatten()
            .ok_or_else(|| Error::invalid_state("no current schema: set search_path, or name the schema"))?,
    };
    let ns = [Value::from(schema.as_str())];
    let mut tables: Vec<TableSchema> = conn
        .query_raw(
            "SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            &ns,
            |row| row.get::<String>(0),
        )?
        .into_iter()
        .map(empty_table)
        .collect();
    let columns = conn.query_raw(
        "SELECT c.relname::text, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         pg_catalog.pg_get_expr(d.adbin, d.adrelid), t.typtype::text = 'e', a.attidentity::text <> '' \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
        &ns,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<bool>(3)?,
                row.get::<Option<String>>(4)?,
                row.get::<bool>(5)?,
                row.get::<bool>(6)?,
            ))
        },
    )?;
    for (table, name, formatted, not_null, default, is_enum, identity) in columns {
        let (kind, length) = postgres_kind(&formatted, is_enum);
        let serial = default.as_deref().is_some_and(|d| d.starts_with("nextval("))
            && matches!(kind, ColumnKind::Known(SqlType::SmallInt | SqlType::Integer | SqlType::BigInt));
        let column = ColumnSchema {
            name,
            renamed_from: None,
            kind,
            length,
            nullable: !not_null,
            autoincrement: serial || identity,
            default: if serial { None } else { default.map(|d| literal_without_cast(&d).to_owned()) },
        };
        if let Some(t) = tables.iter_mut().find(|t| t.name == table) {
            t.columns.push(column);
        }
    }
    let key_names = |keys: &str, rel: &str| {
        format!(
            "array_to_string(ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(n, i) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n ORDER BY k.i), '{SEP}')"
        )
    };
    let constraints = conn.query_raw(
        &format!(
            "SELECT c.relname::text, con.conname::text, con.contype::text, {}, coalesce(fc.relname::text, ''), {}, \
             con.confdeltype::text, con.confupdtype::text, pg_catalog.pg_get_constraintdef(con.oid) \
             FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid \
             WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c') ORDER BY c.relname, con.conname",
            key_names("con.conkey", "con.conrelid"),
            key_names("con.confkey", "con.confrelid"),
        ),
        &ns,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)?,
                row.get::<String>(5)?,
                row.get::<String>(6)?,
                row.get::<String>(7)?,
                row.get::<String>(8)?,
            ))
        },
    )?;
    for (table, name, kind, columns, ref_table, ref_columns, on_delete, on_update, definition) in constraints {
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else { continue };
        match kind.as_str() {
            "p" => {
                t.primary_key = split(&columns);
                t.primary_key_name = Some(name);
            }
            "u" => t.uniques.push(UniqueSchema { name: Some(name), columns: split(&columns) }),
            "f" => t.foreign_keys.push(ForeignKeySchema {
                name: Some(name),
                columns: split(&columns),
                table: ref_table,
                referenced: split(&ref_columns),
                on_delete: postgres_action(&on_delete),
                on_update: postgres_action(&on_update),
            }),
            _ => {
                let expr = definition.strip_prefix("CHECK ").unwrap_or(&definition);
                t.checks.push(CheckSchema { name, expr: strip_parens(expr).to_owned() });
            }
        }
    }
    let indexes = conn.query_raw(
        &format!(
            "SELECT t.relname::text, i.relname::text, ix.indisunique, pg_catalog.pg_get_expr(ix.indpred, ix.indrelid), {} \
             FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = $1 AND NOT ix.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con \
             WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')) ORDER BY t.relname, i.relname",
            key_names("ix.indkey::int2[]", "ix.indrelid"),
        ),
        &ns,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<bool>(2)?,
                row.get::<Option<String>>(3)?,
                row.get::<String>(4)?,
            ))
        },
    )?;
    for (table, name, unique, predicate, columns) in indexes {
        if let Some(t) = tables.iter_mut().find(|t| t.name == table) {
            let predicate = predicate.map(|p| strip_parens(&p).to_owned());
            t.indexes.push(IndexSchema { name, columns: split(&columns), unique, predicate });
        }
    }
    let labels = conn.query_raw(
        "SELECT t.typname::text, e.enumlabel::text FROM pg_catalog.pg_type t \
         JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = $1 ORDER BY t.typname, e.enumsortorder",
        &ns,
        |row| Ok((row.get::<String>(0)?, row.get::<String>(1)?)),
    )?;
    let mut enums: Vec<EnumSchema> = Vec::new();
    for (name, label) in labels {
        match enums.last_mut() {
            Some(e) if e.name == name => e.labels.push(label),
            _ => enums.push(EnumSchema { name, labels: vec![label] }),
        }
    }
    Ok(Schema { tables, enums })
}

/// `'draft'::character varying` -> `'draft'`: PostgreSQL spells a literal default with
/// a cast to the column's type, which the column's type makes implicit (and which SQLite
/// cannot read).
fn literal_without_cast(default: &str) -> &str {
    if let Some(at) = default.rfind("'::")
        && at > 0
        && default.starts_with('\'')
        && !default[1..at].replace("''", "").contains('\'')
        && default[at + 3..].chars().all(|c| c.is_ascii_alphanumeric() || " _()[]\"".contains(c))
    {
        return &default[..=at];
    }
    default
}

/// `(x)` -> `x`, when the parentheses enclose the whole text.
pub(crate) fn strip_parens(text: &str) -> &str {
    let mut text = text.trim();
    while text.starts_with('(') && text.ends_with(')') && closes_at_end(text) {
        text = text[1..text.len() - 1].trim();
    }
    text
}

/// Whether the parenthesis that opens `text` closes at its last character.
fn closes_at_end(text: &str) -> bool {
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == text.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// The type of a SQLite column, from its declared type: the names the SQLite dialect
/// gives the ORM's types, then SQL's usual names.
fn sqlite_kind(declared: &str) -> (ColumnKind, Option<u32>) {
    let ty = match declared.trim().to_ascii_uppercase().as_str() {
        "DOUBLE" => SqlType::Double,
        "BLOB" => SqlType::Bytes,
        "DATETIME" => SqlType::Timestamp,
        "CHAR(36)" => SqlType::Uuid,
        _ => return ColumnKind::from_sql(declared),
    };
    (ColumnKind::Known(ty), None)
}

/// SQLite's action words (`PRAGMA foreign_key_list`).
fn sqlite_action(words: &str) -> ReferentialAction {
    match words {
        "RESTRICT" => ReferentialAction::Restrict,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

fn reflect_sqlite(conn: &mut Connection, schema: Option<&str>) -> Result<Schema> {
    let db = schema.unwrap_or("main");
    let mut master = String::new();
    conn.dialect().write_ident(&mut master, db);
    let tables = conn.query_raw(
        &format!(
            "SELECT name, sql FROM {master}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             ORDER BY name"
        ),
        &[],
        |row| Ok((row.get::<String>(0)?, row.get::<Option<String>>(1)?.unwrap_or_default())),
    )?;
    let mut out = Vec::new();
    for (name, create_sql) in tables {
        let mut table = empty_table(name.clone());
        let args = [Value::from(name.as_str()), Value::from(db)];
        let columns = conn.query_raw(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1, ?2) ORDER BY cid",
            &args,
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<String>(1)?,
                    row.get::<i64>(2)? != 0,
                    row.get::<Option<String>>(3)?,
                    row.get::<i64>(4)?,
                ))
            },
        )?;
        let mut key: Vec<(i64, String)> = columns.iter().filter(|c| c.4 > 0).map(|c| (c.4, c.0.clone())).collect();
        key.sort();
        table.primary_key = key.into_iter().map(|(_, n)| n).collect();
        let rowid_key = table.primary_key.len() == 1;
        for (name, declared, not_null, default, pk) in columns {
            let (kind, length) = sqlite_kind(&declared);
            let autoincrement = rowid_key && pk > 0 && declared.eq_ignore_ascii_case("INTEGER");
            table.columns.push(ColumnSchema {
                name,
                renamed_from: None,
                kind,
                length,
                nullable: !not_null && pk == 0,
                autoincrement,
                default,
            });
        }
        let fks = conn.query_raw(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1, ?2) \
             ORDER BY id, seq",
            &args,
            |row| {
                Ok((
                    row.get::<i64>(0)?,
                    row.get::<String>(1)?,
                    row.get::<String>(2)?,
                    row.get::<Option<String>>(3)?,
                    row.get::<String>(4)?,
                    row.get::<String>(5)?,
                ))
            },
        )?;
        let mut last_id = None;
        for (id, ref_table, from, to, on_update, on_delete) in fks {
            if last_id != Some(id) {
                table.foreign_keys.push(ForeignKeySchema {
                    name: None,
                    columns: Vec::new(),
                    table: ref_table,
                    referenced: Vec::new(),
                    on_delete: sqlite_action(&on_delete),
                    on_update: sqlite_action(&on_update),
                });
                last_id = Some(id);
            }
            if let Some(fk) = table.foreign_keys.last_mut() {
                fk.columns.push(from);
                fk.referenced.push(to.unwrap_or_default());
            }
        }
        // Foreign keys come newest first from the pragma; keep the declared order.
        table.foreign_keys.reverse();
        let indexes = conn.query_raw(
            "SELECT name, \"unique\", origin FROM pragma_index_list(?1, ?2) ORDER BY name",
            &args,
            |row| Ok((row.get::<String>(0)?, row.get::<i64>(1)? != 0, row.get::<String>(2)?)),
        )?;
        for (index, unique, origin) in indexes {
            let columns = conn.query_raw(
                "SELECT name FROM pragma_index_info(?1, ?2) ORDER BY seqno",
                &[Value::from(index.as_str()), Value::from(db)],
                |row| Ok(row.get::<Option<String>>(0)?.unwrap_or_default()),
            )?;
            match origin.as_str() {
                "u" => table.uniques.push(UniqueSchema { name: None, columns }),
                "c" => {
                    let sql = conn.query_raw(
                        &format!("SELECT sql FROM {master}.sqlite_master WHERE type = 'index' AND name = ?1"),
                        &[Value::from(index.as_str())],
                        |row| row.get::<Option<String>>(0),
                    )?;
                    let predicate = sql
                        .into_iter()
                        .flatten()
                        .next()
                        .and_then(|s| s.rfind(" WHERE ").map(|at| s[at + 7..].trim().to_owned()));
                    table.indexes.push(IndexSchema { name: index, columns, unique, predicate });
                }
                _ => {}
            }
        }
        for constraint in named_constraints(&create_sql) {
            match constraint {
                NamedConstraint::Check { name, expr } => table.checks.push(CheckSchema { name, expr }),
                NamedConstraint::Unique { name, columns } => {
                    if let Some(u) = table.uniques.iter_mut().find(|u| u.name.is_none() && u.columns == columns) {
                        u.name = Some(name);
                    }
                }
                NamedConstraint::ForeignKey { name, columns } => {
                    if let Some(fk) = table.foreign_keys.iter_mut().find(|f| f.name.is_none() && f.columns == columns) {
                        fk.name = Some(name);
                    }
                }
            }
        }
        out.push(table);
    }
    Ok(Schema { tables: out, enums: Vec::new() })
}

/// A `CONSTRAINT name ..` clause of a CREATE TABLE statement.
#[derive(Debug, PartialEq)]
enum NamedConstraint {
    Check { name: String, expr: String },
    Unique { name: String, columns: Vec<String> },
    ForeignKey { name: String, columns: Vec<String> },
}

/// The named constraints of a CREATE TABLE statement (SQLite keeps no names of its own
/// for them: its pragmas name a UNIQUE by its index, a foreign key not at all).
fn named_constraints(create_sql: &str) -> Vec<NamedConstraint> {
    let mut found = Vec::new();
    let mut rest = create_sql;
    while let Some(at) = find_word(rest, "CONSTRAINT ") {
        rest = &rest[at + "CONSTRAINT ".len()..];
        let (name, after) = identifier(rest);
        let after = after.trim_start();
        let kind = ["CHECK", "UNIQUE", "FOREIGN KEY"].into_iter().find(|k| starts_with_word(after, k));
        let Some(kind) = kind else { continue };
        let body = after[kind.len()..].trim_start();
        let Some(end) = closing_paren(body) else { continue };
        let inside = &body[1..end];
        found.push(match kind {
            "CHECK" => NamedConstraint::Check { name, expr: strip_parens(&body[..=end]).to_owned() },
            "UNIQUE" => NamedConstraint::Unique { name, columns: identifier_list(inside) },
            _ => NamedConstraint::ForeignKey { name, columns: identifier_list(inside) },
        });
    }
    found
}

/// Where `word` starts in `text` outside quotes, at a word boundary.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut quoted = None;
    for (i, c) in text.char_indices() {
        match (quoted, c) {
            (None, '\'' | '"') => quoted = Some(c),
            (Some(q), _) if c == q => quoted = None,
            (None, _) if text[i..].starts_with(word) => {
                let before = text[..i].chars().next_back();
                if before.is_none_or(|b| !(b.is_alphanumeric() || b == '_')) {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.len() >= word.len()
        && text[..word.len()].eq_ignore_ascii_case(word)
        && text[word.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
}

/// The identifier at the start of `text` (quoted or not), and what follows it.
fn identifier(text: &str) -> (String, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    name.push('"');
                    chars.next();
                    continue;
                }
                return (name, &quoted[i + 1..]);
            }
            name.push(c);
        }
        return (name, "");
    }
    let end = text.find(|c: char| c.is_whitespace() || c == '(' || c == ',').unwrap_or(text.len());
    (text[..end].to_owned(), &text[end..])
}

/// `a, "B c"` -> `["a", "B c"]`.
fn identifier_list(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (name, after) = identifier(rest);
        names.push(name);
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    names
}

/// The position of the parenthesis that closes the one `text` starts with.
fn closing_paren(text: &str) -> Option<usize> {
    if !text.starts_with('(') {
        return None;
    }
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parentheses_around_the_whole_text_go() {
        assert_eq!(strip_parens("((price > 0))"), "price > 0");
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
        assert_eq!(strip_parens("(x = ')')"), "x = ')'");
    }

    #[test]
    fn named_constraints_are_read_from_create_table() {
        let sql = "CREATE TABLE t (\n\tid INTEGER NOT NULL,\n\tnote VARCHAR DEFAULT 'CONSTRAINT x CHECK (1)',\n\t\
                   CONSTRAINT ck_t_1 CHECK (id > (0)),\n\tCONSTRAINT \"Odd\" CHECK (id <> 7),\n\t\
                   CONSTRAINT uq_t UNIQUE (id, \"Note\"),\n\tCONSTRAINT fk_t FOREIGN KEY(id) REFERENCES u (id)\n)";
        assert_eq!(
            named_constraints(sql),
            [
                NamedConstraint::Check { name: "ck_t_1".into(), expr: "id > (0)".into() },
                NamedConstraint::Check { name: "Odd".into(), expr: "id <> 7".into() },
                NamedConstraint::Unique { name: "uq_t".into(), columns: vec!["id".into(), "Note".into()] },
                NamedConstraint::ForeignKey { name: "fk_t".into(), columns: vec!["id".into()] },
            ]
        );
    }

    #[test]
    fn literal_defaults_lose_their_cast() {
        assert_eq!(literal_without_cast("'draft'::character varying"), "'draft'");
        assert_eq!(literal_without_cast("'[]'::jsonb"), "'[]'");
        assert_eq!(literal_without_cast("now()"), "now()");
        assert_eq!(literal_without_cast("'::x"), "'::x");
        assert_eq!(literal_without_cast("'a'::text || 'b'::text"), "'a'::text || 'b'::text");
    }

    #[test]
    fn postgres_types_map_back() {
        assert_eq!(postgres_kind("character varying(80)", false), (ColumnKind::Known(SqlType::Text), Some(80)));
        assert_eq!(postgres_kind("integer[]", false), (ColumnKind::Known(SqlType::Array(&SqlType::Integer)), None));
        assert_eq!(postgres_kind("mood", true), (ColumnKind::Enum("mood".into()), None));
        assert_eq!(postgres_kind("text", false), (ColumnKind::Named("text".into()), None));
    }
}
