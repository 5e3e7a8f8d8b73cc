use orm_core::prelude::*;

#[derive(Model)]
struct Course {
    #[orm(primary_key)]
    id: i32,
    program_id: i32,
}

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    #[orm(has_many(Course, foreign_key = "program_id"), on_delete = "cascade")]
    courses: Vec<Course>,
}

fn main() {}
