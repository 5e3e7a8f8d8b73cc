//! Reaching a production PostgreSQL, against the real components: TLS (the local server,
//! and a throwaway cluster with a CA and certificates made here), connects that fail at
//! once with the server's reason, PgBouncer in transaction pooling mode (started here on
//! a free port), and transactions retried on serialization failures and deadlocks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use orm_core::prelude::*;
use orm_core::{EngineBuilder, ErrorKind, IsolationLevel, Retry, Session, SslMode};
use orm_tests::cluster::{Cluster, run};
use orm_tests::pgbouncer::PgBouncer;
use orm_tests::{ScratchDatabase, database_port, database_url, on_all, pg, test_case, with_database, with_option};

use crate::models::{Everything, Program};
use crate::types::{full, nulls};

/// Whether the server end of `engine`'s connections is encrypted (`pg_stat_ssl`).
fn encrypted(engine: &Engine) -> bool {
    engine.query_raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[], |row| row.get::<bool>(0)).unwrap()
        [0]
}

/// Builds an engine for `url`, expecting a `ConnectionRejected` error well under a second
/// (the connect timeout is 10 s); returns its message.
fn rejected_at_once(builder: EngineBuilder) -> String {
    let started = Instant::now();
    let err = builder.connect_timeout(Duration::from_secs(10)).build().unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ConnectionRejected, "{err}");
    assert!(took < Duration::from_secs(1), "took {took:?}: {err}");
    eprintln!("measured: rejected after {took:?}: {err}");
    err.to_string()
}

// ----- TLS -----------------------------------------------------------------------------

test_case! {
    /// The local server has `ssl = on`: `sslmode=require` encrypts (the server says so in
    /// `pg_stat_ssl`), `disable` does not, and the default (`prefer`) encrypts when the
    /// server offers it, as libpq does.
    fn sslmode_require_encrypts_the_connection() needs(postgres) {
        let url = database_url();
        let require = Engine::connect(&with_option(&url, "sslmode=require")).unwrap();
        assert!(encrypted(&require), "sslmode=require connected in plain text");
        let disable = Engine::connect(&with_option(&url, "sslmode=disable")).unwrap();
        assert!(!encrypted(&disable));
        let builder = Engine::builder(&with_option(&url, "sslmode=disable")).ssl_mode(SslMode::Require);
        assert!(encrypted(&builder.build().unwrap()), "the builder's mode wins over the URL's");
        let default = Engine::connect(&url).unwrap();
        let server_has_tls = default.query_raw("SHOW ssl", &[], |row| row.get::<String>(0)).unwrap()[0] == "on";
        assert_eq!(encrypted(&default), server_has_tls && !url.contains("sslmode=disable"));
    }
}

/// A CA, and a server certificate it signed for `names` (subjectAltName entries such as
/// `DNS:localhost`), made with the openssl command in `dir`: `(ca.crt, server.crt,
/// server.key)`.
fn certificates(dir: &Path, ca: &str, names: &str) -> (PathBuf, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let path = |name: &str| dir.join(format!("{ca}-{name}"));
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let (ca_key, ca_crt) = (path("ca.key"), path("ca.crt"));
    let (srv_key, srv_csr, srv_crt, ext) = (path("server.key"), path("server.csr"), path("server.crt"), path("ext"));
    let s = |p: &PathBuf| p.display().to_string();
    let subject = format!("/CN={ca}");
    openssl(
        &[&["req", "-x509"][..], &key, &["-keyout", &s(&ca_key), "-out", &s(&ca_crt), "-days", "2", "-subj", &subject]]
            .concat(),
    );
    openssl(
        &[&["req"][..], &key, &["-keyout", &s(&srv_key), "-out", &s(&srv_csr), "-subj", "/CN=orm test server"]]
            .concat(),
    );
    std::fs::write(&ext, format!("subjectAltName={names}\n")).unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&srv_csr),
        "-CA",
        &s(&ca_crt),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-out",
        &s(&srv_crt),
        "-days",
        "2",
        "-extfile",
        &s(&ext),
    ]);
    (ca_crt, srv_crt, srv_key)
}

