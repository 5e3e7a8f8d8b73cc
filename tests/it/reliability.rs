//! Reliability and security, proven by real faults: panics mid-transaction, failed and
//! deferred constraints, poisoned transactions, killed backends, a stopped server,
//! exhausted pools, timeouts, hostile identifiers and values, and concurrent writers.
//!
//! Every test is bounded in time, makes what it needs in its own database (the harness),
//! cleans up after itself and runs beside all the others. `docs/reliability.md` lists the
//! faults and the measured outcomes. Property tests and fuzzing are in `props.rs`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use orm_core::prelude::*;
use orm_core::{ErrorKind, IsolationLevel, params};
use orm_tests::cluster::Cluster;
use orm_tests::{TestDb, on_all, on_both, pg, test_case};

use crate::models::{Course, Program, ProgramRelations};

// ----- helpers ---------------------------------------------------------------------------

static APP: AtomicUsize = AtomicUsize::new(0);

/// An `application_name` no other engine of any test uses.
fn unique_app(tag: &str) -> String {
    format!("orm_rel_{tag}_{}_{}", std::process::id(), APP.fetch_add(1, Ordering::Relaxed))
}

/// The server processes of the connections of the engine named `app` (PostgreSQL).
fn backend_pids(observer: &Engine, app: &str) -> Vec<i32> {
    observer
        .query_raw("SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid", params![app], |r| {
            r.get(0)
        })
        .unwrap()
}

/// Waits (at most `limit`) until `done` holds; whether it did.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if done() {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts `took` is within `expected` +-10%.
fn assert_about(took: Duration, expected: Duration) {
    let (lo, hi) = (expected.mul_f64(0.9), expected.mul_f64(1.1));
    assert!(took >= lo && took <= hi, "took {took:?}, expected {expected:?} +-10%");
}

/// The only pooled connection (max_size 1) as the next user gets it: outside any
/// transaction (on PostgreSQL also by the server's account), able to write at once (no
/// lock left behind), and none of the dead work exists.
fn assert_next_user_is_clean(db: &TestDb, dead_marker: &str) {
    let mut conn = db.engine.connection().unwrap();
    assert!(!conn.in_transaction());
    if db.is_postgres() {
        let xact: Vec<Option<String>> =
            conn.query_raw("SELECT pg_current_xact_id_if_assigned()::text", &[], |r| r.get(0)).unwrap();
        assert_eq!(xact, [None], "the next user of the slot is outside any transaction");
    }
    // It can write at once: no lock of the dead work is left (SQLite's busy timeout is
    // short in these tests, so a leaked write lock would fail here).
    conn.begin().unwrap();
    Program::new("next user", 1).insert(&mut conn).unwrap();
    conn.commit().unwrap();
    let dead = Program::query().filter(Program::NAME.eq(dead_marker)).count(&mut conn).unwrap();
    assert_eq!(dead, 0, "nothing of the dead work exists");
    assert_eq!(Course::query().count(&mut conn).unwrap(), 0);
}

/// The thread panicked, and at the injected `panic!`, not at an earlier failure.
fn assert_injected_panic(result: std::thread::Result<()>) {
    let payload = result.expect_err("the worker panicked");
    let message = payload.downcast_ref::<&str>().copied().unwrap_or("<not the injected panic>");
    assert!(message.starts_with("injected:"), "{message}");
}

fn seed_tables(db: &TestDb) {
    db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
}

/// The seed's tables and `deferred_children`, whose foreign key is checked at COMMIT.
fn deferred_tables(db: &TestDb) {
    seed_tables(db);
    let id = db.pick("SERIAL", "INTEGER");
    let sql = format!(
        "CREATE TABLE deferred_children (id {id} PRIMARY KEY, title VARCHAR NOT NULL, \
         program_id INTEGER NOT NULL REFERENCES programs (id) DEFERRABLE INITIALLY DEFERRED)"
    );
    db.engine.execute(&sql, &[]).unwrap();
}

/// The server process behind the only connection of a one-slot engine (PostgreSQL).
fn slot_pid(db: &TestDb) -> Option<i32> {
    let sql = db.pick3(Some("SELECT pg_backend_pid()"), None, Some("SELECT CAST(CONNECTION_ID() AS SIGNED)"))?;
    Some(db.engine.query_raw(sql, &[], |r| r.get::<i32>(0)).unwrap()[0])
}

/// Whether the server still has a process (PostgreSQL) or connection (MySQL) `pid`.
fn server_has_pid(observer: &Engine, pid: i32) -> bool {
    let sql = if observer.dialect().name() == "mysql" {
        "SELECT count(*) FROM information_schema.processlist WHERE id = $1"
    } else {
        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1"
    };
    let n: i64 = observer.query_raw(sql, params![pid], |r| r.get(0)).unwrap()[0];
    n > 0
}

// ----- 1. pooled connections never leak a transaction -------------------------------------

on_all! {
    /// A thread panics while its session holds a flushed transaction (rows written, not
    /// committed). The pool's one slot is handed to the next user outside any transaction;
    /// on PostgreSQL the dead connection was discarded (a new server process) and its
    /// process is gone from the server, so its transaction was rolled back.
    fn panic_in_a_session_mid_transaction_leaks_nothing(db, |b| b
            .max_size(1)
            .checkout_timeout(Duration::from_secs(5))
            .busy_timeout(Duration::from_secs(1))) {
        seed_tables(db);
        let before = slot_pid(db);
        let engine = db.engine.clone();
        let worker = std::thread::spawn(move || {
            let mut s = engine.session();
            let p = s.add(Program::new("dead work", 1));
            p.courses(&mut s).unwrap().push(Course::new("dead course", "X 1"));
            s.flush().unwrap();
            assert!(s.in_transaction());
            panic!("injected: a panic with a flushed transaction open");
        });
        assert_injected_panic(worker.join());
        assert_next_user_is_clean(db, "dead work");
        if let Some(before) = before {
            assert_ne!(slot_pid(db), Some(before), "the connection returned while panicking was discarded");
            let observer = db.engine_with(|b| b.max_size(1));
            let started = Instant::now();
            assert!(
                eventually(Duration::from_secs(5), || !server_has_pid(&observer, before)),
                "the discarded connection's server process ended (its transaction rolled back)"
            );
            eprintln!("measured: panic mid-session: discarded backend gone from the server within {:?}", started.elapsed());
        }
        assert_eq!(db.engine.pool_size(), 1);
    }

    /// The same with a bare connection after `begin()` and an INSERT.
    fn panic_on_a_connection_after_begin_leaks_nothing(db, |b| b
            .max_size(1)
            .checkout_timeout(Duration::from_secs(5))
            .busy_timeout(Duration::from_secs(1))) {
        seed_tables(db);
        let before = slot_pid(db);
        let engine = db.engine.clone();
        let worker = std::thread::spawn(move || {
            let mut conn = engine.connection().unwrap();
            conn.begin().unwrap();
            Program::new("dead work", 1).insert(&mut conn).unwrap();
            panic!("injected: a panic inside a transaction");
        });
        assert_injected_panic(worker.join());
        assert_next_user_is_clean(db, "dead work");
        if let Some(before) = before {
            assert_ne!(slot_pid(db), Some(before));
        }
    }

    /// A session dropped (no panic) after flushing: its connection rolls back and goes
    /// back to the pool; on PostgreSQL the next user gets the very same server process,
    /// clean.
    fn session_dropped_mid_transaction_returns_a_clean_connection(db, |b| b
            .max_size(1)
            .checkout_timeout(Duration::from_secs(5))
            .busy_timeout(Duration::from_secs(1))) {
        seed_tables(db);
        let before = slot_pid(db);
        {
            let mut s = db.engine.session();
            let p = s.add(Program::new("dead work", 1));
            p.courses(&mut s).unwrap().push(Course::new("dead course", "X 1"));
            s.flush().unwrap();
            assert!(s.in_transaction());
        }
        assert_next_user_is_clean(db, "dead work");
        assert_eq!(slot_pid(db), before, "the rolled-back connection was kept and reused");
    }
}

