//! Rules that span several fields: keys, constraints, duplicate columns.

use std::collections::HashMap;

use syn::DeriveInput;

use crate::attr::{Container, FieldList, closest};
use crate::ctxt::Ctxt;
use crate::model::{MAX_NAME_BYTES, Model, Role};

/// Turns the struct-level `primary_key(..)`, `unique(..)` and `index(..)` lists and the
/// field-level flags into column lists. `malformed`: some `#[orm(...)]` did not parse, so a
/// key it declared may be missing; the missing key is then not reported again.
pub fn resolve_keys(cx: &Ctxt, model: &mut Model<'_>, container: &Container, input: &DeriveInput, malformed: bool) {
    let field_level: Vec<usize> = model
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(&f.role, Role::Column(c) if c.primary_key))
        .map(|(i, _)| i)
        .collect();
    match &container.primary_key {
        Some(list) => {
            if let Some(&first) = field_level.first() {
                cx.error_spanned_by(
                    &list.keyword,
                    format!(
                        "the primary key is given twice: here and by #[orm(primary_key)] on \
                         `{}`; keep one of the two",
                        model.fields[first].ident
                    ),
                );
            }
            for option in list.name.iter().chain(&list.predicate) {
                cx.error_spanned_by(option, "a primary key takes only field names: remove this option");
            }
            let columns = columns_of(cx, model, list, "primary key");
            for &i in &columns {
                let ident = model.fields[i].ident;
                let ident = list.fields.iter().find(|f| *f == ident).unwrap_or(ident);
                if let Role::Column(c) = &mut model.fields[i].role {
                    c.primary_key = true;
                    if c.nullable_syntax {
                        cx.error_spanned_by(
                            ident,
                            format!(
                                "the primary key field `{ident}` cannot be an Option: primary \
                                 keys are never NULL; remove the Option"
                            ),
                        );
                    }
                }
            }
            model.primary_key = columns;
        }
        None => model.primary_key = field_level,
    }
    // An empty or unresolved `primary_key(..)` list and unparsed attributes are reported
    // where they are.
    if model.primary_key.is_empty() && container.primary_key.is_none() && !malformed {
        cx.error_spanned_by(
            &input.ident,
            format!(
                "model `{}` has no primary key; mark a field #[orm(primary_key)] \
                 or list several with #[orm(primary_key(a, b))] on the struct",
                input.ident
            ),
        );
    }
    if model.primary_key.len() > 1 {
        for &i in &model.primary_key.clone() {
            if let Role::Column(c) = &mut model.fields[i].role {
                c.autoincrement = false;
            }
        }
    }
    for list in &container.uniques {
        if let Some(predicate) = &list.predicate {
            cx.error_spanned_by(
                predicate,
                "a UNIQUE constraint cannot be partial (unique partial indexes are not supported \
                 yet): remove `where`",
            );
        }
        let columns = columns_of(cx, model, list, "unique constraint");
        let names = columns.iter().map(|&i| column_name(model, i)).collect();
        model.uniques.push((list.name.as_ref().map(syn::LitStr::value), names));
    }
    let mut indexes = Vec::new();
    for (_, c) in model.columns().filter(|(_, c)| c.indexed) {
        indexes.push((format!("ix_{}_{}", model.table, c.name), vec![c.name.clone()], None));
    }
    for list in &container.indexes {
        let columns = columns_of(cx, model, list, "index");
        let names: Vec<String> = columns.iter().map(|&i| column_name(model, i)).collect();
        let name =
            list.name.as_ref().map_or_else(|| format!("ix_{}_{}", model.table, names.join("_")), syn::LitStr::value);
        indexes.push((name, names, list.predicate.as_ref().map(syn::LitStr::value)));
    }
    for (name, _, _) in &indexes {
        if name.len() > MAX_NAME_BYTES {
            cx.error_spanned_by(
                &input.ident,
                format!("the index name `{name}` is longer than {MAX_NAME_BYTES} bytes; use a shorter table name"),
            );
        }
    }
    model.indexes = indexes;
    let mut checks: Vec<(String, String)> = model
        .columns()
        .filter_map(|(_, c)| {
            let (expr, name) = c.check.clone()?;
            Some((name.unwrap_or_else(|| format!("ck_{}_{}", model.table, c.name)), expr))
        })
        .collect();
    for (n, check) in container.checks.iter().enumerate() {
        let name =
            crate::model::check_constraint_name(cx, check).unwrap_or_else(|| format!("ck_{}_{}", model.table, n + 1));
        checks.push((name, crate::model::check_expr(cx, &check.expr)));
    }
    for (n, (name, _)) in checks.iter().enumerate() {
        if checks[..n].iter().any(|(other, _)| other == name) {
            cx.error_spanned_by(
                &input.ident,
                format!("two CHECK constraints are named `{name}`; give each its own name"),
            );
        }
        if name.len() > MAX_NAME_BYTES {
            cx.error_spanned_by(
                &input.ident,
                format!("the CHECK name `{name}` is longer than {MAX_NAME_BYTES} bytes; use a shorter table name"),
            );
        }
    }
    model.checks = checks;
}

