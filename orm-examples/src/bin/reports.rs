//! Business questions on the shop's data, each one query: top customers by spend, revenue
//! per category rolled up its tree, products never ordered, a job queue two workers claim
//! without overlap, an upsert of stock levels, a price rise by criteria that the session's
//! objects follow, every customer with or without orders (outer joins), order sizes from
//! a subquery, and more. The same answers on SQLite and PostgreSQL.
//!
//! Run it with `cargo run -p orm-examples --bin reports` (`DATABASE_URL` as for the seed).

use orm_core::Insert;
use orm_core::functions::{avg, coalesce, count_all, count_distinct, max, not_exists, round, sum, when};
use orm_core::prelude::*;
use orm_examples::shop::*;

/// A job for the workers: claimed by one of them.
#[derive(Model, Debug, Clone)]
#[orm(table = "report_jobs")]
pub struct Job {
    #[orm(primary_key)]
    pub id: i32,
    pub claimed_by: Option<String>,
}

/// The shop's data: a category tree, products, three customers and their orders.
fn stock_the_shop(engine: &Engine) -> orm_core::Result<()> {
    let mut db = engine.session();
    let mut food = Category::new("Food");
    let mut drinks = Category::new("Drinks");
    drinks.children.push(Category::new("Tea"));
    food.children.push(drinks);
    food.children.push(Category::new("Sweets"));
    let food = db.add(food);
    db.add(Category::new("Kitchen"));
    db.commit()?;
    let category = |db: &mut Session, name: &str| db.query::<Category>().filter(Category::NAME.eq(name)).one();
    let products = [
        ("TEA-1", "Green tea", 450, 50, "Tea"),
        ("TEA-2", "Black tea", 400, 30, "Tea"),
        ("JUICE-1", "Apple juice", 300, 20, "Drinks"),
        ("CAKE-2", "Lemon cake", 1200, 5, "Sweets"),
        ("MUG-1", "Blue mug", 900, 10, "Kitchen"),
    ];
    for (sku, title, price, stock, in_category) in products {
        let product = db.add(Product::new(sku, title, price, stock));
        let c = category(&mut db, in_category)?;
        product.categories(&mut db)?.push_obj(&c)?;
    }
    db.commit()?;
    let _ = food;
    let product = |db: &mut Session, sku: &str| db.query::<Product>().filter(Product::SKU.eq(sku)).one();
    for (email, name, orders) in [
        ("ann@example.com", "Ann", vec![vec![("TEA-1", 3), ("CAKE-2", 1)], vec![("MUG-1", 2)]]),
        ("bob@example.com", "Bob", vec![vec![("TEA-2", 5)]]),
        ("cyd@example.com", "Cyd", vec![]),
    ] {
        let customer = db.add(Customer::new(email, name));
        for lines in orders {
            let order = customer.orders(&mut db)?.push(Order::new());
            for (sku, quantity) in lines {
                let p = product(&mut db, sku)?;
                let mut line = OrderLine::new(quantity);
                line.product_id = p.get().id;
                order.lines(&mut db)?.push(line);
            }
        }
    }
    db.commit()
}

