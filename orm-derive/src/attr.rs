//! `#[orm(...)]` attributes, parsed for syntax and duplicates only; meaning is checked
//! when the IR is built (`model.rs`) and validated (`check.rs`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Ident, LitBool, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::symbol::*;

/// An attribute that may be given once; a second time is an error at the second.
pub struct Attr<'c, T> {
    cx: &'c Ctxt,
    name: Symbol,
    tokens: TokenStream,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Attr { cx, name, tokens: TokenStream::new(), value: None }
    }

    fn set<A: ToTokens>(&mut self, obj: A, value: T) {
        let tokens = obj.into_token_stream();
        if self.value.is_some() {
            self.cx.error_spanned_by(tokens, format!("duplicate orm attribute `{}`; give it only once", self.name));
        } else {
            self.tokens = tokens;
            self.value = Some(value);
        }
    }

    fn get(self) -> Option<T> {
        self.value
    }

    /// For flags: the tokens of the key, for error spans, when it was given.
    fn get_flag(self) -> Option<TokenStream> {
        let tokens = self.tokens;
        self.value.map(|_| tokens)
    }
}

const CONTAINER_KEYS: &[&str] = &["table", "primary_key", "unique", "index", "check", "hooks", "renamed_from"];
const FIELD_KEYS: &[&str] = &[
    "primary_key",
    "autoincrement",
    "column",
    "unique",
    "index",
    "length",
    "sql_type",
    "text",
    "default",
    "server_default",
    "check",
    "version",
    "created_at",
    "updated_at",
    "foreign_key",
    "on_delete",
    "on_update",
    "renamed_from",
    "skip",
    "has_many",
    "has_one",
    "many_to_many",
    "belongs_to",
];
const RELATION_KEYS: &[&str] =
    &["foreign_key", "secondary", "backref", "back_populates", "passive_deletes", "cascade", "lazy"];

/// A list of field names: `primary_key(a, b)`, with, for constraints and indexes, a
/// `name = ".."` and (indexes) a `where = ".."`.
pub struct FieldList {
    pub keyword: TokenStream,
    pub fields: Vec<Ident>,
    pub name: Option<LitStr>,
    pub predicate: Option<LitStr>,
}

/// `check = "price >= 0"` or `check("price >= 0", name = "ck_price")`.
pub struct CheckAttr {
    pub expr: LitStr,
    pub name: Option<LitStr>,
}

/// `foreign_key = "programs.id"` or `foreign_key("programs.id", name = "fk_..",
/// on_delete = "cascade", on_update = "..")`.
pub struct ForeignKeyAttr {
    pub target: LitStr,
    pub name: Option<LitStr>,
    pub on_delete: Option<LitStr>,
    pub on_update: Option<LitStr>,
}

/// Struct-level attributes.
pub struct Container {
    pub table: Option<LitStr>,
    pub primary_key: Option<FieldList>,
    pub uniques: Vec<FieldList>,
    pub indexes: Vec<FieldList>,
    /// Table CHECK constraints: `#[orm(check = "ends_at > starts_at")]`, named or not.
    pub checks: Vec<CheckAttr>,
    /// `#[orm(hooks)]`: the model implements `Hooks`.
    pub hooks: bool,
    /// `#[orm(renamed_from = "old_table")]`: the table's previous name, for migrations.
    pub renamed_from: Option<LitStr>,
    /// An `#[orm(...)]` on the struct did not parse; what follows its error is lost.
    pub malformed: bool,
}

