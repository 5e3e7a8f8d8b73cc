//! The example programs, run as a user runs them: on SQLite in memory with no
//! `DATABASE_URL`, and on a database of their own on each backend.

use std::process::Command;

use orm_tests::pgbouncer::PgBouncer;
use orm_tests::{ScratchDatabase, TestDb, database_port, on_all, on_both, rows, test_case};

fn main() {
    orm_tests::harness::run()
}

fn run(bin: &str, url: Option<&str>) -> String {
    let mut command = Command::new(bin);
    match url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let out = command.output().expect("run the example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{bin} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// The lines the program printed itself (not the echoed SQL).
fn printed(out: &str) -> Vec<&str> {
    out.lines().filter(|l| !l.contains(" INFO orm.engine ") && !l.starts_with('\t') && !l.starts_with(')')).collect()
}

fn check_seed_output(out: &str) {
    assert_eq!(printed(out), ["Bachelors in CS", "Data STRUCTURES AND ALGRITHMS in Bachelors in CS"]);
    // The second commit sends the four courses in one INSERT (MySQL's names in backticks).
    let out = &out.replace('`', "");
    let inserts: Vec<&str> = out.lines().filter(|l| l.contains("INSERT INTO courses")).collect();
    assert_eq!(inserts.len(), 1, "{out}");
    let params = out.lines().skip_while(|l| !l.contains("INSERT INTO courses")).nth(1).unwrap();
    for title in
        ["Database Management Systems", "Data SCIENCE", "Data STRUCTURES AND ALGRITHMS", "Businnes communication"]
    {
        assert!(params.contains(title), "{params}");
    }
}

test_case! {
    fn seed_runs_on_sqlite_in_memory_without_a_database_url() needs(sqlite) {
        let out = run(env!("CARGO_BIN_EXE_seed"), None);
        check_seed_output(&out);
        assert!(out.contains("VALUES (?1, ?2), (?3, ?4) RETURNING programs.id"), "SQLite's SQL is echoed:\n{out}");
    }
}

test_case! {
    /// The seed walkthrough, unchanged, through PgBouncer in transaction pooling mode
    /// (2 server connections) with `?statement_cache_size=0`: the same output, the same rows.
    fn seed_runs_through_pgbouncer() needs(postgres, pgbouncer) {
        let scratch = ScratchDatabase::create("seed_pgbouncer");
        let bouncer = PgBouncer::start(database_port(), 2);
        let out = run(env!("CARGO_BIN_EXE_seed"), Some(&bouncer.url(&scratch.name)));
        check_seed_output(&out);
        let engine = orm_core::Engine::connect(&scratch.url()).unwrap();
        let mut all = rows(&engine, "programs");
        all.extend(rows(&engine, "courses"));
        assert_eq!(all.join("\n") + "\n", include_str!("../../tests/fixtures/reference-rows.txt"));
    }
}

on_all! {
    fn seed_leaves_the_reference_rows(db) needs(pg_dump) {
        let out = run(env!("CARGO_BIN_EXE_seed"), Some(&db.url()));
        check_seed_output(&out);
        let mut rows = db.rows("programs");
        rows.extend(db.rows("courses"));
        assert_eq!(rows.join("\n") + "\n", include_str!("../../tests/fixtures/reference-rows.txt"));
        if db.is_postgres()
            && let Some(schema) = db.dump_schema()
        {
            assert_eq!(schema, include_str!("../../tests/fixtures/reference-schema.sql"));
        }
    }

    fn shop_runs_and_reports(db) {
        let out = run(env!("CARGO_BIN_EXE_shop"), Some(&db.url()));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "Bob's order: only 1 of Lemon cake left",
                "after rollback, cake costs 1200 cents",
                "tea is at version 3",
                "selling the cake twice: StaleData",
                "refused: Validation",
                "Ann: 1 order(s)",
                "  3 x Green tea at 500 cents",
                "  1 x Lemon cake at 1200 cents",
                "Bob: 0 order(s)",
                "stock: [(\"CAKE-2\", 0), (\"TEA-1\", 7)]",
                "orders of customers named Ann: 1",
                "bought tea: [\"Ann\"]",
                "drinks on sale: 1",
                "Ann has 1 order(s)",
                "Bob has 0 order(s)",
                "Lemon cake is in Food > Sweets",
                "Ann's card: 10 points",
                "paid orders: 1",
                "customers left: 1",
            ]
        );
        assert_eq!(db.rows("order_lines").len(), 2);
    }
}

