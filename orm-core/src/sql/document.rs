//! Filters into documents and arrays: containment (`@>`) and the text at a path of a
//! JSON document (`#>>`), as each dialect spells them. PostgreSQL has the operators;
//! SQLite reads paths with `->>` and tests containment with `orm_json_contains`, a
//! function the SQLite backend registers on each connection (PostgreSQL's rules).

use crate::sql::dialect::Dialect;
use crate::sql::expr::{ColumnRef, PathTest};
use crate::sql::storage::json_array_exact;
use crate::sql::writer::SqlWriter;
use crate::value::Value;

/// The bound form of a path: `text[]` on PostgreSQL, a JSON path (`$."a"."b"`) on SQLite.
pub(crate) fn path_param(dialect: &dyn Dialect, path: &[String]) -> Value {
    if dialect.array_params() {
        return Value::Array(path.iter().map(|k| Value::Text(k.clone())).collect());
    }
    let mut json_path = String::from("$");
    for key in path {
        if key.contains('"') {
            return Value::Unencodable(format!(
                "the key `{key}` has a double quote, which a SQLite JSON path cannot hold"
            ));
        }
        json_path.push_str(".\"");
        json_path.push_str(key);
        json_path.push('"');
    }
    Value::Text(json_path)
}

/// The bound form of a contained part: arrays travel as JSON text where there are no
/// array parameters.
pub(crate) fn part_param(dialect: &dyn Dialect, part: &Value) -> Value {
    match part {
        Value::Array(items) if !dialect.array_params() => match json_array_exact(items) {
            Ok(json) => Value::Text(json),
            Err(why) => Value::Unencodable(why.into_owned()),
        },
        other => other.clone(),
    }
}

/// The parameters of a containment filter, in the order it binds them.
pub(crate) fn contains_params(dialect: &dyn Dialect, path: &[String], part: &Value, out: &mut Vec<Value>) {
    if dialect.name() == "mysql" {
        out.extend(mysql_contains(dialect, path, part).into_iter().filter_map(|piece| match piece {
            Piece::Param(value) => Some(value),
            _ => None,
        }));
        return;
    }
    if !path.is_empty() {
        out.push(path_param(dialect, path));
    }
    out.push(part_param(dialect, part));
}

/// A piece of a containment test on MySQL: SQL text, the document column, a parameter.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "json"), allow(dead_code))]
enum Piece {
    Sql(String),
    Column,
    Param(Value),
}

