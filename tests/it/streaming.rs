//! Streaming query results: rows built and handed over one at a time, none kept.

use orm_core::functions::count_all;
use orm_core::prelude::*;
use orm_core::{ErrorKind, Insert};
use orm_tests::on_all;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "readings")]
pub struct Reading {
    #[orm(primary_key)]
    pub id: i64,
    pub sensor: String,
    pub value: i64,
}

on_all! {
    /// 20,000 rows stream through `for_each` (objects and value tuples) with the same
    /// answers as `all()`; a closure that stops the stream stops it with its error, and the
    /// connection is ready for the next statement.
    fn rows_stream_one_at_a_time(db) {
        db.engine.create_all(&[Reading::table()]).unwrap();
        let rows = (0..20_000).map(|i| Reading::new(format!("s{}", i % 7), i));
        for chunk in rows.collect::<Vec<_>>().chunks(5_000) {
            Insert::rows(chunk.to_vec()).execute(&db.engine).unwrap();
        }
        let (mut n, mut sum) = (0, 0);
        Reading::query()
            .for_each(&db.engine, |r| {
                n += 1;
                sum += r.value;
                Ok(())
            })
            .unwrap();
        assert_eq!((n, sum), (20_000, (0..20_000).sum::<i64>()));

        let mut per_sensor = Vec::new();
        Reading::query()
            .select((Reading::SENSOR, count_all()))
            .group_by(Reading::SENSOR)
            .order_by(Reading::SENSOR)
            .for_each(&db.engine, |row| {
                per_sensor.push(row);
                Ok(())
            })
            .unwrap();
        assert_eq!(per_sensor.len(), 7);
        assert_eq!(per_sensor[0], ("s0".to_owned(), 2858));

        let mut conn = db.engine.connection().unwrap();
        let mut seen = 0;
        let err = Reading::query()
            .order_by(Reading::ID)
            .for_each(&mut conn, |_| {
                seen += 1;
                if seen == 100 { Err(orm_core::Error::custom("enough")) } else { Ok(()) }
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Custom);
        assert_eq!(seen, 100);
        assert_eq!(Reading::query().filter(Reading::ID.le(10)).count(&mut conn).unwrap(), 10);
    }
}

on_all! {
    /// Objects streamed through a session in batches: the ones the closure changes stay
    /// (and are written at commit), the others leave after their batch; objects the
    /// session held before stay attached.
    fn objects_stream_through_a_session_in_batches(db) {
        db.engine.create_all(&[Reading::table()]).unwrap();
        Insert::rows((0..5_000).map(|i| Reading::new(format!("s{}", i % 5), i))).execute(&db.engine).unwrap();
        let mut s = db.engine.session();
        let first = s.get::<Reading>(1).unwrap().expect("row 1");
        let mut batches = Vec::new();
        s.query::<Reading>()
            .order_by(Reading::ID)
            .for_each_batch(1_000, |batch| {
                batches.push(batch.len());
                for r in batch.iter().filter(|r| r.get().value % 1_000 == 999) {
                    r.get_mut().value = -1;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(batches, [1_000; 5]);
        assert_eq!(s.len(), 1 + 5, "the held object and the five changed ones");
        assert_eq!(first.state(), ObjectState::Persistent);
        s.commit().unwrap();
        assert_eq!(Reading::query().filter(Reading::VALUE.eq(-1)).count(&db.engine).unwrap(), 5);
    }
}
