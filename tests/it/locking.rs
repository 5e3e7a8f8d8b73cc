//! Row locks (`for_update`, `for_share`, `nowait`, `skip_locked`, `of`), statements of the
//! application's own inside a session's transaction, and one query value run both by an
//! engine and by a session.

use orm_core::prelude::*;
use orm_core::{ErrorKind, params};
use orm_tests::on_all;

use crate::models::Program;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "jobs")]
pub struct Job {
    #[orm(primary_key)]
    pub id: i32,
    pub payload: String,
    pub claimed_by: Option<String>,
}

fn queue(db: &orm_tests::TestDb, n: usize) {
    db.engine.create_all(&[Job::table()]).unwrap();
    let mut s = db.engine.session();
    s.add_all((0..n).map(|i| Job::new(format!("job {i}"), None)));
    s.commit().unwrap();
}

/// The next `n` unclaimed jobs no other worker holds, claimed by `worker` (not committed).
fn claim(s: &mut Session, worker: &str, n: u64) -> orm_core::Result<Vec<i32>> {
    let jobs = s
        .query::<Job>()
        .filter(Job::CLAIMED_BY.is_null())
        .order_by(Job::ID)
        .limit(n)
        .for_update()
        .skip_locked()
        .all()?;
    for job in &jobs {
        job.get_mut().claimed_by = Some(worker.to_owned());
    }
    Ok(jobs.iter().map(|j| j.get().id).collect())
}

on_all! {
    /// Two workers take the next jobs at the same time: each gets jobs the other does not
    /// hold (`FOR UPDATE SKIP LOCKED`). SQLite has no row locks and says so.
    fn workers_skip_the_jobs_others_hold(db) {
        queue(db, 20);
        let mut first = db.engine.session();
        let mut second = db.engine.session();
        if db.is_sqlite() {
            let err = claim(&mut first, "a", 5).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
            assert!(err.to_string().contains("no row locks"), "{err}");
            return;
        }
        let a = claim(&mut first, "a", 5).unwrap();
        let b = claim(&mut second, "b", 5).unwrap();
        assert_eq!(a, [1, 2, 3, 4, 5]);
        assert_eq!(b, [6, 7, 8, 9, 10], "the rows the first worker holds are skipped");
        first.commit().unwrap();
        second.commit().unwrap();
        let claimed = db.column("SELECT claimed_by || ':' || id FROM jobs WHERE claimed_by IS NOT NULL ORDER BY id", &[]);
        assert_eq!(claimed.len(), 10);
        assert!(claimed[..5].iter().all(|c| c.starts_with("a:")) && claimed[5..].iter().all(|c| c.starts_with("b:")));
        // The next claim starts after them.
        let mut third = db.engine.session();
        assert_eq!(claim(&mut third, "c", 3).unwrap(), [11, 12, 13]);
    }
}

on_all! {
    /// `nowait()` fails at once on a row another transaction holds; the rows are free
    /// again when it commits.
    fn nowait_fails_at_once_on_a_held_row(db) {
        queue(db, 3);
        if db.is_sqlite() {
            return;
        }
        let mut holder = db.engine.session();
        let held = holder.query::<Job>().filter(Job::ID.eq(1)).for_update().one().unwrap();
        let mut other = db.engine.session();
        let started = std::time::Instant::now();
        let err = other.query::<Job>().filter(Job::ID.eq(1)).for_update().nowait().one().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LockNotAvailable, "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        other.rollback().unwrap();
        // A shared lock on another row is granted.
        let two = other.query::<Job>().filter(Job::ID.eq(2)).for_share().nowait().one().unwrap();
        assert_eq!(two.get().id, 2);
        held.get_mut().payload = "done".into();
        holder.commit().unwrap();
        other.rollback().unwrap();
        let again = other.query::<Job>().filter(Job::ID.eq(1)).for_update().nowait().one().unwrap();
        assert_eq!(again.get().payload, "done");
    }
}

