use orm_core::prelude::*;

#[derive(Model)]
#[orm(unique(shelf, position, where = "archived = false"))]
struct Slot {
    #[orm(primary_key)]
    id: i32,
    shelf: i32,
    position: i32,
    archived: bool,
}

fn main() {}
