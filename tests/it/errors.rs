//! Every error kind, produced for real, on both backends where the backend has the
//! failure (PostgreSQL-only cases say why).

use std::time::{Duration, Instant};

use orm_core::{Engine, ErrorKind, params};
use orm_tests::{TestDb, on_all, pg, test_case};

use crate::models::{Account, Course, Program};

/// A statement that runs for a long time on this backend (MySQL's SLEEP() would return
/// 1 when interrupted, not fail).
fn slow_statement(db: &TestDb) -> &'static str {
    db.pick(
        "SELECT pg_sleep(10)",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    )
}

on_all! {
    fn unique_violation_names_the_constraint(db) {
        db.engine.create_all(&[Account::table()]).unwrap();
        Account::new("ann@example.com", "ann", "main").insert(&db.engine).unwrap();
        let err = Account::new("ann@example.com", "bob", "main").insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation);
        assert_eq!(err.constraint(), Some("accounts_email_key"));
        assert_eq!(err.table(), Some("accounts"));
        assert_eq!(err.sqlstate(), db.pick3(Some("23505"), None, Some("23000")));
        assert!(err.is_constraint_violation());
        let msg = err.to_string();
        assert!(msg.contains("accounts_email_key"), "{msg}");
        let detail = db.pick3("(email)=(ann@example.com)", "accounts.email", "Duplicate entry 'ann@example.com'");
        assert!(msg.contains(detail), "{msg}");
    }

    fn foreign_key_violation_names_the_constraint(db) {
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let err = Course { program_id: 42, ..Course::new("orphan", "XX 1") }.insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation);
        assert_eq!(err.constraint(), Some("courses_program_id_fkey"));
        let msg = err.to_string();
        let detail = db.pick3(
            "is not present in table \"programs\"",
            "FOREIGN KEY constraint failed",
            "REFERENCES `programs` (`id`)",
        );
        assert!(msg.contains(detail), "{msg}");
    }

    fn not_null_violation_names_the_column(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let err = db
            .engine
            .execute(&db.sql("INSERT INTO programs (name, years_of_study) VALUES ($1, $2)"), params![None::<String>, 3])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotNullViolation);
        assert_eq!(err.column(), Some("name"));
        assert!(err.to_string().contains("`programs.name` cannot be NULL"), "{err}");
    }

    fn check_violation_names_the_constraint(db) {
        let id = db.pick3("SERIAL", "INTEGER", "INTEGER AUTO_INCREMENT");
        let name = db.pick3("VARCHAR", "VARCHAR", "VARCHAR(80)");
        db.engine
            .execute(
                &format!(
                    "CREATE TABLE programs (id {id} PRIMARY KEY, name {name} NOT NULL, \
                     years_of_study INTEGER NOT NULL, CONSTRAINT years_positive CHECK (years_of_study > 0))"
                ),
                &[],
            )
            .unwrap();
        let err = Program::new("Nothing", 0).insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CheckViolation);
        assert_eq!(err.constraint(), Some("years_positive"));
    }

    fn statement_timeout_cancels_with_a_typed_error(db, |b| b.statement_timeout(Duration::from_millis(200))) {
        let mut conn = db.engine.connection().unwrap();
        let started = Instant::now();
        let err = conn.execute(slow_statement(db), &[]).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(err.kind(), ErrorKind::QueryCanceled);
        assert!(err.to_string().contains("statement timeout"), "{err}");
        conn.execute("SELECT 1", &[]).unwrap();
    }

    fn cancel_token_cancels_a_running_statement(db) {
        let mut conn = db.engine.connection().unwrap();
        let token = conn.cancel_token();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            token.cancel().unwrap();
        });
        let err = conn.execute(slow_statement(db), &[]).unwrap_err();
        canceller.join().unwrap();
        assert_eq!(err.kind(), ErrorKind::QueryCanceled);
        conn.execute("SELECT 1", &[]).unwrap();
    }

    fn pool_timeout_after_the_checkout_timeout(db, |b| b.max_size(1).checkout_timeout(Duration::from_millis(300))) {
        let _held = db.engine.connection().unwrap();
        let started = Instant::now();
        let err = db.engine.connection().unwrap_err();
        let waited = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::PoolTimeout);
        assert!(waited >= Duration::from_millis(270) && waited < Duration::from_millis(1500), "{waited:?}");
        assert!(err.to_string().contains("max_size"), "{err}");
    }

    fn failed_statement_in_a_transaction_requires_rollback(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut conn = db.engine.connection().unwrap();
        conn.begin().unwrap();
        Program::new("kept?", 1).insert(&mut conn).unwrap();
        assert!(conn.execute("SELECT no_such_column FROM programs", &[]).is_err());
        let err = conn.execute("SELECT 1", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RollbackRequired);
        assert!(err.to_string().contains("rollback()"), "{err}");
        assert_eq!(conn.commit().unwrap_err().kind(), ErrorKind::RollbackRequired);
        conn.rollback().unwrap();
        conn.execute("SELECT 1", &[]).unwrap();
        assert_eq!(db.count("programs"), 0);
    }

    fn connection_dropped_mid_transaction_rolls_back(db, |b| b.max_size(1)) {
        db.engine.create_all(&[Program::table()]).unwrap();
        {
            let mut conn = db.engine.connection().unwrap();
            conn.begin().unwrap();
            Program::new("never", 1).insert(&mut conn).unwrap();
        }
        let mut conn = db.engine.connection().unwrap();
        assert!(!conn.in_transaction());
        if db.is_postgres() {
            let xact: Vec<Option<String>> = conn
                .query_raw("SELECT pg_current_xact_id_if_assigned()::text", &[], |r| r.get(0))
                .unwrap();
            assert_eq!(xact, [None]);
        }
        drop(conn);
        assert_eq!(db.count("programs"), 0);
    }
}