impl Container {
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Container {
        let mut table = Attr::none(cx, TABLE);
        let mut primary_key = Attr::none(cx, PRIMARY_KEY);
        let mut uniques = Vec::new();
        let mut indexes = Vec::new();
        let mut checks = Vec::new();
        let mut hooks = Attr::none(cx, Symbol("hooks"));
        let mut renamed_from = Attr::none(cx, RENAMED_FROM);
        let mut malformed = false;
        for attr in input.attrs.iter().filter(|a| a.path() == ORM) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path == TABLE {
                    // #[orm(table = "programs")]
                    table.set(&meta.path, lit_str(&meta, TABLE, "table = \"programs\"")?);
                } else if meta.path == PRIMARY_KEY {
                    // #[orm(primary_key(a, b))]
                    let list = field_list(&meta)?;
                    primary_key.set(&meta.path, list);
                } else if meta.path == UNIQUE {
                    // #[orm(unique(a, b))]
                    uniques.push(field_list(&meta)?);
                } else if meta.path == INDEX {
                    // #[orm(index(a, b))]
                    indexes.push(field_list(&meta)?);
                } else if meta.path == CHECK {
                    // #[orm(check = "ends_at > starts_at")], #[orm(check("ends_at > starts_at", name = "ck_span"))]
                    checks.push(check_attr(&meta, "\"ends_at > starts_at\"")?);
                } else if meta.path == RENAMED_FROM {
                    // #[orm(renamed_from = "old_table")]
                    renamed_from.set(&meta.path, lit_str(&meta, RENAMED_FROM, "renamed_from = \"old_table\"")?);
                } else if meta.path.is_ident("hooks") {
                    // #[orm(hooks)]
                    flag(&meta, Symbol("hooks"), false)?;
                    hooks.set(&meta.path, ());
                } else {
                    return Err(unknown_key(&meta, "orm struct attribute", CONTAINER_KEYS));
                }
                Ok(())
            });
            if let Err(e) = r {
                malformed = true;
                cx.syn_error(e);
            }
        }
        let hooks = hooks.get().is_some();
        Container {
            table: table.get(),
            primary_key: primary_key.get(),
            uniques,
            indexes,
            checks,
            hooks,
            renamed_from: renamed_from.get(),
            malformed,
        }
    }
}

/// `primary_key(a, b)`: a parenthesized, possibly empty, list of field names.
fn field_list(meta: &ParseNestedMeta<'_>) -> syn::Result<FieldList> {
    let keyword = meta.path.to_token_stream();
    let example = format!("`{}(first_field, second_field)`", meta.path.to_token_stream());
    if !meta.input.peek(syn::token::Paren) {
        let key = meta.path.to_token_stream();
        return Err(meta.error(format_args!(
            "on the struct, `{key}` takes a list of fields, e.g. {example}; \
             for a single column, put #[orm({key})] on its field"
        )));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let (mut fields, mut name, mut predicate) = (Vec::new(), None, None);
    while !content.is_empty() {
        if content.peek(Token![where]) {
            // index(a, where = "deleted_at IS NULL")
            content.parse::<Token![where]>()?;
            content.parse::<Token![=]>()?;
            predicate = Some(content.parse::<LitStr>()?);
        } else if content.peek(Ident) && content.peek2(Token![=]) {
            // unique(a, b, name = "uq_shelf_position")
            let key = content.parse::<Ident>()?;
            if key != "name" {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{key}` in {example}; use `name = \"..\"` (or, for an index, `where = \"..\"`)"
                    ),
                ));
            }
            content.parse::<Token![=]>()?;
            name = Some(content.parse::<LitStr>()?);
        } else if !content.peek(Ident) || content.peek2(Token![::]) {
            return Err(content.error(format_args!("expected a field name, e.g. {example}")));
        } else {
            fields.push(content.parse::<Ident>()?);
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(FieldList { keyword, fields, name, predicate })
}

/// The kind of relationship a field declares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    HasMany,
    HasOne,
    ManyToMany,
    BelongsTo,
}

/// `has_many(Target, foreign_key = "..", backref = "..", ...)`.
pub struct Relation {
    pub kind: RelationKind,
    pub keyword: TokenStream,
    pub target: Option<syn::Path>,
    pub foreign_key: Option<LitStr>,
    pub secondary: Option<LitStr>,
    pub backref: Option<LitStr>,
    pub back_populates: Option<LitStr>,
    pub passive_deletes: Option<TokenStream>,
    pub cascade: Option<LitStr>,
    pub lazy: Option<LitStr>,
}

