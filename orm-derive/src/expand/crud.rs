//! Inherent items: column handles, `new`, `table`, `query` and direct CRUD.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Model, Role};

pub fn expand(model: &Model<'_>) -> TokenStream {
    let ident = model.ident;
    let vis = model.vis;
    let table = &model.table;
    let column_consts = model.columns().map(|(field, c)| {
        let name = field.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        let konst = format_ident!("{}", name.to_uppercase());
        let ty = field.ty;
        let (column, idx) = (&c.name, c.index);
        let doc = format!("The `{table}.{column}` column.");
        quote! {
            #[doc = #doc]
            #vis const #konst: ::orm_core::Column<#ident, #ty> = ::orm_core::Column::new(#table, #column, #idx);
        }
    });
    let mut args = Vec::new();
    let inits = model.fields.iter().map(|field| {
        let f = field.ident;
        let ty = field.ty;
        match &field.role {
            // A version starts at 1 (and the session counts from there).
            Role::Column(c) if c.version => quote!(#f: 1),
            Role::Column(c)
                if c.autoincrement
                    || c.stamp.is_some()
                    || c.server_default.is_some()
                    || (c.foreign_key.is_some() && c.default.is_none()) =>
            {
                quote!(#f: ::core::default::Default::default())
            }
            Role::Column(c) => match &c.default {
                // A string literal converts (into a String); anything else has the field's type.
                Some(expr @ syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(_), .. })) => {
                    quote!(#f: ::core::convert::Into::into(#expr))
                }
                Some(expr) => quote!(#f: #expr),
                None => {
                    args.push(quote!(#f: impl ::core::convert::Into<#ty>));
                    quote!(#f: ::core::convert::Into::into(#f))
                }
            },
            _ => quote!(#f: ::core::default::Default::default()),
        }
    });
    let inits: Vec<TokenStream> = inits.collect();
    let new_doc = format!(
        "A new `{ident}` that is not in the database yet. The database assigns its generated \
         columns when it is inserted."
    );
    let table_doc = format!("The metadata of the `{table}` table.");
    quote! {
        #[automatically_derived]
        #[allow(dead_code, clippy::too_many_arguments, clippy::new_without_default)]
        impl #ident {
            #(#column_consts)*

            #[doc = #new_doc]
            #[inline]
            #vis fn new(#(#args),*) -> Self {
                #ident { #(#inits),* }
            }

            #[doc = #table_doc]
            #[inline]
            #vis fn table() -> &'static ::orm_core::TableDef {
                &__TABLE
            }

            /// A query over every row of the table; add filters, then run it on an engine.
            #[inline]
            #vis fn query() -> ::orm_core::Query<Self> {
                ::orm_core::Query::new()
            }

            /// Inserts this object, fills in the columns the database generated, and returns
            /// its primary key.
            #vis fn insert(&mut self, db: impl ::orm_core::Executor) -> ::orm_core::Result<<Self as __orm::Model>::PrimaryKey> {
                ::orm_core::crud::insert(db, self)
            }

            /// The object with this primary key, if there is one.
            #vis fn get(db: impl ::orm_core::Executor, key: <Self as __orm::Model>::PrimaryKey) -> ::orm_core::Result<__orm::Option<Self>> {
                ::orm_core::crud::get(db, key)
            }

            /// Writes every column to this object's row.
            #vis fn update(&mut self, db: impl ::orm_core::Executor) -> ::orm_core::Result<()> {
                ::orm_core::crud::update(db, self)
            }

            /// Deletes this object's row.
            #vis fn delete(&self, db: impl ::orm_core::Executor) -> ::orm_core::Result<()> {
                ::orm_core::crud::delete(db, self)
            }
        }
    }
}
