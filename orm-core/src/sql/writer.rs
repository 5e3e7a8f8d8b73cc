//! The SQL writer: statement text with its bound parameters, spelled by a [`Dialect`];
//! filter expressions and subqueries along relationships rendered into it.

use crate::schema::link::{Path, Secondary};
use crate::schema::table::TableDef;
use crate::schema::types::SqlType;
use crate::sql::dialect::Dialect;
use crate::sql::expr::{ColumnRef, Expr, OrderBy};
use crate::sql::operand::{CastTo, Node};
use crate::sql::relationship::Related;
use crate::sql::storage::{json_array, json_in_list};
use crate::value::Value;

/// A statement under construction: text plus the values its placeholders stand for.
pub(crate) struct SqlWriter {
    pub(crate) sql: String,
    pub(crate) params: Vec<Value>,
    pub(crate) dialect: &'static dyn Dialect,
    /// Tables renamed inside a subquery (a self-referential EXISTS): (table, alias).
    aliases: Vec<(&'static str, String)>,
    /// The names on the NULL side of an outer join in the SELECT being written: their
    /// columns can be NULL whatever their types say.
    pub(crate) outer_tables: Vec<&'static str>,
}

/// The SQL type of a bound value, for a cast.
fn value_type(v: &Value) -> Option<crate::schema::types::SqlType> {
    use crate::schema::types::SqlType;
    Some(match v {
        Value::Bool(_) => SqlType::Boolean,
        Value::I16(_) => SqlType::SmallInt,
        Value::I32(_) => SqlType::Integer,
        Value::I64(_) => SqlType::BigInt,
        Value::F32(_) => SqlType::Real,
        Value::F64(_) => SqlType::Double,
        Value::Text(_) => SqlType::Text,
        Value::Bytes(_) => SqlType::Bytes,
        _ => return None,
    })
}

impl SqlWriter {
    pub(crate) fn new(dialect: &'static dyn Dialect) -> SqlWriter {
        SqlWriter {
            sql: String::with_capacity(128),
            params: Vec::new(),
            dialect,
            aliases: Vec::new(),
            outer_tables: Vec::new(),
        }
    }

    /// Puts `s` before everything written so far (placeholders keep their numbers).
    pub(crate) fn prepend(&mut self, s: &str) -> &mut Self {
        self.sql.insert_str(0, s);
        self
    }

    /// A typed expression's node.
    pub(crate) fn node(&mut self, node: &Node) -> &mut Self {
        match node {
            Node::Column(c) => self.column(*c),
            Node::Value(v) => self.param(v.clone()),
            Node::Binary { left, op, right } => self.push("(").node(left).push(op).node(right).push(")"),
            Node::Function { name: "avg", args } if !self.dialect.exact_avg() && args.len() == 1 => {
                let double = self.dialect.cast_type(SqlType::Double);
                self.push("avg(CAST(").node(&args[0]).push(" AS ").push(&double).push("))")
            }
            Node::Function { name, args } => {
                self.push(name).push("(");
                for (i, a) in args.iter().enumerate() {
                    self.push(if i == 0 { "" } else { ", " }).typed_node(a);
                }
                self.push(")")
            }
            Node::Count { arg: None, .. } => self.push("count(*)"),
            Node::Count { arg: Some(arg), distinct } => {
                self.push(if *distinct { "count(DISTINCT " } else { "count(" }).node(arg).push(")")
            }
            Node::Cast { node, to } => {
                let name = match to {
                    CastTo::Type(ty) => self.dialect.cast_type(*ty),
                    CastTo::Text => self.dialect.text_cast().into(),
                };
                self.push("CAST(").node(node).push(" AS ").push(&name).push(")")
            }
            Node::Round { node, digits, to } => self.round(node, *digits, *to),
            Node::Condition(e) => self.push("(").expr(e).push(")"),
            Node::Subquery(sub) => {
                self.push("(");
                sub.write(self);
                self.push(")")
            }
            Node::Case { whens, otherwise } => {
                self.push("CASE");
                for (cond, value) in whens {
                    self.push(" WHEN ").expr(cond).push(" THEN ").typed_node(value);
                }
                if let Some(o) = otherwise {
                    self.push(" ELSE ").typed_node(o);
                }
                self.push(" END")
            }
            Node::Window { func, partition, order } => {
                self.node(func).push(" OVER (");
                for (i, p) in partition.iter().enumerate() {
                    self.push(if i == 0 { "PARTITION BY " } else { ", " }).node(p);
                }
                for (i, o) in order.iter().enumerate() {
                    self.push(match (i, partition.is_empty()) {
                        (0, true) => "ORDER BY ",
                        (0, false) => " ORDER BY ",
                        _ => ", ",
                    });
                    self.nulls_key(o).node(&o.node).order_direction(o);
                }
                self.push(")")
            }
            Node::Now => {
                let now = self.dialect.now_sql();
                self.push(now)
            }
        }
    }