// Not on MySQL: the library's books carry an array column (tags), which MySQL has no
// type for (create_all refuses it with a message, tested in tests/it/arrays.rs).
on_both! {
    fn library_runs_and_reports(db) {
        let out = run(env!("CARGO_BIN_EXE_library"), Some(&db.url()));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "Le Guin is stored as \"Ursula K. Le Guin\"",
                "e-books: [\"The Left Hand of Darkness\"]",
                "classics: [\"Dune\", \"The Dispossessed\", \"The Left Hand of Darkness\"]",
                "published by Ace: [\"Dune\", \"The Left Hand of Darkness\"]",
                "before 1970: [\"Dune\", \"The Left Hand of Darkness\"]",
                "Dune by Frank Herbert in Fiction > Science fiction",
                "Dune is at version 2 with tags [\"classic\", \"desert\", \"ecology\"]",
                "a nameless author: Validation",
                "nine stars: CheckViolation",
                "reviews: 2",
            ]
        );
        assert_eq!(db.count("books"), 3);
    }
}

on_all! {
    /// The query language on the shop's data: the same answers on both backends.
    fn reports_answer_the_business_questions(db) {
        let out = run(env!("CARGO_BIN_EXE_reports"), Some(&db.url()));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "1. spend: [(\"Ann\", Some(4350)), (\"Bob\", Some(2000))]",
                "2. Food (4 categories): 4550",
                "2. Kitchen (1 categories): 1800",
                "3. never ordered: [\"JUICE-1\"]",
                "4. no orders yet: [\"Cyd\"]",
                "5. lines and products: [(\"Ann\", 3, 3), (\"Bob\", 1, 1)]",
                "6. units sold: [\"TEA-2x5\", \"TEA-1x3\", \"MUG-1x2\", \"CAKE-2x1\"]",
                "7. price bands: [(\"budget\", 3), (\"premium\", 2)]",
                "8. average line 1588, average price 650",
                "9. jobs claimed: 10 by two workers, 0 twice",
                "10. delivery wrote 2 rows: [(\"TEA-1\", 80), (\"TEA-2\", 30), (\"TEA-3\", 12)]",
                "11. raised 3 prices; black tea now 440 cents",
                "12. parents: [(\"Drinks\", \"Food\"), (\"Sweets\", \"Food\"), (\"Tea\", \"Drinks\")]",
                "13. every customer: [(\"Ann\", 2, 4485), (\"Bob\", 1, 2200), (\"Cyd\", 0, 0)]",
                "14. lines per order Some(1.33) on average, at most Some(5) units",
                "15. categories and parents: [(\"Drinks\", Some(\"Food\")), (\"Food\", None), (\"Kitchen\", None), \
                 (\"Sweets\", Some(\"Food\")), (\"Tea\", Some(\"Drinks\"))]",
            ]
        );
    }
}

test_case! {
    /// The benchmark at a tiny scale: it compiles, runs every workload on both sides, and
    /// prints its report (its timings are not checked: performance is measured with
    /// `--release` at full scale, never in a test).
    fn bench_smoke_run() needs(postgres) {
        let Some(db) = TestDb::postgres("example_bench") else { return };
        let out = Command::new(env!("CARGO_BIN_EXE_bench"))
            // Not pinned to CPUs: the other tests share the machine.
            .args(["--scale", "0.01", "--rounds", "1", "--no-pin"])
            .env("DATABASE_URL", orm_tests::database_url())
            .output()
            .expect("run the benchmark");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        for w in ["W1", "W2", "W3", "W4", "W5", "W6"] {
            assert!(stdout.lines().any(|l| l.starts_with(&format!("workload={w} ")) && l.contains(" ratio=")), "{stdout}");
        }
        assert!(stdout.contains("peak_rss_mb="), "{stdout}");
        for s in ["S1", "S2", "S3", "S4", "S6", "S7", "S8"] {
            assert!(stdout.lines().any(|l| l.starts_with(&format!("scaling={s} ")) && l.contains(" growth_ratio=")), "{stdout}");
        }
        assert!(stdout.lines().any(|l| l.starts_with("memory rows=") && l.contains(" ratio=")), "{stdout}");
        for c in 1..=12 {
            let line = format!("concurrency=C{c} ");
            assert!(stdout.lines().any(|l| l.starts_with(&line) && l.contains(" ratio=")), "{stdout}");
        }
        assert!(stdout.contains("# not pinned"), "{stdout}");
        drop(db);
    }
}

