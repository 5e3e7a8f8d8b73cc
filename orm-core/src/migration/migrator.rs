//! Applying migrations: a versions table (`orm_migrations`) with each applied migration's
//! checksum; `upgrade`, `downgrade`, `status`, `history`. Each migration runs in its own
//! transaction and is recorded in it, so a failing one leaves the database at the
//! version before. On PostgreSQL the whole run holds an advisory lock, so two deployers
//! starting at once apply each migration once; on SQLite each migration's transaction
//! takes the write lock (`BEGIN IMMEDIATE`) and reads the versions inside it.
//!
//! MySQL and MariaDB commit DDL as it runs, so there a migration cannot be undone by a
//! rollback: its statements run one by one and its version is recorded after the last;
//! when one fails the error names it and lists those that ran before it (they stay
//! applied). The whole run holds `GET_LOCK('orm_migrations_<database>')`.
//!
//! ```
//! use orm_core::migration::{Migration, Migrations, Migrator};
//! use orm_core::Engine;
//!
//! let engine = Engine::connect("sqlite::memory:")?;
//! let first = Migration::new(1, "create_notes", vec![
//!     ("up.sqlite.sql".into(), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR);".into()),
//!     ("down.sqlite.sql".into(), "DROP TABLE notes;".into()),
//! ]);
//! let migrator = Migrator::new(&engine, Migrations::from_list(vec![first])?);
//! assert_eq!(migrator.upgrade(None)?, [1]);
//! assert_eq!(migrator.current()?, Some(1));
//! assert_eq!(migrator.downgrade(0)?, [1]);
//! assert_eq!(migrator.current()?, None);
//! # Ok::<(), orm_core::Error>(())
//! ```

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::execution::connection::Connection;
use crate::execution::engine::Engine;
use crate::migration::diff::VERSIONS_TABLE;
use crate::migration::files::{Direction, Migration, Migrations, statements};
#[cfg(feature = "mysql")]
use crate::migration::mysql;
use crate::sql::dialect::Dialect;
use crate::value::Value;

/// A migration recorded as applied in the versions table.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedMigration {
    /// Its version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// The checksum of its files when it was applied.
    pub checksum: String,
    /// When it was applied, as the database wrote it.
    pub applied_at: String,
    /// How long it took, in milliseconds.
    pub execution_ms: i64,
}

/// Where a migration stands in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied, with the files it was applied from.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but its files have changed since (refused until restored).
    Changed,
    /// Applied, but no file has its version (a migration removed after it ran).
    Missing,
}

/// One line of [`Migrator::status`].
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationStatus {
    /// The version.
    pub version: i64,
    /// `0002_add_email`.
    pub id: String,
    /// Where it stands.
    pub state: MigrationState,
}

/// What is told of each migration run: the migration, which way, how long it took.
type Progress<'e> = Box<dyn FnMut(&Migration, Direction, Duration) + 'e>;

/// Runs an application's migrations against a database.
pub struct Migrator<'e> {
    engine: &'e Engine,
    migrations: Migrations,
    allow_destructive: bool,
    /// How a refused destructive migration is confirmed, as the refusal says it.
    confirm: &'static str,
    progress: RefCell<Option<Progress<'e>>>,
}

