//! The engine: pooling, threads, statement logging and echo.

use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

use orm_core::{Engine, LOG_TARGET, QueryBuilder, params};
use orm_tests::{on_all, pg, test_case};

use crate::models::Program;

/// Captures every log record of the process, from every crate, at every level, with
/// the thread that logged it (statements are logged on the thread that sends them, so
/// a test can tell its own records from those of tests running beside it).
pub(crate) struct Capture(Mutex<Vec<(ThreadId, String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let thread = std::thread::current().id();
        self.0.lock().unwrap().push((thread, record.target().to_owned(), record.args().to_string()));
    }
    fn flush(&self) {}
}

impl Capture {
    /// Every record so far, as (target, message).
    pub(crate) fn all(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().iter().map(|(_, t, m)| (t.clone(), m.clone())).collect()
    }

    /// A position in the records, for [`Capture::since`].
    pub(crate) fn mark(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The records the current thread logged after `mark`, as (target, message).
    pub(crate) fn since(&self, mark: usize) -> Vec<(String, String)> {
        let me = std::thread::current().id();
        self.0.lock().unwrap()[mark..]
            .iter()
            .filter(|(thread, _, _)| *thread == me)
            .map(|(_, t, m)| (t.clone(), m.clone()))
            .collect()
    }
}

/// The process-wide logger (installed on first use; one per test process).
pub(crate) fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(c).expect("one logger per test process");
        log::set_max_level(log::LevelFilter::Trace);
        c
    })
}

test_case! {
    fn engine_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Engine>();
    }
}

on_all! {
fn one_log_record_per_statement_under_one_target(db) {
    let capture = capture();
    db.engine.create_all(&[Program::table()]).unwrap();
    let marker = format!("marker-7d1f3a-{}", db.name);
    let marker = marker.as_str();
    Program::new(marker, 3).insert(&db.engine).unwrap();
    Program::query()
        .filter(Program::NAME.eq(marker))
        .all(&db.engine)
        .unwrap();
    let records = capture.all();
    let ours: Vec<&(String, String)> = records.iter().filter(|(_, m)| m.contains(marker)).collect();
    let by_target: Vec<&(String, String)> = ours
        .iter()
        .copied()
        .filter(|(t, _)| t == LOG_TARGET)
        .collect();
    assert_eq!(by_target.len(), 2, "{ours:#?}");
    assert!(
        by_target[0].1.replace('`', "").starts_with("INSERT INTO programs"),
        "{by_target:?}"
    );
    assert!(
        by_target[1].1.contains(&format!("('{marker}',)")),
        "{by_target:?}"
    );
}
}

on_all! {
fn hidden_parameters_appear_in_no_log_line_of_any_crate(db, |b| b.hide_parameters(true)) {
    let capture = capture();
    db.engine.create_all(&[Program::table()]).unwrap();
    let secret = "s3cret-a8b1c2";
    Program::new(secret, 3).insert(&db.engine).unwrap();
    let found = Program::query()
        .filter(Program::NAME.eq(secret))
        .one(&db.engine)
        .unwrap();
    assert_eq!(found.name, secret);
    let records = capture.all();
    let leaks: Vec<_> = records.iter().filter(|(_, m)| m.contains(secret)).collect();
    assert!(leaks.is_empty(), "{leaks:#?}");
    assert!(
        records
            .iter()
            .any(|(t, m)| t == LOG_TARGET && m.contains("[parameters hidden]"))
    );
    // The PostgreSQL driver logged the statement, without the value.
    if db.is_postgres() {
        assert!(records.iter().any(|(t, m)| t.starts_with("tokio_postgres") && m.contains("<hidden>")));
    }
}
}

on_all! {
    fn pool_never_exceeds_max_size_under_threads(db, |b| b
            .max_size(3)
            .checkout_timeout(Duration::from_secs(20))) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let engine = db.engine.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        Program::new(format!("t{t}-{i}"), i)
                            .insert(&engine)
                            .unwrap();
                        assert!(engine.pool_size() <= 3);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(db.count("programs"), 80);
        assert!(db.engine.pool_size() <= 3);
    }
}

