//! SQL texts cached by the shape of the query they render (tables, columns, operators,
//! not values): a query of a known shape only collects its parameters.

use crate::schema::link::Path;
use crate::sql::dialect::Dialect;
use crate::sql::document::{contains_params, contains_shape, part_param, path_text_params};
use crate::sql::expr::{ColumnRef, Expr, PathTest};
use crate::sql::storage::{json_array, json_in_list};
use crate::value::Value;

thread_local! {
    /// SQL texts by query shape (see `Select::render`).
    static SQL_CACHE: std::cell::RefCell<rustc_hash::FxHashMap<Vec<usize>, std::rc::Rc<str>>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}

/// The cached text of a query of this shape.
pub(crate) fn cached_sql(shape: &[usize]) -> Option<String> {
    SQL_CACHE.with(|c| c.borrow().get(shape).map(|s| s.to_string()))
}

/// Remembers the text of a query of this shape.
pub(crate) fn cache_sql(shape: Vec<usize>, sql: &str) {
    SQL_CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(shape, sql.into());
    });
}

/// The tokens an expression's text depends on: its structure and columns, not values
/// (except how many values an IN list has where each one is a placeholder).
pub(crate) fn expr_shape(e: &Expr, dialect: &dyn Dialect, out: &mut Vec<usize>) {
    let column = |out: &mut Vec<usize>, c: &ColumnRef| {
        out.extend([c.table.as_ptr() as usize, c.table.len(), c.name.as_ptr() as usize, c.name.len()]);
    };
    match e {
        Expr::Compare { column: c, op, .. } => {
            out.push(1 + *op as usize);
            column(out, c);
        }
        Expr::Like { column: c, case_insensitive, .. } => {
            out.push(10 + usize::from(*case_insensitive));
            column(out, c);
        }
        Expr::In { column: c, values, negated } => {
            out.push(20 + usize::from(*negated));
            out.push(match () {
                () if dialect.array_params() => usize::MAX,
                () if json_in_list(dialect, values) => usize::MAX - 1,
                () => values.len(),
            });
            column(out, c);
        }
        Expr::IsNull { column: c, negated } => {
            out.push(30 + usize::from(*negated));
            column(out, c);
        }
        Expr::And(es) | Expr::Or(es) => {
            out.push(if matches!(e, Expr::And(_)) { 40 } else { 41 });
            out.push(es.len());
            for inner in es {
                expr_shape(inner, dialect, out);
            }
        }
        Expr::Not(inner) => {
            out.push(50);
            expr_shape(inner, dialect, out);
        }
        // Not cached (`Expr::cacheable`): the shape only has to differ from the others'.
        Expr::Cmp { .. }
        | Expr::Distinct { .. }
        | Expr::NodeIsNull { .. }
        | Expr::InQuery { .. }
        | Expr::ExistsQuery { .. } => out.push(usize::MAX - 2),
        Expr::Overlaps { column: c, .. } => {
            out.push(100);
            column(out, c);
        }
        Expr::AnyElement { column: c, .. } => {
            out.push(101);
            column(out, c);
        }
        Expr::Contains { column: c, path, part } => {
            out.push(70 + usize::from(path.is_empty()));
            column(out, c);
            contains_shape(part, out);
        }
        Expr::PathText { column: c, test, .. } => {
            out.push(match test {
                PathTest::Compare(op, _) => 80 + *op as usize,
                PathTest::Number(op, _) => 110 + *op as usize,
                PathTest::IsNull(negated) => 90 + usize::from(*negated),
            });
            column(out, c);
        }
        Expr::Exists { related, negated } => {
            out.push(60 + usize::from(*negated));
            match &related.path {
                Ok(Path::Secondary(sec)) => out.extend([sec.assoc.name.as_ptr() as usize, sec.from_col, 1 << 20]),
                Ok(Path::ForeignKey { link, from_parent }) => out.extend([
                    link.child.name.as_ptr() as usize,
                    link.fk_column,
                    link.parent.name.as_ptr() as usize,
                    usize::from(*from_parent),
                ]),
                Err(_) => {}
            }
            match &related.filter {
                Some(f) => expr_shape(f, dialect, out),
                None => out.push(0),
            }
        }
    }
}

/// The parameters of an expression, in the order `SqlWriter::expr` binds them.
pub(crate) fn expr_params(e: &Expr, dialect: &'static dyn Dialect, out: &mut Vec<Value>) {
    match e {
        Expr::Compare { value, .. } => out.push(value.clone()),
        Expr::Like { pattern, .. } => out.push(pattern.clone()),
        Expr::In { values, .. } if dialect.array_params() => out.push(Value::Array(values.clone())),
        Expr::In { values, .. } if json_in_list(dialect, values) => {
            out.push(Value::Text(json_array(values)));
        }
        Expr::In { values, .. } => out.extend(values.iter().cloned()),
        Expr::IsNull { .. } => {}
        Expr::Cmp { left, right, .. } | Expr::Distinct { left, right, .. } => {
            left.params(dialect, out);
            right.params(dialect, out);
        }
        Expr::NodeIsNull { node, .. } => node.params(dialect, out),
        Expr::InQuery { left, query, .. } => {
            left.params(dialect, out);
            query.params(dialect, out);
        }
        Expr::ExistsQuery { query, .. } => query.params(dialect, out),
        Expr::Contains { path, part, .. } => contains_params(dialect, path, part, out),
        Expr::Overlaps { values, .. } => out.push(part_param(dialect, values)),
        Expr::AnyElement { value, .. } => out.push(value.clone()),
        Expr::PathText { path, test, .. } => path_text_params(dialect, path, test, out),
        Expr::And(es) | Expr::Or(es) => es.iter().for_each(|inner| expr_params(inner, dialect, out)),
        Expr::Not(inner) => expr_params(inner, dialect, out),
        Expr::Exists { related, .. } => {
            if let Some(f) = &related.filter {
                expr_params(f, dialect, out);
            }
        }
    }
}
