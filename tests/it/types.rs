//! Every column type round-trips exactly, including NULL and hostile text.

use chrono::{NaiveDate, TimeZone, Utc};
use orm_core::{ErrorKind, QueryBuilder, params};
use orm_tests::{on_all, pg, test_case};
use rust_decimal::Decimal;

use crate::models::{Everything, Setting};

pub(crate) fn full(text: &str) -> Everything {
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let time = chrono::NaiveTime::from_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    Everything {
        id: 0,
        small: i16::MIN,
        int: i32::MAX,
        big: i64::MIN,
        real: 1.5,
        double: -2.25e300,
        flag: true,
        text: text.to_owned(),
        short_text: "twenty chars max".to_owned(),
        bytes: vec![0, 1, 2, 255, b'\'', b'\\'],
        date,
        time,
        stamp: date.and_time(time),
        stamp_tz: Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
        uuid: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        json: serde_json::json!({"a": [1, 2, {"b": null}], "quote": "'\""}),
        decimal: Decimal::new(-1_234_567_890_123, 4),
        maybe_small: Some(7),
        maybe_int: Some(-7),
        maybe_big: Some(1 << 40),
        maybe_real: Some(f32::INFINITY),
        maybe_double: Some(f64::NEG_INFINITY),
        maybe_flag: Some(false),
        maybe_text: Some(String::new()),
        maybe_bytes: Some(Vec::new()),
        maybe_date: Some(date),
        maybe_time: Some(time),
        maybe_stamp: Some(date.and_time(time)),
        maybe_stamp_tz: Some(Utc.timestamp_opt(0, 0).unwrap()),
        maybe_uuid: Some(uuid::Uuid::nil()),
        maybe_json: Some(serde_json::json!("just a string")),
        maybe_decimal: Some(Decimal::ZERO),
    }
}

/// [`full`] as `db` can store it: MySQL has no infinities, so the largest finite values
/// stand in for them there.
pub(crate) fn full_on(db: &orm_tests::TestDb, text: &str) -> Everything {
    let row = full(text);
    if db.is_mysql() {
        return Everything { maybe_real: Some(f32::MAX), maybe_double: Some(f64::MIN), ..row };
    }
    row
}

pub(crate) fn nulls() -> Everything {
    Everything {
        maybe_small: None,
        maybe_int: None,
        maybe_big: None,
        maybe_real: None,
        maybe_double: None,
        maybe_flag: None,
        maybe_text: None,
        maybe_bytes: None,
        maybe_date: None,
        maybe_time: None,
        maybe_stamp: None,
        maybe_stamp_tz: None,
        maybe_uuid: None,
        maybe_json: None,
        maybe_decimal: None,
        ..full("nulls")
    }
}

on_all! {
    fn every_type_round_trips(db) {
        db.engine.create_all(&[Everything::table()]).unwrap();
        let mut row = full_on(db, "plain");
        let id = row.insert(&db.engine).unwrap();
        assert_eq!(id, row.id);
        assert!(id > 0);
        assert_eq!(Everything::get(&db.engine, id).unwrap(), Some(row));
    }
}

on_all! {
    fn nulls_round_trip(db) {
        db.engine.create_all(&[Everything::table()]).unwrap();
        let mut row = nulls();
        let id = row.insert(&db.engine).unwrap();
        let back = Everything::get(&db.engine, id).unwrap().unwrap();
        assert_eq!(back, row);
        assert_eq!(
            Everything::query()
                .filter(Everything::MAYBE_TEXT.is_null())
                .count(&db.engine)
                .unwrap(),
            1
        );
    }
}

on_all! {
    fn every_type_round_trips_through_a_batch_insert(db) {
        // Several new rows go out as one INSERT, one array per column on PostgreSQL:
        // every type, with NULLs among the values, in arrays.
        db.engine.create_all(&[Everything::table()]).unwrap();
        let rows = vec![full_on(db, "first"), nulls(), full_on(db, "third"), nulls()];
        let mut s = db.engine.session();
        let objs = s.add_all(rows.clone());
        s.commit().unwrap();
        for (obj, mut row) in objs.iter().zip(rows) {
            row.id = obj.get().id;
            assert_eq!(Everything::get(&db.engine, row.id).unwrap(), Some(row));
        }
    }
}