test_case! {
    /// The benchmark's MariaDB section at a tiny scale: W1-W8 and the growth pairs run on
    /// both sides, in a database of the benchmark's own, dropped after.
    fn bench_smoke_run_on_mariadb() needs(mysql) {
        let Some(db) = TestDb::mysql("example_bench") else { return };
        let out = Command::new(env!("CARGO_BIN_EXE_bench"))
            .args(["--scale", "0.01", "--rounds", "1", "--scaling-rounds", "1"])
            .env("DATABASE_URL", orm_tests::mysql_url())
            .output()
            .expect("run the benchmark");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        for w in 1..=8 {
            let line = format!("workload=W{w} ");
            assert!(stdout.lines().any(|l| l.starts_with(&line) && l.contains(" ratio=")), "{stdout}");
        }
        for s in ["S1", "S2", "S4", "S6", "S9"] {
            let line = format!("scaling={s} ");
            assert!(stdout.lines().any(|l| l.starts_with(&line) && l.contains(" growth_ratio=")), "{stdout}");
        }
        drop(db);
    }
}

/// Runs a binary with arguments and `DATABASE_URL`; its exit code and output.
fn run_with(bin: &str, args: &[&str], url: &str) -> (i32, String) {
    let out = Command::new(bin).args(args).env("DATABASE_URL", url).output().expect("run the binary");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

on_all! {
    /// The migrations walkthrough: the seed's schema, a release that adds a column, its
    /// rollback; the same output on both backends.
    fn migrations_walkthrough_upgrades_and_rolls_back(db) {
        let out = run(env!("CARGO_BIN_EXE_migrations"), Some(&db.url()));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "applied 0001_programs_and_courses",
                "models differ from the database: 1",
                "applied 0002_course_description",
                "models differ from the database: 0",
                "Bachelors in CS: Data SCIENCE (Statistics and machine learning)",
                "0001_programs_and_courses Applied",
                "0002_course_description Applied",
                "migration 0002_course_description (down) is destructive (drop column courses.description); \
                 nothing was run: review it, then confirm with Migrator::allow_destructive(true)",
                "reverted 0002_course_description",
                "course titles kept: [\"Data SCIENCE\"]; programs: 1",
            ]
        );
    }

    /// The command line as README shows it: upgrade to the seed's schema (the reference
    /// pg_dump), status, check with its exit code, upgrade, downgrade -1.
    fn migrate_command_line_works_as_readme_shows(db) needs(pg_dump) {
        let bin = env!("CARGO_BIN_EXE_migrate");
        let url = db.url();
        let (code, out) = run_with(bin, &["upgrade", "1"], &url);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("applied 0001_programs_and_courses in "), "{out}");
        let (code, out) = run_with(bin, &["status"], &url);
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>(),
            ["0001_programs_and_courses applied", "0002_course_description pending", "database at 0001, 1 pending"]
        );
        let (code, out) = run_with(bin, &["check"], &url);
        assert_eq!(code, 1, "check fails while the database lags the models: {out}");
        assert!(out.contains("add column courses.description"), "{out}");
        let (code, out) = run_with(bin, &["upgrade"], &url);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("applied 0002_course_description in "), "{out}");
        let (code, out) = run_with(bin, &["check"], &url);
        assert_eq!((code, out.trim()), (0, "the database matches the models"));
        let (code, out) = run_with(bin, &["upgrade"], &url);
        assert_eq!((code, out.trim()), (0, "up to date"));
        // Reverting 0002 drops a column: refused, saying how to confirm; then confirmed.
        let (code, out) = run_with(bin, &["downgrade", "-1"], &url);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("is destructive (drop column courses.description)"), "{out}");
        assert!(out.contains("confirm with --allow-destructive"), "{out}");
        let (code, out) = run_with(bin, &["downgrade", "-1", "--allow-destructive"], &url);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("reverted 0002_course_description in "), "{out}");
        let (code, out) = run_with(bin, &["downgrade"], &url);
        assert_eq!(code, 2, "a usage error: {out}");
        assert!(out.contains("usage: migrate"), "{out}");
        // Version 1 is the seed's schema, exactly.
        if db.is_postgres() {
            db.engine.execute("DROP TABLE orm_migrations", &[]).unwrap();
            if let Some(schema) = db.dump_schema() {
                assert_eq!(schema, include_str!("../../tests/fixtures/reference-schema.sql"));
            }
        }
    }
}

