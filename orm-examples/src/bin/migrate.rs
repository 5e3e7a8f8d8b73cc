//! The migration command line of the courses example (`orm_examples::courses`): with
//! `DATABASE_URL` set, `cargo run -p orm-examples --bin migrate -- upgrade`, `status`,
//! `generate "add something"`, `downgrade -1`, `check`, `history`.

fn main() -> std::process::ExitCode {
    orm_cli::main(&orm_examples::courses::models(), concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
}
