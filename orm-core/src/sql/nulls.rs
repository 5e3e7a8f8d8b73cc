//! Which expressions can be NULL. Types say it where they can (`Option<T>`); this
//! analysis covers what types cannot see: a column on the NULL side of an outer join,
//! and a condition selected as a value. It places NULLs the same on every backend in
//! `ORDER BY`, and refuses, before the database, a selected value that can be NULL but
//! is read into a type that cannot hold one.

use crate::sql::expr::Expr;
use crate::sql::operand::Node;
use crate::sql::projection::ValueQuery;

impl Node {
    /// Whether the expression can be NULL, where `outer` tells the names on the NULL
    /// side of an outer join. Conservative: a function is NULL when an argument can be.
    pub(crate) fn may_be_null(&self, outer: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Node::Column(c) => c.nullable || outer(c.table),
            Node::Value(v) => v.is_null(),
            Node::Binary { left, right, .. } => left.may_be_null(outer) || right.may_be_null(outer),
            // COALESCE is NULL only when all of its arguments are.
            Node::Function { name: "coalesce", args } => args.iter().all(|a| a.may_be_null(outer)),
            // Aggregates are NULL over no rows (their types say so).
            Node::Function { name: "sum" | "avg" | "min" | "max", .. } => true,
            Node::Function { args, .. } => args.iter().any(|a| a.may_be_null(outer)),
            Node::Count { .. } | Node::Now => false,
            Node::Cast { node, .. } | Node::Round { node, .. } => node.may_be_null(outer),
            Node::Condition(e) => e.may_be_null(outer),
            // No row: NULL.
            Node::Subquery(_) => true,
            Node::Case { whens, otherwise } => match otherwise {
                None => true,
                Some(o) => o.may_be_null(outer) || whens.iter().any(|(_, then)| then.may_be_null(outer)),
            },
            Node::Window { func, .. } => func.may_be_null(outer),
        }
    }
}

impl Expr {
    /// Whether the condition can be NULL (unknown) instead of true or false.
    pub(crate) fn may_be_null(&self, outer: &dyn Fn(&str) -> bool) -> bool {
        let column = |c: &crate::sql::expr::ColumnRef| c.nullable || outer(c.table);
        match self {
            Expr::Compare { column: c, value, .. } => column(c) || value.is_null(),
            Expr::Like { column: c, .. } | Expr::Overlaps { column: c, .. } | Expr::Contains { column: c, .. } => {
                column(c)
            }
            Expr::In { column: c, values, negated } => column(c) || (*negated && values.iter().any(|v| v.is_null())),
            Expr::AnyElement { column: c, .. } => column(c),
            // A key that is missing reads as NULL.
            Expr::PathText { .. } => true,
            Expr::IsNull { .. }
            | Expr::NodeIsNull { .. }
            | Expr::Distinct { .. }
            | Expr::ExistsQuery { .. }
            | Expr::Exists { .. } => false,
            Expr::Cmp { left, right, .. } => left.may_be_null(outer) || right.may_be_null(outer),
            // NULL among the subquery's values makes a non-match unknown.
            Expr::InQuery { left, query, .. } => left.may_be_null(outer) || query.first_may_be_null(),
            Expr::And(es) | Expr::Or(es) => es.iter().any(|e| e.may_be_null(outer)),
            Expr::Not(e) => e.may_be_null(outer),
        }
    }
}

impl ValueQuery {
    /// Whether the query's first column can hold NULL (in any part of a compound).
    pub(crate) fn first_may_be_null(&self) -> bool {
        let own = self.select.outer_names();
        let first = |q: &ValueQuery| {
            q.nullable.first().is_none_or(|n| *n)
                || q.items.first().is_none_or(|i| i.may_be_null(&|t| own.contains(&t)))
        };
        first(self) || self.compounds.iter().any(|(_, part)| part.first_may_be_null())
    }
}
