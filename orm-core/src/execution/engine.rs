//! The engine: a database URL, a connection pool and the statement reporting settings.

use crate::execution::pool_stats::{PoolCounters, PoolEvents, PoolStats};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
#[cfg(feature = "mysql")]
use crate::execution::backend::mysql::MyManager;
#[cfg(feature = "postgres")]
use crate::execution::backend::postgres::{DEFAULT_STATEMENT_CACHE_SIZE, PgManager};
#[cfg(feature = "sqlite")]
use crate::execution::backend::sqlite::{SqliteManager, SqliteTarget};
use crate::execution::connection::{Connection, IsolationLevel, Settings};
use crate::execution::ddl;
use crate::execution::echo::Echo;
#[cfg(feature = "postgres")]
use crate::execution::replicas::Replicas;
use crate::execution::row::Row;
use crate::execution::tls::SslMode;
#[cfg(feature = "postgres")]
use crate::execution::url::PgTarget;
use crate::execution::url::{DatabaseUrl, redact};
use crate::schema::table::TableDef;
use crate::sql::dialect::Dialect;
use crate::value::Value;

/// The entry point: a pool of connections to one database.
///
/// `Engine` is cheap to clone, and `Send + Sync`: share one per database across threads.
///
/// ```no_run
/// use orm_core::Engine;
/// use std::time::Duration;
///
/// # fn main() -> orm_core::Result<()> {
/// let engine = Engine::builder("postgres://postgres@127.0.0.1:5432/test")
///     .max_size(8)
///     .checkout_timeout(Duration::from_secs(5))
///     .echo(true)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool,
    /// The pool's checkouts, waits and timeouts.
    pool_counters: Arc<PoolCounters>,
    max_size: u32,
    /// Shared by every connection the engine checks out.
    settings: Arc<Settings>,
    n_plus_one: NPlusOne,
    url: String,
    checkout_timeout: Duration,
    /// Read replicas (PostgreSQL standbys), when the builder named some.
    #[cfg(feature = "postgres")]
    replicas: Option<Replicas>,
    /// Keeps an in-memory SQLite database alive while the engine lives.
    #[cfg(feature = "sqlite")]
    _keeper: Option<std::sync::Mutex<rusqlite::Connection>>,
}

enum Pool {
    #[cfg(feature = "postgres")]
    Postgres(r2d2::Pool<PgManager>),
    #[cfg(feature = "sqlite")]
    Sqlite(r2d2::Pool<SqliteManager>),
    #[cfg(feature = "mysql")]
    Mysql(r2d2::Pool<MyManager>),
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Engine({})", self.shared.url)
    }
}

impl Engine {
    /// Starts configuring an engine for `url`.
    pub fn builder(url: &str) -> EngineBuilder {
        EngineBuilder::new(url)
    }

    /// An engine for `url` with the default settings.
    pub fn connect(url: &str) -> Result<Engine> {
        EngineBuilder::new(url).build()
    }

    /// The SQL dialect of the engine's database.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.shared.settings.dialect
    }

    /// The URL, with any password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// Checks a connection out of the pool, waiting at most the checkout timeout.
    pub fn connection(&self) -> Result<Connection> {
        let timeout = |e| pool_timeout(e, self.shared.checkout_timeout, &self.shared.url);
        match &self.shared.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                pool.get().map(|c| Connection::postgres(c, self.shared.settings.clone())).map_err(timeout)
            }
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                pool.get().map(|c| Connection::sqlite(c, self.shared.settings.clone())).map_err(timeout)
            }
            #[cfg(feature = "mysql")]
            Pool::Mysql(pool) => {
                pool.get().map(|c| Connection::mysql(c, self.shared.settings.clone())).map_err(timeout)
            }
        }
    }

    /// Creates the tables that do not exist yet, in foreign-key order, in one transaction.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct Program { #[orm(primary_key)] id: i32 }
    /// # fn main() -> orm_core::Result<()> {
    /// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
    /// engine.create_all(&[Program::table()])?;
    /// # Ok(()) }
    /// ```
    pub fn create_all(&self, tables: &[&'static TableDef]) -> Result<()> {
        ddl::create_all(&mut self.connection()?, tables)
    }

    /// Drops the given tables that exist, dependents first, in one transaction.
    pub fn drop_all(&self, tables: &[&'static TableDef]) -> Result<()> {
        ddl::drop_all(&mut self.connection()?, tables)
    }

    /// Runs one statement on a pooled connection; see [`Connection::execute`].
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        self.connection()?.execute(sql, params)
    }

    /// Runs one query on a pooled connection; see [`Connection::query_raw`].
    pub fn query_raw<T>(&self, sql: &str, params: &[Value], f: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        self.connection()?.query_raw(sql, params, f)
    }

    /// A connection to a read replica that has replayed this engine's commits, if the
    /// engine has replicas and one can serve; see [`EngineBuilder::replica`].
    pub(crate) fn replica_connection(&self) -> Option<Connection> {
        #[cfg(feature = "postgres")]
        if let Some(replicas) = &self.shared.replicas {
            return replicas.read_connection();
        }
        None
    }

    /// Whether the engine has read replicas.
    pub(crate) fn has_replicas(&self) -> bool {
        #[cfg(feature = "postgres")]
        return self.shared.replicas.is_some();
        #[cfg(not(feature = "postgres"))]
        false
    }

    /// After a commit on `conn` (the primary): notes where the primary's WAL stands, so
    /// that later reads go to a replica only once it has replayed that far.
    pub(crate) fn note_commit(&self, conn: &mut Connection) {
        #[cfg(feature = "postgres")]
        if let Some(replicas) = &self.shared.replicas {
            replicas.note_commit(crate::execution::replicas::primary_position(conn));
        }
        let _ = conn;
    }

    /// The isolation level of the engine's transactions.
    pub fn isolation_level(&self) -> IsolationLevel {
        self.shared.settings.isolation
    }

    /// What sessions do about N+1 lazy loading.
    pub fn n_plus_one(&self) -> NPlusOne {
        self.shared.n_plus_one
    }

    /// The number of connections the pool holds, busy or idle.
    pub fn pool_size(&self) -> u32 {
        match &self.shared.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.state().connections,
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => p.state().connections,
            #[cfg(feature = "mysql")]
            Pool::Mysql(p) => p.state().connections,
        }
    }

    /// The number of idle connections in the pool.
    pub fn idle_connections(&self) -> u32 {
        match &self.shared.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.state().idle_connections,
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => p.state().idle_connections,
            #[cfg(feature = "mysql")]
            Pool::Mysql(p) => p.state().idle_connections,
        }
    }

    /// The pool's state and counters: connections in use and idle, checkouts, waits and
    /// their time, timeouts (see [`PoolStats`]). Cheap enough to poll for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let state = match &self.shared.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.state(),
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => p.state(),
            #[cfg(feature = "mysql")]
            Pool::Mysql(p) => p.state(),
        };
        self.shared.pool_counters.stats(self.shared.max_size, state.connections, state.idle_connections)
    }
}