/// The shape of a containment's part, for the statement cache: on MySQL the SQL follows
/// the part's structure (its values are parameters).
pub(crate) fn contains_shape(part: &Value, out: &mut Vec<usize>) {
    #[cfg(feature = "json")]
    fn walk(j: &serde_json::Value, out: &mut Vec<usize>) {
        match j {
            serde_json::Value::Object(map) => {
                out.extend([1, map.len()]);
                map.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(items) => {
                out.extend([2, items.len()]);
                items.iter().for_each(|v| walk(v, out));
            }
            _ => out.push(3),
        }
    }
    match part {
        #[cfg(feature = "json")]
        Value::Json(j) => walk(j, out),
        _ => out.push(0),
    }
}

/// `doc @> part` as PostgreSQL decides it, spelled for MySQL and MariaDB. Their
/// `JSON_CONTAINS` also finds a value inside a nested array (`{"a": [[1]]}` contains
/// `{"a": [1]}` there), so the test follows the part's structure instead: an object
/// needs an object with each key's value contained, an array an array with each element
/// contained in one of its elements (walked with `JSON_TABLE`), a scalar an equal
/// scalar (at the top, as an element of an array too). A missing document or path is
/// NULL, a missing key false, as on PostgreSQL.
#[cfg_attr(not(feature = "json"), allow(unused_variables))]
fn mysql_contains(dialect: &dyn Dialect, path: &[String], part: &Value) -> Vec<Piece> {
    let mut out = Vec::new();
    match part {
        #[cfg(feature = "json")]
        Value::Json(j) => {
            let mut target = vec![Piece::Column];
            if !path.is_empty() {
                target = extract(target, Piece::Param(path_param(dialect, path)));
            }
            out.push(Piece::Sql("IF(".into()));
            out.extend(target.iter().cloned());
            out.push(Piece::Sql(" IS NULL, NULL, COALESCE(".into()));
            contained(&target, j, true, 0, &mut out);
            out.push(Piece::Sql(", FALSE))".into()));
        }
        _ => out.push(Piece::Param(Value::Unencodable(
            "MySQL has no array columns: containment there is for JSON documents".into(),
        ))),
    }
    out
}

/// `JSON_EXTRACT(target, path)`.
#[cfg(feature = "json")]
fn extract(target: Vec<Piece>, path: Piece) -> Vec<Piece> {
    let mut out = vec![Piece::Sql("JSON_EXTRACT(".into())];
    out.extend(target);
    out.extend([Piece::Sql(", ".into()), path, Piece::Sql(")".into())]);
    out
}

/// The test that `target` contains `part` (`top`: the document or path itself).
#[cfg(feature = "json")]
fn contained(target: &[Piece], part: &serde_json::Value, top: bool, depth: usize, out: &mut Vec<Piece>) {
    use serde_json::Value as J;
    let sql = |s: &str| Piece::Sql(s.to_owned());
    let json_type = |out: &mut Vec<Piece>, test: &str| {
        out.push(sql("(JSON_TYPE("));
        out.extend(target.iter().cloned());
        out.push(sql(test));
    };
    match part {
        J::Object(map) => {
            json_type(out, ") = 'OBJECT'");
            for (key, value) in map {
                out.push(sql(" AND "));
                let path = if key.contains('"') {
                    Value::Unencodable(format!(
                        "the key `{key}` has a double quote, which a MySQL JSON path cannot hold"
                    ))
                } else {
                    Value::Text(format!("$.\"{key}\""))
                };
                contained(&extract(target.to_vec(), Piece::Param(path)), value, false, depth, out);
            }
            out.push(sql(")"));
        }
        J::Array(items) => {
            json_type(out, ") = 'ARRAY'");
            for item in items {
                out.push(sql(" AND "));
                element(target, item, depth, out);
            }
            out.push(sql(")"));
        }
        scalar => {
            let value = Piece::Param(Value::Text(scalar.to_string()));
            if top {
                // PostgreSQL's exception: an array contains a scalar among its elements.
                json_type(out, ") = 'ARRAY' AND ");
                element(target, scalar, depth, out);
                out.push(sql(") OR (COALESCE(JSON_TYPE("));
            } else {
                // JSON_TYPE is NULL for JSON null on MariaDB.
                out.push(sql("(COALESCE(JSON_TYPE("));
            }
            out.extend(target.iter().cloned());
            out.push(sql("), 'NULL') <> 'ARRAY' AND JSON_CONTAINS("));
            out.extend(target.iter().cloned());
            out.extend([sql(", "), value, sql("))")]);
        }
    }
}

/// `EXISTS (..)`: an element of the array `target` contains `item`.
#[cfg(feature = "json")]
fn element(target: &[Piece], item: &serde_json::Value, depth: usize, out: &mut Vec<Piece>) {
    let alias = format!("orm_e{depth}");
    out.push(Piece::Sql("EXISTS (SELECT 1 FROM JSON_TABLE(".into()));
    out.extend(target.iter().cloned());
    out.push(Piece::Sql(format!(", '$[*]' COLUMNS (i FOR ORDINALITY)) AS {alias} WHERE ")));
    let at = Piece::Sql(format!("CONCAT('$[', {alias}.i - 1, ']')"));
    contained(&extract(target.to_vec(), at), item, false, depth + 1, out);
    out.push(Piece::Sql(")".into()));
}

/// The parameters of a path test, in the order it binds them.
pub(crate) fn path_text_params(dialect: &dyn Dialect, path: &[String], test: &PathTest, out: &mut Vec<Value>) {
    let path = path_param(dialect, path);
    if !dialect.array_params() && !matches!(test, PathTest::Number(..)) {
        // SQLite and MySQL read the path twice: its JSON type, then its value.
        out.push(path.clone());
    }
    out.push(path);
    match test {
        PathTest::Compare(_, value) => out.push(value.clone()),
        PathTest::Number(_, number) => out.push(Value::F64(*number)),
        PathTest::IsNull(_) => {}
    }
}

impl SqlWriter {
    /// `column @> $1`, `(column #> $1) @> $2`; SQLite: `orm_json_contains(column -> ?1, ?2)`.
    pub(crate) fn contains(&mut self, column: ColumnRef, path: &[String], part: &Value) {
        let dialect = self.dialect;
        if dialect.name() == "mysql" {
            for piece in mysql_contains(dialect, path, part) {
                match piece {
                    Piece::Sql(sql) => self.push(&sql),
                    Piece::Column => self.column(column),
                    Piece::Param(value) => self.param(value),
                };
            }
            return;
        }
        if dialect.array_params() {
            if path.is_empty() {
                self.column(column);
            } else {
                self.push("(").column(column).push(" #> ").param(path_param(dialect, path)).push(")");
            }
            self.push(" @> ").param(part_param(dialect, part));
        } else {
            self.push("orm_json_contains(").column(column);
            if !path.is_empty() {
                self.push(" -> ").param(path_param(dialect, path));
            }
            self.push(", ").param(part_param(dialect, part)).push(")");
        }
    }

    /// `column && $1`; SQLite: an element of the JSON array in both.
    pub(crate) fn overlaps(&mut self, column: ColumnRef, values: &Value) {
        let dialect = self.dialect;
        if dialect.array_params() {
            self.column(column).push(" && ").param(part_param(dialect, values));
        } else {
            self.push("EXISTS (SELECT 1 FROM json_each(").column(column);
            self.push(") WHERE value IN (SELECT value FROM json_each(").param(part_param(dialect, values)).push(")))");
        }
    }

    /// `$1 = ANY(column)`; SQLite: an element of the JSON array equal to it.
    pub(crate) fn any_element(&mut self, column: ColumnRef, value: &Value) {
        if self.dialect.array_params() {
            self.param(value.clone()).push(" = ANY(").column(column).push(")");
        } else {
            self.push("EXISTS (SELECT 1 FROM json_each(").column(column).push(") WHERE value = ");
            self.param(value.clone()).push(")");
        }
    }

    /// `(column #>> $1) = $2`; SQLite: the same text, as PostgreSQL spells it (`->>`
    /// gives SQL values there: numbers become their text, booleans `true`/`false`).
    /// Numbers: `(column #>> $1)::double precision < $2`, `CAST(column ->> ?1 AS REAL)`.
    pub(crate) fn path_text(&mut self, column: ColumnRef, path: &[String], test: &PathTest) {
        let dialect = self.dialect;
        let param = path_param(dialect, path);
        if dialect.name() == "mysql" {
            // The text at the path as PostgreSQL's `#>>` gives it: JSON null is NULL,
            // strings without their quotes, numbers and booleans as their JSON text.
            match test {
                PathTest::Number(..) => {
                    self.push("CAST(JSON_UNQUOTE(JSON_EXTRACT(").column(column).push(", ").param(param);
                    self.push(")) AS DOUBLE)");
                }
                _ => {
                    // In the connection's collation (JSON text has its own).
                    self.push("(CASE JSON_TYPE(JSON_EXTRACT(").column(column).push(", ").param(param.clone());
                    self.push(")) WHEN 'NULL' THEN NULL ELSE CAST(JSON_UNQUOTE(JSON_EXTRACT(").column(column);
                    self.push(", ").param(param).push(")) AS CHAR) END)");
                }
            }
            self.path_test(test);
            return;
        }
        match (dialect.array_params(), test) {
            (true, PathTest::Number(..)) => {
                self.push("(").column(column).push(" #>> ").param(param).push(")::double precision");
            }
            (true, _) => {
                self.push("(").column(column).push(" #>> ").param(param).push(")");
            }
            (false, PathTest::Number(..)) => {
                self.push("CAST(").column(column).push(" ->> ").param(param).push(" AS REAL)");
            }
            (false, _) => {
                self.push("(CASE json_type(").column(column).push(", ").param(param.clone());
                self.push(") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(");
                self.column(column).push(" ->> ").param(param).push(" AS TEXT) END)");
            }
        }
        self.path_test(test);
    }

    /// The comparison after a path's text: `> $n`, `= $n`, `IS NULL`.
    fn path_test(&mut self, test: &PathTest) {
        match test {
            PathTest::Number(op, number) => {
                self.push(op.sql()).param(Value::F64(*number));
            }
            PathTest::Compare(op, value) => {
                self.push(op.sql()).param(value.clone());
            }
            PathTest::IsNull(negated) => {
                self.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
        }
    }
}
