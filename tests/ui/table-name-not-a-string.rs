use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = programs)]
struct Program {
    #[orm(primary_key)]
    id: i32,
}

fn main() {}
