use orm_core::prelude::*;

#[derive(Model)]
struct Course {
    #[orm(primary_key)]
    id: i32,
    title: String,
    #[orm(column = "title")]
    name: String,
}

fn main() {}
