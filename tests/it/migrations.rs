//! Schema migrations on every backend: reflection, autogenerate, upgrade and downgrade of
//! a model evolving through five versions with its rows kept, `check`, destructive steps,
//! edited and failing migrations (on MySQL, whose DDL is not transactional, the failure
//! says what ran before it), and two deployers upgrading at once.

use std::path::{Path, PathBuf};

use orm_core::ErrorKind;
use orm_core::metadata::TableDef;
use orm_core::migration::{Change, MigrationState, Migrations, Migrator, check, generate};
use orm_tests::on_all;

/// Version 1: authors.
mod v1 {
    use orm_core::prelude::*;

    #[derive(Model, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(length = 80)]
        pub name: String,
        pub born: Option<i32>,
    }

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table()]
    }
}

/// Version 2: a new table, books.
mod v2 {
    use orm_core::prelude::*;

    pub use super::v1::Author;

    #[derive(Model, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub author_id: i32,
    }

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table(), Book::table()]
    }
}

/// Version 3: a NOT NULL column with a server default on a table with rows.
mod v3 {
    use orm_core::prelude::*;

    pub use super::v2::Book;

    #[derive(Model, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(length = 80)]
        pub name: String,
        pub born: Option<i32>,
        #[orm(server_default = "'unknown'")]
        pub country: Option<String>,
    }

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table(), Book::table()]
    }
}

/// Version 4: books.title renamed to headline, its rows kept.
mod v4 {
    use orm_core::prelude::*;

    pub use super::v3::Author;

    #[derive(Model, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(renamed_from = "title")]
        pub headline: String,
        pub author_id: i32,
    }

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table(), Book::table()]
    }
}

/// Version 5: a foreign key and an index.
mod v5 {
    use orm_core::prelude::*;

    pub use super::v3::Author;

    #[derive(Model, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(renamed_from = "title")]
        pub headline: String,
        #[orm(foreign_key = "authors.id", on_delete = "cascade", index)]
        pub author_id: i32,
    }

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table(), Book::table()]
    }
}

/// Version 5 without the index on books.author_id; the foreign key stays.
mod v5b {
    use orm_core::prelude::*;

    pub use super::v3::Author;

    #[derive(Model, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i32,
        pub headline: String,
        #[orm(foreign_key = "authors.id", on_delete = "cascade")]
        pub author_id: i32,
    }

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table(), Book::table()]
    }
}

/// Version 6: authors.country dropped.
mod v6 {
    pub use super::v1::Author;
    pub use super::v5::Book;

    pub fn models() -> Vec<&'static orm_core::metadata::TableDef> {
        vec![Author::table(), Book::table()]
    }
}

/// A migrations directory of its own, removed afterwards.
pub(crate) struct Dir(PathBuf);

