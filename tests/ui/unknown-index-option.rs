use orm_core::prelude::*;

#[derive(Model)]
#[orm(index(shelf, method = "hash"))]
struct Slot {
    #[orm(primary_key)]
    id: i32,
    shelf: i32,
}

fn main() {}
