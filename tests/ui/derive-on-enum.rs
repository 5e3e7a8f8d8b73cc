use orm_core::prelude::*;

#[derive(Model)]
enum Grade {
    Pass,
    Fail,
}

fn main() {}
