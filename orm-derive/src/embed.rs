//! `embed_migrations!("migrations")`: a directory of migrations (relative to the calling
//! crate's `Cargo.toml`) compiled into the binary with `include_str!`, so that editing a
//! file rebuilds the crate.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// A migration's SQL files: (file name, absolute path).
type Files = Vec<(String, String)>;

pub fn expand(dir: &LitStr) -> TokenStream {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let path = std::path::Path::new(&root).join(dir.value());
    let entries = match std::fs::read_dir(&path) {
        Ok(entries) => entries,
        Err(e) => {
            let message = format!("cannot read the migrations directory {}: {e}", path.display());
            return syn::Error::new(dir.span(), message).to_compile_error();
        }
    };
    let mut migrations: Vec<(i64, String, Files)> = Vec::new();
    for entry in entries.flatten() {
        let dir_path = entry.path();
        let Some(dir_name) = dir_path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
        let Some((number, name)) = dir_name.split_once('_') else { continue };
        let Ok(version) = number.parse::<i64>() else { continue };
        if !dir_path.is_dir() {
            continue;
        }
        let mut files: Files = std::fs::read_dir(&dir_path)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|f| {
                let file = f.path();
                let file_name = file.file_name()?.to_str()?.to_owned();
                file_name.ends_with(".sql").then(|| (file_name, file.display().to_string()))
            })
            .collect();
        files.sort();
        if let Some((_, other, _)) = migrations.iter().find(|(v, _, _)| *v == version) {
            let message = format!("two migrations have version {version}: {other} and {name}; renumber one");
            return syn::Error::new(dir.span(), message).to_compile_error();
        }
        migrations.push((version, name.to_owned(), files));
    }
    migrations.sort_by_key(|(v, _, _)| *v);
    let items = migrations.iter().map(|(version, name, files)| {
        let files = files.iter().map(|(file, path)| quote!((#file, ::core::include_str!(#path))));
        quote! {
            ::orm_core::migration::EmbeddedMigration { version: #version, name: #name, files: &[#(#files),*] }
        }
    });
    quote! {
        ::orm_core::migration::Migrations::embedded({
            static MIGRATIONS: &[::orm_core::migration::EmbeddedMigration] = &[#(#items),*];
            MIGRATIONS
        })
    }
}
