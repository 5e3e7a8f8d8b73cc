//! SQL dialects: how each backend spells identifiers, placeholders and types.
//!
//! Everything that renders SQL (DDL, queries, the unit of work) goes through a
//! [`Dialect`], so that models and queries are written once for every backend.

use crate::schema::table::ColumnDef;
use crate::schema::types::SqlType;

/// How one database backend spells SQL.
///
/// ```
/// use orm_core::dialect::{Dialect, POSTGRES};
/// let mut sql = String::new();
/// POSTGRES.write_ident(&mut sql, "user");
/// sql.push('.');
/// POSTGRES.write_ident(&mut sql, "name");
/// assert_eq!(sql, r#""user".name"#);
/// ```
pub trait Dialect: Send + Sync + std::fmt::Debug + 'static {
    /// The backend's name: `"postgresql"`, `"sqlite"`, `"mysql"` (MySQL and MariaDB).
    fn name(&self) -> &'static str;

    /// Appends an identifier, quoted when it needs to be (keywords, capitals, symbols).
    fn write_ident(&self, out: &mut String, ident: &str) {
        if needs_quotes(ident) {
            out.push('"');
            for c in ident.chars() {
                if c == '"' {
                    out.push('"');
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(ident);
        }
    }

    /// Appends the placeholder of the `index`-th bound parameter (counted from 1).
    fn write_placeholder(&self, out: &mut String, index: usize);

    /// The column's type in CREATE TABLE, including auto-increment (`SERIAL`).
    fn column_type(&self, column: &ColumnDef) -> String;

    /// The most bound parameters one statement may carry.
    fn max_bind_params(&self) -> usize;

    /// Whether arrays can be bound as one parameter (`= ANY($1)`, `UNNEST($1::int[])`).
    fn array_params(&self) -> bool;

    /// Whether `ILIKE` exists; otherwise it is rendered with `lower()`.
    fn has_ilike(&self) -> bool;

    /// The type name a `CAST(.. AS type)` to `ty` uses.
    fn cast_type(&self, ty: SqlType) -> std::borrow::Cow<'static, str>;

    /// Whether `SELECT DISTINCT ON (..)` exists.
    fn distinct_on(&self) -> bool {
        false
    }

    /// Whether `FULL OUTER JOIN` exists.
    fn full_join(&self) -> bool {
        false
    }

    /// Whether NULL sorts before every value (SQLite) rather than after (PostgreSQL).
    fn nulls_sort_low(&self) -> bool {
        false
    }

    /// Whether `round(x, digits)` takes only NUMERIC (PostgreSQL), so that a float is
    /// rounded through it.
    fn round_needs_numeric(&self) -> bool {
        false
    }

    /// Whether SELECTs can lock rows (`FOR UPDATE`, `FOR SHARE`, `NOWAIT`, `SKIP LOCKED`).
    fn row_locks(&self) -> bool {
        false
    }

    /// Whether enum types exist (`CREATE TYPE .. AS ENUM`); otherwise an enum mapped with
    /// `pg_enum` is stored as text with a CHECK.
    fn native_enums(&self) -> bool {
        false
    }

    /// Written after a LIKE pattern so that a backslash escapes `%`, `_` and itself, as
    /// it does by default on PostgreSQL: nothing there, ` ESCAPE '\'` on SQLite.
    fn like_escape(&self) -> &'static str {
        ""
    }

    /// Whether long IN lists (over 1,000 values) can go as one JSON array parameter,
    /// `IN (SELECT value FROM json_each(?1))`, where arrays cannot (SQLite: a statement
    /// takes at most 32,766 parameters).
    #[doc(hidden)]
    fn json_each_lists(&self) -> bool {
        false
    }

    /// Whether `ORDER BY x NULLS FIRST` / `NULLS LAST` exist; otherwise NULLs are placed by
    /// a leading sort key (`x IS NULL DESC, x`).
    fn nulls_placement(&self) -> bool {
        true
    }

    /// The current time as a timestamp with time zone (UTC where there is no zone).
    fn now_sql(&self) -> &'static str {
        "now()"
    }

    /// How `a IS DISTINCT FROM b` is written: the text before `a`, between, and after `b`;
    /// `negated`: `IS NOT DISTINCT FROM` (NULL-safe equality).
    fn distinct_sql(&self, negated: bool) -> (&'static str, &'static str, &'static str) {
        if negated { ("", " IS NOT DISTINCT FROM ", "") } else { ("", " IS DISTINCT FROM ", "") }
    }

    /// The type a cast to text names (`CAST(x AS TEXT)`).
    fn text_cast(&self) -> &'static str {
        "TEXT"
    }

    /// How a shared row lock is asked for (`FOR SHARE`; MariaDB: `LOCK IN SHARE MODE`).
    fn share_lock(&self) -> &'static str {
        " FOR SHARE"
    }

    /// Whether a lock clause can name the tables it locks (`FOR UPDATE OF t`); MariaDB
    /// locks the rows of every table of the query.
    fn lock_of(&self) -> bool {
        true
    }

    /// Whether `avg(x)` of integers and decimals is exact enough to be cast to a double
    /// afterwards (PostgreSQL: NUMERIC; SQLite: REAL); otherwise (MySQL: four more
    /// decimal places, rounded) its argument is cast to a double first.
    fn exact_avg(&self) -> bool {
        true
    }

    /// A type declared in the model (`#[orm(sql_type = "..")]`, `#[orm(text)]`) as this
    /// backend writes it.
    fn declared_type(&self, declared: &str) -> String {
        declared.to_uppercase()
    }

    /// Whether `UPDATE t SET .. FROM (VALUES ..) AS v` and `(a, b) IN (VALUES ..)` exist;
    /// otherwise a batched UPDATE sets each column with a CASE over the keys, and row
    /// values are listed as `((?1, ?2), (?3, ?4))`.
    fn values_lists(&self) -> bool {
        true
    }

    /// Whether `UPDATE .. RETURNING` exists (MariaDB has it for INSERT and DELETE only).
    fn update_returning(&self) -> bool {
        true
    }

    /// What opens a row of a VALUES table (`WITH v (a, b) AS (VALUES (..), ..)`, the
    /// batched UPDATE where [`values_lists`](Dialect::values_lists) is false): nothing, or
    /// MySQL's `ROW`.
    fn values_row(&self) -> &'static str {
        ""
    }

    /// Written after `CREATE TABLE name (..)`: MySQL's storage engine, character set and
    /// (binary, no-pad) collation, so that text compares as on PostgreSQL.
    fn table_options(&self) -> &'static str {
        ""
    }

    /// The statement that opens a transaction.
    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    /// Whether OFFSET needs a LIMIT before it (`LIMIT -1 OFFSET n`).
    fn offset_needs_limit(&self) -> bool {
        false
    }

    /// A query returning the names, among `names`, of the tables that exist.
    fn existing_tables_query(&self, names: &[&str]) -> (String, Vec<crate::Value>) {
        let names = crate::Value::Array(names.iter().map(|n| crate::Value::from(*n)).collect());
        (
            "SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.relname = ANY($1) \
             AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_catalog.pg_table_is_visible(c.oid)"
                .to_owned(),
            vec![names],
        )
    }
}

/// PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

/// The PostgreSQL dialect.
pub static POSTGRES: Postgres = Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn write_placeholder(&self, out: &mut String, index: usize) {
        use std::fmt::Write;
        let _ = write!(out, "${index}");
    }

    fn column_type(&self, column: &ColumnDef) -> String {
        if column.autoincrement {
            match column.sql_type {
                SqlType::SmallInt => return "SMALLSERIAL".into(),
                SqlType::Integer => return "SERIAL".into(),
                SqlType::BigInt => return "BIGSERIAL".into(),
                _ => {}
            }
        }
        match (column.sql_type, column.length) {
            (SqlType::Text, Some(n)) => format!("VARCHAR({n})"),
            (SqlType::Enum(def), Some(n)) if def.pg_type.is_none() => format!("VARCHAR({n})"),
            (ty, _) => pg_type_name(ty).into_owned(),
        }
    }

    fn max_bind_params(&self) -> usize {
        // The wire protocol counts parameters in an i16.
        32_767
    }

    fn cast_type(&self, ty: SqlType) -> std::borrow::Cow<'static, str> {
        pg_type_name(ty)
    }

    fn array_params(&self) -> bool {
        true
    }

    fn has_ilike(&self) -> bool {
        true
    }

    fn native_enums(&self) -> bool {
        true
    }

    fn row_locks(&self) -> bool {
        true
    }

    fn distinct_on(&self) -> bool {
        true
    }

    fn round_needs_numeric(&self) -> bool {
        true
    }

    fn full_join(&self) -> bool {
        true
    }
}