/// Field-level attributes.
pub struct Field {
    pub primary_key: Option<TokenStream>,
    pub autoincrement: Option<LitBool>,
    pub column: Option<LitStr>,
    pub unique: Option<TokenStream>,
    pub index: Option<TokenStream>,
    pub length: Option<LitInt>,
    /// `#[orm(sql_type = "TEXT")]`: the column's type as SQL names it.
    pub sql_type: Option<LitStr>,
    /// `#[orm(text)]`: `sql_type = "TEXT"`.
    pub text: Option<TokenStream>,
    pub default: Option<syn::Expr>,
    pub server_default: Option<LitStr>,
    pub check: Option<CheckAttr>,
    pub foreign_key: Option<ForeignKeyAttr>,
    pub on_delete: Option<LitStr>,
    pub on_update: Option<LitStr>,
    /// `#[orm(renamed_from = "old")]`: the column's previous name, for migrations.
    pub renamed_from: Option<LitStr>,
    pub skip: Option<TokenStream>,
    /// `#[orm(version)]`: the optimistic-locking counter.
    pub version: Option<TokenStream>,
    /// `#[orm(created_at)]` / `#[orm(updated_at)]`: timestamps the session sets.
    pub created_at: Option<TokenStream>,
    pub updated_at: Option<TokenStream>,
    pub relation: Option<Relation>,
    /// An `#[orm(...)]` on the field did not parse; what follows its error is lost.
    pub malformed: bool,
}

