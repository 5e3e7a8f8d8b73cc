use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key, autoincrement = true)]
    code: String,
    name: String,
}

fn main() {}
