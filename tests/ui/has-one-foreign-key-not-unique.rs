use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "profiles")]
struct Profile {
    #[orm(primary_key)]
    id: i32,
    #[orm(foreign_key = "users.id")]
    user_id: i32,
}

#[derive(Model)]
#[orm(table = "users")]
struct User {
    #[orm(primary_key)]
    id: i32,
    #[orm(has_one(Profile, foreign_key = "user_id"))]
    profile: HasOne<Profile>,
}

fn main() {}
