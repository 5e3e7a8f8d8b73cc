//! The query language run on every backend with the rows compared (issue 26): the same
//! reporting data in a SQLite file, a PostgreSQL schema and a MariaDB database, each
//! feature's queries run on all three, and the rows must be the same, and right (what
//! MySQL has no SQL for, FULL JOIN, is refused there with a message). Mixed calls in the order users mix
//! them; the NULLs an empty subquery or an outer join gives.

use std::fmt::Debug;

use orm_core::functions::{
    avg, coalesce, concat, count, count_all, function, max, rank, round, row_number, sum, value, when,
};
use orm_core::prelude::*;
use orm_core::{ErrorKind, Insert, Text, aliased, excluded};
use orm_tests::{TestDb, test_case};

#[derive(Model, Debug)]
#[orm(table = "customers")]
pub struct Customer {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub city: Option<String>,
    #[orm(has_many(Order, foreign_key = "customer_id", backref = "customer"))]
    pub orders: HasMany<Order>,
}

#[derive(Model, Debug)]
#[orm(table = "products")]
pub struct Product {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub sku: String,
    pub category: String,
    pub price: i64,
    pub list_price: Option<i64>,
    pub weight: f64,
    pub stock: i32,
    #[orm(has_many(OrderLine, foreign_key = "product_id", backref = "product"))]
    pub lines: HasMany<OrderLine>,
}

#[derive(Model, Debug)]
#[orm(table = "orders")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(foreign_key = "customers.id")]
    pub customer_id: i32,
    pub note: Option<String>,
    #[orm(has_many(OrderLine, foreign_key = "order_id", backref = "order"))]
    pub lines: HasMany<OrderLine>,
}

#[derive(Model, Debug)]
#[orm(table = "order_lines")]
pub struct OrderLine {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(foreign_key = "orders.id")]
    pub order_id: i64,
    #[orm(foreign_key = "products.id")]
    pub product_id: i32,
    pub quantity: i32,
}

/// Customers 1 Ann (Oslo), 2 Bob (Oslo), 3 Cyd (no city, no orders), 4 Dee (Rome, one
/// order with no lines); six products, two never ordered; orders 1 and 2 Ann's, 3 Bob's.
/// Revenue: Ann 4200, Bob 3400.
fn fill(engine: &Engine) {
    engine.create_all(&[Customer::table(), Product::table(), Order::table(), OrderLine::table()]).unwrap();
    for (name, city) in [("Ann", Some("Oslo")), ("Bob", Some("Oslo")), ("Cyd", None), ("Dee", Some("Rome"))] {
        Customer::new(name, city.map(str::to_owned)).insert(engine).unwrap();
    }
    for (sku, category, price, list, weight, stock) in [
        ("TEA-1", "Tea", 400, Some(500), 0.1, 50),
        ("TEA-2", "Tea", 600, Some(600), 0.25, 30),
        ("CAKE-1", "Cake", 1200, None, 1.5, 5),
        ("MUG-1", "Mugs", 900, Some(1000), 0.4, 10),
        ("MUG-2", "Mugs", 900, None, 0.4, 0),
        ("LAMP-1", "Lamps", 3000, None, 2.0, 3),
    ] {
        Product::new(sku, category, price, list, weight, stock).insert(engine).unwrap();
    }
    for (customer, note) in [(1, None), (1, Some("gift")), (2, None), (4, Some("empty"))] {
        Order { customer_id: customer, ..Order::new(note.map(str::to_owned)) }.insert(engine).unwrap();
    }
    for (order, product, quantity) in [(1, 1, 3), (1, 3, 1), (2, 4, 2), (3, 2, 5), (3, 1, 1)] {
        OrderLine { order_id: order, product_id: product, ..OrderLine::new(quantity) }.insert(engine).unwrap();
    }
}

/// The same data on every backend.
struct Both {
    sqlite: TestDb,
    postgres: TestDb,
    mysql: TestDb,
}

impl Both {
    fn new(tag: &str) -> Both {
        let both = Both {
            sqlite: TestDb::sqlite(tag),
            postgres: TestDb::postgres(tag).expect("PostgreSQL"),
            mysql: TestDb::mysql(tag).expect("MySQL"),
        };
        for db in both.all() {
            fill(&db.engine);
        }
        both
    }

    fn all(&self) -> [&TestDb; 3] {
        [&self.sqlite, &self.postgres, &self.mysql]
    }

