//! The session: states, identity map, dirty tracking, transactions, savepoints,
//! autoflush and failed-flush atomicity.

use orm_core::prelude::*;
use orm_core::{ErrorKind, Value, params};
use orm_tests::{TestDb, on_all};

use crate::models::{Course, Program, ProgramCoursesBackref, ProgramRelations};

fn seed_tables(db: &TestDb) {
    db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
}

/// Two committed programs: "Bachelors in CS" (id 1) and "Bachelors in Business" (id 2).
fn with_programs(db: &TestDb) {
    seed_tables(db);
    let mut s = db.engine.session();
    s.add_all([Program::new("Bachelors in CS", 3), Program::new("Bachelors in Business", 3)]);
    s.commit().unwrap();
    db.statements.clear();
}

const SELECT_PROGRAMS: &str = "SELECT programs.id, programs.name, programs.years_of_study FROM programs";

on_all! {
    fn objects_go_through_the_states(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let transient = Obj::new(Program::new("t", 1));
        assert_eq!(transient.state(), ObjectState::Transient);
        s.add_obj(&transient).unwrap();
        assert_eq!(transient.state(), ObjectState::Pending);
        let p = s.add(Program::new("Bachelors in CS", 3));
        assert_eq!(p.state(), ObjectState::Pending);
        assert_eq!(p.get().id, 0);
        s.commit().unwrap();
        assert_eq!(p.state(), ObjectState::Persistent);
        assert!(p.get().id > 0);
        s.delete(&p).unwrap();
        assert_eq!(
            p.state(),
            ObjectState::Persistent,
            "marked, not yet flushed"
        );
        s.flush().unwrap();
        assert_eq!(p.state(), ObjectState::Deleted);
        s.commit().unwrap();
        assert_eq!(p.state(), ObjectState::Detached);
        drop(s);
        assert_eq!(transient.state(), ObjectState::Detached);
    }
}

on_all! {
    fn one_commit_inserts_a_table_in_one_statement(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let programs = s.add_all((1..=5).map(|i| Program::new(format!("p{i}"), i)));
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [db.pick(
                "WITH inserted AS (INSERT INTO programs (name, years_of_study) SELECT p0, p1 \
                 FROM unnest($1::VARCHAR[], $2::INTEGER[]) WITH ORDINALITY AS imp(p0, p1, ord) ORDER BY ord \
                 RETURNING programs.id) SELECT array_agg(id) FROM inserted",
                "INSERT INTO programs (name, years_of_study) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, $10) \
                 RETURNING programs.id",
            )]
        );
        let ids: Vec<i32> = programs.iter().map(|p| p.get().id).collect();
        assert_eq!(
            ids,
            [1, 2, 3, 4, 5],
            "keys come back in the order the objects were added"
        );
        for p in &programs {
            let name = format!("p{}", p.get().years_of_study);
            assert_eq!(p.get().name, name);
        }
    }
}