// ----- 2. flush atomicity ----------------------------------------------------------------

/// A child of `programs` whose foreign key the database checks only at COMMIT; the
/// table is made with raw SQL (`DEFERRABLE INITIALLY DEFERRED`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "deferred_children")]
pub struct DeferredChild {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(foreign_key = "programs.id")]
    pub program_id: i32,
}

on_all! {
    /// Three new rows (a program, its course, and a course of a program that does not
    /// exist): the commit fails with the typed error naming the constraint, nothing is in
    /// the database, no key stays assigned, and after rollback the same objects commit.
    fn failed_flush_writes_nothing_and_assigns_no_key(db) {
        seed_tables(db);
        let mut existing = Program::new("existing", 1);
        existing.insert(&db.engine).unwrap();
        let mut s = db.engine.session();
        let p = s.add(Program::new("new parent", 3));
        let c1 = p.courses(&mut s).unwrap().push(Course::new("first", "A 1"));
        let c2 = s.add(Course { program_id: 4242, ..Course::new("third, an orphan", "X 9") });
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation, "{err}");
        assert_eq!(err.constraint(), Some("courses_program_id_fkey"), "{err:?}");
        // Another connection (the session still holds its own) sees nothing.
        let other = db.engine_with(|b| b.max_size(1));
        let count = |t: &str| other.query_raw(&format!("SELECT count(*) FROM {t}"), &[], |r| r.get::<i64>(0)).unwrap()[0];
        assert_eq!((count("programs"), count("courses")), (1, 0));
        assert_eq!((p.get().id, c1.get().id, c2.get().id), (0, 0, 0), "no key stays assigned");
        assert_eq!(c1.get().program_id, 0, "the foreign key the flush copied is undone");
        assert_eq!(c2.get().program_id, 4242, "the user's own value stays");
        for state in [p.state(), c1.state(), c2.state()] {
            assert_eq!(state, ObjectState::Pending);
        }
        s.rollback().unwrap();
        assert_eq!(p.state(), ObjectState::Transient);
        // The same handles, fixed, commit.
        c2.get_mut().program_id = existing.id;
        s.add_obj(&p).unwrap();
        p.courses(&mut s).unwrap().push_obj(&c1).unwrap();
        s.add_obj(&c2).unwrap();
        s.commit().unwrap();
        assert_eq!((count("programs"), count("courses")), (2, 2));
        assert_eq!(c1.get().program_id, p.get().id);
        assert!(p.get().id > existing.id);
    }
}

on_both! {
    /// The same with a foreign key the database checks only at COMMIT: the flush
    /// succeeds, COMMIT fails with the typed error naming the constraint, nothing is
    /// written, no key stays assigned, and a valid commit follows.
    fn deferred_foreign_key_fails_at_commit_and_writes_nothing(db) {
        deferred_tables(db);
        let mut existing = Program::new("existing", 1);
        existing.insert(&db.engine).unwrap();
        let mut s = db.engine.session();
        let p = s.add(Program::new("new parent", 3));
        let c1 = s.add(DeferredChild { program_id: existing.id, ..DeferredChild::new("fine") });
        let c2 = s.add(DeferredChild { program_id: 4242, ..DeferredChild::new("orphan, checked at COMMIT") });
        s.flush().unwrap();
        assert!(p.get().id > 0 && c1.get().id > 0 && c2.get().id > 0, "the flush went through");
        let other = db.engine_with(|b| b.max_size(1));
        let count = |t: &str| other.query_raw(&format!("SELECT count(*) FROM {t}"), &[], |r| r.get::<i64>(0)).unwrap()[0];
        assert_eq!(count("deferred_children"), 0, "not visible before COMMIT");
        let (r, sql) = db.statements.during(|| s.commit());
        let err = r.unwrap_err();
        // The failure comes from COMMIT itself; SQLite keeps the transaction open after a
        // failed COMMIT, so the ORM rolls it back.
        assert_eq!(sql, db.pick(&["COMMIT"][..], &["COMMIT", "ROLLBACK"][..]));
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation, "{err}");
        assert_eq!(err.constraint(), Some("deferred_children_program_id_fkey"), "{err:?}");
        assert_eq!((count("programs"), count("deferred_children")), (1, 0));
        assert_eq!((p.get().id, c1.get().id, c2.get().id), (0, 0, 0), "no key stays assigned");
        for state in [p.state(), c1.state(), c2.state()] {
            assert_eq!(state, ObjectState::Transient, "the objects left with the transaction");
        }
        s.rollback().unwrap();
        assert!(!s.in_transaction());
        c2.get_mut().program_id = existing.id;
        s.add_obj(&p).unwrap();
        s.add_obj(&c1).unwrap();
        s.add_obj(&c2).unwrap();
        s.commit().unwrap();
        assert_eq!((count("programs"), count("deferred_children")), (2, 2));
        // The pool's connections are all usable (none stuck in a failed transaction).
        for _ in 0..4 {
            db.engine.execute("SELECT 1", &[]).unwrap();
        }
    }
}

on_all! {
    /// Deleting a row another table still references (a table the ORM does not know):
    /// the flush fails atomically with a foreign-key error that never names the wrong
    /// constraint (PostgreSQL names the referencing one; SQLite reports no name and the
    /// ORM does not guess the deleted table's own foreign key).
    fn failed_delete_of_a_referenced_row_writes_nothing(db) {
        seed_tables(db);
        let ddl = db.pick3(
            "CREATE TABLE reviews (id SERIAL PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses (id))",
            "CREATE TABLE reviews (id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses (id))",
            "CREATE TABLE reviews (id INTEGER AUTO_INCREMENT PRIMARY KEY, course_id INTEGER NOT NULL, \
             CONSTRAINT reviews_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses (id))",
        );
        db.engine.execute(ddl, &[]).unwrap();
        let mut s = db.engine.session();
        let p = s.add(Program::new("p", 1));
        let reviewed = p.courses(&mut s).unwrap().push(Course::new("reviewed", "A 1"));
        let other = p.courses(&mut s).unwrap().push(Course::new("other", "B 1"));
        s.commit().unwrap();
        db.engine.execute(&db.sql("INSERT INTO reviews (course_id) VALUES ($1)"), params![reviewed.get().id]).unwrap();
        s.delete(&other).unwrap();
        s.delete(&reviewed).unwrap();
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation, "{err:?}");
        assert_eq!(err.constraint(), db.pick3(Some("reviews_course_id_fkey"), None, Some("reviews_course_id_fkey")), "{err:?}");
        assert_eq!(db.count("courses"), 2, "neither course was deleted");
        assert_eq!(reviewed.state(), ObjectState::Persistent);
        s.rollback().unwrap();
        s.delete(&other).unwrap();
        s.commit().unwrap();
        assert_eq!(db.count("courses"), 1);
    }
}

on_both! {
    /// A bare connection whose COMMIT fails (deferred foreign key) is outside any
    /// transaction afterwards and can begin another one.
    fn connection_whose_commit_fails_can_begin_again(db, |b| b.max_size(1)) {
        deferred_tables(db);
        let mut conn = db.engine.connection().unwrap();
        conn.begin().unwrap();
        DeferredChild { program_id: 4242, ..DeferredChild::new("orphan") }.insert(&mut conn).unwrap();
        let err = conn.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation, "{err}");
        assert!(!conn.in_transaction());
        conn.begin().unwrap();
        Program::new("after", 1).insert(&mut conn).unwrap();
        conn.commit().unwrap();
        let n: i64 = conn.query_raw("SELECT count(*) FROM deferred_children", &[], |r| r.get(0)).unwrap()[0];
        assert_eq!(n, 0);
    }
}