test_case! {
    /// A cluster of the test's own with a certificate for `localhost` signed by a CA made
    /// here, and password authentication for a user `app` over TLS. `verify-full` passes
    /// for `localhost` and rejects `127.0.0.1` (not in the certificate) and a certificate
    /// checked against another CA, each at once with the reason; `verify-ca` accepts the
    /// CA whatever the host; a wrong password is rejected at once with the server's
    /// message.
    fn verify_full_checks_the_ca_and_the_host() needs(pg_ctl, openssl) {
        let Some(mut cluster) = Cluster::init("tls") else { return };
        let certs = cluster.dir.join("certs");
        let (ca, server_crt, server_key) = certificates(&certs, "orm-ca", "DNS:localhost");
        let (other_ca, _, _) = certificates(&certs, "other-ca", "DNS:localhost");
        let crt = cluster.install("server.crt", &std::fs::read(server_crt).unwrap());
        let key = cluster.install("server.key", &std::fs::read(server_key).unwrap());
        cluster.set("ssl", "on");
        cluster.set("ssl_cert_file", &crt.display().to_string());
        cluster.set("ssl_key_file", &key.display().to_string());
        cluster.write_hba(
            "local all all trust\n\
             hostssl all app 127.0.0.1/32 scram-sha-256\n\
             hostssl all app ::1/128 scram-sha-256\n\
             host all postgres 127.0.0.1/32 trust\n\
             host all postgres ::1/128 trust\n",
        );
        cluster.ctl_start();
        let admin = Engine::connect(&cluster.url()).unwrap();
        admin.execute("CREATE ROLE app LOGIN PASSWORD 'right horse battery'", &[]).unwrap();
        let port = cluster.port;
        let url = |host: &str, mode: &str, root: &Path| {
            format!("postgres://postgres@{host}:{port}/postgres?sslmode={mode}&sslrootcert={}", root.display())
        };

        let full = Engine::connect(&url("localhost", "verify-full", &ca)).unwrap();
        assert!(encrypted(&full));

        let wrong_host = rejected_at_once(Engine::builder(&url("127.0.0.1", "verify-full", &ca)));
        assert!(wrong_host.contains("certificate verify failed") && wrong_host.contains("mismatch"), "{wrong_host}");
        assert!(wrong_host.contains("name the host"), "{wrong_host}");

        let ca_only = Engine::connect(&url("127.0.0.1", "verify-ca", &ca)).unwrap();
        assert!(encrypted(&ca_only), "verify-ca checks the CA, not the host");

        let other = rejected_at_once(Engine::builder(&url("localhost", "verify-full", &other_ca)));
        assert!(other.contains("unable to get local issuer certificate"), "{other}");
        assert!(other.contains("sslrootcert"), "{other}");
        rejected_at_once(Engine::builder(&url("localhost", "verify-ca", &other_ca)));

        // `require` with a root certificate checks it, as libpq does; without, it does not.
        rejected_at_once(Engine::builder(&url("localhost", "require", &other_ca)));
        let unverified = Engine::connect(&format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=require"));
        assert!(encrypted(&unverified.unwrap()));

        // The builder's settings, as the URL's.
        let built = Engine::builder(&format!("postgres://postgres@localhost:{port}/postgres"))
            .ssl_mode(SslMode::VerifyFull)
            .ssl_root_cert(&ca)
            .build()
            .unwrap();
        assert!(encrypted(&built));

        let app = |password: &str| {
            Engine::builder(&format!(
                "postgres://app:{password}@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
                ca.display()
            ))
        };
        let wrong = rejected_at_once(app("wrong"));
        assert!(wrong.contains("password authentication failed"), "{wrong}");
        assert!(wrong.contains("28P01") && !wrong.contains("wrong@"), "{wrong}");
        let engine = app("right%20horse%20battery").build().unwrap();
        assert!(encrypted(&engine));
    }
}

/// A client certificate for the user `user`, signed by the CA `ca` that
/// [`certificates`] made in `dir`: `(client.crt, client.key)`, the key in PKCS#8 PEM.
fn client_certificate(dir: &Path, ca: &str, user: &str) -> (PathBuf, PathBuf) {
    let path = |name: &str| dir.join(format!("{ca}-{user}-{name}"));
    let s = |p: &PathBuf| p.display().to_string();
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    let (key, csr, crt) = (path("client.key"), path("client.csr"), path("client.crt"));
    let (ca_crt, ca_key) = (dir.join(format!("{ca}-ca.crt")), dir.join(format!("{ca}-ca.key")));
    let subject = format!("/CN={user}");
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &s(&key),
        "-out",
        &s(&csr),
        "-subj",
        &subject,
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca_crt),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-out",
        &s(&crt),
        "-days",
        "2",
    ]);
    (crt, key)
}