on_all! {
    fn keys_match_their_objects_across_many_rows(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let programs = s.add_all((0..2000).map(|i| Program::new(format!("n{i}"), i)));
        s.commit().unwrap();
        let rows: Vec<(i32, String)> = db
            .engine
            .query_raw("SELECT id, name FROM programs", &[], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let by_id: std::collections::HashMap<i32, String> = rows.into_iter().collect();
        for p in &programs {
            let p = p.get();
            assert_eq!(by_id[&p.id], p.name);
        }
    }
}

on_all! {
    fn identity_map_gives_one_handle_per_row(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let by_get = s.get::<Program>(1).unwrap().unwrap();
        let by_query = s
            .query::<Program>()
            .filter(Program::NAME.eq("Bachelors in CS"))
            .one()
            .unwrap();
        let all = s.query::<Program>().order_by(Program::ID).all().unwrap();
        assert!(by_get == by_query);
        assert!(all[0] == by_get);
        let again = s.get::<Program>(1).unwrap().unwrap();
        assert!(again == by_get);
        let course = by_get
            .courses(&mut s)
            .unwrap()
            .push(Course::new("Data SCIENCE", "CS 103"));
        s.commit().unwrap();
        let mut s2 = db.engine.session();
        let c = s2.query::<Course>().one().unwrap();
        let parent = c.program(&mut s2).unwrap();
        let same = s2.get::<Program>(1).unwrap().unwrap();
        assert!(
            parent == same,
            "the relationship gives the identity map's handle"
        );
        assert_eq!(course.get().program_id, 1);
    }
}

on_all! {
    fn get_answers_from_the_identity_map_without_a_statement(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let (p, first) = db
            .statements
            .during(|| s.get::<Program>(2).unwrap().unwrap());
        assert_eq!(first, [format!("{SELECT_PROGRAMS} WHERE programs.id = $1")]);
        let (again, second) = db
            .statements
            .during(|| s.get::<Program>(2).unwrap().unwrap());
        assert!(second.is_empty());
        assert!(p == again);
        assert!(s.get::<Program>(99).unwrap().is_none());
    }
}

on_all! {
    fn commit_updates_only_changed_columns(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(1).unwrap().unwrap();
        p.get_mut().years_of_study = 4;
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            ["UPDATE programs SET years_of_study = $1 WHERE programs.id = $2"]
        );
        assert_eq!(db.statements.all()[0].1, [Value::I32(4), Value::I32(1)]);
        let name: Vec<String> = db
            .engine
            .query_raw("SELECT name FROM programs WHERE id = 1", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(name, ["Bachelors in CS"]);
    }
}

on_all! {
    fn unchanged_objects_cost_no_statement(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(1).unwrap().unwrap();
        {
            let mut g = p.get_mut();
            let years = g.years_of_study;
            g.years_of_study = years + 1;
            g.years_of_study = years; // changed back
            g.name = g.name.clone();
        }
        assert!(!p.is_modified());
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert!(sql.is_empty(), "{sql:?}");
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert!(sql.is_empty(), "an empty commit sends nothing: {sql:?}");
    }
}

on_all! {
    /// A batched UPDATE whose first row holds a short text and a later one a long text
    /// (and a NULL below a value): each row lands whole (MariaDB's VALUES table would type
    /// its columns by the first row, and refuse the longer text).
    fn batched_update_rows_of_any_length_land_whole(db) {
        db.engine.create_all(&[crate::models::Setting::table()]).unwrap();
        let mut s = db.engine.session();
        let settings = s.add_all((0..3).map(|i| crate::models::Setting::new(format!("k{i}"), "v")));
        s.commit().unwrap();
        let long = "x".repeat(200);
        settings[0].get_mut().value = "a".into();
        settings[1].get_mut().value = long.clone();
        settings[2].get_mut().value = "é".repeat(3);
        s.commit().unwrap();
        let mut fresh = db.engine.session();
        let mut values: Vec<String> =
            fresh.query::<crate::models::Setting>().all().unwrap().iter().map(|o| o.get().value.clone()).collect();
        values.sort();
        assert_eq!(values, ["a".to_owned(), long, "ééé".to_owned()]);
    }
}

on_all! {
    fn many_changed_rows_update_in_one_statement(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let programs = s.add_all((0..50).map(|i| Program::new(format!("p{i}"), 1)));
        s.commit().unwrap();
        for p in &programs {
            p.get_mut().years_of_study = 2;
        }
        programs[0].get_mut().name = "renamed".into();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "BEGIN",
                "UPDATE programs SET name = $1, years_of_study = $2 WHERE programs.id = $3",
                &db.pick3(
                    "UPDATE programs SET years_of_study = v.c0 FROM unnest($1::INTEGER[], $2::INTEGER[]) AS v(c0, k0) \
                     WHERE programs.id = v.k0"
                        .to_owned(),
                    format!(
                        "UPDATE programs SET years_of_study = v.column1 FROM (VALUES {}) AS v WHERE programs.id = v.column2",
                        (0..49).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect::<Vec<_>>().join(", ")
                    ),
                    // MariaDB has no UPDATE .. FROM: the VALUES list joined as a derived
                    // table, typed by an empty SELECT of the table's columns.
                    format!(
                        "UPDATE programs JOIN (WITH v (years_of_study, orm_key_id) AS ((SELECT programs.years_of_study, \
                         programs.id FROM programs LIMIT 0) UNION ALL VALUES {}) SELECT * FROM v) AS v ON programs.id = \
                         v.orm_key_id SET programs.years_of_study = v.years_of_study",
                        (0..49).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect::<Vec<_>>().join(", ")
                    ),
                ),
                "COMMIT",
            ]
        );
        assert_eq!(
            Program::query()
                .filter(Program::YEARS_OF_STUDY.eq(2))
                .count(&db.engine)
                .unwrap(),
            50
        );
    }
}

on_all! {
    fn delete_removes_the_row_and_a_pending_object_just_leaves(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(2).unwrap().unwrap();
        s.delete(&p).unwrap();
        assert!(
            s.get::<Program>(2).unwrap().is_none(),
            "marked objects are not found"
        );
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["DELETE FROM programs WHERE programs.id = $1"]);
        assert_eq!(db.count("programs"), 1);

        let pending = s.add(Program::new("never", 1));
        s.delete(&pending).unwrap();
        assert_eq!(pending.state(), ObjectState::Transient);
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert!(sql.is_empty());
    }
}

