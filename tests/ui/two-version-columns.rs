use orm_core::prelude::*;

#[derive(Model)]
struct Page {
    #[orm(primary_key)]
    id: i32,
    #[orm(version)]
    version: i32,
    #[orm(version)]
    revision: i64,
}

fn main() {}
