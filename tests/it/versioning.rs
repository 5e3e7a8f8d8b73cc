//! Columns the session writes itself: the version counter of optimistic locking and the
//! `created_at` / `updated_at` timestamps.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use orm_core::ErrorKind;
use orm_core::prelude::*;
use orm_tests::on_all;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "wiki_pages")]
pub struct Page {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub body: String,
    #[orm(version)]
    pub version: i64,
    #[orm(created_at)]
    pub created_at: DateTime<Utc>,
    #[orm(updated_at)]
    pub updated_at: Option<NaiveDateTime>,
}

fn pages(db: &orm_tests::TestDb, n: usize) -> Vec<i32> {
    db.engine.create_all(&[Page::table()]).unwrap();
    let mut s = db.engine.session();
    let added: Vec<_> = (0..n).map(|i| s.add(Page::new(format!("page {i}"), "first draft"))).collect();
    s.commit().unwrap();
    added.iter().map(|p| p.get().id).collect()
}

on_all! {
    /// Every UPDATE matches the version the object was loaded at and writes the next one;
    /// a change made meanwhile by another session is a `StaleData` error naming the object,
    /// and nothing of the flush is written.
    fn a_concurrent_change_is_stale_data(db) {
        let ids = pages(db, 1);
        let mut alice = db.engine.session();
        let mut bob = db.engine.session();
        let a = alice.get::<Page>(ids[0]).unwrap().unwrap();
        let b = bob.get::<Page>(ids[0]).unwrap().unwrap();
        assert_eq!(a.get().version, 1, "new() starts the count at 1");

        b.get_mut().body = "bob's edit".into();
        let (_, sql) = db.statements.during(|| bob.commit().unwrap());
        let update = sql.iter().find(|q| q.starts_with("UPDATE")).expect("an UPDATE");
        assert!(update.contains("version"), "{update}");
        assert_eq!(b.get().version, 2);

        a.get_mut().body = "alice's edit".into();
        let err = alice.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleData, "{err}");
        let message = err.to_string();
        assert!(message.contains("Page") && message.contains(&ids[0].to_string()), "{message}");
        assert_eq!(a.get().version, 1, "the failed flush gave the object its version back");
        alice.rollback().unwrap();
        let body = db.column(&db.sql("SELECT body FROM wiki_pages WHERE id = $1"), &[ids[0].into()]);
        assert_eq!(body, ["bob's edit"]);

        // Reloaded, alice's session can write again.
        alice.refresh(&a).unwrap();
        assert_eq!(a.get().version, 2);
        a.get_mut().body = "alice's edit".into();
        alice.commit().unwrap();
        assert_eq!(a.get().version, 3);

        // An object that did not change is not written and keeps its version.
        let (_, sql) = db.statements.during(|| alice.commit().unwrap());
        assert!(sql.iter().all(|q| !q.starts_with("UPDATE")), "{sql:?}");
        assert_eq!(a.get().version, 3);
    }
}

on_all! {
    /// Several versioned rows go out in one statement; one stale row among them fails the
    /// flush and leaves every row as it was.
    fn batched_updates_and_deletes_check_every_version(db) {
        let ids = pages(db, 3);
        let mut s = db.engine.session();
        let loaded = s.query::<Page>().order_by(Page::ID.asc()).all().unwrap();
        for p in &loaded {
            p.get_mut().title.push_str(" (edited)");
        }
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        // One statement: on PostgreSQL without BEGIN/COMMIT, checking its own row count.
        assert_eq!(sql.iter().filter(|q| q.contains("UPDATE wiki_pages")).count(), 1, "{sql:?}");
        // MySQL first reads (and locks) the keys the versions match: it has no
        // UPDATE .. RETURNING to say which rows the UPDATE missed.
        assert_eq!(sql.len(), db.pick3(1, 3, 4), "{sql:?}");
        assert!(loaded.iter().all(|p| p.get().version == 2));

        // Another writer moves the second page on.
        db.engine
            .execute(&db.sql("UPDATE wiki_pages SET version = version + 1 WHERE id = $1"), &[ids[1].into()])
            .unwrap();
        for p in &loaded {
            p.get_mut().body = "second draft".into();
        }
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleData, "{err}");
        let message = err.to_string();
        assert!(message.contains(&format!("Page({})", ids[1])), "the stale object is named: {message}");
        assert!(message.contains("changed or deleted its row since it was loaded at version 2"), "{message}");
        s.rollback().unwrap();
        let bodies = db.column(&db.sql("SELECT body FROM wiki_pages ORDER BY id"), &[]);
        assert_eq!(bodies, ["first draft"; 3], "nothing of the failed flush was written");

        // A DELETE matches the version too.
        let mut s = db.engine.session();
        let all = s.query::<Page>().order_by(Page::ID.asc()).all().unwrap();
        db.engine
            .execute(&db.sql("UPDATE wiki_pages SET version = version + 1 WHERE id = $1"), &[ids[2].into()])
            .unwrap();
        s.delete(&all[2]).unwrap();
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleData, "{err}");
        s.rollback().unwrap();
        assert_eq!(db.count("wiki_pages"), 3);
        let mut s = db.engine.session();
        let all = s.query::<Page>().all().unwrap();
        for p in &all {
            s.delete(p).unwrap();
        }
        s.commit().unwrap();
        assert_eq!(db.count("wiki_pages"), 0);
    }
}

