//! The validated model: what the struct and its attributes mean. Code generation reads
//! only this, never `syn::Attribute`.

use quote::ToTokens;
use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::attr;
use crate::ctxt::Ctxt;

/// PostgreSQL's limit on identifier length (NAMEDATALEN - 1).
pub const MAX_NAME_BYTES: usize = 63;

/// A struct deriving `Model`.
pub struct Model<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub table: String,
    pub fields: Vec<Field<'a>>,
    /// Indexes into `fields` of the primary key, in key order.
    pub primary_key: Vec<usize>,
    /// Multi-column UNIQUE constraints: (name if given, column names).
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    /// Indexes: (name, column names, partial index predicate).
    pub indexes: Vec<(String, Vec<String>, Option<String>)>,
    /// CHECK constraints: (name, SQL expression).
    pub checks: Vec<(String, String)>,
    /// The model implements `Hooks` (`#[orm(hooks)]`).
    pub hooks: bool,
    /// The table's previous name (`#[orm(renamed_from = "..")]`).
    pub renamed_from: Option<String>,
}

/// One named field of the struct.
pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub role: Role,
}

/// What a field is to the table.
pub enum Role {
    Column(Box<Column>),
    Relation(Relation),
    Skip,
}

/// A field stored in a column.
pub struct Column {
    pub name: String,
    /// Position among the table's columns.
    pub index: usize,
    pub primary_key: bool,
    pub autoincrement: bool,
    pub unique: bool,
    pub indexed: bool,
    pub length: Option<u32>,
    /// The column's type as SQL names it (`#[orm(sql_type = "..")]`, `#[orm(text)]`).
    pub sql_type: Option<String>,
    pub default: Option<syn::Expr>,
    pub server_default: Option<String>,
    /// The column's previous name (`#[orm(renamed_from = "..")]`).
    pub renamed_from: Option<String>,
    /// A CHECK constraint on the column: its SQL expression, and its name when given.
    pub check: Option<(String, Option<String>)>,
    pub foreign_key: Option<ForeignKey>,
    pub nullable_syntax: bool,
    /// The optimistic-locking counter (`#[orm(version)]`).
    pub version: bool,
    /// A timestamp the session sets on insert (and, for `Updated`, on every update).
    pub stamp: Option<Stamp>,
}

/// Which timestamp a column is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Created,
    Updated,
}

