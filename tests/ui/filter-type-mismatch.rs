use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    name: String,
    years: i64,
}

fn main() {
    let _ = Program::ID.eq("3");
    let _ = Program::YEARS.eq(Program::NAME);
}
