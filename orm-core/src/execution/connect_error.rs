//! Why a new PostgreSQL connection failed, and whether waiting could help.
//!
//! A server that cannot be reached (refused, reset, timed out) may come up within the
//! connect timeout, so `build()` keeps trying until then. A server that answered and
//! said no (authentication failed, no such database, TLS refused or unverifiable, a
//! startup parameter a pooler rejects) will say the same again: the engine returns that
//! at once, as a [`ConnectionRejected`](ErrorKind::ConnectionRejected) error with the
//! server's own message and a hint.

use std::error::Error as StdError;

use crate::error::{Error, ErrorKind};
use crate::execution::tls::SslMode;

/// Whether a failed connect is worth repeating.
pub(crate) enum Refusal {
    /// The server answered no; it will answer the same again.
    Definitive,
    /// The server could not be reached, or is starting up or full.
    Transient,
}

/// PgBouncer's messages for a pooler that cannot reach its server or is full: worth
/// waiting for, as an unreachable server is.
const POOLER_TRANSIENT: [&str; 3] =
    ["cannot connect to server", "no more connections allowed", "pgbouncer is shutting down"];

pub(crate) fn classify(e: &postgres::Error) -> Refusal {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let transient = code.starts_with("53") // insufficient resources: too many connections
            || matches!(code, "57P01" | "57P02" | "57P03") // shutting down, starting up
            || POOLER_TRANSIENT.iter().any(|m| db.message().contains(m));
        return if transient { Refusal::Transient } else { Refusal::Definitive };
    }
    // A TLS alert is the server's answer (it refused the client certificate, say), even
    // when it arrives as a read error after the handshake (TLS 1.3).
    if e.source().is_some_and(|s| s.to_string().contains("SSL alert number")) {
        return Refusal::Definitive;
    }
    let is_io = e.source().is_some_and(|s| s.is::<std::io::Error>());
    if is_io || e.is_closed() || e.to_string().contains("timeout") {
        Refusal::Transient
    } else {
        // TLS refused or unverifiable, a configuration the driver cannot use.
        Refusal::Definitive
    }
}

/// The error for a definitive refusal: what the server said, and what to check.
pub(crate) fn rejected(e: postgres::Error, shown: &str, ssl_mode: SslMode) -> Error {
    let (said, hint, code) = match e.as_db_error() {
        Some(db) => {
            let code = db.code().code().to_owned();
            let hint = match code.as_str() {
                "3D000" => "check the database name in the URL, or create the database".to_owned(),
                c if c.starts_with("28") && db.message().contains("certificate") => {
                    "the server authenticates this user by a client certificate: give sslcert and sslkey \
                     (a certificate signed by a CA in the server's ssl_ca_file, its common name the user name)"
                        .to_owned()
                }
                c if c.starts_with("28") => {
                    "check the user name and password, and the server's pg_hba.conf for this user and host".to_owned()
                }
                "08P01" if db.message().contains("startup parameter") => {
                    "a connection pooler refused a startup parameter: behind PgBouncer in transaction mode \
                     add ?statement_cache_size=0 to the URL and drop `options`, statement_timeout and \
                     search_path (set them on the role instead)"
                        .to_owned()
                }
                "42704" | "22023" => "check the settings passed in the URL's `options`".to_owned(),
                _ => db.hint().map_or_else(|| "check the URL and the server's log".to_owned(), str::to_owned),
            };
            (format!("{}: {} (SQLSTATE {code})", db.severity(), db.message()), hint, Some(code))
        }
        None => {
            // The driver's message, then each cause it names (TLS library errors).
            let mut said = e.to_string();
            let mut cause = e.source();
            while let Some(why) = cause {
                let why_text = why.to_string();
                if !said.contains(&why_text) {
                    said = format!("{said}: {why_text}");
                }
                cause = why.source();
            }
            let hint = if said.contains("does not support TLS") {
                format!(
                    "the server does not offer TLS and sslmode={ssl_mode} forbids plain text: turn `ssl` \
                     on in the server's postgresql.conf, or connect with sslmode=prefer"
                )
            } else if ["alert unknown ca", "alert bad certificate", "alert certificate required"]
                .iter()
                .any(|alert| said.contains(alert))
            {
                "the server refused the client certificate (sslcert): it must be signed by a CA in the \
                 server's ssl_ca_file and not be expired"
                    .to_owned()
            } else if said.contains("TLS") || said.contains("certificate") {
                format!(
                    "with sslmode={ssl_mode} the server's certificate must be signed by a CA in \
                     sslrootcert (or the system's){}",
                    if ssl_mode == SslMode::VerifyFull { " and name the host in the URL" } else { "" }
                )
            } else {
                "check the URL".to_owned()
            };
            (said, hint, None)
        }
    };
    let mut err = Error::new(ErrorKind::ConnectionRejected, format!("{shown} refused the connection: {said}; {hint}"));
    if let Some(code) = code {
        err.set_sqlstate(&code);
    }
    err.with_cause(e)
}
