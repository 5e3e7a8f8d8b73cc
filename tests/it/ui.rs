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
        let t = trybuild::TestCases::new();
        t.compile_fail("ui/*.rs");
        t.pass(&file);
    }
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