on_all! {
    /// `created_at` is set once, on insert; `updated_at` on insert and on every update;
    /// a time the application set itself is kept.
    fn timestamps_are_set_on_insert_and_update(db) {
        db.engine.create_all(&[Page::table()]).unwrap();
        let before = Utc::now() - chrono::Duration::seconds(1);
        let mut s = db.engine.session();
        let page = s.add(Page::new("Home", "hello"));
        let imported_at = Utc.with_ymd_and_hms(2001, 1, 15, 12, 0, 0).unwrap();
        let imported = s.add(Page { created_at: imported_at, ..Page::new("Old", "from the old wiki") });
        s.commit().unwrap();
        let created = page.get().created_at;
        assert!(created > before && created < Utc::now() + chrono::Duration::seconds(1), "{created}");
        assert_eq!(page.get().updated_at, Some(created.naive_utc()));
        assert_eq!(imported.get().created_at, imported_at);

        std::thread::sleep(Duration::from_millis(20));
        page.get_mut().body = "hello again".into();
        s.commit().unwrap();
        let updated = page.get().updated_at.expect("set");
        assert!(updated > created.naive_utc(), "{updated} after {created}");
        assert_eq!(page.get().created_at, created, "created_at is not touched by updates");

        // What the objects hold is what the database holds.
        let mut fresh = db.engine.session();
        let again = fresh.get::<Page>(page.get().id).unwrap().unwrap();
        assert_eq!(*again.get(), *page.get());
    }
}

on_all! {
    /// The plain CRUD methods check and bump the version too.
    fn plain_update_and_delete_check_the_version(db) {
        db.engine.create_all(&[Page::table()]).unwrap();
        let mut page = Page::new("Solo", "v1");
        page.insert(&db.engine).unwrap();
        assert_eq!(page.version, 1);
        let mut stale_copy = page.clone();
        page.body = "v2".into();
        page.update(&db.engine).unwrap();
        assert_eq!(page.version, 2);
        assert!(page.updated_at.is_some());
        stale_copy.body = "lost update".into();
        let err = stale_copy.update(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleData, "{err}");
        assert!(err.to_string().contains("version 1"), "{err}");
        assert_eq!(stale_copy.version, 1);
        assert_eq!(stale_copy.delete(&db.engine).unwrap_err().kind(), ErrorKind::StaleData);
        assert_eq!(Page::get(&db.engine, page.id).unwrap().unwrap().body, "v2");
        page.delete(&db.engine).unwrap();
        assert_eq!(db.count("wiki_pages"), 0);
    }
}

on_all! {
    /// Without a version too: a batched UPDATE that finds a row gone fails the flush, and
    /// the rows it did match are not left changed (the statement ran in a transaction).
    fn a_batched_update_missing_a_row_writes_nothing(db) {
        use crate::models::Program;
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut s = db.engine.session();
        for name in ["a", "b", "c"] {
            s.add(Program::new(name, 3));
        }
        s.commit().unwrap();
        let all = s.query::<Program>().order_by(Program::ID.asc()).all().unwrap();
        db.engine.execute(&db.sql("DELETE FROM programs WHERE name = 'b'"), &[]).unwrap();
        for p in &all {
            p.get_mut().years_of_study = 4;
        }
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleData, "{err}");
        assert!(err.to_string().contains("its row was deleted by another transaction"), "{err}");
        s.rollback().unwrap();
        assert_eq!(db.column(&db.sql("SELECT CAST(years_of_study AS TEXT) FROM programs"), &[]), ["3", "3"]);
    }
}