on_all! {
    fn dropping_a_session_without_commit_leaves_nothing(db) {
        seed_tables(db);
        let p;
        {
            let mut s = db.engine.session();
            p = s.add(Program::new("ghost", 1));
            s.flush().unwrap();
            assert_eq!(p.state(), ObjectState::Persistent);
            assert_eq!(
                db.count("programs"),
                0,
                "a second connection sees nothing before commit"
            );
        }
        assert_eq!(p.state(), ObjectState::Detached);
        assert_eq!(db.count("programs"), 0);
        // The pooled connection came back outside any transaction.
        let mut conn = db.engine.connection().unwrap();
        assert!(!conn.in_transaction());
        if db.is_postgres() {
            let xact: Vec<Option<String>> =
                conn.query_raw("SELECT pg_current_xact_id_if_assigned()::text", &[], |r| r.get(0)).unwrap();
            assert_eq!(xact, [None]);
        }
    }
}

on_all! {
    fn rollback_restores_the_session(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let cs = s.get::<Program>(1).unwrap().unwrap();
        let bs = s.get::<Program>(2).unwrap().unwrap();
        cs.get_mut().name = "changed and flushed".into();
        s.delete(&bs).unwrap();
        let new = s.add(Program::new("new and flushed", 9));
        s.flush().unwrap();
        assert!(new.get().id > 0);
        cs.get_mut().years_of_study = 99; // changed, not flushed
        s.rollback().unwrap();

        assert_eq!(cs.get().name, "Bachelors in CS");
        assert_eq!(cs.get().years_of_study, 3);
        assert_eq!(cs.state(), ObjectState::Persistent);
        assert_eq!(bs.state(), ObjectState::Persistent);
        assert!(s.get::<Program>(2).unwrap().unwrap() == bs);
        assert_eq!(new.state(), ObjectState::Transient);
        assert_eq!(
            new.get().id,
            0,
            "the key assigned by the rolled-back flush is gone"
        );
        assert_eq!(db.count("programs"), 2);
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert!(sql.is_empty(), "nothing left to write: {sql:?}");
    }
}

on_all! {
    fn a_failed_batch_insert_gives_every_object_its_values_back(db) {
        // The programs go in, then the courses' INSERT fails (a NUL byte in one title):
        // every course keeps the values it lent the statement, and rollback takes back
        // the keys and foreign keys the flush set.
        seed_tables(db);
        let mut s = db.engine.session();
        let programs = s.add_all((0..3).map(|i| Program::new(format!("p{i}"), i)));
        let mut courses = Vec::new();
        for (p, program) in programs.iter().enumerate() {
            for c in 0..3 {
                let title = if (p, c) == (1, 1) { "bad\0title".to_owned() } else { format!("c{p}-{c}") };
                courses.push(program.courses(&mut s).unwrap().push(Course::new(title, format!("C{p}{c}"))));
            }
        }
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
        for (n, course) in courses.iter().enumerate() {
            let (p, c) = (n / 3, n % 3);
            let title = if (p, c) == (1, 1) { "bad\0title".to_owned() } else { format!("c{p}-{c}") };
            assert_eq!(course.get().title, title);
            assert_eq!(course.get().code, format!("C{p}{c}"));
        }
        s.rollback().unwrap();
        for program in &programs {
            assert_eq!(program.get().id, 0, "the key of the rolled-back insert is gone");
        }
        for course in &courses {
            assert_eq!(course.get().program_id, 0, "the foreign key the flush copied is gone");
            assert_eq!(course.state(), ObjectState::Transient);
        }
        assert_eq!(db.count("programs"), 0);
        assert_eq!(db.count("courses"), 0);
    }
}

on_all! {
    fn refresh_discards_unflushed_changes(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(1).unwrap().unwrap();
        p.get_mut().name = "local".into();
        db.engine
            .execute("UPDATE programs SET years_of_study = 7 WHERE id = 1", &[])
            .unwrap();
        s.refresh(&p).unwrap();
        assert_eq!(p.get().name, "Bachelors in CS");
        assert_eq!(p.get().years_of_study, 7);
        assert!(!p.is_modified());
        db.engine
            .execute("DELETE FROM programs WHERE id = 1", &[])
            .unwrap();
        assert_eq!(s.refresh(&p).unwrap_err().kind(), ErrorKind::NotFound);
    }
}