    /// Runs `query` on every backend; the results must be equal. Returns it.
    fn same<T: PartialEq + Debug>(&self, what: &str, query: impl Fn(&Engine) -> orm_core::Result<T>) -> T {
        let sqlite = query(&self.sqlite.engine).unwrap_or_else(|e| panic!("{what}, on SQLite: {e}"));
        let postgres = query(&self.postgres.engine).unwrap_or_else(|e| panic!("{what}, on PostgreSQL: {e}"));
        assert_eq!(sqlite, postgres, "{what}: SQLite (left) and PostgreSQL (right) differ");
        let mysql = query(&self.mysql.engine).unwrap_or_else(|e| panic!("{what}, on MySQL: {e}"));
        assert_eq!(sqlite, mysql, "{what}: SQLite (left) and MySQL (right) differ");
        sqlite
    }

    /// Runs `query` on SQLite and PostgreSQL, whose results must be equal, and on MySQL,
    /// which has no such SQL and must refuse it (`Unsupported`, with a message saying
    /// `why`). Returns the result.
    fn same_where_it_exists<T: PartialEq + Debug>(
        &self,
        what: &str,
        why: &str,
        query: impl Fn(&Engine) -> orm_core::Result<T>,
    ) -> T {
        let sqlite = query(&self.sqlite.engine).unwrap_or_else(|e| panic!("{what}, on SQLite: {e}"));
        let postgres = query(&self.postgres.engine).unwrap_or_else(|e| panic!("{what}, on PostgreSQL: {e}"));
        assert_eq!(sqlite, postgres, "{what}: SQLite (left) and PostgreSQL (right) differ");
        let refused = query(&self.mysql.engine).expect_err(what);
        assert_eq!(refused.kind(), ErrorKind::Unsupported, "{what}: {refused}");
        assert!(refused.to_string().contains(why), "{what}: {refused}");
        sqlite
    }

    /// Runs `query` on every backend; each must refuse it, with the same kind of error.
    fn refused<T: Debug>(&self, what: &str, query: impl Fn(&Engine) -> orm_core::Result<T>) -> orm_core::Error {
        let sqlite = query(&self.sqlite.engine).expect_err(what);
        let postgres = query(&self.postgres.engine).expect_err(what);
        assert_eq!(sqlite.kind(), postgres.kind(), "{what}: {sqlite} / {postgres}");
        let mysql = query(&self.mysql.engine).expect_err(what);
        assert_eq!(mysql.kind(), postgres.kind(), "{what}: {mysql} / {postgres}");
        postgres
    }
}

fn owned<A: ToOwned + ?Sized, B>(rows: &[(&A, B)]) -> Vec<(A::Owned, B)>
where
    B: Clone,
{
    rows.iter().map(|(a, b)| ((*a).to_owned(), b.clone())).collect()
}