test_case! {
    /// PostgreSQL only: `pg_prepared_statements` shows the server-side cache.
    fn statements_are_prepared_once_per_pooled_connection() needs(postgres) {
        let db = pg!("engine_stmt_cache", |b| b.max_size(1));
        {
            db.engine.create_all(&[Program::table()]).unwrap();
            for i in 0..5 {
                Program::get(&db.engine, i).unwrap();
            }
            let prepared: i64 = db
                .engine
                .query_raw(
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT programs.id%'",
                    &[],
                    |r| r.get(0),
                )
                .unwrap()[0];
            assert_eq!(prepared, 1);
        }
    }
}

test_case! {
    /// PostgreSQL only: search_path is a PostgreSQL setting (see
    /// `sqlite_refuses_search_path`).
    fn search_path_isolates_engines() needs(postgres) {
        let a = pg!("engine_iso_a");
        let b = pg!("engine_iso_b");
        a.engine.create_all(&[Program::table()]).unwrap();
        b.engine.create_all(&[Program::table()]).unwrap();
        Program::new("only in a", 1).insert(&a.engine).unwrap();
        assert_eq!(Program::query().count(&a.engine).unwrap(), 1);
        assert_eq!(Program::query().count(&b.engine).unwrap(), 0);
        let path: Vec<String> = a.engine.query_raw("SHOW search_path", &[], |r| r.get(0)).unwrap();
        assert_eq!(path, std::slice::from_ref(&a.name));
        let _ = params![1];
    }
}

test_case! {
    fn sqlite_refuses_search_path() needs(sqlite) {
        let err = Engine::builder("sqlite::memory:").search_path("x").build().unwrap_err();
        assert_eq!(err.kind(), orm_core::ErrorKind::Unsupported);
        assert!(err.to_string().contains("PostgreSQL setting"), "{err}");
    }
}

test_case! {
    fn sqlite_memory_is_one_database_per_engine_shared_by_its_connections() needs(sqlite) {
        let engine = Engine::builder("sqlite::memory:").max_size(3).build().unwrap();
        engine.create_all(&[Program::table()]).unwrap();
        let mut a = engine.connection().unwrap();
        let mut b = engine.connection().unwrap();
        Program::new("in memory", 1).insert(&mut a).unwrap();
        assert_eq!(Program::query().count(&mut b).unwrap(), 1, "another pooled connection sees it");
        drop((a, b));
        let other = Engine::connect("sqlite::memory:").unwrap();
        other.create_all(&[Program::table()]).unwrap();
        assert_eq!(Program::query().count(&other).unwrap(), 0, "another engine has its own database");
        let clone = engine.clone();
        assert_eq!(Program::query().count(&clone).unwrap(), 1, "clones share it");
    }
}

test_case! {
    fn sqlite_file_urls_are_relative_or_absolute() needs(sqlite) {
        let dir = std::env::temp_dir().join(format!("orm-url-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let absolute = format!("sqlite://{}", dir.join("abs.db").display());
        assert!(absolute.starts_with("sqlite:///"));
        let engine = Engine::connect(&absolute).unwrap();
        engine.create_all(&[Program::table()]).unwrap();
        Program::new("kept on disk", 1).insert(&engine).unwrap();
        drop(engine);
        let again = Engine::connect(&absolute).unwrap();
        assert_eq!(Program::query().count(&again).unwrap(), 1);
        let journal: Vec<String> = again.query_raw("PRAGMA journal_mode", &[], |r| r.get(0)).unwrap();
        assert_eq!(journal, ["wal"]);
        let fks: Vec<i64> = again.query_raw("PRAGMA foreign_keys", &[], |r| r.get(0)).unwrap();
        assert_eq!(fks, [1]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