// ----- 3. poisoned transactions ----------------------------------------------------------

on_all! {
    /// After a failed flush every further piece of work is refused with
    /// `RollbackRequired` before anything is sent (never the server's 25P02 or a raw
    /// database error); after `rollback()` the session works.
    fn failed_flush_poisons_the_session_until_rollback(db) {
        seed_tables(db);
        let mut existing = Program::new("existing", 1);
        existing.insert(&db.engine).unwrap();
        let mut s = db.engine.session();
        s.begin().unwrap();
        let loaded = s.get::<Program>(existing.id).unwrap().unwrap();
        let earlier = s.add(Program::new("flushed before the failure", 2));
        s.flush().unwrap();
        s.add(Course { program_id: 4242, ..Course::new("orphan", "X 1") });
        assert_eq!(s.flush().unwrap_err().kind(), ErrorKind::ForeignKeyViolation);

        let (errors, sql) = db.statements.during(|| {
            let mut errors = vec![
                s.flush().unwrap_err(),
                s.get::<Program>(existing.id + 100).unwrap_err(),
                s.query::<Program>().all().unwrap_err(),
                s.query::<Program>().count().unwrap_err(),
                s.refresh(&loaded).unwrap_err(),
                s.begin().unwrap_err(),
                s.begin_nested(|_| Ok(())).unwrap_err(),
                loaded.courses(&mut s).unwrap_err(),
            ];
            loaded.get_mut().years_of_study = 9;
            errors.push(s.commit().unwrap_err());
            errors
        });
        for e in &errors {
            assert_eq!(e.kind(), ErrorKind::RollbackRequired, "{e:?}");
            assert_eq!(e.sqlstate(), None, "refused by the ORM, not by the server: {e:?}");
            assert!(e.to_string().contains("rollback()"), "{e}");
        }
        assert!(sql.is_empty(), "nothing was sent: {sql:?}");

        s.rollback().unwrap();
        assert_eq!(earlier.state(), ObjectState::Transient);
        assert_eq!(loaded.get().years_of_study, 1, "unflushed changes are discarded");
        assert_eq!(s.query::<Program>().count().unwrap(), 1);
        s.add(Program::new("after rollback", 3));
        s.commit().unwrap();
        assert_eq!(db.count("programs"), 2);
    }

    /// A failed statement on a bare connection inside a transaction: every further
    /// statement is refused with `RollbackRequired` without reaching the server.
    fn failed_statement_poisons_the_connection_until_rollback(db, |b| b.max_size(1)) {
        seed_tables(db);
        let mut conn = db.engine.connection().unwrap();
        conn.begin().unwrap();
        Program::new("kept?", 1).insert(&mut conn).unwrap();
        let err = Course { program_id: 4242, ..Course::new("orphan", "X 1") }.insert(&mut conn).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation);
        let (errors, sql) = db.statements.during(|| {
            vec![
                conn.execute("SELECT 1", &[]).unwrap_err(),
                conn.query_raw("SELECT 1", &[], |r| r.get::<i32>(0)).unwrap_err(),
                conn.batch_execute("SELECT 1").unwrap_err(),
                Program::new("more", 1).insert(&mut conn).unwrap_err(),
                Program::query().all(&mut conn).unwrap_err(),
                conn.commit().unwrap_err(),
            ]
        });
        for e in &errors {
            assert_eq!(e.kind(), ErrorKind::RollbackRequired, "{e:?}");
            assert_eq!(e.sqlstate(), None, "{e:?}");
        }
        assert!(sql.is_empty(), "{sql:?}");
        conn.rollback().unwrap();
        conn.execute("SELECT 1", &[]).unwrap();
        drop(conn);
        assert_eq!(db.count("programs"), 0);
    }
}

// ----- 4. backend killed mid-session -----------------------------------------------------

test_case! {
    /// PostgreSQL only: a SQLite connection has no server process to kill.
    ///
    /// The session flushes (its transaction holds a row), another engine terminates its
    /// server process, and the commit reports `ConnectionLost`; nothing persists, the pool
    /// replaces the connection, and the next session works.
    fn backend_killed_mid_session_is_connection_lost() needs(postgres) {
        let app = unique_app("killed");
        let db = pg!("rel_killed", |b| b.max_size(1).application_name(&app).checkout_timeout(Duration::from_secs(5)));
        seed_tables(&db);
        let observer = db.engine_with(|b| b.max_size(1));
        let mut s = db.engine.session();
        let p = s.add(Program::new("doomed", 1));
        p.courses(&mut s).unwrap().push(Course::new("doomed too", "X 1"));
        s.flush().unwrap();
        let pids = backend_pids(&observer, &app);
        assert_eq!(pids.len(), 1, "{pids:?}");
        let state: Vec<String> = observer
            .query_raw("SELECT state FROM pg_stat_activity WHERE pid = $1", params![pids[0]], |r| r.get(0))
            .unwrap();
        assert_eq!(state, ["idle in transaction"]);
        let killed: Vec<bool> =
            observer.query_raw("SELECT pg_terminate_backend($1)", params![pids[0]], |r| r.get(0)).unwrap();
        assert_eq!(killed, [true]);
        assert!(eventually(Duration::from_secs(5), || backend_pids(&observer, &app).is_empty()));

        let started = Instant::now();
        let err = s.commit().unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err:?}");
        assert!(err.is_retryable());
        assert!(took < Duration::from_secs(2), "{took:?}");
        eprintln!("measured: killed backend: commit failed with ConnectionLost after {took:?}");
        assert_eq!(p.state(), ObjectState::Transient);
        assert_eq!(p.get().id, 0);
        assert_eq!((db.count("programs"), db.count("courses")), (0, 0));

        // The same session, and a new one, work on a new connection.
        s.add(Program::new("after the kill", 1));
        s.commit().unwrap();
        let mut again = db.engine.session();
        assert_eq!(again.query::<Program>().count().unwrap(), 1);
        drop(again);
        let new_pids = backend_pids(&observer, &app);
        assert_eq!(new_pids.len(), 1);
        assert_ne!(new_pids[0], pids[0], "the pool replaced the connection");
    }
}

test_case! {
    /// PostgreSQL only (no server process on SQLite): a connection killed while idle in the
    /// pool is noticed by the checkout health check, and the session never sees it.
    fn backend_killed_while_idle_in_the_pool_is_replaced_at_checkout() needs(postgres) {
        let app = unique_app("killed_idle");
        let db = pg!("rel_killed_idle", |b| b.max_size(1).application_name(&app).health_check_after_idle(Duration::ZERO));
        seed_tables(&db);
        let observer = db.engine_with(|b| b.max_size(1));
        let pids = backend_pids(&observer, &app);
        assert_eq!(pids.len(), 1);
        observer.query_raw("SELECT pg_terminate_backend($1)", params![pids[0]], |r| r.get::<bool>(0)).unwrap();
        assert!(eventually(Duration::from_secs(5), || backend_pids(&observer, &app).is_empty()));
        let mut s = db.engine.session();
        s.add(Program::new("fine", 1));
        s.commit().unwrap();
        assert_eq!(db.count("programs"), 1);
        assert_ne!(backend_pids(&observer, &app), pids);
    }
}

// ----- 5. server down and back -----------------------------------------------------------

