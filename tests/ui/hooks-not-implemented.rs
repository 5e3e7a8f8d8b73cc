use orm_core::prelude::*;

#[derive(Model)]
#[orm(hooks)]
struct Article {
    #[orm(primary_key)]
    id: i32,
    title: String,
}

fn main() {}
