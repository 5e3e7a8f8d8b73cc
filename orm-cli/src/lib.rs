//! The migration command line. An application gives it its models and its migrations
//! directory in a two-line binary, `src/bin/migrate.rs`:
//!
//! ```no_run
//! # use orm_core::prelude::*;
//! # #[derive(Model)] #[orm(table = "programs")] struct Program { #[orm(primary_key)] id: i32 }
//! fn main() -> std::process::ExitCode {
//!     orm_cli::main(&[Program::table()], concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
//! }
//! ```
//!
//! and then, with `DATABASE_URL` set:
//!
//! ```text
//! cargo run --bin migrate -- generate "add email"   # compare models and database, write a migration
//! cargo run --bin migrate -- upgrade                # apply what is pending (--allow-destructive)
//! cargo run --bin migrate -- downgrade -1           # revert the latest (or: downgrade VERSION)
//! cargo run --bin migrate -- status                 # each migration and whether it is applied
//! cargo run --bin migrate -- history                # the applied ones, when, how long
//! cargo run --bin migrate -- check                  # exit 1 when models and database differ
//! ```
//!
//! and, to start from a database that exists (no models needed: the `orm-cli` binary
//! does it too), `orm-cli models generate --out src/models.rs` writes models of its
//! tables ([`models::generate`]).
//!
//! Exit codes: 0 done, 1 the command failed (or `check` found differences), 2 the command
//! line was wrong.

pub mod models;

use std::path::PathBuf;
use std::process::ExitCode;

use orm_core::Engine;
use orm_core::metadata::TableDef;
use std::time::Duration;

use orm_core::migration::{Direction, Migration, MigrationState, Migrations, Migrator, check, generate};

/// The usage text.
pub const USAGE: &str = "\
usage: migrate [--database-url URL] [--dir DIR] COMMAND

commands:
  generate NAME          compare the models with the database and write a new migration
  upgrade [VERSION]      apply the pending migrations (up to VERSION); destructive ones
                         need --allow-destructive
  downgrade VERSION|-N   revert the migrations after VERSION (0: all), or the latest N;
                         destructive ones (a down step that drops a table) need
                         --allow-destructive
  status                 every migration and whether it is applied
  history                the applied migrations, when, and how long they took
  check                  exit with 1 when the models and the database differ
  models generate        write models of the database's tables (to --out FILE, or
                         standard output)

The database is DATABASE_URL unless --database-url is given.";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// The database URL.
    pub database_url: Option<String>,
    /// The migrations directory, when given.
    pub dir: Option<PathBuf>,
    /// Whether destructive migrations may run.
    pub allow_destructive: bool,
    /// Where `models generate` writes (standard output when not given).
    pub out: Option<PathBuf>,
    /// The command.
    pub command: Command,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Write a migration named so.
    Generate(String),
    /// Apply migrations, up to a version.
    Upgrade(Option<i64>),
    /// Revert to a version.
    DowngradeTo(i64),
    /// Revert the latest N.
    DowngradeSteps(usize),
    /// Show each migration's state.
    Status,
    /// Show the applied migrations.
    History,
    /// Compare models and database.
    Check,
    /// Write models of the database's tables.
    GenerateModels,
}