test_case! {
    /// PostgreSQL only: it stops and restarts a server, which SQLite does not have.
    ///
    /// With the server stopped, a checkout on an existing engine fails with `PoolTimeout`
    /// at the checkout timeout, a session in the middle of a transaction gets
    /// `ConnectionLost`, and building a new engine fails at its connect timeout instead of
    /// hanging. After a restart the same engine works again.
    fn server_down_and_back() needs(pg_ctl) {
        let Some(cluster) = Cluster::start("down_and_back") else { return };
        let timeout = Duration::from_secs(1);
        let engine = Engine::builder(&cluster.url())
            .max_size(2)
            .checkout_timeout(timeout)
            .connect_timeout(timeout)
            .health_check_after_idle(Duration::ZERO)
            .build()
            .unwrap();
        engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let mut in_flight = engine.session();
        in_flight.add(Program::new("in flight", 1));
        in_flight.flush().unwrap();

        cluster.ctl_stop();

        let started = Instant::now();
        let err = in_flight.commit().unwrap_err();
        let lost_after = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err:?}");
        assert!(lost_after < timeout, "{lost_after:?}");
        drop(in_flight);

        let started = Instant::now();
        let err = engine.connection().unwrap_err();
        let checkout_took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::PoolTimeout, "{err:?}");
        assert_about(checkout_took, timeout);

        let started = Instant::now();
        let err = Engine::builder(&cluster.url()).connect_timeout(timeout).build().unwrap_err();
        let build_took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err:?}");
        assert!(err.to_string().contains("cannot connect"), "{err}");
        assert_about(build_took, timeout);

        cluster.ctl_start();
        let started = Instant::now();
        let mut s = engine.session();
        assert_eq!(s.query::<Program>().count().unwrap(), 0, "the in-flight row was never committed");
        s.add(Program::new("after the restart", 1));
        s.commit().unwrap();
        let back_after = started.elapsed();
        assert_eq!(Program::query().count(&engine).unwrap(), 1);
        eprintln!(
            "measured: server_down_and_back: ConnectionLost after {lost_after:?}, PoolTimeout after {checkout_took:?}, \
             build() failed after {build_took:?}, working again {back_after:?} after the restart"
        );
    }
}

// ----- 6. pool exhaustion ----------------------------------------------------------------

on_all! {
    /// Two connections held on a pool of two: the third checkout fails with
    /// `PoolTimeout` at the checkout timeout (+-10%), and succeeds at once when one
    /// comes back.
    fn exhausted_pool_times_out_then_recovers(db, |b| b.max_size(2).checkout_timeout(Duration::from_millis(600))) {
        let a = db.engine.connection().unwrap();
        let _b = db.engine.connection().unwrap();
        let started = Instant::now();
        let err = db.engine.connection().unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::PoolTimeout, "{err:?}");
        assert_about(took, Duration::from_millis(600));
        eprintln!("measured: exhausted pool ({:?}): PoolTimeout after {took:?} (timeout 600ms)", db.backend);
        let mut s = db.engine.session();
        assert_eq!(s.query::<Program>().count().unwrap_err().kind(), ErrorKind::PoolTimeout, "sessions too");
        drop(a);
        let started = Instant::now();
        let mut c = db.engine.connection().unwrap();
        assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
        c.execute("SELECT 1", &[]).unwrap();
    }
}

/// How long each of the 16 threads works.
const STORM: Duration = Duration::from_secs(2);

/// 16 threads share a pool of 4 for two seconds of sessions and commits: no deadlock
/// (every thread finishes, watched with a deadline), no error, and never more than 4
/// connections (the pool's count on both backends, the server's own count on
/// PostgreSQL).
fn pool_storm(db: &TestDb, app: &str) {
    db.engine.create_all(&[Program::table()]).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = db.is_postgres().then(|| {
        let observer = db.engine_with(|b| b.max_size(1));
        let (stop, app) = (stop.clone(), app.to_owned());
        std::thread::spawn(move || {
            let mut most = 0;
            let mut samples = 0;
            while !stop.load(Ordering::Relaxed) {
                most = most.max(backend_pids(&observer, &app).len());
                samples += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            (most, samples)
        })
    });
    let (done, finished) = mpsc::channel();
    let most_pooled = Arc::new(AtomicUsize::new(0));
    for t in 0..16 {
        let (engine, done, most_pooled) = (db.engine.clone(), done.clone(), most_pooled.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + STORM;
            let mut commits = 0;
            let result = (|| -> orm_core::Result<()> {
                while Instant::now() < deadline {
                    let mut s = engine.session();
                    s.add(Program::new(format!("t{t}-{commits}"), t));
                    s.commit()?;
                    if commits % 4 == 0 {
                        s.query::<Program>().filter(Program::YEARS_OF_STUDY.eq(t)).count()?;
                    }
                    commits += 1;
                    most_pooled.fetch_max(engine.pool_size() as usize, Ordering::Relaxed);
                }
                Ok(())
            })();
            let _ = done.send((t, result.map(|()| commits)));
        });
    }
    drop(done);
    let mut total = 0;
    let watchdog = Instant::now() + STORM + Duration::from_secs(30);
    for _ in 0..16 {
        let left = watchdog.saturating_duration_since(Instant::now());
        let (t, result) = finished.recv_timeout(left).expect("a thread did not finish: deadlock");
        total += result.unwrap_or_else(|e| panic!("thread {t}: {e:?}"));
    }
    stop.store(true, Ordering::Relaxed);
    assert!(most_pooled.load(Ordering::Relaxed) <= 4);
    assert_eq!(db.count("programs"), i64::from(total));
    let mut seen = format!("{total} commits, pool size at most {}", most_pooled.load(Ordering::Relaxed));
    if let Some(sampler) = sampler {
        let (most, samples) = sampler.join().unwrap();
        assert!(most <= 4, "{most} server connections");
        assert!(most >= 1 && samples > 10, "the sampler saw the engine: {most} in {samples} samples");
        seen.push_str(&format!(", server connections at most {most} ({samples} samples)"));
    }
    eprintln!("measured: pool storm ({:?}): {seen}", db.backend);
}

test_case! {
    fn sixteen_threads_on_a_pool_of_four_postgres() needs(postgres) {
        let app = unique_app("storm");
        let db = pg!("rel_storm", |b| b.max_size(4).application_name(&app).checkout_timeout(Duration::from_secs(20)));
        pool_storm(&db, &app);
    }
}

test_case! {
    fn sixteen_threads_on_a_pool_of_four_sqlite() needs(sqlite) {
        let db = TestDb::new(orm_tests::Backend::Sqlite, "rel_storm", |b| {
            b.max_size(4).checkout_timeout(Duration::from_secs(20)).busy_timeout(Duration::from_secs(30))
        })
        .unwrap();
        pool_storm(&db, "");
    }
}

// ----- 7. timeouts -----------------------------------------------------------------------

/// A view that takes long to read, as a model: a slow query inside a session.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "slow_rows")]
pub struct SlowRow {
    #[orm(primary_key)]
    pub id: i64,
}

const STATEMENT_TIMEOUT: Duration = Duration::from_millis(400);