pub struct ForeignKey {
    /// The constraint's name, when given (else the database names it).
    pub name: Option<String>,
    pub table: String,
    pub column: String,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// A relationship field.
pub struct Relation {
    pub kind: attr::RelationKind,
    pub target: syn::Path,
    pub foreign_key: String,
    /// Where errors about the foreign key point.
    pub foreign_key_span: proc_macro2::Span,
    /// The association table of a `many_to_many`.
    pub secondary: Option<String>,
    pub backref: Option<String>,
    pub back_populates: Option<String>,
    pub save_update: bool,
    pub delete: bool,
    pub delete_orphan: bool,
    pub passive_deletes: bool,
    pub loading: Loading,
}

#[derive(Clone, Copy)]
pub enum Loading {
    Lazy,
    SelectIn,
    Joined,
    Raise,
}

impl<'a> Model<'a> {
    /// Builds the model from the derive input, reporting every problem to `cx`.
    /// Returns `None` when the input is not a struct with named fields.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Model<'a>> {
        let named = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(fields) => {
                    cx.error_spanned_by(
                        fields,
                        "#[derive(Model)] needs named fields, one per column; \
                         write `struct Name { field: Type, .. }`",
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Model)] needs named fields, one per column; \
                         write `struct Name { field: Type, .. }`",
                    );
                    return None;
                }
            },
            Data::Enum(e) => {
                cx.error_spanned_by(
                    e.enum_token,
                    "#[derive(Model)] works on structs only: a model is a struct whose named \
                     fields are the table's columns",
                );
                return None;
            }
            Data::Union(u) => {
                cx.error_spanned_by(
                    u.union_token,
                    "#[derive(Model)] works on structs only: a model is a struct whose named \
                     fields are the table's columns",
                );
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "a model cannot be generic: its table and columns are fixed at compile time",
            );
        }
        let container = attr::Container::from_ast(cx, input);
        let table = match &container.table {
            Some(lit) => {
                let name = lit.value();
                let default = snake_case(&input.ident.to_string());
                check_name(cx, lit, "table", &name, &format!("remove `table` to use the default `{default}`"));
                name
            }
            None => snake_case(&input.ident.to_string()),
        };
        if container.table.is_none() && table.len() > MAX_NAME_BYTES {
            cx.error_spanned_by(
                &input.ident,
                format!(
                    "the table name `{table}` is {} bytes long, but PostgreSQL allows at most \
                     {MAX_NAME_BYTES}; give a shorter one with #[orm(table = \"...\")]",
                    table.len()
                ),
            );
        }

        let mut fields = Vec::new();
        let mut column_count = 0;
        let mut malformed = container.malformed;
        for original in &named.named {
            let ident = original.ident.as_ref().expect("named field");
            let attrs = attr::Field::from_ast(cx, original);
            malformed |= attrs.malformed;
            let role = field_role(cx, original, ident, attrs, &mut column_count);
            fields.push(Field { ident, ty: &original.ty, role });
        }

        let mut model = Model {
            ident: &input.ident,
            vis: &input.vis,
            table,
            fields,
            primary_key: Vec::new(),
            uniques: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            hooks: container.hooks,
            renamed_from: container.renamed_from.as_ref().map(syn::LitStr::value),
        };
        crate::check::resolve_keys(cx, &mut model, &container, input, malformed);
        crate::check::check(cx, &model);
        crate::check::check_belongs_to(cx, &model);
        crate::check::check_many_to_many(cx, &model);
        Some(model)
    }

    /// The column fields, in column order.
    pub fn columns(&self) -> impl Iterator<Item = (&Field<'a>, &Column)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Role::Column(c) => Some((f, &**c)),
            _ => None,
        })
    }

    /// The name of the (first) primary-key column ("" when there is none).
    pub fn key_column(&self) -> String {
        self.primary_key
            .first()
            .and_then(|&i| match &self.fields[i].role {
                Role::Column(c) => Some(c.name.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The relationship fields.
    pub fn relations(&self) -> impl Iterator<Item = (&Field<'a>, &Relation)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Role::Relation(r) => Some((f, r)),
            _ => None,
        })
    }
}

fn field_role(cx: &Ctxt, original: &syn::Field, ident: &Ident, attrs: attr::Field, column_count: &mut usize) -> Role {
    let column_only: [(&str, Option<proc_macro2::TokenStream>); 16] = [
        ("version", attrs.version.clone()),
        ("created_at", attrs.created_at.clone()),
        ("updated_at", attrs.updated_at.clone()),
        ("primary_key", attrs.primary_key.as_ref().map(ToTokens::to_token_stream)),
        ("autoincrement", attrs.autoincrement.as_ref().map(ToTokens::to_token_stream)),
        ("column", attrs.column.as_ref().map(ToTokens::to_token_stream)),
        ("unique", attrs.unique.as_ref().map(ToTokens::to_token_stream)),
        ("index", attrs.index.as_ref().map(ToTokens::to_token_stream)),
        ("length", attrs.length.as_ref().map(ToTokens::to_token_stream)),
        ("sql_type", attrs.sql_type.as_ref().map(ToTokens::to_token_stream)),
        ("text", attrs.text.clone()),
        ("default", attrs.default.as_ref().map(ToTokens::to_token_stream)),
        ("server_default", attrs.server_default.as_ref().map(ToTokens::to_token_stream)),
        ("foreign_key", attrs.foreign_key.as_ref().map(|fk| fk.target.to_token_stream())),
        ("on_delete", attrs.on_delete.as_ref().map(ToTokens::to_token_stream)),
        ("on_update", attrs.on_update.as_ref().map(ToTokens::to_token_stream)),
    ];
    if let Some(skip) = &attrs.skip {
        for (name, tokens) in &column_only {
            if let Some(tokens) = tokens {
                cx.error_spanned_by(
                    tokens,
                    format!(
                        "`{name}` has no effect on a field marked `skip`, which is not a column; \
                         remove one of the two"
                    ),
                );
            }
        }
        if attrs.relation.is_some() {
            cx.error_spanned_by(skip, "a relationship field cannot also be `skip`; remove one of the two");
        }
        return Role::Skip;
    }
    if let Some(relation) = attrs.relation {
        for (name, tokens) in &column_only {
            if let Some(tokens) = tokens {
                cx.error_spanned_by(
                    tokens,
                    format!(
                        "`{name}` applies to columns, and a relationship field is not a column; \
                         put it on the foreign key field instead"
                    ),
                );
            }
        }
        return Role::Relation(relation_ir(cx, ident, relation));
    }

    let name = match &attrs.column {
        Some(lit) => {
            let name = lit.value();
            check_name(cx, lit, "column", &name, &format!("remove `column` to use the field's name `{ident}`"));
            name
        }
        None => {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            if name.len() > MAX_NAME_BYTES {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "the column name `{name}` is {} bytes long, but PostgreSQL allows at \
                         most {MAX_NAME_BYTES}; give a shorter one with #[orm(column = \"...\")]",
                        name.len()
                    ),
                );
            }
            name
        }
    };
    let option_inner = option_inner(&original.ty);
    let nullable_syntax = option_inner.is_some();
    let base = option_inner.unwrap_or(&original.ty);

    if let (Some(pk), true) = (&attrs.primary_key, nullable_syntax) {
        cx.error_spanned_by(
            pk,
            format!(
                "the primary key `{ident}` cannot be an Option: primary keys are never NULL; \
                 remove the Option"
            ),
        );
    }
    let length = attrs.length.as_ref().and_then(|lit| {
        if !is_path_named(base, "String") {
            cx.error_spanned_by(
                lit,
                format!(
                    "`length` applies only to String fields, which it makes VARCHAR(n); \
                     remove it from `{ident}`"
                ),
            );
            return None;
        }
        match lit.base10_parse::<u32>() {
            Ok(0) | Err(_) => {
                cx.error_spanned_by(lit, "`length` must be a positive integer, e.g. length = 100");
                None
            }
            Ok(n) => Some(n),
        }
    });
    let autoincrement = match &attrs.autoincrement {
        Some(lit) => {
            if attrs.primary_key.is_none() {
                cx.error_spanned_by(
                    lit,
                    "`autoincrement` applies only to the primary key; remove it, \
                     or mark the field #[orm(primary_key)]",
                );
            }
            lit.value
        }
        None => attrs.primary_key.is_some() && ["i16", "i32", "i64"].iter().any(|t| is_path_named(base, t)),
    };
    if let (Some(server), false) = (&attrs.server_default, nullable_syntax) {
        cx.error_spanned_by(
            server,
            format!(
                "a column with a server default needs an Option field: `{ident}: Option<..>`. \
                 `None` leaves the value to the database (read back after the insert), \
                 `Some(value)` is sent as set; without the Option a value set on a new \
                 object could not be told from one never set"
            ),
        );
    }
    if let (Some(default), Some(server)) = (&attrs.default, &attrs.server_default) {
        cx.error_spanned_by(
            default,
            "give either `default` (set by new()) or `server_default` (set by the database), not both",
        );
        let _ = server;
    }
    check_managed(cx, &attrs, ident, nullable_syntax);
    let stamp = match (&attrs.created_at, &attrs.updated_at) {
        (Some(_), Some(updated)) => {
            cx.error_spanned_by(
                updated,
                "a column is either `created_at` (set on insert) or `updated_at` (set on insert \
                 and every update); use two fields for both",
            );
            None
        }
        (Some(_), None) => Some(Stamp::Created),
        (None, Some(_)) => Some(Stamp::Updated),
        (None, None) => None,
    };
    let sql_type = declared_type(cx, &attrs, ident, base, autoincrement);
    let foreign_key = attrs.foreign_key.as_ref().and_then(|fk| foreign_key_ir(cx, fk, &attrs, ident, nullable_syntax));
    if attrs.foreign_key.is_none() {
        for (key, lit) in [("on_delete", &attrs.on_delete), ("on_update", &attrs.on_update)] {
            if let Some(lit) = lit {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "`{key}` applies to a foreign key; add `foreign_key = \"table.column\"` \
                         to this field, or remove `{key}`"
                    ),
                );
            }
        }
    }
    if let Some(lit) = &attrs.renamed_from
        && lit.value() == name
    {
        cx.error_spanned_by(
            lit,
            format!(
                "`renamed_from` names the column's previous name, and `{name}` is its name now: give the old \
                 name, or remove the attribute once every database is migrated"
            ),
        );
    }
    let index = *column_count;
    *column_count += 1;
    Role::Column(Box::new(Column {
        name,
        index,
        primary_key: attrs.primary_key.is_some(),
        autoincrement,
        unique: attrs.unique.is_some(),
        indexed: attrs.index.is_some(),
        length,
        sql_type,
        default: attrs.default,
        server_default: attrs.server_default.map(|l| l.value()),
        renamed_from: attrs.renamed_from.map(|l| l.value()),
        check: attrs.check.as_ref().map(|c| (check_expr(cx, &c.expr), check_constraint_name(cx, c))),
        foreign_key,
        nullable_syntax,
        version: attrs.version.is_some(),
        stamp,
    }))
}

