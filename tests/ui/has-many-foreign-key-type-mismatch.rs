use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "courses")]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(foreign_key = "programs.id")]
    pub program_id: String,
}

#[derive(Model)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(has_many(Course, foreign_key = "program_id"))]
    pub courses: HasMany<Course>,
}

fn main() {}