on_all! {
    fn expunge_detaches_and_add_obj_reattaches(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(1).unwrap().unwrap();
        s.expunge(&p).unwrap();
        assert_eq!(p.state(), ObjectState::Detached);
        let fresh = s.get::<Program>(1).unwrap().unwrap();
        assert!(fresh != p, "after expunge the row loads into a new handle");
        assert_eq!(
            s.add_obj(&p).unwrap_err().kind(),
            ErrorKind::InvalidState,
            "the row is taken"
        );
        s.expunge_all();
        assert!(s.is_empty());
        s.add_obj(&p).unwrap();
        assert_eq!(p.state(), ObjectState::Persistent);
        p.get_mut().years_of_study = 5;
        s.commit().unwrap();
        assert_eq!(
            Program::get(&db.engine, 1).unwrap().unwrap().years_of_study,
            5
        );
    }
}

on_all! {
    fn autoflush_makes_pending_objects_visible_to_queries(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let p = s.add(Program::new("Bachelors in CS", 3));
        let found = s
            .query::<Program>()
            .filter(Program::NAME.eq("Bachelors in CS"))
            .one()
            .unwrap();
        assert!(found == p);
        assert_eq!(s.query::<Program>().count().unwrap(), 1);
        assert_eq!(db.count("programs"), 0, "flushed, not committed");
        s.set_autoflush(false);
        s.add(Program::new("hidden", 1));
        assert_eq!(s.query::<Program>().count().unwrap(), 1);
        s.commit().unwrap();
        assert_eq!(db.count("programs"), 2);
    }
}

on_all! {
    fn queries_refresh_clean_objects_but_keep_unflushed_changes(db) {
        with_programs(db);
        let mut s = db.engine.session();
        s.set_autoflush(false);
        let cs = s.get::<Program>(1).unwrap().unwrap();
        let bs = s.get::<Program>(2).unwrap().unwrap();
        bs.get_mut().name = "mine".into();
        db.engine
            .execute("UPDATE programs SET years_of_study = 8", &[])
            .unwrap();
        let all = s.query::<Program>().order_by(Program::ID).all().unwrap();
        assert!(all[0] == cs && all[1] == bs);
        assert_eq!(cs.get().years_of_study, 8, "a clean object is refreshed");
        assert_eq!(bs.get().name, "mine", "an unflushed change is kept");
        assert_eq!(bs.get().years_of_study, 3);
    }
}

on_all! {
    fn terminal_methods_in_a_session(db) {
        with_programs(db);
        let mut s = db.engine.session();
        assert!(
            s.query::<Program>()
                .filter(Program::ID.eq(9))
                .first()
                .unwrap()
                .is_none()
        );
        assert!(
            s.query::<Program>()
                .filter(Program::ID.eq(9))
                .one_or_none()
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.query::<Program>()
                .filter(Program::ID.eq(9))
                .one()
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            s.query::<Program>().one().unwrap_err().kind(),
            ErrorKind::MultipleRows
        );
        assert_eq!(s.query::<Program>().count().unwrap(), 2);
        let page = s
            .query::<Program>()
            .order_by(Program::ID.desc())
            .limit(1)
            .offset(1)
            .all()
            .unwrap();
        assert_eq!(page[0].get().id, 1);
    }
}

on_all! {
    fn handles_of_another_session_or_detached_ones_are_refused(db) {
        with_programs(db);
        let mut a = db.engine.session();
        let mut b = db.engine.session();
        let p = a.get::<Program>(1).unwrap().unwrap();
        let err = b.delete(&p).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("another session"), "{err}");
        let t = Obj::new(Program::new("t", 1));
        assert!(
            b.delete(&t)
                .unwrap_err()
                .to_string()
                .contains("not in the session")
        );
        drop(a);
        assert!(b.refresh(&p).unwrap_err().to_string().contains("detached"));
    }
}

on_all! {
    fn a_guard_held_across_a_flush_is_an_error_not_a_panic(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(1).unwrap().unwrap();
        let guard = p.get_mut();
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("get_mut() guard"), "{err}");
        assert!(p.try_get().is_err());
        drop(guard);
        s.rollback().unwrap();
        s.commit().unwrap();
    }
}

