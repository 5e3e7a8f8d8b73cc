//! TLS for PostgreSQL connections, as libpq configures it: `sslmode`, `sslrootcert`, and
//! a client certificate (`sslcert` and `sslkey`) for servers that authenticate by it.
//!
//! The handshake is done by the platform's TLS library (OpenSSL on Linux, Secure
//! Transport on macOS, SChannel on Windows) through `native-tls` and `postgres-native-tls`,
//! the TLS adapter maintained beside the `postgres` crate (orm-core's `tls` feature, on by
//! default). Without that feature only `disable` and `prefer` (which then never encrypts)
//! are possible.

#[cfg(feature = "postgres")]
use std::path::Path;

use crate::error::{Error, Result};

/// How a PostgreSQL connection uses TLS: libpq's `sslmode`, set in the URL
/// (`?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem`) or with
/// [`EngineBuilder::ssl_mode`](crate::EngineBuilder::ssl_mode).
///
/// ```
/// use orm_core::SslMode;
/// assert_eq!("verify-full".parse::<SslMode>().unwrap(), SslMode::VerifyFull);
/// assert_eq!(SslMode::default(), SslMode::Prefer);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Never encrypt.
    Disable,
    /// Encrypt when the server offers TLS, without checking its certificate; plain text
    /// when it does not (libpq's default).
    #[default]
    Prefer,
    /// Always encrypt, never fall back to plain text; the certificate is not checked
    /// unless `sslrootcert` is given (then as [`VerifyCa`](SslMode::VerifyCa), as libpq does).
    Require,
    /// Always encrypt, and check that a trusted CA signed the server's certificate
    /// (the CAs in `sslrootcert`, else the system's).
    VerifyCa,
    /// As `VerifyCa`, and check that the certificate names the host connected to.
    VerifyFull,
}

impl SslMode {
    /// The name libpq gives the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl std::str::FromStr for SslMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::bad_url(format!(
                    "unknown sslmode `{other}`; use disable, prefer, require, verify-ca or verify-full"
                )));
            }
        })
    }
}

impl std::fmt::Display for SslMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the connection manager is handed: the driver's own mode and the connector.
#[cfg(feature = "postgres")]
pub(crate) struct TlsSetup {
    pub(crate) driver_mode: postgres::config::SslMode,
    pub(crate) connector: Connector,
}

/// The TLS connector of the `postgres` crate that the engine's connections use.
#[cfg(all(feature = "postgres", feature = "tls"))]
pub(crate) type Connector = postgres_native_tls::MakeTlsConnector;
/// Without the `tls` feature, connections are never encrypted.
#[cfg(all(feature = "postgres", not(feature = "tls")))]
pub(crate) type Connector = postgres::NoTls;

/// Where the TLS settings of a connection come from: the URL's or the builder's.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TlsFiles<'a> {
    /// The CAs trusted to sign the server's certificate (`sslrootcert`).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) root_cert: Option<&'a Path>,
    /// The client's certificate (`sslcert`), PEM.
    pub(crate) client_cert: Option<&'a Path>,
    /// The client certificate's private key (`sslkey`), PEM (PKCS#8).
    pub(crate) client_key: Option<&'a Path>,
}

/// The connector for `mode`, trusting the CAs in the PEM file `files.root_cert` (or the
/// system's when `None`, or when it is libpq's `system`), presenting the client
/// certificate of `files` when given.
#[cfg(all(feature = "postgres", feature = "tls"))]
pub(crate) fn setup(mode: SslMode, files: TlsFiles<'_>) -> Result<TlsSetup> {
    let root_cert = files.root_cert;
    use postgres::config::SslMode as Driver;
    let root_cert = root_cert.filter(|p| p.as_os_str() != "system");
    // libpq: `require` with a root certificate given behaves as `verify-ca`.
    let mode = if mode == SslMode::Require && root_cert.is_some() { SslMode::VerifyCa } else { mode };
    let pem = match (root_cert, mode) {
        (Some(path), SslMode::VerifyCa | SslMode::VerifyFull) => Some(read_pem(path)?),
        _ => None,
    };
    let driver_mode = match mode {
        SslMode::Disable => Driver::Disable,
        SslMode::Prefer => Driver::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
    };
    let client = client_identity(mode, files)?;
    Ok(TlsSetup { driver_mode, connector: postgres_native_tls::MakeTlsConnector::new(connector(mode, pem, client)?) })
}

