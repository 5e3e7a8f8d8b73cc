//! Code generation from the validated model.

mod crud;
mod relations;
mod row;
mod table;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ctxt::Ctxt;
use crate::model::Model;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = Model::from_ast(&cx, input);
    if let Err(errors) = cx.check() {
        return errors.to_compile_error();
    }
    let Some(model) = model else {
        return TokenStream::new();
    };
    let column_types = table::column_types(&model);
    let table = table::expand(&model);
    let model_impl = row::expand(&model);
    let inherent = crud::expand(&model);
    let public = relations::expand_public(&model);
    let relations = relations::expand_private(&model);
    quote! {
        #public

        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            use ::orm_core::__private as __orm;
            #column_types
            #table
            #model_impl
            #inherent
            #relations
        };
    }
}
