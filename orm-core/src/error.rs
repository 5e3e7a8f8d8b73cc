//! The one error type of the ORM.
//!
//! Every fallible call returns [`Result`]. An [`Error`] knows its [`ErrorKind`] (for
//! matching), the constraint, table and column the database named (for constraint
//! violations), and the underlying driver error (through [`std::error::Error::source`]).
//! Its `Display` says what happened, where, and what to do about it.

use std::error::Error as StdError;
use std::fmt;

/// `Result<T, orm_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, without the details: match on this.
///
/// ```
/// # use orm_core::{Error, ErrorKind};
/// fn retry_worthy(e: &Error) -> bool {
///     matches!(e.kind(), ErrorKind::SerializationFailure | ErrorKind::ConnectionLost)
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A unique or primary-key constraint was violated (SQLSTATE 23505).
    UniqueViolation,
    /// A foreign-key constraint was violated (SQLSTATE 23503).
    ForeignKeyViolation,
    /// A NOT NULL column received NULL (SQLSTATE 23502).
    NotNullViolation,
    /// A CHECK constraint failed (SQLSTATE 23514).
    CheckViolation,
    /// The transaction could not be serialized or hit a deadlock (40001, 40P01); retry it.
    SerializationFailure,
    /// The statement was canceled, e.g. by a statement timeout (57014).
    QueryCanceled,
    /// A `nowait()` query found rows another transaction has locked (55P03).
    LockNotAvailable,
    /// The connection to the database was lost or closed.
    ConnectionLost,
    /// The server, or a pooler in front of it, refused a new connection for a reason
    /// that waiting will not fix: authentication failed, the database does not exist,
    /// TLS was refused or the certificate could not be verified, a startup parameter
    /// was rejected. Returned at once, with the server's own message.
    ConnectionRejected,
    /// No pooled connection became free within the checkout timeout.
    PoolTimeout,
    /// A query that must return a row returned none.
    NotFound,
    /// A query that must return at most one row returned more.
    MultipleRows,
    /// A database value could not be converted to the field's Rust type.
    Decode,
    /// A Rust value could not be sent to the database (e.g. a NUL byte in a string).
    Encode,
    /// The database URL could not be understood.
    BadUrl,
    /// A failed statement left the transaction aborted; call `rollback()` first.
    RollbackRequired,
    /// The schema metadata is inconsistent (e.g. a foreign-key cycle).
    Schema,
    /// An object or session was used in a way its state does not allow.
    InvalidState,
    /// The backend cannot do what was asked.
    Unsupported,
    /// A flush expected to change rows that another transaction changed or deleted.
    StaleData,
    /// A model's [`Hooks::validate`](crate::Hooks::validate) refused an object.
    Validation,
    /// A migration cannot run as asked: an applied migration's file was edited, a
    /// destructive step was not confirmed, the database is not at the version expected.
    Migration,
    /// Any other error reported by the database.
    Database,
    /// An error made by the application with [`Error::custom`].
    Custom,
}

