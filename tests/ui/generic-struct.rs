use orm_core::prelude::*;

#[derive(Model)]
struct Setting<T> {
    #[orm(primary_key)]
    id: i32,
    value: T,
}

fn main() {}