/// SQLite.
#[derive(Debug, Clone, Copy)]
pub struct Sqlite;

/// The SQLite dialect.
pub static SQLITE: Sqlite = Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn write_placeholder(&self, out: &mut String, index: usize) {
        use std::fmt::Write;
        let _ = write!(out, "?{index}");
    }

    fn column_type(&self, column: &ColumnDef) -> String {
        if column.autoincrement {
            // Only a column declared exactly INTEGER becomes the rowid, numbered by SQLite.
            return "INTEGER".into();
        }
        match (column.sql_type, column.length) {
            (SqlType::Text | SqlType::Enum(_), Some(n)) => format!("VARCHAR({n})"),
            (ty, _) => sqlite_type_name(ty).into(),
        }
    }

    fn max_bind_params(&self) -> usize {
        // SQLITE_MAX_VARIABLE_NUMBER since 3.32.
        32_766
    }

    fn cast_type(&self, ty: SqlType) -> std::borrow::Cow<'static, str> {
        sqlite_type_name(ty).into()
    }

    fn array_params(&self) -> bool {
        false
    }

    fn has_ilike(&self) -> bool {
        false
    }

    fn like_escape(&self) -> &'static str {
        " ESCAPE '\\'"
    }

    fn nulls_sort_low(&self) -> bool {
        true
    }

    fn full_join(&self) -> bool {
        // Since SQLite 3.39 (the bundled one is newer).
        true
    }

    fn json_each_lists(&self) -> bool {
        true
    }

    fn now_sql(&self) -> &'static str {
        "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')"
    }

    fn distinct_sql(&self, negated: bool) -> (&'static str, &'static str, &'static str) {
        if negated { ("", " IS ", "") } else { ("", " IS NOT ", "") }
    }

    fn begin_sql(&self) -> &'static str {
        // Take the write lock now: upgrading later can fail at once on a busy database.
        "BEGIN IMMEDIATE"
    }

    fn offset_needs_limit(&self) -> bool {
        true
    }

    fn existing_tables_query(&self, names: &[&str]) -> (String, Vec<crate::Value>) {
        let mut sql = String::from("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name IN (");
        for i in 0..names.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            self.write_placeholder(&mut sql, i + 1);
        }
        sql.push(')');
        (sql, names.iter().map(|n| crate::Value::from(*n)).collect())
    }
}

/// MariaDB 10.6+ (and MySQL 8's spelling, which `build()` refuses until inserts there
/// read keys back without RETURNING): backtick-quoted identifiers, numbered placeholders (`?1`,
/// which the MySQL backend sends as plain `?` with the parameters in order), and types
/// MySQL has (VARCHAR(255) for a `String` without a length, DATETIME(6) for timestamps
/// in UTC, ENUM(..) for enums).
///
/// ```
/// use orm_core::dialect::{Dialect, MARIADB};
/// let mut sql = String::new();
/// MARIADB.write_ident(&mut sql, "order");
/// assert_eq!(sql, "`order`");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Mysql {
    /// MariaDB (INSERT and DELETE .. RETURNING, no `FOR SHARE`) rather than MySQL.
    mariadb: bool,
}