test_case! {
    /// ORDER BY in the order of the calls, NULLs in the same place, windows and compound
    /// queries ordered by expressions.
    fn ordering_is_the_same_on_both_backends() needs(postgres, mysql) {
        let both = Both::new("diff_ordering");
        let per_category = both.same("count per category, largest first, then by name", |e| {
            Product::query()
                .select((Product::CATEGORY, count_all()))
                .group_by(Product::CATEGORY)
                .order_by(count_all().desc())
                .order_by(Product::CATEGORY)
                .all(e)
        });
        assert_eq!(per_category, owned(&[("Mugs", 2), ("Tea", 2), ("Cake", 1), ("Lamps", 1)]));
        let skus = |order: orm_core::OrderBy| {
            both.same("by list price", |e| Product::query().select(Product::SKU).order_by(order.clone()).order_by(Product::SKU).all(e))
        };
        assert_eq!(skus(Product::LIST_PRICE.asc()), ["TEA-1", "TEA-2", "MUG-1", "CAKE-1", "LAMP-1", "MUG-2"]);
        assert_eq!(skus(Product::LIST_PRICE.desc()), ["CAKE-1", "LAMP-1", "MUG-2", "MUG-1", "TEA-2", "TEA-1"]);
        assert_eq!(skus(Product::LIST_PRICE.asc().nulls_first()), ["CAKE-1", "LAMP-1", "MUG-2", "TEA-1", "TEA-2", "MUG-1"]);
        let cities = both.same("customers by city", |e| {
            Customer::query().select(Customer::NAME).order_by(Customer::CITY).order_by(Customer::NAME.desc()).all(e)
        });
        assert_eq!(cities, ["Bob", "Ann", "Dee", "Cyd"]);
        // Ranked by revenue, a window ordered by an aggregate.
        let revenue = sum(OrderLine::QUANTITY * Product::PRICE);
        let ranked = both.same("customers ranked by revenue", |e| {
            OrderLine::query()
                .join(OrderLine::ORDER)
                .join(Order::CUSTOMER)
                .join(OrderLine::PRODUCT)
                .select((Customer::NAME, &revenue, rank().order_by(revenue.desc())))
                .group_by(Customer::NAME)
                .order_by(revenue.desc())
                .all(e)
        });
        assert_eq!(ranked, [("Ann".to_owned(), Some(4200), 1), ("Bob".to_owned(), Some(3400), 2)]);
        // A compound query ordered by an expression, then a column, as called.
        let union = both.same("teas and mugs by price, then SKU", |e| {
            let part = |category: &str| {
                Product::query().filter(Product::CATEGORY.eq(category)).select((Product::SKU, Product::PRICE))
            };
            part("Tea").union(part("Mugs")).order_by(Product::PRICE.expr().desc()).order_by(Product::SKU).all(e)
        });
        assert_eq!(union, owned(&[("MUG-1", 900), ("MUG-2", 900), ("TEA-2", 600), ("TEA-1", 400)]));
        // The top row per group with a window (DISTINCT ON is PostgreSQL's only).
        let first_lines = both.same("each order's largest line", |e| {
            let nth = row_number().partition_by(OrderLine::ORDER_ID).order_by(OrderLine::QUANTITY.desc());
            let numbered = OrderLine::query().select((OrderLine::ORDER_ID, OrderLine::QUANTITY, nth)).subquery("numbered");
            let (order, quantity, n) = numbered.columns();
            numbered.query().filter(n.eq(1)).select((order.clone(), quantity)).order_by(order).all(e)
        });
        assert_eq!(first_lines, [(1, 3), (2, 2), (3, 5)]);
    }
}