on_all! {
    fn savepoint_rollback_undoes_only_the_nested_work(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let cs = s.get::<Program>(1).unwrap().unwrap();
        cs.get_mut().years_of_study = 4;
        let kept = s.add(Program::new("kept", 1));
        let mut inner = None;
        let result: orm_core::Result<()> = s.begin_nested(|s| {
            cs.get_mut().years_of_study = 5;
            inner = Some(s.add(Program::new("undone", 1)));
            s.flush()?;
            Err(orm_core::Error::custom("changed my mind"))
        });
        assert_eq!(result.unwrap_err().to_string(), "changed my mind");
        let inner = inner.unwrap();
        assert_eq!(inner.state(), ObjectState::Transient);
        assert_eq!(cs.get().years_of_study, 4);
        let ok = s.begin_nested(|s| {
            s.add(Program::new("nested and kept", 1));
            Ok(7)
        });
        assert_eq!(ok.unwrap(), 7);
        s.commit().unwrap();
        assert_eq!(kept.state(), ObjectState::Persistent);
        let names: Vec<String> = db
            .engine
            .query_raw("SELECT name FROM programs ORDER BY id", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(
            names,
            [
                "Bachelors in CS",
                "Bachelors in Business",
                "kept",
                "nested and kept"
            ]
        );
        let years: Vec<i32> = db
            .engine
            .query_raw(
                "SELECT years_of_study FROM programs WHERE id = 1",
                &[],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(years, [4]);
    }
}

on_all! {
    fn failed_flush_inside_a_savepoint_keeps_the_outer_transaction(db) {
        with_programs(db);
        let mut s = db.engine.session();
        s.add(Program::new("outer", 1));
        let err = s
            .begin_nested(|s| {
                let orphan = s.add(Course::new("orphan", "X 1"));
                orphan.get_mut().program_id = 999;
                s.flush()
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation);
        s.commit().unwrap();
        assert_eq!(db.count("programs"), 3);
        assert_eq!(db.count("courses"), 0);
    }
}

on_all! {
    fn failed_flush_is_atomic_and_requires_rollback(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let a = s.add(Program::new("a", 1));
        let b = s.add(Program::new("b", 2));
        let bad = s.add(Course::new("bad", "X 1"));
        bad.get_mut().program_id = 4242; // no such program
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation);
        assert_eq!(err.constraint(), Some("courses_program_id_fkey"));
        assert!(err.to_string().contains("flush failed inserting"), "{err}");
        assert_eq!(
            db.count("programs"),
            0,
            "nothing of the flush is in the database"
        );
        assert_eq!(db.count("courses"), 0);
        for p in [&a, &b] {
            assert_eq!(p.state(), ObjectState::Pending);
            assert_eq!(p.get().id, 0, "no key stays assigned");
        }
        let refused = s.query::<Program>().count().unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::RollbackRequired);
        assert!(refused.to_string().contains("rollback()"), "{refused}");
        s.rollback().unwrap();
        s.add(Program::new("valid", 1));
        s.commit().unwrap();
        assert_eq!(db.count("programs"), 1);
    }
}

on_all! {
    fn unique_violation_at_flush_names_the_object(db) {
        db.engine
            .create_all(&[crate::models::Setting::table()])
            .unwrap();
        use crate::models::Setting;
        let mut s = db.engine.session();
        s.add(Setting {
            key: "a".into(),
            value: "1".into(),
        });
        s.commit().unwrap();
        s.add_all([
            Setting {
                key: "b".into(),
                value: "2".into(),
            },
            Setting {
                key: "a".into(),
                value: "3".into(),
            },
            Setting {
                key: "c".into(),
                value: "4".into(),
            },
        ]);
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation);
        let msg = err.to_string();
        // PostgreSQL names the duplicate key; SQLite does not, so only the batch is named.
        assert!(msg.contains(db.pick("the 2nd of 3 Setting objects", "3 Setting objects")), "{msg}");
        assert!(msg.contains("settings_pkey"), "{msg}");
    }
}

on_all! {
    fn several_flushes_commit_together(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        s.add(Program::new("one", 1));
        s.flush().unwrap();
        s.add(Program::new("two", 2));
        s.flush().unwrap();
        assert!(s.in_transaction());
        assert_eq!(db.count("programs"), 0);
        s.commit().unwrap();
        assert!(!s.in_transaction());
        assert_eq!(db.count("programs"), 2);
        let _ = params![1];
    }
}

on_all! {
    fn add_all_contains_len_and_is_dirty(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        assert!(s.is_empty() && !s.is_dirty());
        let ps = s.add_all([Program::new("a", 1), Program::new("b", 2)]);
        assert_eq!(s.len(), 2);
        assert!(s.contains(&ps[0]) && s.is_dirty());
        s.commit().unwrap();
        assert!(!s.is_dirty());
        ps[1].get_mut().name = "B".into();
        assert!(s.is_dirty() && ps[1].is_modified() && !ps[0].is_modified());
        let other = db.engine.session();
        assert!(!other.contains(&ps[0]));
    }
}

on_all! {
    fn explicit_begin_opens_the_transaction_before_reads(db) {
        with_programs(db);
        let mut s = db.engine.session();
        assert!(!s.in_transaction());
        let (r, sql) = db.statements.during(|| {
            s.begin()?;
            s.get::<Program>(1)
        });
        r.unwrap();
        assert_eq!(sql[0], "BEGIN");
        assert!(s.in_transaction());
        s.commit().unwrap();
        assert!(!s.in_transaction());
    }
}

