//! Every query operator, ordering, paging and terminal method.

use orm_core::dialect::{POSTGRES, SQLITE};
use orm_core::prelude::*;
use orm_core::{ErrorKind, Value, and, not, or};
use orm_tests::{TestDb, on_all, test_case};

use crate::models::{Course, Program};

/// Programs 1..=5 named p1..p5 with years 1..=5, plus "Bachelors in CS" (years 3).
fn seeded(db: &TestDb) {
    db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
    for i in 1..=5 {
        Program::new(format!("p{i}"), i).insert(&db.engine).unwrap();
    }
    Program::new("Bachelors in CS", 3).insert(&db.engine).unwrap();
}

fn ids(db: &TestDb, q: Query<Program>) -> Vec<i32> {
    q.order_by(Program::ID).all(&db.engine).unwrap().into_iter().map(|p| p.id).collect()
}

on_all! {
    fn comparison_operators(db) {
        seeded(db);
        let y = Program::YEARS_OF_STUDY;
        assert_eq!(ids(db, Program::query().filter(y.eq(3))), [3, 6]);
        assert_eq!(ids(db, Program::query().filter(y.ne(3))), [1, 2, 4, 5]);
        assert_eq!(ids(db, Program::query().filter(y.lt(3))), [1, 2]);
        assert_eq!(ids(db, Program::query().filter(y.le(3))), [1, 2, 3, 6]);
        assert_eq!(ids(db, Program::query().filter(y.gt(3))), [4, 5]);
        assert_eq!(ids(db, Program::query().filter(y.ge(3))), [3, 4, 5, 6]);
    }
}