test_case! {
    /// LEFT and FULL joins, along relationships and on conditions, to tables, CTEs and
    /// subqueries, grouped, as objects and in a session; the NULL side read as Options,
    /// and refused when read into a type without NULL.
    fn outer_joins_are_the_same_on_both_backends() needs(postgres, mysql) {
        let both = Both::new("diff_outer");
        let orders = both.same("orders per customer, none included", |e| {
            Customer::query()
                .left_join(Customer::ORDERS)
                .select((Customer::NAME, count(Order::ID)))
                .group_by(Customer::NAME)
                .order_by(Customer::NAME)
                .all(e)
        });
        assert_eq!(orders, owned(&[("Ann", 1 + 1), ("Bob", 1), ("Cyd", 0), ("Dee", 1)]));
        let revenue = both.same("revenue per customer over three left joins", |e| {
            Customer::query()
                .left_join(Customer::ORDERS)
                .left_join(Order::LINES)
                .left_join(OrderLine::PRODUCT)
                .select((Customer::NAME, coalesce(sum(OrderLine::QUANTITY * Product::PRICE), 0)))
                .group_by(Customer::NAME)
                .order_by(Customer::NAME)
                .all(e)
        });
        assert_eq!(revenue, owned(&[("Ann", 4200), ("Bob", 3400), ("Cyd", 0), ("Dee", 0)]));
        let each = both.same("each customer's orders", |e| {
            Customer::query()
                .outer_join(Customer::ORDERS)
                .select((Customer::NAME, Order::ID.nullable(), Order::NOTE))
                .order_by(Customer::NAME)
                .order_by(Order::ID)
                .all(e)
        });
        let expected = [("Ann", Some(1), None), ("Ann", Some(2), Some("gift")), ("Bob", Some(3), None), ("Cyd", None, None), ("Dee", Some(4), Some("empty"))];
        assert_eq!(each, expected.map(|(n, o, note)| (n.to_owned(), o, note.map(str::to_owned))));
        // Read into a type without NULL: refused before the database, on both.
        let err = both.refused("an order id read as i64", |e| {
            Customer::query().left_join(Customer::ORDERS).select((Customer::NAME, Order::ID)).all(e)
        });
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("`orders` is on the NULL side of an outer join") && err.to_string().contains(".nullable()"), "{err}");
        let err = both.refused("a computed value of the NULL side", |e| {
            Customer::query().left_join(Customer::ORDERS).select(Order::ID * 2).all(e)
        });
        assert!(err.to_string().contains("(orders.id * $1)"), "{err}");

        // Objects: customers without orders, with the engine and in a session.
        let idle = both.same("customers without orders", |e| {
            let rows = Customer::query().left_join(Customer::ORDERS).filter(Order::ID.is_null()).all(e)?;
            Ok(rows.into_iter().map(|c| c.name).collect::<Vec<_>>())
        });
        assert_eq!(idle, ["Cyd"]);
        let counted = both.same("the same, counted, and in a session", |e| {
            let query = || Customer::query().left_join(Customer::ORDERS).filter(Order::ID.is_null());
            let mut db = e.session();
            let objects = db.select(query()).all()?;
            Ok((query().count(e)?, objects.len(), Customer::query().left_join(Customer::ORDERS).count(e)?))
        });
        assert_eq!(counted, (1, 1, 4));
        let never = both.same("products never ordered", |e| {
            Product::query()
                .left_join(Product::LINES)
                .filter(OrderLine::ID.is_null())
                .select(Product::SKU)
                .order_by(Product::SKU)
                .all(e)
        });
        assert_eq!(never, ["LAMP-1", "MUG-2"]);

        // On a condition: big lines only, every product kept.
        let big_lines = both.same("lines of two or more per product", |e| {
            let on = OrderLine::PRODUCT_ID.eq(Product::ID).and(OrderLine::QUANTITY.ge(2));
            Product::query()
                .left_join_on(OrderLine::table(), on)
                .select((Product::SKU, count(OrderLine::ID)))
                .group_by(Product::SKU)
                .order_by(Product::SKU)
                .all(e)
        });
        assert_eq!(big_lines, owned(&[("CAKE-1", 0), ("LAMP-1", 0), ("MUG-1", 1), ("MUG-2", 0), ("TEA-1", 1), ("TEA-2", 1)]));
        // FULL JOIN: customers and their noted orders, each side NULL where unmatched.
        let full = both.same_where_it_exists("customers full join noted orders", "no FULL OUTER JOIN", |e| {
            let on = Order::CUSTOMER_ID.eq(Customer::ID).and(Order::NOTE.is_not_null());
            Customer::query()
                .full_join_on(Order::table(), on)
                .select((Customer::NAME.nullable(), Order::ID.nullable()))
                .order_by(Customer::NAME)
                .order_by(Order::ID)
                .all(e)
        });
        let expected = [(Some("Ann"), Some(2)), (Some("Bob"), None), (Some("Cyd"), None), (Some("Dee"), Some(4)), (None, Some(1)), (None, Some(3))];
        assert_eq!(full, expected.map(|(n, o)| (n.map(str::to_owned), o)));
        let err = both.refused("the root of a full join read as String", |e| {
            Customer::query().full_join_on(Order::table(), Order::CUSTOMER_ID.eq(Customer::ID)).select(Customer::NAME).all(e)
        });
        assert!(err.to_string().contains("`customers` is on the NULL side"), "{err}");
        let err = both.refused("objects of a full join", |e| {
            Customer::query().full_join_on(Order::table(), Order::CUSTOMER_ID.eq(Customer::ID)).all(e)
        });
        assert_eq!(err.kind(), ErrorKind::Unsupported);

        // A CTE and a subquery on the NULL side.
        let spent = both.same("every customer with what they spent", |e| {
            let spend = OrderLine::query()
                .join(OrderLine::ORDER)
                .join(OrderLine::PRODUCT)
                .select((Order::CUSTOMER_ID, sum(OrderLine::QUANTITY * Product::PRICE)))
                .group_by(Order::CUSTOMER_ID)
                .cte("spend");
            let (customer, total) = spend.columns();
            Customer::query()
                .left_join_on(&spend, customer.eq(Customer::ID))
                .select((Customer::NAME, total))
                .order_by(Customer::ID)
                .all(e)
        });
        assert_eq!(spent, owned(&[("Ann", Some(4200)), ("Bob", Some(3400)), ("Cyd", None), ("Dee", None)]));
        let units = both.same("units sold per product, from a subquery", |e| {
            let sold = OrderLine::query()
                .select((OrderLine::PRODUCT_ID, sum(OrderLine::QUANTITY)))
                .group_by(OrderLine::PRODUCT_ID)
                .subquery("sold");
            let (product, units) = sold.columns();
            Product::query()
                .left_join_on(&sold, product.eq(Product::ID))
                .select((Product::SKU, coalesce(units, 0)))
                .order_by(Product::ID)
                .all(e)
        });
        assert_eq!(units, owned(&[("TEA-1", 4), ("TEA-2", 5), ("CAKE-1", 1), ("MUG-1", 2), ("MUG-2", 0), ("LAMP-1", 0)]));
    }
}