/// The client certificate and key of `files` (PEM texts), or none; both or neither.
#[cfg(all(feature = "postgres", feature = "tls"))]
fn client_identity(mode: SslMode, files: TlsFiles<'_>) -> Result<Option<(String, String)>> {
    let (cert, key) = match (files.client_cert, files.client_key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        (Some(_), None) => {
            return Err(Error::bad_url(
                "sslcert is given without sslkey: give the client certificate's private key too",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::bad_url("sslkey is given without sslcert: give the client certificate too"));
        }
    };
    if mode == SslMode::Disable {
        return Err(Error::bad_url(
            "sslcert and sslkey present a client certificate over TLS, which sslmode=disable turns off;              use sslmode=require or stronger",
        ));
    }
    let read = |path: &Path, what: &str| {
        std::fs::read_to_string(path).map_err(|e| {
            Error::bad_url(format!("cannot read {what} `{}`: {e}; give the path of a PEM file", path.display()))
        })
    };
    let (cert_pem, key_pem) = (read(cert, "sslcert")?, read(key, "sslkey")?);
    if !cert_pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::bad_url(format!(
            "sslcert `{}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            cert.display()
        )));
    }
    if !key_pem.contains("-----BEGIN PRIVATE KEY-----") {
        let found = if key_pem.contains("ENCRYPTED PRIVATE KEY") {
            "an encrypted key"
        } else if key_pem.contains("-----BEGIN RSA PRIVATE KEY-----")
            || key_pem.contains("-----BEGIN EC PRIVATE KEY-----")
        {
            "a key in the traditional (PKCS#1 / SEC1) format"
        } else {
            "no PEM private key"
        };
        return Err(Error::bad_url(format!(
            "sslkey `{}` holds {found}; give an unencrypted PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----), e.g. \
             `openssl pkcs8 -topk8 -nocrypt -in {} -out client.pk8.key`",
            key.display(),
            key.display()
        )));
    }
    Ok(Some((cert_pem, key_pem)))
}

/// Connectors made so far, by mode, root certificates and client certificate: making one
/// reads the system's CA certificates (OpenSSL does, twice, whatever the mode: about
/// 150 ms of CPU), which a process should pay once, not at every engine it builds.
#[cfg(all(feature = "postgres", feature = "tls"))]
type Made = Vec<(SslMode, Option<String>, Option<(String, String)>, native_tls::TlsConnector)>;
#[cfg(all(feature = "postgres", feature = "tls"))]
static CONNECTORS: std::sync::Mutex<Made> = std::sync::Mutex::new(Vec::new());

/// The TLS connector for `mode`, trusting the CA certificates of `pem` when given and
/// presenting `client` (certificate and key, PEM) when given.
#[cfg(all(feature = "postgres", feature = "tls"))]
fn connector(mode: SslMode, pem: Option<String>, client: Option<(String, String)>) -> Result<native_tls::TlsConnector> {
    let mut made = CONNECTORS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((.., connector)) = made.iter().find(|(m, p, c, _)| *m == mode && *p == pem && *c == client) {
        return Ok(connector.clone());
    }
    let mut builder = native_tls::TlsConnector::builder();
    match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => {
            builder.danger_accept_invalid_certs(true).danger_accept_invalid_hostnames(true);
        }
        SslMode::VerifyCa => {
            builder.danger_accept_invalid_hostnames(true);
        }
        SslMode::VerifyFull => {}
    }
    if let Some(pem) = &pem {
        builder.disable_built_in_roots(true);
        for cert in certificates(pem)? {
            builder.add_root_certificate(cert);
        }
    }
    if let Some((cert, key)) = &client {
        let identity = native_tls::Identity::from_pkcs8(cert.as_bytes(), key.as_bytes()).map_err(|e| {
            Error::bad_url(format!(
                "the client certificate (sslcert) and key (sslkey) cannot be used together: {e}; \
                 check that the key is the certificate's"
            ))
            .with_cause(e)
        })?;
        builder.identity(identity);
    }
    let connector = builder.build().map_err(|e| {
        if e.to_string().contains("key values mismatch") {
            Error::bad_url(format!(
                "the client certificate (sslcert) and key (sslkey) do not belong together ({e}); \
                 check that the key is the certificate's"
            ))
        } else {
            Error::unsupported(format!("cannot set up TLS ({e}); check the system's TLS library and certificates"))
        }
        .with_cause(e)
    })?;
    made.push((mode, pem, client, connector.clone()));
    Ok(connector)
}