/// The MySQL 8 dialect.
pub static MYSQL: Mysql = Mysql { mariadb: false };
/// The MariaDB dialect.
pub static MARIADB: Mysql = Mysql { mariadb: true };

impl Mysql {
    /// Whether this is MariaDB's spelling.
    pub fn is_mariadb(&self) -> bool {
        self.mariadb
    }
}

impl Dialect for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }

    /// Always backticks: MySQL's reserved words change from release to release.
    fn write_ident(&self, out: &mut String, ident: &str) {
        out.push('`');
        for c in ident.chars() {
            if c == '`' {
                out.push('`');
            }
            out.push(c);
        }
        out.push('`');
    }

    fn write_placeholder(&self, out: &mut String, index: usize) {
        use std::fmt::Write;
        let _ = write!(out, "?{index}");
    }

    fn column_type(&self, column: &ColumnDef) -> String {
        if column.autoincrement {
            match column.sql_type {
                SqlType::SmallInt => return "SMALLINT AUTO_INCREMENT".into(),
                SqlType::Integer => return "INTEGER AUTO_INCREMENT".into(),
                SqlType::BigInt => return "BIGINT AUTO_INCREMENT".into(),
                _ => {}
            }
        }
        match (column.sql_type, column.length) {
            (SqlType::Text, Some(n)) => format!("VARCHAR({n})"),
            (SqlType::Enum(def), _) => format!("ENUM({})", def.label_list()),
            (ty, _) => mysql_type_name(ty).into(),
        }
    }

    fn max_bind_params(&self) -> usize {
        // The protocol counts a statement's parameters in a u16.
        65_535
    }

    fn cast_type(&self, ty: SqlType) -> std::borrow::Cow<'static, str> {
        match ty {
            SqlType::SmallInt | SqlType::Integer | SqlType::BigInt | SqlType::Boolean => "SIGNED".into(),
            SqlType::Real | SqlType::Double => "DOUBLE".into(),
            SqlType::Text | SqlType::Enum(_) | SqlType::Uuid | SqlType::Json => "CHAR".into(),
            SqlType::Bytes => "BINARY".into(),
            other => mysql_type_name(other).into(),
        }
    }

    fn array_params(&self) -> bool {
        false
    }

    fn has_ilike(&self) -> bool {
        false
    }

    fn nulls_sort_low(&self) -> bool {
        true
    }

    fn row_locks(&self) -> bool {
        true
    }

    fn offset_needs_limit(&self) -> bool {
        true
    }

    fn nulls_placement(&self) -> bool {
        false
    }

    fn exact_avg(&self) -> bool {
        false
    }

    fn share_lock(&self) -> &'static str {
        if self.mariadb { " LOCK IN SHARE MODE" } else { " FOR SHARE" }
    }

    fn lock_of(&self) -> bool {
        !self.mariadb
    }

    /// MySQL rounds a DOUBLE's halves to even (the C library's way); through DECIMAL they
    /// go away from zero, as on PostgreSQL and SQLite.
    fn round_needs_numeric(&self) -> bool {
        true
    }

    fn values_lists(&self) -> bool {
        false
    }

    fn values_row(&self) -> &'static str {
        if self.mariadb { "" } else { "ROW" }
    }

    fn update_returning(&self) -> bool {
        false
    }

    /// PostgreSQL's names of types MySQL spells otherwise; TEXT as LONGTEXT (MySQL's TEXT
    /// holds 64 KiB, PostgreSQL's any length).
    fn declared_type(&self, declared: &str) -> String {
        let upper = declared.to_uppercase();
        match upper.as_str() {
            "TEXT" => "LONGTEXT".to_owned(),
            "BYTEA" => "LONGBLOB".to_owned(),
            "JSONB" => "JSON".to_owned(),
            "UUID" => "CHAR(36)".to_owned(),
            "DOUBLE PRECISION" => "DOUBLE".to_owned(),
            "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" | "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => {
                "DATETIME(6)".to_owned()
            }
            _ => upper,
        }
    }

    fn now_sql(&self) -> &'static str {
        "UTC_TIMESTAMP(6)"
    }

    fn distinct_sql(&self, negated: bool) -> (&'static str, &'static str, &'static str) {
        if negated { ("(", " <=> ", ")") } else { ("NOT (", " <=> ", ")") }
    }

    fn text_cast(&self) -> &'static str {
        "CHAR"
    }

    fn table_options(&self) -> &'static str {
        if self.mariadb {
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
        } else {
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin"
        }
    }

    fn existing_tables_query(&self, names: &[&str]) -> (String, Vec<crate::Value>) {
        let mut sql = String::from(
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name IN (",
        );
        for i in 0..names.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            self.write_placeholder(&mut sql, i + 1);
        }
        sql.push(')');
        (sql, names.iter().map(|n| crate::Value::from(*n)).collect())
    }
}