/// `version`, `created_at` and `updated_at` are set by the session: not on a key, not
/// with a default of another kind, and a version is never NULL.
fn check_managed(cx: &Ctxt, attrs: &attr::Field, ident: &Ident, nullable: bool) {
    for (key, tokens) in
        [("version", &attrs.version), ("created_at", &attrs.created_at), ("updated_at", &attrs.updated_at)]
    {
        let Some(tokens) = tokens else { continue };
        if attrs.primary_key.is_some() {
            cx.error_spanned_by(
                tokens,
                format!("the primary key cannot be the `{key}` column; use a field of its own"),
            );
        }
        if attrs.default.is_some() || attrs.server_default.is_some() {
            cx.error_spanned_by(
                tokens,
                format!("the session sets the `{key}` column itself; remove `default`/`server_default` from `{ident}`"),
            );
        }
        if key == "version" && nullable {
            cx.error_spanned_by(
                tokens,
                format!("the version counter `{ident}` is never NULL: make it i32 or i64, not an Option"),
            );
        }
    }
}

fn foreign_key_ir(
    cx: &Ctxt,
    fk: &attr::ForeignKeyAttr,
    attrs: &attr::Field,
    ident: &Ident,
    nullable: bool,
) -> Option<ForeignKey> {
    let lit = &fk.target;
    let text = lit.value();
    let parts = text.rsplit_once('.').filter(|(t, c)| {
        !t.is_empty() && !c.is_empty() && !t.contains(char::is_whitespace) && !c.contains(char::is_whitespace)
    });
    let Some((table, column)) = parts else {
        cx.error_spanned_by(
            lit,
            format!("malformed foreign_key `{text}`: expected \"table.column\", e.g. foreign_key = \"programs.id\""),
        );
        return None;
    };
    for (what, name) in [("table", table), ("column", column)] {
        if name.len() > MAX_NAME_BYTES {
            cx.error_spanned_by(
                lit,
                format!(
                    "the {what} name `{name}` is {} bytes long, but PostgreSQL allows at most \
                     {MAX_NAME_BYTES}; the foreign key cannot refer to it",
                    name.len()
                ),
            );
        }
    }
    let action = |lit: &Option<syn::LitStr>| -> FkAction {
        let Some(lit) = lit else {
            return FkAction::NoAction;
        };
        let action = match lit.value().to_ascii_lowercase().as_str() {
            "cascade" => FkAction::Cascade,
            "set null" => FkAction::SetNull,
            "set default" => FkAction::SetDefault,
            "restrict" => FkAction::Restrict,
            "no action" => FkAction::NoAction,
            other => {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "unknown referential action `{other}`; expected one of: \
                         cascade, set null, set default, restrict, no action"
                    ),
                );
                FkAction::NoAction
            }
        };
        if action == FkAction::SetNull && !nullable {
            cx.error_spanned_by(
                lit,
                format!(
                    "`set null` needs a NULL-able column: make `{ident}` an Option, \
                     or choose another action"
                ),
            );
        }
        action
    };
    // An action given both inside foreign_key(..) and beside it.
    let once = |key: &str, inner: &Option<syn::LitStr>, outer: &Option<syn::LitStr>| {
        if let (Some(_), Some(outer)) = (inner, outer) {
            cx.error_spanned_by(
                outer,
                format!("`{key}` is given twice: inside foreign_key(..) and beside it; keep one"),
            );
        }
        inner.clone().or_else(|| outer.clone())
    };
    let on_delete = once("on_delete", &fk.on_delete, &attrs.on_delete);
    let on_update = once("on_update", &fk.on_update, &attrs.on_update);
    let name = fk.name.as_ref().map(|lit| {
        let name = lit.value();
        check_name(cx, lit, "foreign key constraint", &name, "remove `name` to let the database name it");
        name
    });
    Some(ForeignKey {
        name,
        table: table.to_owned(),
        column: column.to_owned(),
        on_delete: action(&on_delete),
        on_update: action(&on_update),
    })
}