/// Without the `tls` feature: `disable` and `prefer` connect in plain text, the others
/// are refused (they promise encryption).
#[cfg(all(feature = "postgres", not(feature = "tls")))]
pub(crate) fn setup(mode: SslMode, files: TlsFiles<'_>) -> Result<TlsSetup> {
    use postgres::config::SslMode as Driver;
    if files.client_cert.is_some() || files.client_key.is_some() {
        return Err(Error::unsupported(
            "sslcert and sslkey need TLS, but this build of orm-core has none; enable orm-core's `tls` feature",
        ));
    }
    match mode {
        SslMode::Disable | SslMode::Prefer => Ok(TlsSetup { driver_mode: Driver::Disable, connector: postgres::NoTls }),
        other => Err(Error::unsupported(format!(
            "sslmode={other} needs TLS, but this build of orm-core has none; enable orm-core's `tls` feature"
        ))),
    }
}

/// The text of the PEM file `path`.
#[cfg(all(feature = "postgres", feature = "tls"))]
fn read_pem(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::bad_url(format!("cannot read sslrootcert `{}`: {e}; give the path of the CA's PEM file", path.display()))
    })
}

/// Every certificate of a PEM text (a CA bundle may hold several).
#[cfg(all(feature = "postgres", feature = "tls"))]
fn certificates(pem: &str) -> Result<Vec<native_tls::Certificate>> {
    const END: &str = "-----END CERTIFICATE-----";
    let certs: Vec<_> = pem
        .split_inclusive(END)
        .filter(|block| block.contains(END))
        .map(|block| {
            native_tls::Certificate::from_pem(block.trim_start().as_bytes())
                .map_err(|e| Error::bad_url(format!("sslrootcert holds a certificate that cannot be read: {e}")))
        })
        .collect::<Result<_>>()?;
    if certs.is_empty() {
        return Err(Error::bad_url("sslrootcert holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libpq_mode_names() {
        for mode in [SslMode::Disable, SslMode::Prefer, SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            assert_eq!(mode.as_str().parse::<SslMode>().unwrap(), mode);
        }
        let e = "verify_full".parse::<SslMode>().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::BadUrl);
        assert!(e.to_string().contains("verify-full"), "{e}");
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "tls"))]
    fn a_missing_root_certificate_is_a_bad_url() {
        let files = TlsFiles { root_cert: Some(Path::new("/no/such/ca.pem")), ..TlsFiles::default() };
        let Err(e) = setup(SslMode::VerifyFull, files) else { panic!() };
        assert_eq!(e.kind(), crate::ErrorKind::BadUrl);
        assert!(e.to_string().contains("/no/such/ca.pem"), "{e}");
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "tls"))]
    fn a_client_certificate_needs_its_key_and_tls() {
        let cert = Path::new("/no/such/client.crt");
        let only_cert = TlsFiles { client_cert: Some(cert), ..TlsFiles::default() };
        let Err(e) = setup(SslMode::Require, only_cert) else { panic!() };
        assert!(e.to_string().contains("without sslkey"), "{e}");
        let both = TlsFiles { client_cert: Some(cert), client_key: Some(Path::new("/k")), ..TlsFiles::default() };
        let Err(e) = setup(SslMode::Disable, both) else { panic!() };
        assert!(e.to_string().contains("sslmode=disable"), "{e}");
        let Err(e) = setup(SslMode::Require, both) else { panic!() };
        assert_eq!(e.kind(), crate::ErrorKind::BadUrl);
        assert!(e.to_string().contains("/no/such/client.crt"), "{e}");
    }
}
