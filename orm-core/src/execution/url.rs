//! Database URLs: `postgres://user:password@host:port/database?options`,
//! `sqlite::memory:`, `sqlite://relative/path.db`, `sqlite:///absolute/path.db`.
//!
//! A PostgreSQL URL takes the `postgres` crate's options plus some it does not know:
//! `sslmode` with libpq's `verify-ca` and `verify-full`, `sslrootcert`, `sslcert` and
//! `sslkey` (a client certificate), and
//! `statement_cache_size` (asyncpg's and SQLAlchemy's name; `0` for transaction poolers).

#[cfg(feature = "postgres")]
use std::str::FromStr;
#[cfg(feature = "sqlite")]
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
#[cfg(feature = "sqlite")]
use crate::execution::backend::sqlite::SqliteTarget;
#[cfg(feature = "postgres")]
use crate::execution::tls::SslMode;

/// A parsed database URL.
#[derive(Debug, Clone)]
pub(crate) enum DatabaseUrl {
    #[cfg(feature = "postgres")]
    Postgres(Box<PgTarget>),
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteTarget),
    #[cfg(feature = "mysql")]
    Mysql(Box<MysqlTarget>),
}

/// A MySQL or MariaDB URL: the driver's options and the ones we read ourselves.
#[cfg(feature = "mysql")]
#[derive(Debug, Clone)]
pub(crate) struct MysqlTarget {
    /// The driver's options (host, port, user, password, database, its own settings).
    pub(crate) opts: mysql::Opts,
    pub(crate) ssl_mode: Option<crate::execution::tls::SslMode>,
    pub(crate) ssl_root_cert: Option<std::path::PathBuf>,
    pub(crate) statement_cache_size: Option<usize>,
}

/// A PostgreSQL URL: the driver's configuration and the options we read ourselves.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone)]
pub(crate) struct PgTarget {
    pub(crate) config: postgres::Config,
    pub(crate) ssl_mode: Option<SslMode>,
    pub(crate) ssl_root_cert: Option<std::path::PathBuf>,
    pub(crate) ssl_cert: Option<std::path::PathBuf>,
    pub(crate) ssl_key: Option<std::path::PathBuf>,
    pub(crate) statement_cache_size: Option<usize>,
}

/// The options a URL may carry that only PostgreSQL understands.
#[cfg(feature = "sqlite")]
const POSTGRES_ONLY: [&str; 6] = ["sslmode", "sslrootcert", "sslcert", "sslkey", "statement_cache_size", "options"];

/// `%2F` and the like, as URL query values spell them.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    if let Some(key) = query.split('&').filter_map(|p| p.split('=').next()).find(|k| POSTGRES_ONLY.contains(k)) {
        return Err(Error::bad_url(format!(
            "`{key}` in `{url}` is a PostgreSQL setting; a SQLite database is a local file, with no \
             server to encrypt the connection to or to prepare statements on: remove it"
        )));
    }
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
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (mut ssl_mode, mut ssl_root_cert, mut statement_cache_size) = (None, None, None);
    let (mut ssl_cert, mut ssl_key) = (None, None);
    let mut passed = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => ssl_mode = Some(percent_decode(value).parse::<SslMode>()?),
            "sslrootcert" => ssl_root_cert = Some(std::path::PathBuf::from(percent_decode(value))),
            "statement_cache_size" => {
                statement_cache_size = Some(percent_decode(value).parse::<usize>().map_err(|_| {
                    Error::bad_url(format!(
                        "statement_cache_size in `{shown}` must be a number of statements \
                         (0 turns prepared statements off, for transaction poolers such as PgBouncer)"
                    ))
                })?);
            }
            "sslcert" => ssl_cert = Some(std::path::PathBuf::from(percent_decode(value))),
            "sslkey" => ssl_key = Some(std::path::PathBuf::from(percent_decode(value))),
            _ => passed.push(pair),
        }
    }
    let url = if passed.is_empty() { base.to_owned() } else { format!("{base}?{}", passed.join("&")) };
    let config = postgres::Config::from_str(&url).map_err(|e| {
        Error::bad_url(format!(
            "cannot read the PostgreSQL URL `{shown}`: {e}; write postgres://user:password@host:port/database"
        ))
    })?;
    if config.get_hosts().is_empty() {
        return Err(Error::bad_url(format!(
            "the PostgreSQL URL `{shown}` names no host; write postgres://user@host:port/database"
        )));
    }
    Ok(DatabaseUrl::Postgres(Box::new(PgTarget {
        config,
        ssl_mode,
        ssl_root_cert,
        ssl_cert,
        ssl_key,
        statement_cache_size,
    })))
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

