//! One-to-many relationships: foreign-key propagation, flush ordering, backrefs kept in
//! sync, cascades, passive deletes and the loading strategies, with statement counts.

use orm_core::prelude::*;
use orm_core::{ErrorKind, Value};
use orm_tests::{TestDb, on_all};

use crate::models::*;

fn schema(db: &TestDb, tables: &[&'static TableDef]) {
    db.engine.create_all(tables).unwrap();
}

fn school(db: &TestDb) {
    schema(db, &[Program::table(), Course::table(), Enrollment::table()])
}

const SELECT_COURSES: &str = "SELECT courses.id, courses.title, courses.code, courses.program_id FROM courses";

on_all! {
    fn children_pushed_onto_new_parents_get_their_keys_at_flush(db) {
        school(db);
        let mut s = db.engine.session();
        let cs = s.add(Program::new("Bachelors in CS", 3));
        let bs = s.add(Program::new("Bachelors in Business", 3));
        let (dbms, biz) = {
            let dbms = cs
                .courses(&mut s)
                .unwrap()
                .push(Course::new("Database Management Systems", "CS 102"));
            let biz = bs
                .courses(&mut s)
                .unwrap()
                .push(Course::new("Businnes communication", "BS 123"));
            (dbms, biz)
        };
        let ann = dbms
            .enrollments(&mut s)
            .unwrap()
            .push(Enrollment::new("ann"));
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql.len(), 5, "{sql:#?}");
        assert_eq!(sql[0], "BEGIN");
        assert!(sql[1].contains("INSERT INTO programs "), "{sql:#?}");
        assert!(sql[2].contains("INSERT INTO courses "), "{sql:#?}");
        assert!(sql[3].contains("INSERT INTO enrollments "), "{sql:#?}");
        assert_eq!(sql[4], "COMMIT");
        assert_eq!(dbms.get().program_id, cs.get().id);
        assert_eq!(biz.get().program_id, bs.get().id);
        assert_eq!(ann.get().course_id, dbms.get().id);
        let rows: Vec<(i32, i32)> = db
            .engine
            .query_raw("SELECT id, program_id FROM courses ORDER BY id", &[], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(rows, [(1, 1), (2, 2)]);
    }
}

on_all! {
    fn parents_are_inserted_first_even_when_children_were_added_first(db) {
        school(db);
        let mut s = db.engine.session();
        let enrollment = Obj::new(Enrollment::new("bob"));
        let course = Obj::new(Course::new("Data SCIENCE", "CS 103"));
        s.add_obj(&enrollment).unwrap();
        s.add_obj(&course).unwrap();
        enrollment.set_course(&mut s, &course).unwrap();
        let program = s.add(Program::new("Bachelors in CS", 3));
        course.set_program(&mut s, &program).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        let order: Vec<&str> = sql
            .iter()
            .filter_map(|q| q.split_whitespace().nth(2))
            .collect();
        assert_eq!(order, ["programs", "courses", "enrollments"], "{sql:#?}");
        assert_eq!(enrollment.get().course_id, course.get().id);
    }
}

on_all! {
    fn deletes_go_children_first_across_tables(db) {
        schema(db, &[Order::table(), OrderLine::table()]);
        let mut s = db.engine.session();
        let order = s.add(Order::new("ann"));
        order.lines(&mut s).unwrap().push(OrderLine::new("tea", 2));
        order.lines(&mut s).unwrap().push(OrderLine::new("cake", 1));
        s.commit().unwrap();
        let mut s = db.engine.session();
        let order = s.get::<Order>(1).unwrap().unwrap();
        s.delete(&order).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "SELECT order_lines.id, order_lines.product, order_lines.quantity, order_lines.order_id FROM order_lines \
                 WHERE order_lines.order_id = $1",
                "BEGIN",
                db.pick("DELETE FROM order_lines WHERE order_lines.id = ANY($1)", "DELETE FROM order_lines WHERE order_lines.id IN ($1, $2)"),
                "DELETE FROM orders WHERE orders.id = $1",
                "COMMIT",
            ]
        );
        assert_eq!(db.count("order_lines"), 0);
    }
}