on_all! {
    fn changing_a_primary_key_updates_the_row_by_its_old_key(db) {
        use crate::models::Setting;
        db.engine.create_all(&[Setting::table()]).unwrap();
        let mut s = db.engine.session();
        let theme = s.add(Setting {
            key: "theme".into(),
            value: "dark".into(),
        });
        s.commit().unwrap();
        theme.get_mut().key = "colour-scheme".into();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [r#"UPDATE settings SET "key" = $1 WHERE settings."key" = $2"#]
        );
        assert!(s.get::<Setting>("colour-scheme".into()).unwrap().unwrap() == theme);
        assert!(s.get::<Setting>("theme".into()).unwrap().is_none());
    }
}

on_all! {
    fn rolling_back_a_changed_primary_key_gives_the_object_its_old_key_back(db) {
        use crate::models::Setting;
        db.engine.create_all(&[Setting::table()]).unwrap();
        let mut s = db.engine.session();
        let theme = s.add(Setting {
            key: "theme".into(),
            value: "dark".into(),
        });
        let font = s.add(Setting {
            key: "font".into(),
            value: "serif".into(),
        });
        s.commit().unwrap();
        theme.get_mut().key = "colour-scheme".into();
        s.flush().unwrap();
        assert!(s.get::<Setting>("colour-scheme".into()).unwrap().unwrap() == theme);
        s.rollback().unwrap();
        assert_eq!(theme.get().key, "theme");
        // The identity map follows: the old key finds the object again without a query,
        // the new one finds nothing.
        let (found, sql) = db.statements.during(|| s.get::<Setting>("theme".into()));
        assert!(found.unwrap().unwrap() == theme);
        assert!(sql.is_empty(), "{sql:?}");
        assert!(s.get::<Setting>("colour-scheme".into()).unwrap().is_none());
        // A key changed in memory only: expunging still lets go of the key the map holds.
        font.get_mut().key = "typeface".into();
        s.expunge(&font).unwrap();
        let again = s.get::<Setting>("font".into()).unwrap().unwrap();
        assert!(again != font, "a fresh object: the expunged one left the identity map");
        assert_eq!(again.get().value, "serif");
    }
}

on_all! {
    fn a_row_deleted_behind_the_sessions_back_is_stale_data(db) {
        with_programs(db);
        let mut s = db.engine.session();
        let p = s.get::<Program>(1).unwrap().unwrap();
        db.engine
            .execute("DELETE FROM programs WHERE id = 1", &[])
            .unwrap();
        p.get_mut().years_of_study = 5;
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleData);
        assert!(
            err.to_string()
                .contains("expected to update 1 row(s) of `programs` but 0 matched"),
            "{err}"
        );
        s.rollback().unwrap();
    }
}