on_all! {
    /// A statement timeout set on the engine cancels a slow query of a session (after
    /// it flushed) with `QueryCanceled`, in bounded time; after `rollback()` the session
    /// and its connection work (on PostgreSQL: the same server process).
    fn statement_timeout_cancels_a_slow_query_in_a_session(db, |b| b
            .max_size(1)
            .statement_timeout(STATEMENT_TIMEOUT)) {
        seed_tables(db);
        db.engine
            .execute(
                db.pick3(
                    "CREATE VIEW slow_rows AS SELECT 1::bigint AS id FROM pg_sleep(20)",
                    "CREATE VIEW slow_rows AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                     SELECT count(*) AS id FROM (SELECT x FROM c LIMIT 500000000)",
                    "CREATE VIEW slow_rows AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                     SELECT count(*) AS id FROM (SELECT x FROM c LIMIT 500000000) AS limited",
                ),
                &[],
            )
            .unwrap();
        let before = slot_pid(db);
        let mut s = db.engine.session();
        s.add(Program::new("flushed", 1));
        s.flush().unwrap();
        let started = Instant::now();
        let err = s.query::<SlowRow>().all().unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::QueryCanceled, "{err:?}");
        assert!(took >= STATEMENT_TIMEOUT.mul_f64(0.9) && took < Duration::from_secs(3), "{took:?}");
        eprintln!("measured: statement timeout {STATEMENT_TIMEOUT:?}: canceled after {took:?} ({:?})", db.backend);
        s.rollback().unwrap();
        assert_eq!(s.query::<Program>().count().unwrap(), 0, "the flushed row was rolled back");
        s.add(Program::new("after", 1));
        s.commit().unwrap();
        assert_eq!(db.count("programs"), 1);
        assert_eq!(slot_pid(db), before, "the same connection went on working");
    }
}

test_case! {
    /// PostgreSQL only: keepalives are a TCP socket option of the client connection.
    ///
    /// Hangs on a dead network are bounded by TCP keepalives (idle connections) and
    /// TCP_USER_TIMEOUT (unacknowledged data), which `EngineBuilder::build` sets on every
    /// connection. The engine builds and works with them, and (when `/proc/net/tcp` is
    /// readable) the kernel shows a keepalive timer on the client's socket.
    fn connections_carry_keepalives_and_tcp_user_timeout() needs(postgres) {
        let app = unique_app("keepalive");
        let db = pg!("rel_keepalive", |b| b.max_size(1).application_name(&app).tcp_user_timeout(Duration::from_secs(5)));
        let port: Vec<Option<i32>> = db
            .engine
            .query_raw("SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()", &[], |r| r.get(0))
            .unwrap();
        let Some(port) = port[0].filter(|p| *p > 0) else {
            eprintln!("connected over a Unix socket: no TCP keepalive to inspect");
            return;
        };
        let tables: String =
            ["/proc/net/tcp", "/proc/net/tcp6"].iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect();
        if tables.is_empty() {
            eprintln!("no /proc/net/tcp: keepalive timer not inspected");
            return;
        }
        let local = format!(":{port:04X}");
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when ...
        let line = tables
            .lines()
            .find(|l| l.split_whitespace().nth(1).is_some_and(|a| a.ends_with(&local)))
            .unwrap_or_else(|| panic!("our socket (port {port}) in /proc/net/tcp"));
        let timer = line.split_whitespace().nth(5).unwrap();
        eprintln!("measured: client socket {local} timer {timer} (02 = keepalive armed)");
        assert!(timer.starts_with("02:"), "an idle client socket with keepalives has its keepalive timer armed: {line}");
    }
}

test_case! {
    /// A "server" that accepts connections and never answers: `build()` gives up at the
    /// connect timeout instead of waiting for the startup reply forever.
    fn server_that_never_answers_fails_at_the_connect_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = Instant::now();
        let err = Engine::builder(&format!("postgres://postgres@127.0.0.1:{port}/test"))
            .connect_timeout(Duration::from_millis(500))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err:?}");
        let took = started.elapsed();
        assert_about(took, Duration::from_millis(500));
        eprintln!("measured: silent server: build() failed after {took:?} (connect timeout 500ms)");
        drop(listener); // the pool's connection attempt gets EOF and ends
    }
}

// ----- 8. hostile identifiers ------------------------------------------------------------

/// Table `user`, columns named with keywords, mixed case, unicode and double quotes.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "user")]
pub struct HostileUser {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(index)]
    pub select: String,
    pub r#type: String,
    #[orm(column = "MixedCase")]
    pub mixed_case: Option<String>,
    #[orm(column = "naïve café ☕")]
    pub unicode: String,
    #[orm(column = "say \"hi\"")]
    pub quoted: Option<String>,
    #[orm(has_many(HostileOrder, foreign_key = "user\"Id", backref = "buyer", passive_deletes))]
    pub orders: HasMany<HostileOrder>,
}

/// Table `order`, child of `user` through the column `user"Id`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "order")]
pub struct HostileOrder {
    #[orm(primary_key)]
    pub id: i32,
    pub order: i32,
    #[orm(column = "From", unique)]
    pub from: String,
    #[orm(column = "user\"Id", foreign_key = "user.id", on_delete = "cascade")]
    pub user_id: i32,
    #[orm(has_many(HostileLine, foreign_key = "order", backref = "of_order", passive_deletes))]
    pub lines: HasMany<HostileLine>,
}

/// A table whose own name has a double quote, a space and capitals, child of `order`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "Line \"Items\"")]
pub struct HostileLine {
    #[orm(primary_key)]
    pub id: i32,
    pub r#where: String,
    #[orm(column = "order", foreign_key = "order.id", on_delete = "cascade")]
    pub order_id: i32,
}

