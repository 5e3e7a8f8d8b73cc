use orm_core::functions::{avg, sum};
use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    name: String,
    years: i32,
}

fn main() {
    let _ = sum(Program::NAME);
    let _ = avg(Program::NAME);
    let _ = Program::NAME * 2;
    let _ = Program::YEARS * Program::NAME;
    let _ = Program::YEARS * 2.5;
}
