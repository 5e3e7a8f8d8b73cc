//! Shared helpers of the example programs.

/// The database URL the examples use: `DATABASE_URL`, or the local PostgreSQL server.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}