test_case! {
    /// A server that authenticates `app` by a client certificate (pg_hba's `cert`, the
    /// CA in its `ssl_ca_file`): the certificate and key from the URL (`sslcert`,
    /// `sslkey`, libpq's names) or from the builder log in as `app`; without one, or with
    /// one another CA signed, the server's refusal comes at once with what to do; a key
    /// in the traditional format, or another certificate's key, is refused before
    /// connecting.
    fn client_certificates_authenticate() needs(pg_ctl, openssl) {
        let Some(mut cluster) = Cluster::init("client-cert") else { return };
        let certs = cluster.dir.join("certs");
        let (ca, server_crt, server_key) = certificates(&certs, "orm-ca", "DNS:localhost");
        certificates(&certs, "other-ca", "DNS:localhost");
        let (app_crt, app_key) = client_certificate(&certs, "orm-ca", "app");
        let (stranger_crt, stranger_key) = client_certificate(&certs, "other-ca", "app");
        let crt = cluster.install("server.crt", &std::fs::read(server_crt).unwrap());
        let key = cluster.install("server.key", &std::fs::read(server_key).unwrap());
        let client_ca = cluster.install("client-ca.crt", &std::fs::read(&ca).unwrap());
        cluster.set("ssl", "on");
        cluster.set("ssl_cert_file", &crt.display().to_string());
        cluster.set("ssl_key_file", &key.display().to_string());
        cluster.set("ssl_ca_file", &client_ca.display().to_string());
        // TLS 1.2: the server refuses a certificate inside the handshake. (Under TLS 1.3 it
        // does so after, and the alert can lose the race with the closed socket: then
        // build() waits out its connect timeout, as for any server that hangs up.)
        cluster.set("ssl_max_protocol_version", "TLSv1.2");
        cluster.write_hba(
            "local all all trust\n\
             hostssl all app 127.0.0.1/32 cert\n\
             hostssl all app ::1/128 cert\n\
             host all postgres 127.0.0.1/32 trust\n\
             host all postgres ::1/128 trust\n",
        );
        cluster.ctl_start();
        Engine::connect(&cluster.url()).unwrap().execute("CREATE ROLE app LOGIN", &[]).unwrap();
        let port = cluster.port;
        let base = format!("postgres://app@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}", ca.display());
        let user = |engine: &Engine| engine.query_raw("SELECT current_user::text", &[], |r| r.get::<String>(0)).unwrap();

        let url = format!("{base}&sslcert={}&sslkey={}", app_crt.display(), app_key.display());
        let engine = Engine::connect(&url).unwrap();
        assert_eq!(user(&engine), ["app"]);
        assert!(encrypted(&engine));
        let built = Engine::builder(&base).ssl_client_cert(&app_crt, &app_key).build().unwrap();
        assert_eq!(user(&built), ["app"]);

        let none = rejected_at_once(Engine::builder(&base));
        assert!(none.contains("client certificate"), "{none}");
        assert!(none.contains("give sslcert and sslkey"), "{none}");

        let stranger = Engine::builder(&base).ssl_client_cert(&stranger_crt, &stranger_key);
        let refused = rejected_at_once(stranger);
        assert!(refused.contains("unknown ca") && refused.contains("ssl_ca_file"), "{refused}");

        // Refused before connecting: a key in the traditional (SEC1) format, a key that is
        // not the certificate's, a certificate without its key.
        let sec1 = certs.join("app-sec1.key");
        run(Command::new("openssl").args(["ec", "-in"]).arg(&app_key).arg("-out").arg(&sec1));
        let err = Engine::builder(&base).ssl_client_cert(&app_crt, &sec1).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadUrl, "{err}");
        assert!(err.to_string().contains("openssl pkcs8 -topk8 -nocrypt"), "{err}");
        let err = Engine::builder(&base).ssl_client_cert(&app_crt, &stranger_key).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadUrl, "{err}");
        assert!(err.to_string().contains("the key is the certificate's"), "{err}");
        let err = Engine::connect(&format!("{base}&sslcert={}", app_crt.display())).unwrap_err();
        assert!(err.to_string().contains("without sslkey"), "{err}");
    }

    /// The connection `build()` opens to check the server is the pool's first: the first
    /// query runs on it, with no second connect (and TLS handshake).
    fn build_keeps_its_first_connection_for_the_pool() needs(postgres) {
        let name = format!("orm-kept-{}", std::process::id());
        let admin = Engine::connect(&database_url()).unwrap();
        let backends = || {
            admin
                .query_raw(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY backend_start",
                    &[orm_core::Value::from(name.as_str())],
                    |r| r.get::<i32>(0),
                )
                .unwrap()
        };
        let engine = Engine::builder(&database_url()).application_name(&name).build().unwrap();
        let after_build = backends();
        assert_eq!(after_build.len(), 1, "build() left {after_build:?} open");
        let pid = engine.query_raw("SELECT pg_backend_pid()", &[], |r| r.get::<i32>(0)).unwrap();
        assert_eq!(pid, after_build, "the first query opened another connection");
        assert_eq!(backends(), after_build);
    }
}

