//! The test runner of the test binaries (`harness = false`): libtest's command line and
//! output (through `libtest-mimic`), with tests that cannot run here reported as
//! *ignored* instead of passing.
//!
//! Tests register themselves (through `inventory`) with [`on_both!`](crate::on_both)
//! and [`test_case!`](crate::test_case), each with what it [`Need`]s. [`run`], the
//! `main` of a test binary, checks each need of the selected tests once (a connection
//! to `DATABASE_URL` for PostgreSQL, with a 5 s timeout), then:
//! - all needs met: the test runs;
//! - a need unmet: the test is ignored, and one line says why (`N PostgreSQL tests
//!   ignored: no server at ...`); run with `--include-ignored` it fails with that reason;
//! - a need unmet with `ORM_REQUIRE_POSTGRES=1` (as CI sets it): the test fails with
//!   the reason, so the run fails.
//!
//! Test names are what `#[test]` gave them (the module path within the binary, then the
//! function: `session::objects_go_through_the_states::postgres`), so filters, `--exact`,
//! `--skip` and `--list` (and with them cargo-nextest) work as before.
//!
//! libtest-mimic captures no output: what a test prints shows as it runs. A test's own
//! panic is not printed when it happens but becomes its failure message (location,
//! message and, with `RUST_BACKTRACE`, the backtrace), as libtest shows it. A panic on
//! a thread a test spawned prints its first lines only, without a backtrace (several
//! tests inject such panics on purpose).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::{database_url, mysql_required, mysql_url, postgres_required};

/// Where `initdb` and `pg_ctl` are, for tests that start a PostgreSQL server of their own.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// What a test needs besides the Rust code: its backend, or a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// A PostgreSQL server at [`database_url()`].
    Postgres,
    /// SQLite (bundled: always there; says which backend the test is about).
    Sqlite,
    /// `pg_dump` on the `PATH`.
    PgDump,
    /// `initdb` and `pg_ctl` in [`PG_BIN`], to start a server of the test's own.
    PgCtl,
    /// `pgbouncer` on the `PATH` or in `/usr/sbin` (Debian's package `pgbouncer`).
    PgBouncer,
    /// The `openssl` command, to make a CA and certificates.
    Openssl,
    /// A MySQL or MariaDB server at [`mysql_url()`](crate::mysql_url).
    Mysql,
}

