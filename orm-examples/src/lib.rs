//! Shared helpers of the example programs.

pub mod courses;
pub mod shop;

/// The database URL the examples use: `DATABASE_URL`, or else an in-memory SQLite
/// database, so that they run on a machine with no database server.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned())
}