test_case! {
    /// Subqueries in FROM and CTEs read on their own; the query's own table under an
    /// alias, in a correlated subquery, a self-join and as the root of an object query.
    fn subqueries_and_aliases_are_the_same_on_both_backends() needs(postgres, mysql) {
        let both = Both::new("diff_from");
        let average = both.same("lines per order, on average", |e| {
            let per_order =
                OrderLine::query().select((OrderLine::ORDER_ID, count_all())).group_by(OrderLine::ORDER_ID).subquery("per_order");
            let (_, lines) = per_order.columns();
            per_order.query().select(round(avg(lines), 2)).one(e)
        });
        assert_eq!(average, Some(1.67));
        let busiest = both.same("the customers with the most orders, from a CTE alone", |e| {
            let counts = Order::query().select((Order::CUSTOMER_ID, count_all())).group_by(Order::CUSTOMER_ID).cte("counts");
            let (customer, n) = counts.columns();
            let most = counts.query().select(max(n.clone())).as_value();
            counts.query().filter(n.ge(most)).select(customer).all(e)
        });
        assert_eq!(busiest, [1]);
        let big_spenders = both.same("customers spending over 3500, a subquery joined", |e| {
            let spend = OrderLine::query()
                .join(OrderLine::ORDER)
                .join(OrderLine::PRODUCT)
                .select((Order::CUSTOMER_ID, sum(OrderLine::QUANTITY * Product::PRICE)))
                .group_by(Order::CUSTOMER_ID)
                .subquery("spend");
            let (customer, total) = spend.columns();
            Customer::query().join_on(&spend, customer.eq(Customer::ID)).filter(total.gt(3500)).select(Customer::NAME).all(e)
        });
        assert_eq!(big_spenders, ["Ann"]);

        // Aliases: above their category's average (the subquery's products are p2).
        let p2 = aliased::<Product>("p2");
        let above = both.same("products above their category's average price", |e| {
            let category_average =
                p2.query().filter(p2.col(Product::CATEGORY).eq(Product::CATEGORY)).select(avg(p2.col(Product::PRICE)));
            Product::query()
                .filter(Product::PRICE.expr().cast::<f64>().gt(category_average.as_value()))
                .select(Product::SKU)
                .all(e)
        });
        assert_eq!(above, ["TEA-2"]);
        let pairs = both.same("pairs of products of one category", |e| {
            Product::query()
                .join_on(&p2, p2.col(Product::CATEGORY).eq(Product::CATEGORY).and(p2.col(Product::ID).gt(Product::ID)))
                .select((Product::SKU, p2.col(Product::SKU)))
                .order_by(Product::SKU)
                .all(e)
        });
        assert_eq!(pairs, [("MUG-1".to_owned(), "MUG-2".to_owned()), ("TEA-1".to_owned(), "TEA-2".to_owned())]);
        let empty = both.same("objects read from the aliased table", |e| {
            let rows = p2.query().filter(p2.col(Product::STOCK).eq(0)).all(e)?;
            Ok(rows.into_iter().map(|p| p.sku).collect::<Vec<_>>())
        });
        assert_eq!(empty, ["MUG-2"]);
        let err = both.refused("the same name twice", |e| Product::query().join_on(Product::table(), Product::ID.eq(1)).all(e));
        assert!(err.to_string().contains("aliased"), "{err}");
    }
}