test_case! {
    /// A database name with a typo fails at once with the server's reason, not after the
    /// connect timeout as "db error".
    fn a_typo_in_the_database_name_fails_at_once() needs(postgres) {
        let url = with_database(&database_url(), "no_such_database_here");
        let message = rejected_at_once(Engine::builder(&url));
        assert!(message.contains("database \"no_such_database_here\" does not exist"), "{message}");
        assert!(message.contains("check the database name"), "{message}");
    }

    /// An unreachable server is the one case that waits for the connect timeout (it may
    /// be starting); the error says so.
    fn a_closed_port_waits_for_the_connect_timeout() needs(postgres) {
        let port = orm_tests::cluster::free_port();
        let started = Instant::now();
        let err = Engine::builder(&format!("postgres://postgres@127.0.0.1:{port}/test"))
            .connect_timeout(Duration::from_millis(700))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err}");
        assert!(started.elapsed() >= Duration::from_millis(600), "{:?}", started.elapsed());
        assert!(err.to_string().contains("check that the server is running"), "{err}");
    }

    /// TLS settings on a SQLite URL, or on the builder of a SQLite engine, are errors.
    fn sqlite_refuses_tls_and_statement_cache_settings() needs(sqlite) {
        let err = Engine::connect("sqlite::memory:?sslmode=require").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadUrl, "{err}");
        let err = Engine::builder("sqlite::memory:").ssl_mode(SslMode::Require).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        let err = Engine::builder("sqlite::memory:").statement_cache_size(0).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        let err = Engine::builder("sqlite::memory:").replica("sqlite::memory:").build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
}

// ----- statement cache off, and PgBouncer ----------------------------------------------

