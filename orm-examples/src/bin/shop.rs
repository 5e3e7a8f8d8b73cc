//! A small shop: customers, their orders, the order lines and the products they name.
//! Shows more than the seed: every relationship shape (one-to-many, one-to-one,
//! many-to-many, a self-referential tree), eager loading through several levels, queries
//! along relationships, updates of loaded objects, a business rule that rolls a savepoint
//! back, a transaction rolled back, an enum column, optimistic locking (a version
//! counter), a CHECK constraint and a validation hook.
//!
//! Run it with `cargo run -p orm-examples --bin shop` (`DATABASE_URL` as for the seed).

use orm_core::prelude::*;
use orm_examples::shop::*;

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
    let tables = [
        Customer::table(),
        LoyaltyCard::table(),
        Category::table(),
        Product::table(),
        Order::table(),
        OrderLine::table(),
    ];
    engine.create_all(&tables)?; // and product_categories, the many-to-many's association table

    // Stock the shop and register two customers: one commit, one INSERT per table (and
    // per level of the category tree).
    let mut db = engine.session();
    let mut food = Category::new("Food");
    food.children.push(Category::new("Drinks"));
    food.children.push(Category::new("Sweets"));
    let food = db.add(food);
    let drinks = food.children(&mut db)?.get(0).expect("Drinks");
    let sweets = food.children(&mut db)?.get(1).expect("Sweets");
    let tea = db.add(Product::new("TEA-1", "Green tea", 450, 10));
    tea.categories(&mut db)?.push_obj(&drinks)?;
    let cake = db.add(Product::new("CAKE-2", "Lemon cake", 1200, 2));
    cake.categories(&mut db)?.push_obj(&sweets)?;
    let mut ann = Customer::new("ann@example.com", "Ann");
    ann.card.set(LoyaltyCard::new());
    let ann = db.add(ann);
    let bob = db.add(Customer::new("bob@example.com", "Bob"));
    db.commit()?;

    // Ann orders; the order and its lines get their keys and foreign keys at commit.
    let order = ann.orders(&mut db)?.push(Order::new());
    order_product(&mut db, &order, &tea, 3)?;
    order_product(&mut db, &order, &cake, 1)?;
    if let Some(card) = ann.card(&mut db)? {
        card.get_mut().points += 10;
    }
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
    db.commit()?; // UPDATE products SET price_cents = .., version = .. for the tea only
    println!("tea is at version {}", tea.get().version);

    // Another session sells the last cake meanwhile: this session's copy is stale.
    let mut other = engine.session();
    let same_cake = other.get::<Product>(cake.get().id)?.expect("the cake");
    same_cake.get_mut().stock -= 1;
    other.commit()?;
    cake.get_mut().stock -= 1;
    let stale = db.commit().expect_err("a stale version");
    println!("selling the cake twice: {:?}", stale.kind());
    db.rollback()?;
    db.refresh(&cake)?;

    // A customer whose email is no email is refused before anything is written.
    db.add(Customer::new("nobody", "Nobody"));
    println!("refused: {:?}", db.commit().expect_err("invalid").kind());
    db.rollback()?;
    order.get_mut().status = OrderStatus::Paid;
    db.commit()?;

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
                let product = line.product(&mut db)?; // from the identity map after the first
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

    // Queries along relationships: a join, existence filters (one level, two levels and
    // through the association table), counts per parent, a walk up the tree.
    let ann_orders = Order::query().join(Order::CUSTOMER).filter(Customer::NAME.eq("Ann")).count(&engine)?;
    println!("orders of customers named Ann: {ann_orders}");
    let tea_id = tea.get().id;
    let tea_buyers = Customer::query().filter(Customer::ORDERS.any(Order::LINES.any(OrderLine::PRODUCT_ID.eq(tea_id))));
    let tea_buyers: Vec<String> = tea_buyers.all(&engine)?.into_iter().map(|c| c.name).collect();
    println!("bought tea: {tea_buyers:?}");
    let drinks_on_sale =
        Product::query().filter(Product::CATEGORIES.any(Category::NAME.eq("Drinks"))).count(&engine)?;
    println!("drinks on sale: {drinks_on_sale}");
    for (customer, orders) in Customer::query().order_by(Customer::NAME).with_counts(Customer::ORDERS, &engine)? {
        println!("{} has {orders} order(s)", customer.name);
    }
    let cake = db.query::<Product>().filter(Product::SKU.eq("CAKE-2")).one()?;
    let category = cake.categories(&mut db)?.get(0).expect("a category");
    let parent = category.parent(&mut db)?.expect("a parent");
    println!("{} is in {} > {}", cake.get().title, parent.get().name, category.get().name);
    let ann = db.query::<Customer>().filter(Customer::NAME.eq("Ann")).one()?;
    let points = ann.card(&mut db)?.map_or(0, |card| card.get().points);
    println!("Ann's card: {points} points");
    let paid = db.query::<Order>().filter(Order::STATUS.eq(OrderStatus::Paid)).count()?;
    println!("paid orders: {paid}");

    // Closing Bob's account deletes his (empty) orders with him.
    let bob = db.query::<Customer>().filter(Customer::EMAIL.eq("bob@example.com")).one()?;
    db.delete(&bob)?;
    db.commit()?;
    println!("customers left: {}", db.query::<Customer>().count()?);
    Ok(())
}
