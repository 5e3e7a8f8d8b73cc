//! The static `TableDef` of a model, and the column types it is built from.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::attr::RelationKind;
use crate::model::{FkAction, Loading, Model};

/// Each column's Rust type, checked once, and generic helpers that use it.
///
/// `impl __OrmColumn<N> for Model { type Ty = <field type>; }` is the only place where a
/// column's type must implement `ColumnType`: when it does not, rustc reports it once, at the
/// field's type, with `ColumnType`'s own message. Everything else (`TableDef`, decoding,
/// reading and assigning values) goes through `<Model as __OrmColumn<N>>::Ty` inside the
/// generic helpers below, where the bound is assumed rather than proven again, so a bad
/// type causes no further errors.
pub fn column_types(model: &Model<'_>) -> TokenStream {
    let ident = model.ident;
    let impls = model.columns().map(|(field, c)| {
        let (ty, idx) = (field.ty, c.index);
        quote! {
            impl __OrmColumn<#idx> for #ident {
                type Ty = #ty;
            }
        }
    });
    quote! {
        trait __OrmColumn<const I: usize> {
            type Ty: __orm::ColumnType;
        }
        #(#impls)*

        const fn __orm_sql_type<M: __OrmColumn<I>, const I: usize>() -> __orm::SqlType {
            <M::Ty as __orm::ColumnType>::SQL_TYPE
        }

        const fn __orm_rust_type<M: __OrmColumn<I>, const I: usize>() -> &'static str {
            <M::Ty as __orm::ColumnType>::RUST_NAME
        }

        const fn __orm_nullable<M: __OrmColumn<I>, const I: usize>() -> bool {
            <M::Ty as __orm::ColumnType>::NULLABLE
        }

        fn __orm_decode<M: __OrmColumn<I>, const I: usize, R: __orm::ColumnSource + ?Sized>(
            row: &R,
            idx: usize,
            table: &__orm::TableDef,
        ) -> __orm::Result<M::Ty> {
            __orm::decode::<M::Ty, R>(row, idx, table, I)
        }

        fn __orm_to_value<M: __OrmColumn<I>, const I: usize>(value: &M::Ty) -> __orm::Value {
            __orm::ColumnType::to_value(value)
        }

        fn __orm_equals<M: __OrmColumn<I>, const I: usize>(field: &M::Ty, value: &__orm::Value) -> bool {
            __orm::ColumnType::equals_value(field, value)
        }

        fn __orm_take_value<M: __OrmColumn<I>, const I: usize>(value: &mut M::Ty) -> __orm::Value {
            __orm::ColumnType::into_value(::core::mem::take(value))
        }

        fn __orm_assign<M: __OrmColumn<I>, const I: usize>(
            field: &mut M::Ty,
            value: __orm::Value,
            table: &__orm::TableDef,
        ) -> __orm::Result<()> {
            __orm::assign(field, value, table, I)
        }
    }
}

