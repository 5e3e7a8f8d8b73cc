//! The example programs, run as a user runs them: on SQLite in memory with no
//! `DATABASE_URL`, and on a database of their own on each backend.

use std::process::Command;

use orm_tests::pgbouncer::PgBouncer;
use orm_tests::{ScratchDatabase, TestDb, database_port, on_both, rows, test_case};

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
    out.lines().filter(|l| !l.contains(" INFO orm.engine ") && !l.starts_with('\t') && *l != ")").collect()
}

fn check_seed_output(out: &str) {
    assert_eq!(printed(out), ["Bachelors in CS", "Data STRUCTURES AND ALGRITHMS in Bachelors in CS"]);
    // The second commit sends the four courses in one INSERT.
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

on_both! {
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

on_both! {
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
        assert!(stdout.contains("# not pinned"), "{stdout}");
        drop(db);
    }
}

/// Runs a binary with arguments and `DATABASE_URL`; its exit code and output.
fn run_with(bin: &str, args: &[&str], url: &str) -> (i32, String) {
    let out = Command::new(bin).args(args).env("DATABASE_URL", url).output().expect("run the binary");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

on_both! {
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