on_all! {
    /// Models named with SQL keywords, mixed case, unicode, spaces and double quotes,
    /// related by `has_many` over such columns: DDL, session CRUD, filters, lazy and
    /// selectin loading and drop_all all work, and the catalog has the names exactly.
    fn hostile_identifiers_through_relationships(db) {
        let tables = [HostileUser::table(), HostileOrder::table(), HostileLine::table()];
        db.engine.create_all(&tables).unwrap();
        assert_eq!(db.tables(), ["Line \"Items\"", "order", "user"]);
        assert_eq!(db.columns("user"), ["id", "select", "type", "MixedCase", "naïve café ☕", "say \"hi\""]);
        assert_eq!(db.columns("order"), ["id", "order", "From", "user\"Id"]);
        assert_eq!(db.columns("Line \"Items\""), ["id", "where", "order"]);

        let mut s = db.engine.session();
        let ann = s.add(HostileUser::new("'; DROP TABLE \"user\"; --", "admin", Some("Mixed".into()), "ünï", Some("\"".into())));
        let bob = s.add(HostileUser::new("select", "guest", None::<String>, "bøb", None::<String>));
        for (user, n) in [(&ann, 1), (&ann, 2), (&bob, 3)] {
            let order = user.orders(&mut s).unwrap().push(HostileOrder::new(n, format!("from \"{n}\"")));
            order.lines(&mut s).unwrap().push(HostileLine::new(format!("where {n}a")));
            order.lines(&mut s).unwrap().push(HostileLine::new(format!("where {n}b")));
        }
        s.commit().unwrap();
        assert_eq!((db.count("user"), db.count("order"), db.count("Line \"Items\"")), (2, 3, 6));

        // Filters over every odd column.
        let mut s = db.engine.session();
        let found = s
            .query::<HostileUser>()
            .filter(
                HostileUser::SELECT
                    .eq("'; DROP TABLE \"user\"; --")
                    .and(HostileUser::TYPE.in_(["admin", "root"]))
                    .and(HostileUser::QUOTED.eq("\""))
                    .and(HostileUser::UNICODE.like("ü%"))
                    .and(HostileUser::MIXED_CASE.is_not_null()),
            )
            .order_by(HostileUser::MIXED_CASE.desc())
            .one()
            .unwrap();
        assert_eq!(found.get().unicode, "ünï");
        assert_eq!(s.query::<HostileOrder>().filter(HostileOrder::FROM.eq("from \"3\"")).count().unwrap(), 1);

        // Lazy loading, both ways.
        let orders = found.orders(&mut s).unwrap().to_vec();
        assert_eq!(orders.iter().map(|o| o.get().order).collect::<Vec<_>>(), [1, 2]);
        let lines = orders[1].lines(&mut s).unwrap().to_vec();
        assert_eq!(lines.iter().map(|l| l.get().r#where.clone()).collect::<Vec<_>>(), ["where 2a", "where 2b"]);
        assert!(lines[0].of_order(&mut s).unwrap() == orders[1]);
        assert!(orders[0].buyer(&mut s).unwrap() == found);

        // Selectin loading, two levels: three statements in all.
        let mut s = db.engine.session();
        let (users, sql) = db.statements.during(|| {
            s.query::<HostileUser>()
                .options(selectinload(HostileUser::ORDERS).then(selectinload(HostileOrder::LINES)))
                .order_by(HostileUser::ID)
                .all()
                .unwrap()
        });
        assert_eq!(sql.len(), 3, "{sql:#?}");
        let (count, sql) = db.statements.during(|| {
            users
                .iter()
                .map(|u| {
                    u.orders(&mut s).unwrap().to_vec().iter().map(|o| o.lines(&mut s).unwrap().len()).sum::<usize>()
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(count, [4, 2]);
        assert!(sql.is_empty(), "already loaded: {sql:?}");

        // Update and delete through the session; ON DELETE CASCADE over the odd columns.
        users[1].get_mut().quoted = Some("it's \"quoted\"".into());
        users[1].get_mut().r#type = "member".into();
        s.commit().unwrap();
        let mut s = db.engine.session();
        let bob = s.query::<HostileUser>().filter(HostileUser::QUOTED.eq("it's \"quoted\"")).one().unwrap();
        assert_eq!(bob.get().r#type, "member");
        s.delete(&bob).unwrap();
        s.commit().unwrap();
        assert_eq!((db.count("user"), db.count("order"), db.count("Line \"Items\"")), (1, 2, 4));

        db.engine.drop_all(&tables).unwrap();
        assert!(db.tables().is_empty(), "{:?}", db.tables());
    }
}

// ----- 9. hostile values -----------------------------------------------------------------

/// Every value kind the hostile values go through (text of any length: TEXT, which is
/// LONGTEXT on MySQL, where a plain `String` is VARCHAR(255)).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "hostile_values")]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(text)]
    pub body: String,
    #[orm(text)]
    pub maybe: Option<String>,
    pub n: i64,
    pub x: f64,
}

/// Strings that break naive SQL building, quoting or encoding.
pub fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "'",
        "''",
        "\"",
        "\\",
        "\\'",
        "\\\\'",
        "'; DROP TABLE hostile_values; --",
        "\"; DROP TABLE \"hostile_values\"; --",
        "Robert'); DROP TABLE students;--",
        "$1",
        "$2::text",
        "?1",
        "?",
        ":name",
        "@p1",
        "%s",
        "%",
        "_",
        "%' OR '1'='1",
        "1 OR 1=1",
        "NULL",
        "null",
        "E'\\x41'",
        "U&'\\0041'",
        "$$ dollar $$",
        "$tag$ quoted $tag$",
        "/* comment */",
        "-- comment",
        "line\nbreak\r\nand\ttab",
        "\u{1}\u{1f}\u{7f}",
        "emoji 🦀👩‍👩‍👧‍👦🏳️‍🌈",
        "\u{200b}zero\u{200b}width\u{feff}",
        "right-to-left \u{202e}txet",
        "ǅ Ω ß ﬁ İ",
        "日本語テキスト",
        "\u{10ffff}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // About 1 MB each: mixed text, and nothing but quotes and backslashes.
    v.push("ab'\"\\ 🦀 ".repeat(1 << 20 >> 4));
    v.push("'\\\"".repeat(1 << 20 >> 2));
    v
}

on_all! {
    /// Each hostile string goes in, comes back byte-identical through get, query
    /// filters and update, and is found by its own value.
    fn hostile_values_round_trip_byte_identical(db) {
        db.engine.create_all(&[Note::table()]).unwrap();
        let values = hostile_strings();
        let mut s = db.engine.session();
        let notes: Vec<Obj<Note>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let maybe = (i % 3 != 0).then(|| v.clone());
                s.add(Note::new(v.clone(), maybe, i as i64 - 20, i as f64 / 7.0))
            })
            .collect();
        s.commit().unwrap();
        let ids: Vec<i64> = notes.iter().map(|n| n.get().id).collect();
        drop(s);

        let mut s = db.engine.session();
        for (i, v) in values.iter().enumerate() {
            let got = s.get::<Note>(ids[i]).unwrap().unwrap();
            assert_eq!(got.get().body.as_bytes(), v.as_bytes(), "get #{i}");
            assert_eq!(got.get().maybe.as_deref(), (i % 3 != 0).then_some(v.as_str()));
            let found = s.query::<Note>().filter(Note::BODY.eq(v.as_str())).all().unwrap();
            assert_eq!(found.len(), 1, "filter on #{i} finds exactly its row");
            assert!(found[0] == got);
        }
        // LIKE with the value as a pattern finds at least its own row (its wildcards may
        // match more). Values with a backslash are left out: it escapes the next character.
        for v in values.iter().filter(|v| v.len() < 100 && !v.contains('\\')) {
            let n = s.query::<Note>().filter(Note::BODY.like(v.as_str())).count().unwrap();
            assert!(n >= 1, "{v:?}: {n}");
        }
        let n = s.query::<Note>().filter(Note::BODY.in_(values.iter().map(String::as_str))).count().unwrap();
        assert_eq!(n, values.len() as i64);

        // Update each row to the next hostile value, and read it back in a new session.
        let all = s.query::<Note>().order_by(Note::ID).all().unwrap();
        for (i, note) in all.iter().enumerate() {
            let next = &values[(i + 1) % values.len()];
            note.get_mut().body = next.clone();
            note.get_mut().maybe = None;
        }
        s.commit().unwrap();
        let mut s = db.engine.session();
        for (i, id) in ids.iter().enumerate() {
            let got = s.get::<Note>(*id).unwrap().unwrap();
            assert_eq!(got.get().body.as_bytes(), values[(i + 1) % values.len()].as_bytes(), "update #{i}");
            assert_eq!(got.get().maybe, None);
        }
        // The table survived every value, and deletes take them all.
        for note in s.query::<Note>().all().unwrap() {
            s.delete(&note).unwrap();
        }
        s.commit().unwrap();
        assert_eq!(db.count("hostile_values"), 0);
    }

    /// A NUL byte cannot be stored in text: `Encode`, and nothing is written (also not
    /// the valid rows of the same flush), on insert, update and in a filter.
    fn nul_byte_is_an_encode_error_and_writes_nothing(db) {
        db.engine.create_all(&[Note::table()]).unwrap();
        let mut s = db.engine.session();
        s.add(Note::new("valid", None, 1, 1.0));
        s.add(Note::new("nul\0inside", None, 2, 2.0));
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err:?}");
        assert!(err.to_string().contains("NUL"), "{err}");
        assert_eq!(db.count("hostile_values"), 0);
        s.rollback().unwrap();

        let kept = s.add(Note::new("kept", Some("kept".into()), 3, 3.0));
        s.commit().unwrap();
        kept.get_mut().maybe = Some("\0".into());
        assert_eq!(s.commit().unwrap_err().kind(), ErrorKind::Encode);
        s.rollback().unwrap();
        assert_eq!(kept.get().maybe.as_deref(), Some("kept"));
        let err = s.query::<Note>().filter(Note::BODY.eq("a\0b")).all().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err:?}");
        let mut s = db.engine.session();
        let again = s.get::<Note>(kept.get().id).unwrap().unwrap();
        assert_eq!((again.get().body.as_str(), again.get().maybe.as_deref()), ("kept", Some("kept")));
        assert_eq!(db.count("hostile_values"), 1);
    }
}

on_all! {
    /// Floats at the edges (infinities, extremes, the smallest subnormal, both zeros)
    /// round-trip bit for bit, except that SQLite reads `-0.0` back as `0.0` (it stores
    /// integral REALs as integers). The dirty check compares floats bit for bit: `0.0`
    /// -> `-0.0` is written, an unchanged NaN costs no statement. NaN round-trips on
    /// PostgreSQL and is an `Encode` error on SQLite, which would store it as NULL.
    fn float_edges_round_trip_and_nan_never_becomes_null(db) {
        db.engine.create_all(&[Note::table()]).unwrap();
        let mut edges = vec![f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 5e-324, 1.0 / 3.0, 0.0, -0.0];
        if db.is_mysql() {
            // MySQL stores no infinities: refused before anything is written, as NaN is.
            for infinity in [f64::INFINITY, f64::NEG_INFINITY] {
                let mut s = db.engine.session();
                s.add(Note::new("infinite", None::<String>, 0, infinity));
                let err = s.commit().unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Encode, "{err:?}");
                assert!(err.to_string().contains("infinite"), "{err}");
            }
            assert_eq!(db.count("hostile_values"), 0);
            edges.drain(..2);
        }
        let mut s = db.engine.session();
        let notes: Vec<Obj<Note>> = edges.iter().map(|x| s.add(Note::new("edge", None::<String>, 0, *x))).collect();
        s.commit().unwrap();
        let ids: Vec<i64> = notes.iter().map(|n| n.get().id).collect();
        let read = |id: i64| Note::get(&db.engine, id).unwrap().unwrap().x;
        for (id, x) in ids.iter().zip(edges.iter().copied()) {
            let expected = if x == 0.0 && !db.is_postgres() { 0.0 } else { x };
            assert_eq!(read(*id).to_bits(), expected.to_bits(), "{x:e}");
        }
        let mut s = db.engine.session();
        let zero_at = edges.iter().position(|x| x.to_bits() == 0.0f64.to_bits()).unwrap();
        let zero = s.get::<Note>(ids[zero_at]).unwrap().unwrap();
        zero.get_mut().x = -0.0;
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql.len(), 1, "0.0 -> -0.0 is a change: {sql:?}");
        assert_eq!(read(ids[zero_at]).to_bits(), db.pick(-0.0f64, 0.0).to_bits());

        let mut s = db.engine.session();
        let nan = s.add(Note::new("nan", None::<String>, 0, f64::NAN));
        if db.is_postgres() {
            s.commit().unwrap();
            assert!(read(nan.get().id).is_nan());
            nan.get_mut().x = f64::NAN;
            let (r, sql) = db.statements.during(|| s.commit());
            r.unwrap();
            assert!(sql.is_empty(), "an unchanged NaN is no change: {sql:?}");
        } else {
            let err = s.commit().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Encode, "{err:?}");
            assert!(err.to_string().contains("NaN"), "{err}");
            assert_eq!(db.count("hostile_values"), edges.len() as i64);
            s.rollback().unwrap();
            let err = s.query::<Note>().filter(Note::X.eq(f64::NAN)).count().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Encode);
        }
    }
}