on_all! {
    fn a_whole_new_graph_in_struct_fields_joins_the_session(db) {
        schema(db, &[Order::table(), OrderLine::table()]);
        let mut s = db.engine.session();
        let mut order = Order::new("ann");
        order.lines.push(OrderLine::new("tea", 2));
        order.lines.push(OrderLine::new("cake", 1));
        let order = s.add(order);
        assert_eq!(
            s.len(),
            3,
            "the lines joined with their order (save-update cascade)"
        );
        assert_eq!(order.lines(&mut s).unwrap().len(), 2);
        s.commit().unwrap();
        let lines: Vec<(String, i64)> = db
            .engine
            .query_raw(
                "SELECT product, order_id FROM order_lines ORDER BY id",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(lines, [("tea".to_owned(), 1), ("cake".to_owned(), 1)]);
    }
}

on_all! {
    fn backref_comes_from_memory_or_one_select(db) {
        school(db);
        let mut s = db.engine.session();
        let cs = s.add(Program::new("Bachelors in CS", 3));
        let course = cs
            .courses(&mut s)
            .unwrap()
            .push(Course::new("Data SCIENCE", "CS 103"));
        let (parent, sql) = db.statements.during(|| course.program(&mut s).unwrap());
        assert!(parent == cs);
        assert!(sql.is_empty(), "known in memory: {sql:?}");
        s.commit().unwrap();

        let mut s2 = db.engine.session();
        let c = s2.query::<Course>().one().unwrap();
        let (parent, sql) = db.statements.during(|| c.program(&mut s2).unwrap());
        assert_eq!(
            sql,
            [
                "SELECT programs.id, programs.name, programs.years_of_study FROM programs WHERE programs.id = $1"
            ]
        );
        assert_eq!(parent.get().name, "Bachelors in CS");
        let (again, sql) = db.statements.during(|| c.program(&mut s2).unwrap());
        assert!(again == parent && sql.is_empty());
    }
}

on_all! {
    fn setting_a_parent_moves_the_child_between_loaded_collections(db) {
        school(db);
        let mut s = db.engine.session();
        let cs = s.add(Program::new("Bachelors in CS", 3));
        let bs = s.add(Program::new("Bachelors in Business", 3));
        let course = cs
            .courses(&mut s)
            .unwrap()
            .push(Course::new("Statistics", "ST 100"));
        s.commit().unwrap();
        assert_eq!(cs.courses(&mut s).unwrap().len(), 1);
        assert_eq!(bs.courses(&mut s).unwrap().len(), 0);

        course.set_program(&mut s, &bs).unwrap();
        assert!(!cs.courses(&mut s).unwrap().contains(&course));
        assert!(bs.courses(&mut s).unwrap().contains(&course));
        assert!(course.program(&mut s).unwrap() == bs);
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            ["UPDATE courses SET program_id = $1 WHERE courses.id = $2"]
        );
        assert_eq!(course.get().program_id, bs.get().id);

        // Pushing onto another collection moves it back.
        cs.courses(&mut s).unwrap().push_obj(&course).unwrap();
        assert!(bs.courses(&mut s).unwrap().is_empty());
        s.commit().unwrap();
        assert_eq!(
            Course::get(&db.engine, course.get().id)
                .unwrap()
                .unwrap()
                .program_id,
            cs.get().id
        );
    }
}

on_all! {
    fn belongs_to_accessors_on_the_child_side(db) {
        schema(db, &[Department::table(), Employee::table()]);
        let mut s = db.engine.session();
        let dev = s.add(Department::new("dev"));
        let ann = s.add(Employee::new("ann"));
        assert!(
            ann.department(&mut s).unwrap().is_none(),
            "a NULL-able key gives an Option"
        );
        ann.set_department(&mut s, &dev).unwrap();
        assert!(dev.employees(&mut s).unwrap().contains(&ann));
        s.commit().unwrap();
        assert_eq!(ann.get().department_id, Some(dev.get().id));
        let mut s2 = db.engine.session();
        let e = s2.query::<Employee>().one().unwrap();
        let d = e.department(&mut s2).unwrap().unwrap();
        assert_eq!(d.get().name, "dev");
        assert!(
            d.employees(&mut s2).unwrap().contains(&e),
            "back_populates: one link, two sides"
        );
    }
}

