use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    #[orm(renamed_from = "name")]
    name: String,
}

fn main() {}
