//! The seed walkthrough's models one step later: a course has a description. The
//! migrations in `orm-examples/migrations` take a database from nothing to the seed's
//! schema (0001) and then to this one (0002); `cargo run -p orm-examples --bin migrate`
//! is their command line, `--bin migrations` a walkthrough.

use orm_core::prelude::*;

/// A program of study.
#[derive(Model, Debug)]
#[orm(table = "programs")]
pub struct Program {
    /// The key.
    #[orm(primary_key)]
    pub id: i32,
    /// Its name.
    pub name: String,
    /// How many years it takes.
    pub years_of_study: i32,
    /// Its courses.
    #[orm(has_many(Course, foreign_key = "program_id", backref = "program", passive_deletes))]
    pub courses: HasMany<Course>,
}

/// A course of a program.
#[derive(Model, Debug)]
#[orm(table = "courses")]
pub struct Course {
    /// The key.
    #[orm(primary_key)]
    pub id: i32,
    /// Its title.
    pub title: String,
    /// Its code.
    pub code: String,
    /// The program it belongs to.
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    pub program_id: i32,
    /// What it teaches (added by migration 0002).
    pub description: Option<String>,
}

/// The models the migrations follow.
pub fn models() -> [&'static TableDef; 2] {
    [Program::table(), Course::table()]
}
