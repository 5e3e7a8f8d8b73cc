use orm_core::prelude::*;

#[derive(Model)]
struct Grid {
    #[orm(primary_key)]
    id: i32,
    cells: Vec<Vec<i32>>,
}

fn main() {}
