//! What session operations cost, pinned by counting instead of timing: how many objects
//! the dirty check looks at, and how many objects a savepoint copies, in a session that
//! holds many. The counters are per thread (tests run in parallel, one per thread).

use std::cell::Cell;
use std::thread::LocalKey;

use crate::prelude::*;

thread_local! {
    /// Objects asked whether they changed since their snapshot.
    pub(crate) static CHANGE_CHECKS: Cell<usize> = const { Cell::new(0) };
    /// Objects whose values were copied whole.
    pub(crate) static VALUE_COPIES: Cell<usize> = const { Cell::new(0) };
    /// Blocks of objects allocated anew (not taken from the thread's kept ones).
    pub(crate) static NEW_BLOCKS: Cell<usize> = const { Cell::new(0) };
}

pub(crate) fn count(counter: &'static LocalKey<Cell<usize>>) {
    counter.with(|c| c.set(c.get() + 1));
}

/// The counter's value since the last call, reset.
fn taken(counter: &'static LocalKey<Cell<usize>>) -> usize {
    counter.with(|c| c.replace(0))
}

#[derive(Model, Debug)]
#[orm(table = "programs")]
struct Program {
    #[orm(primary_key)]
    id: i32,
    name: String,
    #[orm(has_many(Course, foreign_key = "program_id", backref = "program"))]
    courses: HasMany<Course>,
}

#[derive(Model, Debug)]
#[orm(table = "courses")]
struct Course {
    #[orm(primary_key)]
    id: i32,
    title: String,
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    program_id: i32,
}

const N: usize = 1_000;

/// A database with one program and `N` courses, and a session that has loaded them all.
fn loaded() -> (Engine, Session, Vec<Obj<Course>>) {
    let engine = Engine::connect("sqlite::memory:").expect("engine");
    engine.create_all(&[Program::table(), Course::table()]).expect("tables");
    let mut db = engine.session();
    let mut program = Program::new("p");
    for i in 0..N {
        program.courses.push(Course::new(format!("c{i}")));
    }
    db.add(program);
    db.commit().expect("commit");
    let mut db = engine.session();
    let courses = db.query::<Course>().order_by(Course::ID).all().expect("load");
    assert_eq!(courses.len(), N);
    (engine, db, courses)
}

fn one_query(db: &mut Session) {
    db.query::<Program>().first().expect("query").expect("a program");
}

#[test]
fn the_dirty_check_before_a_query_looks_only_at_changed_objects() {
    let (_engine, mut db, courses) = loaded();
    taken(&CHANGE_CHECKS);
    for _ in 0..10 {
        one_query(&mut db);
    }
    assert_eq!(taken(&CHANGE_CHECKS), 0, "nothing changed: no object is looked at");

    courses[7].get_mut().title = "changed".into();
    one_query(&mut db); // autoflush: the UPDATE goes out
    // The autoflush check, the flush's own check, its plan and its UPDATE each look at
    // the one changed object: a few looks, however many objects the session holds.
    let checks = taken(&CHANGE_CHECKS);
    assert!(checks <= 8, "one object changed among {N}, {checks} looked at");
    assert!(!db.is_dirty());
    one_query(&mut db);
    assert_eq!(taken(&CHANGE_CHECKS), 0, "after the flush nothing is left to look at");
}

#[test]
fn objects_touched_without_a_change_are_looked_at_once() {
    let (_engine, mut db, courses) = loaded();
    for c in &courses[..100] {
        let same = c.get().title.clone();
        c.get_mut().title = same;
    }
    taken(&CHANGE_CHECKS);
    for _ in 0..50 {
        one_query(&mut db);
    }
    let checks = taken(&CHANGE_CHECKS);
    assert!(checks <= 100, "100 unchanged objects looked at {checks} times over 50 queries");
    assert!(!db.is_dirty());
}

#[test]
fn a_flush_looks_only_at_changed_objects() {
    let (_engine, mut db, courses) = loaded();
    for c in &courses[..3] {
        c.get_mut().title.push('!');
    }
    taken(&CHANGE_CHECKS);
    db.flush().expect("flush");
    let checks = taken(&CHANGE_CHECKS);
    assert!(checks <= 3 * 8, "3 changed objects among {N}, {checks} looked at");
    db.commit().expect("commit");
    assert_eq!(taken(&CHANGE_CHECKS), 0);
}

#[test]
fn a_savepoint_copies_no_object_and_undoes_what_changed_under_it() {
    let (_engine, mut db, courses) = loaded();
    courses[1].get_mut().title = "before the savepoint".into();
    taken(&VALUE_COPIES);
    let result: crate::Result<()> = db.begin_nested(|db| {
        courses[1].get_mut().title = "flushed in the savepoint".into();
        db.flush()?;
        courses[2].get_mut().title = "changed in the savepoint".into();
        db.expunge(&courses[3])?;
        db.add(Course { program_id: 1, ..Course::new("added in the savepoint") });
        Err(crate::Error::custom("undo"))
    });
    assert!(result.is_err());
    assert_eq!(taken(&VALUE_COPIES), 0, "the savepoint copied objects");
    assert_eq!(courses[1].get().title, "before the savepoint");
    assert_eq!(courses[2].get().title, "c2");
    assert_eq!(courses[3].state(), ObjectState::Persistent, "the expunged object is back");
    assert_eq!(db.len(), N);
    assert!(!db.is_dirty());
    let again = db.get::<Course>(courses[3].get().id).expect("get").expect("in the session");
    assert!(again == courses[3], "and back in the identity map");
    db.commit().expect("commit");
    assert_eq!(Course::get(db.engine(), courses[1].get().id).unwrap().unwrap().title, "before the savepoint");
}

#[test]
fn a_failed_savepoint_brings_back_what_expunge_all_took() {
    let (_engine, mut db, courses) = loaded();
    let program = db.get::<Program>(1).expect("get").expect("program");
    assert_eq!(program.courses(&mut db).expect("courses").len(), N);
    let result: crate::Result<()> = db.begin_nested(|db| {
        db.expunge_all();
        Err(crate::Error::custom("undo"))
    });
    assert!(result.is_err());
    assert_eq!(db.len(), N + 1);
    assert!(courses.iter().all(|c| c.state() == ObjectState::Persistent));
    assert_eq!(program.courses(&mut db).expect("courses").len(), N, "the loaded collection is back");
    let c = db.get::<Course>(courses[0].get().id).expect("get").expect("course");
    assert!(c == courses[0]);
}

#[test]
fn leaving_the_session_touches_only_the_leaving_objects_collections() {
    let (_engine, mut db, courses) = loaded();
    let program = db.get::<Program>(1).expect("get").expect("program");
    assert_eq!(program.courses(&mut db).expect("courses").len(), N);
    for c in &courses[..10] {
        db.expunge(c).expect("expunge");
    }
    assert_eq!(program.courses(&mut db).expect("courses").len(), N - 10, "expunged children leave the collection");
    assert_eq!(db.len(), N + 1 - 10);
}

#[test]
fn the_next_session_on_a_thread_reuses_the_memory_of_the_last_ones_objects() {
    let (engine, db, courses) = loaded();
    drop(courses);
    drop(db);
    taken(&NEW_BLOCKS);
    for _ in 0..3 {
        let mut db = engine.session();
        assert_eq!(db.query::<Course>().all().expect("load").len(), N);
    }
    assert_eq!(taken(&NEW_BLOCKS), 0, "every block of the next loads came from the last session's");
}