impl Need {
    /// How `needs(..)` of [`test_case!`](crate::test_case) spells it.
    pub fn keyword(self) -> &'static str {
        match self {
            Need::Postgres => "postgres",
            Need::Sqlite => "sqlite",
            Need::PgDump => "pg_dump",
            Need::PgCtl => "pg_ctl",
            Need::PgBouncer => "pgbouncer",
            Need::Openssl => "openssl",
            Need::Mysql => "mysql",
        }
    }

    /// Whether a missing one fails the run (`ORM_REQUIRE_POSTGRES=1` for PostgreSQL and
    /// the programs around it, `ORM_REQUIRE_MYSQL=1` for MySQL).
    fn required(self) -> bool {
        match self {
            Need::Mysql => mysql_required(),
            _ => postgres_required(),
        }
    }

    /// The variable that makes it required.
    fn required_by(self) -> &'static str {
        match self {
            Need::Mysql => "ORM_REQUIRE_MYSQL=1",
            _ => "ORM_REQUIRE_POSTGRES=1",
        }
    }

    /// `Ok`, or why the need is not met.
    fn check(self) -> Result<(), String> {
        match self {
            Need::Postgres => {
                let url = database_url();
                orm_core::Engine::builder(&url)
                    .connect_timeout(Duration::from_secs(5))
                    .max_size(1)
                    .build()
                    .map(drop)
                    .map_err(|e| format!("no server at {} ({e})", redacted(&url)))
            }
            Need::Sqlite => Ok(()),
            Need::PgDump => match std::process::Command::new("pg_dump").arg("--version").output() {
                Ok(out) if out.status.success() => Ok(()),
                Ok(out) => Err(format!("no working pg_dump (`pg_dump --version`: {})", out.status)),
                Err(e) => Err(format!("no pg_dump on the PATH ({e})")),
            },
            Need::PgCtl => {
                let missing: Vec<&str> =
                    ["initdb", "pg_ctl"].into_iter().filter(|p| !Path::new(PG_BIN).join(p).exists()).collect();
                if missing.is_empty() { Ok(()) } else { Err(format!("no {} in {PG_BIN}", missing.join(" or "))) }
            }
            Need::PgBouncer => crate::pgbouncer::program().map(drop).ok_or_else(|| "no pgbouncer".to_owned()),
            Need::Openssl => match std::process::Command::new("openssl").arg("version").output() {
                Ok(out) if out.status.success() => Ok(()),
                _ => Err("no openssl command".to_owned()),
            },
            Need::Mysql => {
                let url = mysql_url();
                orm_core::Engine::builder(&url)
                    .connect_timeout(Duration::from_secs(5))
                    .max_size(1)
                    .build()
                    .map(drop)
                    .map_err(|e| format!("no server at {} ({e})", redacted(&url)))
            }
        }
    }

    /// What it is, as a notice names it.
    fn subject(self) -> &'static str {
        match self {
            Need::Postgres => "PostgreSQL",
            Need::Sqlite => "SQLite",
            Need::PgDump => "pg_dump",
            Need::PgCtl => "initdb/pg_ctl",
            Need::PgBouncer => "PgBouncer",
            Need::Openssl => "openssl",
            Need::Mysql => "MySQL",
        }
    }

    /// Why the tests that need it cannot run: `why` comes from [`Need::check`].
    fn reason(self, why: &str, required: bool) -> String {
        if required {
            format!("{} is required ({}), but there is {why}", self.subject(), self.required_by())
        } else {
            format!("{why}; {}, or {} to fail instead", self.hint(), self.required_by())
        }
    }

    /// `count` tests that need it, as the notice names them.
    fn tests(self, count: usize) -> String {
        let (test, need) = if count == 1 { ("test", "needs") } else { ("tests", "need") };
        match self {
            Need::Postgres => format!("{count} PostgreSQL {test}"),
            Need::Sqlite => format!("{count} SQLite {test}"),
            Need::PgDump => format!("{count} {test} that {need} pg_dump"),
            Need::PgCtl => format!("{count} {test} that {need} initdb and pg_ctl"),
            Need::PgBouncer => format!("{count} {test} that {need} PgBouncer"),
            Need::Openssl => format!("{count} {test} that {need} openssl"),
            Need::Mysql => format!("{count} MySQL {test}"),
        }
    }

    /// How to meet it.
    fn hint(self) -> &'static str {
        match self {
            Need::Postgres => "set DATABASE_URL",
            Need::Sqlite => "",
            Need::PgDump => "install the PostgreSQL client programs",
            Need::PgCtl => "install the PostgreSQL 15 server programs",
            Need::PgBouncer => "install PgBouncer (apt-get install -y pgbouncer; .ci/run does)",
            Need::Openssl => "install openssl",
            Need::Mysql => "set MYSQL_URL",
        }
    }
}

/// One registered test: `run` under the name `name` in the module `module`
/// (`module_path!()` where it was declared).
#[derive(Debug)]
pub struct TestCase {
    /// `module_path!()` of the declaration: the binary's crate, then its modules.
    pub module: &'static str,
    /// The last part of the test's name.
    pub name: &'static str,
    /// What it needs; checked in this order, the first unmet one is reported.
    pub needs: &'static [Need],
    /// The test; a panic fails it.
    pub run: fn(),
}

impl TestCase {
    /// A test case (`const`, for `inventory::submit!`).
    pub const fn new(module: &'static str, name: &'static str, needs: &'static [Need], run: fn()) -> TestCase {
        TestCase { module, name, needs, run }
    }

    /// The name `#[test]` would have given it: the module path without the crate.
    pub fn full_name(&self) -> String {
        match self.module.split_once("::") {
            Some((_crate, path)) => format!("{path}::{}", self.name),
            None => self.name.to_owned(),
        }
    }
}

inventory::collect!(TestCase);

thread_local! {
    /// The test this thread is running, if any.
    static CURRENT: Cell<Option<&'static TestCase>> = const { Cell::new(None) };
    /// The last panic of the test this thread is running: location, message, backtrace.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What the test running on this thread declared it needs; `None` outside a test run by
/// [`run`].
pub fn current_needs() -> Option<&'static [Need]> {
    CURRENT.with(Cell::get).map(|case| case.needs)
}