on_all! {
    fn like_ilike_and_in(db) {
        seeded(db);
        assert_eq!(
            ids(db, Program::query().filter(Program::NAME.like("p%"))),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(
            ids(db, Program::query().filter(Program::NAME.like("P%"))),
            Vec::<i32>::new()
        );
        assert_eq!(
            ids(db, Program::query().filter(Program::NAME.ilike("P%"))),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(
            ids(db, Program::query().filter(Program::NAME.like("%in CS"))),
            [6]
        );
        assert_eq!(
            ids(db, Program::query().filter(Program::NAME.like("p_"))),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(
            ids(db, Program::query().filter(Program::ID.in_([2, 4, 42]))),
            [2, 4]
        );
        assert_eq!(
            ids(
                db,
                Program::query().filter(Program::NAME.in_(["p1", "p5"]))
            ),
            [1, 5]
        );
        assert_eq!(
            ids(
                db,
                Program::query().filter(Program::ID.in_(Vec::<i32>::new()))
            ),
            Vec::<i32>::new()
        );
        assert_eq!(
            ids(db, Program::query().filter(Program::ID.not_in([1, 2, 3]))),
            [4, 5, 6]
        );
    }
}

test_case! {
    fn in_is_one_statement_shape_for_any_number_of_values() {
        let q1 = Program::query().filter(Program::ID.in_([1]));
        let q3 = Program::query().filter(Program::ID.in_([1, 2, 3]));
        let (a, pa) = q1.to_sql(&POSTGRES).unwrap();
        let (b, pb) = q3.to_sql(&POSTGRES).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a,
            "SELECT programs.id, programs.name, programs.years_of_study FROM programs WHERE programs.id = ANY($1)"
        );
        assert_eq!(pa, [Value::Array(vec![Value::I32(1)])]);
        assert_eq!(pb.len(), 1);
        // SQLite has no array parameters: one placeholder per value.
        let (c, pc) = Program::query().filter(Program::ID.in_([1, 2, 3])).to_sql(&SQLITE).unwrap();
        assert_eq!(
            c,
            "SELECT programs.id, programs.name, programs.years_of_study FROM programs WHERE programs.id IN (?1, ?2, ?3)"
        );
        assert_eq!(pc.len(), 3);
        let (d, _) = Program::query().filter(Program::NAME.ilike("a%")).offset(2).to_sql(&SQLITE).unwrap();
        assert!(d.ends_with("WHERE lower(programs.name) LIKE lower(?1) ESCAPE '\\' LIMIT -1 OFFSET ?2"), "{d}");
    }
}

on_all! {
    fn null_checks(db) {
        db.engine
            .create_all(&[crate::models::Membership::table()])
            .unwrap();
        use crate::models::Membership;
        for (i, role) in [None, Some("admin"), None].into_iter().enumerate() {
            Membership {
                group_id: 1,
                member: format!("m{i}"),
                role: role.map(Into::into),
            }
            .insert(&db.engine)
            .unwrap();
        }
        let count = |e| Membership::query().filter(e).count(&db.engine).unwrap();
        assert_eq!(count(Membership::ROLE.is_null()), 2);
        assert_eq!(count(Membership::ROLE.is_not_null()), 1);
        assert_eq!(count(Membership::ROLE.eq("admin")), 1);
        // Comparing with NULL is never true in SQL; is_null is the way.
        assert_eq!(count(Membership::ROLE.ne("admin")), 0);
    }
}

on_all! {
    fn and_or_not_combine(db) {
        seeded(db);
        let y = Program::YEARS_OF_STUDY;
        assert_eq!(
            ids(db, Program::query().filter(y.gt(1).and(y.lt(4)))),
            [2, 3, 6]
        );
        assert_eq!(
            ids(db, Program::query().filter(y.eq(1).or(y.eq(5)))),
            [1, 5]
        );
        assert_eq!(
            ids(db, Program::query().filter(y.eq(1).or(y.eq(5)).not())),
            [2, 3, 4, 6]
        );
        assert_eq!(
            ids(
                db,
                Program::query().filter((y.eq(1) | y.eq(2)) & !Program::ID.eq(2))
            ),
            [1]
        );
        assert_eq!(
            ids(
                db,
                Program::query().filter(and([y.ge(2), y.le(4), not(y.eq(3))]))
            ),
            [2, 4]
        );
        assert_eq!(
            ids(
                db,
                Program::query().filter(or([y.eq(4), Program::NAME.eq("p1")]))
            ),
            [1, 4]
        );
        assert_eq!(ids(db, Program::query().filter(and([]))).len(), 6);
        assert_eq!(ids(db, Program::query().filter(or([]))).len(), 0);
        // Two filters are ANDed; an OR inside keeps its parentheses.
        assert_eq!(
            ids(
                db,
                Program::query()
                    .filter(y.eq(1).or(y.eq(3)))
                    .filter(Program::ID.lt(5))
            ),
            [1, 3]
        );
    }
}

on_all! {
    fn order_limit_offset(db) {
        seeded(db);
        let names = |q: Query<Program>| {
            q.all(&db.engine)
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(
                Program::query()
                    .order_by(Program::YEARS_OF_STUDY.desc())
                    .order_by(Program::NAME.asc())
                    .limit(3)
            ),
            ["p5", "p4", "Bachelors in CS"]
        );
        assert_eq!(
            names(Program::query().order_by(Program::ID).offset(4)),
            ["p5", "Bachelors in CS"]
        );
        assert_eq!(
            names(Program::query().order_by(Program::ID).limit(2).offset(1)),
            ["p2", "p3"]
        );
    }
}

on_all! {
    fn first_one_one_or_none_and_count(db) {
        seeded(db);
        let cs = Program::query().filter(Program::NAME.eq("Bachelors in CS"));
        assert_eq!(cs.clone().first(&db.engine).unwrap().unwrap().id, 6);
        assert_eq!(cs.clone().one(&db.engine).unwrap().id, 6);
        assert_eq!(cs.clone().one_or_none(&db.engine).unwrap().unwrap().id, 6);
        assert_eq!(cs.count(&db.engine).unwrap(), 1);

        let none = Program::query().filter(Program::NAME.eq("nope"));
        assert!(none.clone().first(&db.engine).unwrap().is_none());
        assert!(none.clone().one_or_none(&db.engine).unwrap().is_none());
        let err = none.one(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("programs"), "{err}");

        let many = Program::query().filter(Program::YEARS_OF_STUDY.eq(3));
        assert_eq!(
            many.clone().one(&db.engine).unwrap_err().kind(),
            ErrorKind::MultipleRows
        );
        assert_eq!(
            many.clone().one_or_none(&db.engine).unwrap_err().kind(),
            ErrorKind::MultipleRows
        );
        assert_eq!(many.count(&db.engine).unwrap(), 2);
        assert_eq!(
            Program::query()
                .limit(4)
                .offset(3)
                .count(&db.engine)
                .unwrap(),
            3
        );
    }
}

on_all! {
    fn first_sends_limit_one_as_a_bound_parameter(db) {
        seeded(db);
        db.statements.clear();
        Program::query()
            .filter(Program::NAME.eq("Bachelors in CS"))
            .first(&db.engine)
            .unwrap();
        let all = db.statements.all();
        assert_eq!(
            all.last().unwrap().0,
            "SELECT programs.id, programs.name, programs.years_of_study FROM programs WHERE programs.name = $1 LIMIT $2"
        );
        assert_eq!(
            all.last().unwrap().1,
            [Value::from("Bachelors in CS"), Value::I64(1)]
        );
    }
}

on_all! {
    fn bulk_delete_and_raw_model_queries(db) {
        seeded(db);
        assert_eq!(
            Program::query()
                .filter(Program::YEARS_OF_STUDY.le(2))
                .delete(&db.engine)
                .unwrap(),
            2
        );
        assert_eq!(Program::query().count(&db.engine).unwrap(), 4);
        // The escape hatch speaks the backend's own SQL.
        let sql = db.pick3(
            "SELECT id, name, years_of_study FROM programs WHERE name ~ $1 ORDER BY id",
            "SELECT id, name, years_of_study FROM programs WHERE name GLOB ?1 ORDER BY id",
            "SELECT id, name, years_of_study FROM programs WHERE name REGEXP ? ORDER BY id",
        );
        let pattern = db.pick3("^p[35]$", "p[35]", "^p[35]$");
        let rows: Vec<Program> = orm_core::query::from_sql(&db.engine, sql, orm_core::params![pattern])
        .unwrap();
        assert_eq!(rows.iter().map(|p| p.id).collect::<Vec<_>>(), [3, 5]);
        let err = Program::query().limit(1).delete(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }
}

on_all! {
    fn filtering_on_another_models_column_is_a_clear_error(db) {
        seeded(db);
        let err = Program::query()
            .filter(Course::TITLE.eq("x"))
            .all(&db.engine)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("`courses`"), "{err}");
    }
}
