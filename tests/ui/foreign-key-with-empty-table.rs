use orm_core::prelude::*;

#[derive(Model)]
struct Course {
    #[orm(primary_key)]
    id: i32,
    #[orm(foreign_key = ".id")]
    program_id: i32,
}

fn main() {}
