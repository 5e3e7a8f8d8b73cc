use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key = true)]
    id: i32,
    name: String,
}

fn main() {}
