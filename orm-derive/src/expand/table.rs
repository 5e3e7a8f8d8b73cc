//! The static `TableDef` of a model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::attr::RelationKind;
use crate::model::{Action, Loading, Model};

pub fn expand(model: &Model<'_>) -> TokenStream {
    let table = &model.table;
    let struct_name = model.ident.to_string();
    let columns = model.columns().map(|(field, c)| {
        let ty = field.ty;
        let name = &c.name;
        let field_name = field.ident.to_string();
        let field_name = field_name.strip_prefix("r#").unwrap_or(&field_name);
        let (pk, auto, unique, index) = (c.primary_key, c.autoincrement, c.unique, c.indexed);
        let length = option(c.length.map(|n| quote!(#n)));
        let server_default = option(c.server_default.as_ref().map(|s| quote!(#s)));
        let foreign_key = option(c.foreign_key.as_ref().map(|fk| {
            let (t, col) = (&fk.table, &fk.column);
            let (on_delete, on_update) = (action(fk.on_delete), action(fk.on_update));
            quote! {
                __orm::ForeignKeyDef { table: #t, column: #col, on_delete: #on_delete, on_update: #on_update }
            }
        }));
        let sql_type = quote_spanned!(ty.span()=> <#ty as __orm::ColumnType>::SQL_TYPE);
        quote! {
            __orm::ColumnDef {
                name: #name,
                field: #field_name,
                sql_type: #sql_type,
                rust_type: <#ty as __orm::ColumnType>::RUST_NAME,
                nullable: <#ty as __orm::ColumnType>::NULLABLE,
                primary_key: #pk,
                autoincrement: #auto,
                unique: #unique,
                index: #index,
                length: #length,
                server_default: #server_default,
                foreign_key: #foreign_key,
            }
        }
    });
    let primary_key = model
        .primary_key
        .iter()
        .map(|&i| match &model.fields[i].role {
            crate::model::Role::Column(c) => c.index,
            _ => 0,
        });
    let uniques = model.uniques.iter().map(|cols| quote!(&[#(#cols),*]));
    let indexes = model
        .indexes
        .iter()
        .map(|(name, cols)| quote!(__orm::IndexDef { name: #name, columns: &[#(#cols),*] }));
    let mut target_fns = Vec::new();
    let relationships: Vec<TokenStream> = model
        .relations()
        .enumerate()
        .map(|(i, (field, r))| {
            let target = &r.target;
            let target_fn = format_ident!("__orm_target_{}", i);
            target_fns.push(quote! {
                fn #target_fn() -> &'static __orm::TableDef {
                    <#target as __orm::Model>::TABLE
                }
            });
            let name = field.ident.to_string();
            let kind = match r.kind {
                RelationKind::HasMany => quote!(__orm::RelationKind::HasMany),
                RelationKind::BelongsTo => quote!(__orm::RelationKind::BelongsTo),
            };
            let fk = &r.foreign_key;
            let backref = option(r.backref.as_ref().map(|s| quote!(#s)));
            let back_populates = option(r.back_populates.as_ref().map(|s| quote!(#s)));
            let (save_update, delete, delete_orphan) = (r.save_update, r.delete, r.delete_orphan);
            let passive = r.passive_deletes;
            let loading = match r.loading {
                Loading::Lazy => quote!(__orm::Loading::Lazy),
                Loading::SelectIn => quote!(__orm::Loading::SelectIn),
                Loading::Joined => quote!(__orm::Loading::Joined),
                Loading::Raise => quote!(__orm::Loading::Raise),
            };
            quote! {
                __orm::RelationshipDef {
                    name: #name,
                    kind: #kind,
                    target: #target_fn,
                    foreign_key: #fk,
                    backref: #backref,
                    back_populates: #back_populates,
                    cascade: __orm::Cascade { save_update: #save_update, delete: #delete, delete_orphan: #delete_orphan },
                    passive_deletes: #passive,
                    loading: #loading,
                }
            }
        })
        .collect();
    let autoincrement_checks = model.columns().filter(|(_, c)| c.autoincrement).map(|(field, _)| {
        let ty = field.ty;
        let message = format!(
            "`{}` is marked autoincrement but is not an integer; use i16, i32 or i64, or autoincrement = false",
            field.ident
        );
        quote_spanned! {ty.span()=>
            const _: () = ::core::assert!(<#ty as __orm::ColumnType>::SQL_TYPE.is_integer(), #message);
        }
    });
    quote! {
        #(#target_fns)*
        #(#autoincrement_checks)*
        static __TABLE: __orm::TableDef = __orm::TableDef {
            name: #table,
            model: #struct_name,
            columns: &[#(#columns),*],
            primary_key: &[#(#primary_key),*],
            uniques: &[#(#uniques),*],
            indexes: &[#(#indexes),*],
            relationships: &[#(#relationships),*],
        };
    }
}

fn option(tokens: Option<TokenStream>) -> TokenStream {
    match tokens {
        Some(t) => quote!(__orm::Some(#t)),
        None => quote!(__orm::None),
    }
}

fn action(a: Action) -> TokenStream {
    match a {
        Action::NoAction => quote!(__orm::ReferentialAction::NoAction),
        Action::Restrict => quote!(__orm::ReferentialAction::Restrict),
        Action::Cascade => quote!(__orm::ReferentialAction::Cascade),
        Action::SetNull => quote!(__orm::ReferentialAction::SetNull),
        Action::SetDefault => quote!(__orm::ReferentialAction::SetDefault),
    }
}
