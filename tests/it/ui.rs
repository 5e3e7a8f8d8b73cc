//! What the compiler says: the derive's errors, pinned (`ui/*.rs`), and what must compile.

use orm_tests::test_case;

test_case! {
    /// The derive's error messages, and a chain of 200 models, each with a one-to-many
    /// to the next, that compiles with the default recursion limit and runs: a session
    /// adds a parent with a child waiting in its `HasMany`.
    fn derive_errors_and_long_chains() {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("long-chain");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("chain_of_200_models.rs");
        std::fs::write(&file, chain_of_models(200)).unwrap();
        let readme = dir.join("readme_getting_started.rs");
        std::fs::write(&readme, readme_program()).unwrap();
        let t = trybuild::TestCases::new();
        t.compile_fail("ui/*.rs");
        t.pass(&file);
        t.pass(&readme);
    }
}

/// The whole program of README's "Getting started in your own crate", as it stands there
/// (compiled and run above, so that it stays right). It reads `DATABASE_URL`, which the
/// tests set for PostgreSQL: renamed here, it runs on SQLite in memory and leaves nothing.
fn readme_program() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let after = readme.split_once("A whole program:").expect("README's getting-started program").1;
    let code = after.split_once("```rust\n").unwrap().1.split_once("```").unwrap().0;
    assert!(code.contains("fn main()"), "{code}");
    code.replace("\"DATABASE_URL\"", "\"ORM_README_EXAMPLE_URL\"")
}

/// A program with `n` models, each one's `children` the next one's rows.
fn chain_of_models(n: usize) -> String {
    let mut out = String::from("use orm_core::prelude::*;\n\n");
    for i in 1..=n {
        let parent = if i == 1 {
            "    pub parent_id: Option<i32>,\n".to_owned()
        } else {
            format!("    #[orm(foreign_key = \"chain{}.id\")]\n    pub parent_id: i32,\n", i - 1)
        };
        let children = if i < n {
            format!(
                "    #[orm(has_many(Chain{next}, foreign_key = \"parent_id\", backref = \"parent\"))]\n    pub children: HasMany<Chain{next}>,\n",
                next = i + 1
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "#[derive(Model, Debug)]\n#[orm(table = \"chain{i}\")]\npub struct Chain{i} {{\n    #[orm(primary_key)]\n    pub id: i32,\n{parent}    pub name: String,\n{children}}}\n\n"
        ));
    }
    out.push_str(
        "fn main() -> orm_core::Result<()> {\n    let engine = Engine::connect(\"sqlite::memory:\")?;\n    engine.create_all(&[Chain1::table(), Chain2::table()])?;\n    let mut first = Chain1::new(None, \"first\");\n    first.children.push(Chain2::new(\"second\"));\n    let mut db = engine.session();\n    db.add(first);\n    db.commit()?;\n    assert_eq!(Chain2::query().count(&engine)?, 1);\n    Ok(())\n}\n",
    );
    out
}