on_all! {
    fn user_keys_and_server_defaults_come_back_to_their_objects(db) {
        use crate::models::Event;
        // A default that differs per row, so that a mix-up would show.
        if db.is_postgres() {
            db.engine.create_all(&[Event::table()]).unwrap();
            db.engine.execute("CREATE SEQUENCE status_seq", &[]).unwrap();
            db.engine
                .execute("ALTER TABLE events ALTER COLUMN status SET DEFAULT 'new-' || nextval('status_seq')", &[])
                .unwrap();
        } else if db.is_mysql() {
            db.engine
                .execute(
                    "CREATE TABLE events (code VARCHAR(20) NOT NULL PRIMARY KEY, \
                     status VARCHAR(40) DEFAULT (CONCAT('new-', UUID())) NOT NULL, weight INTEGER NOT NULL)",
                    &[],
                )
                .unwrap();
        } else {
            db.engine
                .execute(
                    "CREATE TABLE events (code VARCHAR NOT NULL PRIMARY KEY, \
                     status VARCHAR DEFAULT ('new-' || lower(hex(randomblob(6)))) NOT NULL, weight INTEGER NOT NULL)",
                    &[],
                )
                .unwrap();
        }
        let mut s = db.engine.session();
        let events = s.add_all(["c", "a", "b"].map(|code| Event {
            code: code.into(),
            status: None,
            weight: 1,
        }));
        s.commit().unwrap();
        let rows: Vec<(String, String)> = db
            .engine
            .query_raw("SELECT code, status FROM events", &[], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        for e in &events {
            let e = e.get();
            let row = rows.iter().find(|(code, _)| *code == e.code).unwrap();
            assert_eq!(e.status.as_deref(), Some(row.1.as_str()), "{} got its own default", e.code);
        }
    }
}

on_all! {
    fn composite_keys_delete_many_rows_in_one_statement(db) {
        use crate::models::Membership;
        db.engine.create_all(&[Membership::table()]).unwrap();
        let mut s = db.engine.session();
        let members = s.add_all((0..4).map(|i| Membership {
            group_id: i % 2,
            member: format!("m{i}"),
            role: None,
        }));
        s.commit().unwrap();
        for m in &members[..3] {
            s.delete(m).unwrap();
        }
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        // One statement that leaves nothing half done when it matches fewer rows than
        // expected: on PostgreSQL it checks its own count (no BEGIN/COMMIT), on SQLite it
        // runs in a transaction.
        let postgres = [
            "WITH changed AS (DELETE FROM memberships USING unnest($1::INTEGER[], $2::VARCHAR[]) AS v(k0, k1) \
             WHERE memberships.group_id = v.k0 AND memberships.member = v.k1 RETURNING 1) \
             SELECT count(*) / (CASE WHEN count(*) = $3 THEN 1 ELSE 0 END) FROM changed",
        ]
        .map(str::to_owned)
        .to_vec();
        let sqlite = [
            "BEGIN",
            "DELETE FROM memberships WHERE (memberships.group_id, memberships.member) IN (VALUES ($1, $2), ($3, $4), ($5, $6))",
            "COMMIT",
        ]
        .map(str::to_owned)
        .to_vec();
        let mysql = [
            "BEGIN",
            "DELETE FROM memberships WHERE (memberships.group_id, memberships.member) IN (($1, $2), ($3, $4), ($5, $6))",
            "COMMIT",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(sql, db.pick3(postgres, sqlite, mysql));
        assert_eq!(db.count("memberships"), 1);
    }
}

on_all! {
    fn refreshing_a_pending_object_is_an_error(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let p = s.add(Program::new("new", 1));
        let err = s.refresh(&p).unwrap_err();
        assert!(err.to_string().contains("only persistent objects"), "{err}");
    }
}

on_all! {
    fn large_batches_are_chunked_under_the_parameter_limit(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        let programs = s.add_all((0..20_000).map(|i| Program::new(format!("n{i}"), i)));
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        let inserts = sql.iter().filter(|q| q.contains("INSERT INTO")).count();
        // PostgreSQL binds one array per column; SQLite two values per row, at most 32,766
        // per statement; MySQL at most 65,535.
        assert_eq!(inserts, db.pick3(1, 2, 1));
        assert_eq!(db.count("programs"), 20_000);
        let names: std::collections::HashMap<i32, String> = db
            .engine
            .query_raw("SELECT id, name FROM programs", &[], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .into_iter()
            .collect();
        for p in programs.iter().step_by(997) {
            let p = p.get();
            assert_eq!(names[&p.id], p.name);
        }
    }
}

on_all! {
    /// Objects loaded by one statement share allocations (64 to a block): across block
    /// boundaries every row still has exactly one handle, a second query hands back the
    /// same handles, and a handle kept after the session ends stays readable, detached.
    fn objects_loaded_together_keep_one_handle_each(db) {
        seed_tables(db);
        let mut s = db.engine.session();
        s.add_all((0..150).map(|i| Program::new(format!("p{i:03}"), i)));
        s.commit().unwrap();
        drop(s);

        let mut s = db.engine.session();
        let all = s.query::<Program>().order_by(Program::ID.asc()).all().unwrap();
        assert_eq!(all.len(), 150);
        let distinct = (0..all.len()).filter(|&i| all[..i].iter().all(|other| *other != all[i])).count();
        assert_eq!(distinct, 150, "one handle per row, however they are allocated");
        for (i, p) in all.iter().enumerate() {
            assert_eq!(p.get().name, format!("p{i:03}"));
            assert_eq!(p.state(), ObjectState::Persistent);
        }
        let again = s.query::<Program>().order_by(Program::ID.desc()).all().unwrap();
        assert!(again.iter().rev().zip(&all).all(|(a, b)| a == b), "the identity map answers");
        let one = s.get::<Program>(all[100].get().id).unwrap().unwrap();
        assert!(one == all[100]);

        // Change one object of a shared block, leave its neighbours alone.
        all[70].get_mut().years_of_study = 1000;
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql.iter().filter(|q| q.starts_with("UPDATE")).count(), 1, "{sql:?}");

        let kept = all[130].clone();
        drop((all, again, one, s));
        assert_eq!(kept.state(), ObjectState::Detached);
        assert_eq!(kept.get().name, "p130");
        let mut s = db.engine.session();
        let fresh = s.get::<Program>(kept.get().id).unwrap().unwrap();
        assert!(fresh != kept, "a new session has its own objects");
        let n: Vec<i64> = db
            .engine
            .query_raw("SELECT count(*) FROM programs WHERE years_of_study = 1000", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(n, [1]);
    }
}

on_all! {
    /// A load that fails at row 101 keeps the 100 objects it had read, consistently:
    /// the session goes on working and hands back the same objects afterwards.
    fn a_load_failing_midway_keeps_the_rows_it_read(db) {
        db.engine
            .execute(
                "CREATE TABLE programs (id INTEGER PRIMARY KEY, name VARCHAR(100), years_of_study INTEGER NOT NULL)",
                &[],
            )
            .unwrap();
        for i in 1..=150 {
            let name = if i == 101 { None } else { Some(format!("p{i}")) };
            db.engine
                .execute(
                    db.pick(
                        "INSERT INTO programs VALUES ($1, $2, 3)",
                        "INSERT INTO programs VALUES (?1, ?2, 3)",
                    ),
                    params![i, name],
                )
                .unwrap();
        }
        let mut s = db.engine.session();
        let err = s.query::<Program>().order_by(Program::ID.asc()).all().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        let first = s.get::<Program>(1).unwrap().unwrap();
        let (r, sql) = db.statements.during(|| s.get::<Program>(100));
        assert!(r.unwrap().is_some());
        assert!(sql.is_empty(), "rows read before the failure are in the identity map: {sql:?}");
        let again = s.query::<Program>().filter(Program::ID.le(100)).order_by(Program::ID.asc()).all().unwrap();
        assert_eq!(again.len(), 100);
        assert!(again[0] == first);
        first.get_mut().years_of_study = 4;
        s.commit().unwrap();
        let n: Vec<i64> = db
            .engine
            .query_raw("SELECT count(*) FROM programs WHERE years_of_study = 4", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(n, [1]);
    }
}

on_all! {
    /// Objects of one block can end up in different sessions: closing one session detaches
    /// its objects only, and a pending object of a closing session becomes transient.
    fn closing_a_session_detaches_only_its_own_objects(db) {
        with_programs(db);
        let mut first = db.engine.session();
        let loaded = first.query::<Program>().order_by(Program::ID.asc()).all().unwrap();
        assert_eq!(loaded.len(), 2);
        first.expunge(&loaded[1]).unwrap();
        assert_eq!(loaded[1].state(), ObjectState::Detached);
        let pending = first.add(Program::new("Bachelors in Art", 3));

        let mut second = db.engine.session();
        second.add_obj(&loaded[1]).unwrap();
        assert_eq!(loaded[1].state(), ObjectState::Persistent);
        drop(first);
        assert_eq!(loaded[0].state(), ObjectState::Detached);
        assert_eq!(pending.state(), ObjectState::Transient);
        assert_eq!(loaded[1].state(), ObjectState::Persistent, "it is the second session's now");
        loaded[1].get_mut().years_of_study = 5;
        second.commit().unwrap();
        let years: Vec<i32> = db
            .engine
            .query_raw("SELECT years_of_study FROM programs ORDER BY id", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(years, [3, 5]);
        second.expunge_all();
        assert_eq!(loaded[1].state(), ObjectState::Detached);
    }
}

on_all! {
    /// In one flush, rows that set a server-default column and rows that leave it go in
    /// separate INSERTs (runs of consecutive rows, so keys follow add order), inside one
    /// transaction: a failing run leaves nothing of the others.
    fn set_and_unset_server_defaults_in_one_flush(db) {
        use crate::models::LibraryBook;
        db.engine.create_all(&[LibraryBook::table()]).unwrap();
        let book = |title: &str, in_print: Option<bool>| LibraryBook { in_print, ..LibraryBook::new(title) };
        let mut s = db.engine.session();
        let books = s.add_all([
            book("a", None),
            book("b", Some(false)),
            book("c", None),
            book("d", Some(true)),
            book("e", Some(false)),
        ]);
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        let inserts = sql.iter().filter(|s| s.starts_with("INSERT")).count();
        assert_eq!(inserts, 4, "runs: a | b | c | d e: {sql:?}");
        assert_eq!(sql.first().map(String::as_str), Some("BEGIN"), "{sql:?}");
        let stored = db.column("SELECT title || ':' || CAST(in_print AS INTEGER) FROM library_books ORDER BY id", &[]);
        assert_eq!(stored, ["a:1", "b:0", "c:1", "d:1", "e:0"], "stored, keys in add order");
        let prints: Vec<Option<bool>> = books.iter().map(|b| b.get().in_print).collect();
        assert_eq!(prints, [Some(true), Some(false), Some(true), Some(true), Some(false)]);

        // A run that fails takes the runs before it with it.
        let mut s = db.engine.session();
        s.add_all([book("f", None), book("a", Some(false))]);
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), orm_core::ErrorKind::UniqueViolation, "{err}");
        assert_eq!(db.count("library_books"), 5, "`f` is not there either");
    }
}
