//! Migration files: a directory of versions, each a directory `NNNN_name` holding an up
//! and a down step in plain SQL per backend (`up.postgresql.sql`, `down.postgresql.sql`,
//! `up.sqlite.sql`, `down.sqlite.sql`, `up.mysql.sql`, `down.mysql.sql`: one pair for
//! MySQL 8 and MariaDB), read at run time ([`Migrations::from_dir`]) or embedded into the
//! binary at compile time (`embed_migrations!("migrations")`).
//!
//! A file may carry markers on lines of their own:
//! - `-- orm: destructive: ..` (written by autogenerate): `upgrade` refuses the migration
//!   unless destructive steps are confirmed;
//! - `-- orm: no-transaction`: the statements run outside a transaction, one by one
//!   (`CREATE INDEX CONCURRENTLY` on PostgreSQL needs it). On MySQL, whose DDL commits as
//!   it runs, every step runs so.
//!
//! Statements end with a `;` at the end of a line.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::sql::dialect::Dialect;

/// One migration: its version, name and SQL per backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The version number (the directory's `NNNN`).
    pub version: i64,
    /// Its name (the directory's rest).
    pub name: String,
    /// `(file name, contents)` of its SQL files.
    files: Vec<(String, String)>,
}

/// A migration compiled into the binary by `embed_migrations!`.
#[doc(hidden)]
pub struct EmbeddedMigration {
    pub version: i64,
    pub name: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The up step.
    Up,
    /// The down step.
    Down,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl Migration {
    /// A migration from its parts (`files`: `(file name, contents)`).
    pub fn new(version: i64, name: &str, files: Vec<(String, String)>) -> Migration {
        Migration { version, name: name.to_owned(), files }
    }

    /// `0002_add_email`: the directory's name.
    pub fn id(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }

    /// The SQL of a step for a backend, if the migration has it.
    pub fn sql(&self, direction: Direction, dialect: &dyn Dialect) -> Option<&str> {
        let file = format!("{}.{}.sql", direction.word(), dialect.name());
        self.files.iter().find(|(name, _)| *name == file).map(|(_, text)| text.as_str())
    }

    /// The step's SQL, or an error naming the missing file.
    pub(crate) fn require(&self, direction: Direction, dialect: &dyn Dialect) -> Result<&str> {
        self.sql(direction, dialect).ok_or_else(|| {
            Error::migration(format!(
                "migration {} has no {}.{}.sql; write it (or generate the migration against this backend)",
                self.id(),
                direction.word(),
                dialect.name()
            ))
        })
    }

    /// The SHA-256 of the backend's up and down steps, hex: an applied migration whose
    /// files change is refused.
    pub fn checksum(&self, dialect: &dyn Dialect) -> String {
        let mut hash = Sha256::new();
        for direction in [Direction::Up, Direction::Down] {
            hash.update(self.sql(direction, dialect).unwrap_or("").as_bytes());
            hash.update([0u8]);
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The `-- orm: destructive: ..` lines of a step (an up step that drops a column, a
    /// down step that drops the table its up step created).
    pub fn destructive_steps(&self, direction: Direction, dialect: &dyn Dialect) -> Vec<String> {
        let text = self.sql(direction, dialect).unwrap_or("");
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("-- orm: destructive:"))
            .map(|s| s.trim().to_owned())
            .collect()
    }

    /// Whether a step runs outside a transaction (`-- orm: no-transaction`).
    pub fn without_transaction(&self, direction: Direction, dialect: &dyn Dialect) -> bool {
        self.sql(direction, dialect).unwrap_or("").lines().any(|l| l.trim() == "-- orm: no-transaction")
    }
}

/// The statements of a SQL file: each ends with `;` at the end of a line; comment lines
/// between them are dropped.
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        if current.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with("--")) {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.trim_end().ends_with(';') {
            let statement = current.trim().trim_end_matches(';').trim().to_owned();
            if !statement.is_empty() {
                out.push(statement);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// The migrations of an application, in version order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Migrations {
    list: Vec<Migration>,
}

impl Migrations {
    /// The migrations, in version order.
    pub fn iter(&self) -> impl Iterator<Item = &Migration> {
        self.list.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The migration with this version.
    pub fn get(&self, version: i64) -> Option<&Migration> {
        self.list.iter().find(|m| m.version == version)
    }

    /// The latest version, if any.
    pub fn head(&self) -> Option<i64> {
        self.list.last().map(|m| m.version)
    }

    /// Migrations from a list (sorted by version; two with one version are an error).
    pub fn from_list(mut list: Vec<Migration>) -> Result<Migrations> {
        list.sort_by_key(|m| m.version);
        if let Some(w) = list.windows(2).find(|w| w[0].version == w[1].version) {
            return Err(Error::migration(format!(
                "two migrations have version {}: {} and {}; renumber one",
                w[0].version,
                w[0].id(),
                w[1].id()
            )));
        }
        Ok(Migrations { list })
    }

    /// The migrations embedded by `embed_migrations!`.
    #[doc(hidden)]
    pub fn embedded(list: &'static [EmbeddedMigration]) -> Migrations {
        let list = list
            .iter()
            .map(|m| Migration {
                version: m.version,
                name: m.name.to_owned(),
                files: m.files.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect(),
            })
            .collect();
        // The macro numbered them from distinct directory names.
        Migrations::from_list(list).unwrap_or_default()
    }

    /// The migrations of a directory (missing: none yet).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrations> {
        let dir = dir.as_ref();
        let io = |e: std::io::Error, path: &Path| Error::migration(format!("cannot read {}: {e}", path.display()));
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Migrations::default()),
            Err(e) => return Err(io(e, dir)),
        };
        let mut list = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io(e, dir))?;
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let Some((version, name)) = path.file_name().and_then(|n| n.to_str()).and_then(parse_dir_name) else {
                continue;
            };
            let mut files = Vec::new();
            for file in std::fs::read_dir(&path).map_err(|e| io(e, &path))? {
                let file = file.map_err(|e| io(e, &path))?.path();
                let Some(file_name) = file.file_name().and_then(|n| n.to_str()) else { continue };
                if file_name.ends_with(".sql") {
                    let text = std::fs::read_to_string(&file).map_err(|e| io(e, &file))?;
                    files.push((file_name.to_owned(), text));
                }
            }
            files.sort();
            list.push(Migration { version, name, files });
        }
        Migrations::from_list(list)
    }

