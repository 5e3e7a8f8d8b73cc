//! `#[derive(ColumnType)]`: a newtype stored as its inner type, or a fieldless enum stored
//! by label. The input is parsed into a validated [`Mapping`] first; code is generated
//! from it second.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

use crate::attr::closest;
use crate::ctxt::Ctxt;
use crate::model::{MAX_NAME_BYTES, snake_case};

/// What the type is stored as.
enum Mapping<'a> {
    /// `struct Email(String)`: stored as the inner type.
    Newtype { inner: &'a Type },
    /// A fieldless enum: each variant stored as a label.
    Enum { pg_type: Option<String>, variants: Vec<(&'a Ident, String)> },
}

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let mapping = parse(&cx, input);
    if let Err(errors) = cx.check() {
        return errors.to_compile_error();
    }
    mapping.map(|m| expand(input, &m)).unwrap_or_default()
}

fn parse<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<Mapping<'a>> {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "#[derive(ColumnType)] does not support generic types");
    }
    let pg_type = type_attrs(cx, input);
    match &input.data {
        Data::Struct(s) => {
            if let Some(lit) = &pg_type {
                cx.error_spanned_by(lit, "`pg_enum` is for enums; a newtype is stored as its inner type");
            }
            match &s.fields {
                Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                    Some(Mapping::Newtype { inner: &fields.unnamed[0].ty })
                }
                _ => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(ColumnType)] on a struct needs exactly one unnamed field, \
                         e.g. `struct Email(String);`; for other types implement `orm_core::MappedType`",
                    );
                    None
                }
            }
        }
        Data::Enum(e) => {
            let mut variants = Vec::new();
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    cx.error_spanned_by(
                        &v.fields,
                        "#[derive(ColumnType)] maps fieldless enums only; this variant has fields",
                    );
                }
                let label = variant_label(cx, v).unwrap_or_else(|| snake_case(&v.ident.to_string()));
                if let Some((other, _)) = variants.iter().find(|(_, l)| *l == label) {
                    cx.error_spanned_by(
                        &v.ident,
                        format!("the label `{label}` is already used by `{other}`; give one a #[orm(rename = \"..\")]"),
                    );
                }
                variants.push((&v.ident, label));
            }
            if variants.is_empty() {
                cx.error_spanned_by(&input.ident, "an enum without variants has no value to store");
            }
            Some(Mapping::Enum { pg_type: pg_type.map(|l| l.value()), variants })
        }
        Data::Union(u) => {
            cx.error_spanned_by(u.union_token, "#[derive(ColumnType)] works on newtype structs and fieldless enums");
            None
        }
    }
}

/// `#[orm(pg_enum = "book_format")]` on the type.
fn type_attrs(cx: &Ctxt, input: &DeriveInput) -> Option<LitStr> {
    let mut pg_type: Option<LitStr> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("pg_enum") {
                let lit: LitStr = meta.value()?.parse()?;
                let name = lit.value();
                if name.is_empty() || name.len() > MAX_NAME_BYTES {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!("a PostgreSQL type name has 1 to {MAX_NAME_BYTES} bytes"),
                    ));
                }
                if pg_type.replace(lit).is_some() {
                    return Err(meta.error("duplicate orm attribute `pg_enum`; give it only once"));
                }
                Ok(())
            } else {
                let key = quote::ToTokens::to_token_stream(&meta.path).to_string();
                Err(meta.error(match closest(&key, &["pg_enum"]) {
                    Some(s) => format!("unknown ColumnType attribute `{key}`; did you mean `{s}`?"),
                    None => format!("unknown ColumnType attribute `{key}`; expected `pg_enum = \"type_name\"`"),
                }))
            }
        });
        if let Err(e) = r {
            cx.syn_error(e);
        }
    }
    pg_type
}

/// `#[orm(rename = "paper")]` on a variant.
fn variant_label(cx: &Ctxt, v: &syn::Variant) -> Option<String> {
    let mut label = None;
    for attr in v.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(lit.span(), "a label cannot be empty"));
                }
                label = Some(lit.value());
                Ok(())
            } else {
                let key = quote::ToTokens::to_token_stream(&meta.path).to_string();
                Err(meta.error(format!("unknown variant attribute `{key}`; expected `rename = \"label\"`")))
            }
        });
        if let Err(e) = r {
            cx.syn_error(e);
        }
    }
    label
}

fn expand(input: &DeriveInput, mapping: &Mapping<'_>) -> TokenStream {
    let ident = &input.ident;
    let name = ident.to_string();
    let body = match mapping {
        Mapping::Newtype { inner } => quote! {
            type Stored = #inner;
            const RUST_NAME: &'static str = #name;
            fn to_stored(&self) -> #inner {
                ::core::clone::Clone::clone(&self.0)
            }
            fn into_stored(self) -> #inner {
                self.0
            }
            fn from_stored(stored: #inner) -> ::core::result::Result<Self, ::std::string::String> {
                ::core::result::Result::Ok(#ident(stored))
            }
        },
        Mapping::Enum { pg_type, variants } => {
            let pg_type = match pg_type {
                Some(t) => quote!(::core::option::Option::Some(#t)),
                None => quote!(::core::option::Option::None),
            };
            let labels: Vec<&String> = variants.iter().map(|(_, l)| l).collect();
            let idents: Vec<&Ident> = variants.iter().map(|(i, _)| *i).collect();
            let expected = labels.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ");
            quote! {
                type Stored = ::std::string::String;
                const RUST_NAME: &'static str = #name;
                const SQL_TYPE: __orm::SqlType = __orm::SqlType::Enum(&__orm::EnumDef {
                    rust_name: #name,
                    pg_type: #pg_type,
                    labels: &[#(#labels),*],
                });
                fn to_stored(&self) -> ::std::string::String {
                    let label: &'static str = match self { #(#ident::#idents => #labels),* };
                    ::std::borrow::ToOwned::to_owned(label)
                }
                fn from_stored(stored: ::std::string::String) -> ::core::result::Result<Self, ::std::string::String> {
                    match stored.as_str() {
                        #(#labels => ::core::result::Result::Ok(#ident::#idents),)*
                        other => ::core::result::Result::Err(::std::format!("`{}` is none of {}", other, #expected)),
                    }
                }
            }
        }
    };
    quote! {
        #[allow(unused_qualifications, clippy::all)]
        const _: () = {
            use ::orm_core::__private as __orm;
            impl __orm::MappedType for #ident {
                #body
            }
        };
    }
}
