//! Models shared by the tests.

use orm_core::prelude::*;

/// The seed's parent table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub years_of_study: i32,
}

/// The seed's child table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "courses")]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub code: String,
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    pub program_id: i32,
}
