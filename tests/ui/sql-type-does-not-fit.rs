use orm_core::prelude::*;

#[derive(Model)]
struct Person {
    #[orm(primary_key)]
    id: i32,
    // A declared type must hold the field's values.
    #[orm(sql_type = "TEXT")]
    age: i32,
    #[orm(text)]
    visits: Option<i64>,
    // The length goes in the type, or alone.
    #[orm(sql_type = "VARCHAR(20)", length = 20)]
    nick: String,
    #[orm(sql_type = "TEXT", text)]
    bio: String,
}

fn main() {}
