//! A small shop: customers, their orders, the order lines and the products they name.
//! Shows more than the seed: eager loading through several levels, updates of loaded
//! objects, a business rule that rolls a savepoint back, and a transaction rolled back.
//!
//! Run it with `cargo run -p orm-examples --bin shop` (`DATABASE_URL` as for the seed).

use orm_core::prelude::*;

#[derive(Model, Debug)]
#[orm(table = "customers")]
pub struct Customer {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique, length = 120)]
    pub email: String,
    pub name: String,
    #[orm(has_many(Order, foreign_key = "customer_id", backref = "customer", cascade = "all, delete-orphan"))]
    pub orders: HasMany<Order>,
}

#[derive(Model, Debug)]
#[orm(table = "products")]
pub struct Product {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub sku: String,
    pub title: String,
    pub price_cents: i64,
    pub stock: i32,
}

#[derive(Model, Debug)]
#[orm(table = "orders")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(foreign_key = "customers.id", on_delete = "cascade")]
    pub customer_id: i32,
    #[orm(default = "open")]
    pub status: String,
    #[orm(has_many(OrderLine, foreign_key = "order_id", backref = "order", cascade = "all, delete-orphan"))]
    pub lines: HasMany<OrderLine>,
}

#[derive(Model, Debug)]
#[orm(table = "order_lines")]
pub struct OrderLine {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(foreign_key = "orders.id", on_delete = "cascade")]
    pub order_id: i64,
    #[orm(foreign_key = "products.id")]
    pub product_id: i32,
    pub quantity: i32,
}

/// Adds a line to an order, taking the quantity out of stock; refuses (with an error the
/// caller may roll back) when the stock is too small.
fn order_product(db: &mut Session, order: &Obj<Order>, product: &Obj<Product>, quantity: i32) -> orm_core::Result<()> {
    let left = product.get().stock - quantity;
    if left < 0 {
        return Err(orm_core::Error::custom(format!("only {} of {} left", product.get().stock, product.get().title)));
    }
    product.get_mut().stock = left;
    let mut line = OrderLine::new(quantity);
    line.product_id = product.get().id;
    order.lines(db)?.push(line);
    Ok(())
}

fn main() -> orm_core::Result<()> {
    let url = orm_examples::database_url();
    let engine = Engine::builder(&url).echo(std::env::var_os("ECHO").is_some()).build()?;
    let tables = [Customer::table(), Product::table(), Order::table(), OrderLine::table()];
    engine.create_all(&tables)?;

    // Stock the shop and register two customers: one commit, one INSERT per table.
    let mut db = engine.session();
    let tea = db.add(Product::new("TEA-1", "Green tea", 450, 10));
    let cake = db.add(Product::new("CAKE-2", "Lemon cake", 1200, 2));
    let ann = db.add(Customer::new("ann@example.com", "Ann"));
    let bob = db.add(Customer::new("bob@example.com", "Bob"));
    db.commit()?;

    // Ann orders; the order and its lines get their keys and foreign keys at commit.
    let order = ann.orders(&mut db)?.push(Order::new());
    order_product(&mut db, &order, &tea, 3)?;
    order_product(&mut db, &order, &cake, 1)?;
    db.commit()?;

    // Bob wants three cakes: the savepoint undoes his whole order, Ann's stays.
    let refused = db.begin_nested(|db| {
        let order = bob.orders(db)?.push(Order::new());
        order_product(db, &order, &tea, 1)?;
        order_product(db, &order, &cake, 3)
    });
    println!("Bob's order: {}", refused.err().map_or("accepted".to_owned(), |e| e.to_string()));
    db.commit()?;

    // A price change and a mistake, rolled back together.
    tea.get_mut().price_cents = 500;
    cake.get_mut().price_cents = 0;
    db.rollback()?;
    println!("after rollback, cake costs {} cents", cake.get().price_cents);
    tea.get_mut().price_cents = 500;
    db.commit()?; // UPDATE products SET price_cents = ... for the tea only

    // A report in three statements, whatever the number of customers and orders.
    let mut db = engine.session();
    let customers = db
        .query::<Customer>()
        .order_by(Customer::NAME)
        .options(selectinload(Customer::ORDERS).then(selectinload(Order::LINES)))
        .all()?;
    for customer in &customers {
        let orders = customer.orders(&mut db)?.to_vec();
        println!("{}: {} order(s)", customer.get().name, orders.len());
        for order in orders {
            for line in order.lines(&mut db)?.to_vec() {
                let product = db.get::<Product>(line.get().product_id)?.expect("product");
                let (quantity, product) = (line.get().quantity, product.get());
                println!("  {quantity} x {} at {} cents", product.title, product.price_cents);
            }
        }
    }
    let stock: Vec<(String, i32)> = db
        .query::<Product>()
        .order_by(Product::SKU)
        .all()?
        .iter()
        .map(|p| (p.get().sku.clone(), p.get().stock))
        .collect();
    println!("stock: {stock:?}");

    // Closing Bob's account deletes his (empty) orders with him.
    let bob = db.query::<Customer>().filter(Customer::EMAIL.eq("bob@example.com")).one()?;
    db.delete(&bob)?;
    db.commit()?;
    println!("customers left: {}", db.query::<Customer>().count()?);
    Ok(())
}
