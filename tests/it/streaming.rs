//! Streaming query results: rows built and handed over one at a time, none kept.

use orm_core::functions::count_all;
use orm_core::prelude::*;
use orm_core::{ErrorKind, Insert};
use orm_tests::on_both;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "readings")]
pub struct Reading {
    #[orm(primary_key)]
    pub id: i64,
    pub sensor: String,
    pub value: i64,
}

on_both! {
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
