//! Read replicas: streaming standbys that sessions read from until they write.
//!
//! Reads go to the replicas in turn. A replica is used only when it has replayed every
//! commit this engine has made (the primary's WAL position after each session commit,
//! compared with the replica's `pg_last_wal_replay_lsn()`), so that a session sees what
//! an earlier session committed; otherwise the read goes to the primary. A replica that
//! cannot be reached, or whose replay lags behind its primary by more than the bound, is
//! skipped (one log record under `orm::replica`) and tried again after a while.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::execution::backend::postgres::PgManager;
use crate::execution::connection::{Connection, Settings};

/// Every replica of an engine, and the newest commit the engine made on the primary.
pub(crate) struct Replicas {
    replicas: Vec<Replica>,
    next: AtomicUsize,
    /// The primary's WAL position after the engine's newest commit (`u64::MAX`: unknown,
    /// read from the primary).
    needed: AtomicU64,
    settings: Arc<Settings>,
    /// How long a checkout from a replica may wait.
    checkout: Duration,
    /// A replica whose replay lags more than this behind its primary is skipped.
    max_lag: Duration,
    /// How long a replica found down or lagging is left alone.
    retry_after: Duration,
}

struct Replica {
    pool: r2d2::Pool<PgManager>,
    /// The URL, password hidden, for log records.
    url: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Replayed up to here when last asked.
    replayed: u64,
    /// When the replay lag was last measured.
    checked: Option<Instant>,
    /// Down or lagging until then: skipped.
    skipped_until: Option<Instant>,
}

/// How often a replica in use is asked for its replay lag.
const LAG_CHECK_EVERY: Duration = Duration::from_secs(1);

impl Replicas {
    pub(crate) fn new(
        pools: Vec<(r2d2::Pool<PgManager>, String)>,
        settings: Arc<Settings>,
        checkout: Duration,
        max_lag: Duration,
        retry_after: Duration,
    ) -> Replicas {
        Replicas {
            replicas: pools
                .into_iter()
                .map(|(pool, url)| Replica { pool, url, state: Mutex::new(State::default()) })
                .collect(),
            next: AtomicUsize::new(0),
            needed: AtomicU64::new(0),
            settings,
            checkout,
            max_lag,
            retry_after,
        }
    }

    /// A connection to a replica that has replayed the engine's commits, the replicas
    /// taken in turn; `None` when none can serve (then the primary does).
    pub(crate) fn read_connection(&self) -> Option<Connection> {
        let needed = self.needed.load(Ordering::Acquire);
        if needed == u64::MAX {
            return None;
        }
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        (0..self.replicas.len())
            .map(|i| &self.replicas[(first + i) % self.replicas.len()])
            .find_map(|replica| self.try_replica(replica, needed))
    }

    fn try_replica(&self, replica: &Replica, needed: u64) -> Option<Connection> {
        let now = Instant::now();
        // The state is looked at and updated under its lock, never held across I/O.
        let (was_skipped, check) = {
            let mut state = replica.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.skipped_until.is_some_and(|until| now < until) {
                return None;
            }
            let stale = state.checked.is_none_or(|at| now.duration_since(at) >= LAG_CHECK_EVERY);
            (state.skipped_until.take().is_some(), stale || state.replayed < needed)
        };
        let skip = |why: String| {
            log::warn!(target: "orm::replica", "replica {} {why}; reading from the primary", replica.url);
            let until = Instant::now() + self.retry_after;
            replica.state.lock().unwrap_or_else(PoisonError::into_inner).skipped_until = Some(until);
            None
        };
        let mut conn = match replica.pool.get_timeout(self.checkout) {
            Ok(conn) => Connection::postgres(conn, self.settings.clone()),
            Err(e) => return skip(format!("is unreachable ({e})")),
        };
        let replayed = if check {
            let (replayed, lag) = match replay_position(&mut conn) {
                Ok(found) => found,
                Err(e) => return skip(format!("failed ({e})")),
            };
            if lag > self.max_lag {
                return skip(format!(
                    "lags {:.1}s behind its primary (more than {:.1}s)",
                    lag.as_secs_f64(),
                    self.max_lag.as_secs_f64()
                ));
            }
            let mut state = replica.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.replayed = state.replayed.max(replayed);
            state.checked = Some(now);
            state.replayed
        } else {
            replica.state.lock().unwrap_or_else(PoisonError::into_inner).replayed
        };
        if was_skipped {
            log::info!(target: "orm::replica", "replica {} is back", replica.url);
        }
        // Not yet replayed the engine's last commit: this read goes to the primary.
        (replayed >= needed).then_some(conn)
    }

    /// Notes the primary's WAL position after a commit (`None`: it could not be read,
    /// so reads go to the primary until the next commit says where it is).
    pub(crate) fn note_commit(&self, position: Option<u64>) {
        match position {
            Some(lsn) => {
                let _ = self.needed.fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
                    (old == u64::MAX || lsn > old).then_some(lsn)
                });
            }
            None => self.needed.store(u64::MAX, Ordering::Release),
        }
    }
}

/// The replica's replayed WAL position, and how far behind its primary it is: none when
/// it has replayed all it received, else the age of the last transaction it replayed.
fn replay_position(conn: &mut Connection) -> Result<(u64, Duration)> {
    let sql = "SELECT pg_last_wal_replay_lsn()::text, \
               CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
               ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8";
    let rows = conn.query_raw(sql, &[], |row| Ok((row.get::<Option<String>>(0)?, row.get::<f64>(1)?)))?;
    let (position, lag) = rows.into_iter().next().unwrap_or((None, 0.0));
    let position = position.as_deref().and_then(parse_lsn).ok_or_else(|| {
        crate::error::Error::invalid_state("the replica reports no replay position: is it a standby?")
    })?;
    Ok((position, Duration::from_secs_f64(lag.max(0.0))))
}

/// `16/B374D848` as a number.
pub(crate) fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

/// The primary's WAL position now (after a commit: at or past it).
pub(crate) fn primary_position(conn: &mut Connection) -> Option<u64> {
    let rows = conn.query_raw("SELECT pg_current_wal_lsn()::text", &[], |row| row.get::<String>(0)).ok()?;
    rows.first().and_then(|text| parse_lsn(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_wal_positions() {
        assert_eq!(super::parse_lsn("0/3000148"), Some(0x3000148));
        assert_eq!(super::parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(super::parse_lsn("nonsense"), None);
    }
}