test_case! {
    /// What can be NULL is an Option: an empty scalar subquery, arithmetic and CASE over
    /// NULL-able values; conditions selected as booleans.
    fn nulls_and_conditions_are_the_same_on_both_backends() needs(postgres, mysql) {
        let both = Both::new("diff_nulls");
        let last_order = both.same("each customer's latest order (a correlated scalar subquery)", |e| {
            let latest = Order::query().filter(Order::CUSTOMER_ID.eq(Customer::ID)).select(max(Order::ID)).as_value();
            Customer::query().select((Customer::NAME, latest)).order_by(Customer::ID).all(e)
        });
        assert_eq!(last_order, owned(&[("Ann", Some(2)), ("Bob", Some(3)), ("Cyd", None), ("Dee", Some(4))]));
        let margins = both.same("list price over price, NULL where no list price", |e| {
            Product::query()
                .select((Product::SKU, Product::LIST_PRICE - Product::PRICE, when(Product::STOCK.gt(0), Product::LIST_PRICE).otherwise(0_i64)))
                .order_by(Product::ID)
                .all(e)
        });
        let expected = [("TEA-1", Some(100), Some(500)), ("TEA-2", Some(0), Some(600)), ("CAKE-1", None, None), ("MUG-1", Some(100), Some(1000)), ("MUG-2", None, Some(0)), ("LAMP-1", None, None)];
        assert_eq!(margins, expected.map(|(s, m, l)| (s.to_owned(), m, l)));
        let flags = both.same("conditions as values", |e| {
            Customer::query()
                .select((Customer::NAME, Customer::CITY.is_null(), Customer::ID.le(2), Customer::CITY.eq("Oslo").nullable()))
                .order_by(Customer::ID)
                .all(e)
        });
        let expected = [("Ann", false, true, Some(true)), ("Bob", false, true, Some(true)), ("Cyd", true, false, None), ("Dee", false, false, Some(false))];
        assert_eq!(flags, expected.map(|(n, a, b, c)| (n.to_owned(), a, b, c)));
        let err = both.refused("a condition over a NULL-able column read as bool", |e| {
            Customer::query().select(Customer::CITY.eq("Oslo")).all(e)
        });
        assert!(err.to_string().contains("can be NULL"), "{err}");
        let grouped = both.same("products grouped by a condition", |e| {
            let dear = Product::PRICE.ge(1000).value();
            Product::query().select((&dear, count_all())).group_by(&dear).order_by(&dear).all(e)
        });
        assert_eq!(grouped, [(false, 4), (true, 2)]);
        let err = both.refused("a function of a NULL-able column declared without NULL", |e| {
            Product::query().select(function::<i64>("abs", Product::LIST_PRICE)).all(e)
        });
        assert_eq!(err.kind(), ErrorKind::InvalidState);
    }
}

test_case! {
    /// Arithmetic across widths, values on the left, text, casts and rounding, and
    /// sixteen columns in one row.
    fn expressions_are_the_same_on_both_backends() needs(postgres, mysql) {
        let both = Both::new("diff_expressions");
        let rows = both.same("line totals, weights, labels", |e| {
            OrderLine::query()
                .join(OrderLine::PRODUCT)
                .select((
                    OrderLine::QUANTITY * Product::PRICE,
                    10_000 - OrderLine::QUANTITY * Product::PRICE,
                    round(Product::WEIGHT * OrderLine::QUANTITY, 2),
                    concat(concat(Product::SKU, " x"), OrderLine::QUANTITY.expr().cast::<Text>()),
                    round(Product::PRICE.expr().cast::<f64>() / 3.0, 1),
                ))
                .order_by(OrderLine::ID)
                .all(e)
        });
        assert_eq!(
            rows,
            [
                (1200, 8800, 0.3, "TEA-1 x3".to_owned(), 133.3),
                (1200, 8800, 1.5, "CAKE-1 x1".to_owned(), 400.0),
                (1800, 8200, 0.8, "MUG-1 x2".to_owned(), 300.0),
                (3000, 7000, 1.25, "TEA-2 x5".to_owned(), 200.0),
                (400, 9600, 0.1, "TEA-1 x1".to_owned(), 133.3),
            ]
        );
        let wide = both.same("sixteen columns, into a struct", |e| {
            Product::query()
                .filter(Product::SKU.eq("TEA-1"))
                .select((
                    Product::ID, Product::SKU, Product::CATEGORY, Product::PRICE, Product::LIST_PRICE, Product::WEIGHT,
                    Product::STOCK, value(8), value(9_i64), value(10.5), value("11".to_owned()), value(true),
                    Product::PRICE + 13, Product::STOCK * 14, value(15_i16), Product::LIST_PRICE - Product::PRICE,
                ))
                .all_as::<Wide>(e)
        });
        let expected = Wide {
            id: 1, sku: "TEA-1".into(), category: "Tea".into(), price: 400, list_price: Some(500), weight: 0.1,
            stock: 50, eight: 8, nine: 9, ten: 10.5, eleven: "11".into(), twelve: true, thirteen: 413,
            fourteen: 700, fifteen: 15, margin: Some(100),
        };
        assert_eq!(wide, [expected]);
    }
}