pub fn expand(model: &Model<'_>) -> TokenStream {
    let ident = model.ident;
    let table = &model.table;
    let struct_name = model.ident.to_string();
    let columns = model.columns().map(|(field, c)| {
        let idx = c.index;
        let name = &c.name;
        let field_name = field.ident.to_string();
        let field_name = field_name.strip_prefix("r#").unwrap_or(&field_name);
        let (pk, auto, unique, index) = (c.primary_key, c.autoincrement, c.unique, c.indexed);
        let length = option(c.length.map(|n| quote!(#n)));
        let declared_type = option(c.sql_type.as_ref().map(|t| quote!(#t)));
        let server_default = option(c.server_default.as_ref().map(|s| quote!(#s)));
        let renamed_from = option(c.renamed_from.as_ref().map(|s| quote!(#s)));
        // A server default's `Option` means "not set yet", not NULL: the column is NOT NULL.
        let nullable =
            if c.server_default.is_some() { quote!(false) } else { quote!(__orm_nullable::<#ident, #idx>()) };
        let foreign_key = option(c.foreign_key.as_ref().map(|fk| {
            let (t, col) = (&fk.table, &fk.column);
            let (on_delete, on_update) = (action(fk.on_delete), action(fk.on_update));
            let name = option(fk.name.as_ref().map(|n| quote!(#n)));
            quote! {
                __orm::ForeignKeyDef { name: #name, table: #t, column: #col, on_delete: #on_delete, on_update: #on_update }
            }
        }));
        quote! {
            __orm::ColumnDef {
                name: #name,
                field: #field_name,
                sql_type: __orm_sql_type::<#ident, #idx>(),
                rust_type: __orm_rust_type::<#ident, #idx>(),
                nullable: #nullable,
                primary_key: #pk,
                autoincrement: #auto,
                unique: #unique,
                index: #index,
                length: #length,
                declared_type: #declared_type,
                server_default: #server_default,
                renamed_from: #renamed_from,
                foreign_key: #foreign_key,
            }
        }
    });
    let primary_key = model.primary_key.iter().map(|&i| match &model.fields[i].role {
        crate::model::Role::Column(c) => c.index,
        _ => 0,
    });
    let uniques = model.uniques.iter().map(|(name, cols)| {
        let name = option(name.as_ref().map(|n| quote!(#n)));
        quote!(__orm::UniqueDef { name: #name, columns: &[#(#cols),*] })
    });
    let indexes = model.indexes.iter().map(|(name, cols, predicate)| {
        let predicate = option(predicate.as_ref().map(|p| quote!(#p)));
        quote!(__orm::IndexDef { name: #name, columns: &[#(#cols),*], predicate: #predicate })
    });
    let checks = model.checks.iter().map(|(name, expr)| quote!(__orm::CheckDef { name: #name, expr: #expr }));
    let mut target_fns = Vec::new();
    let mut association_tables = Vec::new();
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
                RelationKind::HasOne => quote!(__orm::RelationKind::HasOne),
                RelationKind::ManyToMany => quote!(__orm::RelationKind::ManyToMany),
                RelationKind::BelongsTo => quote!(__orm::RelationKind::BelongsTo),
            };
            let fk = &r.foreign_key;
            let secondary = option(r.secondary.as_ref().map(|name| {
                let assoc = format_ident!("__ORM_ASSOCIATION_{}", i);
                association_tables.push(association_table(model, target, name, &assoc));
                quote!(&#assoc)
            }));
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
                    secondary: #secondary,
                    backref: #backref,
                    back_populates: #back_populates,
                    cascade: __orm::Cascade { save_update: #save_update, delete: #delete, delete_orphan: #delete_orphan },
                    passive_deletes: #passive,
                    loading: #loading,
                }
            }
        })
        .collect();
    let autoincrement_checks = model.columns().filter(|(_, c)| c.autoincrement).map(|(field, c)| {
        let idx = c.index;
        let message = format!(
            "`{}` is an auto-increment primary key, but only integer columns auto-increment; \
             make it i16, i32 or i64, or set autoincrement = false",
            field.ident
        );
        quote_spanned! {field.ty.span()=>
            const _: () = ::core::assert!(__orm_sql_type::<#ident, #idx>().is_integer(), #message);
        }
    });
    let managed_checks = model.columns().filter(|(_, c)| c.version || c.stamp.is_some()).map(|(field, c)| {
        let idx = c.index;
        let (test, message) = if c.version {
            (
                quote!(is_integer),
                format!("`{}` is the version counter, which is an integer: make it i32 or i64", field.ident),
            )
        } else {
            (
                quote!(is_timestamp),
                format!(
                    "`{}` is a timestamp the session sets: make it chrono's DateTime<Utc> or \
                     NaiveDateTime (or an Option of one)",
                    field.ident
                ),
            )
        };
        quote_spanned! {field.ty.span()=>
            const _: () = ::core::assert!(__orm_sql_type::<#ident, #idx>().#test(), #message);
        }
    });
    let position = |is: fn(&crate::model::Column) -> bool| {
        option(model.columns().find(|(_, c)| is(c)).map(|(_, c)| {
            let idx = c.index;
            quote!(#idx)
        }))
    };
    let version = position(|c| c.version);
    let created_at = position(|c| c.stamp == Some(crate::model::Stamp::Created));
    let updated_at = position(|c| c.stamp == Some(crate::model::Stamp::Updated));
    let table_renamed_from = option(model.renamed_from.as_ref().map(|s| quote!(#s)));
    quote! {
        #(#target_fns)*
        #(#association_tables)*
        #(#autoincrement_checks)*
        #(#managed_checks)*
        static __TABLE: __orm::TableDef = __orm::TableDef {
            name: #table,
            model: #struct_name,
            columns: &[#(#columns),*],
            primary_key: &[#(#primary_key),*],
            uniques: &[#(#uniques),*],
            indexes: &[#(#indexes),*],
            checks: &[#(#checks),*],
            relationships: &[#(#relationships),*],
            version: #version,
            created_at: #created_at,
            updated_at: #updated_at,
            renamed_from: #table_renamed_from,
            loader: &__LOADER,
        };
        static __LOADER: __orm::LoaderSlot = __orm::LoaderSlot::new();
    }
}

/// The association table of a `many_to_many`: one foreign key to each side (ON DELETE
/// CASCADE), both forming the primary key, and an index on the second. Its columns are
/// `<model>_id`, in name order, so that both sides declaring the same table agree.
fn association_table(model: &Model<'_>, target: &syn::Path, name: &str, assoc: &syn::Ident) -> TokenStream {
    let ident = model.ident;
    let target_name = target.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    let (own_table, own_key) = (&model.table, model.key_column());
    // (column name, the referenced model, its table name, its key column's name)
    let own = (
        format!("{}_id", crate::model::snake_case(&ident.to_string())),
        quote!(#ident),
        quote!(#own_table),
        quote!(#own_key),
    );
    let other = (
        format!("{}_id", crate::model::snake_case(&target_name)),
        quote!(#target),
        quote!(__orm::table_name::<#target>()),
        quote!(__orm::key_column::<#target>()),
    );
    let (first, second) = if own.0 <= other.0 { (own, other) } else { (other, own) };
    let column = |(name, model, table, key): &(String, TokenStream, TokenStream, TokenStream), indexed: bool| {
        quote! {
            __orm::ColumnDef {
                name: #name,
                field: #name,
                sql_type: __orm::key_sql_type::<#model>(),
                rust_type: __orm::key_rust_type::<#model>(),
                nullable: false,
                primary_key: true,
                autoincrement: false,
                unique: false,
                index: #indexed,
                length: __orm::None,
                declared_type: __orm::None,
                server_default: __orm::None,
                renamed_from: __orm::None,
                foreign_key: __orm::Some(__orm::ForeignKeyDef {
                    name: __orm::None,
                    table: #table,
                    column: #key,
                    on_delete: __orm::ReferentialAction::Cascade,
                    on_update: __orm::ReferentialAction::NoAction,
                }),
            }
        }
    };
    let index_name = format!("ix_{name}_{}", second.0);
    let second_name = &second.0;
    let (first_def, second_def) = (column(&first, false), column(&second, true));
    quote! {
        static #assoc: __orm::TableDef = __orm::TableDef {
            name: #name,
            model: #name,
            columns: &[#first_def, #second_def],
            primary_key: &[0, 1],
            uniques: &[],
            indexes: &[__orm::IndexDef { name: #index_name, columns: &[#second_name], predicate: __orm::None }],
            checks: &[],
            relationships: &[],
            version: __orm::None,
            created_at: __orm::None,
            updated_at: __orm::None,
            renamed_from: __orm::None,
            loader: {
                // Association rows are never loaded as objects.
                static __NO_LOADER: __orm::LoaderSlot = __orm::LoaderSlot::new();
                &__NO_LOADER
            },
        };
    }
}

fn option(tokens: Option<TokenStream>) -> TokenStream {
    match tokens {
        Some(t) => quote!(__orm::Some(#t)),
        None => quote!(__orm::None),
    }
}

fn action(a: FkAction) -> TokenStream {
    match a {
        FkAction::NoAction => quote!(__orm::ReferentialAction::NoAction),
        FkAction::Restrict => quote!(__orm::ReferentialAction::Restrict),
        FkAction::Cascade => quote!(__orm::ReferentialAction::Cascade),
        FkAction::SetNull => quote!(__orm::ReferentialAction::SetNull),
        FkAction::SetDefault => quote!(__orm::ReferentialAction::SetDefault),
    }
}
