//! The test harness: every test gets a database of its own, on PostgreSQL (a schema,
//! dropped afterwards) and on SQLite (a file in a temporary directory, removed
//! afterwards), so that tests run in parallel and never see each other's tables.
//!
//! [`on_both!`] turns one test body into a test per backend; [`test_case!`] declares a
//! test of one backend or of none. Both register the test with the runner in
//! [`harness`], the `main` of the test binaries: without a PostgreSQL server the
//! PostgreSQL tests are reported as ignored, with one line that says why, unless
//! `ORM_REQUIRE_POSTGRES=1` (set by CI) makes a missing server a failure. SQLite tests
//! always run.

pub mod cluster;
pub mod harness;
pub mod pgbouncer;

#[doc(hidden)]
pub use inventory;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use harness::Need;
use orm_core::{Engine, EngineBuilder, Value};

/// `DATABASE_URL`, or the local server.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether a missing PostgreSQL server must fail the tests.
pub fn postgres_required() -> bool {
    std::env::var("ORM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// `MYSQL_URL`, or the local MariaDB server (each test makes a database of its own there).
pub fn mysql_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

/// Whether a missing MySQL server must fail the tests.
pub fn mysql_required() -> bool {
    std::env::var("ORM_REQUIRE_MYSQL").is_ok_and(|v| v == "1")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL from `DATABASE_URL`, in a schema of the test's own.
    Postgres,
    /// A SQLite file (WAL) in a temporary directory of the test's own.
    Sqlite,
    /// MySQL or MariaDB from `MYSQL_URL`, in a database of the test's own.
    Mysql,
}

/// A statement and its parameters.
pub type Statement = (String, Vec<Value>);

/// Records the statements an engine sends.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Statement>>>);

impl Recorder {
    /// The statements recorded so far.
    pub fn sql(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|(s, _)| s.clone()).collect()
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

/// A database of one test's own, with an engine on it that records its statements.
pub struct TestDb {
    /// The engine on the test's database.
    pub engine: Engine,
    /// Every statement the engine sent, with its parameters.
    pub statements: Recorder,
    /// The backend.
    pub backend: Backend,
    /// The PostgreSQL schema, the SQLite file or the MySQL database.
    pub name: String,
    url: String,
    admin: Option<Engine>,
    dir: Option<PathBuf>,
}

impl TestDb {
    /// A fresh PostgreSQL schema named after `tag`. Without a server: in a test run by
    /// [`harness::run`] a panic (the harness ignores a test that declares `needs(postgres)`
    /// before it starts); elsewhere `None`, after a skip notice, unless
    /// `ORM_REQUIRE_POSTGRES=1` makes it a panic.
    pub fn postgres(tag: &str) -> Option<TestDb> {
        TestDb::new(Backend::Postgres, tag, |b| b)
    }

    /// A fresh SQLite database file.
    pub fn sqlite(tag: &str) -> TestDb {
        TestDb::new(Backend::Sqlite, tag, |b| b).expect("SQLite is always available")
    }

    /// A fresh database on `backend`, with extra engine settings.
    pub fn new(backend: Backend, tag: &str, configure: impl FnOnce(EngineBuilder) -> EngineBuilder) -> Option<TestDb> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = format!("orm_test_{}_{n}_{}", std::process::id(), tag.to_lowercase());
        name.retain(|c| c.is_ascii_alphanumeric() || c == '_');
        name.truncate(63);
        let statements = Recorder::default();
        let recorder = statements.clone();
        // Statements are recorded as PostgreSQL spells them ($1, BEGIN), so that one
        // expected list serves both backends where only placeholders differ.
        let record = move |b: EngineBuilder| {
            b.on_statement(move |sql, params| {
                let sql = match backend {
                    Backend::Sqlite => postgres_spelling(sql),
                    Backend::Mysql => postgres_spelling(&mysql_to_postgres_quotes(sql)),
                    Backend::Postgres => sql.to_owned(),
                };
                recorder.0.lock().unwrap().push((sql, params.to_vec()))
            })
        };
        match backend {
            Backend::Postgres => {
                let url = database_url();
                let admin = match Engine::builder(&url)
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .max_size(2)
                    .build()
                {
                    Ok(engine) => engine,
                    Err(e) if harness::current_needs().is_some() => panic!("{}", missing_in_a_test(Need::Postgres, &e)),
                    Err(e) if !postgres_required() => {
                        eprintln!(
                            "SKIPPED {tag} on PostgreSQL: not reachable at {url} ({e}); set DATABASE_URL, \
                             or ORM_REQUIRE_POSTGRES=1 to fail instead"
                        );
                        return None;
                    }
                    Err(e) => panic!("PostgreSQL is required (ORM_REQUIRE_POSTGRES=1) but not reachable at {url}: {e}"),
                };
                admin.execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"), &[]).expect("drop stale schema");
                admin.execute(&format!("CREATE SCHEMA \"{name}\""), &[]).expect("create test schema");
                let builder = record(Engine::builder(&url).search_path(&name).max_size(4));
                let engine = configure(builder).build().expect("engine on the test schema");
                Some(TestDb { engine, statements, backend, name, url, admin: Some(admin), dir: None })
            }
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temporary directory");
                let url = format!("sqlite://{}", dir.join("test.db").display());
                let builder = record(Engine::builder(&url).max_size(4));
                let engine = configure(builder).build().expect("engine on the test database");
                Some(TestDb { engine, statements, backend, name, url, admin: None, dir: Some(dir) })
            }
            Backend::Mysql => {
                let server = mysql_url();
                let admin = match Engine::builder(&server)
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .max_size(2)
                    .build()
                {
                    Ok(engine) => engine,
                    Err(e) if harness::current_needs().is_some() => panic!("{}", missing_in_a_test(Need::Mysql, &e)),
                    Err(e) if !mysql_required() => {
                        eprintln!("SKIPPED {tag} on MySQL: not reachable at {server} ({e}); set MYSQL_URL");
                        return None;
                    }
                    Err(e) => panic!("MySQL is required (ORM_REQUIRE_MYSQL=1) but not reachable at {server}: {e}"),
                };
                admin.execute(&format!("DROP DATABASE IF EXISTS `{name}`"), &[]).expect("drop stale database");
                admin.execute(&format!("CREATE DATABASE `{name}`"), &[]).expect("create test database");
                let url = with_database(&server, &name);
                let builder = record(Engine::builder(&url).max_size(4));
                let engine = configure(builder).build().expect("engine on the test database");
                Some(TestDb { engine, statements, backend, name, url, admin: Some(admin), dir: None })
            }
        }
    }

    /// A fresh MySQL database. Without a server: as [`TestDb::postgres`] says, with
    /// `ORM_REQUIRE_MYSQL=1`.
    pub fn mysql(tag: &str) -> Option<TestDb> {
        TestDb::new(Backend::Mysql, tag, |b| b)
    }

    /// Whether this is the MySQL run.
    pub fn is_mysql(&self) -> bool {
        self.backend == Backend::Mysql
    }

    /// Whether this is the SQLite run.
    pub fn is_sqlite(&self) -> bool {
        self.backend == Backend::Sqlite
    }

    /// Whether this is the PostgreSQL run.
    pub fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// A statement as this backend spells it, from its PostgreSQL spelling: `$1` becomes
    /// `?1` on SQLite. (Recorded statements are already in PostgreSQL's spelling.)
    pub fn sql(&self, postgres: &str) -> String {
        match self.backend {
            Backend::Postgres => postgres.to_owned(),
            Backend::Sqlite => postgres.replace('$', "?"),
            // MySQL casts to text as CHAR.
            Backend::Mysql => postgres.replace('$', "?").replace('"', "`").replace(" AS TEXT)", " AS CHAR)"),
        }
    }

    /// One value for PostgreSQL, another for SQLite (and MySQL).
    pub fn pick<T>(&self, postgres: T, sqlite: T) -> T {
        match self.backend {
            Backend::Postgres => postgres,
            Backend::Sqlite | Backend::Mysql => sqlite,
        }
    }

    /// One value per backend: PostgreSQL, SQLite, MySQL.
    pub fn pick3<T>(&self, postgres: T, sqlite: T, mysql: T) -> T {
        match self.backend {
            Backend::Postgres => postgres,
            Backend::Sqlite => sqlite,
            Backend::Mysql => mysql,
        }
    }

    /// A URL for a program of its own on this database (examples run as processes).
    pub fn url(&self) -> String {
        match self.backend {
            Backend::Postgres => {
                let sep = if self.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}options=-c%20search_path%3D{}", self.url, self.name)
            }
            Backend::Sqlite | Backend::Mysql => self.url.clone(),
        }
    }

    /// An engine on the same database with other settings (and no recorder).
    pub fn engine_with(&self, configure: impl FnOnce(EngineBuilder) -> EngineBuilder) -> Engine {
        let builder = match self.backend {
            Backend::Postgres => Engine::builder(&self.url).search_path(&self.name).max_size(4),
            Backend::Sqlite | Backend::Mysql => Engine::builder(&self.url).max_size(4),
        };
        configure(builder).build().expect("second engine on the test database")
    }

    /// Counts the rows of a table, on a connection of its own.
    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {}", quoted(&self.engine, table));
        self.engine.query_raw(&sql, &[], |row| row.get::<i64>(0)).expect("count")[0]
    }

    /// The first column of a query as strings, on a connection of its own.
    pub fn column(&self, sql: &str, params: &[Value]) -> Vec<String> {
        self.engine.query_raw(sql, params, |row| row.get::<String>(0)).expect(sql)
    }

    /// The tables of the test's database, sorted.
    pub fn tables(&self) -> Vec<String> {
        match self.backend {
            Backend::Postgres => self.column(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
                &[Value::from(self.name.as_str())],
            ),
            Backend::Sqlite => self.column(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
                &[],
            ),
            Backend::Mysql => self.column(
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() ORDER BY 1",
                &[],
            ),
        }
    }

    /// The columns of a table, in order, as the database spells them.
    pub fn columns(&self, table: &str) -> Vec<String> {
        match self.backend {
            Backend::Postgres => self.column(
                "SELECT a.attname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 ORDER BY a.attnum",
                &[Value::from(self.name.as_str()), Value::from(table)],
            ),
            Backend::Sqlite => {
                self.column("SELECT name FROM pragma_table_info(?1) ORDER BY cid", &[Value::from(table)])
            }
            Backend::Mysql => self.column(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = ?1 ORDER BY ordinal_position",
                &[Value::from(table)],
            ),
        }
    }

    /// The names of the indexes the ORM created (and, on PostgreSQL, those behind
    /// primary keys and unique constraints), sorted.
    pub fn indexes(&self) -> Vec<String> {
        match self.backend {
            Backend::Postgres => self.column(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 ORDER BY 1",
                &[Value::from(self.name.as_str())],
            ),
            Backend::Sqlite => self.column(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
                &[],
            ),
            // A primary key's index is `PRIMARY` on MySQL: named `{table}_pkey` here, as
            // PostgreSQL names it.
            Backend::Mysql => self.column(
                "SELECT DISTINCT CASE WHEN index_name = 'PRIMARY' THEN CONCAT(table_name, '_pkey') \
                 ELSE CAST(index_name AS CHAR) END FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() ORDER BY 1",
                &[],
            ),
        }
    }

    /// The rows of a table as `a|b|c` lines, ordered by the first column.
    pub fn rows(&self, table: &str) -> Vec<String> {
        rows(&self.engine, table)
    }

    /// `pg_dump --schema-only --no-owner` of the PostgreSQL schema, normalised as the
    /// seed's reference was: comments, settings and psql meta-commands removed, the schema
    /// named `public`. Without pg_dump: in a test run by [`harness::run`] a panic (declare
    /// `needs(pg_dump)`); elsewhere `None` after a notice, unless required.
    pub fn dump_schema(&self) -> Option<String> {
        assert!(self.is_postgres(), "pg_dump works on PostgreSQL only");
        let out = match std::process::Command::new("pg_dump")
            .args(["--schema-only", "--no-owner", "-n", &self.name, &self.url])
            .output()
        {
            Ok(out) => out,
            Err(e) if harness::current_needs().is_some() => panic!("{}", missing_in_a_test(Need::PgDump, &e)),
            Err(e) if !postgres_required() => {
                eprintln!("SKIPPED pg_dump comparison: pg_dump not found ({e})");
                return None;
            }
            Err(e) => panic!("pg_dump is required: {e}"),
        };
        assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
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
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match (&self.admin, self.backend) {
            (Some(admin), Backend::Mysql) => {
                let _ = admin.execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name), &[]);
            }
            (Some(admin), _) => {
                let _ = admin.execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name), &[]);
            }
            (None, _) => {}
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A PostgreSQL database of the test's own, on the server at [`database_url()`], for
/// what a schema cannot isolate: engines that may not set `search_path` (through a
/// transaction pooler) and programs that connect by URL alone. Dropped (with its
/// connections) afterwards. Panics without a server: declare `needs(postgres)`.
pub struct ScratchDatabase {
    /// The database's name.
    pub name: String,
    admin: Engine,
}

