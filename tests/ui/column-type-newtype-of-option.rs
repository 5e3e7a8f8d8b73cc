use orm_core::prelude::*;

#[derive(ColumnType, Clone, Default)]
struct Nickname(Option<String>);

fn main() {}