impl Field {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Field {
        let mut primary_key = Attr::none(cx, PRIMARY_KEY);
        let mut autoincrement = Attr::none(cx, AUTOINCREMENT);
        let mut column = Attr::none(cx, COLUMN);
        let mut unique = Attr::none(cx, UNIQUE);
        let mut index = Attr::none(cx, INDEX);
        let mut length = Attr::none(cx, LENGTH);
        let mut sql_type = Attr::none(cx, SQL_TYPE);
        let mut text = Attr::none(cx, TEXT);
        let mut default = Attr::none(cx, DEFAULT);
        let mut server_default = Attr::none(cx, SERVER_DEFAULT);
        let mut check = Attr::none(cx, CHECK);
        let mut foreign_key = Attr::none(cx, FOREIGN_KEY);
        let mut on_delete = Attr::none(cx, ON_DELETE);
        let mut on_update = Attr::none(cx, ON_UPDATE);
        let mut renamed_from = Attr::none(cx, RENAMED_FROM);
        let mut skip = Attr::none(cx, SKIP);
        let mut version = Attr::none(cx, VERSION);
        let mut created_at = Attr::none(cx, CREATED_AT);
        let mut updated_at = Attr::none(cx, UPDATED_AT);
        let mut relation = Attr::none(cx, Symbol("relationship"));
        let mut malformed = false;
        for attr in field.attrs.iter().filter(|a| a.path() == ORM) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path == PRIMARY_KEY {
                    // #[orm(primary_key)]
                    flag(&meta, PRIMARY_KEY, true)?;
                    primary_key.set(&meta.path, ());
                } else if meta.path == AUTOINCREMENT {
                    // #[orm(autoincrement = false)]
                    autoincrement.set(&meta.path, lit_bool(&meta, AUTOINCREMENT)?);
                } else if meta.path == COLUMN {
                    // #[orm(column = "name")]
                    column.set(&meta.path, lit_str(&meta, COLUMN, "column = \"name\"")?);
                } else if meta.path == UNIQUE {
                    // #[orm(unique)]
                    flag(&meta, UNIQUE, true)?;
                    unique.set(&meta.path, ());
                } else if meta.path == INDEX {
                    // #[orm(index)]
                    flag(&meta, INDEX, true)?;
                    index.set(&meta.path, ());
                } else if meta.path == LENGTH {
                    // #[orm(length = 50)]
                    length.set(&meta.path, lit_int(&meta, LENGTH, "length = 100")?);
                } else if meta.path == SQL_TYPE {
                    // #[orm(sql_type = "TEXT")]
                    sql_type.set(&meta.path, lit_str(&meta, SQL_TYPE, "sql_type = \"TEXT\"")?);
                } else if meta.path == TEXT {
                    // #[orm(text)]
                    flag(&meta, TEXT, false)?;
                    text.set(&meta.path, ());
                } else if meta.path == DEFAULT {
                    // #[orm(default = 3)]
                    default.set(&meta.path, key_value(&meta, DEFAULT, "default = 3")?.parse::<syn::Expr>()?);
                } else if meta.path == SERVER_DEFAULT {
                    // #[orm(server_default = "now()")]
                    server_default.set(&meta.path, lit_str(&meta, SERVER_DEFAULT, "server_default = \"now()\"")?);
                } else if meta.path == CHECK {
                    // #[orm(check = "price >= 0")], #[orm(check("price >= 0", name = "ck_price"))]
                    check.set(&meta.path, check_attr(&meta, "\"price >= 0\"")?);
                } else if meta.path == FOREIGN_KEY {
                    // #[orm(foreign_key = "programs.id")], #[orm(foreign_key("programs.id", name = "fk_program"))]
                    foreign_key.set(&meta.path, foreign_key_attr(&meta)?);
                } else if meta.path == ON_DELETE {
                    // #[orm(on_delete = "cascade")]
                    on_delete.set(&meta.path, lit_str(&meta, ON_DELETE, "on_delete = \"cascade\"")?);
                } else if meta.path == ON_UPDATE {
                    // #[orm(on_update = "cascade")]
                    on_update.set(&meta.path, lit_str(&meta, ON_UPDATE, "on_update = \"cascade\"")?);
                } else if meta.path == RENAMED_FROM {
                    // #[orm(renamed_from = "old_name")]
                    renamed_from.set(&meta.path, lit_str(&meta, RENAMED_FROM, "renamed_from = \"old_name\"")?);
                } else if meta.path == SKIP {
                    // #[orm(skip)]
                    flag(&meta, SKIP, false)?;
                    skip.set(&meta.path, ());
                } else if meta.path == VERSION {
                    // #[orm(version)]
                    flag(&meta, VERSION, false)?;
                    version.set(&meta.path, ());
                } else if meta.path == CREATED_AT {
                    // #[orm(created_at)]
                    flag(&meta, CREATED_AT, false)?;
                    created_at.set(&meta.path, ());
                } else if meta.path == UPDATED_AT {
                    // #[orm(updated_at)]
                    flag(&meta, UPDATED_AT, false)?;
                    updated_at.set(&meta.path, ());
                } else if meta.path == HAS_MANY {
                    // #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))]
                    relation.set(&meta.path, relation_attr(cx, &meta, RelationKind::HasMany)?);
                } else if meta.path == HAS_ONE {
                    // #[orm(has_one(Profile, foreign_key = "user_id", backref = "user"))]
                    relation.set(&meta.path, relation_attr(cx, &meta, RelationKind::HasOne)?);
                } else if meta.path == MANY_TO_MANY {
                    // #[orm(many_to_many(Tag, secondary = "post_tags", backref = "posts"))]
                    relation.set(&meta.path, relation_attr(cx, &meta, RelationKind::ManyToMany)?);
                } else if meta.path == BELONGS_TO {
                    // #[orm(belongs_to(Program, foreign_key = "program_id"))]
                    relation.set(&meta.path, relation_attr(cx, &meta, RelationKind::BelongsTo)?);
                } else {
                    return Err(unknown_key(&meta, "orm field attribute", FIELD_KEYS));
                }
                Ok(())
            });
            if let Err(e) = r {
                malformed = true;
                cx.syn_error(e);
            }
        }
        Field {
            primary_key: primary_key.get_flag(),
            autoincrement: autoincrement.get(),
            column: column.get(),
            unique: unique.get_flag(),
            index: index.get_flag(),
            length: length.get(),
            sql_type: sql_type.get(),
            text: text.get_flag(),
            default: default.get(),
            server_default: server_default.get(),
            check: check.get(),
            foreign_key: foreign_key.get(),
            on_delete: on_delete.get(),
            on_update: on_update.get(),
            renamed_from: renamed_from.get(),
            skip: skip.get_flag(),
            version: version.get_flag(),
            created_at: created_at.get_flag(),
            updated_at: updated_at.get_flag(),
            relation: relation.get(),
            malformed,
        }
    }
}