/// The error type of every fallible operation in this crate.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    constraint: Option<String>,
    table: Option<String>,
    column: Option<String>,
    sqlstate: Option<String>,
    context: Option<String>,
    cause: Option<Box<dyn StdError + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            constraint: None,
            table: None,
            column: None,
            sqlstate: None,
            context: None,
            cause: None,
        }))
    }

    pub(crate) fn with_cause(mut self, cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Error {
        self.0.cause = Some(cause.into());
        self
    }

    /// Adds where the error happened ("while flushing Course #3"), shown before the message.
    pub(crate) fn context(mut self, context: impl Into<String>) -> Error {
        self.0.context = Some(context.into());
        self
    }

    pub(crate) fn not_found(what: impl fmt::Display) -> Error {
        Error::new(ErrorKind::NotFound, format!("no row found for {what}"))
    }

    pub(crate) fn multiple_rows(what: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::MultipleRows,
            format!("more than one row found for {what}; add a filter or use first()/all()"),
        )
    }

    pub(crate) fn invalid_state(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidState, message)
    }

    pub(crate) fn migration(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Migration, message)
    }

    pub(crate) fn schema(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Schema, message)
    }

    pub(crate) fn bad_url(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::BadUrl, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, message)
    }

    pub(crate) fn encode(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Encode, message)
    }

    /// A column value of the wrong type: names `table.column`, the SQL type and the Rust type.
    pub(crate) fn decode(table: &str, column: &str, sql_type: &str, rust_type: &str, why: &str) -> Error {
        let mut e = Error::new(
            ErrorKind::Decode,
            format!(
                "cannot decode column `{table}.{column}`: the database sent `{sql_type}` but the field is `{rust_type}`{}; \
                 change the field's type or the column's",
                if why.is_empty() { String::new() } else { format!(" ({why})") }
            ),
        );
        e.0.table = Some(table.to_owned());
        e.0.column = Some(column.to_owned());
        e
    }

    /// An error of the application's own, e.g. to abandon a transaction closure.
    ///
    /// ```
    /// let e = orm_core::Error::custom("out of stock");
    /// assert_eq!(e.kind(), orm_core::ErrorKind::Custom);
    /// assert_eq!(e.to_string(), "out of stock");
    /// ```
    pub fn custom(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Custom, message)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The constraint the database named, for constraint violations.
    pub fn constraint(&self) -> Option<&str> {
        self.0.constraint.as_deref()
    }

    /// The table the database (or the ORM) named.
    pub fn table(&self) -> Option<&str> {
        self.0.table.as_deref()
    }

    /// The column the database (or the ORM) named.
    pub fn column(&self) -> Option<&str> {
        self.0.column.as_deref()
    }

    /// The five-character SQLSTATE code, when the database reported one.
    pub fn sqlstate(&self) -> Option<&str> {
        self.0.sqlstate.as_deref()
    }

    /// Whether running the same transaction again may succeed (serialization
    /// failures, deadlocks, lost connections).
    pub fn is_retryable(&self) -> bool {
        matches!(self.0.kind, ErrorKind::SerializationFailure | ErrorKind::ConnectionLost)
    }

    /// True for unique, foreign-key, not-null and check violations.
    pub fn is_constraint_violation(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        )
    }

    pub(crate) fn set_location(&mut self, constraint: Option<&str>, table: Option<&str>, column: Option<&str>) {
        if let Some(c) = constraint {
            self.0.constraint = Some(c.to_owned());
        }
        if let Some(t) = table {
            self.0.table = Some(t.to_owned());
        }
        if let Some(c) = column {
            self.0.column = Some(c.to_owned());
        }
    }

    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn set_sqlstate(&mut self, code: &str) {
        self.0.sqlstate = Some(code.to_owned());
    }

    /// The message without context, for wrapping.
    pub(crate) fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(context) = &self.0.context {
            write!(f, "{context}: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind).field("message", &self.0.message);
        if let Some(c) = &self.0.context {
            d.field("context", c);
        }
        if let Some(c) = &self.0.constraint {
            d.field("constraint", c);
        }
        if let Some(t) = &self.0.table {
            d.field("table", t);
        }
        if let Some(c) = &self.0.column {
            d.field("column", c);
        }
        if let Some(s) = &self.0.sqlstate {
            d.field("sqlstate", s);
        }
        if let Some(c) = &self.0.cause {
            d.field("cause", c);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.cause.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_context_first() {
        let e = Error::not_found("programs.id = 3").context("while refreshing Program");
        assert_eq!(e.to_string(), "while refreshing Program: no row found for programs.id = 3");
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn decode_names_column_and_types() {
        let e = Error::decode("programs", "name", "int4", "String", "");
        assert!(e.to_string().contains("`programs.name`"));
        assert!(e.to_string().contains("`int4`"));
        assert!(e.to_string().contains("`String`"));
        assert_eq!(e.column(), Some("name"));
    }
}
