//! The migration command line without models: `upgrade`, `downgrade`, `status` and
//! `history` of a migrations directory (`--dir`, default `migrations`). `generate` and
//! `check` compare models, so they run from an application's own binary built on
//! [`orm_cli::main`].

fn main() -> std::process::ExitCode {
    orm_cli::main(&[], "migrations")
}
