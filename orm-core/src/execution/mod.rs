//! The execution layer: running SQL on a database. URLs, the backends (PostgreSQL,
//! SQLite) behind one connection type, the engine and its pool, statement logging,
//! result rows and their decoding, multi-row statements, and queries and CRUD without a
//! session.
//!
//! Imports only the SQL and schema layers and the shared base.

pub(crate) mod backend;
pub(crate) mod batch;
#[cfg(feature = "postgres")]
pub(crate) mod connect_error;
pub mod connection;
pub mod crud;
pub(crate) mod ddl;
pub mod echo;
pub mod engine;
pub mod pool_stats;
pub mod query;
pub mod reflect;
#[cfg(feature = "postgres")]
pub(crate) mod replicas;
pub mod row;
pub mod tls;
pub(crate) mod url;
