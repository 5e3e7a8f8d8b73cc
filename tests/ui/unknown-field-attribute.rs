use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary)]
    id: i32,
    name: String,
}

fn main() {}