on_all! {
    /// The lock clauses as each backend is sent them, and where a lock cannot go.
    fn lock_clauses_render_or_are_refused(db) {
        use orm_core::dialect::{POSTGRES, SQLITE};
        use crate::models::Course;
        let q = Course::query()
            .join(Course::PROGRAM)
            .filter(Program::NAME.eq("CS"))
            .for_share()
            .of(Course::table())
            .nowait();
        let (sql, _) = q.to_sql(&POSTGRES).unwrap();
        assert!(sql.ends_with(" WHERE programs.name = $1 FOR SHARE OF courses NOWAIT"), "{sql}");
        assert_eq!(q.to_sql(&SQLITE).unwrap_err().kind(), ErrorKind::Unsupported);
        // MariaDB has LOCK IN SHARE MODE and locks every table the query reads.
        let err = q.to_sql(&orm_core::dialect::MARIADB).unwrap_err();
        assert!(err.to_string().contains("FOR UPDATE OF"), "{err}");
        let (sql, _) = Course::query().for_share().nowait().to_sql(&orm_core::dialect::MARIADB).unwrap();
        assert!(sql.ends_with(" LOCK IN SHARE MODE NOWAIT"), "{sql}");
        // A count locks nothing, and a joined fan-out cannot be locked.
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let mut s = db.engine.session();
        assert_eq!(s.query::<Program>().for_update().count().unwrap_err().kind(), ErrorKind::Unsupported);
        let err = Program::query().join(Program::COURSES).for_update().to_sql(&POSTGRES).unwrap_err();
        assert!(err.to_string().contains("repeats rows"), "{err}");
        // Without a session, a lock needs a transaction of its own.
        let err = Program::query().for_update().all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), db.pick3(ErrorKind::InvalidState, ErrorKind::Unsupported, ErrorKind::InvalidState), "{err}");
        if !db.is_sqlite() {
            let mut conn = db.engine.connection().unwrap();
            conn.begin().unwrap();
            assert!(Program::query().for_update().all(&mut conn).unwrap().is_empty());
            conn.commit().unwrap();
        }
    }
}

on_all! {
    /// `session.execute` runs inside the session's transaction after autoflush: it sees
    /// the pending rows and rolls back or commits with them.
    fn statements_of_your_own_run_in_the_session_transaction(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut s = db.engine.session();
        s.add(Program::new("Bachelors in CS", 3));
        let changed = s.execute("UPDATE programs SET years_of_study = years_of_study + 1 WHERE name = $1", params!["Bachelors in CS"]).unwrap();
        assert_eq!(changed, 1, "the pending program was flushed first");
        assert_eq!(db.count("programs"), 0, "nothing is visible outside the transaction yet");
        s.rollback().unwrap();
        assert_eq!(db.count("programs"), 0);

        let p = s.add(Program::new("Masters in CS", 2));
        s.execute("UPDATE programs SET years_of_study = 5", &[]).unwrap();
        s.commit().unwrap();
        s.refresh(&p).unwrap();
        assert_eq!(p.get().years_of_study, 5);
        // A failing statement is a typed error, and the session asks for a rollback.
        let err = s.execute("UPDATE no_such_table SET x = 1", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Database, "{err}");
    }
}

on_all! {
    /// One query value, run by the engine (plain values) and by a session (its objects).
    fn one_query_value_runs_on_an_engine_and_in_a_session(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let three_years = || Program::query().filter(Program::YEARS_OF_STUDY.eq(3)).order_by(Program::NAME);
        let mut s = db.engine.session();
        let cs = s.add(Program::new("Bachelors in CS", 3));
        s.add(Program::new("Masters in CS", 2));
        let objs = s.select(three_years()).all().unwrap();
        assert_eq!(objs, std::slice::from_ref(&cs), "the session's own handle, after autoflush");
        s.commit().unwrap();
        let plain = three_years().all(&db.engine).unwrap();
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].id, cs.get().id);
    }
}