impl Args {
    /// Parses the arguments after the program's name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut database_url = None;
        let mut dir = None;
        let mut allow_destructive = false;
        let mut out = None;
        let mut words = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--database-url" => database_url = Some(args.next().ok_or("--database-url needs a URL")?),
                "--dir" => dir = Some(PathBuf::from(args.next().ok_or("--dir needs a directory")?)),
                "--allow-destructive" => allow_destructive = true,
                "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a file")?)),
                "-h" | "--help" | "help" => return Err(String::new()),
                _ => words.push(arg),
            }
        }
        // `orm-cli migrate upgrade` reads as `orm-cli upgrade`.
        if words.first().is_some_and(|w| w == "migrate") {
            words.remove(0);
        }
        let number = |w: &str| w.parse::<i64>().map_err(|_| format!("`{w}` is not a migration version"));
        let command = match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["generate", name] => Command::Generate((*name).to_owned()),
            ["generate"] => return Err("generate needs a name: generate \"add email\"".into()),
            ["upgrade"] => Command::Upgrade(None),
            ["upgrade", version] => Command::Upgrade(Some(number(version)?)),
            ["downgrade", steps] if steps.starts_with('-') => {
                Command::DowngradeSteps(steps[1..].parse().map_err(|_| format!("`{steps}` is not -N"))?)
            }
            ["downgrade", version] => Command::DowngradeTo(number(version)?),
            ["downgrade"] => return Err("downgrade needs a target: a version (0: all) or -N".into()),
            ["status"] => Command::Status,
            ["history"] => Command::History,
            ["check"] => Command::Check,
            ["models", "generate"] => Command::GenerateModels,
            ["models", ..] => return Err("models takes one command: models generate [--out FILE]".into()),
            [] => return Err("no command given".into()),
            other => return Err(format!("unknown command `{}`", other.join(" "))),
        };
        Ok(Args { database_url, dir, allow_destructive, out, command })
    }
}