/// MySQL's column types. Text without a length is VARCHAR(255) (MySQL needs one; say
/// `length` or `#[orm(text)]` for more); times keep microseconds; JSON is MySQL's JSON
/// (MariaDB's alias of LONGTEXT with a validity check); decimals keep 28 places, as many
/// as `rust_decimal` holds.
fn mysql_type_name(ty: SqlType) -> &'static str {
    match ty {
        SqlType::SmallInt => "SMALLINT",
        SqlType::Integer => "INTEGER",
        SqlType::BigInt => "BIGINT",
        SqlType::Real => "FLOAT",
        SqlType::Double => "DOUBLE",
        SqlType::Boolean => "BOOLEAN",
        SqlType::Text => "VARCHAR(255)",
        SqlType::Bytes => "LONGBLOB",
        SqlType::Date => "DATE",
        SqlType::Time => "TIME(6)",
        SqlType::Timestamp | SqlType::TimestampTz => "DATETIME(6)",
        SqlType::Uuid => "CHAR(36)",
        SqlType::Json => "JSON",
        SqlType::Decimal => "DECIMAL(65, 28)",
        SqlType::Enum(_) => "VARCHAR(255)",
        // Refused before any DDL is sent (see `ddl::create_all`).
        SqlType::Array(_) => "JSON",
    }
}

/// SQLite's declared types. Types SQLite lacks are stored in forms that round-trip
/// exactly: dates and times as ISO-8601 text, UUIDs as text, decimals and JSON as TEXT
/// (TEXT affinity keeps `1.10` from becoming the REAL 1.1).
fn sqlite_type_name(ty: SqlType) -> &'static str {
    match ty {
        SqlType::SmallInt => "SMALLINT",
        SqlType::Integer => "INTEGER",
        SqlType::BigInt => "BIGINT",
        SqlType::Real => "REAL",
        SqlType::Double => "DOUBLE",
        SqlType::Boolean => "BOOLEAN",
        SqlType::Text => "VARCHAR",
        SqlType::Bytes => "BLOB",
        SqlType::Date => "DATE",
        SqlType::Time => "TIME",
        SqlType::Timestamp | SqlType::TimestampTz => "DATETIME",
        SqlType::Uuid => "CHAR(36)",
        SqlType::Json | SqlType::Decimal => "TEXT",
        SqlType::Enum(_) => "VARCHAR",
        SqlType::Array(_) => "TEXT",
    }
}