on_all! {
    fn cascade_delete_removes_loaded_and_unloaded_children(db) {
        schema(db, &[Blog::table(), Post::table(), Tag::table()],
        );
        let mut s = db.engine.session();
        let mut blog = Blog::new("news");
        blog.posts.push(Post::new("one"));
        blog.posts.push(Post::new("two"));
        blog.tags.push(Tag::new("rust"));
        s.add(blog);
        s.commit().unwrap();
        let mut s = db.engine.session();
        let blog = s.get::<Blog>(1).unwrap().unwrap();
        s.delete(&blog).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert!(
            sql.contains(&db.pick("DELETE FROM posts WHERE posts.id = ANY($1)", "DELETE FROM posts WHERE posts.id IN ($1, $2)").to_owned()),
            "{sql:#?}"
        );
        assert!(
            sql.contains(&"DELETE FROM tags WHERE tags.id = $1".to_owned()),
            "{sql:#?}"
        );
        assert_eq!(
            sql.iter().rfind(|q| q.starts_with("DELETE")).unwrap(),
            "DELETE FROM blogs WHERE blogs.id = $1"
        );
        assert_eq!(db.count("posts") + db.count("tags") + db.count("blogs"), 0);
    }
}

on_all! {
    fn delete_orphan_deletes_children_taken_out_of_the_collection(db) {
        schema(db, &[Order::table(), OrderLine::table()]);
        let mut s = db.engine.session();
        let order = s.add(Order::new("ann"));
        let tea = order.lines(&mut s).unwrap().push(OrderLine::new("tea", 2));
        order.lines(&mut s).unwrap().push(OrderLine::new("cake", 1));
        s.commit().unwrap();
        assert!(order.lines(&mut s).unwrap().remove(&tea).unwrap());
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["DELETE FROM order_lines WHERE order_lines.id = $1"]);
        assert_eq!(tea.state(), ObjectState::Detached);
        assert_eq!(order.lines(&mut s).unwrap().len(), 1);
        // A pending child taken out just leaves the session.
        let pending = order.lines(&mut s).unwrap().push(OrderLine::new("jam", 1));
        order.lines(&mut s).unwrap().remove(&pending).unwrap();
        assert_eq!(pending.state(), ObjectState::Transient);
    }
}

on_all! {
    fn removing_a_child_nulls_a_nullable_foreign_key(db) {
        schema(db, &[Department::table(), Employee::table()]);
        let mut s = db.engine.session();
        let dev = s.add(Department::new("dev"));
        let ann = dev.employees(&mut s).unwrap().push(Employee::new("ann"));
        s.commit().unwrap();
        dev.employees(&mut s).unwrap().remove(&ann).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            ["UPDATE employees SET department_id = $1 WHERE employees.id = $2"]
        );
        assert_eq!(db.statements.all()[0].1[0], Value::Null);
        assert_eq!(ann.get().department_id, None);
        assert_eq!(ann.state(), ObjectState::Persistent);
    }
}

on_all! {
    fn removing_a_child_with_a_not_null_key_and_no_orphan_cascade_is_refused(db) {
        school(db);
        let mut s = db.engine.session();
        let cs = s.add(Program::new("Bachelors in CS", 3));
        let c = cs
            .courses(&mut s)
            .unwrap()
            .push(Course::new("Statistics", "ST 100"));
        s.commit().unwrap();
        cs.courses(&mut s).unwrap().remove(&c).unwrap();
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("cannot be NULL"), "{err}");
        assert_eq!(db.count("courses"), 1);
    }
}

on_all! {
    fn deleting_a_parent_without_delete_cascade_unlinks_the_children(db) {
        schema(db, &[Department::table(), Employee::table()],
        );
        let mut s = db.engine.session();
        let dev = s.add(Department::new("dev"));
        let ann = dev.employees(&mut s).unwrap().push(Employee::new("ann"));
        s.commit().unwrap();
        let mut s = db.engine.session();
        let dev = s.get::<Department>(dev.get().id).unwrap().unwrap();
        s.delete(&dev).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "SELECT employees.id, employees.name, employees.department_id FROM employees WHERE employees.department_id = $1",
                "BEGIN",
                "UPDATE employees SET department_id = $1 WHERE employees.id = $2",
                "DELETE FROM departments WHERE departments.id = $1",
                "COMMIT",
            ]
        );
        let left: Vec<Option<i32>> = db
            .engine
            .query_raw("SELECT department_id FROM employees", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(left, [None]);
        let _ = ann;
    }
}

