use orm_core::prelude::*;

#[derive(Model)]
struct Item {
    #[orm(primary_key)]
    id: i32,
    #[orm(check = " ")]
    price: i64,
}

fn main() {}