test_case! {
    /// Upserts with expressions and a condition; writes that return values, in a
    /// session whose objects follow.
    fn writes_are_the_same_on_both_backends() needs(postgres, mysql) {
        let both = Both::new("diff_writes");
        let stock = both.same("a delivery added to the stock, new products inserted", |e| {
            let delivery = [
                Product::new("TEA-1", "Tea", 400, Some(500), 0.1, 20),
                Product::new("MUG-2", "Mugs", 900, None, 0.4, 0),
                Product::new("TEA-3", "Tea", 700, None, 0.1, 12),
            ];
            let written = Insert::rows(delivery)
                .on_conflict(Product::SKU)
                .do_update_set(Product::STOCK, Product::STOCK + excluded(Product::STOCK))
                .do_update_set(Product::LIST_PRICE, coalesce(excluded(Product::LIST_PRICE), Product::LIST_PRICE))
                .do_update_where(excluded(Product::STOCK).gt(0))
                .execute(e)?;
            let levels = Product::query()
                .filter(Product::SKU.like("TEA-%").or(Product::SKU.eq("MUG-2")))
                .select((Product::SKU, Product::STOCK, Product::LIST_PRICE))
                .order_by(Product::SKU)
                .all(e)?;
            Ok((written, levels))
        });
        let levels = [("MUG-2", 0, None), ("TEA-1", 70, Some(500)), ("TEA-2", 30, Some(600)), ("TEA-3", 12, None)];
        assert_eq!(stock, (2, levels.map(|(s, n, l)| (s.to_owned(), n, l)).to_vec()));
        // A condition that reads the stored row: MySQL tests it in each column's IF(..),
        // so the column it reads must be set last (else it is refused there).
        let raised = both.same("a conditional upsert that reads the stored row", |e| {
            Insert::rows([Product::new("TEA-2", "Tea", 650, Some(700), 0.25, 5)])
                .on_conflict(Product::SKU)
                .do_update_set(Product::PRICE, excluded(Product::PRICE))
                .do_update_set(Product::STOCK, Product::STOCK + excluded(Product::STOCK))
                .do_update_where(Product::STOCK.lt(100))
                .execute(e)?;
            Product::query().filter(Product::SKU.eq("TEA-2")).select((Product::PRICE, Product::STOCK)).all(e)
        });
        assert_eq!(raised, [(650, 35)]);
        let err = Insert::rows([Product::new("TEA-2", "Tea", 1, None, 0.25, 1)])
            .on_conflict(Product::SKU)
            .do_update_set(Product::STOCK, Product::STOCK + excluded(Product::STOCK))
            .do_update_set(Product::PRICE, excluded(Product::PRICE))
            .do_update_where(Product::STOCK.lt(100))
            .execute(&both.mysql.engine)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("set `stock` last"), "{err}");
        let returned = both.same("a session's update and delete that return values", |e| {
            let mut db = e.session();
            let mug = db.query::<Product>().filter(Product::SKU.eq("MUG-1")).one()?;
            let mugs = Product::query().filter(Product::CATEGORY.eq("Mugs"));
            let mut raised = db.update_returning(mugs, [Product::PRICE.set(Product::PRICE + 100)], (Product::SKU, Product::PRICE))?;
            raised.sort();
            let followed = mug.get().price;
            let gone = db.delete_returning(Product::query().filter(Product::SKU.eq("LAMP-1")), (Product::SKU, Product::STOCK))?;
            db.rollback()?;
            Ok((raised, followed, gone, mug.get().price))
        });
        assert_eq!(returned, (owned(&[("MUG-1", 1000), ("MUG-2", 1000)]), 1000, owned(&[("LAMP-1", 3)]), 900));
    }
}

/// Sixteen values of a row.
#[derive(orm_core::FromRow, Debug, PartialEq)]
struct Wide {
    id: i32,
    sku: String,
    category: String,
    price: i64,
    list_price: Option<i64>,
    weight: f64,
    stock: i32,
    eight: i32,
    nine: i64,
    ten: f64,
    eleven: String,
    twelve: bool,
    thirteen: i64,
    fourteen: i32,
    fifteen: i16,
    margin: Option<i64>,
}