fn pool_timeout(e: r2d2::Error, timeout: Duration, url: &str) -> Error {
    let last = e.to_string();
    Error::new(
        ErrorKind::PoolTimeout,
        format!(
            "no database connection became available within {:.1}s ({url}): {last}; \
             check that the server is up, or return connections sooner / raise max_size",
            timeout.as_secs_f64()
        ),
    )
    .with_cause(e)
}

/// The N+1 detector: what a session does when it lazily loads the same relationship for
/// a second parent (one SELECT per parent, where one for all would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NPlusOne {
    /// Nothing (the default).
    #[default]
    Off,
    /// Log a warning under the target `orm::n_plus_one`, once per relationship and session.
    Warn,
    /// Fail the lazy load with an [`InvalidState`](ErrorKind::InvalidState) error (for tests).
    Error,
}

/// Configures an [`Engine`]; made by [`Engine::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct EngineBuilder {
    url: String,
    max_size: u32,
    min_idle: Option<u32>,
    checkout_timeout: Duration,
    connect_timeout: Duration,
    health_check: bool,
    health_check_after_idle: Duration,
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
    statement_timeout: Option<Duration>,
    tcp_user_timeout: Duration,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    keepalive_idle: Duration,
    search_path: Option<String>,
    application_name: Option<String>,
    ssl_mode: Option<SslMode>,
    ssl_root_cert: Option<std::path::PathBuf>,
    ssl_client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
    statement_cache_size: Option<usize>,
    replicas: Vec<String>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    replica_max_lag: Duration,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    replica_retry_after: Duration,
    busy_timeout: Duration,
    isolation: IsolationLevel,
    n_plus_one: NPlusOne,
    echo: Echo,
}

impl EngineBuilder {
    fn new(url: &str) -> EngineBuilder {
        EngineBuilder {
            url: url.to_owned(),
            max_size: 10,
            min_idle: Some(0),
            checkout_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            health_check: true,
            health_check_after_idle: Duration::from_secs(1),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            statement_timeout: None,
            tcp_user_timeout: Duration::from_secs(30),
            keepalive_idle: Duration::from_secs(60),
            search_path: None,
            application_name: None,
            ssl_mode: None,
            ssl_root_cert: None,
            ssl_client_cert: None,
            statement_cache_size: None,
            replicas: Vec::new(),
            replica_max_lag: Duration::from_secs(30),
            replica_retry_after: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            isolation: IsolationLevel::ReadCommitted,
            n_plus_one: NPlusOne::Off,
            echo: Echo::default(),
        }
    }

    /// The most connections the pool opens (default 10).
    pub fn max_size(mut self, n: u32) -> Self {
        self.max_size = n.max(1);
        self
    }

    /// Idle connections the pool keeps open (default 0: connections open on demand).
    pub fn min_idle(mut self, n: u32) -> Self {
        self.min_idle = Some(n);
        self
    }

