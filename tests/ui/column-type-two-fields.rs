use orm_core::prelude::*;

#[derive(ColumnType, Clone, Default)]
struct Point(i32, i32);

fn main() {}