/// The strings a careless ORM would splice into SQL.
pub const HOSTILE: &[&str] = &[
    "'",
    "''",
    "\"",
    "\\",
    "\\'",
    "'; DROP TABLE t; --",
    "Robert'); DROP TABLE students;--",
    "$1",
    "?",
    "%s",
    "%(name)s",
    ":name",
    "",
    " ",
    "\t\n\r",
    "naïve café – ünïcödé",
    "日本語のテキスト",
    "emoji 🦀🎉👩‍👩‍👧",
    "\u{202e}right-to-left",
    "-- comment",
    "/* comment */",
    "E'\\x00'",
];

on_all! {
    fn hostile_strings_round_trip_byte_for_byte(db) {
        db.engine
            .create_all(&[Setting::table(), Everything::table()])
            .unwrap();
        for (i, s) in HOSTILE.iter().enumerate() {
            let mut setting = Setting {
                key: format!("{i}{s}"),
                value: (*s).to_owned(),
            };
            setting.insert(&db.engine).unwrap();
            let back = Setting::get(&db.engine, format!("{i}{s}"))
                .unwrap()
                .expect(s);
            assert_eq!(back.value.as_bytes(), s.as_bytes());
            let by_value = Setting::query()
                .filter(Setting::VALUE.eq(*s))
                .all(&db.engine)
                .unwrap();
            assert!(by_value.iter().any(|b| b.key == setting.key), "{s:?}");
        }
        assert_eq!(
            Setting::query().count(&db.engine).unwrap() as usize,
            HOSTILE.len()
        );
        // The tables are still there: nothing was executed as SQL.
        assert_eq!(Everything::query().count(&db.engine).unwrap(), 0);
    }
}

on_all! {
    fn very_long_strings_round_trip(db) {
        db.engine.create_all(&[Setting::table()]).unwrap();
        let long: String = "abc'\"\\🦀".repeat(100_000);
        let mut row = Setting { key: "long".into(), value: long.clone() };
        if db.is_mysql() {
            // A `String` without a length is VARCHAR(255) on MySQL: a longer value is
            // refused, with what to declare instead; the same text in a TEXT column (as
            // `#[orm(text)]` makes it: LONGTEXT) round-trips.
            let err = row.insert(&db.engine).unwrap_err();
            assert!(err.to_string().contains("#[orm(text)]"), "{err}");
            db.engine.execute("ALTER TABLE settings MODIFY value LONGTEXT NOT NULL", &[]).unwrap();
        }
        Setting {
            key: "long".into(),
            value: long.clone(),
        }
        .insert(&db.engine)
        .unwrap();
        assert_eq!(
            Setting::get(&db.engine, "long".into())
                .unwrap()
                .unwrap()
                .value,
            long
        );
    }
}

on_all! {
    fn nul_byte_in_text_is_a_typed_encode_error(db) {
        db.engine.create_all(&[Setting::table()]).unwrap();
        let err = Setting {
            key: "k".into(),
            value: "a\0b".into(),
        }
        .insert(&db.engine)
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
        assert!(err.to_string().contains("NUL"), "{err}");
        assert_eq!(Setting::query().count(&db.engine).unwrap(), 0);
        // The same inside a batch (an array on PostgreSQL): the commit fails whole.
        let mut s = db.engine.session();
        s.add_all([("a", "fine"), ("b", "a\0b"), ("c", "fine")].map(|(key, value)| Setting {
            key: key.into(),
            value: value.into(),
        }));
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
        assert!(err.to_string().contains("NUL"), "{err}");
        assert_eq!(Setting::query().count(&db.engine).unwrap(), 0);
    }
}

test_case! {
    /// PostgreSQL only: SQLite does not enforce VARCHAR lengths.
    fn varchar_length_is_enforced_by_postgresql() needs(postgres) {
        let db = pg!("types_length");
        db.engine.create_all(&[Everything::table()]).unwrap();
        let mut row = full_on(&db, "x");
        row.short_text = "x".repeat(21);
        let err = row.insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Database);
        assert_eq!(err.sqlstate(), Some("22001"));
    }
}

