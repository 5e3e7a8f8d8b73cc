//! The example programs, run as a user runs them, against a schema of their own.

use std::process::Command;

use orm_tests::PgSchema;

fn run(bin: &str, db: &PgSchema) -> String {
    let out = Command::new(bin)
        .env("DATABASE_URL", db.url())
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{bin} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn seed_leaves_the_reference_schema_and_rows() {
    let Some(db) = PgSchema::new("example_seed") else {
        return;
    };
    let out = run(env!("CARGO_BIN_EXE_seed"), &db);
    let printed: Vec<&str> = out
        .lines()
        .filter(|l| !l.contains(" INFO orm.engine ") && !l.starts_with('\t') && *l != ")")
        .collect();
    assert_eq!(
        printed,
        [
            "Bachelors in CS",
            "Data STRUCTURES AND ALGRITHMS in Bachelors in CS"
        ]
    );

    // The second commit sends the four courses in one INSERT.
    let inserts: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("INSERT INTO courses"))
        .collect();
    assert_eq!(inserts.len(), 1, "{out}");
    let params = out
        .lines()
        .skip_while(|l| !l.contains("INSERT INTO courses"))
        .nth(1)
        .unwrap();
    for title in [
        "Database Management Systems",
        "Data SCIENCE",
        "Data STRUCTURES AND ALGRITHMS",
        "Businnes communication",
    ] {
        assert!(params.contains(title), "{params}");
    }

    let reference_rows = include_str!("../../tests/fixtures/reference-rows.txt");
    let mut rows = db.rows("programs");
    rows.extend(db.rows("courses"));
    assert_eq!(rows.join("\n") + "\n", reference_rows);
    if let Some(schema) = db.dump_schema() {
        assert_eq!(
            schema,
            include_str!("../../tests/fixtures/reference-schema.sql")
        );
    }
}

#[test]
fn shop_runs_and_reports() {
    let Some(db) = PgSchema::new("example_shop") else {
        return;
    };
    let out = run(env!("CARGO_BIN_EXE_shop"), &db);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "Bob's order: only 1 of Lemon cake left",
            "after rollback, cake costs 1200 cents",
            "Ann: 1 order(s)",
            "  3 x Green tea at 500 cents",
            "  1 x Lemon cake at 1200 cents",
            "Bob: 0 order(s)",
            "stock: [(\"CAKE-2\", 1), (\"TEA-1\", 7)]",
            "customers left: 1",
        ]
    );
    assert_eq!(db.rows("order_lines").len(), 2);
}
