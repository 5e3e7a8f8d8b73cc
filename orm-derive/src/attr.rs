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
        Attr {
            cx,
            name,
            tokens: TokenStream::new(),
            value: None,
        }
    }

    fn set<A: ToTokens>(&mut self, obj: A, value: T) {
        let tokens = obj.into_token_stream();
        if self.value.is_some() {
            self.cx
                .error_spanned_by(tokens, format!("duplicate orm attribute `{}`", self.name));
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

const CONTAINER_KEYS: &str = "table, primary_key, unique, index";
const FIELD_KEYS: &str = "primary_key, autoincrement, column, unique, index, length, default, \
                          server_default, foreign_key, on_delete, on_update, skip, has_many, belongs_to";
const RELATION_KEYS: &str = "foreign_key, backref, back_populates, passive_deletes, cascade, lazy";

/// A list of field names: `primary_key(a, b)`.
pub struct FieldList {
    pub keyword: TokenStream,
    pub fields: Vec<Ident>,
}

/// Struct-level attributes.
pub struct Container {
    pub table: Option<LitStr>,
    pub primary_key: Option<FieldList>,
    pub uniques: Vec<FieldList>,
    pub indexes: Vec<FieldList>,
}

impl Container {
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Container {
        let mut table = Attr::none(cx, TABLE);
        let mut primary_key = Attr::none(cx, PRIMARY_KEY);
        let mut uniques = Vec::new();
        let mut indexes = Vec::new();
        for attr in input.attrs.iter().filter(|a| a.path() == ORM) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path == TABLE {
                    // #[orm(table = "programs")]
                    table.set(&meta.path, meta.value()?.parse::<LitStr>()?);
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
                } else {
                    return Err(meta.error(format_args!(
                        "unknown orm struct attribute `{}`; expected one of: {CONTAINER_KEYS}",
                        meta.path.to_token_stream()
                    )));
                }
                Ok(())
            });
            if let Err(e) = r {
                cx.syn_error(e);
            }
        }
        Container {
            table: table.get(),
            primary_key: primary_key.get(),
            uniques,
            indexes,
        }
    }
}

fn field_list(meta: &ParseNestedMeta<'_>) -> syn::Result<FieldList> {
    let keyword = meta.path.to_token_stream();
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format_args!(
            "expected a list of fields, e.g. `{}(first_field, second_field)`",
            meta.path.to_token_stream()
        )));
    }
    let mut fields = Vec::new();
    meta.parse_nested_meta(|inner| {
        match inner.path.get_ident() {
            Some(ident) if inner.input.is_empty() || inner.input.peek(Token![,]) => {
                fields.push(ident.clone())
            }
            _ => return Err(inner.error("expected a field name")),
        }
        Ok(())
    })?;
    Ok(FieldList { keyword, fields })
}

/// The kind of relationship a field declares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    HasMany,
    BelongsTo,
}

/// `has_many(Target, foreign_key = "..", backref = "..", ...)`.
pub struct Relation {
    pub kind: RelationKind,
    pub keyword: TokenStream,
    pub target: Option<syn::Path>,
    pub foreign_key: Option<LitStr>,
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
    pub default: Option<syn::Expr>,
    pub server_default: Option<LitStr>,
    pub foreign_key: Option<LitStr>,
    pub on_delete: Option<LitStr>,
    pub on_update: Option<LitStr>,
    pub skip: Option<TokenStream>,
    pub relation: Option<Relation>,
}

