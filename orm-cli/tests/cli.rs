//! The model-free `orm-cli` binary on a migrations directory, as a deployment runs it.

use std::process::Command;

fn run(args: &[&str], url: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orm-cli")).args(args).env("DATABASE_URL", url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn upgrades_reports_and_downgrades_a_directory() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/migrations");
    let db = std::env::temp_dir().join(format!("orm-cli-{}.db", std::process::id()));
    let url = format!("sqlite://{}", db.display());
    let (code, out) = run(&["--dir", dir, "migrate", "upgrade"], &url);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("applied 0001_create_notes in ") && out.contains("applied 0002_index_notes in "), "{out}");
    let (code, out) = run(&["--dir", dir, "status"], &url);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().filter(|l| l.ends_with(" applied")).count(), 2, "{out}");
    let (code, out) = run(&["--dir", dir, "downgrade", "0"], &url);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reverted 0002_index_notes") && out.contains("reverted 0001_create_notes"), "{out}");
    // Comparing models needs the application's own binary.
    let (code, out) = run(&["--dir", dir, "check"], &url);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("orm_cli::main"), "{out}");
    // A wrong URL fails with what to write; a wrong command line shows the usage.
    let (code, out) = run(&["status"], "oracle://nowhere");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unsupported database `oracle`"), "{out}");
    let (code, out) = run(&["launch"], &url);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("usage: migrate"), "{out}");
    let _ = std::fs::remove_file(&db);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn read_only_commands_say_where_things_stand_and_write_nothing() {
    let db = std::env::temp_dir().join(format!("orm-cli-status-{}.db", std::process::id()));
    let url = format!("sqlite://{}", db.display());
    let empty = std::env::temp_dir().join(format!("orm-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_str().unwrap().to_owned();
    // A directory that is not there is an error, not an empty one.
    let (code, out) = run(&["--dir", "/no/such/migrations", "upgrade"], &url);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no migrations directory at /no/such/migrations"), "{out}");
    // Nothing to list: said so; and the database gets no versions table from it.
    let (code, out) = run(&["--dir", &empty, "status"], &url);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no migrations in ") && out.contains("database at no migration, up to date"), "{out}");
    let (code, out) = run(&["--dir", &empty, "history"], &url);
    assert_eq!((code, out.trim()), (0, "no migrations applied"));
    let engine = orm_core::Engine::connect(&url).unwrap();
    let tables = engine.query_raw("SELECT name FROM sqlite_master WHERE type = 'table'", &[], |r| r.get::<String>(0));
    assert_eq!(tables.unwrap(), Vec::<String>::new(), "status and history write nothing");

    // The example's migrations: the first one's down step drops its tables.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../orm-examples/migrations");
    let (code, out) = run(&["--dir", dir, "status"], &url);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("database at no migration, 2 pending\n"), "{out}");
    assert_eq!(run(&["--dir", dir, "upgrade"], &url).0, 0);
    let (_, out) = run(&["--dir", dir, "status"], &url);
    assert!(out.ends_with("database at 0002, up to date\n"), "{out}");
    let (code, out) = run(&["--dir", dir, "downgrade", "0"], &url);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is destructive") && out.contains("confirm with --allow-destructive"), "{out}");
    assert!(!out.contains("Migrator::"), "the command line is told about its flag: {out}");
    let (_, out) = run(&["--dir", dir, "status"], &url);
    assert!(out.ends_with("database at 0002, up to date\n"), "nothing was reverted: {out}");
    let (code, out) = run(&["--dir", dir, "downgrade", "0", "--allow-destructive"], &url);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reverted 0001_programs_and_courses"), "{out}");
    drop(engine);
    let _ = std::fs::remove_file(&db);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let _ = std::fs::remove_dir(&empty);
}

#[test]
fn models_are_generated_from_a_database() {
    let db = std::env::temp_dir().join(format!("orm-cli-models-{}.db", std::process::id()));
    let url = format!("sqlite://{}", db.display());
    let engine = orm_core::Engine::connect(&url).unwrap();
    engine.execute("CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL)", &[]).unwrap();
    engine
        .execute(
            "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
             author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE)",
            &[],
        )
        .unwrap();
    let out = std::env::temp_dir().join(format!("orm-cli-models-{}.rs", std::process::id()));
    let (code, said) = run(&["models", "generate", "--out", out.to_str().unwrap()], &url);
    assert_eq!(code, 0, "{said}");
    assert_eq!(said.trim(), format!("wrote {}", out.display()));
    let models = std::fs::read_to_string(&out).unwrap();
    assert!(models.contains("#[orm(table = \"authors\")]\npub struct Author {"), "{models}");
    assert!(models.contains("    #[orm(has_many(Book, foreign_key = \"author_id\", backref = \"author\"))]\n    pub books: HasMany<Book>,"), "{models}");
    assert!(
        models.contains("    #[orm(foreign_key = \"authors.id\", on_delete = \"cascade\")]\n    pub author_id: i32,"),
        "{models}"
    );
    // Without --out, to standard output; no migrations directory needed.
    let (code, said) = run(&["--dir", "/no/such/dir", "models", "generate"], &url);
    assert_eq!((code, said.as_str()), (0, models.as_str()));
    drop(engine);
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&db);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