fn column_name(model: &Model<'_>, field: usize) -> String {
    match &model.fields[field].role {
        Role::Column(c) => c.name.clone(),
        _ => String::new(),
    }
}

/// The field indexes named by a struct-level list; unknown names are errors.
fn columns_of(cx: &Ctxt, model: &Model<'_>, list: &FieldList, what: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if list.fields.is_empty() {
        let keyword = list.keyword.to_string();
        cx.error_spanned_by(
            &list.keyword,
            format!(
                "`{keyword}()` lists no fields; name the fields of the {what}, \
                 e.g. {keyword}(first_field, second_field)"
            ),
        );
    }
    for ident in &list.fields {
        match model.fields.iter().position(|f| f.ident == ident) {
            Some(i) if matches!(model.fields[i].role, Role::Column(_)) => {
                if out.contains(&i) {
                    cx.error_spanned_by(ident, format!("`{ident}` is listed twice in the {what}; remove one"));
                }
                out.push(i);
            }
            Some(_) => cx.error_spanned_by(
                ident,
                format!(
                    "`{ident}` is not a column (it is `skip` or a relationship), so it cannot \
                     be in the {what}"
                ),
            ),
            None => {
                let columns: Vec<String> = model.columns().map(|(f, _)| f.ident.to_string()).collect();
                let names: Vec<&str> = columns.iter().map(String::as_str).collect();
                let hint = match closest(&ident.to_string(), &names) {
                    Some(name) => format!("did you mean `{name}`?"),
                    None => format!("expected one of: {}", names.join(", ")),
                };
                cx.error_spanned_by(
                    ident,
                    format!("the {what} names `{ident}`, which is not a field of `{}`; {hint}", model.ident),
                );
            }
        }
    }
    out
}

/// Whole-model rules: column names are unique.
pub fn check(cx: &Ctxt, model: &Model<'_>) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for (field, column) in model.columns() {
        if let Some(first) = seen.insert(&column.name, field.ident) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` and `{first}` both map to the column `{}`; give one another #[orm(column = \"...\")]",
                    field.ident, column.name
                ),
            );
        }
    }
    type Is = fn(&crate::model::Column) -> bool;
    let managed: [(&str, Is); 3] = [
        ("version", |c| c.version),
        ("created_at", |c| c.stamp == Some(crate::model::Stamp::Created)),
        ("updated_at", |c| c.stamp == Some(crate::model::Stamp::Updated)),
    ];
    for (key, is) in managed {
        let mut fields = model.columns().filter(|(_, c)| is(c)).map(|(f, _)| f.ident);
        if let (Some(first), Some(second)) = (fields.next(), fields.next()) {
            cx.error_spanned_by(second, format!("`{first}` is already the model's `{key}` column; a model has one"));
        }
    }
}

/// A `belongs_to` names a foreign-key column of its own model.
pub fn check_belongs_to(cx: &Ctxt, model: &Model<'_>) {
    for (field, r) in model.relations() {
        if r.kind != crate::attr::RelationKind::BelongsTo || r.foreign_key.is_empty() {
            continue;
        }
        if !model.columns().any(|(_, c)| c.name == r.foreign_key) {
            let columns: Vec<&str> = model.columns().map(|(_, c)| c.name.as_str()).collect();
            cx.syn_error(syn::Error::new(
                r.foreign_key_span,
                format!(
                    "`{}` belongs_to names the foreign key `{}`, but this struct has no such column; \
                     expected one of: {}",
                    field.ident,
                    r.foreign_key,
                    columns.join(", ")
                ),
            ));
        }
    }
}

/// A `many_to_many` pairs two different models, each with a one-column primary key.
pub fn check_many_to_many(cx: &Ctxt, model: &Model<'_>) {
    for (field, r) in model.relations() {
        if r.kind != crate::attr::RelationKind::ManyToMany {
            continue;
        }
        let last = r.target.segments.last().map(|s| s.ident.to_string());
        if last.as_deref() == Some("Self") || last.as_deref() == Some(model.ident.to_string().as_str()) {
            cx.error_spanned_by(&r.target, "a many_to_many between a model and itself is not supported yet");
        }
        if model.primary_key.len() > 1 {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` is a many_to_many, which needs a one-column primary key on this struct; \
                     map the association as a model of its own with two has_many instead",
                    field.ident
                ),
            );
        }
    }
}