on_all! {
    /// LIKE patterns mean the same on both backends: `%` any text, `_` one character,
    /// and a backslash escapes them (PostgreSQL's default; SQLite is told `ESCAPE '\'`).
    fn like_patterns_escape_with_backslash_on_both_backends(db) {
        db.engine.create_all(&[Note::table()]).unwrap();
        for body in ["100%", "100 percent", "a_b", "axb", "back\\slash", "back\\\\slash"] {
            Note::new(body, None::<String>, 0, 0.0).insert(&db.engine).unwrap();
        }
        let matching = |pattern: &str| -> Vec<String> {
            let mut found: Vec<String> = Note::query()
                .filter(Note::BODY.like(pattern))
                .all(&db.engine)
                .unwrap()
                .into_iter()
                .map(|n| n.body)
                .collect();
            found.sort();
            found
        };
        assert_eq!(matching("100%"), ["100 percent", "100%"]);
        assert_eq!(matching("100\\%"), ["100%"]);
        assert_eq!(matching("a_b"), ["a_b", "axb"]);
        assert_eq!(matching("a\\_b"), ["a_b"]);
        assert_eq!(matching("back\\\\slash"), ["back\\slash"]);
        assert_eq!(matching("back%slash"), ["back\\\\slash", "back\\slash"]);
        let n = Note::query().filter(Note::BODY.ilike("A\\_B")).count(&db.engine).unwrap();
        assert_eq!(n, 1, "ILIKE escapes the same way");
    }
}

on_all! {
    /// IN lists far over SQLite's 32,766 parameters (one array parameter on PostgreSQL,
    /// one JSON array through `json_each` on SQLite): integers, hostile strings, and on
    /// SQLite the text storage forms of UUIDs, dates and timestamps, with IN and NOT IN.
    fn long_in_lists_work_on_both_backends(db) {
        use crate::models::Everything;
        seed_tables(db);
        db.engine.create_all(&[Everything::table()]).unwrap();
        let mut s = db.engine.session();
        let strings = hostile_strings();
        let short: Vec<&String> = strings.iter().filter(|v| v.len() < 100).collect();
        s.add_all(short.iter().map(|v| Program::new(v.as_str(), 1)));
        s.commit().unwrap();
        let n = short.len() as i64;
        assert_eq!(Program::query().filter(Program::ID.in_(0..40_000)).count(&db.engine).unwrap(), n);
        assert_eq!(Program::query().filter(Program::ID.not_in(0..40_000)).count(&db.engine).unwrap(), 0);
        let mut names: Vec<String> = (0..40_000).map(|i| format!("absent \"{i}\" \\ é")).collect();
        names.extend(short.iter().map(|v| (*v).clone()));
        let (r, sql) = db.statements.during(|| {
            s.query::<Program>().filter(Program::NAME.in_(names.iter().map(String::as_str))).count()
        });
        assert_eq!(r.unwrap(), n);
        // One array (PostgreSQL) or JSON list (SQLite) parameter; MySQL binds each value
        // (up to 65,535 in a statement).
        let expected = db.pick3(1, 1, names.len());
        assert_eq!(db.statements.all()[0].1.len(), expected, "{}", &sql[0][..120]);
        let r = s.query::<Program>().filter(Program::NAME.not_in(names.iter().map(String::as_str))).count();
        assert_eq!(r.unwrap(), 0);

        let row = crate::types::full_on(db, "long lists");
        let mut stored = row.clone();
        stored.insert(&db.engine).unwrap();
        let uuids = (0..1500u128).map(uuid::Uuid::from_u128).chain([row.uuid]);
        assert_eq!(Everything::query().filter(Everything::UUID.in_(uuids)).count(&db.engine).unwrap(), 1);
        let days = (0..1500).map(|d| row.date - chrono::Days::new(d + 1)).chain([row.date]);
        assert_eq!(Everything::query().filter(Everything::DATE.in_(days)).count(&db.engine).unwrap(), 1);
        let stamps = (0..1500).map(|s| row.stamp_tz - chrono::Duration::seconds(s + 1)).chain([row.stamp_tz]);
        assert_eq!(Everything::query().filter(Everything::STAMP_TZ.in_(stamps)).count(&db.engine).unwrap(), 1);
        let big = (0..1500).map(i64::from).chain([row.big]);
        assert_eq!(Everything::query().filter(Everything::BIG.in_(big)).count(&db.engine).unwrap(), 1);
    }
}

// ----- 10. concurrency -------------------------------------------------------------------

