//! Integration tests against real databases; one binary, one module per area.

mod ddl;
mod models;