/// The web service example, started on a free loopback port; stopped when dropped.
struct WebServer {
    child: std::process::Child,
    base: String,
}

impl WebServer {
    fn start(url: &str, env: &[(&str, &str)]) -> WebServer {
        use std::io::BufRead;
        let mut command = Command::new(env!("CARGO_BIN_EXE_web"));
        command.args(["--bind", "127.0.0.1:0"]).env("DATABASE_URL", url).stdout(std::process::Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start the web service");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line}")).to_owned();
        WebServer { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that reads error statuses as responses, with a bound on every request.
fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(20)))
        .build()
        .into()
}

/// Status and JSON body of a response.
fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, serde_json::Value) {
    let mut response = response.expect("an HTTP response");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).unwrap() })
}

on_all! {
    /// Every endpoint over real HTTP, with bad input: malformed JSON (400), a violated
    /// unique constraint (409), a value the model refuses (422), a missing row (404).
    fn web_service_answers_every_endpoint(db) {
        use serde_json::json;
        let web = WebServer::start(&db.url(), &[]);
        let client = http();
        let cs = json!({"name": "Bachelors in CS", "years_of_study": 3,
                        "courses": [{"title": "Data SCIENCE", "code": "CS 103"}, {"title": "Databases", "code": "CS 102"}]});
        let (status, created) = answer(client.post(web.url("/programs")).send_json(&cs));
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["courses"].as_array().unwrap().len(), 2);
        let (status, shown) = answer(client.get(web.url(&format!("/programs/{id}"))).call());
        assert_eq!((status, &shown), (200, &created));
        let (status, list) = answer(client.get(web.url("/programs")).call());
        assert_eq!((status, list.as_array().unwrap().len()), (200, 1));
        let (status, changed) =
            answer(client.patch(web.url(&format!("/programs/{id}"))).send_json(json!({"years_of_study": 4})));
        assert_eq!((status, changed["years_of_study"].as_i64()), (200, Some(4)));

        let (status, body) = answer(client.post(web.url("/programs")).send_json(&cs));
        assert_eq!(status, 409, "a second program of the same name: {body}");
        assert!(body["error"].as_str().unwrap().contains("unique constraint"), "{body}");
        let (status, body) = answer(client.post(web.url("/programs")).send_json(json!({"name": " ", "years_of_study": 3})));
        assert_eq!(status, 422, "{body}");
        assert!(body["error"].as_str().unwrap().contains("needs a name"), "{body}");
        let (status, body) = answer(
            client.post(web.url("/programs")).header("content-type", "application/json").send("{\"name\": "),
        );
        assert_eq!(status, 400, "{body}");
        let (status, body) =
            answer(client.patch(web.url(&format!("/programs/{id}"))).send_json(json!({"years_of_study": 40})));
        assert_eq!(status, 422, "{body}");
        assert_eq!(answer(client.get(web.url("/programs/999")).call()).0, 404);
        assert_eq!(answer(client.delete(web.url(&format!("/programs/{id}"))).call()).0, 204);
        assert_eq!(answer(client.delete(web.url(&format!("/programs/{id}"))).call()).0, 404);
        assert_eq!(db.count("courses"), 0, "the courses went with their program");
        let (status, health) = answer(client.get(web.url("/health")).call());
        assert_eq!((status, health["pool"]["timeouts"].as_i64()), (200, Some(0)));
    }
}