fn relation_ir(cx: &Ctxt, ident: &Ident, r: attr::Relation) -> Relation {
    let target = r.target.unwrap_or_else(|| {
        cx.error_spanned_by(
            &r.keyword,
            "name the related model first, e.g. has_many(Course, foreign_key = \"program_id\")",
        );
        syn::parse_quote!(Self)
    });
    let many_to_many = r.kind == attr::RelationKind::ManyToMany;
    let foreign_key = match &r.foreign_key {
        Some(lit) if many_to_many => {
            cx.error_spanned_by(
                lit,
                "a many_to_many links rows through its `secondary` table, whose foreign keys the \
                 derive generates; remove `foreign_key`",
            );
            String::new()
        }
        None if many_to_many => String::new(),
        Some(lit) => {
            let name = lit.value();
            check_name(cx, lit, "foreign key column", &name, "name the column that links the rows");
            name
        }
        None => {
            cx.error_spanned_by(
                &r.keyword,
                format!(
                    "the relationship `{ident}` needs `foreign_key = \"column\"`, the column \
                     that links the rows, e.g. has_many(Course, foreign_key = \"program_id\")"
                ),
            );
            String::new()
        }
    };
    if let (Some(b), Some(_)) = (&r.backref, &r.back_populates) {
        cx.error_spanned_by(
            b,
            "give either `backref` (creates the other side) or `back_populates` (names it), not both",
        );
    }
    for lit in [&r.backref, &r.back_populates].into_iter().flatten() {
        if syn::parse_str::<Ident>(&lit.value()).is_err() {
            cx.error_spanned_by(lit, "expected the name of a method, e.g. backref = \"program\"");
        }
    }
    let (mut save_update, mut delete, mut delete_orphan) = (true, false, false);
    if let Some(lit) = &r.cascade {
        save_update = false;
        for word in lit.value().split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "all" => {
                    save_update = true;
                    delete = true;
                }
                "save-update" => save_update = true,
                "delete" => delete = true,
                "delete-orphan" => delete_orphan = true,
                "merge" | "refresh-expire" | "expunge" => {}
                other => cx.error_spanned_by(
                    lit,
                    format!("unknown cascade `{other}`; expected: all, save-update, delete, delete-orphan"),
                ),
            }
        }
    }
    let loading = match r.lazy.as_ref().map(|l| (l, l.value())) {
        None => Loading::Lazy,
        Some((_, v)) if v == "select" || v == "lazy" => Loading::Lazy,
        Some((_, v)) if v == "selectin" => Loading::SelectIn,
        Some((_, v)) if v == "joined" => Loading::Joined,
        Some((_, v)) if v == "raise" => Loading::Raise,
        Some((lit, v)) => {
            cx.error_spanned_by(
                lit,
                format!("unknown loading strategy `{v}`; expected: select, selectin, joined, raise"),
            );
            Loading::Lazy
        }
    };
    if let (attr::RelationKind::BelongsTo, Some(b)) = (r.kind, &r.backref) {
        cx.error_spanned_by(
            b,
            "`backref` on belongs_to is not supported; declare has_many on the parent model \
             with back_populates instead",
        );
    }
    let foreign_key_span =
        r.foreign_key.as_ref().map_or_else(|| syn::spanned::Spanned::span(&r.keyword), syn::LitStr::span);
    if r.kind == attr::RelationKind::BelongsTo && (r.passive_deletes.is_some() || r.cascade.is_some()) {
        cx.error_spanned_by(&r.keyword, "`cascade` and `passive_deletes` belong on the has_many side");
    }
    let secondary = match (&r.secondary, many_to_many) {
        (Some(lit), true) => {
            let name = lit.value();
            check_name(cx, lit, "association table", &name, "name the table that holds the pairs");
            Some(name)
        }
        (None, true) => {
            cx.error_spanned_by(
                &r.keyword,
                format!(
                    "the many_to_many `{ident}` needs `secondary = \"table\"`, the association table \
                     that holds the pairs, e.g. many_to_many(Tag, secondary = \"post_tags\")"
                ),
            );
            None
        }
        (Some(lit), false) => {
            cx.error_spanned_by(lit, "`secondary` names the association table of a many_to_many only");
            None
        }
        (None, false) => None,
    };
    if many_to_many {
        if let Some(flag) = &r.passive_deletes {
            cx.error_spanned_by(
                flag,
                "the association rows of a many_to_many always go with either side (ON DELETE CASCADE); \
                 remove `passive_deletes`",
            );
        }
        if delete || delete_orphan {
            cx.error_spanned_by(
                r.cascade.as_ref().map(ToTokens::to_token_stream).unwrap_or_default(),
                "a many_to_many cascades `save-update` only: removing a pair deletes the association \
                 row, never the related object",
            );
        }
    }
    Relation {
        kind: r.kind,
        target,
        foreign_key,
        foreign_key_span,
        secondary,
        backref: r.backref.map(|l| l.value()),
        back_populates: r.back_populates.map(|l| l.value()),
        save_update,
        delete,
        delete_orphan,
        passive_deletes: r.passive_deletes.is_some(),
        loading,
    }
}

