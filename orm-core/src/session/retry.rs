//! `engine.transaction(|db| ..)`: a closure run in a session and committed, run again
//! when the database could not serialize it or chose it as a deadlock victim.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::error::{ErrorKind, Result};
use crate::execution::engine::Engine;
use crate::session::Session;

/// How [`Engine::transaction_with`] retries: how many attempts in all, and the backoff
/// between them (doubling from `first_backoff` up to `max_backoff`, each wait a random
/// part of it so that the transactions that collided do not collide again).
///
/// ```
/// use orm_core::Retry;
/// use std::time::Duration;
/// let patient = Retry { attempts: 10, ..Retry::default() };
/// assert_eq!(patient.first_backoff, Duration::from_millis(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included (default 5); at least 1.
    pub attempts: u32,
    /// The longest wait before the second attempt (default 10 ms).
    pub first_backoff: Duration,
    /// The longest wait between any two attempts (default 1 s).
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { attempts: 5, first_backoff: Duration::from_millis(10), max_backoff: Duration::from_secs(1) }
    }
}

impl Engine {
    /// Runs `f` in a new session inside one transaction and commits; when the database
    /// reports a serialization failure or a deadlock (SQLSTATE 40001, 40P01; SQLite's
    /// busy database), rolls back and runs `f` again in a fresh session, up to
    /// [`Retry::default`]'s five attempts with backoff. Any other error (and the last
    /// serialization failure) is returned after a rollback, never retried: `f` may run
    /// more than once, so it should do nothing outside the session it is given.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] #[orm(table = "accounts")]
    /// # struct Account { #[orm(primary_key)] id: i32, balance: i64 }
    /// # fn main() -> orm_core::Result<()> {
    /// # let engine = Engine::connect("postgres://postgres@127.0.0.1/test")?;
    /// let balance = engine.transaction(|db| {
    ///     let account = db.get::<Account>(1)?.expect("account 1");
    ///     account.get_mut().balance -= 10;
    ///     Ok(account.get().balance)
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn transaction<R>(&self, f: impl FnMut(&mut Session) -> Result<R>) -> Result<R> {
        self.transaction_with(Retry::default(), f)
    }

    /// [`transaction`](Engine::transaction) with another retry policy.
    pub fn transaction_with<R>(&self, retry: Retry, mut f: impl FnMut(&mut Session) -> Result<R>) -> Result<R> {
        let attempts = retry.attempts.max(1);
        let mut backoff = retry.first_backoff.min(retry.max_backoff);
        let mut attempt = 1;
        loop {
            let mut db = self.session();
            let result = db.begin().and_then(|()| f(&mut db)).and_then(|r| db.commit().map(|()| r));
            let error = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            // Commit rolls back by itself when it fails; any other failure leaves the
            // transaction open. A rollback that fails has nothing left to undo.
            let _ = db.rollback();
            drop(db);
            if error.kind() != ErrorKind::SerializationFailure || attempt >= attempts {
                return Err(error);
            }
            let wait = jitter(backoff);
            log::info!(
                target: "orm::retry",
                "transaction attempt {attempt} of {attempts} failed ({error}); retrying in {wait:?}"
            );
            std::thread::sleep(wait);
            backoff = (backoff * 2).min(retry.max_backoff);
            attempt += 1;
        }
    }
}

/// A random duration in `[limit / 2, limit]`.
fn jitter(limit: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let half = limit / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
    half + Duration::from_nanos(random % nanos)
}
