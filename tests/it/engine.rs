//! The engine: pooling, threads, statement logging and echo.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use orm_core::{Engine, LOG_TARGET, params};
use orm_tests::pg;

use crate::models::Program;

/// Captures every log record of the process, from every crate, at every level.
struct Capture(Mutex<Vec<(String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((record.target().to_owned(), record.args().to_string()));
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(c).expect("one logger per test process");
        log::set_max_level(log::LevelFilter::Trace);
        c
    })
}

#[test]
fn engine_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Engine>();
}

#[test]
fn one_log_record_per_statement_under_one_target() {
    let capture = capture();
    let db = pg!("engine_log");
    db.engine.create_all(&[Program::table()]).unwrap();
    let marker = "marker-7d1f3a";
    Program::new(marker, 3).insert(&db.engine).unwrap();
    Program::query()
        .filter(Program::NAME.eq(marker))
        .all(&db.engine)
        .unwrap();
    let records = capture.0.lock().unwrap().clone();
    let ours: Vec<&(String, String)> = records.iter().filter(|(_, m)| m.contains(marker)).collect();
    let by_target: Vec<&(String, String)> = ours
        .iter()
        .copied()
        .filter(|(t, _)| t == LOG_TARGET)
        .collect();
    assert_eq!(by_target.len(), 2, "{ours:#?}");
    assert!(
        by_target[0].1.starts_with("INSERT INTO programs"),
        "{by_target:?}"
    );
    assert!(
        by_target[1].1.contains("('marker-7d1f3a',)"),
        "{by_target:?}"
    );
}

#[test]
fn hidden_parameters_appear_in_no_log_line_of_any_crate() {
    let capture = capture();
    let db = pg!("engine_hidden", |b| b.hide_parameters(true));
    db.engine.create_all(&[Program::table()]).unwrap();
    let secret = "s3cret-a8b1c2";
    Program::new(secret, 3).insert(&db.engine).unwrap();
    let found = Program::query()
        .filter(Program::NAME.eq(secret))
        .one(&db.engine)
        .unwrap();
    assert_eq!(found.name, secret);
    let records = capture.0.lock().unwrap().clone();
    let leaks: Vec<_> = records.iter().filter(|(_, m)| m.contains(secret)).collect();
    assert!(leaks.is_empty(), "{leaks:#?}");
    assert!(
        records
            .iter()
            .any(|(t, m)| t == LOG_TARGET && m.contains("[parameters hidden]"))
    );
    // The driver logged the statement, without the value.
    assert!(
        records
            .iter()
            .any(|(t, m)| t.starts_with("tokio_postgres") && m.contains("<hidden>"))
    );
}

#[test]
fn pool_never_exceeds_max_size_under_threads() {
    let db = pg!("engine_threads", |b| b
        .max_size(3)
        .checkout_timeout(Duration::from_secs(20)));
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

#[test]
fn statements_are_prepared_once_per_pooled_connection() {
    let db = pg!("engine_stmt_cache", |b| b.max_size(1));
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

#[test]
fn search_path_isolates_engines() {
    let a = pg!("engine_iso_a");
    let b = pg!("engine_iso_b");
    a.engine.create_all(&[Program::table()]).unwrap();
    b.engine.create_all(&[Program::table()]).unwrap();
    Program::new("only in a", 1).insert(&a.engine).unwrap();
    assert_eq!(Program::query().count(&a.engine).unwrap(), 1);
    assert_eq!(Program::query().count(&b.engine).unwrap(), 0);
    let path: Vec<String> = a
        .engine
        .query_raw("SHOW search_path", &[], |r| r.get(0))
        .unwrap();
    assert_eq!(path, std::slice::from_ref(&a.name));
    let _ = params![1];
}
