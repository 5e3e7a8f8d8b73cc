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
    let (code, out) = run(&["status"], "mysql://nowhere");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unsupported database `mysql`"), "{out}");
    let (code, out) = run(&["launch"], &url);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("usage: migrate"), "{out}");
    let _ = std::fs::remove_file(&db);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
