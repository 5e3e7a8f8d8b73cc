use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    #[orm(skip, unique)]
    cache: Vec<String>,
}

fn main() {}
