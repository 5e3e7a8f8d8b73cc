use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    id: i32,
    name: String,
}

fn main() {}
