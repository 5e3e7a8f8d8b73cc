use orm_core::prelude::*;

#[derive(Model)]
#[orm(unique)]
struct Course {
    #[orm(primary_key)]
    id: i32,
    code: String,
}

fn main() {}
