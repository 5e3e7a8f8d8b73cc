//! Exact queries (issue 26): what is written is what runs, on both backends. Each bug
//! found porting reports from SQLAlchemy has its regression test here; the features that
//! were missing are compared across backends in `differential`.

use orm_core::ErrorKind;
use orm_core::Text;
use orm_core::dialect::{POSTGRES, SQLITE};
use orm_core::functions::{avg, coalesce, concat, count_all, length, max, round, row_number, sum, value, when};
use orm_core::prelude::*;
use orm_tests::on_all;

use crate::projections::{LineItem, stock};

on_all! {
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

on_all! {
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

on_all! {
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

on_all! {
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

on_all! {
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

on_all! {
    /// Joins are written in the order they were asked for, each as asked: inner or outer,
    /// along a relationship or on a condition, to a table, an alias, a CTE or a subquery.
    fn joins_are_written_as_asked(db) {
        use crate::graphs::Category;
        use crate::models::{Course, Enrollment, Program};
        use orm_core::functions::count;
        db.engine.create_all(&[Program::table(), Course::table(), Enrollment::table(), Category::table()]).unwrap();
        let (sql, _) = Program::query()
            .left_join(Program::COURSES)
            .join_on(Category::table(), Category::NAME.eq(Program::NAME))
            .left_join(Course::ENROLLMENTS)
            .select((Program::NAME, count(Enrollment::ID)))
            .group_by(Program::NAME)
            .to_sql(&POSTGRES)
            .unwrap();
        assert_eq!(
            sql,
            "SELECT programs.name, count(enrollments.id) FROM programs \
             LEFT OUTER JOIN courses ON courses.program_id = programs.id \
             JOIN lib_categories ON lib_categories.name = programs.name \
             LEFT OUTER JOIN enrollments ON enrollments.course_id = courses.id GROUP BY programs.name"
        );
        // A subquery in FROM names its columns; a CTE read alone is defined ahead.
        let per_program = Course::query().select((Course::PROGRAM_ID, count_all())).group_by(Course::PROGRAM_ID);
        let sub = per_program.clone().subquery("per_program");
        let (program, courses) = sub.columns();
        let (sql, params) = Program::query()
            .left_join_on(&sub, program.eq(Program::ID))
            .filter(Program::YEARS_OF_STUDY.ge(3))
            .select((Program::NAME, coalesce(courses, 0_i64)))
            .to_sql(&SQLITE)
            .unwrap();
        assert_eq!(
            sql,
            "SELECT programs.name, coalesce(per_program.col_2, ?1) FROM programs LEFT OUTER JOIN \
             (SELECT courses.program_id AS col_1, count(*) AS col_2 FROM courses GROUP BY courses.program_id) \
             AS per_program ON per_program.col_1 = programs.id WHERE programs.years_of_study >= ?2"
        );
        assert_eq!(params, [orm_core::Value::I64(0), orm_core::Value::I32(3)]);
        let cte = per_program.cte("per_program");
        let (_, courses) = cte.columns();
        let (sql, _) = cte.query().select(max(courses)).to_sql(&POSTGRES).unwrap();
        assert_eq!(
            sql,
            "WITH per_program(col_1, col_2) AS (SELECT courses.program_id, count(*) FROM courses GROUP BY \
             courses.program_id) SELECT max(per_program.col_2) FROM per_program"
        );

        // Categories with their parent's name, roots included.
        let rows = "('Fiction', NULL), ('Science fiction', 1), ('Cooking', NULL)";
        db.engine.execute(&format!("INSERT INTO lib_categories (name, parent_id) VALUES {rows}"), &[]).unwrap();
        let pairs: Vec<(String, Option<String>)> = Category::query()
            .left_join_as(Category::PARENT, "up")
            .select((Category::NAME, Category::NAME.of("up").nullable()))
            .order_by(Category::ID)
            .all(&db.engine)
            .unwrap();
        let expected = [("Fiction", None), ("Science fiction", Some("Fiction")), ("Cooking", None)];
        assert_eq!(pairs, expected.map(|(n, p)| (n.to_owned(), p.map(str::to_owned))));
        // The parent read without NULL is refused, saying how to read it.
        let err = Category::query()
            .left_join_as(Category::PARENT, "up")
            .select((Category::NAME, Category::NAME.of("up")))
            .all(&db.engine)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("`up` is on the NULL side of an outer join"), "{err}");
        // An outer join locks no rows.
        if db.is_postgres() {
            let mut s = db.engine.session();
            let err = s.select(Category::query().left_join_as(Category::PARENT, "up").for_update()).all().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        }
    }
}

on_all! {
    /// Session queries with joins and joined eager loading: the query's rows are chosen
    /// first (its joins and filters), then their children attach.
    fn session_queries_join_and_load_together(db) {
        use crate::models::{Course, Program, ProgramRelations};
        use orm_core::{aliased, joinedload};
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let mut s = db.engine.session();
        let mut cs = Program::new("Bachelors in CS", 3);
        cs.courses.push(Course::new("Data Science", "CS 103"));
        cs.courses.push(Course::new("Algorithms", "CS 110"));
        s.add(cs);
        s.add(Program::new("Empty", 1));
        s.commit().unwrap();
        let mut s = db.engine.session();
        let with_data = s
            .query::<Program>()
            .join(Program::COURSES)
            .filter(Course::TITLE.like("Data%"))
            .options(joinedload(Program::COURSES))
            .all()
            .unwrap();
        assert_eq!(with_data.len(), 1);
        assert_eq!(with_data[0].courses(&mut s).unwrap().len(), 2, "all its courses, not the matching one only");
        let without: Vec<String> = s
            .query::<Program>()
            .left_join(Program::COURSES)
            .filter(Course::ID.is_null())
            .all()
            .unwrap()
            .iter()
            .map(|p| p.get().name.clone())
            .collect();
        assert_eq!(without, ["Empty"]);
        // An aliased root loads objects too, the same handles.
        let p2 = aliased::<Program>("p2");
        let again = s.select(p2.query().filter(p2.col(Program::YEARS_OF_STUDY).eq(3))).all().unwrap();
        assert!(again[0] == with_data[0], "one handle per row");
    }
}

on_all! {
    /// A CTE of more than eight columns, its columns typed, joined and read on its own.
    fn wide_common_table_expressions(db) {
        stock(db);
        let wide = LineItem::query()
            .select((
                LineItem::ID, LineItem::SKU, LineItem::CATEGORY, LineItem::PRICE, LineItem::QUANTITY,
                LineItem::LIST_PRICE, LineItem::WEIGHT, LineItem::PRICE * LineItem::QUANTITY, LineItem::PRICE - 100,
                LineItem::SKU.expr().cast::<Text>(), LineItem::LIST_PRICE.is_null(),
            ))
            .cte("wide");
        let (id, sku, _, _, _, list, _, total, _, text, unlisted) = wide.columns();
        let rows: Vec<(String, Option<i64>, i64, String, bool)> =
            wide.query().filter(id.le(3)).select((sku, list, &total, text, unlisted)).order_by(&id).all(&db.engine).unwrap();
        let expected = [("TEA-1", Some(500), 1200, false), ("TEA-2", Some(600), 600, false), ("CAKE-1", None, 2400, true)];
        assert_eq!(rows, expected.map(|(s, l, t, u)| (s.to_owned(), l, t, s.to_owned(), u)));
        let joined: Vec<i64> =
            LineItem::query().join_cte(&wide, id.eq(LineItem::ID)).select(total).order_by(LineItem::ID).limit(2).all(&db.engine).unwrap();
        assert_eq!(joined, [1200, 600]);
    }
}
