use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: Option<i32>,
    name: String,
}

fn main() {}