impl Field {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Field {
        let mut primary_key = Attr::none(cx, PRIMARY_KEY);
        let mut autoincrement = Attr::none(cx, AUTOINCREMENT);
        let mut column = Attr::none(cx, COLUMN);
        let mut unique = Attr::none(cx, UNIQUE);
        let mut index = Attr::none(cx, INDEX);
        let mut length = Attr::none(cx, LENGTH);
        let mut default = Attr::none(cx, DEFAULT);
        let mut server_default = Attr::none(cx, SERVER_DEFAULT);
        let mut foreign_key = Attr::none(cx, FOREIGN_KEY);
        let mut on_delete = Attr::none(cx, ON_DELETE);
        let mut on_update = Attr::none(cx, ON_UPDATE);
        let mut skip = Attr::none(cx, SKIP);
        let mut relation = Attr::none(cx, Symbol("relationship"));
        for attr in field.attrs.iter().filter(|a| a.path() == ORM) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path == PRIMARY_KEY {
                    // #[orm(primary_key)]
                    primary_key.set(&meta.path, ());
                } else if meta.path == AUTOINCREMENT {
                    // #[orm(autoincrement = false)]
                    autoincrement.set(&meta.path, meta.value()?.parse::<LitBool>()?);
                } else if meta.path == COLUMN {
                    // #[orm(column = "name")]
                    column.set(&meta.path, meta.value()?.parse::<LitStr>()?);
                } else if meta.path == UNIQUE {
                    // #[orm(unique)]
                    unique.set(&meta.path, ());
                } else if meta.path == INDEX {
                    // #[orm(index)]
                    index.set(&meta.path, ());
                } else if meta.path == LENGTH {
                    // #[orm(length = 50)]
                    length.set(&meta.path, meta.value()?.parse::<LitInt>()?);
                } else if meta.path == DEFAULT {
                    // #[orm(default = 3)]
                    default.set(&meta.path, meta.value()?.parse::<syn::Expr>()?);
                } else if meta.path == SERVER_DEFAULT {
                    // #[orm(server_default = "now()")]
                    server_default.set(&meta.path, meta.value()?.parse::<LitStr>()?);
                } else if meta.path == FOREIGN_KEY {
                    // #[orm(foreign_key = "programs.id")]
                    foreign_key.set(&meta.path, meta.value()?.parse::<LitStr>()?);
                } else if meta.path == ON_DELETE {
                    // #[orm(on_delete = "cascade")]
                    on_delete.set(&meta.path, meta.value()?.parse::<LitStr>()?);
                } else if meta.path == ON_UPDATE {
                    // #[orm(on_update = "cascade")]
                    on_update.set(&meta.path, meta.value()?.parse::<LitStr>()?);
                } else if meta.path == SKIP {
                    // #[orm(skip)]
                    skip.set(&meta.path, ());
                } else if meta.path == HAS_MANY {
                    // #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))]
                    relation.set(&meta.path, relation_attr(cx, &meta, RelationKind::HasMany)?);
                } else if meta.path == BELONGS_TO {
                    // #[orm(belongs_to(Program, foreign_key = "program_id"))]
                    relation.set(
                        &meta.path,
                        relation_attr(cx, &meta, RelationKind::BelongsTo)?,
                    );
                } else {
                    return Err(meta.error(format_args!(
                        "unknown orm field attribute `{}`; expected one of: {FIELD_KEYS}",
                        meta.path.to_token_stream()
                    )));
                }
                Ok(())
            });
            if let Err(e) = r {
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
            default: default.get(),
            server_default: server_default.get(),
            foreign_key: foreign_key.get(),
            on_delete: on_delete.get(),
            on_update: on_update.get(),
            skip: skip.get_flag(),
            relation: relation.get(),
        }
    }
}

fn relation_attr(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    kind: RelationKind,
) -> syn::Result<Relation> {
    let keyword = meta.path.to_token_stream();
    let mut target: Option<syn::Path> = None;
    let mut foreign_key = Attr::none(cx, FOREIGN_KEY);
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
            foreign_key.set(&inner.path, inner.value()?.parse::<LitStr>()?);
        } else if inner.path == BACKREF {
            backref.set(&inner.path, inner.value()?.parse::<LitStr>()?);
        } else if inner.path == BACK_POPULATES {
            back_populates.set(&inner.path, inner.value()?.parse::<LitStr>()?);
        } else if inner.path == PASSIVE_DELETES {
            passive_deletes.set(&inner.path, ());
        } else if inner.path == CASCADE {
            cascade.set(&inner.path, inner.value()?.parse::<LitStr>()?);
        } else if inner.path == LAZY {
            lazy.set(&inner.path, inner.value()?.parse::<LitStr>()?);
        } else if target.is_none() && (inner.input.is_empty() || inner.input.peek(Token![,])) {
            target = Some(inner.path.clone());
        } else {
            return Err(inner.error(format_args!(
                "unknown relationship option `{}`; expected the related model first, then: {RELATION_KEYS}",
                inner.path.to_token_stream()
            )));
        }
        Ok(())
    })?;
    Ok(Relation {
        kind,
        keyword,
        target,
        foreign_key: foreign_key.get(),
        backref: backref.get(),
        back_populates: back_populates.get(),
        passive_deletes: passive_deletes.get_flag(),
        cascade: cascade.get(),
        lazy: lazy.get(),
    })
}
