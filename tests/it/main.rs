//! Integration tests against real databases; one binary, one module per area. The tests
//! register themselves (`on_both!`, `test_case!`); `main` runs them (see
//! `orm_tests::harness`).

mod arrays;
mod bulk;
mod crud;
mod ddl;
mod differential;
mod documents;
mod engine;
mod errors;
mod exact;
mod graphs;
mod hooks;
mod locking;
mod many_to_many;
mod mapped;
mod mariadb;
mod migration_names;
mod migrations;
mod models;
mod models_generated;
mod observe;
mod production;
mod projections;
mod props;
mod query;
mod relationships;
mod reliability;
mod session;
mod shapes;
mod streaming;
mod types;
mod ui;
mod versioning;

fn main() {
    orm_tests::harness::run()
}
