use orm_core::functions::max;
use orm_core::prelude::*;

#[derive(Model)]
struct Item {
    #[orm(primary_key)]
    id: i32,
    price: i64,
}

fn main() -> orm_core::Result<()> {
    let engine = Engine::connect("sqlite::memory:")?;
    // A scalar subquery is NULL when it finds no row: it reads as an Option.
    let _highest: Vec<i64> = Item::query().select(Item::query().select(max(Item::PRICE)).as_value()).all(&engine)?;
    let _gap: Vec<i64> = Item::query().select(Item::PRICE - Item::query().select(Item::PRICE).as_value()).all(&engine)?;
    Ok(())
}