/// The PostgreSQL name of a logical type, also used for `$1::type[]` casts.
pub(crate) fn pg_type_name(ty: SqlType) -> std::borrow::Cow<'static, str> {
    let name = match ty {
        SqlType::SmallInt => "SMALLINT",
        SqlType::Integer => "INTEGER",
        SqlType::BigInt => "BIGINT",
        SqlType::Real => "REAL",
        SqlType::Double => "DOUBLE PRECISION",
        SqlType::Boolean => "BOOLEAN",
        SqlType::Text => "VARCHAR",
        SqlType::Bytes => "BYTEA",
        SqlType::Date => "DATE",
        SqlType::Time => "TIME WITHOUT TIME ZONE",
        SqlType::Timestamp => "TIMESTAMP WITHOUT TIME ZONE",
        SqlType::TimestampTz => "TIMESTAMP WITH TIME ZONE",
        SqlType::Uuid => "UUID",
        SqlType::Json => "JSONB",
        SqlType::Decimal => "NUMERIC",
        SqlType::Enum(def) => match def.pg_type {
            Some(name) => {
                let mut quoted = String::new();
                POSTGRES.write_ident(&mut quoted, name);
                return quoted.into();
            }
            None => "VARCHAR",
        },
        SqlType::Array(element) => return format!("{}[]", pg_type_name(*element)).into(),
    };
    name.into()
}

/// Whether an identifier must be double-quoted to keep its exact spelling: anything but
/// a lowercase ASCII word that is not a keyword.
pub fn needs_quotes(ident: &str) -> bool {
    let mut chars = ident.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    if !(first.is_ascii_lowercase() || first == '_') {
        return true;
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return true;
    }
    is_reserved(ident)
}

/// Whether `ident` is one of [`RESERVED`], by length first (a jump), then a few compares.
fn is_reserved(ident: &str) -> bool {
    match ident.len() {
        2 => matches!(ident, "as" | "by" | "do" | "if" | "in" | "is" | "no" | "of" | "on" | "or" | "to"),
        3 => matches!(ident, "add" | "all" | "and" | "any" | "asc" | "end" | "for" | "key" | "not" | "row" | "set"),
        4 => matches!(
            ident,
            "both"
                | "case"
                | "cast"
                | "desc"
                | "drop"
                | "each"
                | "else"
                | "fail"
                | "from"
                | "full"
                | "glob"
                | "into"
                | "join"
                | "last"
                | "left"
                | "like"
                | "null"
                | "only"
                | "over"
                | "plan"
                | "rows"
                | "some"
                | "temp"
                | "then"
                | "ties"
                | "true"
                | "user"
                | "view"
                | "when"
                | "with"
        ),
        5 => matches!(
            ident,
            "abort"
                | "after"
                | "alter"
                | "array"
                | "begin"
                | "check"
                | "cross"
                | "false"
                | "fetch"
                | "first"
                | "grant"
                | "group"
                | "ilike"
                | "index"
                | "inner"
                | "limit"
                | "match"
                | "nulls"
                | "order"
                | "outer"
                | "query"
                | "raise"
                | "range"
                | "right"
                | "table"
                | "union"
                | "using"
                | "where"
        ),
        6 => matches!(
            ident,
            "action"
                | "always"
                | "attach"
                | "before"
                | "binary"
                | "column"
                | "commit"
                | "create"
                | "delete"
                | "detach"
                | "escape"
                | "except"
                | "exists"
                | "filter"
                | "freeze"
                | "groups"
                | "having"
                | "ignore"
                | "insert"
                | "isnull"
                | "offset"
                | "others"
                | "pragma"
                | "regexp"
                | "rename"
                | "select"
                | "unique"
                | "update"
                | "vacuum"
                | "values"
                | "window"
        ),
        7 => matches!(
            ident,
            "analyse"
                | "analyze"
                | "between"
                | "cascade"
                | "collate"
                | "current"
                | "default"
                | "exclude"
                | "explain"
                | "foreign"
                | "indexed"
                | "instead"
                | "lateral"
                | "leading"
                | "natural"
                | "nothing"
                | "notnull"
                | "placing"
                | "primary"
                | "reindex"
                | "release"
                | "replace"
                | "similar"
                | "trigger"
                | "verbose"
                | "virtual"
                | "without"
        ),
        8 => matches!(
            ident,
            "conflict"
                | "database"
                | "deferred"
                | "distinct"
                | "overlaps"
                | "restrict"
                | "rollback"
                | "trailing"
                | "variadic"
        ),
        9 => matches!(
            ident,
            "collation"
                | "exclusive"
                | "following"
                | "generated"
                | "immediate"
                | "initially"
                | "intersect"
                | "localtime"
                | "partition"
                | "preceding"
                | "recursive"
                | "returning"
                | "savepoint"
                | "symmetric"
                | "temporary"
                | "unbounded"
        ),
        10 => matches!(ident, "asymmetric" | "constraint" | "deferrable" | "references"),
        11 => matches!(ident, "system_user" | "tablesample" | "transaction"),
        12 => matches!(
            ident,
            "concurrently"
                | "current_date"
                | "current_role"
                | "current_time"
                | "current_user"
                | "materialized"
                | "session_user"
        ),
        13 => matches!(ident, "authorization" | "autoincrement"),
        14 => matches!(ident, "current_schema" | "localtimestamp"),
        15 => matches!(ident, "current_catalog"),
        17 => matches!(ident, "current_timestamp"),
        _ => false,
    }
}