    /// `round(x, digits)`, halves away from zero on every backend: PostgreSQL rounds
    /// only NUMERIC to digits, so a float goes through it and back.
    fn round(&mut self, node: &Node, digits: u8, to: SqlType) -> &mut Self {
        let through_numeric = self.dialect.round_needs_numeric() && matches!(to, SqlType::Real | SqlType::Double);
        if through_numeric {
            let decimal = self.dialect.cast_type(SqlType::Decimal);
            self.push("CAST(round(CAST(").node(node).push(" AS ").push(&decimal).push("), ");
        } else {
            self.push("round(").node(node).push(", ");
        }
        self.param(Value::I32(i32::from(digits))).push(")");
        if through_numeric {
            let name = self.dialect.cast_type(to);
            self.push(" AS ").push(&name).push(")");
        }
        self
    }

    /// A node where PostgreSQL cannot infer a bare parameter's type (a function's
    /// argument, a CASE branch): the parameter is cast to its value's type.
    fn typed_node(&mut self, node: &Node) -> &mut Self {
        let to = match node {
            Node::Value(v) if self.dialect.array_params() => value_type(v),
            _ => None,
        };
        match to {
            Some(to) => {
                let name = self.dialect.cast_type(to);
                self.push("CAST(").node(node).push(" AS ").push(&name).push(")")
            }
            None => self.node(node),
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    pub(crate) fn ident(&mut self, name: &str) -> &mut Self {
        self.dialect.write_ident(&mut self.sql, name);
        self
    }

    pub(crate) fn column(&mut self, c: ColumnRef) -> &mut Self {
        if c.table == "excluded" && self.dialect.name() == "mysql" {
            // The proposed row of an upsert (`ON DUPLICATE KEY UPDATE c = VALUES(c)`).
            return self.push("VALUES(").ident(c.name).push(")");
        }
        match self.aliases.iter().rev().find(|(t, _)| *t == c.table).map(|(_, a)| a.clone()) {
            Some(alias) => self.ident(&alias),
            None => self.ident(c.table),
        };
        self.push(".").ident(c.name)
    }

    pub(crate) fn param(&mut self, value: Value) -> &mut Self {
        self.params.push(value);
        self.dialect.write_placeholder(&mut self.sql, self.params.len());
        self
    }

    /// `t.a, t.b, t.c`: every column of a table, qualified by the name the query gives
    /// it (its own, or an alias).
    pub(crate) fn select_list(&mut self, table: &TableDef, name: &str) -> &mut Self {
        for (i, c) in table.columns.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.ident(name).push(".").ident(c.name);
        }
        self
    }

    /// `WHERE pk1 = $n AND pk2 = $m` for a key's values.
    pub(crate) fn where_key(&mut self, table: &TableDef, key: Vec<Value>) -> &mut Self {
        self.where_match(table, table.primary_key, key)
    }

    /// `WHERE t.a = $1 AND t.b = $2` over the given columns of `table`.
    pub(crate) fn where_match(&mut self, table: &TableDef, columns: &[usize], values: Vec<Value>) -> &mut Self {
        self.push(" WHERE ");
        for (i, (&c, v)) in columns.iter().zip(values).enumerate() {
            if i > 0 {
                self.push(" AND ");
            }
            self.ident(table.name).push(".").ident(table.columns[c].name).push(" = ").param(v);
        }
        self
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> &mut Self {
        match e {
            Expr::Compare { column, op, value } => {
                self.column(*column).push(op.sql()).param(value.clone());
            }
            Expr::Like { column, pattern, case_insensitive } => {
                if !case_insensitive {
                    self.column(*column).push(" LIKE ").param(pattern.clone());
                } else if self.dialect.has_ilike() {
                    self.column(*column).push(" ILIKE ").param(pattern.clone());
                } else {
                    self.push("lower(").column(*column).push(") LIKE lower(");
                    self.param(pattern.clone()).push(")");
                }
                let escape = self.dialect.like_escape();
                self.push(escape);
            }
            Expr::In { column, values, negated } => {
                if self.dialect.array_params() {
                    if *negated {
                        self.push("NOT (");
                    }
                    self.column(*column).push(" = ANY(").param(Value::Array(values.clone())).push(")");
                    if *negated {
                        self.push(")");
                    }
                } else if values.is_empty() {
                    self.push(if *negated { "1 = 1" } else { "1 = 0" });
                } else if json_in_list(self.dialect, values) {
                    let json = json_array(values);
                    self.column(*column).push(if *negated { " NOT IN" } else { " IN" });
                    self.push(" (SELECT value FROM json_each(").param(Value::Text(json)).push("))");
                } else {
                    self.column(*column).push(if *negated { " NOT IN (" } else { " IN (" });
                    for (i, v) in values.iter().enumerate() {
                        if i > 0 {
                            self.push(", ");
                        }
                        self.param(v.clone());
                    }
                    self.push(")");
                }
            }
            Expr::IsNull { column, negated } => {
                self.column(*column).push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Expr::And(es) | Expr::Or(es) if es.is_empty() => {
                self.push(if matches!(e, Expr::And(_)) { "1 = 1" } else { "1 = 0" });
            }
            Expr::And(es) | Expr::Or(es) => {
                let joiner = if matches!(e, Expr::And(_)) { " AND " } else { " OR " };
                for (i, inner) in es.iter().enumerate() {
                    if i > 0 {
                        self.push(joiner);
                    }
                    self.nested(inner);
                }
            }
            Expr::Not(inner) => {
                self.push("NOT ");
                self.nested_always(inner);
            }
            Expr::Exists { related, negated } => self.exists(related, *negated),
            Expr::Cmp { left, op, right } => {
                self.node(left).push(op.sql()).node(right);
            }
            Expr::Distinct { left, right, negated } => {
                let (before, op, after) = self.dialect.distinct_sql(*negated);
                self.push(before).node(left).push(op).node(right).push(after);
            }
            Expr::InQuery { left, query, negated } => {
                self.node(left).push(if *negated { " NOT IN (" } else { " IN (" });
                query.write(self);
                self.push(")");
            }
            Expr::ExistsQuery { query, negated } => {
                self.push(if *negated { "NOT EXISTS (" } else { "EXISTS (" });
                query.write(self);
                self.push(")");
            }
            Expr::NodeIsNull { node, negated } => {
                self.node(node).push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Expr::Contains { column, path, part } => self.contains(*column, path, part),
            Expr::Overlaps { column, values } => self.overlaps(*column, values),
            Expr::AnyElement { column, value } => self.any_element(*column, value),
            Expr::PathText { column, path, test } => self.path_text(*column, path, test),
        }
        self
    }

    /// `[NOT] EXISTS (SELECT 1 FROM inner WHERE inner.fk = outer.key AND (filter))`.
    fn exists(&mut self, related: &Related, negated: bool) {
        let (link, from_parent) = match &related.path {
            Ok(Path::Secondary(sec)) => return self.exists_paired(sec, related.filter.as_deref(), negated),
            Ok(Path::ForeignKey { link, from_parent }) => (link, *from_parent),
            Err(_) => {
                // `Expr::check` refuses these before rendering.
                self.push("1 = 0");
                return;
            }
        };
        let (outer, inner) = if from_parent { (link.parent, link.child) } else { (link.child, link.parent) };
        let (inner_column, outer_column) = if from_parent {
            (link.child.columns[link.fk_column].name, link.parent.columns[link.parent_column].name)
        } else {
            (link.parent.columns[link.parent_column].name, link.child.columns[link.fk_column].name)
        };
        let outer_name = self.current_name(outer.name);
        self.push(if negated { "NOT EXISTS (SELECT 1 FROM " } else { "EXISTS (SELECT 1 FROM " }).ident(inner.name);
        let self_referential = inner.name == outer.name || self.aliases.iter().any(|(t, _)| *t == inner.name);
        if self_referential {
            let alias = format!("{}_{}", inner.name, self.aliases.len() + 1);
            self.push(" AS ").ident(&alias);
            self.aliases.push((inner.name, alias));
        }
        let inner_name = self.current_name(inner.name);
        self.push(" WHERE ").ident(&inner_name).push(".").ident(inner_column);
        self.push(" = ").ident(&outer_name).push(".").ident(outer_column);
        if let Some(filter) = &related.filter {
            self.push(" AND (").expr(filter).push(")");
        }
        if self_referential {
            self.aliases.pop();
        }
        self.push(")");
    }

    /// `[NOT] EXISTS (SELECT 1 FROM assoc JOIN to ON .. WHERE assoc.from_col = from.key
    /// AND (filter))`; without a filter the association table alone answers.
    fn exists_paired(&mut self, sec: &Secondary, filter: Option<&Expr>, negated: bool) {
        let (assoc, to) = (sec.assoc, sec.to);
        let outer_name = self.current_name(sec.from.name);
        self.push(if negated { "NOT EXISTS (SELECT 1 FROM " } else { "EXISTS (SELECT 1 FROM " }).ident(assoc.name);
        if filter.is_some() {
            self.push(" JOIN ").ident(to.name).push(" ON ").ident(to.name).push(".").ident(to.columns[sec.to_key].name);
            self.push(" = ").ident(assoc.name).push(".").ident(assoc.columns[sec.to_col].name);
        }
        self.push(" WHERE ").ident(assoc.name).push(".").ident(assoc.columns[sec.from_col].name);
        self.push(" = ").ident(&outer_name).push(".").ident(sec.from.columns[sec.from_key].name);
        if let Some(filter) = filter {
            self.push(" AND (").expr(filter).push(")");
        }
        self.push(")");
    }

    /// The name a table goes by here (its alias inside a self-referential subquery).
    fn current_name(&self, table: &'static str) -> String {
        self.aliases.iter().rev().find(|(t, _)| *t == table).map_or_else(|| table.to_owned(), |(_, a)| a.clone())
    }

    /// An operand of AND/OR: parenthesised when it is itself a compound.
    fn nested(&mut self, e: &Expr) {
        match e {
            Expr::And(es) | Expr::Or(es) if es.len() > 1 => self.nested_always(e),
            _ => {
                self.expr(e);
            }
        }
    }

    fn nested_always(&mut self, e: &Expr) {
        self.push("(").expr(e).push(")");
    }

    /// ` ORDER BY t.a ASC, count(*) DESC`, in the order of the terms.
    pub(crate) fn order_by(&mut self, order: &[OrderBy]) -> &mut Self {
        for (i, o) in order.iter().enumerate() {
            self.push(if i == 0 { " ORDER BY " } else { ", " });
            self.nulls_key(o).node(&o.node).order_direction(o);
        }
        self
    }

    /// Whether the term must say where its NULLs go: it says so itself, or the backend
    /// would put them elsewhere than PostgreSQL does.
    fn places_nulls(&self, o: &OrderBy) -> bool {
        let backend_first = o.descending != self.dialect.nulls_sort_low();
        o.nulls_first.is_some()
            || (o.puts_nulls_first() != backend_first && o.node.may_be_null(&|t| self.outer_tables.contains(&t)))
    }

    /// Where a backend has no `NULLS FIRST` / `NULLS LAST`: a sort key before the term
    /// that puts its NULLs where asked (`t.a IS NULL DESC, `).
    pub(crate) fn nulls_key(&mut self, o: &OrderBy) -> &mut Self {
        if !self.dialect.nulls_placement() && self.places_nulls(o) {
            self.node(&o.node).push(if o.puts_nulls_first() { " IS NULL DESC, " } else { " IS NULL ASC, " });
        }
        self
    }

    /// ` ASC` / ` DESC`, and where NULLs go when the backend would put them elsewhere
    /// than asked (PostgreSQL's place unless the term says otherwise).
    pub(crate) fn order_direction(&mut self, o: &OrderBy) -> &mut Self {
        self.push(if o.descending { " DESC" } else { " ASC" });
        if self.dialect.nulls_placement() && self.places_nulls(o) {
            self.push(if o.puts_nulls_first() { " NULLS FIRST" } else { " NULLS LAST" });
        }
        self
    }

    pub(crate) fn finish(self) -> (String, Vec<Value>) {
        (self.sql, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::cache::{expr_params, expr_shape};
    use crate::sql::dialect::{POSTGRES, SQLITE};
    use crate::sql::expr::{CmpOp, ColumnRef};

    fn col(name: &'static str) -> ColumnRef {
        ColumnRef::not_null("t", name)
    }

    fn cmp(name: &'static str, v: i32) -> Expr {
        Expr::Compare { column: col(name), op: CmpOp::Eq, value: Value::I32(v) }
    }

    fn render(e: &Expr) -> (String, Vec<Value>) {
        let mut w = SqlWriter::new(&POSTGRES);
        w.expr(e);
        w.finish()
    }

    #[test]
    fn compounds_are_parenthesised() {
        let e = cmp("a", 1).or(cmp("b", 2)).and(cmp("c", 3).not());
        let (sql, params) = render(&e);
        assert_eq!(sql, "(t.a = $1 OR t.b = $2) AND NOT (t.c = $3)");
        assert_eq!(params, [Value::I32(1), Value::I32(2), Value::I32(3)]);
    }

    #[test]
    fn in_uses_one_array_parameter() {
        let e = Expr::In { column: col("a"), values: vec![Value::I32(1), Value::I32(2)], negated: true };
        let (sql, params) = render(&e);
        assert_eq!(sql, "NOT (t.a = ANY($1))");
        assert_eq!(params.len(), 1);
    }

    #[test]
    fn keywords_are_quoted() {
        let e = Expr::IsNull { column: ColumnRef::not_null("user", "order"), negated: false };
        assert_eq!(render(&e).0, r#""user"."order" IS NULL"#);
    }

    #[test]
    fn long_in_lists_are_one_json_parameter_on_sqlite() {
        let list = |n: i32| Expr::In { column: col("a"), values: (0..n).map(Value::I32).collect(), negated: false };
        let sqlite = |e: &Expr| {
            let mut w = SqlWriter::new(&SQLITE);
            w.expr(e);
            let (sql, params) = w.finish();
            let mut shape = Vec::new();
            expr_shape(e, &SQLITE, &mut shape);
            let mut bound = Vec::new();
            expr_params(e, &SQLITE, &mut bound);
            assert_eq!(bound, params, "cached texts bind what rendering binds");
            (sql, params, shape)
        };
        let (sql, params, short) = sqlite(&list(1000));
        assert!(sql.starts_with("t.a IN (?1, ?2") && sql.ends_with("?1000)"), "{sql}");
        assert_eq!(params.len(), 1000);
        let (sql, params, long) = sqlite(&list(1001));
        assert_eq!(sql, "t.a IN (SELECT value FROM json_each(?1))");
        assert_eq!(
            params,
            [Value::Text(format!("[{}]", (0..1001).map(|i| i.to_string()).collect::<Vec<_>>().join(",")))]
        );
        assert_ne!(short, long);
        let text = Expr::In { column: col("a"), values: vec![Value::from("a\"b\\\n"); 1001], negated: true };
        let (sql, params, _) = sqlite(&text);
        assert_eq!(sql, "t.a NOT IN (SELECT value FROM json_each(?1))");
        let Value::Text(json) = &params[0] else { panic!() };
        assert!(json.starts_with(r#"["a\"b\\\u000a","#), "{json}");
    }

    #[test]
    fn empty_compounds_are_constants() {
        assert_eq!(render(&Expr::And(vec![])).0, "1 = 1");
        assert_eq!(render(&Expr::Or(vec![])).0, "1 = 0");
    }
}