test_case! {
    /// With the statement cache off, every type goes out with the type of its Rust value
    /// in unnamed statements: single rows, NULLs, and arrays of a batch insert.
    fn every_type_round_trips_with_the_statement_cache_off() needs(postgres) {
        let scratch = ScratchDatabase::create("nocache_types");
        let engine = Engine::builder(&scratch.url()).statement_cache_size(0).build().unwrap();
        engine.create_all(&[Everything::table()]).unwrap();
        let mut one = full("single");
        let id = one.insert(&engine).unwrap();
        assert_eq!(Everything::get(&engine, id).unwrap(), Some(one));
        let rows = vec![full("first"), nulls(), full("third"), nulls()];
        let mut s = engine.session();
        let objs = s.add_all(rows.clone());
        s.commit().unwrap();
        for (obj, mut row) in objs.iter().zip(rows) {
            row.id = obj.get().id;
            assert_eq!(Everything::get(&engine, row.id).unwrap(), Some(row));
        }
        let prepared: i64 = engine
            .query_raw("SELECT count(*) FROM pg_prepared_statements", &[], |row| row.get(0))
            .unwrap()[0];
        assert_eq!(prepared, 0, "nothing was prepared on the connection");
    }

    /// Behind a transaction pooler, nothing may rely on the server connection's settings:
    /// `statement_timeout` with the cache off is refused at `build()`, before connecting;
    /// and with the cache on, PgBouncer's refusal of the `options` startup parameter comes
    /// back at once with its reason and what to do.
    fn transaction_pooler_settings_fail_clearly() needs(postgres, pgbouncer) {
        let scratch = ScratchDatabase::create("pgb_refusals");
        let bouncer = PgBouncer::start(database_port(), 2);
        let err = Engine::builder(&bouncer.url(&scratch.name))
            .statement_timeout(Duration::from_secs(5))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("ALTER ROLE"), "{err}");

        let cached = bouncer.url(&scratch.name).replace("?statement_cache_size=0", "");
        let message = rejected_at_once(Engine::builder(&cached).statement_timeout(Duration::from_secs(5)));
        assert!(message.contains("unsupported startup parameter: options"), "{message}");
        assert!(message.contains("statement_cache_size=0"), "{message}");

        // PgBouncer offers no TLS here: `require` is refused at once, `prefer` goes plain.
        let message = rejected_at_once(Engine::builder(&with_option(&bouncer.url(&scratch.name), "sslmode=require")));
        assert!(message.contains("does not support TLS"), "{message}");
        Engine::connect(&with_option(&bouncer.url(&scratch.name), "sslmode=prefer")).unwrap();
    }

    /// The program: 8 threads x 200 sessions (add, commit, query by name, get,
    /// update, commit) on one engine through PgBouncer in transaction mode with 2 server
    /// connections: no errors, every row there with its update.
    fn eight_threads_through_pgbouncer_in_transaction_mode() needs(postgres, pgbouncer) {
        let scratch = ScratchDatabase::create("pgb_threads");
        let bouncer = PgBouncer::start(database_port(), 2);
        let engine = Engine::builder(&bouncer.url(&scratch.name)).max_size(8).build().unwrap();
        engine.create_all(&[Program::table(), crate::models::Course::table()]).unwrap();
        let started = Instant::now();
        let failures = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let (engine, failures) = (&engine, &failures);
                scope.spawn(move || {
                    for i in 0..200 {
                        if let Err(e) = one_session(engine, thread, i) {
                            failures.fetch_add(1, Ordering::Relaxed);
                            eprintln!("thread {thread} session {i}: {e}");
                        }
                    }
                });
            }
        });
        let took = started.elapsed();
        assert_eq!(failures.load(Ordering::Relaxed), 0, "{}", bouncer.log());
        let rows = Program::query().count(&engine).unwrap();
        let updated = Program::query().filter(Program::YEARS_OF_STUDY.eq(4)).count(&engine).unwrap();
        assert_eq!((rows, updated), (1600, 1600));
        eprintln!("measured: 1,600 sessions through PgBouncer (pool of 2) in {took:?}");
    }

    /// PgBouncer killed mid-run: the session in flight gets `ConnectionLost`, a checkout
    /// while it is down `PoolTimeout`; once it is back the same engine works again.
    fn pgbouncer_restarted_mid_run() needs(postgres, pgbouncer) {
        let scratch = ScratchDatabase::create("pgb_restart");
        let mut bouncer = PgBouncer::start(database_port(), 2);
        let engine = Engine::builder(&bouncer.url(&scratch.name))
            .max_size(2)
            .checkout_timeout(Duration::from_millis(800))
            .health_check_after_idle(Duration::ZERO)
            .build()
            .unwrap();
        engine.create_all(&[Program::table(), crate::models::Course::table()]).unwrap();
        one_session(&engine, 0, 0).unwrap();
        let mut in_flight = engine.session();
        in_flight.add(Program::new("in flight", 1));
        in_flight.flush().unwrap();

        bouncer.kill();
        let err = in_flight.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionLost, "{err}");
        drop(in_flight);
        let err = one_session(&engine, 0, 1).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::PoolTimeout | ErrorKind::ConnectionLost), "{err}");

        bouncer.restart();
        let started = Instant::now();
        one_session(&engine, 0, 2).unwrap();
        eprintln!("measured: working again {:?} after PgBouncer's restart", started.elapsed());
        let names = Program::query().count(&engine).unwrap();
        assert_eq!(names, 2, "sessions 0 and 2; the in-flight row was never committed");
    }
}