test_case! {
    /// PostgreSQL only: text and integer columns are read from their bytes once the column's
    /// type is known; every text-like and integer type, NULLs, and the types that still go
    /// through `FromSql` (citext-like domains, widening) decode as before.
    fn postgresql_columns_decode_by_their_declared_types() needs(postgres) {
        let db = pg!("types_decode");
        let rows = db
            .engine
            .query_raw(
                "SELECT 'v'::varchar, 'c'::char(3), 'n'::name, 't'::text, NULL::text, \
                 (-7)::int2, 8::int4, (-9000000000)::int8, NULL::int4, true, false, 1.5::float8, 'é✓'::text",
                &[],
                |r| {
                    Ok((
                        (r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?),
                        r.get::<Option<String>>(4)?,
                        (r.get::<i16>(5)?, r.get::<i32>(6)?, r.get::<i64>(7)?, r.get::<Option<i32>>(8)?),
                        (r.get::<bool>(9)?, r.get::<bool>(10)?, r.get::<f64>(11)?, r.get::<String>(12)?),
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            rows,
            [(
                ("v".to_owned(), "c  ".to_owned(), "n".to_owned(), "t".to_owned()),
                None,
                (-7, 8, -9_000_000_000, None),
                (true, false, 1.5, "é✓".to_owned()),
            )]
        );
        // A type the direct readers do not take goes through `FromSql`, with its message.
        let err = db.engine.query_raw("SELECT 8::int4", &[], |r| r.get::<i64>(0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.to_string().contains("int4"), "{err}");
        let err = db.engine.query_raw("SELECT 8::int8", &[], |r| r.get::<String>(0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.to_string().contains("int8"), "{err}");
        let err = db.engine.query_raw("SELECT NULL::int2", &[], |r| r.get::<i16>(0)).unwrap_err();
        assert!(err.to_string().contains("make the field an Option"), "{err}");
    }
}

on_all! {
    fn decode_mismatch_names_table_column_and_both_types(db) {
        db.engine
            .execute(
                db.pick3(
                    "CREATE TABLE settings (key VARCHAR PRIMARY KEY, value INTEGER NOT NULL)",
                    "CREATE TABLE settings (key VARCHAR PRIMARY KEY, value INTEGER NOT NULL)",
                    "CREATE TABLE settings (`key` VARCHAR(80) PRIMARY KEY, value INTEGER NOT NULL)",
                ),
                &[],
            )
            .unwrap();
        db.engine
            .execute("INSERT INTO settings VALUES ('a', 1)", &[])
            .unwrap();
        let err = Setting::query().all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        let msg = err.to_string();
        assert!(msg.contains("`settings.value`"), "{msg}");
        assert!(msg.contains(db.pick3("int4", "INTEGER", "INT")), "{msg}");
        assert!(msg.contains("String"), "{msg}");
        assert_eq!(err.column(), Some("value"));
    }
}

on_all! {
    fn null_in_a_non_option_field_is_a_decode_error(db) {
        db.engine
            .execute(
                db.pick3(
                    "CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR)",
                    "CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR)",
                    "CREATE TABLE settings (`key` VARCHAR(80) PRIMARY KEY, value VARCHAR(80))",
                ),
                &[],
            )
            .unwrap();
        db.engine
            .execute("INSERT INTO settings VALUES ('a', NULL)", &[])
            .unwrap();
        let err = Setting::get(&db.engine, "a".into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(
            err.to_string().contains("make the field an Option"),
            "{err}"
        );
    }
}

on_all! {
    fn raw_queries_bind_and_decode_values(db) {
        let rows = db
            .engine
            .query_raw(
                db.pick(
                    "SELECT $1::int4 + 1, $2::text || '!', $3::bytea, $4::int8 IS NULL",
                    "SELECT ?1 + 1, ?2 || '!', ?3, ?4 IS NULL",
                ),
                params![41, "hi", vec![1u8, 2], None::<i64>],
                |r| {
                    Ok((
                        r.get::<i32>(0)?,
                        r.get::<String>(1)?,
                        r.get::<Vec<u8>>(2)?,
                        r.get::<bool>(3)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(rows, [(42, "hi!".to_owned(), vec![1, 2], true)]);
        let named = db
            .engine
            .query_raw("SELECT 5 AS five", &[], |r| r.get_by_name::<i32>("five"))
            .unwrap();
        assert_eq!(named, [5]);
        let err = db
            .engine
            .query_raw("SELECT 5 AS five", &[], |r| r.get::<i32>(3))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
    }
}
