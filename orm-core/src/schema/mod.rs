//! The schema layer: what the database holds, as static data the derive generates and
//! every layer above reads. Tables, columns and their types, keys, foreign keys and
//! indexes, relationship descriptions and the links they make between rows, the
//! [`Model`](model::Model) trait that binds a struct to a table, and the order tables
//! depend on each other in. Nothing here renders SQL or talks to a database.
//!
//! Imports only the shared base (`value`, `error`).

pub mod compile_checks;
pub mod decode;
pub mod described;
pub mod fields;
pub mod hooks;
pub(crate) mod identity_key;
#[cfg(feature = "json")]
pub mod json;
pub(crate) mod link;
pub(crate) mod managed;
pub mod mapped;
pub mod model;
pub mod relationship;
pub mod table;
pub mod table_order;
pub mod types;
