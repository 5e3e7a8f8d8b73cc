use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "users")]
struct User {
    #[orm(primary_key)]
    id: i32,
    #[orm(many_to_many(User, secondary = "follows"))]
    follows: ManyToMany<User>,
}

fn main() {}
