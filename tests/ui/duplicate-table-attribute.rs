use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "students", table = "pupils")]
struct Student {
    #[orm(primary_key)]
    id: i32,
}

fn main() {}
