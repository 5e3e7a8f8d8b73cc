//! Every relationship shape beyond the seed: self-referential trees, joins and existence
//! filters along relationships, counts per parent, eager loading in depth, the N+1
//! detector.

use orm_core::prelude::*;
use orm_core::{ErrorKind, NPlusOne};
use orm_tests::{TestDb, on_all};

use crate::models::*;

fn school(db: &TestDb) {
    db.engine.create_all(&[Program::table(), Course::table(), Enrollment::table()]).unwrap();
}

/// Programs p0..p{n-1}; program i has i % 3 courses, each with 2 enrollments.
fn school_with(db: &TestDb, n: usize) {
    school(db);
    let mut s = db.engine.session();
    for p in 0..n {
        let program = s.add(Program::new(format!("p{p}"), (p % 5) as i32));
        for c in 0..(p % 3) {
            let course =
                program.courses(&mut s).unwrap().push(Course::new(format!("Data {p}-{c}"), format!("C{p}{c}")));
            for e in 0..2 {
                course.enrollments(&mut s).unwrap().push(Enrollment::new(format!("student {p}-{c}-{e}")));
            }
        }
    }
    s.commit().unwrap();
}

on_all! {
    fn a_tree_added_leaves_first_is_inserted_parents_first(db) {
        db.engine.create_all(&[Category::table()]).unwrap();
        let mut s = db.engine.session();
        let leaf = s.add(Category::new("leaf"));
        let mid = s.add(Category::new("mid"));
        let other_leaf = s.add(Category::new("other leaf"));
        let root = s.add(Category::new("root"));
        leaf.set_parent(&mut s, &mid).unwrap();
        other_leaf.set_parent(&mut s, &mid).unwrap();
        mid.set_parent(&mut s, &root).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        let inserts: Vec<&String> = sql.iter().filter(|q| q.contains("INSERT INTO")).collect();
        assert_eq!(inserts.len(), 3, "one statement per level: {sql:#?}");
        assert_eq!(root.get().parent_id, None);
        assert_eq!(mid.get().parent_id, Some(root.get().id));
        assert_eq!(leaf.get().parent_id, Some(mid.get().id));
        assert_eq!(other_leaf.get().parent_id, Some(mid.get().id));
        assert!(root.get().id < mid.get().id && mid.get().id < leaf.get().id, "parents got their keys first");
        assert_eq!(mid.children(&mut s).unwrap().len(), 2);

        // Loaded again: parent and children accessors both ways.
        let mut s2 = db.engine.session();
        let leaf2 = s2.get::<Category>(leaf.get().id).unwrap().unwrap();
        let mid2 = leaf2.parent(&mut s2).unwrap().unwrap();
        let root2 = mid2.parent(&mut s2).unwrap().unwrap();
        assert!(root2.parent(&mut s2).unwrap().is_none());
        assert_eq!(root2.get().name, "root");
        assert_eq!(mid2.children(&mut s2).unwrap().len(), 2);
        assert!(mid2.children(&mut s2).unwrap().contains(&leaf2));
    }

    fn deleting_a_tree_root_deletes_the_whole_tree(db) {
        db.engine.create_all(&[Category::table()]).unwrap();
        let mut s = db.engine.session();
        let mut root = Category::new("root");
        for i in 0..3 {
            let mut child = Category::new(format!("child {i}"));
            child.children.push(Category::new(format!("grandchild {i}")));
            root.children.push(child);
        }
        let root = s.add(root);
        s.commit().unwrap();
        assert_eq!(db.count("categories"), 7);
        let mut s = db.engine.session();
        let root = s.get::<Category>(root.get().id).unwrap().unwrap();
        s.delete(&root).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        let deletes: Vec<&String> = sql.iter().filter(|q| q.starts_with("DELETE")).collect();
        assert_eq!(deletes.len(), 3, "leaves first, one statement per level: {sql:#?}");
        assert_eq!(db.count("categories"), 0);
    }

    fn a_parent_set_to_itself_or_moved_between_subtrees(db) {
        db.engine.create_all(&[Category::table()]).unwrap();
        let mut s = db.engine.session();
        let a = s.add(Category::new("a"));
        let b = s.add(Category::new("b"));
        let x = a.children(&mut s).unwrap().push(Category::new("x"));
        s.commit().unwrap();
        x.set_parent(&mut s, &b).unwrap();
        assert!(a.children(&mut s).unwrap().is_empty());
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["UPDATE categories SET parent_id = $1 WHERE categories.id = $2"]);
        assert_eq!(x.get().parent_id, Some(b.get().id));
    }

    fn joins_along_relationships_both_ways(db) {
        school_with(db, 6);
        // Many-to-one: courses of one program, by the program's name.
        let courses = Course::query().join(Course::PROGRAM).filter(Program::NAME.eq("p5")).order_by(Course::TITLE).all(&db.engine).unwrap();
        assert_eq!(courses.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["Data 5-0", "Data 5-1"]);
        // One-to-many: programs by their courses, once each though two courses match.
        let programs = Program::query().join(Program::COURSES).filter(Course::TITLE.like("Data 5%")).all(&db.engine).unwrap();
        assert_eq!(programs.len(), 1);
        assert_eq!(programs[0].name, "p5");
        let count = Program::query().join(Program::COURSES).filter(Course::TITLE.like("Data%")).count(&db.engine).unwrap();
        assert_eq!(count, 4, "p1, p2, p4, p5 have courses");
        // Two levels, in a session, ordered by a joined column.
        let mut s = db.engine.session();
        let found = s
            .query::<Enrollment>()
            .join(Enrollment::COURSE)
            .filter(Course::CODE.eq("C51"))
            .order_by(Enrollment::STUDENT.desc())
            .all()
            .unwrap();
        assert_eq!(found.iter().map(|e| e.get().student.clone()).collect::<Vec<_>>(), ["student 5-1-1", "student 5-1-0"]);
        // Chained: enrollments by their course's program.
        let chained = Enrollment::query()
            .join(Enrollment::COURSE)
            .join(Course::PROGRAM)
            .filter(Program::NAME.eq("p4"))
            .count(&db.engine)
            .unwrap();
        assert_eq!(chained, 2);
        db.statements.clear();
        Course::query().join(Course::PROGRAM).filter(Program::NAME.eq("p5")).all(&db.engine).unwrap();
        assert_eq!(
            db.statements.sql(),
            ["SELECT courses.id, courses.title, courses.code, courses.program_id FROM courses \
              JOIN programs ON courses.program_id = programs.id WHERE programs.name = $1"]
        );
    }

    fn a_join_that_is_not_there_is_a_clear_error(db) {
        school_with(db, 2);
        let err = Course::query().filter(Program::NAME.eq("p1")).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("join it along a relationship"), "{err}");
        let err = Enrollment::query().join(Course::PROGRAM).all(&db.engine).unwrap_err();
        assert!(err.to_string().contains("not in the query"), "{err}");
        let err = Course::query().join(Course::PROGRAM).join(Course::PROGRAM).all(&db.engine).unwrap_err();
        assert!(err.to_string().contains("already in the query") && err.to_string().contains("join_as"), "{err}");
    }

    fn any_and_has_filter_by_related_rows(db) {
        school_with(db, 6);
        let names = |q: Query<Program>| q.order_by(Program::NAME).all(&db.engine).unwrap().into_iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(names(Program::query().filter(Program::COURSES.any(Course::CODE.eq("C21")))), ["p2"]);
        assert_eq!(names(Program::query().filter(Program::COURSES.exists())), ["p1", "p2", "p4", "p5"]);
        assert_eq!(names(Program::query().filter(Program::COURSES.not_exists())), ["p0", "p3"]);
        assert_eq!(names(Program::query().filter(!Program::COURSES.any(Course::TITLE.like("Data 5%")))), ["p0", "p1", "p2", "p3", "p4"]);
        // Nested: programs with a course that has a given student.
        let nested = Program::COURSES.any(Course::ENROLLMENTS.any(Enrollment::STUDENT.eq("student 4-0-1")));
        assert_eq!(names(Program::query().filter(nested)), ["p4"]);
        // has: a many-to-one filter.
        let courses = Course::query().filter(Course::PROGRAM.has(Program::YEARS_OF_STUDY.eq(4))).all(&db.engine).unwrap();
        assert_eq!(courses.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["C40"]);
        db.statements.clear();
        Program::query().filter(Program::COURSES.any(Course::CODE.eq("C21"))).all(&db.engine).unwrap();
        assert_eq!(
            db.statements.sql(),
            ["SELECT programs.id, programs.name, programs.years_of_study FROM programs WHERE EXISTS \
              (SELECT 1 FROM courses WHERE courses.program_id = programs.id AND (courses.code = $1))"]
        );
    }

    fn any_on_a_self_referential_relationship_aliases_the_inner_table(db) {
        db.engine.create_all(&[Category::table()]).unwrap();
        let mut s = db.engine.session();
        let mut root = Category::new("root");
        let mut music = Category::new("music");
        music.children.push(Category::new("jazz"));
        root.children.push(music);
        root.children.push(Category::new("books"));
        s.add(root);
        s.commit().unwrap();
        let with_jazz = Category::query().filter(Category::CHILDREN.any(Category::NAME.eq("jazz"))).all(&db.engine).unwrap();
        assert_eq!(with_jazz.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["music"]);
        let under_root = Category::query().filter(Category::PARENT.has(Category::NAME.eq("root"))).order_by(Category::NAME).all(&db.engine).unwrap();
        assert_eq!(under_root.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["books", "music"]);
        let leaves = Category::query().filter(Category::CHILDREN.not_exists()).order_by(Category::NAME).all(&db.engine).unwrap();
        assert_eq!(leaves.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["books", "jazz"]);
    }

    fn counts_per_parent_in_one_statement(db) {
        school_with(db, 6);
        db.statements.clear();
        let counts: Vec<(String, i64)> = Program::query()
            .order_by(Program::NAME)
            .with_counts(Program::COURSES, &db.engine)
            .unwrap()
            .into_iter()
            .map(|(p, n)| (p.name, n))
            .collect();
        assert_eq!(counts, [("p0", 0), ("p1", 1), ("p2", 2), ("p3", 0), ("p4", 1), ("p5", 2)].map(|(n, c)| (n.to_owned(), c)));
        assert_eq!(db.statements.sql().len(), 1);
        let mut s = db.engine.session();
        let counted = s.query::<Course>().filter(Course::CODE.like("C5%")).with_counts(Course::ENROLLMENTS).unwrap();
        assert!(counted.iter().all(|(_, n)| *n == 2));
        assert_eq!(counted.len(), 2);
        let err = Course::query().with_counts(Course::PROGRAM, &db.engine).unwrap_err();
        assert!(err.to_string().contains("goes from a child to its parent"), "{err}");
    }

    fn joined_loading_through_three_levels_is_one_statement(db) {
        school_with(db, 9);
        let mut s = db.engine.session();
        db.statements.clear();
        let programs = s
            .query::<Program>()
            .order_by(Program::NAME)
            .options(joinedload(Program::COURSES).then(joinedload(Course::ENROLLMENTS)))
            .all()
            .unwrap();
        assert_eq!(programs.len(), 9);
        let mut enrollments = 0;
        for p in &programs {
            for c in p.courses(&mut s).unwrap().to_vec() {
                enrollments += c.enrollments(&mut s).unwrap().len();
            }
        }
        assert_eq!(enrollments, 18, "9 courses with 2 each");
        let sql = db.statements.sql();
        assert_eq!(sql.len(), 1, "{sql:#?}");
        assert!(sql[0].contains("LEFT OUTER JOIN enrollments AS enrollments_2 ON enrollments_2.course_id = courses_1.id"), "{}", sql[0]);
    }

    fn mixed_eager_loading_joined_then_selectin(db) {
        school_with(db, 9);
        let mut s = db.engine.session();
        db.statements.clear();
        let programs = s
            .query::<Program>()
            .options(joinedload(Program::COURSES).then(selectinload(Course::ENROLLMENTS)))
            .all()
            .unwrap();
        let mut enrollments = 0;
        for p in &programs {
            for c in p.courses(&mut s).unwrap().to_vec() {
                enrollments += c.enrollments(&mut s).unwrap().len();
            }
        }
        assert_eq!(enrollments, 18);
        assert_eq!(db.statements.sql().len(), 2, "{:#?}", db.statements.sql());
    }

    fn the_n_plus_one_detector_warns_once_per_relationship(db, |b| b.detect_n_plus_one(NPlusOne::Warn)) {
        school_with(db, 6);
        let capture = crate::engine::capture();
        let mut s = db.engine.session();
        let programs = s.query::<Program>().all().unwrap();
        let mark = capture.mark();
        for p in &programs {
            p.courses(&mut s).unwrap();
        }
        let warnings: Vec<String> =
            capture.since(mark).into_iter().filter(|(t, _)| t == "orm::n_plus_one").map(|(_, m)| m).collect();
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert!(warnings[0].contains("Program.courses") && warnings[0].contains("selectinload"), "{}", warnings[0]);
        // Loading them with the parents: nothing to warn about.
        let mut s = db.engine.session();
        let mark = capture.mark();
        for p in s.query::<Program>().options(selectinload(Program::COURSES)).all().unwrap() {
            p.courses(&mut s).unwrap();
        }
        assert!(capture.since(mark).iter().all(|(t, _)| t != "orm::n_plus_one"));
    }

    fn the_n_plus_one_detector_errors_in_strict_mode(db, |b| b.detect_n_plus_one(NPlusOne::Error)) {
        school_with(db, 4);
        let mut s = db.engine.session();
        let programs = s.query::<Program>().order_by(Program::NAME).all().unwrap();
        programs[0].courses(&mut s).unwrap();
        let err = programs[1].courses(&mut s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("N+1"), "{err}");
        // Eager loading is the fix.
        let mut s = db.engine.session();
        let programs = s.query::<Program>().options(selectinload(Program::COURSES)).all().unwrap();
        for p in &programs {
            p.courses(&mut s).unwrap();
        }
    }
}

