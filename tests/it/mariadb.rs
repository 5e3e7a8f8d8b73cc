//! MariaDB as a server: what only a real server shows, tested against the local one.
//! Connects that fail at once with the server's reason, a connection killed under a
//! session, deadlocks retried by `engine.transaction`, and the migration lock held by
//! another deployer. (The rest of the suite runs on MariaDB through `on_all!`.)

use std::time::{Duration, Instant};

use orm_core::prelude::*;
use orm_core::{ErrorKind, ObjectState, Session};
use orm_tests::{TestDb, mysql_url, test_case, with_database};

use crate::models::{Course, Program, ProgramRelations};

/// A MariaDB test database, or return (the test shows as ignored without a server).
macro_rules! my {
    ($tag:expr) => {
        match TestDb::mysql($tag) {
            Some(db) => db,
            None => return,
        }
    };
}

/// Builds an engine for `url`, expecting `ConnectionRejected` well under a second; its
/// message.
fn rejected_at_once(url: &str) -> String {
    let started = Instant::now();
    let err = Engine::builder(url).connect_timeout(Duration::from_secs(10)).build().unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ConnectionRejected, "{err}");
    assert!(took < Duration::from_secs(1), "took {took:?}: {err}");
    err.to_string()
}

/// The server's id of the connection a session holds.
fn connection_id(s: &mut Session) -> i64 {
    s.query_raw("SELECT CAST(CONNECTION_ID() AS SIGNED)", &[], |r| r.get::<i64>(0)).unwrap()[0]
}

test_case! {
    /// A user the server does not know, and a database it does not have: refused at
    /// `build()`, at once, with the server's words; a server that wants TLS the local one
    /// does not offer says so.
    fn connects_fail_at_once_with_the_servers_reason() needs(mysql) {
        let Some(db) = TestDb::mysql("my_rejected") else { return };
        let url = mysql_url();
        let stranger = url.replacen("root@", "no_such_user@", 1);
        let message = rejected_at_once(&stranger);
        assert!(message.contains("no_such_user"), "{message}");
        let message = rejected_at_once(&with_database(&url, "no_such_database_here"));
        assert!(message.contains("no_such_database_here"), "{message}");
        let tls: Option<String> =
            db.engine.query_raw("SELECT @@have_ssl", &[], |r| r.get::<Option<String>>(0)).unwrap().pop().flatten();
        if tls.as_deref() != Some("YES") {
            let sep = if url.contains('?') { '&' } else { '?' };
            let err = Engine::builder(&format!("{url}{sep}ssl-mode=REQUIRED")).build().unwrap_err();
            assert!(err.to_string().to_lowercase().contains("tls") || err.to_string().contains("SSL"), "{err}");
        }
    }
}

test_case! {
    /// Another connection kills the one a session flushed on (its transaction holds the
    /// new rows): the commit is `ConnectionLost`, nothing persists, the object is
    /// transient again, and the next session runs on a new connection.
    fn connection_killed_under_a_session_is_connection_lost() needs(mysql) {
        let db = my!("my_killed");
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let mut s = db.engine.session();
        let p = s.add(Program::new("doomed", 1));
        p.courses(&mut s).unwrap().push(Course::new("doomed too", "X 1"));
        s.flush().unwrap();
        let victim = connection_id(&mut s);
        let observer = db.engine_with(|b| b.max_size(1));
        observer.execute(&format!("KILL CONNECTION {victim}"), &[]).unwrap();

        let started = Instant::now();
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err:?}");
        assert!(err.is_retryable());
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(p.state(), ObjectState::Transient);
        assert_eq!((db.count("programs"), db.count("courses")), (0, 0));

        s.add(Program::new("after the kill", 1));
        s.commit().unwrap();
        let mut again = db.engine.session();
        assert_eq!(again.query::<Program>().count().unwrap(), 1);
        assert_ne!(connection_id(&mut again), victim, "the pool replaced the connection");
    }
}

test_case! {
    /// Two transactions lock two rows in opposite orders: InnoDB rolls one back as the
    /// deadlock victim, `engine.transaction` runs it again, and both updates land.
    fn transaction_retries_deadlocks() needs(mysql) {
        let db = my!("my_deadlock");
        crate::production::deadlock_victim_is_retried(&db);
    }
}

test_case! {
    /// Another deployer holds the migration lock (`GET_LOCK`): `upgrade` waits for it,
    /// and runs once it is released; the migration is applied once.
    fn upgrade_waits_for_the_migration_lock() needs(mysql) {
        use orm_core::migration::{Migration, Migrations, Migrator};
        let db = my!("my_lock");
        let holder = db.engine_with(|b| b.max_size(1));
        let mut conn = holder.connection().unwrap();
        let name = format!("orm_migrations_{}", db.name);
        let got: Vec<i64> = conn
            .query_raw("SELECT GET_LOCK(?1, 5)", &[orm_core::Value::from(name.as_str())], |r| r.get(0))
            .unwrap();
        assert_eq!(got, [1]);
        let files = vec![
            ("up.mysql.sql".to_owned(), "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY);\n".to_owned()),
            ("down.mysql.sql".to_owned(), "DROP TABLE notes;\n".to_owned()),
        ];
        let migrations = Migrations::from_list(vec![Migration::new(1, "notes", files)]).unwrap();
        let started = Instant::now();
        std::thread::scope(|scope| {
            let runner = scope.spawn(|| Migrator::new(&db.engine, migrations).upgrade(None));
            std::thread::sleep(Duration::from_millis(500));
            assert!(!runner.is_finished(), "upgrade ran while another deployer held the lock");
            conn.query_raw("SELECT RELEASE_LOCK(?1)", &[orm_core::Value::from(name.as_str())], |_| Ok(())).unwrap();
            assert_eq!(runner.join().unwrap().unwrap().len(), 1);
        });
        assert!(started.elapsed() >= Duration::from_millis(500));
        assert_eq!(db.count("notes"), 0);
    }
}