/// Reports an empty or over-long SQL name; `if_empty` says what to do about an empty one.
pub fn check_name(cx: &Ctxt, lit: &syn::LitStr, what: &str, name: &str, if_empty: &str) {
    if name.is_empty() {
        cx.error_spanned_by(lit, format!("the {what} name cannot be empty; {if_empty}"));
    } else if name.len() > MAX_NAME_BYTES {
        cx.error_spanned_by(
            lit,
            format!(
                "the {what} name `{name}` is {} bytes long, but PostgreSQL allows at most \
                 {MAX_NAME_BYTES}; use a shorter name",
                name.len()
            ),
        );
    }
}

/// `Option<T>` -> `T`, by syntax.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

fn is_path_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == name))
}

/// `CourseEnrollment` -> `course_enrollment`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The name a `check(.., name = "..")` gives its constraint, checked.
pub fn check_constraint_name(cx: &Ctxt, check: &attr::CheckAttr) -> Option<String> {
    check.name.as_ref().map(|lit| {
        let name = lit.value();
        check_name(cx, lit, "CHECK constraint", &name, "remove `name` to use the default `ck_<table>_..`");
        name
    })
}

/// What SQL types can hold a Rust type, or a SQL type holds: checked where both are known.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Text,
    Integer,
    Float,
    Bool,
    Bytes,
    Decimal,
    Date,
    Time,
    Timestamp,
    Uuid,
    Json,
}