/// Claims up to `n` unclaimed jobs for `worker`, skipping those another worker holds
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write transaction, taken at BEGIN,
/// already lets one worker in at a time).
fn claim(engine: &Engine, worker: &str, n: u64) -> orm_core::Result<Vec<i32>> {
    let mut db = engine.session();
    let mut next = Job::query().filter(Job::CLAIMED_BY.is_null()).order_by(Job::ID).limit(n);
    if engine.dialect().row_locks() {
        next = next.for_update().skip_locked();
    } else {
        db.execute("UPDATE report_jobs SET claimed_by = claimed_by WHERE 1 = 0", &[])?; // BEGIN IMMEDIATE
    }
    let jobs = db.select(next).all()?;
    for job in &jobs {
        job.get_mut().claimed_by = Some(worker.to_owned());
    }
    db.commit()?;
    Ok(jobs.iter().map(|j| j.get().id).collect())
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
        Job::table(),
    ];
    engine.create_all(&tables)?;
    stock_the_shop(&engine)?;
    // An INTEGER quantity times a BIGINT price is a BIGINT (i64), as SQL computes it.
    let line_total = OrderLine::QUANTITY * Product::PRICE_CENTS;

    // 1. Top customers by spend (one named expression, selected and ordered by).
    let spent = sum(&line_total);
    let spend: Vec<(String, Option<i64>)> = OrderLine::query()
        .join(OrderLine::ORDER)
        .join(Order::CUSTOMER)
        .join(OrderLine::PRODUCT)
        .select((Customer::NAME, &spent))
        .group_by(Customer::NAME)
        .order_by(spent.desc())
        .all(&engine)?;
    println!("1. spend: {spend:?}");

    // 2. Revenue per top category, rolled up its tree (a recursive walk).
    let roots = Category::query().filter(Category::PARENT_ID.is_null()).order_by(Category::NAME).all(&engine)?;
    for root in roots {
        let tree = Category::query().filter(Category::ID.eq(root.id)).descendants(Category::CHILDREN).all(&engine)?;
        let ids: Vec<i32> = tree.iter().map(|c| c.id).collect();
        let revenue = OrderLine::query()
            .join(OrderLine::PRODUCT)
            .join(Product::CATEGORIES)
            .filter(Category::ID.in_(ids))
            .select(sum(&line_total))
            .one(&engine)?;
        println!("2. {} ({} categories): {}", root.name, tree.len(), revenue.unwrap_or(0));
    }

    // 3. Products never ordered.
    let never: Vec<String> = Product::query()
        .filter(Product::ID.not_in_query(OrderLine::query().select(OrderLine::PRODUCT_ID)))
        .select(Product::SKU)
        .order_by(Product::SKU)
        .all(&engine)?;
    println!("3. never ordered: {never:?}");

    // 4. Customers without an order (a correlated NOT EXISTS).
    let idle: Vec<String> = Customer::query()
        .filter(not_exists(Order::query().filter(Order::CUSTOMER_ID.eq(Customer::ID)).select(Order::ID)))
        .select(Customer::NAME)
        .all(&engine)?;
    println!("4. no orders yet: {idle:?}");

    // 5. Orders, lines and distinct products per customer.
    let per_customer: Vec<(String, i64, i64)> = OrderLine::query()
        .join(OrderLine::ORDER)
        .join(Order::CUSTOMER)
        .select((Customer::NAME, count_all(), count_distinct(OrderLine::PRODUCT_ID)))
        .group_by(Customer::NAME)
        .order_by(Customer::NAME)
        .all(&engine)?;
    println!("5. lines and products: {per_customer:?}");

    // 6. Products by units sold, most first.
    let units = sum(OrderLine::QUANTITY);
    let ranked: Vec<(String, Option<i64>)> = OrderLine::query()
        .join(OrderLine::PRODUCT)
        .select((Product::SKU, &units))
        .group_by(Product::SKU)
        .order_by(units.desc())
        .all(&engine)?;
    let ranked: Vec<String> = ranked.iter().map(|(sku, n)| format!("{sku}x{}", n.unwrap_or(0))).collect();
    println!("6. units sold: {ranked:?}");

    // 7. Price bands.
    let band = when(Product::PRICE_CENTS.lt(500), "budget").otherwise("premium");
    let bands: Vec<(String, i64)> = Product::query()
        .select((band.clone(), count_all()))
        .group_by(band)
        .order_by(count_all().desc())
        .all(&engine)?;
    println!("7. price bands: {bands:?}");

    // 8. The average line value, and the average price of what is in stock.
    let average_line = OrderLine::query().join(OrderLine::PRODUCT).select(avg(&line_total)).one(&engine)?;
    let average_price = Product::query().filter(Product::STOCK.gt(0)).select(avg(Product::PRICE_CENTS)).one(&engine)?;
    println!("8. average line {:.0}, average price {:.0}", average_line.unwrap_or(0.0), average_price.unwrap_or(0.0));

    // 9. A job queue: two workers claim at the same time, never the same job.
    let mut queue = engine.session();
    queue.add_all((0..10).map(|_| Job::new(None)));
    queue.commit()?;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| claim(&engine, "worker-a", 5));
        let b = s.spawn(|| claim(&engine, "worker-b", 5));
        (a.join().expect("worker a"), b.join().expect("worker b"))
    });
    let (mut a, b) = (a?, b?);
    let overlap = a.iter().filter(|id| b.contains(id)).count();
    a.extend(&b);
    a.sort_unstable();
    println!("9. jobs claimed: {} by two workers, {overlap} twice", a.len());

    // 10. Stock levels from a delivery note: new products go in, known ones are updated.
    let delivery = [Product::new("TEA-1", "Green tea", 450, 80), Product::new("TEA-3", "White tea", 700, 12)];
    let written = Insert::rows(delivery).on_conflict(Product::SKU).do_update(Product::STOCK).execute(&engine)?;
    let levels: Vec<(String, i32)> = Product::query()
        .filter(Product::SKU.like("TEA-%"))
        .select((Product::SKU, Product::STOCK))
        .order_by(Product::SKU)
        .all(&engine)?;
    println!("10. delivery wrote {written} rows: {levels:?}");

    // 11. A 10% price rise on everything under 5 euros; the loaded objects follow.
    let mut db = engine.session();
    let tea = db.query::<Product>().filter(Product::SKU.eq("TEA-2")).one()?;
    let cheap = Product::query().filter(Product::PRICE_CENTS.lt(500));
    let raised = db.update(cheap, [Product::PRICE_CENTS.set(Product::PRICE_CENTS * 11 / 10)])?;
    db.commit()?;
    println!("11. raised {raised} prices; black tea now {} cents", tea.get().price_cents);

    // 12. Categories with their parent's name (the table joined again under an alias).
    let pairs: Vec<(String, String)> = Category::query()
        .join_as(Category::PARENT, "up")
        .select((Category::NAME, Category::NAME.of("up")))
        .order_by(Category::NAME)
        .all(&engine)?;
    println!("12. parents: {pairs:?}");

    // 13. Every customer, with or without orders: outer joins, the spend NULL where there
    //     is none (coalesced to 0), biggest spenders first.
    let spent = coalesce(sum(OrderLine::QUANTITY * Product::PRICE_CENTS), 0);
    let everyone: Vec<(String, i64, i64)> = Customer::query()
        .left_join(Customer::ORDERS)
        .left_join(Order::LINES)
        .left_join(OrderLine::PRODUCT)
        .select((Customer::NAME, count_distinct(Order::ID), &spent))
        .group_by(Customer::NAME)
        .order_by(spent.desc())
        .order_by(Customer::NAME)
        .all(&engine)?;
    println!("13. every customer: {everyone:?}");

    // 14. Order sizes, from a subquery in FROM: lines and units per order, then their
    //     average and maximum.
    let sizes = OrderLine::query()
        .select((OrderLine::ORDER_ID, count_all(), sum(OrderLine::QUANTITY)))
        .group_by(OrderLine::ORDER_ID)
        .subquery("sizes");
    let (_, lines, units) = sizes.columns();
    let (average_lines, most_units) = sizes.query().select((round(avg(lines), 2), max(units))).one(&engine)?;
    println!("14. lines per order {average_lines:?} on average, at most {most_units:?} units");

    // 15. Every category with its parent, the roots too (the table again, outer-joined).
    let parents: Vec<(String, Option<String>)> = Category::query()
        .left_join_as(Category::PARENT, "up")
        .select((Category::NAME, Category::NAME.of("up").nullable()))
        .order_by(Category::NAME)
        .all(&engine)?;
    println!("15. categories and parents: {parents:?}");
    Ok(())
}
