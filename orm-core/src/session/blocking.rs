//! Sessions from async code (the `tokio` feature): the session's work, which blocks on
//! the database, runs on tokio's blocking pool, and the handler awaits its result. A web
//! handler stays one line of database work:
//!
//! ```
//! # #[derive(orm_core::Model)] #[orm(table = "programs")]
//! # struct Program { #[orm(primary_key)] id: i32, name: String }
//! # async fn handler(engine: orm_core::Engine) -> orm_core::Result<()> {
//! let id = engine.transaction_async(|db| {
//!     let program = db.add(Program::new("Bachelors in CS"));
//!     db.flush()?;
//!     Ok(program.get().id)
//! }).await?;
//! let name = engine.run(move |db| Ok(db.get::<Program>(id)?.map(|p| p.get().name.clone()))).await?;
//! # let _ = name;
//! # Ok(()) }
//! ```
//!
//! Handles (`Obj<T>`) stay inside the closure, with the session; what comes out is plain
//! data.

use crate::error::{Error, Result};
use crate::execution::engine::Engine;
use crate::session::Session;

impl Engine {
    /// Runs `work` with a session of its own on tokio's blocking pool and awaits what it
    /// returns. The session is the closure's: it commits what it wants to keep (what is
    /// left uncommitted is rolled back when the session ends). A panic in `work` panics
    /// here, as if it had run in place.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut Session) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let engine = self.clone();
        blocking(move || work(&mut engine.session())).await
    }

    /// [`transaction`](Engine::transaction) on tokio's blocking pool: `work` runs in a
    /// transaction of its own session, committed when it returns `Ok`, run again on a
    /// serialization failure or deadlock.
    pub async fn transaction_async<T, F>(&self, work: F) -> Result<T>
    where
        F: FnMut(&mut Session) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let engine = self.clone();
        blocking(move || engine.transaction(work)).await
    }
}

/// `f` on tokio's blocking pool; its panic resumed here.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::invalid_state(format!(
            "the database work was cancelled ({e}): the tokio runtime is shutting down"
        ))),
    }
}
