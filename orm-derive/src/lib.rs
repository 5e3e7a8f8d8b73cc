//! `#[derive(Model)]` for `orm-core`. Use it through `orm_core::prelude::*`; its
//! attributes are documented on `orm_core::Model`.
//!
//! The derive parses the struct into a validated model (`attr` -> `model` -> `check`),
//! collecting every error with the span of the token at fault, and only then generates
//! code from that model (`expand`).

mod attr;
mod check;
mod column_type;
mod ctxt;
mod embed;
mod expand;
mod from_row;
mod model;
mod symbol;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Maps a struct to a database table; see `orm_core::Model` for the attributes.
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// Stores a newtype as its inner type, or a fieldless enum by label; see
/// `orm_core::MappedType`.
#[proc_macro_derive(ColumnType, attributes(orm))]
pub fn derive_column_type(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    column_type::derive(&input).into()
}

/// Builds a struct from a value query's rows: its fields, in order, take the selected
/// values; see `orm_core::FromRow`.
#[proc_macro_derive(FromRow)]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_row::derive(&input).into()
}

/// Compiles a directory of migrations into the binary: `embed_migrations!("migrations")`
/// (relative to the crate's `Cargo.toml`) is an `orm_core::migration::Migrations`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let dir = parse_macro_input!(input as syn::LitStr);
    embed::expand(&dir).into()
}
