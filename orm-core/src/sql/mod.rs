//! The SQL layer: SQL as values, rendered to text and bound parameters for a
//! [`Dialect`](dialect::Dialect), with no connection. Dialects, the SQL writer, typed
//! column and relationship handles and the filter expressions built from them, SELECTs
//! over a model, DDL text, and the SQL texts cached per query shape.
//!
//! Imports only the schema layer and the shared base.

pub mod arithmetic;
pub(crate) mod cache;
pub mod cte;
pub mod ddl;
pub mod dialect;
pub(crate) mod dml;
pub(crate) mod document;
pub mod expr;
pub mod functions;
pub(crate) mod nulls;
pub mod operand;
pub mod projection;
pub mod query;
pub mod relationship;
pub(crate) mod select;
pub mod source;
pub(crate) mod storage;
pub(crate) mod writer;
pub(crate) mod writes;