/// Words that cannot be used bare as identifiers in PostgreSQL or SQLite (sorted); the
/// source of `is_reserved`, which the tests check against it.
#[cfg(test)]
const RESERVED: &[&str] = &[
    "abort",
    "action",
    "add",
    "after",
    "all",
    "alter",
    "always",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "attach",
    "authorization",
    "autoincrement",
    "before",
    "begin",
    "between",
    "binary",
    "both",
    "by",
    "cascade",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "commit",
    "concurrently",
    "conflict",
    "constraint",
    "create",
    "cross",
    "current",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "database",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "detach",
    "distinct",
    "do",
    "drop",
    "each",
    "else",
    "end",
    "escape",
    "except",
    "exclude",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "false",
    "fetch",
    "filter",
    "first",
    "following",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "generated",
    "glob",
    "grant",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "ilike",
    "immediate",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "instead",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "last",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "match",
    "materialized",
    "natural",
    "no",
    "not",
    "nothing",
    "notnull",
    "null",
    "nulls",
    "of",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "others",
    "outer",
    "over",
    "overlaps",
    "partition",
    "placing",
    "plan",
    "pragma",
    "preceding",
    "primary",
    "query",
    "raise",
    "range",
    "recursive",
    "references",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "returning",
    "right",
    "rollback",
    "row",
    "rows",
    "savepoint",
    "select",
    "session_user",
    "set",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "temp",
    "temporary",
    "then",
    "ties",
    "to",
    "trailing",
    "transaction",
    "trigger",
    "true",
    "unbounded",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "vacuum",
    "values",
    "variadic",
    "verbose",
    "view",
    "virtual",
    "when",
    "where",
    "window",
    "with",
    "without",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_and_all_recognised() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(RESERVED.iter().all(|w| is_reserved(w)));
        assert!(!is_reserved("programs") && !is_reserved("name"));
    }

    #[test]
    fn quotes_only_where_needed() {
        let q = |s: &str| {
            let mut out = String::new();
            POSTGRES.write_ident(&mut out, s);
            out
        };
        assert_eq!(q("programs"), "programs");
        assert_eq!(q("years_of_study"), "years_of_study");
        assert_eq!(q("user"), "\"user\"");
        assert_eq!(q("order"), "\"order\"");
        assert_eq!(q("MixedCase"), "\"MixedCase\"");
        assert_eq!(q("café"), "\"café\"");
        assert_eq!(q("a\"b"), "\"a\"\"b\"");
        assert_eq!(q("1abc"), "\"1abc\"");
        assert_eq!(q(""), "\"\"");
    }
}
