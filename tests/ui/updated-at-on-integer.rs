use orm_core::prelude::*;

#[derive(Model)]
struct Page {
    #[orm(primary_key)]
    id: i32,
    #[orm(updated_at)]
    touched: i64,
}

fn main() {}
