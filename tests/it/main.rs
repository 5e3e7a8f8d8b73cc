//! Integration tests against real databases; one binary, one module per area.

mod crud;
mod ddl;
mod engine;
mod errors;
mod models;
mod props;
mod query;
mod relationships;
mod reliability;
mod session;
mod types;
mod ui;