impl ScratchDatabase {
    /// Creates `orm_db_<pid>_<n>_<tag>`.
    pub fn create(tag: &str) -> ScratchDatabase {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = format!("orm_db_{}_{n}_{}", std::process::id(), tag.to_lowercase());
        name.retain(|c| c.is_ascii_alphanumeric() || c == '_');
        name.truncate(63);
        let admin = Engine::builder(&database_url()).max_size(1).build().expect("PostgreSQL at DATABASE_URL");
        admin.execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"), &[]).expect("drop stale database");
        admin.execute(&format!("CREATE DATABASE \"{name}\""), &[]).expect("create test database");
        ScratchDatabase { name, admin }
    }

    /// [`database_url()`] with this database in place of its own.
    pub fn url(&self) -> String {
        with_database(&database_url(), &self.name)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = self.admin.execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name), &[]);
    }
}

/// `url` with its database name replaced by `database` (its options kept).
pub fn with_database(url: &str, database: &str) -> String {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = url.split_once('?').map_or((url, None), |(h, q)| (h, Some(q)));
    let path = head[authority..].find('/').map_or(head.len(), |i| authority + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{database}{query}", &head[..path])
}

/// The port of the server at [`database_url()`] (5432 when the URL names none).
pub fn database_port() -> u16 {
    let url = database_url();
    let authority = url.split("://").nth(1).unwrap_or_default().split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    host.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(5432)
}

/// The rows of a table as `a|b|c` lines, ordered by the first column (integers and
/// text; NULL as an empty field).
pub fn rows(engine: &Engine, table: &str) -> Vec<String> {
    let sql = format!("SELECT * FROM {} ORDER BY 1", quoted(engine, table));
    engine
        .query_raw(&sql, &[], |row| {
            let text = |i: usize| -> orm_core::Result<String> {
                let shown = |v: Option<String>| v.unwrap_or_default();
                row.get::<Option<i32>>(i)
                    .map(|v| shown(v.map(|v| v.to_string())))
                    .or_else(|_| row.get::<Option<i64>>(i).map(|v| shown(v.map(|v| v.to_string()))))
                    .or_else(|_| row.get::<Option<String>>(i).map(shown))
            };
            let fields: Vec<String> = (0..row.len()).map(text).collect::<orm_core::Result<_>>()?;
            Ok(fields.join("|"))
        })
        .expect("rows")
}

/// `url` with `option` (`key=value`) added to its query string.
pub fn with_option(url: &str, option: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{option}")
}

/// One test body, run once per backend: `fn name(db) { .. }` becomes the tests
/// `name::postgres` and `name::sqlite`, each with `db: &TestDb` on its own database.
/// `fn name(db, |b| b.max_size(1)) { .. }` configures the engine; `fn name(db)
/// needs(pg_dump) { .. }` adds needs (see [`test_case!`]) to the PostgreSQL test.
///
/// The tests are registered with the runner in [`harness`]: the PostgreSQL one needs a
/// server, and is ignored (or, with `ORM_REQUIRE_POSTGRES=1`, fails) without one.
#[macro_export]
macro_rules! on_both {
    () => {};
    (
        $(#[$meta:meta])*
        fn $name:ident($db:ident $(, $configure:expr)?) $(needs($($need:ident),* $(,)?))? $body:block
        $($rest:tt)*
    ) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            pub(super) fn __test_body($db: &$crate::TestDb) $body

            fn postgres() {
                let configure = |b: ::orm_core::EngineBuilder| -> ::orm_core::EngineBuilder {
                    $( let b = $crate::configure(b, $configure); )?
                    b
                };
                if let Some(db) = $crate::TestDb::new($crate::Backend::Postgres, stringify!($name), configure) {
                    __test_body(&db);
                }
            }

            fn sqlite() {
                let configure = |b: ::orm_core::EngineBuilder| -> ::orm_core::EngineBuilder {
                    $( let b = $crate::configure(b, $configure); )?
                    b
                };
                let db = $crate::TestDb::new($crate::Backend::Sqlite, stringify!($name), configure).expect("SQLite");
                __test_body(&db);
            }

            $crate::inventory::submit! {
                $crate::harness::TestCase::new(
                    module_path!(),
                    "postgres",
                    &[$crate::harness::Need::Postgres $($(, $crate::__need!($need))*)?],
                    postgres,
                )
            }
            $crate::inventory::submit! {
                $crate::harness::TestCase::new(module_path!(), "sqlite", &[$crate::harness::Need::Sqlite], sqlite)
            }
        }
        $crate::on_both! { $($rest)* }
    };
}

