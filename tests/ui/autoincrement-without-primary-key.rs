use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    #[orm(autoincrement = true)]
    number: i32,
}

fn main() {}
