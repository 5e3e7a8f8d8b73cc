//! Starting from an existing database (issue 27): `orm-cli models generate` reads a schema
//! another tool made and writes models of it; the models compile, `create_all` of them on
//! an empty database makes the same schema (the same `pg_dump --schema-only`; on SQLite
//! the same reflected schema), and `check` against the database they came from finds
//! nothing to change.

use orm_tests::{TestDb, test_case};

/// Runs a fixture's statements (separated by `;` at a line's end).
fn run_fixture(db: &TestDb, sql: &str) {
    for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let statement: String =
            statement.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
        db.engine.execute(&statement, &[]).unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// The generated models, and a `main` that creates their tables on `empty` and checks
/// both databases against them.
fn program(models: &str, existing: &TestDb, empty: &TestDb) -> String {
    let structs: Vec<&str> = models
        .lines()
        .filter_map(|l| l.strip_prefix("pub struct "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let tables: Vec<String> = structs.iter().map(|s| format!("{s}::table()")).collect();
    format!(
        "{models}\nfn main() {{\n    let models = [{}];\n    \
         let existing = Engine::connect({:?}).unwrap();\n    \
         let empty = Engine::connect({:?}).unwrap();\n    \
         empty.create_all(&models).unwrap();\n    \
         assert_eq!(orm_core::migration::check(&existing, &models).unwrap(), [], \"the database the models came from\");\n    \
         assert_eq!(orm_core::migration::check(&empty, &models).unwrap(), [], \"the database made from the models\");\n}}\n",
        tables.join(", "),
        existing.url(),
        empty.url(),
    )
}

test_case! {
    /// The shop's database on both backends: models generated, compiled, applied and
    /// compared.
    fn models_generated_from_a_database_make_the_same_schema() needs(postgres, pg_dump) {
        let pg_existing = TestDb::postgres("models_from").expect("PostgreSQL");
        let pg_empty = TestDb::postgres("models_to").expect("PostgreSQL");
        let lite_existing = TestDb::sqlite("models_from");
        let lite_empty = TestDb::sqlite("models_to");
        run_fixture(&pg_existing, include_str!("../fixtures/existing/postgresql.sql"));
        run_fixture(&lite_existing, include_str!("../fixtures/existing/sqlite.sql"));
        let pg_models = orm_cli::models::generate(&pg_existing.engine.reflect().unwrap(), "the PostgreSQL fixture");
        let lite_models = orm_cli::models::generate(&lite_existing.engine.reflect().unwrap(), "the SQLite fixture");
        // What the fixtures hold shows in the models.
        for expected in [
            "#[orm(pg_enum = \"order_status\")]\npub enum OrderStatus {\n    #[default]\n    Open,",
            "    #[orm(rename = \"on-hold\")]\n    OnHold,",
            "    #[orm(server_default = \"'open'\")]\n    pub status: Option<OrderStatus>,",
            "    #[orm(sql_type = \"NUMERIC(10,2)\")]\n    pub price: rust_decimal::Decimal,",
            "    #[orm(many_to_many(Product, secondary = \"product_categories\", backref = \"categories\"))]",
            "    #[orm(has_many(Category, foreign_key = \"parent_id\", backref = \"parent\"))]\n    pub children: HasMany<Category>,",
            "    #[orm(has_one(LoyaltyCard, foreign_key = \"customer_id\", backref = \"customer\"))]",
            "    #[orm(index, foreign_key(\"customers.id\", name = \"fk_orders_customer\", on_delete = \"cascade\"))]",
            "    index(title, name = \"ix_products_title\", where = \"NOT archived\"),",
            "    pub r#type: Option<String>,",
        ] {
            assert!(pg_models.contains(expected), "{expected}\n\nin\n\n{pg_models}");
        }
        assert!(!pg_models.contains("pub struct ProductCategor"), "the association table is no model: {pg_models}");
        assert!(lite_models.contains("    #[orm(length = 120, unique)]\n    pub email: String,"), "{lite_models}");

        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-models");
        std::fs::create_dir_all(&dir).unwrap();
        let (pg_file, lite_file) = (dir.join("from_postgresql.rs"), dir.join("from_sqlite.rs"));
        std::fs::write(&pg_file, program(&pg_models, &pg_existing, &pg_empty)).unwrap();
        std::fs::write(&lite_file, program(&lite_models, &lite_existing, &lite_empty)).unwrap();
        let t = trybuild::TestCases::new();
        t.pass(&pg_file);
        t.pass(&lite_file);
        drop(t);

        // The schema the models made is the one they were read from.
        if let (Some(existing), Some(made)) = (pg_existing.dump_schema(), pg_empty.dump_schema()) {
            assert_eq!(existing, made);
        }
        assert_eq!(lite_existing.engine.reflect().unwrap(), lite_empty.engine.reflect().unwrap());
    }
}