on_all! {
    /// 8 threads x 200 commits on one engine, a session per commit: exactly 1,600 rows
    /// with 1,600 distinct keys and no error. SQLite serialises the writers (WAL, a
    /// generous busy timeout).
    fn eight_threads_by_two_hundred_commits(db, |b| b
            .max_size(4)
            .checkout_timeout(Duration::from_secs(30))
            .busy_timeout(Duration::from_secs(60))) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let started = Instant::now();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let engine = db.engine.clone();
                std::thread::spawn(move || -> orm_core::Result<Vec<i32>> {
                    let mut ids = Vec::with_capacity(200);
                    for i in 0..200 {
                        let mut s = engine.session();
                        let p = s.add(Program::new(format!("t{t}-{i}"), t));
                        s.commit()?;
                        ids.push(p.get().id);
                    }
                    Ok(ids)
                })
            })
            .collect();
        let mut ids: Vec<i32> = Vec::new();
        for t in threads {
            ids.extend(t.join().unwrap().unwrap());
        }
        let took = started.elapsed();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1600, "distinct keys handed out");
        assert_eq!(db.count("programs"), 1600);
        let distinct: Vec<i64> = db
            .engine
            .query_raw("SELECT count(DISTINCT id) FROM programs", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(distinct, [1600]);
        eprintln!("measured: 1,600 commits from 8 threads in {took:?} ({:?})", db.backend);
    }
}

test_case! {
    /// PostgreSQL only: SQLite has no SERIALIZABLE snapshot conflicts (its writers queue on
    /// one lock, so write skew cannot happen there).
    ///
    /// Write skew: two sessions each read the sum of all rows, then insert a row based on
    /// it. Under SERIALIZABLE exactly one commit fails with `SerializationFailure`; that
    /// session works after `rollback()` (its retry sees the other's row).
    fn serializable_write_skew_fails_exactly_one_commit() needs(postgres) {
        let db = pg!("rel_write_skew", |b| b.isolation_level(IsolationLevel::Serializable));
        seed_tables(&db);
        Program::new("seed", 10).insert(&db.engine).unwrap();
        let sum = |s: &mut Session| -> orm_core::Result<i32> {
            Ok(s.query::<Program>().all()?.iter().map(|p| p.get().years_of_study).sum())
        };
        let mut one = db.engine.session();
        let mut two = db.engine.session();
        let seen_one = sum(&mut one).unwrap();
        let seen_two = sum(&mut two).unwrap();
        assert_eq!((seen_one, seen_two), (10, 10));
        one.add(Program::new("one", seen_one + 1));
        two.add(Program::new("two", seen_two + 2));
        let results = [one.commit(), two.commit()];
        let failures: Vec<&orm_core::Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failures.len(), 1, "{results:?}");
        assert_eq!(failures[0].kind(), ErrorKind::SerializationFailure, "{:?}", failures[0]);
        assert!(failures[0].is_retryable());
        assert_eq!(failures[0].sqlstate(), Some("40001"));
        eprintln!(
            "measured: write skew: session {} failed with {:?} (SQLSTATE {:?})",
            if results[0].is_err() { "one (first to commit)" } else { "two (second to commit)" },
            failures[0].kind(),
            failures[0].sqlstate()
        );
        let loser = if results[0].is_err() { &mut one } else { &mut two };
        loser.rollback().unwrap();
        let seen = sum(loser).unwrap();
        assert_eq!(seen, 10 + seen_one + 1, "the retry sees the winner's row");
        loser.add(Program::new("retried", seen));
        loser.commit().unwrap();
        assert_eq!(db.count("programs"), 3);
    }
}

// ----- 11. logs --------------------------------------------------------------------------

on_all! {
    /// Every statement the engine sends (BEGIN, batched INSERT, UPDATE, DELETE, a
    /// failing one, COMMIT, ROLLBACK) is one log record under `orm::sql`, in order, and
    /// no other `orm` target repeats it.
    fn one_log_record_per_statement_including_failures(db) {
        let capture = crate::engine::capture();
        seed_tables(db);
        db.statements.clear();
        let mark = capture.mark();
        let mut s = db.engine.session();
        let p = s.add(Program::new("logged", 1));
        p.courses(&mut s).unwrap().push(Course::new("a", "A 1"));
        p.courses(&mut s).unwrap().push(Course::new("b", "B 1"));
        s.commit().unwrap();
        p.get_mut().years_of_study = 2;
        s.commit().unwrap();
        // Two INSERTs, so that the failure is inside BEGIN .. ROLLBACK.
        s.add(Program::new("never", 1));
        s.add(Course { program_id: 4242, ..Course::new("orphan", "X") });
        assert!(s.commit().is_err());
        s.rollback().unwrap();
        s.delete(&p).unwrap();
        s.commit().unwrap();
        let sent = db.statements.sql();
        let records = capture.since(mark);
        let ours: Vec<&(String, String)> = records.iter().filter(|(t, _)| t.starts_with("orm")).collect();
        let sql_records: Vec<&str> = ours.iter().filter(|(t, _)| t == orm_core::LOG_TARGET).map(|(_, m)| m.as_str()).collect();
        assert_eq!(ours.len(), sql_records.len(), "only orm::sql reports statements: {ours:#?}");
        assert_eq!(sql_records.len(), sent.len(), "{sql_records:#?}\n{sent:#?}");
        for (record, sql) in sql_records.iter().zip(&sent) {
            let shown = if sql.starts_with("BEGIN") { "BEGIN (implicit)".to_owned() } else { db.sql(sql) };
            // MySQL's identifiers are in backticks: compared without them.
            let record = if db.is_mysql() { record.replace('`', "") } else { (*record).to_owned() };
            assert!(record.starts_with(&shown), "{record} vs {shown}");
        }
        assert!(sent.iter().any(|s| s == "ROLLBACK"), "{sent:?}");
    }

    /// With hidden parameters, no value appears in any log line of any crate (the
    /// drivers' debug logs included), on every path: batched inserts, updates, deletes,
    /// IN lists, LIKE, a failing statement and its error.
    fn hidden_parameters_on_every_path(db, |b| b.hide_parameters(true)) {
        let capture = crate::engine::capture();
        seed_tables(db);
        let mark = capture.mark();
        let secrets: Vec<String> = (0..6).map(|i| format!("hidden-{i}-{}", db.name)).collect();
        let mut s = db.engine.session();
        let p = s.add(Program::new(secrets[0].clone(), 1));
        p.courses(&mut s).unwrap().push(Course::new(secrets[1].clone(), "A 1"));
        p.courses(&mut s).unwrap().push(Course::new(secrets[2].clone(), "B 1"));
        s.commit().unwrap();
        p.get_mut().name = secrets[3].clone();
        s.commit().unwrap();
        s.query::<Course>().filter(Course::TITLE.in_([secrets[1].as_str(), secrets[4].as_str()])).all().unwrap();
        s.query::<Program>().filter(Program::NAME.like(format!("{}%", secrets[3]))).all().unwrap();
        s.add(Course { program_id: 4242, ..Course::new(secrets[5].clone(), "X") });
        assert!(s.commit().is_err());
        s.rollback().unwrap();
        s.delete(&p).unwrap();
        s.commit().unwrap();
        let records = capture.since(mark);
        assert!(records.iter().any(|(t, m)| t == orm_core::LOG_TARGET && m.contains("[parameters hidden]")));
        for secret in &secrets {
            let leaks: Vec<_> = capture.all().into_iter().filter(|(_, m)| m.contains(secret.as_str())).collect();
            assert!(leaks.is_empty(), "{secret}: {leaks:#?}");
        }
        if db.is_postgres() {
            assert!(records.iter().any(|(t, m)| t.starts_with("tokio_postgres") && m.contains("<hidden>")));
        }
    }
}