impl<'e> Migrator<'e> {
    /// A migrator of `migrations` for the engine's database.
    pub fn new(engine: &'e Engine, migrations: Migrations) -> Migrator<'e> {
        Migrator {
            engine,
            migrations,
            allow_destructive: false,
            confirm: "Migrator::allow_destructive(true)",
            progress: RefCell::new(None),
        }
    }

    /// Lets `upgrade` and `downgrade` run steps marked destructive (a dropped table or
    /// column, a narrowed type: an up step that drops a column, the down step of one that
    /// created a table); migrations with such steps are refused otherwise, before any of
    /// them runs.
    pub fn allow_destructive(mut self, allow: bool) -> Self {
        self.allow_destructive = allow;
        self
    }

    /// How the refusal of a destructive migration tells the user to confirm it: a
    /// command line passes its flag (`"--allow-destructive"`); by default the method.
    pub fn confirm_destructive_with(mut self, how: &'static str) -> Self {
        self.confirm = how;
        self
    }

    /// Calls `f` after each migration applied or reverted, with the time it took.
    pub fn on_progress(self, f: impl FnMut(&Migration, Direction, Duration) + 'e) -> Self {
        *self.progress.borrow_mut() = Some(Box::new(f));
        self
    }

    /// The migrations this migrator knows.
    pub fn migrations(&self) -> &Migrations {
        &self.migrations
    }

    /// The applied migrations, oldest first. Reads only: a database without the versions
    /// table has none applied, and is left without one.
    pub fn history(&self) -> Result<Vec<AppliedMigration>> {
        let mut conn = self.engine.connection()?;
        let (sql, params) = conn.dialect().existing_tables_query(&[VERSIONS_TABLE]);
        if conn.query_raw(&sql, &params, |_| Ok(()))?.is_empty() {
            return Ok(Vec::new());
        }
        applied(&mut conn)
    }

    /// The latest applied version (`None`: none applied).
    pub fn current(&self) -> Result<Option<i64>> {
        Ok(self.history()?.last().map(|m| m.version))
    }

    /// Every known or applied migration and where it stands.
    pub fn status(&self) -> Result<Vec<MigrationStatus>> {
        let applied = self.history()?;
        let dialect = self.engine.dialect();
        let mut out: Vec<MigrationStatus> = self
            .migrations
            .iter()
            .map(|m| {
                let state = match applied.iter().find(|a| a.version == m.version) {
                    None => MigrationState::Pending,
                    Some(a) if a.checksum == m.checksum(dialect) => MigrationState::Applied,
                    Some(_) => MigrationState::Changed,
                };
                MigrationStatus { version: m.version, id: m.id(), state }
            })
            .collect();
        for a in applied.iter().filter(|a| self.migrations.get(a.version).is_none()) {
            out.push(MigrationStatus {
                version: a.version,
                id: format!("{:04}_{}", a.version, a.name),
                state: MigrationState::Missing,
            });
        }
        out.sort_by_key(|s| s.version);
        Ok(out)
    }

    /// Applies the pending migrations up to `target` (all: `None`), each in its own
    /// transaction; returns the versions applied.
    pub fn upgrade(&self, target: Option<i64>) -> Result<Vec<i64>> {
        self.locked(|conn| {
            let dialect = conn.dialect();
            let applied = applied(conn)?;
            self.verify(&applied, conn)?;
            let latest = applied.last().map(|a| a.version);
            if let (Some(t), Some(latest)) = (target, latest)
                && t < latest
            {
                return Err(Error::migration(format!(
                    "the database is at {latest:04}, past the target {t:04}; downgrade to go back"
                )));
            }
            let pending: Vec<&Migration> = self
                .migrations
                .iter()
                .filter(|m| !applied.iter().any(|a| a.version == m.version))
                .filter(|m| target.is_none_or(|t| m.version <= t))
                .collect();
            if let Some(early) = pending.iter().find(|m| latest.is_some_and(|l| m.version < l)) {
                return Err(Error::migration(format!(
                    "migration {} is older than the applied {:04} but was never applied (merged late?); \
                     renumber it after the latest",
                    early.id(),
                    latest.unwrap_or_default()
                )));
            }
            self.refuse_destructive(&pending, Direction::Up, dialect)?;
            let mut done = Vec::new();
            for m in pending {
                if self.run(conn, m, Direction::Up)? {
                    done.push(m.version);
                }
            }
            Ok(done)
        })
    }

    /// Reverts the applied migrations above `target` (0: all), newest first, each in its
    /// own transaction; returns the versions reverted.
    pub fn downgrade(&self, target: i64) -> Result<Vec<i64>> {
        self.locked(|conn| {
            let applied = applied(conn)?;
            self.verify(&applied, conn)?;
            let mut reverted = Vec::new();
            for a in applied.iter().rev().filter(|a| a.version > target) {
                reverted.push(self.migrations.get(a.version).ok_or_else(|| {
                    Error::migration(format!("applied migration {:04}_{} has no files to revert it", a.version, a.name))
                })?);
            }
            self.refuse_destructive(&reverted, Direction::Down, conn.dialect())?;
            let mut done = Vec::new();
            for m in reverted {
                if self.run(conn, m, Direction::Down)? {
                    done.push(m.version);
                }
            }
            Ok(done)
        })
    }

    /// Reverts the latest `steps` applied migrations.
    pub fn downgrade_steps(&self, steps: usize) -> Result<Vec<i64>> {
        let applied = self.history()?;
        let keep = applied.len().saturating_sub(steps);
        let target = if keep == 0 { 0 } else { applied[keep - 1].version };
        self.downgrade(target)
    }

    /// Refuses the run when a migration it would run has a step marked destructive in
    /// that direction, unless such steps are allowed.
    fn refuse_destructive(&self, run: &[&Migration], direction: Direction, dialect: &dyn Dialect) -> Result<()> {
        if self.allow_destructive {
            return Ok(());
        }
        for m in run {
            let steps = m.destructive_steps(direction, dialect);
            if !steps.is_empty() {
                return Err(Error::migration(format!(
                    "migration {} {} is destructive ({}); nothing was run: review it, then confirm with {}",
                    m.id(),
                    match direction {
                        Direction::Up => "(up)",
                        Direction::Down => "(down)",
                    },
                    steps.join("; "),
                    self.confirm
                )));
            }
        }
        Ok(())
    }

    /// Applied migrations must match their files.
    fn verify(&self, applied: &[AppliedMigration], conn: &Connection) -> Result<()> {
        for a in applied {
            if let Some(m) = self.migrations.get(a.version)
                && m.checksum(conn.dialect()) != a.checksum
            {
                return Err(Error::migration(format!(
                    "migration {} was edited after it was applied (checksum {} in the database, {} on disk); \
                     restore it and put the change in a new migration",
                    m.id(),
                    &a.checksum[..a.checksum.len().min(12)],
                    &m.checksum(conn.dialect())[..12]
                )));
            }
        }
        Ok(())
    }

    /// Runs `f` on one connection holding the migration lock (PostgreSQL: an advisory
    /// lock per schema; MySQL: a named lock per database), with the versions table in
    /// place.
    fn locked<R>(&self, f: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        let mut conn = self.engine.connection()?;
        #[cfg(feature = "mysql")]
        if conn.dialect().name() == "mysql" {
            let lock = mysql::lock(&mut conn)?;
            let result = ensure_versions_table(&mut conn).and_then(|()| f(&mut conn));
            let released = mysql::unlock(&mut conn, &lock);
            let done = result?;
            released?;
            return Ok(done);
        }
        let postgres = conn.dialect().native_enums();
        if postgres {
            conn.query_raw(LOCK_KEY_QUERY.0, &[], |_| Ok(()))?;
        }
        let result = ensure_versions_table(&mut conn).and_then(|()| f(&mut conn));
        if postgres {
            let _ = conn.rollback();
            conn.query_raw(LOCK_KEY_QUERY.1, &[], |_| Ok(()))?;
        }
        result
    }

    /// Runs one migration's step in its own transaction (or, marked so, without one) and
    /// records it; `false` when another process had already done it.
    fn run(&self, conn: &mut Connection, m: &Migration, direction: Direction) -> Result<bool> {
        let dialect = conn.dialect();
        let sql = m.require(direction, dialect)?;
        let started = Instant::now();
        let describe = |e: Error, n: usize, statement: &str| {
            let first = statement.lines().next().unwrap_or("");
            e.context(format!("migration {} ({}), statement {n}: {first}", m.id(), word(direction)))
        };
        #[cfg(feature = "mysql")]
        if dialect.name() == "mysql" {
            // MySQL commits DDL as it runs: no transaction could undo the step. The lock
            // is held, so the versions read now stay true.
            let done = applied(conn)?.iter().any(|a| a.version == m.version);
            if done == (direction == Direction::Up) {
                return Ok(false);
            }
            mysql::run_statements(conn, m, direction, sql)?;
            conn.transaction(|conn| record(conn, m, direction, started)).map_err(|e| {
                e.context(format!(
                    "migration {} ({}) ran, but recording it in {VERSIONS_TABLE} failed; record it by hand",
                    m.id(),
                    word(direction)
                ))
            })?;
            if let Some(progress) = self.progress.borrow_mut().as_mut() {
                progress(m, direction, started.elapsed());
            }
            return Ok(true);
        }
        if m.without_transaction(direction, dialect) {
            for (n, statement) in statements(sql).iter().enumerate() {
                conn.batch_execute(statement).map_err(|e| describe(e, n + 1, statement))?;
            }
            conn.transaction(|conn| record(conn, m, direction, started))?;
        } else {
            let sqlite = dialect.name() == "sqlite";
            if sqlite {
                // The table rebuild must not cascade deletes from the dropped table; the
                // foreign keys are checked before the commit instead.
                conn.batch_execute("PRAGMA foreign_keys = OFF")?;
            }
            let outcome = conn.transaction(|conn| {
                // Another deployer may have done it while this one waited (SQLite).
                let done = applied(conn)?.iter().any(|a| a.version == m.version);
                if done == (direction == Direction::Up) {
                    return Ok(false);
                }
                for (n, statement) in statements(sql).iter().enumerate() {
                    conn.batch_execute(statement).map_err(|e| describe(e, n + 1, statement))?;
                }
                if sqlite {
                    let broken = conn.query_raw("PRAGMA foreign_key_check", &[], |row| row.get::<String>(0))?;
                    if let Some(table) = broken.first() {
                        return Err(Error::migration(format!(
                            "migration {} leaves rows of `{table}` whose foreign key points at no row; \
                             fix the data in the migration",
                            m.id()
                        )));
                    }
                }
                record(conn, m, direction, started)?;
                Ok(true)
            });
            if sqlite {
                conn.batch_execute("PRAGMA foreign_keys = ON")?;
            }
            if !outcome? {
                return Ok(false);
            }
        }
        if let Some(progress) = self.progress.borrow_mut().as_mut() {
            progress(m, direction, started.elapsed());
        }
        Ok(true)
    }
}

/// Taking and releasing PostgreSQL's advisory lock, keyed by the current schema.
const LOCK_KEY_QUERY: (&str, &str) = (
    "SELECT pg_advisory_lock(hashtext('orm_migrations.' || current_schema())::bigint)",
    "SELECT pg_advisory_unlock(hashtext('orm_migrations.' || current_schema())::bigint)",
);

fn word(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// Records (up) or forgets (down) a migration in the versions table.
fn record(conn: &mut Connection, m: &Migration, direction: Direction, started: Instant) -> Result<()> {
    match direction {
        Direction::Up => {
            let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let dialect = conn.dialect();
            let sql = format!(
                "INSERT INTO {VERSIONS_TABLE} (version, name, checksum, execution_ms) VALUES ({}, {}, {}, {})",
                placeholder(dialect, 1),
                placeholder(dialect, 2),
                placeholder(dialect, 3),
                placeholder(dialect, 4)
            );
            let params = [
                Value::I64(m.version),
                Value::from(m.name.as_str()),
                Value::from(m.checksum(conn.dialect())),
                Value::I64(ms),
            ];
            conn.execute(&sql, &params)?;
        }
        Direction::Down => {
            let sql = format!("DELETE FROM {VERSIONS_TABLE} WHERE version = {}", placeholder(conn.dialect(), 1));
            conn.execute(&sql, &[Value::I64(m.version)])?;
        }
    }
    Ok(())
}

fn placeholder(dialect: &dyn Dialect, n: usize) -> String {
    let mut out = String::new();
    dialect.write_placeholder(&mut out, n);
    out
}

/// Creates the versions table if it is missing.
fn ensure_versions_table(conn: &mut Connection) -> Result<()> {
    #[cfg(feature = "mysql")]
    if conn.dialect().name() == "mysql" {
        return conn.batch_execute(&mysql::versions_table_sql(conn.dialect().table_options()));
    }
    let applied_at = if conn.dialect().native_enums() {
        "TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()"
    } else {
        "VARCHAR NOT NULL DEFAULT CURRENT_TIMESTAMP"
    };
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (version BIGINT NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, \
         checksum VARCHAR NOT NULL, applied_at {applied_at}, execution_ms BIGINT NOT NULL)"
    ))
}

/// The applied migrations, oldest first.
fn applied(conn: &mut Connection) -> Result<Vec<AppliedMigration>> {
    let text = if conn.dialect().name() == "mysql" { "CHAR" } else { "VARCHAR" };
    conn.query_raw(
        &format!(
            "SELECT version, name, checksum, CAST(applied_at AS {text}), execution_ms FROM {VERSIONS_TABLE} \
             ORDER BY version"
        ),
        &[],
        |row| {
            Ok(AppliedMigration {
                version: row.get(0)?,
                name: row.get(1)?,
                checksum: row.get(2)?,
                applied_at: row.get(3)?,
                execution_ms: row.get(4)?,
            })
        },
    )
}
