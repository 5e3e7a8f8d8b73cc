//! Exact queries (issue 26): what is written is what runs, on both backends. Each bug
//! found porting reports from SQLAlchemy has its regression test here; the features that
//! were missing are compared across backends in `differential`.

use orm_core::ErrorKind;
use orm_core::dialect::{POSTGRES, SQLITE};
use orm_core::functions::{count_all, row_number, sum};
use orm_core::prelude::*;
use orm_tests::on_both;

use crate::projections::{LineItem, stock};

on_both! {
    /// ORDER BY terms keep the order of the calls, columns and expressions mixed: a top-N
    /// by count, then name, returns the largest groups (it returned the first names).
    fn order_by_terms_keep_the_order_of_the_calls(db) {
        stock(db);
        let per_category = || {
            LineItem::query()
                .select((LineItem::CATEGORY, count_all()))
                .group_by(LineItem::CATEGORY)
                .order_by_expr(count_all().desc())
                .order_by(LineItem::CATEGORY)
        };
        let all = per_category().all(&db.engine).unwrap();
        let expected = [("Mugs", 3), ("Tea", 2), ("Cake", 1)].map(|(c, n)| (c.to_owned(), n));
        assert_eq!(all, expected);
        assert_eq!(per_category().limit(1).all(&db.engine).unwrap(), expected[..1]);
        let (sql, _) = per_category().to_sql(&POSTGRES).unwrap();
        assert!(sql.ends_with("ORDER BY count(*) DESC, line_items.category ASC"), "{sql}");
        // The other way round is another query, and says so.
        let by_name = LineItem::query()
            .select((LineItem::CATEGORY, count_all()))
            .group_by(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .order_by(count_all().desc());
        assert_eq!(by_name.all(&db.engine).unwrap()[0].0, "Cake");

        // A compound query: by price (descending), then SKU, as called.
        let mugs = LineItem::query().filter(LineItem::CATEGORY.eq("Mugs")).select((LineItem::SKU, LineItem::PRICE));
        let teas = LineItem::query().filter(LineItem::CATEGORY.eq("Tea")).select((LineItem::SKU, LineItem::PRICE));
        let both = mugs.union(teas).order_by(LineItem::PRICE.desc()).order_by(LineItem::SKU);
        let skus: Vec<String> = both.all(&db.engine).unwrap().into_iter().map(|(sku, _)| sku).collect();
        assert_eq!(skus, ["MUG-1", "MUG-2", "MUG-3", "TEA-2", "TEA-1"]);

        // A window ordered by an expression: rank of each category by revenue.
        let revenue = sum(LineItem::PRICE);
        let ranked: Vec<(String, i64)> = LineItem::query()
            .select((LineItem::CATEGORY, row_number().order_by(revenue.desc()).order_by(LineItem::CATEGORY)))
            .group_by(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .all(&db.engine)
            .unwrap();
        assert_eq!(ranked, [("Cake", 2), ("Mugs", 1), ("Tea", 3)].map(|(c, n)| (c.to_owned(), n)));

        // DISTINCT ON picks the row its order puts first: the cheapest item per category.
        let cheapest = LineItem::query()
            .select((LineItem::CATEGORY, LineItem::SKU))
            .distinct_on(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .order_by(LineItem::PRICE.expr().asc())
            .order_by(LineItem::SKU.desc());
        if db.is_postgres() {
            let rows: Vec<String> = cheapest.all(&db.engine).unwrap().into_iter().map(|(c, s)| format!("{c}:{s}")).collect();
            assert_eq!(rows, ["Cake:CAKE-1", "Mugs:MUG-3", "Tea:TEA-1"]);
        } else {
            assert_eq!(cheapest.all(&db.engine).unwrap_err().kind(), ErrorKind::Unsupported);
        }
    }
}

on_both! {
    /// NULLs sort where PostgreSQL puts them on every backend (last ascending, first
    /// descending), unless the term says otherwise.
    fn nulls_sort_the_same_on_every_backend(db) {
        stock(db);
        let skus = |order: orm_core::OrderBy| -> Vec<String> {
            LineItem::query().select(LineItem::SKU).order_by(order).order_by(LineItem::SKU).all(&db.engine).unwrap()
        };
        // List prices: TEA-1 500, TEA-2 600, CAKE-1 NULL, MUG-1 1000, MUG-2 NULL, MUG-3 650.
        assert_eq!(skus(LineItem::LIST_PRICE.asc()), ["TEA-1", "TEA-2", "MUG-3", "MUG-1", "CAKE-1", "MUG-2"]);
        assert_eq!(skus(LineItem::LIST_PRICE.desc()), ["CAKE-1", "MUG-2", "MUG-1", "MUG-3", "TEA-2", "TEA-1"]);
        assert_eq!(skus(LineItem::LIST_PRICE.asc().nulls_first()), ["CAKE-1", "MUG-2", "TEA-1", "TEA-2", "MUG-3", "MUG-1"]);
        assert_eq!(skus(LineItem::LIST_PRICE.desc().nulls_last()), ["MUG-1", "MUG-3", "TEA-2", "TEA-1", "CAKE-1", "MUG-2"]);
        // SQLite is told where PostgreSQL would put them; a NOT NULL column needs no words.
        let sqlite = |order: orm_core::OrderBy| LineItem::query().order_by(order).to_sql(&SQLITE).unwrap().0;
        assert!(sqlite(LineItem::LIST_PRICE.asc()).ends_with("ORDER BY line_items.list_price ASC NULLS LAST"));
        assert!(sqlite(LineItem::LIST_PRICE.desc()).ends_with("ORDER BY line_items.list_price DESC NULLS FIRST"));
        assert!(sqlite(LineItem::PRICE.desc()).ends_with("ORDER BY line_items.price DESC"));
        let postgres = LineItem::query().order_by(LineItem::LIST_PRICE.asc()).to_sql(&POSTGRES).unwrap().0;
        assert!(postgres.ends_with("ORDER BY line_items.list_price ASC"), "{postgres}");
    }
}