fn relation_attr(cx: &Ctxt, meta: &ParseNestedMeta<'_>, kind: RelationKind) -> syn::Result<Relation> {
    let keyword = meta.path.to_token_stream();
    let mut target: Option<syn::Path> = None;
    let mut foreign_key = Attr::none(cx, FOREIGN_KEY);
    let mut secondary = Attr::none(cx, SECONDARY);
    let mut backref = Attr::none(cx, BACKREF);
    let mut back_populates = Attr::none(cx, BACK_POPULATES);
    let mut passive_deletes = Attr::none(cx, PASSIVE_DELETES);
    let mut cascade = Attr::none(cx, CASCADE);
    let mut lazy = Attr::none(cx, LAZY);
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format_args!(
            "expected the related model, e.g. `{}(Course, foreign_key = \"program_id\")`",
            meta.path.to_token_stream()
        )));
    }
    meta.parse_nested_meta(|inner| {
        if inner.path == FOREIGN_KEY {
            foreign_key.set(&inner.path, lit_str(&inner, FOREIGN_KEY, "foreign_key = \"program_id\"")?);
        } else if inner.path == SECONDARY {
            secondary.set(&inner.path, lit_str(&inner, SECONDARY, "secondary = \"post_tags\"")?);
        } else if inner.path == BACKREF {
            backref.set(&inner.path, lit_str(&inner, BACKREF, "backref = \"program\"")?);
        } else if inner.path == BACK_POPULATES {
            back_populates.set(&inner.path, lit_str(&inner, BACK_POPULATES, "back_populates = \"program\"")?);
        } else if inner.path == PASSIVE_DELETES {
            flag(&inner, PASSIVE_DELETES, false)?;
            passive_deletes.set(&inner.path, ());
        } else if inner.path == CASCADE {
            cascade.set(&inner.path, lit_str(&inner, CASCADE, "cascade = \"all, delete-orphan\"")?);
        } else if inner.path == LAZY {
            lazy.set(&inner.path, lit_str(&inner, LAZY, "lazy = \"selectin\"")?);
        } else if target.is_none() && (inner.input.is_empty() || inner.input.peek(Token![,])) {
            target = Some(inner.path.clone());
        } else {
            let mut e = unknown_key(&inner, "relationship option", RELATION_KEYS);
            if target.is_none() {
                e = inner.error(format_args!(
                    "{e}; the related model comes first, e.g. `{}(Course, foreign_key = \"program_id\")`",
                    meta.path.to_token_stream()
                ));
            }
            return Err(e);
        }
        Ok(())
    })?;
    Ok(Relation {
        kind,
        keyword,
        target,
        foreign_key: foreign_key.get(),
        secondary: secondary.get(),
        backref: backref.get(),
        back_populates: back_populates.get(),
        passive_deletes: passive_deletes.get_flag(),
        cascade: cascade.get(),
        lazy: lazy.get(),
    })
}

/// `key = "text"`, or `key("text", option = "..", ..)` with the options `allowed`; the
/// options come back with their names.
fn text_with_options(
    meta: &ParseNestedMeta<'_>,
    example: &str,
    allowed: &[&str],
) -> syn::Result<(LitStr, Vec<(Ident, LitStr)>)> {
    let key = meta.path.to_token_stream();
    if !meta.input.peek(syn::token::Paren) {
        if !meta.input.peek(Token![=]) {
            return Err(meta.error(format_args!("`{key}` needs a value, e.g. {key} = {example}")));
        }
        let value = meta.value()?;
        if !value.peek(LitStr) {
            return Err(value.error(format_args!("`{key}` expects a string literal, e.g. {key} = {example}")));
        }
        return Ok((value.parse()?, Vec::new()));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    if !content.peek(LitStr) {
        return Err(
            content.error(format_args!("expected a string literal first, e.g. {key}({example}, name = \"..\")"))
        );
    }
    let text = content.parse::<LitStr>()?;
    let mut options: Vec<(Ident, LitStr)> = Vec::new();
    while !content.is_empty() {
        content.parse::<Token![,]>()?;
        if content.is_empty() {
            break;
        }
        let name = content.parse::<Ident>()?;
        if !allowed.iter().any(|a| name == a) {
            let hint = match closest(&name.to_string(), allowed) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!("expected one of: {}", allowed.join(", ")),
            };
            return Err(syn::Error::new(name.span(), format!("unknown option `{name}` of `{key}`; {hint}")));
        }
        if options.iter().any(|(n, _)| *n == name) {
            return Err(syn::Error::new(name.span(), format!("duplicate option `{name}`; give it only once")));
        }
        content.parse::<Token![=]>()?;
        options.push((name, content.parse::<LitStr>()?));
    }
    Ok((text, options))
}

