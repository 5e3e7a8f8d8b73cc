//! A throwaway PgBouncer in transaction pooling mode, in front of a PostgreSQL server,
//! on a loopback port of its own; killed and removed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cluster::{free_port, is_root, run};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The `pgbouncer` program: on the `PATH`, or where Debian's package puts it.
pub fn program() -> Option<PathBuf> {
    let on_path = Command::new("pgbouncer").arg("--version").stdout(Stdio::null()).status().is_ok();
    if on_path {
        return Some(PathBuf::from("pgbouncer"));
    }
    let debian = PathBuf::from("/usr/sbin/pgbouncer");
    debian.exists().then_some(debian)
}

/// A running PgBouncer.
pub struct PgBouncer {
    dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    child: Option<Child>,
}

impl PgBouncer {
    /// PgBouncer with `pool_mode = transaction` and `pool_size` server connections per
    /// database and user, for every database of the server at `server_port` on loopback
    /// (trust authentication, as the test servers have). Panics when it cannot start.
    pub fn start(server_port: u16, pool_size: u32) -> PgBouncer {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("orm-pgbouncer-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        std::fs::write(dir.join("userlist.txt"), "\"postgres\" \"\"\n").unwrap();
        let config = format!(
            "[databases]\n\
             * = host=127.0.0.1 port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {dir}/userlist.txt\n\
             pool_mode = transaction\n\
             default_pool_size = {pool_size}\n\
             min_pool_size = 0\n\
             reserve_pool_size = 0\n\
             max_client_conn = 200\n\
             logfile = {dir}/pgbouncer.log\n\
             server_reset_query =\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("pgbouncer.ini"), config).unwrap();
        if is_root() {
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir));
        }
        let mut bouncer = PgBouncer { dir, port, child: None };
        bouncer.restart();
        bouncer
    }

    /// `postgres://postgres@127.0.0.1:port/database?statement_cache_size=0`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}?statement_cache_size=0", self.port)
    }

    /// Kills PgBouncer at once (SIGKILL): every client connection drops.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts PgBouncer (again) on the same port, and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let program = program().expect("pgbouncer (apt-get install -y pgbouncer)");
        let mut command = Command::new(program);
        if is_root() {
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(self.dir.join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pgbouncer");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("pgbouncer exited ({status}): {}", self.log());
            }
            assert!(started.elapsed() < Duration::from_secs(10), "pgbouncer did not listen: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// PgBouncer's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
