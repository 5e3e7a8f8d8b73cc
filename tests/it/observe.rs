//! What operators watch (issue 28): pool statistics, slow statements logged at WARN,
//! `tracing` spans for statements and flushes; and sessions from async code
//! (`Engine::run` on tokio's blocking pool).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use orm_core::prelude::*;
use orm_core::{ErrorKind, SLOW_LOG_TARGET};
use orm_tests::on_all;

use crate::models::Program;

on_all! {
    /// Checkouts are counted; one that waits for a connection given back counts as a wait
    /// with its time, one that gives up as a timeout.
    fn pool_statistics_count_waits_and_timeouts(db, |b| b.max_size(2).checkout_timeout(Duration::from_millis(300))) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let before = db.engine.pool_stats();
        assert_eq!(before.max_size, 2);
        let first = db.engine.connection().unwrap();
        let second = db.engine.connection().unwrap();
        let busy = db.engine.pool_stats();
        assert_eq!((busy.in_use, busy.idle), (2, 0));
        assert_eq!(busy.checkouts, before.checkouts + 2);
        // Both held: a third checkout gives up after the timeout.
        let err = db.engine.connection().map(drop).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PoolTimeout, "{err}");
        assert_eq!(db.engine.pool_stats().timeouts, before.timeouts + 1);
        // One given back after 100 ms: the next checkout waited about that long. (The
        // first two may have waited too, on PostgreSQL: for their connections to open.)
        let mid = db.engine.pool_stats();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                drop(first);
            });
            let third = db.engine.connection().unwrap();
            drop(third);
        });
        let after = db.engine.pool_stats();
        assert_eq!(after.waits, mid.waits + 1, "{after:?}");
        assert!(after.wait_time >= mid.wait_time + Duration::from_millis(80), "{after:?}");
        assert!(after.max_wait >= Duration::from_millis(80), "{after:?}");
        drop(second);
        assert_eq!(db.engine.pool_stats().in_use, 0);
    }
}

on_all! {
    /// A statement over the threshold is logged at WARN under `orm::slow`, with its time
    /// and its parameters (not when hidden); below it, nothing.
    fn slow_statements_are_logged_at_warn(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let capture = crate::engine::capture();
        let every = db.engine_with(|b| b.slow_statement_threshold(Duration::ZERO));
        let hidden = db.engine_with(|b| b.slow_statement_threshold(Duration::ZERO).hide_parameters(true));
        let never = db.engine_with(|b| b.slow_statement_threshold(Duration::from_secs(3600)));
        let mark = capture.mark();
        Program::query().filter(Program::NAME.eq("slow-one")).all(&every).unwrap();
        Program::query().filter(Program::NAME.eq("slow-two")).all(&hidden).unwrap();
        Program::query().filter(Program::NAME.eq("fast")).all(&never).unwrap();
        let slow: Vec<String> =
            capture.since(mark).into_iter().filter(|(t, _)| t == SLOW_LOG_TARGET).map(|(_, m)| m).collect();
        assert_eq!(slow.len(), 2, "{slow:#?}");
        let text = slow[0].replace('`', "");
        assert!(text.starts_with("slow statement: ") && text.contains("FROM programs WHERE"), "{}", slow[0]);
        assert!(slow[0].ends_with("('slow-one',)"), "{}", slow[0]);
        assert!(slow[1].ends_with("[parameters hidden]") && !slow[1].contains("slow-two"), "{}", slow[1]);
    }
}

/// A span as the test subscriber saw it: its name and fields.
#[derive(Debug, Clone, Default)]
struct SeenSpan {
    name: String,
    fields: Vec<(String, String)>,
}

impl SeenSpan {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A `tracing` subscriber that keeps every span and the values recorded on it.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<SeenSpan>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut seen = SeenSpan { name: span.metadata().name().to_owned(), fields: Vec::new() };
        span.record(&mut Fields(&mut seen.fields));
        let mut all = self.0.lock().unwrap();
        all.push(seen);
        tracing::span::Id::from_u64(all.len() as u64)
    }
    fn record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut all = self.0.lock().unwrap();
        let index = usize::try_from(id.into_u64()).unwrap() - 1;
        values.record(&mut Fields(&mut all[index].fields));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

on_all! {
    /// With the `tracing` feature each statement is a span (its kind, table, rows, the
    /// parameters unless hidden) and a flush a span around its statements.
    fn statements_and_flushes_are_tracing_spans(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let spans = Spans::default();
        let hidden = db.engine_with(|b| b.hide_parameters(true));
        tracing::subscriber::with_default(spans.clone(), || {
            let mut s = db.engine.session();
            s.add(Program::new("traced", 3));
            s.commit().unwrap();
            let found = Program::query().filter(Program::NAME.eq("traced")).all(&hidden).unwrap();
            assert_eq!(found.len(), 1);
        });
        let seen = spans.0.lock().unwrap().clone();
        let flush = seen.iter().find(|s| s.name == "orm.flush").expect("a flush span");
        assert_eq!(flush.field("orm.committing"), Some("true"), "{flush:?}");
        let insert = seen.iter().find(|s| s.field("db.operation") == Some("INSERT")).expect("an INSERT span");
        assert_eq!(insert.field("db.sql.table"), Some("programs"), "{insert:?}");
        assert_eq!(insert.field("db.rows"), Some("1"), "{insert:?}");
        assert_eq!(insert.field("otel.status_code"), Some("OK"), "{insert:?}");
        assert!(insert.field("db.parameters").is_some_and(|p| p.contains("'traced'")), "{insert:?}");
        let select = seen.iter().rfind(|s| s.field("db.operation") == Some("SELECT")).expect("a SELECT span");
        assert_eq!(select.field("db.rows"), Some("1"), "{select:?}");
        assert_eq!(select.field("db.parameters"), None, "hidden: {select:?}");
        let system = db.pick3("postgresql", "sqlite", "mysql");
        assert_eq!(select.field("db.system"), Some(system));
    }
}

on_all! {
    /// `Engine::run` and `transaction_async` from async code: the work runs on tokio's
    /// blocking pool and its result is awaited; a transaction's work is committed.
    fn sessions_run_from_async_code(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let engine = db.engine.clone();
        let (id, name, uncommitted) = runtime.block_on(async move {
            let id = engine
                .transaction_async(|db| {
                    let p = db.add(Program::new("async", 2));
                    db.flush()?;
                    Ok(p.get().id)
                })
                .await?;
            let name = engine.run(move |db| Ok(db.get::<Program>(id)?.map(|p| p.get().name.clone()))).await?;
            // Work a closure leaves uncommitted goes with its session.
            engine.run(|db| {
                db.add(Program::new("dropped", 1));
                db.flush()
            }).await?;
            let uncommitted = engine.run(|db| db.query::<Program>().filter(Program::NAME.eq("dropped")).count()).await?;
            Ok::<_, orm_core::Error>((id, name, uncommitted))
        }).unwrap();
        assert_eq!(name.as_deref(), Some("async"));
        assert_eq!(uncommitted, 0);
        assert_eq!(Program::get(&db.engine, id).unwrap().unwrap().years_of_study, 2);
    }
}