impl Family {
    /// A Rust type's family, by the syntax of its last path segment.
    fn of_rust(ty: &Type) -> Option<Family> {
        let Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        Some(match last.ident.to_string().as_str() {
            "String" => Family::Text,
            "i16" | "i32" | "i64" => Family::Integer,
            "f32" | "f64" => Family::Float,
            "bool" => Family::Bool,
            "Vec" if is_vec_of_u8(last) => Family::Bytes,
            "Decimal" => Family::Decimal,
            "NaiveDate" => Family::Date,
            "NaiveTime" => Family::Time,
            "NaiveDateTime" | "DateTime" => Family::Timestamp,
            "Uuid" => Family::Uuid,
            "Json" | "Value" => Family::Json,
            _ => return None,
        })
    }

    /// A SQL type's family, by its first word (`VARCHAR(80)`, `double precision`).
    fn of_sql(text: &str) -> Option<Family> {
        let upper = text.trim().to_ascii_uppercase();
        let word: String = upper.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        Some(match word.as_str() {
            "TEXT" | "VARCHAR" | "CHARACTER" | "CHAR" | "CITEXT" | "CLOB" | "NVARCHAR" | "NCHAR" => Family::Text,
            "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "INT2" | "INT4" | "INT8" => Family::Integer,
            "REAL" | "FLOAT" | "FLOAT4" | "FLOAT8" | "DOUBLE" => Family::Float,
            "BOOLEAN" | "BOOL" => Family::Bool,
            "BYTEA" | "BLOB" => Family::Bytes,
            "NUMERIC" | "DECIMAL" => Family::Decimal,
            "DATE" => Family::Date,
            "TIME" | "TIMETZ" => Family::Time,
            "TIMESTAMP" | "TIMESTAMPTZ" | "DATETIME" => Family::Timestamp,
            "UUID" => Family::Uuid,
            "JSON" | "JSONB" => Family::Json,
            _ => return None,
        })
    }

