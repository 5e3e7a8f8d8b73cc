//! Array columns (`Vec<T>`): PostgreSQL arrays, JSON arrays on SQLite, with the same
//! round trips, dirty checks and filters (`contains`, `overlaps`, `any`) on both.

use chrono::NaiveDate;
use orm_core::prelude::*;
use orm_tests::{on_both, test_case};

use crate::mapped::Format;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tagged_posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub tags: Vec<String>,
    pub scores: Vec<i64>,
    pub ratings: Option<Vec<f64>>,
    pub formats: Vec<Format>,
    pub flags: Vec<bool>,
    pub days: Vec<NaiveDate>,
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn post(title: &str, tags: &[&str], scores: &[i64], formats: &[Format], days: &[u32]) -> Post {
    Post::new(
        title,
        tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        scores.to_vec(),
        None,
        formats.to_vec(),
        vec![true, false],
        days.iter().map(|&d| day(d)).collect::<Vec<_>>(),
    )
}

fn stock(db: &orm_tests::TestDb) -> Session {
    db.engine.create_all(&[Post::table()]).unwrap();
    let mut s = db.engine.session();
    s.add(post("rust", &["rust", "orm", "sql"], &[5, 3], &[Format::Ebook], &[1, 2]));
    s.add(post("go", &["go", "sql"], &[4], &[Format::Paperback, Format::Hardcover], &[2]));
    s.add(post("empty", &[], &[], &[], &[]));
    s.commit().unwrap();
    s
}

fn titles(s: &mut Session, filter: Expr) -> Vec<String> {
    let found = s.query::<Post>().filter(filter).order_by(Post::TITLE.asc()).all().unwrap();
    found.iter().map(|o| o.get().title.clone()).collect()
}

on_both! {
    /// Arrays of every element kind round-trip (empty ones too), several rows go in one
    /// INSERT, and a changed array is an UPDATE.
    fn arrays_round_trip_and_take_part_in_dirty_checks(db) {
        let mut s = stock(db);
        let all = s.query::<Post>().order_by(Post::ID.asc()).all().unwrap();
        assert_eq!(all[0].get().tags, ["rust", "orm", "sql"]);
        assert_eq!(all[0].get().scores, [5, 3]);
        assert_eq!(all[1].get().formats, [Format::Paperback, Format::Hardcover]);
        assert_eq!(all[0].get().flags, [true, false]);
        assert_eq!(all[0].get().days, [day(1), day(2)]);
        assert!(all[2].get().tags.is_empty() && all[2].get().ratings.is_none());
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        assert!(sql.iter().all(|q| !q.starts_with("UPDATE")), "{sql:?}");

        all[0].get_mut().tags.push("unit of work".into());
        all[2].get_mut().ratings = Some(vec![4.5, -1.25]);
        all[1].get_mut().tags.push("unit of work".into());
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        assert!(sql.iter().any(|q| q.starts_with("UPDATE")), "{sql:?}");
        let mut fresh = db.engine.session();
        let again = fresh.query::<Post>().order_by(Post::ID.asc()).all().unwrap();
        for (a, b) in again.iter().zip(&all) {
            assert_eq!(*a.get(), *b.get());
        }
        let column_type = db.column(
            db.pick(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tagged_posts'::regclass AND attname = 'formats'",
                "SELECT type FROM pragma_table_info('tagged_posts') WHERE name = 'formats'",
            ),
            &[],
        );
        assert_eq!(column_type, [db.pick("book_format[]", "TEXT")]);
    }
}

on_both! {
    /// `contains` (@>), `overlaps` (&&), `any` and equality give the same rows on both
    /// backends, for text, integer, enum, boolean and date elements.
    fn array_filters_agree_on_both_backends(db) {
        let mut s = stock(db);
        let none: Vec<String> = Vec::new();
        assert_eq!(titles(&mut s, Post::TAGS.contains(vec!["sql".into()])), ["go", "rust"]);
        assert_eq!(titles(&mut s, Post::TAGS.contains(vec!["sql".into(), "orm".into()])), ["rust"]);
        assert_eq!(titles(&mut s, Post::TAGS.contains(vec![])), ["empty", "go", "rust"]);
        assert_eq!(titles(&mut s, Post::TAGS.overlaps(vec!["go".into(), "orm".into()])), ["go", "rust"]);
        assert_eq!(titles(&mut s, Post::TAGS.overlaps(vec!["java".into()])), none);
        assert_eq!(titles(&mut s, Post::TAGS.any("rust")), ["rust"]);
        assert_eq!(titles(&mut s, !Post::TAGS.any("rust")), ["empty", "go"]);
        assert_eq!(titles(&mut s, Post::SCORES.any(4)), ["go"]);
        assert_eq!(titles(&mut s, Post::SCORES.contains(vec![3, 5])), ["rust"]);
        assert_eq!(titles(&mut s, Post::FORMATS.any(Format::Hardcover)), ["go"]);
        assert_eq!(titles(&mut s, Post::FORMATS.overlaps(vec![Format::Ebook, Format::Hardcover])), ["go", "rust"]);
        assert_eq!(titles(&mut s, Post::FLAGS.any(true)).len(), 3);
        assert_eq!(titles(&mut s, Post::DAYS.any(day(2))), ["go", "rust"]);
        assert_eq!(titles(&mut s, Post::DAYS.contains(vec![day(1)])), ["rust"]);
        assert_eq!(titles(&mut s, Post::TAGS.eq(vec!["go".to_string(), "sql".to_string()])), ["go"]);
        assert_eq!(Post::query().filter(Post::TAGS.any("sql")).count(&db.engine).unwrap(), 2);
    }
}

test_case! {
    /// MySQL has no array type: `create_all` refuses the model before sending any DDL,
    /// naming the column, and leaves the database as it was.
    fn array_columns_are_refused_on_mysql() needs(mysql) {
        let Some(db) = orm_tests::TestDb::mysql("arrays_refused") else { return };
        let err = db.engine.create_all(&[Post::table()]).unwrap_err();
        assert_eq!(err.kind(), orm_core::ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("holds an array"), "{err}");
        assert!(db.tables().is_empty(), "{:?}", db.tables());
    }
}