on_all! {
    fn deleting_a_parent_whose_children_cannot_be_unlinked_is_refused(db) {
        schema(db, &[Shelf::table(), Book::table()]);
        let mut s = db.engine.session();
        let shelf = s.add(Shelf::new("A"));
        shelf.books(&mut s).unwrap().push(Book::new("Dune"));
        s.commit().unwrap();
        s.delete(&shelf).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        let msg = err.to_string();
        assert!(
            msg.contains("cannot delete Shelf(1)") && msg.contains("`books.shelf_id` cannot be NULL"),
            "{msg}"
        );
        assert!(
            sql.iter().all(|q| q.starts_with("SELECT")),
            "nothing written: {sql:?}"
        );
        assert_eq!(shelf.state(), ObjectState::Persistent);
        assert_eq!(db.count("books"), 1);
        // Deleting the books first works.
        for book in shelf.books(&mut s).unwrap().to_vec() {
            s.delete(&book).unwrap();
        }
        s.commit().unwrap();
        assert_eq!(db.count("shelves") + db.count("books"), 0);
    }
}

on_all! {
    fn passive_deletes_select_nothing_and_drop_loaded_children(db) {
        school(db);
        let mut s = db.engine.session();
        let cs = s.add(Program::new("Bachelors in CS", 3));
        let bs = s.add(Program::new("Bachelors in Business", 3));
        let c1 = cs.courses(&mut s).unwrap().push(Course::new("a", "A 1"));
        let e1 = c1.enrollments(&mut s).unwrap().push(Enrollment::new("ann"));
        bs.courses(&mut s).unwrap().push(Course::new("b", "B 1"));
        s.commit().unwrap();

        // Loaded children: marked deleted without statements of their own.
        s.delete(&cs).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["DELETE FROM programs WHERE programs.id = $1"]);
        assert_eq!(c1.state(), ObjectState::Detached);
        assert_eq!(
            e1.state(),
            ObjectState::Detached,
            "its own children went with it"
        );
        assert!(s.get::<Course>(c1.get().id).unwrap().is_none());

        // Unloaded children: no SELECT of them at all.
        let mut s = db.engine.session();
        let bs = s.get::<Program>(bs.get().id).unwrap().unwrap();
        s.delete(&bs).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["DELETE FROM programs WHERE programs.id = $1"]);
        assert_eq!(db.count("courses"), 0);
        assert_eq!(db.count("enrollments"), 0);
    }
}

on_all! {
    fn lazy_loading_selects_once_per_parent(db) {
        school(db);
        let mut s = db.engine.session();
        for p in 0..3 {
            let program = s.add(Program::new(format!("p{p}"), 3));
            for c in 0..2 {
                program
                    .courses(&mut s)
                    .unwrap()
                    .push(Course::new(format!("c{c}"), "X"));
            }
        }
        s.commit().unwrap();
        let mut s = db.engine.session();
        let programs = s.query::<Program>().order_by(Program::ID).all().unwrap();
        db.statements.clear();
        for p in &programs {
            assert_eq!(p.courses(&mut s).unwrap().len(), 2);
        }
        assert_eq!(
            db.statements.sql(),
            vec![format!("{SELECT_COURSES} WHERE courses.program_id = $1"); 3]
        );
        db.statements.clear();
        for p in &programs {
            p.courses(&mut s).unwrap().to_vec();
        }
        assert!(
            db.statements.sql().is_empty(),
            "loaded collections are kept"
        );
    }
}

on_all! {
    fn a_new_parent_has_an_empty_collection_without_a_query(db) {
        school(db);
        let mut s = db.engine.session();
        let p = s.add(Program::new("new", 1));
        let (n, sql) = db.statements.during(|| p.courses(&mut s).unwrap().len());
        assert_eq!(n, 0);
        assert!(sql.is_empty());
    }
}

