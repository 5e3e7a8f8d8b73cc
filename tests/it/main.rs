//! Integration tests against real databases; one binary, one module per area.

mod crud;
mod ddl;
mod engine;
mod errors;
mod models;
mod query;
mod relationships;
mod session;
mod shapes;
mod types;
mod ui;
