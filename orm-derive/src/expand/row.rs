//! `impl Model`: keys, row decoding, and column access by position.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Model, Role};

pub fn expand(model: &Model<'_>) -> TokenStream {
    let ident = model.ident;
    let pk_fields: Vec<_> = model.primary_key.iter().map(|&i| &model.fields[i]).collect();
    let pk_type = match pk_fields.as_slice() {
        [one] => {
            let ty = one.ty;
            quote!(#ty)
        }
        many => {
            let tys = many.iter().map(|f| f.ty);
            quote!((#(#tys,)*))
        }
    };
    let pk_value = match pk_fields.as_slice() {
        [one] => {
            let f = one.ident;
            quote!(::core::clone::Clone::clone(&self.#f))
        }
        many => {
            let fs = many.iter().map(|f| f.ident);
            quote!((#(::core::clone::Clone::clone(&self.#fs),)*))
        }
    };
    // Column types are used through the helpers of `table::column_types`, so that a type
    // that is no `ColumnType` is reported once, there.
    let inits = model.fields.iter().map(|field| {
        let f = field.ident;
        match &field.role {
            Role::Column(c) => {
                let idx = c.index;
                quote!(#f: __orm_decode::<Self, #idx, R>(__row, __offset + #idx, &__TABLE)?)
            }
            _ => quote!(#f: ::core::default::Default::default()),
        }
    });
    let value_arms = model.columns().map(|(field, c)| {
        let (f, idx) = (field.ident, c.index);
        quote!(#idx => __orm_to_value::<Self, #idx>(&self.#f))
    });
    let equals_arms = model.columns().map(|(field, c)| {
        let (f, idx) = (field.ident, c.index);
        quote!(#idx => __orm_equals::<Self, #idx>(&self.#f, __value))
    });
    let take_arms = model.columns().map(|(field, c)| {
        let (f, idx) = (field.ident, c.index);
        quote!(#idx => __orm_take_value::<Self, #idx>(&mut self.#f))
    });
    let assign_arms = model.columns().map(|(field, c)| {
        let (f, idx) = (field.ident, c.index);
        quote!(#idx => __orm_assign::<Self, #idx>(&mut self.#f, __value, &__TABLE))
    });
    let take_pending = super::relations::take_pending_method(model);
    let moves = model.columns().map(|(field, _)| {
        let f = field.ident;
        quote!(self.#f = __other.#f;)
    });
    let table_name = &model.table;
    let key_column = model.key_column();
    let related = model.relations().map(|(_, r)| {
        let target = &r.target;
        quote!(<#target as __orm::Model>::learn_models();)
    });
    let (from_row_body, before_write) = if model.hooks {
        (
            quote! {
                let mut __obj = #ident { #(#inits),* };
                <Self as __orm::Hooks>::after_load(&mut __obj);
                __orm::Ok(__obj)
            },
            quote! {
                const HAS_HOOKS: bool = true;

                fn __before_write(&mut self, __inserting: bool) -> __orm::Result<()> {
                    __orm::run_write_hooks(self, __inserting)
                }
            },
        )
    } else {
        (quote!(__orm::Ok(#ident { #(#inits),* })), TokenStream::new())
    };
    quote! {
        #[automatically_derived]
        impl __orm::Model for #ident {
            type PrimaryKey = #pk_type;

            const TABLE: &'static __orm::TableDef = &__TABLE;
            const TABLE_NAME: &'static str = #table_name;
            const KEY_COLUMN: &'static str = #key_column;

            #[inline]
            fn primary_key(&self) -> Self::PrimaryKey {
                #pk_value
            }

            fn from_row<R: __orm::ColumnSource + ?Sized>(__row: &R, __offset: usize) -> __orm::Result<Self> {
                #from_row_body
            }

            #before_write

            #[inline]
            fn column_value(&self, __column: usize) -> __orm::Value {
                match __column {
                    #(#value_arms,)*
                    _ => __orm::Value::Null,
                }
            }

            #[inline]
            fn column_equals(&self, __column: usize, __value: &__orm::Value) -> bool {
                match __column {
                    #(#equals_arms,)*
                    _ => false,
                }
            }

            #[inline]
            fn take_column_value(&mut self, __column: usize) -> __orm::Value {
                match __column {
                    #(#take_arms,)*
                    _ => __orm::Value::Null,
                }
            }

            #take_pending

            #[inline]
            fn learn_models() {
                if __LOADER.is_set() {
                    return;
                }
                __LOADER.set(__orm::glue::<Self>());
                #(#related)*
            }

            #[inline]
            fn assign_columns(&mut self, __other: Self) {
                #(#moves)*
            }

            #[inline]
            fn set_column_value(&mut self, __column: usize, __value: __orm::Value) -> __orm::Result<()> {
                match __column {
                    #(#assign_arms,)*
                    _ => __orm::Err(__orm::no_such_column(&__TABLE, __column)),
                }
            }
        }
    }
}