/// Latencies' median and 99th percentile, in milliseconds.
fn percentiles(mut times: Vec<std::time::Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}

test_case! {
    /// 64 clients x 200 requests at once (a program each, then reads and updates of it):
    /// no error, every write there afterwards; the rate and latencies are printed.
    fn web_service_under_load() needs(postgres) {
        use serde_json::json;
        let db = TestDb::postgres("web_load").expect("PostgreSQL");
        let web = WebServer::start(&db.url(), &[("POOL_SIZE", "8")]);
        let (clients, per_client) = (64, 200);
        let started = std::time::Instant::now();
        let results: Vec<(usize, Vec<std::time::Duration>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients)
                .map(|c| {
                    let web = &web;
                    s.spawn(move || {
                        let client = http();
                        let mut times = Vec::with_capacity(per_client);
                        let mut errors = 0;
                        let mut timed = |f: &mut dyn FnMut() -> u16, expected: u16| {
                            let t = std::time::Instant::now();
                            if f() != expected {
                                errors += 1;
                            }
                            times.push(t.elapsed());
                        };
                        let mut id = 0;
                        timed(&mut || {
                            let body = json!({"name": format!("program {c}"), "years_of_study": 1,
                                              "courses": [{"title": "t", "code": format!("C {c}")}]});
                            let (status, created) = answer(client.post(web.url("/programs")).send_json(body));
                            id = created["id"].as_i64().unwrap_or(0);
                            status
                        }, 201);
                        for i in 1..per_client {
                            if i % 4 == 0 {
                                let years = 1 + (i / 4) % 8;
                                timed(&mut || answer(client.patch(web.url(&format!("/programs/{id}"))).send_json(json!({"years_of_study": years}))).0, 200);
                            } else {
                                timed(&mut || answer(client.get(web.url(&format!("/programs/{id}"))).call()).0, 200);
                            }
                        }
                        (errors, times)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let elapsed = started.elapsed();
        let errors: usize = results.iter().map(|(e, _)| e).sum();
        let times: Vec<std::time::Duration> = results.into_iter().flat_map(|(_, t)| t).collect();
        assert_eq!(errors, 0);
        assert_eq!(times.len(), clients * per_client);
        // Every write is there: each program, with the last update it got.
        let years = db.column("SELECT CAST(years_of_study AS VARCHAR) FROM programs ORDER BY id", &[]);
        assert_eq!(years.len(), clients);
        let last = 1 + ((per_client - 1) / 4) % 8;
        assert!(years.iter().all(|y| *y == last.to_string()), "{years:?}");
        assert_eq!(db.count("courses"), clients as i64);
        let (p50, p99) = percentiles(times);
        println!(
            "measured: web service, {clients} clients x {per_client} requests (1 POST, 49 PATCH, 150 GET each), pool 8: \
             {:.0} requests/s, p50 {p50:.2} ms, p99 {p99:.2} ms, 0 errors",
            (clients * per_client) as f64 / elapsed.as_secs_f64()
        );
    }
}

test_case! {
    /// The pool exhausted (the table locked, so the requests holding connections wait on
    /// it): the others wait the checkout timeout and fail with 503, none hangs; once the
    /// lock goes, the held requests finish and the service answers at once.
    fn web_service_saturated_answers_503_and_recovers() needs(postgres) {
        let db = TestDb::postgres("web_saturated").expect("PostgreSQL");
        let web = WebServer::start(&db.url(), &[("POOL_SIZE", "2"), ("CHECKOUT_TIMEOUT_MS", "300")]);
        let client = http();
        let created = answer(client.post(web.url("/programs")).send_json(serde_json::json!({"name": "p", "years_of_study": 1})));
        assert_eq!(created.0, 201);
        let mut lock = db.engine.connection().unwrap();
        lock.begin().unwrap();
        lock.execute("LOCK TABLE programs IN ACCESS EXCLUSIVE MODE", &[]).unwrap();
        let outcomes: Vec<(u16, std::time::Duration)> = std::thread::scope(|s| {
            let requests: Vec<_> = (0..8)
                .map(|_| {
                    let (web, client) = (&web, &client);
                    s.spawn(move || {
                        let t = std::time::Instant::now();
                        (answer(client.get(web.url("/programs/1")).call()).0, t.elapsed())
                    })
                })
                .collect();
            // The two that hold the pool's connections wait on the lock; release it after
            // the others have given up.
            std::thread::sleep(std::time::Duration::from_millis(1500));
            lock.rollback().unwrap();
            requests.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let unavailable = outcomes.iter().filter(|(status, _)| *status == 503).count();
        let served = outcomes.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!((unavailable, served), (6, 2), "{outcomes:?}");
        for (status, took) in &outcomes {
            if *status == 503 {
                assert!(*took < std::time::Duration::from_millis(1400), "a 503 after {took:?}: it waited past the timeout");
            }
        }
        // Recovered at once.
        let t = std::time::Instant::now();
        assert_eq!(answer(client.get(web.url("/programs/1")).call()).0, 200);
        assert!(t.elapsed() < std::time::Duration::from_millis(300), "{:?}", t.elapsed());
        let (_, health) = answer(client.get(web.url("/health")).call());
        assert_eq!(health["pool"]["timeouts"].as_i64(), Some(6), "{health}");
    }
}

test_case! {
    /// The database restarted under load (a server of the test's own): requests fail
    /// while it is down, quickly and with 503, and every request after it is back succeeds.
    fn web_service_survives_a_database_restart() needs(pg_ctl) {
        let Some(cluster) = orm_tests::cluster::Cluster::start("web_restart") else { return };
        let web = WebServer::start(&cluster.url(), &[("POOL_SIZE", "4"), ("CHECKOUT_TIMEOUT_MS", "1000")]);
        let client = http();
        let (status, _) = answer(client.post(web.url("/programs")).send_json(serde_json::json!({"name": "p", "years_of_study": 1})));
        assert_eq!(status, 201);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (down, up) = (std::sync::Mutex::new(None), std::sync::Mutex::new(None));
        let outcomes: Vec<(std::time::Instant, std::time::Instant, u16)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    let (web, stop) = (&web, &stop);
                    s.spawn(move || {
                        let client = http();
                        let mut seen = Vec::new();
                        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                            let t = std::time::Instant::now();
                            let status = answer(client.get(web.url("/programs/1")).call()).0;
                            seen.push((t, std::time::Instant::now(), status));
                        }
                        seen
                    })
                })
                .collect();
            std::thread::sleep(std::time::Duration::from_millis(500));
            *down.lock().unwrap() = Some(std::time::Instant::now());
            cluster.ctl_stop();
            std::thread::sleep(std::time::Duration::from_millis(500));
            cluster.ctl_start();
            *up.lock().unwrap() = Some(std::time::Instant::now());
            std::thread::sleep(std::time::Duration::from_millis(1500));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        let (down, up) = (down.into_inner().unwrap().unwrap(), up.into_inner().unwrap().unwrap());
        let before = outcomes.iter().filter(|(_, end, _)| *end < down);
        assert!(before.clone().count() > 0 && before.clone().all(|(_, _, s)| *s == 200), "all served before the stop");
        let failed: Vec<_> = outcomes.iter().filter(|(_, _, s)| *s != 200).collect();
        assert!(!failed.is_empty(), "some requests met the stopped server");
        assert!(failed.iter().all(|(_, _, s)| *s == 503), "{failed:?}");
        assert!(failed.iter().all(|(start, end, _)| *end - *start < std::time::Duration::from_secs(3)), "none hung");
        // A request started once the server is back (and a connection had time to be
        // opened again) succeeds.
        let grace = up + std::time::Duration::from_millis(200);
        let after: Vec<_> = outcomes.iter().filter(|(start, _, _)| *start > grace).collect();
        assert!(!after.is_empty(), "requests after the restart");
        assert!(after.iter().all(|(_, _, s)| *s == 200), "{:?}", after.iter().filter(|o| o.2 != 200).collect::<Vec<_>>());
        println!(
            "measured: database restart under load: {} requests, {} failed with 503 while it was down, all {} after it succeeded",
            outcomes.len(),
            failed.len(),
            after.len()
        );
    }
}
