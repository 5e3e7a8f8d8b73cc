use orm_core::prelude::*;

#[derive(Model)]
struct Student {
    #[orm(primary_key)]
    id: i32,
    #[orm(unique, unique)]
    email: String,
}

fn main() {}
