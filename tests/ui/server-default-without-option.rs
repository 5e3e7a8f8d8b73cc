use orm_core::prelude::*;

#[derive(Model)]
struct Book {
    #[orm(primary_key)]
    id: i32,
    #[orm(server_default = "true")]
    in_print: bool,
}

fn main() {}
