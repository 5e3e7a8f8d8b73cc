use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    #[orm(default = Some(3), server_default = "3")]
    years_of_study: Option<i32>,
}

fn main() {}
