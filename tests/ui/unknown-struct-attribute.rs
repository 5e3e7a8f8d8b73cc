use orm_core::prelude::*;

#[derive(Model)]
#[orm(name = "programs")]
struct Program {
    #[orm(primary_key)]
    id: i32,
}

fn main() {}
