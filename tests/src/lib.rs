//! The test harness: each PostgreSQL test gets a schema of its own, dropped afterwards,
//! so that tests run in parallel and never see each other's tables or leftovers.
//!
//! Without a server the tests print a skip notice and pass, unless
//! `ORM_REQUIRE_POSTGRES=1`, which CI sets, makes a missing server a failure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use orm_core::{Engine, EngineBuilder, Value};

/// `DATABASE_URL`, or the local server.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether a missing PostgreSQL server must fail the tests.
pub fn postgres_required() -> bool {
    std::env::var("ORM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A schema of one test's own, with an engine whose search path is that schema.
pub struct PgSchema {
    /// The engine on the test's schema.
    pub engine: Engine,
    /// The schema's name.
    pub name: String,
    admin: Engine,
    /// Every statement the engine sent, with its parameters.
    pub statements: Recorder,
}

/// A statement and its parameters.
pub type Statement = (String, Vec<Value>);

/// Records the statements an engine sends.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Statement>>>);

impl Recorder {
    /// The statements recorded so far.
    pub fn sql(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// The statements and parameters recorded so far.
    pub fn all(&self) -> Vec<Statement> {
        self.0.lock().unwrap().clone()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// Records from now on; returns the statements recorded while `f` ran.
    pub fn during<R>(&self, f: impl FnOnce() -> R) -> (R, Vec<String>) {
        self.clear();
        let r = f();
        (r, self.sql())
    }
}

impl PgSchema {
    /// A fresh schema named after `tag`, or `None` (after a skip notice) when no server
    /// answers and none is required.
    pub fn new(tag: &str) -> Option<PgSchema> {
        PgSchema::with(tag, |b| b)
    }

    /// Like [`new`](Self::new), with extra engine settings.
    pub fn with(
        tag: &str,
        configure: impl FnOnce(EngineBuilder) -> EngineBuilder,
    ) -> Option<PgSchema> {
        let url = database_url();
        let admin = match Engine::builder(&url)
            .connect_timeout(std::time::Duration::from_secs(5))
            .max_size(2)
            .build()
        {
            Ok(engine) => engine,
            Err(e) if !postgres_required() => {
                eprintln!(
                    "SKIPPED {tag}: PostgreSQL is not reachable at {url} ({e}); set DATABASE_URL, or ORM_REQUIRE_POSTGRES=1 to fail instead"
                );
                return None;
            }
            Err(e) => panic!(
                "PostgreSQL is required (ORM_REQUIRE_POSTGRES=1) but not reachable at {url}: {e}"
            ),
        };
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = format!("orm_test_{}_{n}_{}", std::process::id(), tag.to_lowercase());
        name.retain(|c| c.is_ascii_alphanumeric() || c == '_');
        name.truncate(63);
        admin
            .execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"), &[])
            .expect("drop stale schema");
        admin
            .execute(&format!("CREATE SCHEMA \"{name}\""), &[])
            .expect("create test schema");
        let statements = Recorder::default();
        let recorder = statements.clone();
        let builder = Engine::builder(&url)
            .search_path(&name)
            .max_size(4)
            .on_statement(move |sql, params| {
                recorder
                    .0
                    .lock()
                    .unwrap()
                    .push((sql.to_owned(), params.to_vec()))
            });
        let engine = configure(builder)
            .build()
            .expect("engine on the test schema");
        Some(PgSchema {
            engine,
            name,
            admin,
            statements,
        })
    }

    /// An engine on the same schema with other settings (and no recorder).
    pub fn engine_with(&self, configure: impl FnOnce(EngineBuilder) -> EngineBuilder) -> Engine {
        configure(
            Engine::builder(&database_url())
                .search_path(&self.name)
                .max_size(4),
        )
        .build()
        .expect("second engine on the test schema")
    }

    /// Runs a query on the admin connection and returns the first column as strings.
    pub fn column(&self, sql: &str, params: &[Value]) -> Vec<String> {
        self.admin
            .query_raw(sql, params, |row| row.get::<String>(0))
            .expect(sql)
    }

    /// A URL that puts a program of its own on this schema (for examples run as processes).
    pub fn url(&self) -> String {
        let url = database_url();
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-c%20search_path%3D{}", self.name)
    }

    /// `pg_dump --schema-only --no-owner` of the schema, normalised as the seed's
    /// reference was: comments, settings and psql meta-commands removed, the schema
    /// named `public`. `None` (after a notice) without pg_dump, unless required.
    pub fn dump_schema(&self) -> Option<String> {
        let out = match std::process::Command::new("pg_dump")
            .args([
                "--schema-only",
                "--no-owner",
                "-n",
                &self.name,
                &database_url(),
            ])
            .output()
        {
            Ok(out) => out,
            Err(e) if !postgres_required() => {
                eprintln!("SKIPPED pg_dump comparison: pg_dump not found ({e})");
                return None;
            }
            Err(e) => panic!("pg_dump is required: {e}"),
        };
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8 dump");
        let prefix = format!("{}.", self.name);
        let lines: Vec<String> = text
            .lines()
            .filter(|l| {
                !(l.is_empty()
                    || l.starts_with("--")
                    || l.starts_with("SET ")
                    || l.starts_with("SELECT pg_catalog.")
                    || l.starts_with('\\')
                    || l.starts_with("CREATE SCHEMA"))
            })
            .map(|l| l.replace(&prefix, "public."))
            .collect();
        Some(lines.join("\n") + "\n")
    }

    /// The rows of a table as `a|b|c` lines ordered by the first column, as psql -At prints them.
    pub fn rows(&self, table: &str) -> Vec<String> {
        let sql = format!(
            "SELECT t::text FROM \"{}\".\"{table}\" t ORDER BY 1",
            self.name
        );
        let rows = self.column(&sql, &[]);
        let mut rows: Vec<(i64, String)> = rows
            .into_iter()
            .map(|r| {
                let inner = r.trim_start_matches('(').trim_end_matches(')').to_owned();
                let fields: Vec<String> = split_record(&inner);
                (fields[0].parse().unwrap_or(0), fields.join("|"))
            })
            .collect();
        rows.sort();
        rows.into_iter().map(|(_, r)| r).collect()
    }

    /// Counts the rows of a table in the test schema, from a connection of its own.
    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM \"{}\".\"{table}\"", self.name);
        self.admin
            .query_raw(&sql, &[], |row| row.get::<i64>(0))
            .expect("count")[0]
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = self.admin.execute(
            &format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name),
            &[],
        );
    }
}

/// Gets a [`PgSchema`] or returns from the test (after a skip notice).
#[macro_export]
macro_rules! pg {
    ($tag:expr) => {
        match $crate::PgSchema::new($tag) {
            Some(schema) => schema,
            None => return,
        }
    };
    ($tag:expr, $configure:expr) => {
        match $crate::PgSchema::with($tag, $configure) {
            Some(schema) => schema,
            None => return,
        }
    };
}

/// Splits a PostgreSQL record literal's inside (`1,"a b",3`) into its fields.
fn split_record(inner: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}