/// Runs the registered tests as libtest would, and exits: the `main` of a test binary
/// with `harness = false`.
pub fn run() -> ! {
    let args = Arguments::from_args();
    let mut cases: Vec<&'static TestCase> = inventory::iter::<TestCase>.into_iter().collect();
    cases.sort_by_cached_key(|case| case.full_name());
    let names: Vec<String> = cases.iter().map(|case| case.full_name()).collect();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("two tests are named {}", twice[0]);
    }

    let mut checked: BTreeMap<Need, Result<(), String>> = BTreeMap::new();
    // Per unmet need: how many selected tests it stops, and why.
    let mut unmet: BTreeMap<Need, (usize, String)> = BTreeMap::new();
    let mut trials = Vec::with_capacity(cases.len());
    for (case, name) in cases.into_iter().zip(names) {
        // Needs are checked only for the tests this run selects (a filter for SQLite
        // tests waits for no PostgreSQL connection).
        let probe = Trial::test(name.clone(), || Ok(())).with_ignored_flag(!case.needs.is_empty());
        let missing = if args.is_filtered_out(&probe) {
            None
        } else {
            case.needs.iter().find_map(|&need| {
                let status = checked.entry(need).or_insert_with(|| need.check());
                status.as_ref().err().map(|why| (need, why.clone()))
            })
        };
        let trial = match missing {
            None => Trial::test(name, move || run_case(case)),
            Some((need, why)) => {
                unmet.entry(need).or_insert_with(|| (0, why.clone())).0 += 1;
                let required = need.required();
                let message = need.reason(&why, required);
                Trial::test(name, move || Err(Failed::from(message))).with_ignored_flag(!required)
            }
        };
        trials.push(trial);
    }

    for (need, (count, why)) in &unmet {
        let required = need.required();
        let outcome = if required { "will fail" } else { "ignored" };
        let line = format!("{} {outcome}: {}", need.tests(*count), need.reason(why, required));
        // `--list` output is read by tools (cargo-nextest): the notice goes to stderr there.
        if args.list {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }

    install_panic_hook();
    libtest_mimic::run(&args, trials).exit()
}

/// Runs one test on this thread; its panic is its failure.
fn run_case(case: &'static TestCase) -> Result<(), Failed> {
    CURRENT.with(|c| c.set(Some(case)));
    PANIC.with(|p| p.borrow_mut().take());
    let result = std::panic::catch_unwind(case.run);
    CURRENT.with(|c| c.set(None));
    result.map_err(|payload| {
        let recorded = PANIC.with(|p| p.borrow_mut().take());
        let text = recorded.unwrap_or_else(|| format!("panicked: {}", payload_text(payload.as_ref())));
        Failed::from(text)
    })
}

/// On a test's own thread a panic is recorded for its failure message (a panic the test
/// catches itself is forgotten at the next one); on other threads it prints its first
/// lines.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map_or_else(|| "an unknown location".to_owned(), ToString::to_string);
        let message = payload_text(info.payload());
        if CURRENT.with(Cell::get).is_some() {
            let backtrace = std::backtrace::Backtrace::capture();
            let mut text = format!("panicked at {location}:\n{message}");
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                text.push_str(&format!("\nstack backtrace:\n{backtrace}"));
            }
            PANIC.with(|p| *p.borrow_mut() = Some(text));
        } else {
            let thread = std::thread::current();
            eprintln!("thread '{}' panicked at {location}:\n{message}", thread.name().unwrap_or("<unnamed>"));
        }
    }));
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>")
}

/// `url` with its password, if any, as `***`.
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_owned() };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redacted("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redacted("postgres://postgres@127.0.0.1:1/test"), "postgres://postgres@127.0.0.1:1/test");
        assert_eq!(redacted("postgres://h/db?user=a@b"), "postgres://h/db?user=a@b");
        assert_eq!(redacted("not a url"), "not a url");
    }

    #[test]
    fn names_drop_the_crate() {
        let case = TestCase::new("it::session::objects", "postgres", &[Need::Postgres], || {});
        assert_eq!(case.full_name(), "session::objects::postgres");
        assert_eq!(TestCase::new("examples", "bench", &[], || {}).full_name(), "bench");
    }
}
