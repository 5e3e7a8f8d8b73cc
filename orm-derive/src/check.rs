//! Rules that span several fields: keys, constraints, duplicate columns.

use std::collections::HashMap;

use syn::DeriveInput;

use crate::attr::{Container, FieldList};
use crate::ctxt::Ctxt;
use crate::model::{MAX_NAME_BYTES, Model, Role};

/// Turns the struct-level `primary_key(..)`, `unique(..)` and `index(..)` lists and the
/// field-level flags into column lists.
pub fn resolve_keys(cx: &Ctxt, model: &mut Model<'_>, container: &Container, input: &DeriveInput) {
    let field_level: Vec<usize> = model
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(&f.role, Role::Column(c) if c.primary_key))
        .map(|(i, _)| i)
        .collect();
    match &container.primary_key {
        Some(list) => {
            if !field_level.is_empty() {
                cx.error_spanned_by(
                    &list.keyword,
                    "the primary key is given twice: on the struct and on a field; keep one",
                );
            }
            let columns = columns_of(cx, model, list, "primary key");
            if columns.is_empty() {
                cx.error_spanned_by(&list.keyword, "the primary key needs at least one field");
            }
            for &i in &columns {
                if let Role::Column(c) = &mut model.fields[i].role {
                    c.primary_key = true;
                    if c.nullable_syntax {
                        cx.error_spanned_by(
                            model.fields[i].ident,
                            "a primary key field cannot be an Option: primary keys are never NULL",
                        );
                    }
                }
            }
            model.primary_key = columns;
        }
        None => model.primary_key = field_level,
    }
    if model.primary_key.is_empty() {
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
        let columns = columns_of(cx, model, list, "unique constraint");
        let names = columns.iter().map(|&i| column_name(model, i)).collect();
        model.uniques.push(names);
    }
    let mut indexes = Vec::new();
    for (_, c) in model.columns().filter(|(_, c)| c.indexed) {
        indexes.push((
            format!("ix_{}_{}", model.table, c.name),
            vec![c.name.clone()],
        ));
    }
    for list in &container.indexes {
        let columns = columns_of(cx, model, list, "index");
        let names: Vec<String> = columns.iter().map(|&i| column_name(model, i)).collect();
        indexes.push((format!("ix_{}_{}", model.table, names.join("_")), names));
    }
    for (name, _) in &indexes {
        if name.len() > MAX_NAME_BYTES {
            cx.error_spanned_by(
                &input.ident,
                format!("the index name `{name}` is longer than {MAX_NAME_BYTES} bytes; use a shorter table name"),
            );
        }
    }
    model.indexes = indexes;
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
    for ident in &list.fields {
        match model.fields.iter().position(|f| f.ident == ident) {
            Some(i) if matches!(model.fields[i].role, Role::Column(_)) => {
                if out.contains(&i) {
                    cx.error_spanned_by(ident, format!("`{ident}` is listed twice in the {what}"));
                }
                out.push(i);
            }
            Some(_) => cx.error_spanned_by(
                ident,
                format!("`{ident}` is not a column, so it cannot be in the {what}"),
            ),
            None => cx.error_spanned_by(
                ident,
                format!("the {what} names `{ident}`, which is not a field of this struct"),
            ),
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
}