/// `check = ".."` or `check("..", name = "..")`.
fn check_attr(meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<CheckAttr> {
    let (expr, options) = text_with_options(meta, example, &["name"])?;
    Ok(CheckAttr { expr, name: options.into_iter().next().map(|(_, v)| v) })
}

/// `foreign_key = ".."` or `foreign_key("..", name = "..", on_delete = "..", on_update = "..")`.
fn foreign_key_attr(meta: &ParseNestedMeta<'_>) -> syn::Result<ForeignKeyAttr> {
    let (target, options) = text_with_options(meta, "\"programs.id\"", &["name", "on_delete", "on_update"])?;
    let mut fk = ForeignKeyAttr { target, name: None, on_delete: None, on_update: None };
    for (option, value) in options {
        match option.to_string().as_str() {
            "name" => fk.name = Some(value),
            "on_delete" => fk.on_delete = Some(value),
            _ => fk.on_update = Some(value),
        }
    }
    Ok(fk)
}

/// A flag takes no value: `#[orm(unique)]`, not `#[orm(unique = true)]`. `struct_list`: the
/// struct takes the same key with a list of fields.
fn flag(meta: &ParseNestedMeta<'_>, key: Symbol, struct_list: bool) -> syn::Result<()> {
    if meta.input.peek(syn::token::Paren) && struct_list {
        Err(meta.error(format_args!(
            "on a field, `{key}` takes no list; write `{key}` alone, or put \
             `{key}(first_field, second_field)` on the struct to span several fields"
        )))
    } else if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        Err(meta.error(format_args!("`{key}` is a flag and takes no value; write `{key}` alone")))
    } else {
        Ok(())
    }
}

/// The value after `key =`.
fn key_value<'a>(meta: &ParseNestedMeta<'a>, key: Symbol, example: &str) -> syn::Result<syn::parse::ParseStream<'a>> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format_args!("`{key}` needs a value, e.g. {example}")));
    }
    meta.value()
}

fn lit_str(meta: &ParseNestedMeta<'_>, key: Symbol, example: &str) -> syn::Result<LitStr> {
    let value = key_value(meta, key, example)?;
    if !value.peek(LitStr) {
        return Err(value.error(format_args!("`{key}` expects a string literal, e.g. {example}")));
    }
    value.parse()
}

fn lit_int(meta: &ParseNestedMeta<'_>, key: Symbol, example: &str) -> syn::Result<LitInt> {
    let value = key_value(meta, key, example)?;
    if value.peek(LitStr) {
        return Err(value
            .error(format_args!("`{key}` expects an integer, not a string; write it without quotes, e.g. {example}")));
    }
    if !value.peek(LitInt) {
        return Err(value.error(format_args!("`{key}` expects a positive integer, e.g. {example}")));
    }
    value.parse()
}

fn lit_bool(meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<LitBool> {
    let example = format!("{key} = false");
    let value = key_value(meta, key, &example)?;
    if !value.peek(LitBool) {
        return Err(value.error(format_args!("`{key}` expects `true` or `false`, e.g. {example}")));
    }
    value.parse()
}

/// An unknown key, with the closest known one or the list of all.
fn unknown_key(meta: &ParseNestedMeta<'_>, what: &str, known: &[&str]) -> syn::Error {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    match closest(&key, known) {
        Some(suggestion) => meta.error(format_args!("unknown {what} `{key}`; did you mean `{suggestion}`?")),
        None => meta.error(format_args!("unknown {what} `{key}`; expected one of: {}", known.join(", "))),
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|&(d, c)| d <= word.len().max(c.len()) / 3 || c.starts_with(word) && word.len() >= 3)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
