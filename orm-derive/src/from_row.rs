//! `#[derive(FromRow)]`: a struct built from a value query's row, its named fields taking
//! the selected values in order.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::ctxt::Ctxt;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) if !named.named.is_empty() && named.named.len() <= 16 => Some(&named.named),
            Fields::Named(named) if named.named.len() > 16 => {
                cx.error_spanned_by(
                    &input.ident,
                    "#[derive(FromRow)] takes at most 16 fields (a query selects up to 16 values)",
                );
                None
            }
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "#[derive(FromRow)] needs a struct with named fields, one per selected value",
                );
                None
            }
        },
        _ => {
            cx.error_spanned_by(&input.ident, "#[derive(FromRow)] works on structs with named fields");
            None
        }
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "#[derive(FromRow)] does not support generic structs");
    }
    if let Err(errors) = cx.check() {
        return errors.to_compile_error();
    }
    let Some(fields) = fields else { return TokenStream::new() };
    let ident = &input.ident;
    let names: Vec<_> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let index = (0..names.len()).map(syn::Index::from);
    quote! {
        #[automatically_derived]
        impl ::orm_core::FromRow for #ident {
            type Values = (#(#types,)*);
            fn from_values(values: Self::Values) -> Self {
                #ident { #(#names: values.#index),* }
            }
        }
    }
}
