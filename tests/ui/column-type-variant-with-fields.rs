use orm_core::prelude::*;

#[derive(ColumnType, Clone, Default)]
enum Shipping {
    #[default]
    Standard,
    Express { days: u8 },
}

fn main() {}
