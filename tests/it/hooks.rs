//! Lifecycle hooks: `before_insert`, `before_update`, `validate` and `after_load`.

use orm_core::prelude::*;
use orm_core::{ErrorKind, Hooks};
use orm_tests::on_all;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "articles", hooks)]
pub struct Article {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub slug: String,
    pub edits: i32,
    /// Not a column: filled by `after_load`.
    #[orm(skip)]
    pub words: usize,
}

impl Hooks for Article {
    fn before_insert(&mut self) -> orm_core::Result<()> {
        self.slug = self.title.to_lowercase().split_whitespace().collect::<Vec<_>>().join("-");
        Ok(())
    }

    fn before_update(&mut self) -> orm_core::Result<()> {
        self.edits += 1;
        Ok(())
    }

    fn validate(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("an article needs a title".into());
        }
        Ok(())
    }

    fn after_load(&mut self) {
        self.words = self.title.split_whitespace().count();
    }
}

fn article(title: &str) -> Article {
    Article::new(title, "", 0)
}

on_all! {
    /// The hooks run in a flush before its statements; what they set is written; a
    /// validation error stops the flush with nothing written and names the object.
    fn hooks_run_in_the_flush_and_validation_stops_it(db) {
        db.engine.create_all(&[Article::table()]).unwrap();
        let mut s = db.engine.session();
        s.add(article("Hello World"));
        s.add(article("   "));
        s.add(article("Second Post"));
        let (r, sql) = db.statements.during(|| s.commit());
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
        let message = err.to_string();
        assert!(message.contains("an article needs a title") && message.contains("Article"), "{message}");
        assert!(sql.iter().all(|q| !q.starts_with("INSERT")), "no statement was sent: {sql:?}");
        s.rollback().unwrap();
        assert_eq!(db.count("articles"), 0);

        let mut s = db.engine.session();
        let hello = s.add(article("Hello World"));
        s.commit().unwrap();
        assert_eq!(hello.get().slug, "hello-world", "before_insert's change was written");
        assert_eq!(hello.get().edits, 0);

        // before_update runs on a changed object only.
        s.commit().unwrap();
        hello.get_mut().title = "Hello Rust World".into();
        s.commit().unwrap();
        assert_eq!(hello.get().edits, 1);
        assert_eq!(hello.get().slug, "hello-world", "before_insert does not run again");

        hello.get_mut().title = String::new();
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
        s.rollback().unwrap();

        let fresh = db.engine.session().get::<Article>(hello.get().id).unwrap().unwrap();
        let stored = fresh.get().clone();
        assert_eq!((stored.title.as_str(), stored.edits, stored.words), ("Hello Rust World", 1, 3));
    }
}

on_all! {
    /// The plain CRUD methods and engine queries run the same hooks.
    fn plain_crud_runs_the_hooks(db) {
        db.engine.create_all(&[Article::table()]).unwrap();
        let mut a = article("Plain Insert");
        a.insert(&db.engine).unwrap();
        assert_eq!(a.slug, "plain-insert");
        a.title = "Plain Update Here".into();
        a.update(&db.engine).unwrap();
        assert_eq!(a.edits, 1);
        let mut bad = article("");
        assert_eq!(bad.insert(&db.engine).unwrap_err().kind(), ErrorKind::Validation);
        let loaded = Article::get(&db.engine, a.id).unwrap().unwrap();
        assert_eq!(loaded.words, 3);
        assert_eq!(db.count("articles"), 1);
    }
}
