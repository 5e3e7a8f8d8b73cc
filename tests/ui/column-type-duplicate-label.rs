use orm_core::prelude::*;

#[derive(ColumnType, Clone, Default)]
enum Format {
    #[default]
    Paperback,
    #[orm(rename = "paperback")]
    SoftCover,
}

fn main() {}
