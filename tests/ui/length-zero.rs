use orm_core::prelude::*;

#[derive(Model)]
struct Course {
    #[orm(primary_key)]
    id: i32,
    #[orm(length = 0)]
    title: String,
}

fn main() {}