    /// Writes a new migration into `dir` (created if missing) as the next version; returns
    /// its directory.
    pub fn write(dir: impl AsRef<Path>, version: i64, name: &str, files: &[(String, String)]) -> Result<PathBuf> {
        let path = dir.as_ref().join(format!("{version:04}_{}", slug(name)));
        let io = |e: std::io::Error, path: &Path| Error::migration(format!("cannot write {}: {e}", path.display()));
        std::fs::create_dir_all(&path).map_err(|e| io(e, &path))?;
        for (file, text) in files {
            let file = path.join(file);
            std::fs::write(&file, text).map_err(|e| io(e, &file))?;
        }
        Ok(path)
    }
}

/// `0002_add_email` -> `(2, "add_email")`.
pub fn parse_dir_name(name: &str) -> Option<(i64, String)> {
    let (number, rest) = name.split_once('_')?;
    let version = number.parse().ok()?;
    Some((version, rest.to_owned()))
}

/// `Add email!` -> `add_email`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() { "migration".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_at_line_ends() {
        let sql = "-- orm: no-transaction\n\nCREATE TABLE a (\n\tx INTEGER\n);\n-- next\nINSERT INTO a VALUES (';');\n";
        assert_eq!(statements(sql), ["CREATE TABLE a (\n\tx INTEGER\n)", "INSERT INTO a VALUES (';')"]);
    }

    #[test]
    fn names_become_slugs() {
        assert_eq!(slug("Add e-mail to Users!"), "add_e_mail_to_users");
        assert_eq!(parse_dir_name("0012_add_email"), Some((12, "add_email".into())));
        assert_eq!(parse_dir_name("notes"), None);
    }
}
