//! Integration tests against real databases; one binary, one module per area.

mod crud;
mod ddl;
mod engine;
mod errors;
mod many_to_many;
mod models;
mod props;
mod query;
mod relationships;
mod reliability;
mod session;
mod shapes;
mod types;
mod ui;
