//! Database drivers behind the ORM's own connection, binding and error types.

pub(crate) mod postgres;