/// One test body, run once per backend, MySQL included: as [`on_both!`], with a third
/// test `name::mysql` on a database of its own at [`mysql_url()`] (ignored without a
/// server, or failing with `ORM_REQUIRE_MYSQL=1`).
#[macro_export]
macro_rules! on_all {
    () => {};
    (
        $(#[$meta:meta])*
        fn $name:ident($db:ident $(, $configure:expr)?) $(needs($($need:ident),* $(,)?))? $body:block
        $($rest:tt)*
    ) => {
        $crate::on_both! {
            $(#[$meta])*
            fn $name($db $(, $configure)?) $(needs($($need),*))? $body
        }
        const _: () = {
            fn mysql() {
                let configure = |b: ::orm_core::EngineBuilder| -> ::orm_core::EngineBuilder {
                    $( let b = $crate::configure(b, $configure); )?
                    b
                };
                if let Some(db) = $crate::TestDb::new($crate::Backend::Mysql, stringify!($name), configure) {
                    $name::__test_body(&db);
                }
            }
            $crate::inventory::submit! {
                $crate::harness::TestCase::new(
                    concat!(module_path!(), "::", stringify!($name)),
                    "mysql",
                    &[$crate::harness::Need::Mysql],
                    mysql,
                )
            }
        };
        $crate::on_all! { $($rest)* }
    };
}

/// Tests of one backend, or of none: each `fn name() { .. }` becomes the test `name`
/// (in the module of the declaration), registered with the runner in [`harness`].
/// `needs(..)` after the parentheses says what the test needs, so that it shows as
/// ignored where that is missing (or fails, with `ORM_REQUIRE_POSTGRES=1`):
/// `postgres` (a server at [`database_url()`]), `sqlite` (always there; says the test is
/// about SQLite), `pg_dump`, `pg_ctl` (`initdb` and `pg_ctl` in [`harness::PG_BIN`]).
///
/// ```text
/// test_case! {
///     /// PostgreSQL only: ...
///     fn statements_are_prepared_once() needs(postgres) {
///         let db = pg!("stmt_cache");
///         ...
///     }
///
///     fn engine_is_send_sync() { .. }
/// }
/// ```
#[macro_export]
macro_rules! test_case {
    () => {};
    (
        $(#[$meta:meta])*
        fn $name:ident() $(needs($($need:ident),* $(,)?))? $body:block
        $($rest:tt)*
    ) => {
        $(#[$meta])*
        fn $name() $body

        $crate::inventory::submit! {
            $crate::harness::TestCase::new(
                module_path!(),
                stringify!($name),
                &[$($($crate::__need!($need)),*)?],
                $name,
            )
        }
        $crate::test_case! { $($rest)* }
    };
}

/// A need as [`test_case!`] spells it, as a [`harness::Need`].
#[doc(hidden)]
#[macro_export]
macro_rules! __need {
    (postgres) => {
        $crate::harness::Need::Postgres
    };
    (sqlite) => {
        $crate::harness::Need::Sqlite
    };
    (pg_dump) => {
        $crate::harness::Need::PgDump
    };
    (pg_ctl) => {
        $crate::harness::Need::PgCtl
    };
    (pgbouncer) => {
        $crate::harness::Need::PgBouncer
    };
    (openssl) => {
        $crate::harness::Need::Openssl
    };
    (mysql) => {
        $crate::harness::Need::Mysql
    };
}

/// Gets a PostgreSQL [`TestDb`], for tests of what only PostgreSQL has (declared with
/// `needs(postgres)`, see [`test_case!`]). Without a server it panics in a test run by
/// [`harness::run`]; elsewhere it returns from the test after a skip notice, as
/// [`TestDb::postgres`] says.
#[macro_export]
macro_rules! pg {
    ($tag:expr) => {
        match $crate::TestDb::postgres($tag) {
            Some(db) => db,
            None => return,
        }
    };
    ($tag:expr, $configure:expr) => {
        match $crate::TestDb::new($crate::Backend::Postgres, $tag, $configure) {
            Some(db) => db,
            None => return,
        }
    };
}

/// Why a test run by the harness cannot go on without `need`: it was declared but has
/// gone since the run started, or it was not declared.
fn missing_in_a_test(need: Need, error: &dyn std::fmt::Display) -> String {
    let what = match need {
        Need::Postgres => format!("no PostgreSQL server at {} ({error})", harness::redacted(&database_url())),
        _ => format!("no {} ({error})", need.keyword()),
    };
    if harness::current_needs().unwrap_or_default().contains(&need) {
        format!("{what}, though there was when the run started")
    } else {
        format!("{what}: declare the test with `needs({})`, so that it shows as ignored without it", need.keyword())
    }
}

/// Applies engine settings given as a closure (used by [`on_both!`]).
pub fn configure(builder: EngineBuilder, f: impl FnOnce(EngineBuilder) -> EngineBuilder) -> EngineBuilder {
    f(builder)
}

/// `name` as a quoted SQL identifier, as `engine`'s database spells it.
fn quoted(engine: &Engine, name: &str) -> String {
    if engine.dialect().name() == "mysql" {
        format!("`{}`", name.replace('`', "``"))
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A MySQL statement with PostgreSQL's identifier quoting: `name` becomes `name`, or
/// `"name"` where PostgreSQL needs the quotes.
fn mysql_to_postgres_quotes(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('`') else {
            out.push_str(&rest[start..]);
            return out;
        };
        orm_core::Dialect::write_ident(&orm_core::dialect::POSTGRES, &mut out, &after[..end]);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `?1` -> `$1`, `BEGIN IMMEDIATE` -> `BEGIN`: a SQLite statement in PostgreSQL's spelling.
fn postgres_spelling(sql: &str) -> String {
    if sql == "BEGIN IMMEDIATE" {
        return "BEGIN".to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}
