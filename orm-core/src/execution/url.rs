//! Database URLs: `postgres://user:password@host:port/database?options`,
//! `sqlite::memory:`, `sqlite://relative/path.db`, `sqlite:///absolute/path.db`.

#[cfg(feature = "postgres")]
use std::str::FromStr;
#[cfg(feature = "sqlite")]
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
#[cfg(feature = "sqlite")]
use crate::execution::backend::sqlite::SqliteTarget;

/// A parsed database URL.
#[derive(Debug, Clone)]
pub(crate) enum DatabaseUrl {
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::Config>),
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteTarget),
}

#[cfg(feature = "sqlite")]
static MEMORY_DATABASES: AtomicUsize = AtomicUsize::new(0);

/// `sqlite::memory:` (or `sqlite://`, `sqlite:///:memory:`): a new in-memory database;
/// `sqlite://a/b.db`: relative path `a/b.db`; `sqlite:///a/b.db`: absolute `/a/b.db`.
#[cfg(feature = "sqlite")]
fn parse_sqlite(url: &str) -> Result<SqliteTarget> {
    let memory = || {
        let n = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
        SqliteTarget::Memory(format!("orm_memory_{}_{n}", std::process::id()))
    };
    let rest = &url["sqlite:".len()..];
    let rest = rest.split_once('?').map_or(rest, |(path, _)| path);
    if rest == ":memory:" || rest == "//" || rest == "///:memory:" || rest == "//:memory:" {
        return Ok(memory());
    }
    let Some(path) = rest.strip_prefix("//") else {
        return Err(Error::bad_url(format!(
            "`{url}` is not a SQLite URL; write sqlite::memory:, sqlite://relative/path.db \
             or sqlite:///absolute/path.db"
        )));
    };
    if path.is_empty() || path.ends_with('/') {
        return Err(Error::bad_url(format!("the SQLite URL `{url}` names no database file")));
    }
    Ok(SqliteTarget::File(std::path::PathBuf::from(path)))
}

#[cfg(feature = "postgres")]
fn parse_postgres(url: &str, shown: &str) -> Result<DatabaseUrl> {
    let config = postgres::Config::from_str(url).map_err(|e| {
        Error::bad_url(format!(
            "cannot read the PostgreSQL URL `{shown}`: {e}; write postgres://user:password@host:port/database"
        ))
    })?;
    if config.get_hosts().is_empty() {
        return Err(Error::bad_url(format!(
            "the PostgreSQL URL `{shown}` names no host; write postgres://user@host:port/database"
        )));
    }
    Ok(DatabaseUrl::Postgres(Box::new(config)))
}

#[cfg(not(feature = "postgres"))]
fn parse_postgres(_: &str, shown: &str) -> Result<DatabaseUrl> {
    Err(Error::unsupported(format!(
        "`{shown}` is a PostgreSQL URL, but this build of orm-core has no PostgreSQL support; \
         enable orm-core's `postgres` feature"
    )))
}

#[cfg(feature = "sqlite")]
fn parse_sqlite_url(url: &str, _: &str) -> Result<DatabaseUrl> {
    parse_sqlite(url).map(DatabaseUrl::Sqlite)
}

#[cfg(not(feature = "sqlite"))]
fn parse_sqlite_url(_: &str, shown: &str) -> Result<DatabaseUrl> {
    Err(Error::unsupported(format!(
        "`{shown}` is a SQLite URL, but this build of orm-core has no SQLite support; \
         enable orm-core's `sqlite` feature"
    )))
}

impl DatabaseUrl {
    pub(crate) fn parse(url: &str) -> Result<DatabaseUrl> {
        let shown = redact(url);
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => {
                if !url.contains("://") {
                    return Err(Error::bad_url(format!(
                        "`{shown}` is not a PostgreSQL URL; write postgres://user@host:port/database"
                    )));
                }
                parse_postgres(url, &shown)
            }
            Some("sqlite") => parse_sqlite_url(url, &shown),
            Some(other) if !other.is_empty() && url.contains("://") => Err(Error::bad_url(format!(
                "unsupported database `{other}` in `{shown}`; use postgres://user@host/database \
                 or sqlite://path/to/file.db"
            ))),
            _ => Err(Error::bad_url(format!(
                "`{shown}` is not a database URL; write postgres://user@host:port/database, \
                 sqlite::memory: or sqlite://path/to/file.db"
            ))),
        }
    }
}

/// The URL with its password replaced by `***`, for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => {
                format!("{}{}:***{}", &url[..scheme_end + 3], &authority[..colon], &url[scheme_end + 3 + at..])
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    #[cfg(feature = "postgres")]
    fn parses_postgres_urls() {
        let Ok(DatabaseUrl::Postgres(c)) = DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/test") else {
            panic!("not a PostgreSQL URL")
        };
        assert_eq!(c.get_dbname(), Some("test"));
        assert_eq!(c.get_ports(), &[5432]);
        assert!(DatabaseUrl::parse("postgresql://u:p@localhost/db").is_ok());
    }

    #[test]
    #[cfg(feature = "sqlite")]
    fn parses_sqlite_urls() {
        use std::path::PathBuf;
        #[allow(unreachable_patterns)]
        let target = |url| match DatabaseUrl::parse(url).unwrap() {
            DatabaseUrl::Sqlite(t) => t,
            other => panic!("{other:?}"),
        };
        assert!(matches!(target("sqlite::memory:"), SqliteTarget::Memory(_)));
        assert!(matches!(target("sqlite://"), SqliteTarget::Memory(_)));
        assert!(matches!(target("sqlite:///:memory:"), SqliteTarget::Memory(_)));
        let SqliteTarget::File(p) = target("sqlite://data/app.db") else { panic!() };
        assert_eq!(p, PathBuf::from("data/app.db"));
        let SqliteTarget::File(p) = target("sqlite:///tmp/app.db") else { panic!() };
        assert_eq!(p, PathBuf::from("/tmp/app.db"));
        for bad in ["sqlite:app.db", "sqlite:///", "sqlite://dir/"] {
            assert_eq!(DatabaseUrl::parse(bad).unwrap_err().kind(), ErrorKind::BadUrl, "{bad}");
        }
        let (SqliteTarget::Memory(a), SqliteTarget::Memory(b)) = (target("sqlite::memory:"), target("sqlite::memory:"))
        else {
            panic!()
        };
        assert_ne!(a, b, "each engine gets its own in-memory database");
    }

    #[test]
    fn rejects_bad_urls_with_bad_url_errors() {
        for bad in ["", "nonsense", "mysql://root@localhost/test", "postgres:/missing-slashes", "://"] {
            let e = DatabaseUrl::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadUrl, "{bad}: {e}");
        }
        #[cfg(feature = "postgres")]
        assert_eq!(DatabaseUrl::parse("postgres://u@host:notaport/db").unwrap_err().kind(), ErrorKind::BadUrl);
    }

    #[test]
    #[cfg(not(feature = "postgres"))]
    fn postgres_urls_need_the_postgres_feature() {
        let e = DatabaseUrl::parse("postgres://u:secret@host/db").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains("enable orm-core's `postgres` feature"), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    #[cfg(not(feature = "sqlite"))]
    fn sqlite_urls_need_the_sqlite_feature() {
        let e = DatabaseUrl::parse("sqlite::memory:").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains("enable orm-core's `sqlite` feature"), "{e}");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u:p:q@h:1/db?x=@"), "postgres://u:***@h:1/db?x=@");
    }

    #[test]
    fn bad_url_messages_hide_the_password() {
        let e = DatabaseUrl::parse("postgres://u:secret@h:99999/db").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
