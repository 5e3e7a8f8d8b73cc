use orm_core::prelude::*;

#[derive(ColumnType, Clone, Default)]
#[orm(pg_enun = "format")]
enum Format {
    #[default]
    Paperback,
}

fn main() {}
