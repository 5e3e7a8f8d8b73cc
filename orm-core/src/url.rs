//! Database URLs: `postgres://user:password@host:port/database?options`.

use std::str::FromStr;

use crate::error::{Error, Result};

/// A parsed database URL.
#[derive(Debug, Clone)]
pub(crate) enum DatabaseUrl {
    Postgres(postgres::Config),
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
                let config = postgres::Config::from_str(url).map_err(|e| {
                    Error::bad_url(format!(
                        "cannot read the PostgreSQL URL `{shown}`: {e}; \
                         write postgres://user:password@host:port/database"
                    ))
                })?;
                if config.get_hosts().is_empty() {
                    return Err(Error::bad_url(format!(
                        "the PostgreSQL URL `{shown}` names no host; write postgres://user@host:port/database"
                    )));
                }
                Ok(DatabaseUrl::Postgres(config))
            }
            Some(other) if !other.is_empty() && url.contains("://") => {
                Err(Error::bad_url(format!(
                    "unsupported database `{other}` in `{shown}`; use postgres://user@host/database"
                )))
            }
            _ => Err(Error::bad_url(format!(
                "`{shown}` is not a database URL; write postgres://user@host:port/database"
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
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end + 3],
                &authority[..colon],
                &url[scheme_end + 3 + at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn parses_postgres_urls() {
        let DatabaseUrl::Postgres(c) =
            DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert_eq!(c.get_dbname(), Some("test"));
        assert_eq!(c.get_ports(), &[5432]);
        assert!(DatabaseUrl::parse("postgresql://u:p@localhost/db").is_ok());
    }

    #[test]
    fn rejects_bad_urls_with_bad_url_errors() {
        for bad in [
            "",
            "nonsense",
            "mysql://root@localhost/test",
            "postgres://u@host:notaport/db",
            "postgres:/missing-slashes",
            "://",
        ] {
            let e = DatabaseUrl::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadUrl, "{bad}: {e}");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://u:p:q@h:1/db?x=@"),
            "postgres://u:***@h:1/db?x=@"
        );
    }

    #[test]
    fn bad_url_messages_hide_the_password() {
        let e = DatabaseUrl::parse("postgres://u:secret@h:99999/db").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