impl Dir {
    pub(crate) fn new(db: &orm_tests::TestDb, tag: &str) -> Dir {
        let backend = db.pick3("pg", "sqlite", "mysql");
        let path = std::env::temp_dir().join(format!("orm-migrations-{tag}-{backend}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Dir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn migrations(&self) -> Migrations {
        Migrations::from_dir(&self.0).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if std::env::var_os("KEEP").is_some() {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Generates the step to `models` and applies it; returns the migration's directory name.
pub(crate) fn step(db: &orm_tests::TestDb, dir: &Dir, models: &[&'static TableDef], name: &str) -> String {
    let written = generate(&db.engine, models, dir.path(), name).unwrap().expect("a difference to migrate");
    let applied = Migrator::new(&db.engine, dir.migrations()).allow_destructive(true).upgrade(None).unwrap();
    assert_eq!(applied.len(), 1, "{name}");
    written.file_name().unwrap().to_string_lossy().into_owned()
}

fn sql_of(dir: &Dir, id: &str, file: &str) -> String {
    std::fs::read_to_string(dir.path().join(id).join(file)).unwrap()
}

on_all! {
    /// A model through five versions: each step autogenerated and applied with every row
    /// kept; then down to version 1, which leaves the schema `create_all` makes.
    fn a_model_evolves_through_five_versions(db) needs(pg_dump) {
        let dir = Dir::new(db, "evolve");
        let first = step(db, &dir, &v1::models(), "create authors");
        assert_eq!(first, "0001_create_authors");
        // Every migration has MySQL's files too, which say that their statements run one by one.
        let mysql = sql_of(&dir, &first, "up.mysql.sql");
        assert!(mysql.contains("statements run one by one, outside a transaction"), "{mysql}");
        assert!(mysql.contains("CREATE TABLE `authors` (\n\t`id` INTEGER AUTO_INCREMENT NOT NULL,\n\t`name` VARCHAR(80) NOT NULL,"), "{mysql}");
        db.engine.execute(&db.sql("INSERT INTO authors (name, born) VALUES ('Ann', 1950), ('Bob', NULL)"), &[]).unwrap();

        // 2: a new table.
        step(db, &dir, &v2::models(), "add books");
        db.engine
            .execute(&db.sql("INSERT INTO books (title, author_id) VALUES ('Dune', 1), ('Emma', 2)"), &[])
            .unwrap();

        // 3: a NOT NULL column with a server default, on rows that exist.
        let id = step(db, &dir, &v3::models(), "add country");
        assert!(sql_of(&dir, &id, "up.postgresql.sql").contains("ALTER TABLE authors ADD COLUMN country VARCHAR DEFAULT 'unknown' NOT NULL;"));
        assert!(sql_of(&dir, &id, "up.mysql.sql").contains("ALTER TABLE `authors` ADD COLUMN `country` VARCHAR(255) DEFAULT 'unknown' NOT NULL;"));
        assert_eq!(db.column("SELECT country FROM authors ORDER BY id", &[]), ["unknown", "unknown"]);

        // 4: a rename, not a drop and an add.
        let id = step(db, &dir, &v4::models(), "rename title");
        let up = sql_of(&dir, &id, &format!("up.{}.sql", db.engine.dialect().name()));
        // MySQL's identifiers are always in backticks.
        let rename = db.pick3(
            "ALTER TABLE books RENAME COLUMN title TO headline;",
            "ALTER TABLE books RENAME COLUMN title TO headline;",
            "ALTER TABLE `books` RENAME COLUMN `title` TO `headline`;",
        );
        assert!(up.contains(rename), "{up}");
        assert!(!up.contains("DROP"), "{up}");
        assert_eq!(db.column("SELECT headline FROM books ORDER BY id", &[]), ["Dune", "Emma"]);

        // 5: a foreign key and an index; the key holds from now on.
        step(db, &dir, &v5::models(), "books reference authors");
        assert!(db.indexes().iter().any(|i| i.contains("ix_books_author_id")), "{:?}", db.indexes());
        let err = db.engine.execute(&db.sql("INSERT INTO books (headline, author_id) VALUES ('Orphan', 99)"), &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation, "{err}");
        assert_eq!(db.column("SELECT headline FROM books ORDER BY id", &[]), ["Dune", "Emma"]);

        // 6: a dropped column is destructive: refused until confirmed.
        let written = generate(&db.engine, &v6::models(), dir.path(), "drop country").unwrap().unwrap();
        let up = std::fs::read_to_string(written.join("up.sqlite.sql")).unwrap();
        assert!(up.contains("-- orm: destructive: drop column authors.country"), "{up}");
        let err = Migrator::new(&db.engine, dir.migrations()).upgrade(None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
        assert!(err.to_string().contains("nothing was run") && err.to_string().contains("allow_destructive(true)"), "{err}");
        let applied = Migrator::new(&db.engine, dir.migrations()).allow_destructive(true).upgrade(None).unwrap();
        assert_eq!(applied, [6]);
        assert_eq!(db.column("SELECT name FROM authors ORDER BY id", &[]), ["Ann", "Bob"]);
        assert_eq!(db.column("SELECT headline FROM books ORDER BY id", &[]), ["Dune", "Emma"]);

        // Up to date: autogenerate writes nothing, check finds nothing.
        assert_eq!(generate(&db.engine, &v6::models(), dir.path(), "nothing").unwrap(), None);
        assert_eq!(dir.migrations().len(), 6);
        assert_eq!(check(&db.engine, &v6::models()).unwrap(), []);
        assert!(!check(&db.engine, &v1::models()).unwrap().is_empty());

        // Down to version 1: refused while a down step drops what its up step made (the
        // table of version 2, the column of version 3), with nothing run; then confirmed,
        // each step reverted, the authors' rows kept.
        let err = Migrator::new(&db.engine, dir.migrations()).downgrade(1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
        assert!(err.to_string().contains("(down) is destructive"), "{err}");
        assert_eq!(Migrator::new(&db.engine, dir.migrations()).current().unwrap(), Some(6));
        let migrator = Migrator::new(&db.engine, dir.migrations()).allow_destructive(true);
        assert_eq!(migrator.downgrade(1).unwrap(), [6, 5, 4, 3, 2]);
        assert_eq!(migrator.current().unwrap(), Some(1));
        assert_eq!(db.column("SELECT name FROM authors ORDER BY id", &[]), ["Ann", "Bob"]);
        assert_eq!(check(&db.engine, &v1::models()).unwrap(), []);
        let states: Vec<MigrationState> = migrator.status().unwrap().into_iter().map(|s| s.state).collect();
        assert_eq!(states[0], MigrationState::Applied);
        assert!(states[1..].iter().all(|s| *s == MigrationState::Pending));

        // The schema is the one create_all makes for version 1.
        let fresh = orm_tests::TestDb::new(db.backend, "evolve_fresh", |b| b).expect("a second database");
        fresh.engine.create_all(&v1::models()).unwrap();
        db.engine.execute("DROP TABLE orm_migrations", &[]).unwrap();
        assert_eq!(db.engine.reflect().unwrap(), fresh.engine.reflect().unwrap());
        if db.is_postgres() {
            let (Some(migrated), Some(created)) = (db.dump_schema(), fresh.dump_schema()) else { return };
            assert_eq!(migrated, created);
        }
    }
}

on_all! {
    /// Reflection reads what the models create: types, nullability, defaults, keys,
    /// foreign keys with their actions, uniques, indexes, named checks.
    fn reflection_reads_what_create_all_made(db) {
        use crate::models::{Course, Program};
        db.engine.create_all(&[Program::table(), Course::table(), v3::Author::table()]).unwrap();
        let schema = db.engine.reflect().unwrap();
        let courses = schema.table("courses").unwrap();
        assert_eq!(courses.primary_key, ["id"]);
        let fk = &courses.foreign_keys[0];
        assert_eq!((fk.columns.as_slice(), fk.table.as_str(), fk.referenced.as_slice()), (&["program_id".to_owned()][..], "programs", &["id".to_owned()][..]));
        assert_eq!(fk.on_delete, orm_core::metadata::ReferentialAction::Cascade);
        let authors = schema.table("authors").unwrap();
        let name = authors.column("name").unwrap();
        assert_eq!((name.length, name.nullable), (Some(80), false));
        assert!(authors.column("born").unwrap().nullable);
        assert!(authors.column("id").unwrap().autoincrement);
        assert_eq!(authors.column("country").unwrap().default.as_deref().map(|d| d.starts_with("'unknown'")), Some(true));
        // The same, read from the schema named explicitly.
        let named = db.pick3(db.name.clone(), "main".to_owned(), db.name.clone());
        assert_eq!(db.engine.reflect_schema(&named).unwrap(), schema);
        assert!(db.engine.reflect_schema("no_such_schema").map(|s| s.tables.is_empty()).unwrap_or(true));
        // Every model agrees with what it created.
        assert_eq!(check(&db.engine, &[Program::table(), Course::table(), v3::Author::table()]).unwrap(), []);
    }
}

on_all! {
    /// An applied migration whose file changed is refused; a failing migration leaves the
    /// database at the version before, nothing of it kept (on MySQL, whose DDL commits as
    /// it runs, what ran before the failing statement stays, and the error says so).
    fn edited_and_failing_migrations_change_nothing(db) {
        let dir = Dir::new(db, "failing");
        step(db, &dir, &v1::models(), "create authors");
        let name = db.engine.dialect().name();
        // A migration whose second statement fails.
        let bad = dir.path().join("0002_bad");
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(bad.join(format!("up.{name}.sql")), "CREATE TABLE kept_not (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n").unwrap();
        std::fs::write(bad.join(format!("down.{name}.sql")), "DROP TABLE kept_not;\n").unwrap();
        let migrator = Migrator::new(&db.engine, dir.migrations());
        let err = migrator.upgrade(None).unwrap_err();
        assert!(err.to_string().contains("migration 0002_bad (up), statement 2"), "{err}");
        assert_eq!(migrator.current().unwrap(), Some(1));
        if db.is_mysql() {
            // The CREATE TABLE committed as it ran; the error lists it.
            assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
            assert!(err.to_string().contains("1. CREATE TABLE kept_not (id INTEGER)"), "{err}");
            assert!(db.tables().contains(&"kept_not".to_owned()), "{:?}", db.tables());
        } else {
            assert!(!db.tables().contains(&"kept_not".to_owned()), "{:?}", db.tables());
        }
        std::fs::remove_dir_all(&bad).unwrap();

        // Editing an applied migration is caught by its checksum.
        let up = dir.path().join("0001_create_authors").join(format!("up.{name}.sql"));
        let text = std::fs::read_to_string(&up).unwrap();
        let (before, after) = db.pick3(
            ("name VARCHAR(80)", "name VARCHAR(90)"),
            ("name VARCHAR(80)", "name VARCHAR(90)"),
            ("`name` VARCHAR(80)", "`name` VARCHAR(90)"),
        );
        assert!(text.contains(before), "{text}");
        std::fs::write(&up, text.replace(before, after)).unwrap();
        let migrator = Migrator::new(&db.engine, dir.migrations());
        assert_eq!(migrator.status().unwrap()[0].state, MigrationState::Changed);
        let err = migrator.upgrade(None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration);
        assert!(err.to_string().contains("edited after it was applied"), "{err}");
    }
}

on_all! {
    /// Two deployers upgrading at once apply each migration exactly once.
    fn two_deployers_apply_each_migration_once(db) {
        let dir = Dir::new(db, "deployers");
        // Write the migrations against a scratch database, then apply them here twice at once.
        let scratch = orm_tests::TestDb::new(db.backend, "deployers_scratch", |b| b).expect("a scratch database");
        for (models, name) in [(v1::models(), "one"), (v2::models(), "two"), (v3::models(), "three")] {
            step(&scratch, &dir, &models, name);
        }
        let migrations = dir.migrations();
        let applied: Vec<Vec<i64>> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..2)
                .map(|_| s.spawn(|| Migrator::new(&db.engine, migrations.clone()).upgrade(None).unwrap()))
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let mut all: Vec<i64> = applied.concat();
        all.sort();
        assert_eq!(all, [1, 2, 3], "{applied:?}");
        assert_eq!(db.count("orm_migrations"), 3);
        assert_eq!(check(&db.engine, &v3::models()).unwrap(), []);
    }
}

on_all! {
    /// Migrations compiled into the binary run like those read from a directory; a
    /// `-- orm: no-transaction` migration runs its statements one by one (PostgreSQL's
    /// CREATE INDEX CONCURRENTLY needs it; on MySQL every migration runs so).
    fn embedded_and_non_transactional_migrations(db) {
        let migrations = orm_core::embed_migrations!("fixtures/migrations");
        assert_eq!(migrations.len(), 2);
        let migrator = Migrator::new(&db.engine, migrations);
        assert_eq!(migrator.upgrade(None).unwrap(), [1, 2]);
        assert!(db.indexes().iter().any(|i| i.contains("ix_notes_body")), "{:?}", db.indexes());
        let history = migrator.history().unwrap();
        assert_eq!(history.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(), ["create_notes", "index_notes"]);
        assert_eq!(migrator.downgrade_steps(1).unwrap(), [2]);
        assert_eq!(migrator.current().unwrap(), Some(1));
    }
}

on_all! {
    /// A column's type, nullability and default changes, a unique constraint and a check:
    /// in place on PostgreSQL and MySQL, by a table rebuild on SQLite, and back.
    fn changed_columns_and_constraints_round_trip(db) {
        mod before {
            use orm_core::prelude::*;
            #[derive(Model, Debug)]
            #[orm(table = "items")]
            pub struct Item {
                #[orm(primary_key)]
                pub id: i32,
                pub sku: String,
                pub stock: i32,
                pub note: Option<String>,
            }
        }
        mod after {
            use orm_core::prelude::*;
            #[derive(Model, Debug)]
            #[orm(table = "items", check = "stock >= 0")]
            pub struct Item {
                #[orm(primary_key)]
                pub id: i32,
                #[orm(unique)]
                pub sku: String,
                pub stock: i64,
                #[orm(server_default = "'none'")]
                pub note: Option<String>,
            }
        }
        let dir = Dir::new(db, "alter");
        step(db, &dir, &[before::Item::table()], "items");
        db.engine.execute(&db.sql("INSERT INTO items (sku, stock, note) VALUES ('A', 3, 'x'), ('B', 5, 'y')"), &[]).unwrap();
        step(db, &dir, &[after::Item::table()], "tighten items");
        assert_eq!(check(&db.engine, &[after::Item::table()]).unwrap(), []);
        assert_eq!(db.column("SELECT sku FROM items ORDER BY id", &[]), ["A", "B"]);
        let err = db.engine.execute(&db.sql("INSERT INTO items (sku, stock) VALUES ('A', 1)"), &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation, "{err}");
        let err = db.engine.execute(&db.sql("INSERT INTO items (sku, stock) VALUES ('C', -1)"), &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CheckViolation, "{err}");
        let changes = Migrator::new(&db.engine, dir.migrations()).allow_destructive(true).downgrade(1).unwrap();
        assert_eq!(changes, [2]);
        assert_eq!(check(&db.engine, &[before::Item::table()]).unwrap(), Vec::<Change>::new());
        assert_eq!(db.column("SELECT sku FROM items ORDER BY id", &[]), ["A", "B"]);
    }
}

on_all! {
    /// A renamed table (`renamed_from` on the model) keeps its rows; a many-to-many brings
    /// its association table; an enum column brings its PostgreSQL type; all of it back.
    fn renamed_tables_association_tables_and_enums(db) {
        use crate::mapped::Format;
        use crate::models::{Article, Label};
        mod before {
            use orm_core::prelude::*;
            #[derive(Model, Debug)]
            #[orm(table = "writers")]
            pub struct Writer {
                #[orm(primary_key)]
                pub id: i32,
                pub name: String,
            }
        }
        mod after {
            use orm_core::prelude::*;
            #[derive(Model, Debug)]
            #[orm(table = "penmen", renamed_from = "writers")]
            pub struct Writer {
                #[orm(primary_key)]
                pub id: i32,
                pub name: String,
                pub format: Option<crate::mapped::Format>,
            }
        }
        let dir = Dir::new(db, "renamed");
        step(db, &dir, &[before::Writer::table()], "writers");
        db.engine.execute("INSERT INTO writers (name) VALUES ('Ann')", &[]).unwrap();
        let models = [after::Writer::table(), Article::table(), Label::table()];
        let id = step(db, &dir, &models, "rename writers, add articles");
        let up = sql_of(&dir, &id, "up.postgresql.sql");
        assert!(up.contains("ALTER TABLE writers RENAME TO penmen;"), "{up}");
        assert!(up.contains("CREATE TYPE book_format AS ENUM"), "{up}");
        assert!(up.contains("CREATE TABLE article_labels"), "{up}");
        assert_eq!(db.column("SELECT name FROM penmen", &[]), ["Ann"]);
        assert_eq!(check(&db.engine, &models).unwrap(), []);
        let mut s = db.engine.session();
        let mut article = Article::new("Migrations");
        article.labels.push(Label::new("howto"));
        s.add(article);
        s.commit().unwrap();
        let mut w = after::Writer::new("Bob", Some(Format::Ebook));
        w.insert(&db.engine).unwrap();
        assert_eq!(db.count("article_labels"), 1);

        assert_eq!(Migrator::new(&db.engine, dir.migrations()).allow_destructive(true).downgrade(1).unwrap(), [2]);
        assert_eq!(db.column("SELECT name FROM writers ORDER BY id", &[]), ["Ann", "Bob"]);
        assert_eq!(check(&db.engine, &[before::Writer::table()]).unwrap(), []);
    }
}

orm_tests::test_case! {
    /// The files autogenerate writes hold both backends' SQL: migrations generated against
    /// SQLite run on PostgreSQL, and the other way round, up and all the way down.
    fn migrations_generated_on_one_backend_run_on_the_other() needs(postgres) {
        for (source, target) in [(orm_tests::Backend::Sqlite, orm_tests::Backend::Postgres), (orm_tests::Backend::Postgres, orm_tests::Backend::Sqlite)] {
            let from = orm_tests::TestDb::new(source, "cross_from", |b| b).expect("source database");
            let to = orm_tests::TestDb::new(target, "cross_to", |b| b).expect("target database");
            let dir = Dir::new(&from, "cross");
            let versions = [v1::models(), v2::models(), v3::models(), v4::models(), v5::models(), v6::models()];
            for (n, models) in versions.iter().enumerate() {
                let written = generate(&from.engine, models, dir.path(), &format!("version {}", n + 1)).unwrap();
                assert!(written.is_some(), "version {}", n + 1);
                Migrator::new(&from.engine, dir.migrations()).allow_destructive(true).upgrade(None).unwrap();
            }
            let migrator = Migrator::new(&to.engine, dir.migrations()).allow_destructive(true);
            assert_eq!(migrator.upgrade(None).unwrap(), [1, 2, 3, 4, 5, 6]);
            assert_eq!(check(&to.engine, &v6::models()).unwrap(), [], "{source:?} -> {target:?}");
            assert_eq!(migrator.downgrade(0).unwrap(), [6, 5, 4, 3, 2, 1]);
            assert_eq!(to.tables(), ["orm_migrations"]);
        }
    }
}

on_all! {
    /// A primary key over other columns: replaced in place on PostgreSQL and MySQL, by a
    /// rebuild on SQLite, the rows kept, and back.
    fn primary_key_changes_round_trip(db) {
        mod before {
            use orm_core::prelude::*;
            #[derive(Model, Debug)]
            #[orm(table = "codes")]
            pub struct Code {
                #[orm(primary_key)]
                pub code: String,
                pub region: String,
            }
        }
        mod after {
            use orm_core::prelude::*;
            #[derive(Model, Debug)]
            #[orm(table = "codes", primary_key(code, region))]
            pub struct Code {
                pub code: String,
                pub region: String,
            }
        }
        let dir = Dir::new(db, "primary_key");
        step(db, &dir, &[before::Code::table()], "codes");
        db.engine.execute("INSERT INTO codes (code, region) VALUES ('A', 'eu'), ('B', 'us')", &[]).unwrap();
        let err = db.engine.execute("INSERT INTO codes (code, region) VALUES ('A', 'us')", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation, "{err}");
        let id = step(db, &dir, &[after::Code::table()], "key by code and region");
        assert!(sql_of(&dir, &id, "up.postgresql.sql").contains("ALTER TABLE codes DROP CONSTRAINT codes_pkey, ADD PRIMARY KEY (code, region);"));
        assert!(sql_of(&dir, &id, "up.mysql.sql").contains("ALTER TABLE `codes` DROP PRIMARY KEY, ADD PRIMARY KEY (`code`, `region`);"));
        assert_eq!(check(&db.engine, &[after::Code::table()]).unwrap(), []);
        db.engine.execute("INSERT INTO codes (code, region) VALUES ('A', 'us')", &[]).unwrap();
        let err = db.engine.execute("INSERT INTO codes (code, region) VALUES ('A', 'eu')", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation, "{err}");
        db.engine.execute("DELETE FROM codes WHERE region = 'us' AND code = 'A'", &[]).unwrap();
        assert_eq!(Migrator::new(&db.engine, dir.migrations()).allow_destructive(true).downgrade(1).unwrap(), [2]);
        assert_eq!(check(&db.engine, &[before::Code::table()]).unwrap(), []);
        assert_eq!(db.column("SELECT code FROM codes ORDER BY code", &[]), ["A", "B"]);
    }
}

on_all! {
    /// A migration whose third statement fails. PostgreSQL and SQLite roll it back whole;
    /// MySQL commits DDL as it runs, so the two statements before stay: the error names
    /// the failing statement, lists those two and says what to do, and the version is not
    /// recorded. Once they are undone and the statement fixed, the migration runs.
    fn a_failed_migration_says_what_ran_before_it(db) {
        let dir = Dir::new(db, "partial");
        step(db, &dir, &v1::models(), "create authors");
        let name = db.engine.dialect().name();
        let bad = dir.path().join("0002_partial");
        std::fs::create_dir_all(&bad).unwrap();
        let up = |third: &str| {
            format!(
                "CREATE TABLE shelves (id INTEGER NOT NULL PRIMARY KEY);\n\
                 ALTER TABLE authors ADD COLUMN shelf INTEGER;\n\
                 {third};\n\
                 CREATE TABLE racks (id INTEGER NOT NULL PRIMARY KEY);\n"
            )
        };
        std::fs::write(bad.join(format!("up.{name}.sql")), up("INSERT INTO nowhere VALUES (1)")).unwrap();
        std::fs::write(bad.join(format!("down.{name}.sql")), "DROP TABLE racks;\nDROP TABLE shelves;\n").unwrap();
        let err = Migrator::new(&db.engine, dir.migrations()).upgrade(None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("migration 0002_partial (up), statement 3"), "{text}");
        assert!(text.contains("INSERT INTO nowhere VALUES (1)"), "{text}");
        assert_eq!(Migrator::new(&db.engine, dir.migrations()).current().unwrap(), Some(1));
        let tables = db.tables();
        if db.is_mysql() {
            // MySQL: what ran before the failure stays, and the error says exactly what.
            assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
            assert!(text.contains("statement 3 of 4 failed"), "{text}");
            assert!(text.contains("the 2 statements that ran before it stayed applied (not rolled back)"), "{text}");
            assert!(text.contains("  1. CREATE TABLE shelves (id INTEGER NOT NULL PRIMARY KEY)\n"), "{text}");
            assert!(text.contains("  2. ALTER TABLE authors ADD COLUMN shelf INTEGER\n"), "{text}");
            assert!(!text.contains("CREATE TABLE racks"), "{text}");
            assert!(text.contains("not recorded as applied") && text.contains("run upgrade again"), "{text}");
            assert!(tables.contains(&"shelves".to_owned()), "{tables:?}");
            assert!(db.columns("authors").contains(&"shelf".to_owned()));
            // Undone by hand, as the error says; then the fixed migration runs whole.
            db.engine.execute("DROP TABLE shelves", &[]).unwrap();
            db.engine.execute("ALTER TABLE authors DROP COLUMN shelf", &[]).unwrap();
        } else {
            assert!(!tables.contains(&"shelves".to_owned()), "{tables:?}");
            assert!(!db.columns("authors").contains(&"shelf".to_owned()));
        }
        assert!(!tables.contains(&"racks".to_owned()), "{tables:?}");
        std::fs::write(bad.join(format!("up.{name}.sql")), up("UPDATE authors SET shelf = 1")).unwrap();
        assert_eq!(Migrator::new(&db.engine, dir.migrations()).upgrade(None).unwrap(), [2]);
        assert!(db.tables().contains(&"racks".to_owned()));

        // A failing first statement: nothing ran, on every backend.
        std::fs::write(bad.join(format!("down.{name}.sql")), "DROP TABLE nowhere;\nDROP TABLE racks;\n").unwrap();
        let migrator = Migrator::new(&db.engine, dir.migrations()).allow_destructive(true);
        // The edited down step changes the checksum: restore the record to match it.
        let checksum = dir.migrations().get(2).unwrap().checksum(db.engine.dialect());
        db.engine.execute(&db.sql("UPDATE orm_migrations SET checksum = $1 WHERE version = 2"), &[checksum.into()]).unwrap();
        let err = migrator.downgrade(1).unwrap_err();
        assert!(err.to_string().contains("migration 0002_partial (down), statement 1"), "{err}");
        if db.is_mysql() {
            assert!(err.to_string().contains("no statement of it ran before, so the database is as it was"), "{err}");
            assert!(err.to_string().contains("run downgrade again"), "{err}");
        }
        assert!(db.tables().contains(&"racks".to_owned()));
        assert_eq!(migrator.current().unwrap(), Some(2));
    }
}

on_all! {
    /// The files autogenerate writes for each backend: a migration generated against
    /// SQLite runs here, and one generated here runs on SQLite, up and all the way down.
    fn migrations_generated_elsewhere_run_here(db) {
        let versions = [v1::models(), v2::models(), v3::models(), v4::models(), v5::models(), v6::models()];
        let sqlite = orm_tests::TestDb::sqlite("elsewhere");
        for (from, to) in [(&sqlite, db), (db, &sqlite)] {
            let dir = Dir::new(from, &format!("elsewhere_{}", to.pick3("pg", "sqlite", "mysql")));
            for (n, models) in versions.iter().enumerate() {
                let written = generate(&from.engine, models, dir.path(), &format!("version {}", n + 1)).unwrap();
                assert!(written.is_some(), "version {}", n + 1);
                Migrator::new(&from.engine, dir.migrations()).allow_destructive(true).upgrade(None).unwrap();
            }
            let migrator = Migrator::new(&to.engine, dir.migrations()).allow_destructive(true);
            assert_eq!(migrator.upgrade(None).unwrap(), [1, 2, 3, 4, 5, 6]);
            assert_eq!(check(&to.engine, &v6::models()).unwrap(), [], "{:?} -> {:?}", from.backend, to.backend);
            assert_eq!(migrator.downgrade(0).unwrap(), [6, 5, 4, 3, 2, 1]);
            assert_eq!(to.tables(), ["orm_migrations"]);
            Migrator::new(&from.engine, dir.migrations()).allow_destructive(true).downgrade(0).unwrap();
        }
    }
}

on_all! {
    /// Every column type, keywords and mixed case as names, both enum forms, server
    /// defaults (a boolean's and a timestamp's too), composite keys, uniques, indexes and
    /// checks: what `create_all` made reflects as its models, so `check` finds nothing;
    /// autogenerate's migration of the same models makes the same schema.
    fn every_kind_of_column_reflects_as_created(db) {
        use crate::mapped::{Author as MappedAuthor, Book as MappedBook};
        use crate::models::{Account, Everything, LibraryBook, Membership, PricedItem, User};
        let models = [
            Everything::table(),
            User::table(),
            Account::table(),
            Membership::table(),
            LibraryBook::table(),
            PricedItem::table(),
            MappedAuthor::table(),
            MappedBook::table(),
        ];
        db.engine.create_all(&models).unwrap();
        let changes: Vec<String> = check(&db.engine, &models).unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(changes, Vec::<String>::new());

        let migrated = orm_tests::TestDb::new(db.backend, "kinds_migrated", |b| b).expect("a second database");
        let dir = Dir::new(&migrated, "kinds");
        step(&migrated, &dir, &models, "every kind");
        let changes: Vec<String> = check(&migrated.engine, &models).unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(changes, Vec::<String>::new());
        migrated.engine.execute("DROP TABLE orm_migrations", &[]).unwrap();
        assert_eq!(migrated.engine.reflect().unwrap(), db.engine.reflect().unwrap());
    }
}

on_all! {
    /// The index on a foreign key's column dropped while the key stays, and back; each
    /// time the database is what `create_all` makes of the models. (MySQL refuses to drop
    /// an index a foreign key uses: the key steps aside and comes back with an index of
    /// MySQL's own, which MySQL drops by itself once the model's index is back.)
    fn an_index_a_foreign_key_uses_can_go(db) {
        let reflected = |db: &orm_tests::TestDb| {
            let mut schema = db.engine.reflect().unwrap();
            schema.tables.retain(|t| t.name != "orm_migrations");
            schema
        };
        let created = |models: &[&'static TableDef]| {
            let fresh = orm_tests::TestDb::new(db.backend, "fk_index_fresh", |b| b).expect("a second database");
            fresh.engine.create_all(models).unwrap();
            reflected(&fresh)
        };
        let dir = Dir::new(db, "fk_index");
        step(db, &dir, &v5::models(), "books");
        db.engine.execute("INSERT INTO authors (name) VALUES ('Ann')", &[]).unwrap();
        db.engine.execute("INSERT INTO books (headline, author_id) VALUES ('Dune', 1)", &[]).unwrap();
        let id = step(db, &dir, &v5b::models(), "no index on author_id");
        assert!(
            sql_of(&dir, &id, "up.mysql.sql").contains(
                "ALTER TABLE `books` DROP FOREIGN KEY `books_author_id_fkey`;\n\n\
                 DROP INDEX `ix_books_author_id` ON `books`;\n\n\
                 ALTER TABLE `books` ADD CONSTRAINT `books_author_id_fkey` FOREIGN KEY(`author_id`) REFERENCES \
                 `authors` (`id`) ON DELETE CASCADE;"
            ),
            "{}",
            sql_of(&dir, &id, "up.mysql.sql")
        );
        assert_eq!(check(&db.engine, &v5b::models()).unwrap(), []);
        assert!(!db.indexes().contains(&"ix_books_author_id".to_owned()), "{:?}", db.indexes());
        assert_eq!(reflected(db), created(&v5b::models()));
        let err = db.engine.execute("INSERT INTO books (headline, author_id) VALUES ('Orphan', 99)", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ForeignKeyViolation, "{err}");

        assert_eq!(Migrator::new(&db.engine, dir.migrations()).downgrade(1).unwrap(), [2]);
        assert_eq!(check(&db.engine, &v5::models()).unwrap(), []);
        assert!(db.indexes().contains(&"ix_books_author_id".to_owned()), "{:?}", db.indexes());
        if db.is_mysql() {
            // The index MySQL made for the key while it had none went when the model's came back.
            assert!(!db.indexes().contains(&"books_author_id_fkey".to_owned()), "{:?}", db.indexes());
        }
        assert_eq!(reflected(db), created(&v5::models()));
        assert_eq!(db.column("SELECT headline FROM books", &[]), ["Dune"]);
    }
}