fn hundred_programs(db: &TestDb) {
    let mut s = db.engine.session();
    for p in 0..100 {
        let program = s.add(Program::new(format!("p{p:03}"), 3));
        for c in 0..(p % 4) {
            program.courses(&mut s).unwrap().push(Course::new(format!("c{c}"), format!("P{p} C{c}")));
        }
    }
    s.commit().unwrap();
}

on_all! {
    fn selectin_loads_100_programs_with_their_courses_in_2_statements(db) {
        school(db);
        hundred_programs(db);
        let mut s = db.engine.session();
        db.statements.clear();
        let programs = s
            .query::<Program>()
            .order_by(Program::NAME)
            .options(selectinload(Program::COURSES))
            .all()
            .unwrap();
        let mut total = 0;
        for (i, p) in programs.iter().enumerate() {
            let courses = p.courses(&mut s).unwrap().to_vec();
            assert_eq!(courses.len(), i % 4);
            assert!(courses.iter().all(|c| c.get().program_id == p.get().id));
            total += courses.len();
        }
        assert_eq!(total, 150);
        assert_eq!(
            db.statements.sql(),
            [
                "SELECT programs.id, programs.name, programs.years_of_study FROM programs ORDER BY programs.name ASC",
                &db.pick(
                    format!("{SELECT_COURSES} WHERE courses.program_id = ANY($1)"),
                    format!("{SELECT_COURSES} WHERE courses.program_id IN ({})", (1..=100).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")),
                ),
            ]
        );
    }
}

on_all! {
    fn selectin_groups_children_by_the_foreign_key_the_database_has(db) {
        // As SQLAlchemy's selectin loader does: the collection follows the rows the
        // SELECT returned; an object changed in memory keeps its unflushed change.
        school(db);
        let mut s = db.engine.session();
        let (cs, bs) = (s.add(Program::new("CS", 3)), s.add(Program::new("BS", 3)));
        cs.courses(&mut s).unwrap().push(Course::new("Databases", "CS 102"));
        s.commit().unwrap();
        let mut s = db.engine.session();
        s.set_autoflush(false);
        let course = s.query::<Course>().first().unwrap().unwrap();
        course.get_mut().program_id = bs.get().id; // not flushed
        let programs =
            s.query::<Program>().order_by(Program::NAME).options(selectinload(Program::COURSES)).all().unwrap();
        let (loaded_bs, loaded_cs) = (&programs[0], &programs[1]);
        assert_eq!(loaded_cs.get().name, "CS");
        assert_eq!(loaded_cs.courses(&mut s).unwrap().to_vec(), vec![course.clone()]);
        assert!(loaded_bs.courses(&mut s).unwrap().is_empty());
        assert_eq!(course.get().program_id, bs.get().id, "the unflushed change is kept");
    }
}

on_all! {
    fn selectin_chains_through_three_levels(db) {
        school(db);
        let mut s = db.engine.session();
        for p in 0..5 {
            let program = s.add(Program::new(format!("p{p}"), 3));
            for c in 0..3 {
                let course = program
                    .courses(&mut s)
                    .unwrap()
                    .push(Course::new(format!("c{c}"), "X"));
                for e in 0..2 {
                    course
                        .enrollments(&mut s)
                        .unwrap()
                        .push(Enrollment::new(format!("s{e}")));
                }
            }
        }
        s.commit().unwrap();
        let mut s = db.engine.session();
        db.statements.clear();
        let programs = s
            .query::<Program>()
            .options(selectinload(Program::COURSES).then(selectinload(Course::ENROLLMENTS)))
            .all()
            .unwrap();
        let mut students = 0;
        for p in &programs {
            for c in p.courses(&mut s).unwrap().to_vec() {
                students += c.enrollments(&mut s).unwrap().len();
            }
        }
        assert_eq!(students, 30);
        assert_eq!(db.statements.sql().len(), 3, "{:#?}", db.statements.sql());
    }
}

on_all! {
    fn joined_loads_collections_in_the_same_statement(db) {
        school(db);
        hundred_programs(db);
        let mut s = db.engine.session();
        db.statements.clear();
        let programs = s
            .query::<Program>()
            .filter(Program::NAME.like("p0%"))
            .order_by(Program::NAME)
            .options(joinedload(Program::COURSES))
            .all()
            .unwrap();
        assert_eq!(programs.len(), 100);
        let counts: Vec<usize> = programs
            .iter()
            .map(|p| p.courses(&mut s).unwrap().len())
            .collect();
        assert_eq!(counts.iter().sum::<usize>(), 150);
        assert_eq!(counts[..5], [0, 1, 2, 3, 0]);
        let sql = db.statements.sql();
        assert_eq!(sql.len(), 1, "{sql:#?}");
        assert!(
            sql[0]
                .contains("LEFT OUTER JOIN courses AS courses_1 ON courses_1.program_id = programs.id"),
            "{}",
            sql[0]
        );
    }
}

on_all! {
    fn joined_with_limit_limits_parents_not_rows(db) {
        school(db);
        hundred_programs(db);
        let mut s = db.engine.session();
        let programs = s
            .query::<Program>()
            .order_by(Program::NAME)
            .limit(4)
            .options(joinedload(Program::COURSES))
            .all()
            .unwrap();
        let names: Vec<String> = programs.iter().map(|p| p.get().name.clone()).collect();
        assert_eq!(names, ["p000", "p001", "p002", "p003"]);
        let counts: Vec<usize> = programs
            .iter()
            .map(|p| p.courses(&mut s).unwrap().len())
            .collect();
        assert_eq!(counts, [0, 1, 2, 3]);
    }
}

on_all! {
    fn declared_selectin_loads_by_default_and_raise_refuses_lazy_loads(db) {
        schema(db, &[Blog::table(), Post::table(), Tag::table()],
        );
        let mut s = db.engine.session();
        for b in 0..3 {
            let mut blog = Blog::new(format!("b{b}"));
            blog.posts.push(Post::new("hello"));
            blog.tags.push(Tag::new("t"));
            s.add(blog);
        }
        s.commit().unwrap();
        let mut s = db.engine.session();
        db.statements.clear();
        let blogs = s.query::<Blog>().all().unwrap();
        assert_eq!(
            db.statements.sql().len(),
            2,
            "lazy = \"selectin\" loads posts with the blogs"
        );
        assert_eq!(blogs[0].posts(&mut s).unwrap().len(), 1);
        assert_eq!(db.statements.sql().len(), 2);
        let err = blogs[0].tags(&mut s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("lazy = \"raise\""), "{err}");
        let blogs = s
            .query::<Blog>()
            .options(selectinload(Blog::TAGS))
            .all()
            .unwrap();
        assert_eq!(blogs[1].tags(&mut s).unwrap().len(), 1);
    }
}

on_all! {
    fn raiseload_option_refuses_lazy_loads_for_one_query(db) {
        school(db);
        hundred_programs(db);
        let mut s = db.engine.session();
        let programs = s
            .query::<Program>()
            .limit(2)
            .options(raiseload(Program::COURSES))
            .all()
            .unwrap();
        let err = programs[0].courses(&mut s).unwrap_err();
        assert!(err.to_string().contains("not loaded"), "{err}");
    }
}

on_all! {
    fn loading_children_reuses_handles_already_in_the_session(db) {
        school(db);
        hundred_programs(db);
        let mut s = db.engine.session();
        let course = s.get::<Course>(1).unwrap().unwrap();
        let parent = course.program(&mut s).unwrap();
        let children = parent.courses(&mut s).unwrap().to_vec();
        assert!(children.contains(&course));
    }
}

on_all! {
    /// `extend` adds several new children at once; `remove_at` and `retain` take children
    /// out without a handle cloned out of the collection first; the foreign keys follow
    /// at flush (NULL for those taken out).
    fn extend_remove_at_and_retain_change_a_collection(db) {
        db.engine.create_all(&[Department::table(), Employee::table()]).unwrap();
        let mut s = db.engine.session();
        let sales = s.add(Department::new("sales"));
        let added = sales.employees(&mut s).unwrap().extend(["ann", "bob", "cid", "dee"].map(Employee::new));
        assert_eq!(added.len(), 4);
        s.commit().unwrap();
        let assigned = |name: &str| {
            db.column(
                "SELECT coalesce(d.name, '-') FROM employees e LEFT JOIN departments d ON d.id = e.department_id \
                 WHERE e.name = $1",
                &[Value::from(name)],
            )
            .pop()
            .unwrap()
        };
        assert_eq!(assigned("cid"), "sales");

        let gone = sales.employees(&mut s).unwrap().remove_at(1).unwrap().expect("a second employee");
        assert_eq!(gone.get().name, "bob");
        assert_eq!(sales.employees(&mut s).unwrap().remove_at(9).unwrap(), None);
        let went = sales.employees(&mut s).unwrap().retain(|e| e.get().name != "dee").unwrap();
        assert_eq!(went, 1);
        let left: Vec<String> = sales.employees(&mut s).unwrap().iter().map(|e| e.get().name.clone()).collect();
        assert_eq!(left, ["ann", "cid"]);
        s.commit().unwrap();
        assert_eq!((assigned("ann"), assigned("bob"), assigned("cid"), assigned("dee")), ("sales".into(), "-".into(), "sales".into(), "-".into()));
    }
}

/// Models no other test uses: the session meets them here first, in any order.
mod first_met {
    use orm_core::prelude::*;

    #[derive(Model, Debug)]
    #[orm(table = "fm_shelves")]
    pub struct Shelf {
        #[orm(primary_key)]
        pub id: i32,
        pub name: String,
        #[orm(has_many(Crate, foreign_key = "shelf_id", backref = "shelf", lazy = "selectin"))]
        pub crates: HasMany<Crate>,
    }

    #[derive(Model, Debug)]
    #[orm(table = "fm_crates")]
    pub struct Crate {
        #[orm(primary_key)]
        pub id: i32,
        pub label: String,
        #[orm(foreign_key = "fm_shelves.id")]
        pub shelf_id: i32,
    }

    #[derive(Model, Debug)]
    #[orm(table = "fm_posts")]
    pub struct Post {
        #[orm(primary_key)]
        pub id: i32,
        pub title: String,
        #[orm(many_to_many(Topic, secondary = "fm_post_topics", backref = "posts"))]
        pub topics: ManyToMany<Topic>,
    }

    #[derive(Model, Debug)]
    #[orm(table = "fm_topics")]
    pub struct Topic {
        #[orm(primary_key)]
        pub id: i32,
        pub name: String,
    }
}

on_all! {
    /// The session loads rows of a model it has not met yet, along a relationship from one
    /// it has: declared eager loading, a backref's accessor, the other side of a
    /// many-to-many (the loaders are set up when a model is first used, not compiled into
    /// the tables).
    fn models_first_met_through_relationships_load(db) {
        use first_met::{Crate, Post, PostTopicsBackref, Shelf, ShelfCratesBackref, ShelfRelations, Topic};
        db.engine.create_all(&[Shelf::table(), Crate::table(), Post::table(), Topic::table()]).unwrap();
        for sql in [
            "INSERT INTO fm_shelves (name) VALUES ('top')",
            "INSERT INTO fm_crates (label, shelf_id) VALUES ('a', 1), ('b', 1)",
            "INSERT INTO fm_posts (title) VALUES ('hello')",
            "INSERT INTO fm_topics (name) VALUES ('rust')",
            "INSERT INTO fm_post_topics (post_id, topic_id) VALUES (1, 1)",
        ] {
            db.engine.execute(sql, &[]).unwrap();
        }
        let mut s = db.engine.session();
        // Topics first: their posts come through the backref of a relationship declared on Post.
        let topic = s.query::<Topic>().one().unwrap();
        let titles: Vec<String> = topic.posts(&mut s).unwrap().iter().map(|p| p.get().title.clone()).collect();
        assert_eq!(titles, ["hello"]);
        // Shelves: their crates are loaded eagerly (declared selectin) with the query.
        let (shelves, statements) = db.statements.during(|| s.query::<Shelf>().all().unwrap());
        assert_eq!(statements.len(), 2, "{statements:?}");
        let crates = shelves[0].crates(&mut s).unwrap().to_vec();
        assert_eq!(crates.iter().map(|c| c.get().label.clone()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(crates[0].shelf(&mut s).unwrap().get().name, "top");
    }
}
