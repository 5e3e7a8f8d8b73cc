use orm_core::functions::count_all;
use orm_core::prelude::*;

#[derive(Model)]
struct Product {
    #[orm(primary_key)]
    id: i32,
    category: String,
}

#[derive(FromRow)]
struct PerCategory {
    category: String,
    products: i32,
}

fn main() {
    let engine = Engine::connect("sqlite::memory:").unwrap();
    let _: Vec<PerCategory> = Product::query().select((Product::CATEGORY, count_all())).all_as(&engine).unwrap();
}