/// One session of the PgBouncer program: add, commit, query by name, get, update, commit.
fn one_session(engine: &Engine, thread: usize, i: usize) -> orm_core::Result<()> {
    let name = format!("program {thread}-{i}");
    let mut db = engine.session();
    let added = db.add(Program::new(&name, 3));
    db.commit()?;
    let id = added.get().id;
    let mut db = engine.session();
    let found = db.query::<Program>().filter(Program::NAME.eq(name.as_str())).one()?;
    let got = db.get::<Program>(id)?.expect("the program just added");
    assert!(found == got, "the identity map gives the same object");
    got.get_mut().years_of_study = 4;
    db.commit()
}

// ----- retried transactions ------------------------------------------------------------

test_case! {
    /// Two SERIALIZABLE transactions read the same row, then both write it: the second to
    /// commit fails with a serialization failure, and `engine.transaction` runs it again,
    /// on fresh data. Both increments land; the closure ran three times.
    fn transaction_retries_serialization_failures() needs(postgres) {
        let db = pg!("retry_serial", |b| b.isolation_level(IsolationLevel::Serializable));
        db.engine.create_all(&[Program::table()]).unwrap();
        let id = Program::new("counter", 0).insert(&db.engine).unwrap();
        let both_read = Barrier::new(2);
        let calls = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    let mut first = true;
                    db.engine
                        .transaction(|s| {
                            calls.fetch_add(1, Ordering::Relaxed);
                            let p = s.get::<Program>(id)?.expect("the counter");
                            if std::mem::take(&mut first) {
                                both_read.wait();
                            }
                            p.get_mut().years_of_study += 1;
                            Ok(())
                        })
                        .unwrap();
                });
            }
        });
        assert_eq!(calls.load(Ordering::Relaxed), 3, "one of the two ran again");
        assert_eq!(Program::get(&db.engine, id).unwrap().unwrap().years_of_study, 2);
    }

    /// Two transactions lock two rows in opposite orders: PostgreSQL picks one as the
    /// deadlock victim (after `deadlock_timeout`, 1 s), and it is retried.
    fn transaction_retries_deadlocks() needs(postgres) {
        let db = pg!("retry_deadlock");
        deadlock_victim_is_retried(&db);
    }
}

/// Two transactions over `db` lock two rows in opposite orders: the server rolls one
/// back as the deadlock victim, `engine.transaction` runs it again, and both updates
/// land (PostgreSQL here, InnoDB in `mariadb.rs`).
pub(crate) fn deadlock_victim_is_retried(db: &orm_tests::TestDb) {
    db.engine.create_all(&[Program::table()]).unwrap();
    let a = Program::new("a", 0).insert(&db.engine).unwrap();
    let b = Program::new("b", 0).insert(&db.engine).unwrap();
    let both_locked = Arc::new(Barrier::new(2));
    let calls = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for (first, second) in [(a, b), (b, a)] {
            let (both_locked, calls, engine) = (both_locked.clone(), &calls, &db.engine);
            scope.spawn(move || {
                let mut wait = true;
                // Each row is read locked (FOR UPDATE): a retry that read it before the
                // other transaction committed would write back a stale count (a lost
                // update, under READ COMMITTED), which a busy machine makes likely.
                let locked = |s: &mut orm_core::Session, id: i32| {
                    s.select(Program::query().filter(Program::ID.eq(id)).for_update()).one()
                };
                engine
                    .transaction_with(Retry { attempts: 3, ..Retry::default() }, |s| {
                        calls.fetch_add(1, Ordering::Relaxed);
                        locked(s, first)?.get_mut().years_of_study += 1;
                        s.flush()?; // holds the first row's lock
                        if std::mem::take(&mut wait) {
                            both_locked.wait();
                        }
                        locked(s, second)?.get_mut().years_of_study += 1;
                        s.flush()
                    })
                    .unwrap();
            });
        }
    });
    assert_eq!(calls.load(Ordering::Relaxed), 3, "the deadlock victim ran again");
    for id in [a, b] {
        assert_eq!(Program::get(&db.engine, id).unwrap().unwrap().years_of_study, 2);
    }
}

