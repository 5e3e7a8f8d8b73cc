use orm_core::prelude::*;

#[derive(Model)]
struct Course {
    #[orm(primary_key)]
    id: i32,
    #[orm(on_delete = "cascade")]
    program_id: i32,
}

fn main() {}
