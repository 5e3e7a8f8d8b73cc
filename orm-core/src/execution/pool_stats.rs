//! What operators watch of a pool: connections in use and idle, checkouts, how many had to
//! wait and for how long, and how many timed out. Counted from the pool's own events
//! (r2d2's `HandleEvent`), with relaxed atomics: no lock of ours on the checkout path.
//!
//! ```
//! use orm_core::Engine;
//! let engine = Engine::builder("sqlite::memory:").max_size(2).build()?;
//! let conn = engine.connection()?;
//! let stats = engine.pool_stats();
//! assert_eq!((stats.in_use, stats.max_size), (1, 2));
//! assert!(stats.checkouts >= 1);
//! drop(conn);
//! # Ok::<(), orm_core::Error>(())
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A checkout that takes this long waited for a connection (none was idle).
pub const WAIT_THRESHOLD: Duration = Duration::from_millis(1);

/// The pool's counters since the engine was built, and its state now
/// ([`Engine::pool_stats`](crate::Engine::pool_stats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// The most connections the pool opens.
    pub max_size: u32,
    /// Connections open now, busy or idle.
    pub connections: u32,
    /// Connections idle now.
    pub idle: u32,
    /// Connections checked out now.
    pub in_use: u32,
    /// Checkouts that got a connection.
    pub checkouts: u64,
    /// Checkouts that waited (took [`WAIT_THRESHOLD`] or longer) for a connection: none
    /// was idle, and one was opened or given back meanwhile.
    pub waits: u64,
    /// The time all checkouts waited, together.
    pub wait_time: Duration,
    /// The longest a checkout waited.
    pub max_wait: Duration,
    /// Checkouts that gave up after the checkout timeout (`ErrorKind::PoolTimeout`).
    pub timeouts: u64,
}

/// The counters, shared by the pool's event handler and the engine.
#[derive(Debug, Default)]
pub(crate) struct PoolCounters {
    checkouts: AtomicU64,
    waits: AtomicU64,
    wait_nanos: AtomicU64,
    max_wait_nanos: AtomicU64,
    timeouts: AtomicU64,
}

impl PoolCounters {
    /// The counters, with the pool's state now.
    pub(crate) fn stats(&self, max_size: u32, connections: u32, idle: u32) -> PoolStats {
        let nanos = |a: &AtomicU64| Duration::from_nanos(a.load(Ordering::Relaxed));
        PoolStats {
            max_size,
            connections,
            idle,
            in_use: connections.saturating_sub(idle),
            checkouts: self.checkouts.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            wait_time: nanos(&self.wait_nanos),
            max_wait: nanos(&self.max_wait_nanos),
            timeouts: self.timeouts.load(Ordering::Relaxed),
        }
    }
}

/// The pool's event handler: counts checkouts, waits and timeouts.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoolEvents(pub(crate) Arc<PoolCounters>);

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        let counters = &self.0;
        counters.checkouts.fetch_add(1, Ordering::Relaxed);
        let waited = event.duration();
        if waited >= WAIT_THRESHOLD {
            let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
            counters.waits.fetch_add(1, Ordering::Relaxed);
            counters.wait_nanos.fetch_add(nanos, Ordering::Relaxed);
            counters.max_wait_nanos.fetch_max(nanos, Ordering::Relaxed);
        }
    }

    fn handle_timeout(&self, event: r2d2::event::TimeoutEvent) {
        let counters = &self.0;
        counters.timeouts.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(event.timeout().as_nanos()).unwrap_or(u64::MAX);
        counters.wait_nanos.fetch_add(nanos, Ordering::Relaxed);
        counters.max_wait_nanos.fetch_max(nanos, Ordering::Relaxed);
    }
}