    /// How long a checkout waits for a free connection before a
    /// [`PoolTimeout`](ErrorKind::PoolTimeout) error (default 30 s).
    pub fn checkout_timeout(mut self, t: Duration) -> Self {
        self.checkout_timeout = t;
        self
    }

    /// How long opening a connection may take (default 10 s); `build()` fails after it
    /// when the server cannot be reached.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Ping connections on checkout when they have been idle for a while (default on).
    pub fn health_check(mut self, on: bool) -> Self {
        self.health_check = on;
        self
    }

    /// Connections idle for less than this are not pinged on checkout (default 1 s);
    /// `Duration::ZERO` pings every time.
    pub fn health_check_after_idle(mut self, t: Duration) -> Self {
        self.health_check_after_idle = t;
        self
    }

    /// Close connections idle for longer than this (default 10 min).
    pub fn idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.idle_timeout = t;
        self
    }

    /// Replace connections older than this (default 30 min).
    pub fn max_lifetime(mut self, t: Option<Duration>) -> Self {
        self.max_lifetime = t;
        self
    }

    /// Cancel statements that run longer than this (PostgreSQL's `statement_timeout`).
    pub fn statement_timeout(mut self, t: Duration) -> Self {
        self.statement_timeout = Some(t);
        self
    }

    /// How long sent data may stay unacknowledged before the connection counts as lost
    /// (TCP_USER_TIMEOUT, default 30 s); bounds hangs on a dead network.
    pub fn tcp_user_timeout(mut self, t: Duration) -> Self {
        self.tcp_user_timeout = t;
        self
    }

    /// The isolation level of transactions (default READ COMMITTED). Above it, sessions
    /// open their transaction before their first read, so that all reads share a snapshot.
    pub fn isolation_level(mut self, level: IsolationLevel) -> Self {
        self.isolation = level;
        self
    }

    /// Turns on the N+1 detector: a warning (or, in tests, an error) when a session lazily
    /// loads the same relationship for a second parent.
    ///
    /// ```
    /// use orm_core::{Engine, NPlusOne};
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = Engine::builder("sqlite::memory:").detect_n_plus_one(NPlusOne::Error).build()?;
    /// assert_eq!(engine.n_plus_one(), NPlusOne::Error);
    /// # Ok(()) }
    /// ```
    pub fn detect_n_plus_one(mut self, mode: NPlusOne) -> Self {
        self.n_plus_one = mode;
        self
    }

    /// The name the server shows for the engine's connections (PostgreSQL's
    /// `application_name`, in `pg_stat_activity` and the server log). Default: the
    /// URL's `application_name` if it has one, otherwise `orm`; set here, it wins over the
    /// URL's. SQLite has no server and ignores it.
    ///
    /// ```no_run
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = orm_core::Engine::builder("postgres://postgres@127.0.0.1/test")
    ///     .application_name("billing-worker")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn application_name(mut self, name: &str) -> Self {
        self.application_name = Some(name.to_owned());
        self
    }

    /// How the connection to PostgreSQL uses TLS (libpq's `sslmode`; default: the URL's
    /// `sslmode`, else [`SslMode::Prefer`]); set here, it wins over the URL's.
    ///
    /// ```no_run
    /// use orm_core::{Engine, SslMode};
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = Engine::builder("postgres://app@db.internal/app")
    ///     .ssl_mode(SslMode::VerifyFull)
    ///     .ssl_root_cert("/etc/ssl/certs/db-ca.pem")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn ssl_mode(mut self, mode: SslMode) -> Self {
        self.ssl_mode = Some(mode);
        self
    }

    /// The PEM file of the CAs trusted to sign the server's certificate (libpq's
    /// `sslrootcert`); without it, `verify-ca` and `verify-full` trust the system's CAs.
    pub fn ssl_root_cert(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ssl_root_cert = Some(path.into());
        self
    }

    /// The client certificate to present, for a server that authenticates by it
    /// (`pg_hba.conf`'s `cert` method, or `clientcert=verify-full`): the certificate's
    /// PEM file and its private key's (unencrypted PKCS#8 PEM), libpq's `sslcert` and
    /// `sslkey`. Set here, they win over the URL's.
    ///
    /// ```no_run
    /// use orm_core::{Engine, SslMode};
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = Engine::builder("postgres://app@db.internal/app")
    ///     .ssl_mode(SslMode::VerifyFull)
    ///     .ssl_root_cert("/etc/ssl/certs/db-ca.pem")
    ///     .ssl_client_cert("/etc/app/db-client.crt", "/etc/app/db-client.key")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn ssl_client_cert(mut self, cert: impl Into<std::path::PathBuf>, key: impl Into<std::path::PathBuf>) -> Self {
        self.ssl_client_cert = Some((cert.into(), key.into()));
        self
    }

    /// Prepared statements each PostgreSQL connection keeps (default 256; the URL's
    /// `statement_cache_size` otherwise). `0` sends every statement unnamed, with its
    /// parameters, in one round trip, and relies on no state of the server connection:
    /// what a transaction pooler such as PgBouncer in `pool_mode = transaction` needs,
    /// since it may run each transaction on another server connection.
    ///
    /// ```no_run
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = orm_core::Engine::builder("postgres://app@pgbouncer.internal:6432/app")
    ///     .statement_cache_size(0)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn statement_cache_size(mut self, statements: usize) -> Self {
        self.statement_cache_size = Some(statements);
        self
    }

    /// A read replica: a PostgreSQL streaming standby of the primary at the engine's URL
    /// (call again for several). A session reads from the replicas in turn until it
    /// writes, then from the primary; a session that must see a commit of this engine
    /// reads from a replica only once that replica has replayed it. A replica that is
    /// down or lags more than [`replica_max_lag`](Self::replica_max_lag) is skipped, with
    /// one log record under `orm::replica`, and tried again after
    /// [`replica_retry_after`](Self::replica_retry_after). Engine-level calls
    /// (`engine.execute`, CRUD on `&engine`) use the primary, and so do sessions above
    /// READ COMMITTED (their reads share their transaction's snapshot).
    ///
    /// ```no_run
    /// # fn main() -> orm_core::Result<()> {
    /// let engine = orm_core::Engine::builder("postgres://app@db-primary/app")
    ///     .replica("postgres://app@db-replica-1/app")
    ///     .replica("postgres://app@db-replica-2/app")
    ///     .build()?;
    /// let mut reads = engine.session();               // reads from a replica
    /// let mut writes = engine.session().on_primary(); // everything on the primary
    /// # Ok(()) }
    /// ```
    pub fn replica(mut self, url: &str) -> Self {
        self.replicas.push(url.to_owned());
        self
    }

    /// How far a replica's replay may lag behind its primary before reads skip it
    /// (default 30 s).
    pub fn replica_max_lag(mut self, lag: Duration) -> Self {
        self.replica_max_lag = lag;
        self
    }

    /// How long a replica found down or lagging is left alone before it is tried again
    /// (default 5 s).
    pub fn replica_retry_after(mut self, wait: Duration) -> Self {
        self.replica_retry_after = wait;
        self
    }

    /// How long a SQLite statement waits for another connection's lock (default 5 s).
    pub fn busy_timeout(mut self, t: Duration) -> Self {
        self.busy_timeout = t;
        self
    }

    /// Schemas searched for unqualified table names (PostgreSQL's `search_path`).
    pub fn search_path(mut self, schemas: &str) -> Self {
        self.search_path = Some(schemas.to_owned());
        self
    }

    /// Print every statement and its parameters to standard output, as SQLAlchemy's
    /// `echo=True` does.
    pub fn echo(mut self, on: bool) -> Self {
        self.echo.stdout = on;
        self
    }

    /// Never show parameter values, neither in echo nor in log records.
    pub fn hide_parameters(mut self, on: bool) -> Self {
        self.echo.hide_parameters = on;
        self
    }

    /// Logs every statement that takes `threshold` or longer at WARN, under the target
    /// [`SLOW_LOG_TARGET`](crate::SLOW_LOG_TARGET) (`orm::slow`), with its time and its
    /// parameters (unless hidden). Off by default.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let engine = orm_core::Engine::builder("sqlite::memory:")
    ///     .slow_statement_threshold(Duration::from_millis(250))
    ///     .build()?;
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn slow_statement_threshold(mut self, threshold: Duration) -> Self {
        self.echo.slow = Some(threshold);
        self
    }

    /// Calls `f` with every statement the engine sends, and its parameters (also when
    /// they are hidden from echo and logs): for metrics, tracing or tests.
    ///
    /// ```no_run
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// # fn main() -> orm_core::Result<()> {
    /// let count = Arc::new(AtomicUsize::new(0));
    /// let seen = count.clone();
    /// let engine = orm_core::Engine::builder("postgres://postgres@127.0.0.1/test")
    ///     .on_statement(move |_sql, _params| { seen.fetch_add(1, Ordering::Relaxed); })
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn on_statement(mut self, f: impl Fn(&str, &[Value]) + Send + Sync + 'static) -> Self {
        self.echo.listener = Some(std::sync::Arc::new(f));
        self
    }

    /// Opens the pool and checks that the database answers within the connect timeout.
    pub fn build(self) -> Result<Engine> {
        match DatabaseUrl::parse(&self.url)? {
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(target) => self.build_postgres(*target),
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(target) => self.build_sqlite(target),
            #[cfg(feature = "mysql")]
            DatabaseUrl::Mysql(target) => self.build_mysql(*target),
        }
    }

    /// The driver's configuration and TLS connector for `target` with this builder's
    /// settings: (configuration, connector, sslmode, statement cache size).
    #[cfg(feature = "postgres")]
    fn postgres_config(
        &self,
        target: PgTarget,
    ) -> Result<(postgres::Config, crate::execution::tls::Connector, SslMode, usize)> {
        let PgTarget { mut config, ssl_mode, ssl_root_cert, ssl_cert, ssl_key, statement_cache_size } = target;
        let ssl_mode = self.ssl_mode.or(ssl_mode).unwrap_or_default();
        let ssl_root_cert = self.ssl_root_cert.clone().or(ssl_root_cert);
        let (ssl_cert, ssl_key) = match &self.ssl_client_cert {
            Some((cert, key)) => (Some(cert.clone()), Some(key.clone())),
            None => (ssl_cert, ssl_key),
        };
        let cache_size = self.statement_cache_size.or(statement_cache_size).unwrap_or(DEFAULT_STATEMENT_CACHE_SIZE);
        let files = crate::execution::tls::TlsFiles {
            root_cert: ssl_root_cert.as_deref(),
            client_cert: ssl_cert.as_deref(),
            client_key: ssl_key.as_deref(),
        };
        let tls = crate::execution::tls::setup(ssl_mode, files)?;
        config.ssl_mode(tls.driver_mode);
        let mut options = config.get_options().unwrap_or("").to_owned();
        if cache_size == 0 {
            self.refuse_connection_state(&options)?;
        }
        if let Some(t) = self.statement_timeout {
            options.push_str(&format!(" -c statement_timeout={}", t.as_millis()));
        }
        if let Some(path) = &self.search_path {
            options.push_str(&format!(" -c search_path={}", path.replace(' ', "\\ ")));
        }
        if !options.trim().is_empty() {
            config.options(options.trim());
        }
        config
            .connect_timeout(self.connect_timeout)
            .keepalives(true)
            .keepalives_idle(self.keepalive_idle)
            .tcp_user_timeout(self.tcp_user_timeout);
        match &self.application_name {
            Some(name) => {
                config.application_name(name);
            }
            None if config.get_application_name().is_none() => {
                config.application_name("orm");
            }
            None => {}
        }
        Ok((config, tls.connector, ssl_mode, cache_size))
    }

    /// The error of a server (`shown`, its URL without the password) not reached within
    /// the connect timeout, the last failure being `e`.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    fn unreachable(&self, shown: &str, e: String) -> Error {
        Error::new(
            ErrorKind::ConnectionLost,
            format!(
                "cannot connect to {shown} within {:.1}s: {e}; check that the server is running and the URL is right",
                self.connect_timeout.as_secs_f64()
            ),
        )
    }

    /// A pool of connections made by `manager`, with this builder's settings, counting
    /// its events into `events`.
    #[cfg(feature = "postgres")]
    fn postgres_pool(
        &self,
        manager: PgManager,
        checkout_timeout: Duration,
        events: PoolEvents,
    ) -> r2d2::Pool<PgManager> {
        r2d2::Pool::builder()
            .max_size(self.max_size)
            .min_idle(self.min_idle)
            .connection_timeout(checkout_timeout)
            .test_on_check_out(self.health_check)
            .idle_timeout(self.idle_timeout)
            .max_lifetime(self.max_lifetime)
            .error_handler(Box::new(LogPoolErrors))
            .event_handler(Box::new(events))
            .build_unchecked(manager)
    }

    #[cfg(feature = "postgres")]
    fn build_postgres(self, target: PgTarget) -> Result<Engine> {
        let started = std::time::Instant::now();
        let shown = redact(&self.url);
        let (config, connector, ssl_mode, cache_size) = self.postgres_config(target)?;
        let ping_after = (!self.health_check_after_idle.is_zero()).then_some(self.health_check_after_idle);
        // Fail now, rather than at the first query: at once when the server (or a pooler)
        // refuses, within the connect timeout when it cannot be reached. The first
        // attempt runs on a thread of its own: the driver's connect timeout bounds the TCP
        // connect, not a server that accepts and then says nothing.
        #[allow(clippy::clone_on_copy)] // without the `tls` feature the connector is `Copy`
        let probe = PgManager::new(config.clone(), connector.clone(), None, cache_size);
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(r2d2::ManageConnection::connect(&probe));
        });
        let manager = PgManager::new(config, connector, ping_after, cache_size);
        let first = match receiver.recv_timeout(self.connect_timeout.saturating_sub(started.elapsed())) {
            Ok(Ok(conn)) => {
                // The pool's first connection: no second handshake at the first query.
                manager.keep_spare(conn);
                None
            }
            Ok(Err(e)) => match super::connect_error::classify(&e) {
                super::connect_error::Refusal::Definitive => {
                    return Err(super::connect_error::rejected(e, &shown, ssl_mode));
                }
                super::connect_error::Refusal::Transient => Some(e.to_string()),
            },
            Err(_) => Some("no answer".to_owned()),
        };
        let events = PoolEvents::default();
        let pool_counters = events.0.clone();
        let pool = self.postgres_pool(manager, self.checkout_timeout, events);
        if let Some(first) = first {
            let unreachable = |e: String| self.unreachable(&shown, e);
            let left = self.connect_timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(unreachable(first));
            }
            let probe = pool.get_timeout(left).map_err(|e| unreachable(e.to_string()).with_cause(e))?;
            drop(probe);
        }
        let settings = Arc::new(Settings {
            dialect: &crate::sql::dialect::POSTGRES,
            echo: self.echo.clone(),
            isolation: self.isolation,
        });
        let replicas = self.build_replicas(&settings, ping_after)?;
        Ok(Engine {
            shared: Arc::new(Shared {
                settings,
                n_plus_one: self.n_plus_one,
                pool: Pool::Postgres(pool),
                pool_counters,
                max_size: self.max_size,
                url: shown,
                checkout_timeout: self.checkout_timeout,
                replicas,
                #[cfg(feature = "sqlite")]
                _keeper: None,
            }),
        })
    }

    /// The replicas' pools, made without connecting: a replica that is down when the
    /// engine starts is skipped until it is up.
    #[cfg(feature = "postgres")]
    fn build_replicas(&self, settings: &Arc<Settings>, ping_after: Option<Duration>) -> Result<Option<Replicas>> {
        if self.replicas.is_empty() {
            return Ok(None);
        }
        // A checkout from a replica gives up soon: the primary can serve the read.
        let checkout = self.checkout_timeout.min(self.connect_timeout).min(Duration::from_secs(1));
        let mut pools = Vec::with_capacity(self.replicas.len());
        for url in &self.replicas {
            let shown = redact(url);
            #[allow(unreachable_patterns)]
            let target = match DatabaseUrl::parse(url)? {
                DatabaseUrl::Postgres(target) => *target,
                _ => {
                    return Err(Error::bad_url(format!(
                        "the replica `{shown}` is not a PostgreSQL URL; replicas are PostgreSQL standbys"
                    )));
                }
            };
            let (config, connector, _, cache_size) = self.postgres_config(target)?;
            let manager = PgManager::new(config, connector, ping_after, cache_size);
            pools.push((self.postgres_pool(manager, checkout, PoolEvents::default()), shown));
        }
        Ok(Some(Replicas::new(pools, settings.clone(), checkout, self.replica_max_lag, self.replica_retry_after)))
    }

    /// With the statement cache off (a transaction pooler), nothing may rely on the
    /// server connection's own settings: the pooler hands each transaction to any of its
    /// server connections, and PgBouncer refuses the `options` startup parameter.
    #[cfg(feature = "postgres")]
    fn refuse_connection_state(&self, url_options: &str) -> Result<()> {
        let setting = if !url_options.trim().is_empty() {
            "the URL's `options`"
        } else if self.statement_timeout.is_some() {
            "statement_timeout"
        } else if self.search_path.is_some() {
            "search_path"
        } else {
            return Ok(());
        };
        Err(Error::unsupported(format!(
            "{setting} is a setting of the server connection, which a transaction pooler \
             (statement_cache_size=0) does not keep from one transaction to the next; set it on \
             the database or role instead (ALTER ROLE app SET statement_timeout = '5s'), or \
             connect without the pooler"
        )))
    }

    /// A MySQL or MariaDB engine: the first connection opened at once (a refusal is
    /// returned with the server's reason), the server's kind read from it, and every
    /// connection set up alike (strict SQL mode, UTC, utf8mb4, the isolation level).
    #[cfg(feature = "mysql")]
    fn build_mysql(self, target: crate::execution::url::MysqlTarget) -> Result<Engine> {
        use crate::execution::backend::mysql::{Flavor, MyConn, connect_refusal};
        let started = std::time::Instant::now();
        let shown = redact(&self.url);
        if self.search_path.is_some() {
            return Err(Error::unsupported(
                "search_path is a PostgreSQL setting; on MySQL name the database in the URL",
            ));
        }
        if !self.replicas.is_empty() {
            return Err(Error::unsupported("read replicas are supported on PostgreSQL only: remove replica(..)"));
        }
        if self.ssl_client_cert.is_some() {
            return Err(Error::unsupported(
                "client certificates are supported on PostgreSQL only; authenticate with a password \
                 (TLS still encrypts it)",
            ));
        }
        let ssl_mode = self.ssl_mode.or(target.ssl_mode).unwrap_or(SslMode::Prefer);
        #[cfg_attr(not(feature = "tls"), allow(unused_variables))]
        let root_cert = self.ssl_root_cert.clone().or(target.ssl_root_cert);
        let cache_size = self.statement_cache_size.or(target.statement_cache_size).unwrap_or(256);
        let isolation = match self.isolation {
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        };
        // What every connection runs first: errors rather than silent truncation, `||` as
        // the SQL standard's concatenation (not OR), times in UTC (DATETIME holds UTC
        // timestamps), full UTF-8, PostgreSQL's default isolation.
        let common = vec![
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
             ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT'"
                .to_owned(),
            "SET SESSION time_zone = '+00:00'".to_owned(),
            format!("SET SESSION TRANSACTION ISOLATION LEVEL {isolation}"),
        ];
        let mut builder = mysql::OptsBuilder::from_opts(target.opts)
            .tcp_connect_timeout(Some(self.connect_timeout))
            .tcp_keepalive_time_ms(u32::try_from(self.keepalive_idle.as_millis()).ok())
            .tcp_user_timeout_ms(u32::try_from(self.tcp_user_timeout.as_millis()).ok())
            .stmt_cache_size(cache_size)
            // UPDATE reports the rows it matched, as PostgreSQL and SQLite do, not only
            // those whose values changed: the flush checks that count.
            .additional_capabilities(mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS)
            .init(common.clone());
        builder = match ssl_mode {
            SslMode::Disable | SslMode::Prefer => builder,
            #[cfg(feature = "tls")]
            mode => {
                let mut ssl = mysql::SslOpts::default();
                if let Some(path) = root_cert.clone().filter(|p| p.as_os_str() != "system") {
                    ssl = ssl.with_root_cert_path(Some(path));
                }
                let verify_ca = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull)
                    || (mode == SslMode::Require && root_cert.is_some());
                ssl = ssl
                    .with_danger_accept_invalid_certs(!verify_ca)
                    .with_danger_skip_domain_validation(mode != SslMode::VerifyFull);
                builder.ssl_opts(Some(ssl))
            }
            #[cfg(not(feature = "tls"))]
            other => {
                return Err(Error::unsupported(format!(
                    "ssl-mode {other} needs TLS, but this build of orm-core has none; enable orm-core's `tls` feature"
                )));
            }
        };
        let opts: mysql::Opts = builder.clone().into();
        // The first connection, on a thread of its own: a server that accepts and then
        // says nothing is bounded by the connect timeout too.
        let (sender, receiver) = std::sync::mpsc::channel();
        let probe_opts = opts.clone();
        std::thread::spawn(move || {
            let _ = sender.send(mysql::Conn::new(probe_opts));
        });
        let wait = self.connect_timeout.saturating_sub(started.elapsed());
        let first = match receiver.recv_timeout(wait) {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(connect_refusal(e, &shown, ssl_mode)?),
            Err(_) => Err("no answer".to_owned()),
        };
        let (flavor, spare) = match first {
            Ok(conn) => {
                let mut conn = MyConn::new(conn, std::sync::Arc::new(opts.clone()));
                (Some(conn.check_version()?), Some(conn))
            }
            Err(_) => (None, None),
        };
        let flavor_init = |flavor: Flavor| -> Vec<String> {
            // Text in the tables' collation (binary, no pad: compared as on PostgreSQL),
            // so that values and columns mix.
            let mut init = vec![match flavor {
                Flavor::MariaDb => "SET NAMES utf8mb4 COLLATE utf8mb4_nopad_bin".to_owned(),
                Flavor::MySql => "SET NAMES utf8mb4 COLLATE utf8mb4_0900_bin".to_owned(),
            }];
            if flavor == Flavor::MariaDb {
                // MariaDB stops a recursive CTE after 1,000 rounds and returns what it has,
                // without an error: a wrong answer. Recursion runs to its end, as elsewhere.
                init.push("SET SESSION max_recursive_iterations = 4294967295".to_owned());
            }
            if let Some(t) = self.statement_timeout {
                init.push(match flavor {
                    Flavor::MariaDb => format!("SET SESSION max_statement_time = {}", t.as_secs_f64()),
                    Flavor::MySql => format!("SET SESSION max_execution_time = {}", t.as_millis()),
                });
            }
            init
        };
        let settings_for = |flavor: Flavor| {
            Arc::new(Settings {
                dialect: match flavor {
                    Flavor::MariaDb => &crate::sql::dialect::MARIADB,
                    Flavor::MySql => &crate::sql::dialect::MYSQL,
                },
                echo: self.echo.clone(),
                isolation: self.isolation,
            })
        };
        let ping_after = (!self.health_check_after_idle.is_zero()).then_some(self.health_check_after_idle);
        let build_pool = |flavor: Flavor, spare: MyConn| {
            let mut init = common.clone();
            init.extend(flavor_init(flavor));
            let manager = MyManager::new(builder.clone().init(init).into(), ping_after);
            manager.keep_spare(spare);
            let events = PoolEvents::default();
            let counters = events.0.clone();
            let pool = r2d2::Pool::builder()
                .max_size(self.max_size)
                .min_idle(self.min_idle)
                .connection_timeout(self.checkout_timeout)
                .test_on_check_out(self.health_check)
                .idle_timeout(self.idle_timeout)
                .max_lifetime(self.max_lifetime)
                .error_handler(Box::new(LogPoolErrors))
                .event_handler(Box::new(events))
                .build_unchecked(manager);
            (pool, counters)
        };
        let (pool, pool_counters, flavor) = match (flavor, spare) {
            (Some(flavor), Some(mut spare)) => {
                for statement in flavor_init(flavor) {
                    crate::execution::backend::BackendConnection::batch_execute(&mut spare, &statement)?;
                }
                let (pool, counters) = build_pool(flavor, spare);
                (pool, counters, flavor)
            }
            _ => {
                // Not reachable yet: keep trying within the connect timeout.
                let left = self.connect_timeout.saturating_sub(started.elapsed());
                let unreachable = |e: String| self.unreachable(&shown, e);
                let deadline = std::time::Instant::now() + left;
                let conn = loop {
                    match mysql::Conn::new(opts.clone()) {
                        Ok(conn) => break conn,
                        Err(e) if std::time::Instant::now() >= deadline => return Err(unreachable(e.to_string())),
                        Err(e) => {
                            connect_refusal(e, &shown, ssl_mode)?;
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                };
                let mut conn = MyConn::new(conn, std::sync::Arc::new(opts.clone()));
                let flavor = conn.check_version()?;
                for statement in flavor_init(flavor) {
                    crate::execution::backend::BackendConnection::batch_execute(&mut conn, &statement)?;
                }
                let (pool, counters) = build_pool(flavor, conn);
                (pool, counters, flavor)
            }
        };
        Ok(Engine {
            shared: Arc::new(Shared {
                settings: settings_for(flavor),
                n_plus_one: self.n_plus_one,
                pool: Pool::Mysql(pool),
                pool_counters,
                max_size: self.max_size,
                url: shown,
                checkout_timeout: self.checkout_timeout,
                #[cfg(feature = "postgres")]
                replicas: None,
                #[cfg(feature = "sqlite")]
                _keeper: None,
            }),
        })
    }

    #[cfg(feature = "sqlite")]
    fn build_sqlite(self, target: SqliteTarget) -> Result<Engine> {
        let shown = redact(&self.url);
        if self.search_path.is_some() {
            return Err(Error::unsupported(
                "search_path is a PostgreSQL setting; SQLite has one schema per database file",
            ));
        }
        if self.ssl_mode.is_some() || self.ssl_root_cert.is_some() || self.ssl_client_cert.is_some() {
            return Err(Error::unsupported(
                "ssl_mode, ssl_root_cert and ssl_client_cert are PostgreSQL settings; a SQLite database \
                 is a local file with no connection to encrypt: remove them",
            ));
        }
        if self.statement_cache_size.is_some() {
            return Err(Error::unsupported(
                "statement_cache_size is a PostgreSQL setting (for transaction poolers); \
                 SQLite keeps its own statement cache: remove it",
            ));
        }
        if !self.replicas.is_empty() {
            return Err(Error::unsupported(
                "read replicas are PostgreSQL standbys; a SQLite database has none: remove replica(..)",
            ));
        }
        let manager = SqliteManager::new(target, self.busy_timeout, self.statement_timeout);
        let keeper = manager.keeper().map_err(|e| {
            Error::new(ErrorKind::ConnectionLost, format!("cannot open the SQLite database {shown}: {e}"))
        })?;
        let events = PoolEvents::default();
        let pool_counters = events.0.clone();
        let pool = r2d2::Pool::builder()
            .max_size(self.max_size)
            .min_idle(self.min_idle)
            .connection_timeout(self.checkout_timeout)
            .test_on_check_out(false)
            .idle_timeout(self.idle_timeout)
            .max_lifetime(self.max_lifetime)
            .error_handler(Box::new(LogPoolErrors))
            .event_handler(Box::new(events))
            .build_unchecked(manager);
        let probe = pool.get_timeout(self.connect_timeout).map_err(|e| {
            Error::new(
                ErrorKind::ConnectionLost,
                format!("cannot open the SQLite database {shown}: {e}; check the path and its permissions"),
            )
            .with_cause(e)
        })?;
        drop(probe);
        Ok(Engine {
            shared: Arc::new(Shared {
                settings: Arc::new(Settings {
                    dialect: &crate::sql::dialect::SQLITE,
                    echo: self.echo.clone(),
                    isolation: self.isolation,
                }),
                n_plus_one: self.n_plus_one,
                pool: Pool::Sqlite(pool),
                pool_counters,
                max_size: self.max_size,
                url: shown,
                checkout_timeout: self.checkout_timeout,
                #[cfg(feature = "postgres")]
                replicas: None,
                _keeper: keeper.map(std::sync::Mutex::new),
            }),
        })
    }
}

/// Connection failures inside the pool go to the log, not to standard error.
#[derive(Debug)]
struct LogPoolErrors;

impl<E: std::fmt::Display> r2d2::HandleError<E> for LogPoolErrors {
    fn handle_error(&self, error: E) {
        log::warn!(target: "orm::pool", "cannot open a database connection: {error}");
    }
}

/// Runs generated CRUD methods and detached queries on an engine or a connection.
///
/// ```no_run
/// # use orm_core::prelude::*;
/// # #[derive(Model)] struct Program { #[orm(primary_key)] id: i32, name: String }
/// # fn main() -> orm_core::Result<()> {
/// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
/// let mut p = Program::new("Bachelors in CS");
/// p.insert(&engine)?;                       // a pooled connection per call
/// let mut conn = engine.connection()?;
/// let again = Program::get(&mut conn, p.id)?; // or one connection you hold
/// # Ok(()) }
/// ```
pub trait Executor {
    /// Runs `f` with a connection.
    fn with_connection<R>(self, f: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R>;
}

impl Executor for &Engine {
    fn with_connection<R>(self, f: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        f(&mut self.connection()?)
    }
}

impl Executor for &mut Connection {
    fn with_connection<R>(self, f: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        f(self)
    }
}