/// `mysql://user:password@host:port/database` (or `mariadb://`), with libpq's `sslmode`
/// names or MySQL's `ssl-mode` ones (`DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA`,
/// `VERIFY_IDENTITY`), `sslrootcert` / `ssl-ca`, `statement_cache_size`, and the driver's
/// own options.
#[cfg(feature = "mysql")]
fn parse_mysql(url: &str, shown: &str) -> Result<DatabaseUrl> {
    use crate::execution::tls::SslMode;
    let rest = url.split_once("://").map(|(_, rest)| rest).ok_or_else(|| {
        Error::bad_url(format!("`{shown}` is not a MySQL URL; write mysql://user:password@host:port/database"))
    })?;
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (mut ssl_mode, mut ssl_root_cert, mut statement_cache_size) = (None, None, None);
    let mut passed = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "sslmode" | "ssl-mode" | "ssl_mode" => {
                ssl_mode = Some(match value.to_ascii_uppercase().replace('-', "_").as_str() {
                    "DISABLE" | "DISABLED" => SslMode::Disable,
                    "PREFER" | "PREFERRED" => SslMode::Prefer,
                    "REQUIRE" | "REQUIRED" => SslMode::Require,
                    "VERIFY_CA" => SslMode::VerifyCa,
                    "VERIFY_FULL" | "VERIFY_IDENTITY" => SslMode::VerifyFull,
                    _ => {
                        return Err(Error::bad_url(format!(
                            "unknown ssl-mode `{value}` in `{shown}`; use DISABLED, PREFERRED, REQUIRED, \
                             VERIFY_CA or VERIFY_IDENTITY"
                        )));
                    }
                });
            }
            "sslrootcert" | "ssl-ca" | "ssl_ca" => ssl_root_cert = Some(std::path::PathBuf::from(value)),
            "sslcert" | "sslkey" | "ssl-cert" | "ssl-key" => {
                return Err(Error::unsupported(format!(
                    "`{key}` in `{shown}`: client certificates are not supported on MySQL yet; \
                     authenticate with a password (TLS still encrypts it)"
                )));
            }
            "statement_cache_size" => {
                statement_cache_size = Some(value.parse::<usize>().map_err(|_| {
                    Error::bad_url(format!("statement_cache_size in `{shown}` must be a number of statements"))
                })?);
            }
            _ => passed.push(pair),
        }
    }
    let driver_url =
        if passed.is_empty() { format!("mysql://{base}") } else { format!("mysql://{base}?{}", passed.join("&")) };
    let opts = mysql::Opts::from_url(&driver_url).map_err(|e| {
        Error::bad_url(format!(
            "cannot read the MySQL URL `{shown}`: {e}; write mysql://user:password@host:port/database"
        ))
    })?;
    if opts.get_db_name().is_none_or(str::is_empty) {
        return Err(Error::bad_url(format!(
            "the MySQL URL `{shown}` names no database; write mysql://user@host:port/database"
        )));
    }
    Ok(DatabaseUrl::Mysql(Box::new(MysqlTarget { opts, ssl_mode, ssl_root_cert, statement_cache_size })))
}