on_all! {
    /// Any other error is returned at once, after a rollback: the closure runs once and
    /// nothing it did is left.
    fn transaction_does_not_retry_other_errors(db) {
        db.engine.create_all(&[crate::models::Setting::table()]).unwrap();
        crate::models::Setting::new("theme", "dark").insert(&db.engine).unwrap();
        let calls = AtomicUsize::new(0);
        let err = db
            .engine
            .transaction(|s| {
                calls.fetch_add(1, Ordering::Relaxed);
                s.add(crate::models::Setting::new("lang", "en"));
                s.add(crate::models::Setting::new("theme", "light"));
                Ok(())
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation, "{err}");
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert_eq!(db.count("settings"), 1, "the transaction's other row is not there");
        let value = db.engine.transaction(|s| Ok(s.get::<crate::models::Setting>("theme".to_owned())?.map(|o| o.get().value.clone())));
        assert_eq!(value.unwrap().as_deref(), Some("dark"));
    }
}

// ----- read replicas -------------------------------------------------------------------

/// Whether the session's next read runs on a standby.
fn reads_from_standby(db: &mut Session) -> bool {
    db.query_raw("SELECT pg_is_in_recovery()", &[], |row| row.get::<bool>(0)).unwrap()[0]
}

/// A primary with the seed's tables and a streaming standby that has replayed them.
fn primary_and_standby(tag: &str) -> Option<(Cluster, Cluster)> {
    let primary = Cluster::start(&format!("{tag}_primary"))?;
    Engine::connect(&primary.url()).unwrap().create_all(&[Program::table(), crate::models::Course::table()]).unwrap();
    let standby = Cluster::standby_of(&primary, &format!("{tag}_standby"))?;
    let direct = Engine::connect(&standby.url()).unwrap();
    let replayed =
        || direct.query_raw("SELECT to_regclass('courses') IS NOT NULL", &[], |row| row.get::<bool>(0)).unwrap()[0];
    let started = Instant::now();
    while !replayed() {
        assert!(started.elapsed() < Duration::from_secs(20), "the standby never replayed the tables");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((primary, standby))
}

test_case! {
    /// A primary and a streaming standby made by `pg_basebackup -R`: a session that has
    /// not written reads from the standby (`pg_is_in_recovery()`), `on_primary()` and a
    /// first write move it to the primary. With the standby's replay paused, a session
    /// after a commit reads from the primary (the standby has not replayed it) and sees
    /// the row; once replay resumes, sessions read from the standby again, and see it.
    fn replicas_serve_reads_and_read_your_writes() needs(pg_ctl) {
        let Some((primary, standby)) = primary_and_standby("ryw") else { return };
        let engine = Engine::builder(&primary.url()).replica(&standby.url()).build().unwrap();
        let mut reads = engine.session();
        assert!(reads_from_standby(&mut reads), "a reading session reads from the replica");
        assert_eq!(reads.query::<Program>().count().unwrap(), 0);
        assert!(!reads_from_standby(&mut engine.session().on_primary()));

        let mut writes = engine.session();
        assert!(reads_from_standby(&mut writes));
        writes.add(Program::new("first", 3));
        writes.flush().unwrap();
        assert!(!reads_from_standby(&mut writes), "from its first write on, the primary");
        writes.commit().unwrap();
        assert!(!reads_from_standby(&mut writes), "and it stays there");

        let on_standby = Engine::connect(&standby.url()).unwrap();
        on_standby.execute("SELECT pg_wal_replay_pause()", &[]).unwrap();
        let mut during = engine.session();
        during.add(Program::new("during the pause", 3));
        during.commit().unwrap();
        let mut after = engine.session();
        assert!(!reads_from_standby(&mut after), "the standby has not replayed the commit");
        let found = after.query::<Program>().filter(Program::NAME.eq("during the pause")).count().unwrap();
        assert_eq!(found, 1, "read your writes");
        let on_replica = Program::query().filter(Program::NAME.eq("during the pause")).count(&on_standby).unwrap();
        assert_eq!(on_replica, 0, "the standby really is behind");

        on_standby.execute("SELECT pg_wal_replay_resume()", &[]).unwrap();
        let started = Instant::now();
        loop {
            let mut s = engine.session();
            if reads_from_standby(&mut s) {
                let found = s.query::<Program>().filter(Program::NAME.eq("during the pause")).count().unwrap();
                assert_eq!(found, 1);
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "reads never came back to the standby");
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("measured: reads back on the standby {:?} after replay resumed", started.elapsed());
    }

    /// The standby stopped: reads go to the primary (the first after a checkout attempt of
    /// at most 1 s, the next at once while the replica is left alone), and return to the
    /// standby once it is back.
    fn a_replica_down_is_skipped_and_comes_back() needs(pg_ctl) {
        let Some((primary, standby)) = primary_and_standby("down") else { return };
        let engine = Engine::builder(&primary.url())
            .replica(&standby.url())
            .replica_retry_after(Duration::from_millis(300))
            .replica_max_lag(Duration::from_millis(500))
            .health_check_after_idle(Duration::ZERO)
            .build()
            .unwrap();
        assert!(reads_from_standby(&mut engine.session()));
        let capture = crate::engine::capture();
        let mark = capture.mark();
        standby.ctl_stop();
        let started = Instant::now();
        assert!(!reads_from_standby(&mut engine.session()), "the primary serves");
        let first = started.elapsed();
        assert!(first < Duration::from_millis(1500), "{first:?}");
        let started = Instant::now();
        assert!(!reads_from_standby(&mut engine.session()));
        let next = started.elapsed();
        assert!(next < Duration::from_millis(200), "a replica found down is left alone: {next:?}");

        let replica_records = |mark| -> Vec<String> {
            let port = standby.port.to_string();
            let records = capture.since(mark);
            records.into_iter().filter(|(t, m)| t == "orm::replica" && m.contains(&port)).map(|(_, m)| m).collect()
        };
        let down = replica_records(mark);
        assert_eq!(down.len(), 1, "one log record while it is down: {down:?}");
        assert!(down[0].contains("unreachable") && down[0].contains("reading from the primary"), "{down:?}");

        standby.ctl_start();
        let mark = capture.mark();
        let started = Instant::now();
        while !reads_from_standby(&mut engine.session()) {
            assert!(started.elapsed() < Duration::from_secs(20), "reads never came back to the standby");
            std::thread::sleep(Duration::from_millis(50));
        }
        let back = replica_records(mark);
        assert!(back.last().is_some_and(|m| m.contains("is back")), "{back:?}");
        let back_after = started.elapsed();

        // Lagging: replay paused while the primary takes writes this engine did not make
        // (so read-your-writes does not decide), past the 500 ms bound. The lag is the age
        // of the last transaction the standby replayed: one first, replayed.
        let (on_primary, on_standby) = (Engine::connect(&primary.url()).unwrap(), Engine::connect(&standby.url()).unwrap());
        Program::new("replayed", 1).insert(&on_primary).unwrap();
        while Program::query().count(&on_standby).unwrap() == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        on_standby.execute("SELECT pg_wal_replay_pause()", &[]).unwrap();
        Program::new("not replayed", 1).insert(&on_primary).unwrap();
        std::thread::sleep(Duration::from_millis(1100)); // past the bound and the 1 s between lag checks
        let mark = capture.mark();
        assert!(!reads_from_standby(&mut engine.session()), "a lagging replica is skipped");
        let lagging = replica_records(mark);
        assert!(lagging.len() == 1 && lagging[0].contains("behind its primary"), "{lagging:?}");
        eprintln!(
            "measured: replica down: first read on the primary after {first:?}, the next after {next:?}; \
             back on the standby {back_after:?} after its restart"
        );
    }
}
