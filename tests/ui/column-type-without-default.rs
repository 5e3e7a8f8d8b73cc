use orm_core::prelude::*;

#[derive(ColumnType, Clone)]
enum Format {
    Paperback,
    Hardcover,
}

fn main() {}
