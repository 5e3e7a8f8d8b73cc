use orm_core::prelude::*;

#[derive(Model)]
struct Student {
    #[orm(primary_key)]
    id: i32,
    tags: Option<std::collections::HashSet<String>>,
}

fn main() {}