#[cfg(not(feature = "mysql"))]
fn parse_mysql(_: &str, shown: &str) -> Result<DatabaseUrl> {
    Err(Error::unsupported(format!(
        "`{shown}` is a MySQL URL, but this build of orm-core has no MySQL support; \
         enable orm-core's `mysql` feature"
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
            Some("mysql" | "mariadb") => parse_mysql(url, &shown),
            Some(other) if !other.is_empty() && url.contains("://") => Err(Error::bad_url(format!(
                "unsupported database `{other}` in `{shown}`; use postgres://user@host/database, \
                 mysql://user@host/database or sqlite://path/to/file.db"
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
        let Ok(DatabaseUrl::Postgres(t)) = DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/test") else {
            panic!("not a PostgreSQL URL")
        };
        assert_eq!(t.config.get_dbname(), Some("test"));
        assert_eq!(t.config.get_ports(), &[5432]);
        assert_eq!((t.ssl_mode, t.statement_cache_size), (None, None));
        assert!(DatabaseUrl::parse("postgresql://u:p@localhost/db").is_ok());
    }

    #[test]
    #[cfg(feature = "postgres")]
    fn reads_tls_and_statement_cache_options() {
        let url = "postgres://u@h/db?application_name=a&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem\
                   &statement_cache_size=0&connect_timeout=3";
        let Ok(DatabaseUrl::Postgres(t)) = DatabaseUrl::parse(url) else { panic!() };
        assert_eq!(t.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(t.ssl_root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert_eq!(t.statement_cache_size, Some(0));
        assert_eq!(t.config.get_application_name(), Some("a"));
        assert_eq!(t.config.get_connect_timeout(), Some(&std::time::Duration::from_secs(3)));
        for bad in ["postgres://u@h/db?sslmode=sometimes", "postgres://u@h/db?statement_cache_size=off"] {
            assert_eq!(DatabaseUrl::parse(bad).unwrap_err().kind(), ErrorKind::BadUrl, "{bad}");
        }
        let Ok(DatabaseUrl::Postgres(t)) = DatabaseUrl::parse("postgres://u@h/db?sslcert=/c.pem&sslkey=%2Fk.pem")
        else {
            panic!()
        };
        assert_eq!(t.ssl_cert.as_deref(), Some(std::path::Path::new("/c.pem")));
        assert_eq!(t.ssl_key.as_deref(), Some(std::path::Path::new("/k.pem")));
    }

    #[test]
    #[cfg(feature = "sqlite")]
    fn sqlite_urls_refuse_postgres_settings() {
        for url in ["sqlite:///tmp/a.db?sslmode=require", "sqlite::memory:?statement_cache_size=0"] {
            let e = DatabaseUrl::parse(url).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadUrl, "{url}");
            assert!(e.to_string().contains("PostgreSQL setting"), "{e}");
        }
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
        for bad in ["", "nonsense", "oracle://root@localhost/test", "postgres:/missing-slashes", "://"] {
            let e = DatabaseUrl::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadUrl, "{bad}: {e}");
        }
        #[cfg(feature = "postgres")]
        assert_eq!(DatabaseUrl::parse("postgres://u@host:notaport/db").unwrap_err().kind(), ErrorKind::BadUrl);
    }

    #[test]
    #[cfg(feature = "mysql")]
    fn parses_mysql_urls() {
        let Ok(DatabaseUrl::Mysql(t)) =
            DatabaseUrl::parse("mariadb://app:p%40ss@db:3307/shop?ssl-mode=VERIFY_IDENTITY&ssl-ca=%2Fca.pem")
        else {
            panic!("not a MySQL URL")
        };
        assert_eq!(t.ssl_mode, Some(crate::execution::tls::SslMode::VerifyFull));
        assert_eq!(t.ssl_root_cert.as_deref(), Some(std::path::Path::new("/ca.pem")));
        assert_eq!((t.opts.get_user(), t.opts.get_pass()), (Some("app"), Some("p@ss")));
        assert_eq!((t.opts.get_tcp_port(), t.opts.get_db_name()), (3307, Some("shop")));
        for bad in ["mysql://root@localhost", "mysql://root@localhost/db?ssl-mode=SOMETIMES"] {
            assert_eq!(DatabaseUrl::parse(bad).unwrap_err().kind(), ErrorKind::BadUrl, "{bad}");
        }
    }

    #[test]
    #[cfg(not(feature = "mysql"))]
    fn mysql_urls_need_the_mysql_feature() {
        let e = DatabaseUrl::parse("mysql://u:secret@host/db").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains("enable orm-core's `mysql` feature"), "{e}");
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
