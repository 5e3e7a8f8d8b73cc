use orm_core::prelude::*;

#[derive(Model)]
struct Student {
    #[orm(primary_key)]
    id: i32,
    #[orm(column = "email")]
    #[orm(column = "email_address")]
    email: String,
}

fn main() {}
