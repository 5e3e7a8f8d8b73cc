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
    if !path.is_empty() {
        out.push(path_param(dialect, path));
    }
    out.push(part_param(dialect, part));
}

/// The parameters of a path test, in the order it binds them.
pub(crate) fn path_text_params(dialect: &dyn Dialect, path: &[String], test: &PathTest, out: &mut Vec<Value>) {
    let path = path_param(dialect, path);
    if !dialect.array_params() && !matches!(test, PathTest::Number(..)) {
        // SQLite reads the path twice: its JSON type, then its value.
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
