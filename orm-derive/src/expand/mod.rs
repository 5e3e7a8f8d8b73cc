//! Code generation from the validated model.

mod crud;
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
    let table = table::expand(&model);
    let model_impl = row::expand(&model);
    let inherent = crud::expand(&model);
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            use ::orm_core::__private as __orm;
            #table
            #model_impl
            #inherent
        };
    }
}
