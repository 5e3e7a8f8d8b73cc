//! Exact queries (issue 26): what is written is what runs, on both backends. Each bug
//! found porting reports from SQLAlchemy has its regression test here; the features that
//! were missing are compared across backends in `differential`.

use orm_core::ErrorKind;
use orm_core::Text;
use orm_core::dialect::{POSTGRES, SQLITE};
use orm_core::functions::{avg, coalesce, concat, count_all, length, max, round, row_number, sum, value, when};
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

on_both! {
    /// A scalar subquery is NULL when it finds no row, so it reads as an `Option` (it was
    /// typed as never NULL and failed at decode).
    fn scalar_subqueries_are_optional(db) {
        stock(db);
        let most_expensive_above = |floor: i64| {
            LineItem::query().filter(LineItem::PRICE.gt(floor)).select(max(LineItem::PRICE)).as_value()
        };
        let none: Vec<(String, Option<i64>)> = LineItem::query()
            .filter(LineItem::CATEGORY.eq("Tea"))
            .select((LineItem::SKU, LineItem::query().filter(LineItem::PRICE.gt(10_000)).select(LineItem::PRICE).as_value()))
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        assert_eq!(none, [("TEA-1".to_owned(), None), ("TEA-2".to_owned(), None)]);
        let some: Vec<Option<i64>> = LineItem::query()
            .filter(LineItem::SKU.eq("TEA-1"))
            .select(most_expensive_above(1000))
            .all(&db.engine)
            .unwrap();
        assert_eq!(some, [Some(1200)]);
        // Compared with a column it filters as before: no row, no match.
        let above = LineItem::query().filter(LineItem::PRICE.ge(most_expensive_above(1000))).select(LineItem::SKU);
        assert_eq!(above.all(&db.engine).unwrap(), ["CAKE-1"]);
        let none_above = LineItem::query().filter(LineItem::PRICE.ge(most_expensive_above(5000))).count(&db.engine);
        assert_eq!(none_above.unwrap(), 0);
    }
}

on_both! {
    /// `round(expr, digits)` runs on both backends (PostgreSQL has no round(double, int):
    /// the float goes through NUMERIC), with the same digits; `avg` is an `f64`.
    fn round_is_the_same_on_both_backends(db) {
        stock(db);
        let averages: Vec<(String, Option<f64>)> = LineItem::query()
            .select((LineItem::CATEGORY, round(avg(LineItem::PRICE), 2)))
            .group_by(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .all(&db.engine)
            .unwrap();
        assert_eq!(averages, [("Cake", 1200.0), ("Mugs", 833.33), ("Tea", 500.0)].map(|(c, a)| (c.to_owned(), Some(a))));
        let weights: Vec<f64> =
            LineItem::query().select(round(LineItem::WEIGHT * 3.0, 1)).order_by(LineItem::SKU).all(&db.engine).unwrap();
        assert_eq!(weights, [4.5, 1.2, 1.2, 1.2, 0.3, 0.8]);
        // Halves go away from zero, on both.
        let halves: Vec<f64> = LineItem::query()
            .filter(LineItem::SKU.eq("TEA-1"))
            .select((round(value(0.125), 2), round(value(-0.125), 2), round(value(2.5), 0)))
            .one(&db.engine)
            .map(|(a, b, c)| vec![a, b, c])
            .unwrap();
        assert_eq!(halves, [0.13, -0.13, 3.0]);
        let (sql, _) = LineItem::query().select(round(avg(LineItem::PRICE), 2)).to_sql(&POSTGRES).unwrap();
        assert!(sql.starts_with("SELECT CAST(round(CAST(CAST(avg(line_items.price) AS DOUBLE PRECISION) AS NUMERIC), $1) AS DOUBLE PRECISION)"), "{sql}");
        let err = LineItem::query().select(round(LineItem::WEIGHT, 31)).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
    }
}

on_both! {
    /// Expressions are typed as SQL computes them: integers of two widths widen, a value
    /// may stand on the left, and whatever can be NULL reads as an `Option`.
    fn expressions_are_typed_as_sql_computes_them(db) {
        stock(db);
        let tea_1 = || LineItem::query().filter(LineItem::SKU.eq("TEA-1"));
        // i32 * i64 is an i64, no cast; an f64 with an i32 is an f64.
        let (revenue, heavy): (i64, f64) =
            tea_1().select((LineItem::QUANTITY * LineItem::PRICE, LineItem::WEIGHT * LineItem::QUANTITY)).one(&db.engine).unwrap();
        assert_eq!(revenue, 1200);
        assert!((heavy - 0.3).abs() < 1e-9, "{heavy}");
        // A value on the left, bare or as an expression.
        let (left, also): (i64, i64) = tea_1().select((30000 - LineItem::PRICE, value(30000) - LineItem::PRICE)).one(&db.engine).unwrap();
        assert_eq!((left, also), (29600, 29600));
        // NULL on either side: an Option.
        let margins: Vec<Option<i64>> =
            LineItem::query().select(LineItem::LIST_PRICE - LineItem::PRICE).order_by(LineItem::SKU).all(&db.engine).unwrap();
        assert_eq!(margins, [None, Some(100), None, Some(-50), Some(100), Some(0)]);
        let fallback: Vec<i64> =
            LineItem::query().select(coalesce(LineItem::LIST_PRICE, LineItem::PRICE)).order_by(LineItem::SKU).all(&db.engine).unwrap();
        assert_eq!(fallback, [1200, 1000, 900, 650, 500, 600]);
        let labels: Vec<Option<String>> = LineItem::query()
            .select(concat(LineItem::SKU, LineItem::LIST_PRICE.expr().cast::<Text>()))
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        assert_eq!(labels[0], None);
        assert_eq!(labels[1].as_deref(), Some("MUG-11000"));
        let (text, digits): (String, i64) =
            tea_1().select((LineItem::PRICE.expr().cast::<Text>(), length(LineItem::PRICE.expr().cast::<Text>()))).one(&db.engine).unwrap();
        assert_eq!((text.as_str(), digits), ("400", 3));
        let (sql, _) = tea_1().select(LineItem::PRICE.expr().cast::<Text>()).to_sql(&POSTGRES).unwrap();
        assert!(sql.starts_with("SELECT CAST(line_items.price AS TEXT)"), "{sql}");
        // A CASE with a value that can be NULL is an Option.
        let listed: Vec<Option<i64>> = LineItem::query()
            .select(when(LineItem::CATEGORY.eq("Tea"), LineItem::LIST_PRICE).otherwise(0_i64))
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        assert_eq!(listed, [Some(0), Some(0), Some(0), Some(0), Some(500), Some(600)]);
        // One named expression, selected and ordered by, no closure.
        let revenue = LineItem::QUANTITY * LineItem::PRICE;
        let top: Vec<(String, i64)> =
            LineItem::query().select((LineItem::SKU, &revenue)).order_by(revenue.desc()).order_by(LineItem::SKU).limit(2).all(&db.engine).unwrap();
        assert_eq!(top, [("MUG-2".to_owned(), 3600), ("CAKE-1".to_owned(), 2400)]);
    }
}
