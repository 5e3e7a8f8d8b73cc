//! Queries of values: typed tuples, expressions (column against column, arithmetic,
//! functions), aggregates with GROUP BY / HAVING, on both backends.

use orm_core::ErrorKind;
use orm_core::functions::{
    avg, coalesce, concat, count, count_all, count_distinct, length, lower, max, min, sum, upper,
};
use orm_core::prelude::*;
use orm_tests::on_all;

use crate::models::{Course, Program};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "line_items")]
pub struct LineItem {
    #[orm(primary_key)]
    pub id: i32,
    pub sku: String,
    pub category: String,
    pub price: i64,
    pub quantity: i32,
    pub list_price: Option<i64>,
    pub weight: f64,
}

pub fn stock(db: &orm_tests::TestDb) {
    db.engine.create_all(&[LineItem::table()]).unwrap();
    let mut s = db.engine.session();
    for (sku, category, price, quantity, list, weight) in [
        ("TEA-1", "Tea", 400, 3, Some(500), 0.1),
        ("TEA-2", "Tea", 600, 1, Some(600), 0.25),
        ("CAKE-1", "Cake", 1200, 2, None, 1.5),
        ("MUG-1", "Mugs", 900, 1, Some(1000), 0.4),
        ("MUG-2", "Mugs", 900, 4, None, 0.4),
        ("MUG-3", "Mugs", 700, 2, Some(650), 0.4),
    ] {
        s.add(LineItem::new(sku, category, price, quantity, list, weight));
    }
    s.commit().unwrap();
}

on_all! {
    /// Columns of two joined tables come back as typed tuples.
    fn columns_of_joined_tables_as_tuples(db) {
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let mut s = db.engine.session();
        let mut cs = Program::new("Bachelors in CS", 3);
        cs.courses.push(Course::new("Databases", "CS 101"));
        cs.courses.push(Course::new("Algorithms", "CS 102"));
        s.add(cs);
        s.add(Program::new("Masters in CS", 2));
        s.commit().unwrap();
        let rows: Vec<(String, String, i32)> = Course::query()
            .join(Course::PROGRAM)
            .select((Course::TITLE, Program::NAME, Program::YEARS_OF_STUDY))
            .order_by(Course::TITLE)
            .all(&db.engine)
            .unwrap();
        assert_eq!(
            rows,
            [
                ("Algorithms".to_owned(), "Bachelors in CS".to_owned(), 3),
                ("Databases".to_owned(), "Bachelors in CS".to_owned(), 3)
            ]
        );
        let titles: Vec<String> = Course::query().select(Course::TITLE).order_by(Course::TITLE.desc()).all(&db.engine).unwrap();
        assert_eq!(titles, ["Databases", "Algorithms"]);
        // A column of a table the query does not join is refused before the database.
        let err = Course::query().select((Course::TITLE, Program::NAME)).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
        assert!(err.to_string().contains("join it"), "{err}");
    }
}