fn people(db: &TestDb) {
    db.engine.create_all(&[Person::table(), Passport::table(), Locker::table()]).unwrap();
}

on_all! {
    fn one_to_one_is_added_with_its_parent_and_read_from_both_sides(db) {
        people(db);
        let mut s = db.engine.session();
        let mut ada = Person::new("ada");
        ada.passport.set(Passport::new("P-1"));
        let ada = s.add(ada);
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "BEGIN",
                "INSERT INTO people (name) VALUES ($1) RETURNING people.id",
                "INSERT INTO passports (number, person_id) VALUES ($1, $2) RETURNING passports.id",
                "COMMIT",
            ]
        );
        let mut s = db.engine.session();
        let ada = s.get::<Person>(ada.get().id).unwrap().unwrap();
        let (passport, sql) = db.statements.during(|| ada.passport(&mut s).unwrap().unwrap());
        assert_eq!(
            sql,
            ["SELECT passports.id, passports.number, passports.person_id FROM passports WHERE passports.person_id = $1"]
        );
        assert_eq!(passport.get().number, "P-1");
        // The other side comes from memory.
        let (holder, sql) = db.statements.during(|| passport.holder(&mut s).unwrap());
        assert!(sql.is_empty(), "{sql:?}");
        assert!(holder == ada);
        // A person without one.
        let bob = s.add(Person::new("bob"));
        s.commit().unwrap();
        assert!(bob.passport(&mut s).unwrap().is_none());
        assert!(bob.locker(&mut s).unwrap().is_none());
    }

    fn replacing_a_one_to_one_child_deletes_the_orphan_before_inserting(db) {
        people(db);
        let mut s = db.engine.session();
        let mut ada = Person::new("ada");
        ada.passport.set(Passport::new("P-1"));
        let ada = s.add(ada);
        s.commit().unwrap();
        let old = ada.passport(&mut s).unwrap().unwrap();
        let new = Obj::new(Passport::new("P-2"));
        ada.set_passport(&mut s, Some(&new)).unwrap();
        assert_eq!(old.state(), ObjectState::Persistent, "deleted at flush");
        assert!(ada.passport(&mut s).unwrap().unwrap() == new);
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        // The unique person_id is free before the new passport claims it.
        assert_eq!(
            sql,
            [
                "BEGIN",
                "DELETE FROM passports WHERE passports.id = $1",
                "INSERT INTO passports (number, person_id) VALUES ($1, $2) RETURNING passports.id",
                "COMMIT",
            ]
        );
        assert_eq!(old.state(), ObjectState::Detached);
        let passports = Passport::query().all(&db.engine).unwrap();
        assert_eq!(passports.iter().map(|p| (p.number.as_str(), p.person_id)).collect::<Vec<_>>(), [("P-2", ada.get().id)]);
    }

    fn moving_a_one_to_one_child_releases_the_old_one_first(db) {
        people(db);
        let mut s = db.engine.session();
        let ada = s.add(Person::new("ada"));
        let bob = s.add(Person::new("bob"));
        let l1 = Obj::new(Locker::new("L1"));
        ada.set_locker(&mut s, Some(&l1)).unwrap();
        s.commit().unwrap();
        // Bob takes ada's locker from the locker's side; ada's side follows in memory.
        l1.set_owner(&mut s, &bob).unwrap();
        assert!(ada.locker(&mut s).unwrap().is_none());
        assert!(bob.locker(&mut s).unwrap().unwrap() == l1);
        s.commit().unwrap();
        assert_eq!(l1.get().person_id, Some(bob.get().id));
        // A new locker for bob: the old one is released (NULL) before the new one is inserted.
        let l2 = Obj::new(Locker::new("L2"));
        bob.set_locker(&mut s, Some(&l2)).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "BEGIN",
                "UPDATE lockers SET person_id = $1 WHERE lockers.id = $2",
                "INSERT INTO lockers (label, person_id) VALUES ($1, $2) RETURNING lockers.id",
                "COMMIT",
            ]
        );
        assert_eq!(l1.get().person_id, None);
        assert_eq!(l2.get().person_id, Some(bob.get().id));
        // Removing it.
        bob.set_locker(&mut s, None).unwrap();
        s.commit().unwrap();
        assert_eq!(Locker::query().filter(Locker::PERSON_ID.is_null()).count(&db.engine).unwrap(), 2);
    }

    fn a_one_to_one_child_with_a_required_key_must_be_deleted_or_orphan_cascaded(db) {
        people(db);
        let mut s = db.engine.session();
        let ada = s.add(Person::new("ada"));
        let bob = s.add(Person::new("bob"));
        let p = Obj::new(Passport::new("P-1"));
        ada.set_passport(&mut s, Some(&p)).unwrap();
        let q = Obj::new(Passport::new("P-2"));
        bob.set_passport(&mut s, Some(&q)).unwrap();
        s.commit().unwrap();
        // Moving ada's passport to bob displaces bob's (delete-orphan).
        p.set_holder(&mut s, &bob).unwrap();
        s.commit().unwrap();
        assert_eq!(q.state(), ObjectState::Detached);
        let passports = Passport::query().all(&db.engine).unwrap();
        assert_eq!(passports.iter().map(|p| (p.number.as_str(), p.person_id)).collect::<Vec<_>>(), [("P-1", bob.get().id)]);
        assert!(ada.passport(&mut s).unwrap().is_none());
    }

    fn eager_loading_a_one_to_one_relationship(db) {
        people(db);
        let mut s = db.engine.session();
        for i in 0..4 {
            let mut p = Person::new(format!("p{i}"));
            if i % 2 == 0 {
                p.passport.set(Passport::new(format!("P-{i}")));
            }
            s.add(p);
        }
        s.commit().unwrap();
        for option in [selectinload(Person::PASSPORT), joinedload(Person::PASSPORT)] {
            let mut s = db.engine.session();
            let (people, sql) = db.statements.during(|| s.query::<Person>().order_by(Person::ID).options(option.clone()).all().unwrap());
            let (numbers, more) = db.statements.during(|| {
                people.iter().map(|p| p.passport(&mut s).unwrap().map(|x| x.get().number.clone())).collect::<Vec<_>>()
            });
            assert_eq!(numbers, [Some("P-0".to_owned()), None, Some("P-2".to_owned()), None]);
            assert!(more.is_empty(), "no lazy loads: {more:?}");
            assert!(sql.len() <= 2, "{sql:?}");
        }
        // Persons that have one, by existence.
        let with = Person::query().filter(Person::PASSPORT.exists()).count(&db.engine).unwrap();
        assert_eq!(with, 2);
    }
}