    fn example(self) -> &'static str {
        match self {
            Family::Text => "TEXT, VARCHAR(80)",
            Family::Integer => "INTEGER, BIGINT",
            Family::Float => "REAL, DOUBLE PRECISION",
            Family::Bool => "BOOLEAN",
            Family::Bytes => "BYTEA (BLOB on SQLite)",
            Family::Decimal => "NUMERIC(12, 2)",
            Family::Date => "DATE",
            Family::Time => "TIME",
            Family::Timestamp => "TIMESTAMP, TIMESTAMP WITH TIME ZONE",
            Family::Uuid => "UUID",
            Family::Json => "JSONB",
        }
    }
}

fn is_vec_of_u8(segment: &syn::PathSegment) -> bool {
    matches!(&segment.arguments, syn::PathArguments::AngleBracketed(args)
        if matches!(args.args.first(), Some(syn::GenericArgument::Type(t)) if is_path_named(t, "u8")))
}

/// The column's declared SQL type (`sql_type = ".."`, or `text`), checked against the
/// field's Rust type where both are known, and against `length` and autoincrement keys.
fn declared_type(cx: &Ctxt, attrs: &attr::Field, ident: &Ident, base: &Type, autoincrement: bool) -> Option<String> {
    let (tokens, declared) = match (&attrs.sql_type, &attrs.text) {
        (Some(lit), Some(text)) => {
            cx.error_spanned_by(text, "`text` is `sql_type = \"TEXT\"`; give one of the two");
            (lit.to_token_stream(), lit.value())
        }
        (Some(lit), None) => (lit.to_token_stream(), lit.value()),
        (None, Some(text)) => (text.clone(), "TEXT".to_owned()),
        (None, None) => return None,
    };
    if declared.trim().is_empty() {
        cx.error_spanned_by(&tokens, "`sql_type` cannot be empty; give the column's type, e.g. sql_type = \"TEXT\"");
        return None;
    }
    if attrs.length.is_some() {
        cx.error_spanned_by(
            &tokens,
            "give the length in the type (sql_type = \"VARCHAR(80)\") or with `length` alone, not both",
        );
    }
    if autoincrement {
        cx.error_spanned_by(
            &tokens,
            format!(
                "`{ident}` is numbered by the database (SERIAL; INTEGER PRIMARY KEY on SQLite), whose type it \
                 chooses; remove the type, or add `autoincrement = false`"
            ),
        );
    }
    if let (Some(rust), Some(sql)) = (Family::of_rust(base), Family::of_sql(&declared))
        && rust != sql
    {
        cx.error_spanned_by(
            &tokens,
            format!(
                "`{declared}` cannot hold the values of `{ident}` ({}): give a type that can ({})",
                base.to_token_stream().to_string().replace(' ', ""),
                rust.example()
            ),
        );
    }
    Some(declared)
}

/// The SQL of a `check = "..."` attribute; an empty one is an error at the attribute.
pub fn check_expr(cx: &Ctxt, lit: &syn::LitStr) -> String {
    let expr = lit.value();
    if expr.trim().is_empty() {
        cx.error_spanned_by(lit, "an empty CHECK; write the condition rows must meet, e.g. check = \"price >= 0\"");
    }
    expr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_struct_names() {
        assert_eq!(snake_case("Program"), "program");
        assert_eq!(snake_case("CourseEnrollment"), "course_enrollment");
    }
}
