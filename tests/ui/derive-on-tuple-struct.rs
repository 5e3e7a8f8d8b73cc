use orm_core::prelude::*;

#[derive(Model)]
struct Program(i32, String);

fn main() {}