/// Runs the command line of the process with `models` and the migrations directory
/// `dir` (overridden by `--dir`).
pub fn main(models: &[&'static TableDef], dir: &str) -> ExitCode {
    let mut out = std::io::stdout();
    run(models, dir, std::env::args().skip(1), &mut out)
}

/// Runs a command line, printing to `out`; errors go to stderr.
pub fn run(
    models: &[&'static TableDef],
    dir: &str,
    args: impl IntoIterator<Item = String>,
    out: &mut dyn std::io::Write,
) -> ExitCode {
    let args = match Args::parse(args) {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if e.is_empty() { 0 } else { 2 });
        }
    };
    let Some(url) = args.database_url.clone().or_else(|| std::env::var("DATABASE_URL").ok()) else {
        eprintln!("error: no database: set DATABASE_URL or pass --database-url URL");
        return ExitCode::from(2);
    };
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(dir));
    match execute(models, &dir, &url, &args, out) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn execute(
    models: &[&'static TableDef],
    dir: &std::path::Path,
    url: &str,
    args: &Args,
    out: &mut dyn std::io::Write,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let engine = Engine::builder(url).max_size(2).build()?;
    // Only `generate` may start a directory; any other command reads one.
    if !dir.is_dir() && !matches!(args.command, Command::Generate(_) | Command::Check | Command::GenerateModels) {
        eprintln!(
            "error: no migrations directory at {}: give the right one with --dir DIR, or write the first \
             migration with generate",
            dir.display()
        );
        return Ok(ExitCode::from(2));
    }
    let needs_models = || -> Result<(), Box<dyn std::error::Error>> {
        if models.is_empty() {
            return Err("this command compares the models with the database: run it from the application's \
                        migrate binary (orm_cli::main(&[Model::table(), ..], dir))"
                .into());
        }
        Ok(())
    };
    if args.command == Command::GenerateModels {
        let source = models::generate(&engine.reflect()?, &redacted(url));
        match &args.out {
            Some(path) => {
                std::fs::write(path, source).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                writeln!(out, "wrote {}", path.display())?;
            }
            None => out.write_all(source.as_bytes())?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let migrations = Migrations::from_dir(dir)?;
    let migrator = |migrations: Migrations| {
        Migrator::new(&engine, migrations)
            .allow_destructive(args.allow_destructive)
            .confirm_destructive_with("--allow-destructive")
    };
    match &args.command {
        Command::Generate(name) => {
            needs_models()?;
            match generate(&engine, models, dir, name)? {
                Some(path) => writeln!(out, "wrote {}", path.display())?,
                None => writeln!(out, "the database matches the models: nothing to write")?,
            }
        }
        Command::Upgrade(target) => {
            let migrator = migrator(migrations).on_progress(progress(&mut *out));
            let applied = migrator.upgrade(*target)?;
            drop(migrator);
            if applied.is_empty() {
                writeln!(out, "up to date")?;
            }
        }
        Command::DowngradeTo(_) | Command::DowngradeSteps(_) => {
            let migrator = migrator(migrations).on_progress(progress(&mut *out));
            let reverted = match args.command {
                Command::DowngradeTo(version) => migrator.downgrade(version)?,
                Command::DowngradeSteps(n) => migrator.downgrade_steps(n)?,
                _ => Vec::new(),
            };
            drop(migrator);
            if reverted.is_empty() {
                writeln!(out, "nothing to revert")?;
            }
        }
        Command::Status => {
            if migrations.is_empty() {
                writeln!(out, "no migrations in {}", dir.display())?;
            }
            let status = migrator(migrations).status()?;
            for s in &status {
                let state = match s.state {
                    MigrationState::Applied => "applied",
                    MigrationState::Pending => "pending",
                    MigrationState::Changed => "CHANGED since applied",
                    MigrationState::Missing => "MISSING: applied, no files",
                };
                writeln!(out, "{:<40} {state}", s.id)?;
            }
            writeln!(out, "{}", summary(&status))?;
        }
        Command::History => {
            let history = migrator(migrations).history()?;
            if history.is_empty() {
                writeln!(out, "no migrations applied")?;
            }
            for m in history {
                writeln!(out, "{:04}_{:<35} {}  {} ms", m.version, m.name, m.applied_at, m.execution_ms)?;
            }
        }
        Command::GenerateModels => {}
        Command::Check => {
            needs_models()?;
            let changes = check(&engine, models)?;
            if changes.is_empty() {
                writeln!(out, "the database matches the models")?;
            } else {
                writeln!(out, "the database differs from the models:")?;
                for change in &changes {
                    writeln!(out, "  {change}")?;
                }
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The URL without its password, for the generated file's header.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Where the database stands: `database at 0002, up to date`, `database at 0001, 1
/// pending`, `database at no migration, 2 pending`.
fn summary(status: &[orm_core::migration::MigrationStatus]) -> String {
    let latest = status.iter().filter(|s| s.state != MigrationState::Pending).map(|s| s.version).max();
    let at = latest.map_or_else(|| "no migration".to_owned(), |v| format!("{v:04}"));
    let pending = status.iter().filter(|s| s.state == MigrationState::Pending).count();
    let trouble =
        status.iter().filter(|s| matches!(s.state, MigrationState::Changed | MigrationState::Missing)).count();
    let mut line = format!("database at {at}, ");
    line.push_str(&match pending {
        0 => "up to date".to_owned(),
        n => format!("{n} pending"),
    });
    if trouble > 0 {
        line.push_str(&format!("; {trouble} changed or missing (see above)"));
    }
    line
}

/// A progress line per migration: `applied 0002_add_email in 14 ms`.
fn progress(out: &mut dyn std::io::Write) -> impl FnMut(&Migration, Direction, Duration) + '_ {
    move |m, direction, took| {
        let verb = if direction == Direction::Up { "applied" } else { "reverted" };
        let _ = writeln!(out, "{verb} {} in {} ms", m.id(), took.as_millis());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(line.split(' ').filter(|w| !w.is_empty()).map(str::to_owned))
    }

    #[test]
    fn command_lines_parse() {
        assert_eq!(parse("upgrade").unwrap().command, Command::Upgrade(None));
        assert_eq!(parse("migrate generate add_email").unwrap().command, Command::Generate("add_email".into()));
        assert!(parse("upgrade 3 --allow-destructive").unwrap().allow_destructive);
        assert_eq!(parse("downgrade -1").unwrap().command, Command::DowngradeSteps(1));
        assert_eq!(parse("downgrade 0").unwrap().command, Command::DowngradeTo(0));
        assert_eq!(parse("--dir m status").unwrap().dir, Some(PathBuf::from("m")));
        assert!(parse("generate").unwrap_err().contains("needs a name"));
        assert!(parse("launch").unwrap_err().contains("unknown command"));
        assert!(parse("upgrade x").unwrap_err().contains("not a migration version"));
        let models = parse("models generate --out src/models.rs").unwrap();
        assert_eq!((models.command, models.out), (Command::GenerateModels, Some(PathBuf::from("src/models.rs"))));
        assert_eq!(redacted("postgres://app:secret@db/app"), "postgres://app:***@db/app");
    }
}