test_case! {
    /// PostgreSQL only: SQLite has no SERIALIZABLE snapshot conflicts; its analogue, a
    /// locked database, is `busy_database_is_a_typed_retryable_error`.
    fn serialization_failure_is_typed_and_retryable() needs(postgres) {
        let db = pg!("err_serialization");
        db.engine.create_all(&[Program::table()]).unwrap();
        Program::new("a", 1).insert(&db.engine).unwrap();
        let mut one = db.engine.connection().unwrap();
        let mut two = db.engine.connection().unwrap();
        for conn in [&mut one, &mut two] {
            conn.begin().unwrap();
            conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", &[]).unwrap();
            conn.query_raw("SELECT sum(years_of_study) FROM programs", &[], |r| r.get::<i64>(0)).unwrap();
        }
        one.execute("INSERT INTO programs (name, years_of_study) VALUES ('b', 2)", &[]).unwrap();
        two.execute("INSERT INTO programs (name, years_of_study) VALUES ('c', 3)", &[]).unwrap();
        one.commit().unwrap();
        let err = two.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SerializationFailure, "{err}");
        assert!(err.is_retryable());
        assert!(!two.in_transaction());
        two.execute("SELECT 1", &[]).unwrap();
    }
}

test_case! {
    /// SQLite only: one writer at a time; a second one waits `busy_timeout`, then gets a
    /// typed, retryable error.
    fn busy_database_is_a_typed_retryable_error() needs(sqlite) {
        let db =
            TestDb::new(orm_tests::Backend::Sqlite, "err_busy", |b| b.busy_timeout(Duration::from_millis(200))).unwrap();
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut one = db.engine.connection().unwrap();
        let mut two = db.engine.connection().unwrap();
        one.begin().unwrap();
        Program::new("a", 1).insert(&mut one).unwrap();
        let started = Instant::now();
        let err = two.begin().unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
        assert_eq!(err.kind(), ErrorKind::SerializationFailure, "{err}");
        assert!(err.is_retryable());
        one.commit().unwrap();
        two.begin().unwrap();
        two.rollback().unwrap();
    }
}

test_case! {
    /// PostgreSQL only: a SQLite connection has no server process to kill.
    fn killed_backend_is_connection_lost_and_the_pool_recovers() needs(postgres) {
        let db = pg!("err_killed", |b| b.max_size(1).health_check_after_idle(Duration::ZERO));
        let mut conn = db.engine.connection().unwrap();
        let pid: i32 = conn.query_raw("SELECT pg_backend_pid()", &[], |r| r.get(0)).unwrap()[0];
        let killer = db.engine_with(|b| b);
        let killed: bool = killer.query_raw("SELECT pg_terminate_backend($1)", params![pid], |r| r.get(0)).unwrap()[0];
        assert!(killed);
        std::thread::sleep(Duration::from_millis(100));
        let err = conn.execute("SELECT 1", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err}");
        assert!(err.is_retryable());
        drop(conn);
        // The broken connection is discarded; the next checkout gets a new one.
        let mut again = db.engine.connection().unwrap();
        let new_pid: i32 = again.query_raw("SELECT pg_backend_pid()", &[], |r| r.get(0)).unwrap()[0];
        assert_ne!(new_pid, pid);
    }
}

test_case! {
    fn bad_urls_are_bad_url_errors() {
        for url in ["oracle://root@localhost/test", "mysql://root@localhost", "postgres://u@host:notaport/db", "not a url", "", "sqlite:file.db"] {
            let err = Engine::connect(url).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadUrl, "{url}: {err}");
        }
    }
}

test_case! {
    fn unreachable_server_fails_within_the_connect_timeout() {
        let started = Instant::now();
        let err = Engine::builder("postgres://postgres@127.0.0.1:1/test")
            .connect_timeout(Duration::from_millis(500))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost);
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(err.to_string().contains("cannot connect"), "{err}");
    }
}

test_case! {
    fn unopenable_sqlite_file_fails_at_build() needs(sqlite) {
        let started = Instant::now();
        let err = Engine::builder("sqlite:///nonexistent-directory-7f3a/app.db")
            .connect_timeout(Duration::from_millis(500))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost);
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(err.to_string().contains("cannot open the SQLite database"), "{err}");
    }
}

on_all! {
    /// `#[orm(check = "..")]` on a field and on the struct become named CHECK constraints;
    /// a row that breaks one is a `CheckViolation` naming it, and nothing is written.
    fn check_constraints_declared_on_the_model(db) {
        use crate::models::PricedItem;
        let ddl = PricedItem::table().create_sql(db.engine.dialect()).join("\n").replace('`', "");
        assert!(ddl.contains("CONSTRAINT ck_priced_items_price CHECK (price >= 0)"), "{ddl}");
        assert!(ddl.contains("CONSTRAINT ck_priced_items_1 CHECK (discount <= price)"), "{ddl}");
        db.engine.create_all(&[PricedItem::table()]).unwrap();
        PricedItem::new("tea", 500, 0).insert(&db.engine).unwrap();
        for (item, constraint) in
            [(PricedItem::new("free lunch", -1, -2), "ck_priced_items_price"), (PricedItem::new("bargain", 5, 9), "ck_priced_items_1")]
        {
            let mut s = db.engine.session();
            s.add(item);
            let err = s.commit().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CheckViolation, "{err}");
            assert_eq!(err.constraint(), Some(constraint), "{err}");
        }
        assert_eq!(db.count("priced_items"), 1);
    }
}
