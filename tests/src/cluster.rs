//! Throwaway PostgreSQL clusters for tests that need a server of their own: to stop and
//! restart it, to give it TLS certificates or password authentication, or to stream to
//! a standby. Each has its own directory and loopback port, and is stopped (immediately)
//! and removed when dropped, also when the test fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::harness::PG_BIN;
use crate::postgres_required;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A PostgreSQL 15 cluster made by `initdb` (trust authentication, user `postgres`).
pub struct Cluster {
    /// The cluster's directory: `data/`, the server log, and files tests put there.
    pub dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    settings: Vec<(String, String)>,
}

impl Cluster {
    /// A new cluster, started. `None` (after a notice) when the server binaries are
    /// missing and not required.
    pub fn start(tag: &str) -> Option<Cluster> {
        let cluster = Cluster::init(tag)?;
        cluster.ctl_start();
        Some(cluster)
    }

    /// A new cluster, not yet started: set it up with [`set`](Cluster::set),
    /// [`install`](Cluster::install) and [`write_hba`](Cluster::write_hba), then
    /// [`ctl_start`](Cluster::ctl_start).
    pub fn init(tag: &str) -> Option<Cluster> {
        let cluster = Cluster::empty(tag)?;
        let initdb = Path::new(PG_BIN).join("initdb");
        cluster.pg(
            &initdb,
            &["-D", &cluster.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"],
        );
        Some(cluster)
    }

    /// A directory and a port for a cluster whose data directory is made some other way
    /// (`pg_basebackup`, see [`standby_of`](Cluster::standby_of)).
    fn empty(tag: &str) -> Option<Cluster> {
        let programs = ["initdb", "pg_ctl", "pg_basebackup"];
        if programs.iter().any(|p| !Path::new(PG_BIN).join(p).exists()) {
            assert!(!postgres_required(), "ORM_REQUIRE_POSTGRES=1 but {PG_BIN} lacks initdb, pg_ctl or pg_basebackup");
            eprintln!("SKIPPED {tag}: no initdb/pg_ctl/pg_basebackup in {PG_BIN}");
            return None;
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("orm-cluster-{}-{n}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir));
        }
        Some(Cluster { dir, port: free_port(), settings: Vec::new() })
    }

    /// A streaming standby of `primary`, made by `pg_basebackup -R` and started; it
    /// replays the primary's WAL until dropped.
    pub fn standby_of(primary: &Cluster, tag: &str) -> Option<Cluster> {
        let standby = Cluster::empty(tag)?;
        let port = primary.port.to_string();
        standby.pg(
            &Path::new(PG_BIN).join("pg_basebackup"),
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &standby.data(), "-R", "-X", "stream"],
        );
        standby.ctl_start();
        Some(standby)
    }

    /// The data directory.
    pub fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// `postgres://postgres@127.0.0.1:port/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A server setting (`-c key=value`) for the next [`ctl_start`](Cluster::ctl_start).
    pub fn set(&mut self, key: &str, value: &str) {
        self.settings.push((key.to_owned(), value.to_owned()));
    }

    /// Writes `contents` to `name` in the cluster's directory, owned by the server's
    /// user and readable by it alone (as a TLS key must be); returns the path.
    pub fn install(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        run(Command::new("chmod").arg("600").arg(&path));
        if is_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(&path));
        }
        path
    }

    /// Replaces `pg_hba.conf` (read at the next start).
    pub fn write_hba(&self, contents: &str) {
        let path = PathBuf::from(self.data()).join("pg_hba.conf");
        std::fs::write(&path, contents).unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(&path));
        }
    }

    /// Runs a server binary as the `postgres` user (initdb refuses root).
    fn pg(&self, program: &Path, args: &[&str]) {
        run(as_postgres(program).args(args).current_dir(&self.dir));
    }

    /// Starts the server and waits until it accepts connections.
    pub fn ctl_start(&self) {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c shared_buffers=16MB \
             -c max_connections=30 -c fsync=off",
            self.port,
            self.dir.display()
        );
        for (key, value) in &self.settings {
            options.push_str(&format!(" -c {key}={value}"));
        }
        let log = self.dir.join("server.log").display().to_string();
        self.pg(
            &Path::new(PG_BIN).join("pg_ctl"),
            &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "30", "start"],
        );
    }

    /// Stops the server at once (`-m immediate`).
    pub fn ctl_stop(&self) {
        self.pg(&Path::new(PG_BIN).join("pg_ctl"), &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// The server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pg_ctl = Path::new(PG_BIN).join("pg_ctl");
        let _ = as_postgres(&pg_ctl).args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `program` run as the `postgres` user when we are root (server programs refuse root).
pub fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs a command; panics with its output when it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A loopback port nothing listens on: 54000 + pid % 1000, or the next free one after it.
pub fn free_port() -> u16 {
    let base = u16::try_from(std::process::id() % 1000).unwrap();
    let offset = u16::try_from(NEXT.fetch_add(1, Ordering::Relaxed) % 100).unwrap();
    (0..400)
        .map(|i| 54_000 + (base + offset * 3 + i) % 1000)
        .find(|&p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        .expect("a free port in 54000..55000")
}