on_all! {
    /// Aggregates with the types the issue asks for, grouped, filtered by HAVING, ordered
    /// by an aggregate; the same numbers on both backends.
    fn aggregates_group_by_and_having(db) {
        stock(db);
        type PerCategory = (String, i64, Option<i64>, Option<f64>, Option<i64>, Option<i64>);
        let per_category: Vec<PerCategory> = LineItem::query()
            .select((
                LineItem::CATEGORY,
                count_all(),
                sum(LineItem::QUANTITY),
                avg(LineItem::PRICE),
                min(LineItem::PRICE),
                max(LineItem::PRICE),
            ))
            .group_by(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .all(&db.engine)
            .unwrap();
        assert_eq!(
            per_category,
            [
                ("Cake".to_owned(), 1, Some(2), Some(1200.0), Some(1200), Some(1200)),
                ("Mugs".to_owned(), 3, Some(7), Some(2500.0 / 3.0), Some(700), Some(900)),
                ("Tea".to_owned(), 2, Some(4), Some(500.0), Some(400), Some(600)),
            ]
        );
        // Revenue per category over more than one item, largest first.
        let revenue: Vec<(String, Option<i64>)> = LineItem::query()
            .select((LineItem::CATEGORY, sum(LineItem::PRICE * LineItem::QUANTITY.expr().cast::<i64>())))
            .group_by(LineItem::CATEGORY)
            .having(count_all().gt(1))
            .order_by_expr(sum(LineItem::PRICE * LineItem::QUANTITY.expr().cast::<i64>()).desc())
            .all(&db.engine)
            .unwrap();
        assert_eq!(revenue, [("Mugs".to_owned(), Some(900 + 3600 + 1400)), ("Tea".to_owned(), Some(1800))]);
        // Scalars, and aggregates over no rows.
        assert_eq!(LineItem::query().select(count_all()).one(&db.engine).unwrap(), 6);
        assert_eq!(LineItem::query().select(count_distinct(LineItem::PRICE)).one(&db.engine).unwrap(), 5);
        assert_eq!(LineItem::query().select(count(LineItem::LIST_PRICE)).one(&db.engine).unwrap(), 4);
        let none = LineItem::query().filter(LineItem::PRICE.gt(10_000)).select((sum(LineItem::PRICE), avg(LineItem::WEIGHT)));
        assert_eq!(none.one(&db.engine).unwrap(), (None, None));
        let total_weight = LineItem::query().select(sum(LineItem::WEIGHT)).one(&db.engine).unwrap().unwrap();
        assert!((total_weight - 3.05).abs() < 1e-9, "{total_weight}");
        // A selected column neither grouped nor aggregated is refused before the database.
        let err = LineItem::query().select((LineItem::CATEGORY, LineItem::SKU, count_all())).group_by(LineItem::CATEGORY);
        let err = err.all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
        assert!(err.to_string().contains("line_items.sku"), "{err}");
    }
}

on_all! {
    /// Filters over expressions: a column against another, arithmetic, functions, CASE-free
    /// fallbacks, ranges.
    fn expressions_in_filters(db) {
        stock(db);
        let skus = |filter: Expr| -> Vec<String> {
            LineItem::query().filter(filter).select(LineItem::SKU).order_by(LineItem::SKU).all(&db.engine).unwrap()
        };
        assert_eq!(skus(LineItem::PRICE.lt(LineItem::LIST_PRICE)), ["MUG-1", "TEA-1"]);
        assert_eq!(skus(LineItem::PRICE.eq(LineItem::LIST_PRICE)), ["TEA-2"]);
        assert_eq!(skus((LineItem::PRICE * LineItem::QUANTITY.expr().cast::<i64>()).ge(2400)), ["CAKE-1", "MUG-2"]);
        assert_eq!(skus((LineItem::PRICE - 100).eq(500)), ["TEA-2"]);
        assert_eq!(skus(lower(LineItem::CATEGORY).eq("tea")), ["TEA-1", "TEA-2"]);
        assert_eq!(skus(upper(LineItem::SKU).eq("CAKE-1")), ["CAKE-1"]);
        assert_eq!(skus(length(LineItem::SKU).eq(6)), ["CAKE-1"]);
        assert_eq!(skus(concat(LineItem::CATEGORY, "/").eq("Tea/")), ["TEA-1", "TEA-2"]);
        assert_eq!(skus(coalesce(LineItem::LIST_PRICE, 0).eq(0)), ["CAKE-1", "MUG-2"]);
        assert_eq!(skus(LineItem::PRICE.between(600, 900)), ["MUG-1", "MUG-2", "MUG-3", "TEA-2"]);
        assert_eq!(skus(LineItem::LIST_PRICE.expr().is_null()), ["CAKE-1", "MUG-2"]);
        assert_eq!(skus(LineItem::QUANTITY.expr().cast::<f64>().gt(LineItem::WEIGHT * 5.0)), ["MUG-2", "TEA-1"]);
        // Values stay bound parameters.
        let (sql, params) =
            LineItem::query().filter((LineItem::PRICE * 2).gt(LineItem::LIST_PRICE)).to_sql(db.engine.dialect()).unwrap();
        let plain = sql.replace('`', "");
        assert!(plain.ends_with(&db.sql("WHERE (line_items.price * $1) > line_items.list_price")), "{sql}");
        assert_eq!(params.len(), 1);
    }
}

on_all! {
    /// A session runs value queries after autoflush, on its own connection.
    fn value_queries_in_a_session_see_its_changes(db) {
        stock(db);
        let mut s = db.engine.session();
        s.add(LineItem::new("TEA-3", "Tea", 100, 10, None, 0.05));
        let teas: Vec<(String, i64)> = s
            .rows(LineItem::query().filter(LineItem::CATEGORY.eq("Tea")).select((LineItem::CATEGORY, count_all())).group_by(LineItem::CATEGORY))
            .unwrap();
        assert_eq!(teas, [("Tea".to_owned(), 3)]);
        s.rollback().unwrap();
        assert_eq!(s.rows(LineItem::query().select(count_all())).unwrap(), [6]);
    }
}

on_all! {
    /// Subqueries: `IN (SELECT ..)`, a scalar subquery as a value, correlated `EXISTS`,
    /// and `DISTINCT`.
    fn subqueries_and_distinct(db) {
        use orm_core::functions::{exists, not_exists};
        stock(db);
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let mut s = db.engine.session();
        let mut cs = Program::new("Bachelors in CS", 3);
        cs.courses.push(Course::new("Data Science", "CS 103"));
        cs.courses.push(Course::new("Data Structures", "CS 104"));
        let mut biz = Program::new("Business", 3);
        biz.courses.push(Course::new("Communication", "BZ 101"));
        s.add(cs);
        s.add(biz);
        s.add(Program::new("Empty", 1));
        s.commit().unwrap();
        let names = |filter: Expr| -> Vec<String> {
            Program::query().filter(filter).select(Program::NAME).order_by(Program::NAME).all(&db.engine).unwrap()
        };
        let data_courses = || Course::query().filter(Course::TITLE.like("Data%")).select(Course::PROGRAM_ID);
        assert_eq!(names(Program::ID.in_query(data_courses())), ["Bachelors in CS"]);
        assert_eq!(names(Program::ID.not_in_query(data_courses())), ["Business", "Empty"]);
        let has_courses = || exists(Course::query().filter(Course::PROGRAM_ID.eq(Program::ID)).select(Course::ID));
        assert_eq!(names(has_courses()), ["Bachelors in CS", "Business"]);
        let childless = not_exists(Course::query().filter(Course::PROGRAM_ID.eq(Program::ID)).select(Course::ID));
        assert_eq!(names(childless), ["Empty"]);

        let average = LineItem::query().select(avg(LineItem::PRICE)).as_value();
        let above: Vec<String> = LineItem::query()
            .filter(LineItem::PRICE.expr().cast::<f64>().gt(average))
            .select(LineItem::SKU)
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        assert_eq!(above, ["CAKE-1", "MUG-1", "MUG-2"], "above the average of 783.3");

        let categories: Vec<String> =
            LineItem::query().select(LineItem::CATEGORY).distinct().order_by(LineItem::CATEGORY).all(&db.engine).unwrap();
        assert_eq!(categories, ["Cake", "Mugs", "Tea"]);

        // A subquery that selects a column it neither groups nor aggregates is refused.
        let bad = LineItem::query().select((LineItem::CATEGORY, count_all())).group_by(LineItem::SKU);
        let err = LineItem::query().filter(exists(bad)).count(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
    }
}

on_all! {
    /// CASE, IS DISTINCT FROM, any function by name, the current time.
    fn case_distinct_functions_and_now(db) {
        use orm_core::functions::{function, now, when};
        stock(db);
        let band = when(LineItem::PRICE.lt(500), "cheap").when(LineItem::PRICE.lt(1000), "fair").otherwise("dear");
        let bands: Vec<(String, String)> =
            LineItem::query().select((LineItem::SKU, band)).order_by(LineItem::SKU).all(&db.engine).unwrap();
        let bands: Vec<String> = bands.into_iter().map(|(sku, band)| format!("{sku}:{band}")).collect();
        assert_eq!(bands, ["CAKE-1:dear", "MUG-1:fair", "MUG-2:fair", "MUG-3:fair", "TEA-1:cheap", "TEA-2:fair"]);
        let no_list: Vec<Option<i64>> = LineItem::query()
            .select(when(LineItem::LIST_PRICE.is_null(), 1_i64).end())
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        assert_eq!(no_list, [Some(1), None, Some(1), None, None, None]);

        let skus = |filter: Expr| -> Vec<String> {
            LineItem::query().filter(filter).select(LineItem::SKU).order_by(LineItem::SKU).all(&db.engine).unwrap()
        };
        // NULL list prices differ from 600, and equal one another.
        assert_eq!(skus(LineItem::LIST_PRICE.expr().is_distinct_from(600)), ["CAKE-1", "MUG-1", "MUG-2", "MUG-3", "TEA-1"]);
        assert_eq!(skus(LineItem::LIST_PRICE.expr().is_not_distinct_from(600)), ["TEA-2"]);
        let clean = function::<String>("replace", (LineItem::SKU, "-", ""));
        assert_eq!(skus(clean.eq("CAKE1")), ["CAKE-1"]);
        assert_eq!(skus(function::<i64>("abs", LineItem::PRICE - 1000).lt(150)), ["MUG-1", "MUG-2"]);
        let bad = function::<String>("replace; DROP TABLE line_items", LineItem::SKU);
        let err = LineItem::query().filter(bad.eq("x")).count(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
        assert_eq!(db.count("line_items"), 6);
        let earlier = LineItem::query().select(now()).first(&db.engine).unwrap().expect("a row");
        assert!((chrono::Utc::now() - earlier).num_seconds().abs() < 60, "{earlier}");
    }
}

on_all! {
    /// UNION [ALL], INTERSECT, EXCEPT of value queries; window functions.
    fn set_operations_and_windows(db) {
        use orm_core::functions::{rank, row_number};
        stock(db);
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let teas = || LineItem::query().filter(LineItem::CATEGORY.eq("Tea")).select(LineItem::SKU);
        let pricey = || LineItem::query().filter(LineItem::PRICE.ge(600)).select(LineItem::SKU);
        assert_eq!(
            sorted(teas().union(pricey()).all(&db.engine).unwrap()),
            ["CAKE-1", "MUG-1", "MUG-2", "MUG-3", "TEA-1", "TEA-2"]
        );
        assert_eq!(teas().union_all(pricey()).all(&db.engine).unwrap().len(), 2 + 5);
        assert_eq!(sorted(teas().intersect(pricey()).all(&db.engine).unwrap()), ["TEA-2"]);
        assert_eq!(sorted(teas().except(pricey()).all(&db.engine).unwrap()), ["TEA-1"]);
        // The whole is ordered and limited by the columns it returns.
        let last = teas().union(pricey()).order_by(LineItem::SKU.desc()).limit(3).all(&db.engine).unwrap();
        assert_eq!(last, ["TEA-2", "TEA-1", "MUG-3"]);
        let mugs = || LineItem::query().filter(LineItem::CATEGORY.eq("Mugs")).select((LineItem::SKU, LineItem::PRICE));
        let cheap = LineItem::query().filter(LineItem::PRICE.lt(650)).select((LineItem::SKU, LineItem::PRICE));
        let both =
            mugs().union(cheap).order_by_expr(LineItem::PRICE.expr().desc()).order_by_expr(LineItem::SKU.expr().asc());
        let both = both.all(&db.engine).unwrap();
        let skus: Vec<&str> = both.iter().map(|(sku, _)| sku.as_str()).collect();
        assert_eq!(skus, ["MUG-1", "MUG-2", "MUG-3", "TEA-2", "TEA-1"]);
        // A part cannot be ordered on its own, nor the whole by what it does not return.
        let err = teas().union(pricey().order_by(LineItem::SKU)).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        let err = teas().union(pricey()).order_by(LineItem::PRICE).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("columns it returns"), "{err}");

        // The rank of each item's price in its category, and the category's total.
        let ranked: Vec<(String, i64, i64, Option<i64>)> = LineItem::query()
            .select((
                LineItem::SKU,
                row_number().partition_by(LineItem::CATEGORY).order_by(LineItem::PRICE.desc()).order_by(LineItem::SKU),
                rank().order_by(LineItem::PRICE.desc()),
                sum(LineItem::PRICE).over().partition_by(LineItem::CATEGORY),
            ))
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        let show: Vec<String> = ranked.iter().map(|(s, n, r, t)| format!("{s}:{n}:{r}:{}", t.unwrap_or(0))).collect();
        assert_eq!(
            show,
            ["CAKE-1:1:1:1200", "MUG-1:1:2:2500", "MUG-2:2:2:2500", "MUG-3:3:4:2500", "TEA-1:2:6:1000", "TEA-2:1:5:1000"]
        );
    }
}

on_all! {
    /// `DISTINCT ON`: the most expensive item per category on PostgreSQL; SQLite refuses it.
    fn distinct_on_per_group(db) {
        stock(db);
        let top = LineItem::query()
            .select((LineItem::CATEGORY, LineItem::SKU))
            .distinct_on(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .order_by(LineItem::PRICE.desc())
            .order_by(LineItem::SKU);
        if !db.is_postgres() {
            assert_eq!(top.all(&db.engine).unwrap_err().kind(), ErrorKind::Unsupported);
            return;
        }
        let top: Vec<String> = top.all(&db.engine).unwrap().into_iter().map(|(c, s)| format!("{c}:{s}")).collect();
        assert_eq!(top, ["Cake:CAKE-1", "Mugs:MUG-1", "Tea:TEA-2"]);
    }
}

#[derive(orm_core::FromRow, Debug, PartialEq)]
struct CategoryStats {
    category: String,
    items: i64,
    revenue: Option<i64>,
}

on_all! {
    /// Rows read into a struct of the application's own (`#[derive(FromRow)]`).
    fn rows_into_structs(db) {
        stock(db);
        let stats: Vec<CategoryStats> = LineItem::query()
            .select((LineItem::CATEGORY, count_all(), sum(LineItem::PRICE)))
            .group_by(LineItem::CATEGORY)
            .order_by(LineItem::CATEGORY)
            .all_as(&db.engine)
            .unwrap();
        assert_eq!(stats[1], CategoryStats { category: "Mugs".into(), items: 3, revenue: Some(2500) });
    }
}

on_all! {
    /// A common table expression joined like a table, its columns typed; its parameters
    /// bind before the outer query's; objects, counts and sessions read through it.
    fn common_table_expressions(db) {
        stock(db);
        let categories = LineItem::query()
            .filter(LineItem::PRICE.ge(500))
            .select((LineItem::CATEGORY, sum(LineItem::PRICE), count_all()))
            .group_by(LineItem::CATEGORY)
            .cte("category_totals");
        let (category, total, items) = categories.columns();
        let rows: Vec<(String, Option<i64>)> = LineItem::query()
            .join_cte(&categories, category.clone().eq(LineItem::CATEGORY))
            .filter(LineItem::QUANTITY.ge(2))
            .select((LineItem::SKU, total))
            .order_by(LineItem::SKU)
            .all(&db.engine)
            .unwrap();
        let expected = [("CAKE-1", 1200), ("MUG-2", 2500), ("MUG-3", 2500), ("TEA-1", 600)];
        assert_eq!(rows, expected.map(|(sku, t)| (sku.to_owned(), Some(t))));
        let (sql, params) = LineItem::query()
            .join_cte(&categories, category.clone().eq(LineItem::CATEGORY))
            .filter(LineItem::QUANTITY.ge(2))
            .select(LineItem::SKU)
            .to_sql(&orm_core::dialect::POSTGRES)
            .unwrap();
        assert!(sql.starts_with("WITH category_totals(col_1, col_2, col_3) AS (SELECT "), "{sql}");
        assert!(sql.contains(" JOIN category_totals ON category_totals.col_1 = line_items.category WHERE"), "{sql}");
        assert_eq!(params, [orm_core::Value::I64(500), orm_core::Value::I32(2)]);

        // Whole objects, their count, and the same query in a session.
        let in_big_categories = || {
            LineItem::query().join_cte(&categories, category.clone().eq(LineItem::CATEGORY)).filter(items.clone().ge(3))
        };
        let mugs: Vec<String> = in_big_categories().order_by(LineItem::SKU).all(&db.engine).unwrap()
            .into_iter().map(|i| i.sku).collect();
        assert_eq!(mugs, ["MUG-1", "MUG-2", "MUG-3"]);
        assert_eq!(in_big_categories().count(&db.engine).unwrap(), 3);
        let mut s = db.engine.session();
        let loaded = s.select(in_big_categories()).all().unwrap();
        assert_eq!(loaded.len(), 3);
        assert!(loaded.iter().all(|i| i.get().category == "Mugs"));

        // A CTE's name must be new to the query.
        let clash = LineItem::query().select(LineItem::SKU).cte("line_items");
        let err = LineItem::query().join_cte(&clash, clash.columns().eq(LineItem::SKU)).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
        // A bulk write takes no CTE.
        let err = s.update(in_big_categories(), [LineItem::QUANTITY.set(0)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
}

on_all! {
    /// `WITH RECURSIVE`: a category tree walked from its roots, each row with its root's
    /// name and its depth, and a roll-up of the items below each root.
    fn recursive_common_table_expressions(db) {
        use orm_core::functions::value;
        use crate::graphs::Category;
        db.engine.create_all(&[Category::table()]).unwrap();
        let rows = "('Fiction', NULL), ('Science fiction', 1), ('Cyberpunk', 2), ('Non-fiction', NULL), ('History', 4)";
        db.engine.execute(&format!("INSERT INTO lib_categories (name, parent_id) VALUES {rows}"), &[]).unwrap();
        let tree = Category::query()
            .filter(Category::PARENT_ID.is_null())
            .select((Category::ID, Category::NAME, value(0)))
            .cte_recursive("tree", |tree| {
                let (id, root, depth) = tree.columns();
                Category::query().join_cte(tree, id.eq(Category::PARENT_ID)).select((Category::ID, root, depth + 1))
            });
        let (id, root, depth) = tree.columns();
        let walked: Vec<(String, String, i32)> = Category::query()
            .join_cte(&tree, id.clone().eq(Category::ID))
            .select((Category::NAME, root.clone(), depth.clone()))
            .order_by(Category::ID)
            .all(&db.engine)
            .unwrap();
        let expected = [
            ("Fiction", "Fiction", 0),
            ("Science fiction", "Fiction", 1),
            ("Cyberpunk", "Fiction", 2),
            ("Non-fiction", "Non-fiction", 0),
            ("History", "Non-fiction", 1),
        ];
        assert_eq!(walked, expected.map(|(n, r, d)| (n.to_owned(), r.to_owned(), d)));
        // Grouped over the walk: how many categories and how deep below each root.
        let per_root: Vec<(String, i64, Option<i32>)> = Category::query()
            .join_cte(&tree, id.eq(Category::ID))
            .select((root.clone(), count_all(), max(depth)))
            .group_by(root)
            .order_by_expr(count_all().desc())
            .all(&db.engine)
            .unwrap();
        assert_eq!(per_root, [("Fiction".to_owned(), 3, Some(2)), ("Non-fiction".to_owned(), 2, Some(1))]);
        let (sql, _) = Category::query()
            .join_cte(&tree, tree.columns().0.eq(Category::ID))
            .select(Category::NAME)
            .to_sql(&orm_core::dialect::POSTGRES)
            .unwrap();
        assert!(sql.starts_with("WITH RECURSIVE tree(col_1, col_2, col_3) AS (SELECT "), "{sql}");
        assert!(sql.contains(" UNION ALL SELECT lib_categories.id, tree.col_2, "), "{sql}");
    }
}
