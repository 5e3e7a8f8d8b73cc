//! A unit-of-work ORM for Rust: SQLAlchemy's ORM, done the Rust way.
//!
//! `#[derive(Model)]` on a plain struct generates its table metadata, typed column
//! handles (`Program::NAME`), a constructor and CRUD methods. An [`Engine`] holds a
//! connection pool, creates tables in foreign-key order and runs typed queries whose
//! values are always bound parameters.
//!
//! ```no_run
//! use orm_core::prelude::*;
//!
//! #[derive(Model, Debug)]
//! #[orm(table = "programs")]
//! pub struct Program {
//!     #[orm(primary_key)]
//!     pub id: i32,
//!     pub name: String,
//!     pub years_of_study: i32,
//! }
//!
//! fn main() -> orm_core::Result<()> {
//!     let engine = Engine::builder("postgres://postgres@127.0.0.1:5432/test").echo(true).build()?;
//!     engine.create_all(&[Program::table()])?;
//!
//!     let mut cs = Program::new("Bachelors in CS", 3);
//!     let id = cs.insert(&engine)?;
//!     let found = Program::query().filter(Program::NAME.eq("Bachelors in CS")).one(&engine)?;
//!     assert_eq!(found.id, id);
//!     Ok(())
//! }
//! ```
#![warn(missing_docs)]

extern crate self as orm_core;

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!(
    "orm-core needs a database backend: enable its `postgres`, `sqlite` or `mysql` feature (the first two are on by default)"
);

// The shared base, used by every layer.
mod error;
mod value;

// The five layers, each importing only from the ones before it (checked by `layering`).
mod execution;
pub mod migration;
mod schema;
mod session;
mod sql;

#[cfg(test)]
mod layering;

pub use error::{Error, ErrorKind, Result};
pub use execution::connection::{CancelToken, Connection, IsolationLevel};
pub use execution::echo::{LOG_TARGET, SLOW_LOG_TARGET, StatementListener};
pub use execution::engine::{Engine, EngineBuilder, Executor, NPlusOne};
pub use execution::pool_stats::PoolStats;
pub use execution::row::Row;
pub use execution::tls::SslMode;
pub use migration::embed_migrations;
pub use schema::fields::{BelongsTo, HasMany, HasOne, ManyToMany};
pub use schema::hooks::Hooks;
#[cfg(feature = "json")]
pub use schema::json::{Json, JsonDocument};
pub use schema::mapped::{EnumDef, MappedType};
pub use schema::model::Model;
pub use schema::table::{ColumnDef, TableDef};
pub use schema::types::{ArrayElement, BaseType, ColumnType, PrimaryKey, SqlArg, SqlType};
pub use session::options::{LoadOption, joinedload, lazyload, raiseload, selectinload};
pub use session::{Children, Obj, ObjectState, Retry, Session, SessionQuery};
pub use sql::arithmetic::{Combined, Numeric, Term, Widen};
pub use sql::cte::Cte;
pub use sql::dialect::Dialect;
pub use sql::expr::{
    CmpOp, Column, ColumnRef, Contains, DocumentPath, Expr, NumberPath, OrderBy, PathTest, and, not, or,
};
pub use sql::functions::{FunctionArg, FunctionArgs, Roundable, Summable};
pub use sql::operand::{CastTarget, IntoSqlExpr, Operand, SqlExpr, Text};
pub use sql::projection::{ExprOrder, FromRow, Rows, SelectItem, Selection};
pub use sql::query::{Query, QueryBuilder};
pub use sql::relationship::Relationship;
pub use sql::source::{Aliased, JoinSource, Subquery, aliased};
pub use sql::writes::{Assignment, ColumnList, Insert, InsertSelect, excluded};

/// SQL functions and aggregates over typed expressions: `lower(Program::NAME)`,
/// `count_all()`, `sum(Item::PRICE * Item::QUANTITY)`, ...
pub mod functions {
    #[cfg(feature = "chrono")]
    pub use crate::sql::functions::now;
    pub use crate::sql::functions::{
        FunctionArg, FunctionArgs, avg, coalesce, concat, count, count_all, count_distinct, exists, function, length,
        lower, max, min, not_exists, round, sum, upper, value,
    };
    pub use crate::sql::operand::{Case, Over, Text, dense_rank, rank, row_number, when};
}
pub use value::Value;

pub use execution::crud;
pub use sql::dialect;

/// Static table metadata: tables, columns, keys and relationship descriptions.
pub mod metadata {
    pub use crate::schema::described::{
        CheckSchema, ColumnKind, ColumnSchema, EnumSchema, ForeignKeySchema, IndexSchema, Schema, TableSchema,
        UniqueSchema,
    };
    pub use crate::schema::relationship::{Cascade, Loading, RelationKind, RelationshipDef};
    pub use crate::schema::table::{
        CheckDef, ColumnDef, ForeignKeyDef, IndexDef, ReferentialAction, TableDef, UniqueDef,
    };
}

/// DDL: the order tables are created in; `TableDef::create_sql` / `drop_sql` give the text.
pub mod ddl {
    pub use crate::schema::table_order::{sort_tables, with_association_tables};
}

/// Typed queries of one model, run on an engine or a connection, and raw SQL returning
/// model rows.
pub mod query {
    pub use crate::execution::query::from_sql;
    pub use crate::sql::query::{Query, QueryBuilder};
}

/// Parses a database URL as [`Engine::builder`](crate::Engine::builder) would, without
/// connecting or opening anything: `Ok` when an engine could be built from it, an
/// [`ErrorKind::BadUrl`] error otherwise. For tests (the URL parser is fuzzed through it).
#[doc(hidden)]
pub fn check_url(url: &str) -> Result<()> {
    execution::url::DatabaseUrl::parse(url).map(|_| ())
}

/// `#[derive(Model)]`: maps a struct to a table.
///
/// Struct attributes (`#[orm(...)]`):
/// - `table = "name"`: the table's name (default: the struct's name in snake_case);
/// - `primary_key(a, b)`: a composite primary key over the named fields;
/// - `unique(a, b)`: a UNIQUE constraint over several fields (repeatable), named with
///   `unique(a, b, name = "uq_..")`;
/// - `index(a, b)`: an index over several fields (repeatable), `name = ".."` to name it,
///   `where = "deleted = false"` for a partial index;
/// - `check = "SQL"`: a table CHECK constraint (repeatable);
/// - `hooks`: the model implements [`Hooks`] (`before_insert`, `before_update`,
///   `validate`, `after_load`), which the session runs;
/// - `renamed_from = "old"`: the table's previous name; an autogenerated migration
///   renames the table instead of dropping it and creating another.
///
/// Field attributes:
/// - `primary_key`: the primary key; an integer key is SERIAL (assigned by the
///   database) unless `autoincrement = false`;
/// - `column = "name"`: the column's name (default: the field's name);
/// - `unique`, `index`: a single-column UNIQUE constraint or index;
/// - `length = N`: VARCHAR(N) for a `String`;
/// - `default = <expr>`: the value `new()` gives the field (it is then no argument of `new`;
///   neither are foreign keys, which relationships fill in);
/// - `check = "SQL"`: a CHECK constraint on the column, named `ck_<table>_<column>`
///   (on the struct: a table CHECK, `ck_<table>_<n>`);
/// - `server_default = "SQL"`: the column's DEFAULT (NOT NULL); the field is an `Option`:
///   `None` leaves the column out of the INSERT and reads back what the database chose,
///   `Some(value)` is sent as set;
/// - `foreign_key = "table.column"` with `on_delete = "cascade"` / `on_update = ..`
///   (`cascade`, `set null`, `set default`, `restrict`, `no action`);
/// - `version`: the optimistic-locking counter (an integer; `new()` starts it at 1): every
///   UPDATE and DELETE matches the loaded version and writes the next one, a mismatch is
///   [`ErrorKind::StaleData`];
/// - `created_at` / `updated_at`: a timestamp (`DateTime<Utc>` or `NaiveDateTime`, or an
///   `Option`) the session sets on insert (unless set) / on insert and every update;
/// - `renamed_from = "old"`: the column's previous name; an autogenerated migration
///   renames it, keeping its data (renames are never guessed);
/// - `skip`: not a column (the field must implement `Default`);
/// - `has_many(Target, foreign_key = "col", backref = "name", passive_deletes, ...)`:
///   a one-to-many relationship (the field is a `HasMany<Target>`);
/// - `has_one(Target, foreign_key = "col", backref = "name", ...)`: a one-to-one
///   relationship over a unique foreign key (the field is a `HasOne<Target>`);
/// - `many_to_many(Target, secondary = "table", backref = "name", ...)`: pairs through an
///   association table the derive generates (the field is a `ManyToMany<Target>`);
/// - `belongs_to(Target, foreign_key = "col")`: the many-to-one side, declared on the
///   child (the field is a `BelongsTo<Target>`).
///
/// ```
/// use orm_core::prelude::*;
///
/// #[derive(Model, Debug)]
/// #[orm(table = "courses", unique(code, program_id))]
/// pub struct Course {
///     #[orm(primary_key)]
///     pub id: i32,
///     #[orm(length = 200, index)]
///     pub title: String,
///     pub code: String,
///     #[orm(foreign_key = "programs.id", on_delete = "cascade")]
///     pub program_id: i32,
///     #[orm(default = 3)]
///     pub credits: i16,
/// }
///
/// // Foreign keys are no arguments of new(): relationships set them, or assign them.
/// let c = Course { program_id: 1, ..Course::new("Data SCIENCE", "CS 103") };
/// assert_eq!(c.credits, 3);
/// assert_eq!(Course::TITLE.name(), "title");
/// ```
pub use orm_derive::Model;

/// `#[derive(ColumnType)]`: a type of your own as a column type.
///
/// - On a newtype (`struct Email(String);`), the value is stored as the inner type; the
///   newtype can be a primary or foreign key.
/// - On a fieldless enum, each variant is stored as a label (the variant's name in
///   snake_case, or `#[orm(rename = "..")]`): as text kept to the labels by a CHECK, or,
///   with `#[orm(pg_enum = "type_name")]` on the enum, as a PostgreSQL `ENUM` type that
///   `create_all` creates first (SQLite stores the text with the CHECK).
///
/// A column type also implements `Clone` and `Default` (`#[default]` on one variant).
///
/// ```
/// use orm_core::prelude::*;
///
/// #[derive(ColumnType, Debug, Clone, Default, PartialEq)]
/// pub struct Isbn(String);
///
/// #[derive(ColumnType, Debug, Clone, Copy, Default, PartialEq)]
/// #[orm(pg_enum = "book_format")]
/// pub enum Format {
///     #[default]
///     Hardcover,
///     Paperback,
///     #[orm(rename = "e-book")]
///     Ebook,
/// }
///
/// #[derive(Model)]
/// struct Book {
///     #[orm(primary_key, autoincrement = false)]
///     isbn: Isbn,
///     format: Format,
/// }
///
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Book::table()])?;
/// let mut session = engine.session();
/// session.add(Book::new(Isbn("978-0441172719".into()), Format::Ebook));
/// session.commit()?;
/// let ebooks = session.query::<Book>().filter(Book::FORMAT.eq(Format::Ebook)).all()?;
/// assert_eq!(ebooks[0].get().isbn, Isbn("978-0441172719".into()));
/// # Ok::<(), orm_core::Error>(())
/// ```
pub use orm_derive::ColumnType;

/// `#[derive(FromRow)]`: a struct built from a value query's rows (see [`FromRow`]).
pub use orm_derive::FromRow;

/// The names most programs need: `use orm_core::prelude::*;`.
pub mod prelude {
    pub use crate::execution::engine::{Engine, Executor};
    pub use crate::schema::fields::{BelongsTo, HasMany, HasOne, ManyToMany};
    pub use crate::schema::model::Model;
    pub use crate::schema::table::TableDef;
    pub use crate::session::options::{joinedload, lazyload, raiseload, selectinload};
    pub use crate::session::{Obj, ObjectState, Session};
    pub use crate::sql::expr::{Column, Expr};
    pub use crate::sql::query::{Query, QueryBuilder};
    pub use crate::sql::relationship::Relationship;
    pub use orm_derive::{ColumnType, FromRow, Model};
}

/// Items used by the code `#[derive(Model)]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::error::{Error, Result};
    pub use crate::schema::compile_checks::{
        ColumnNamed, ForeignKeyField, ForeignKeyOf, SingleColumnKey, UniqueColumn, key_column, key_rust_type,
        key_sql_type, name_hash, table_name,
    };
    pub use crate::schema::decode::ColumnSource;
    pub use crate::schema::fields::{HasMany, HasOne, PendingVisitor};
    pub use crate::schema::hooks::{Hooks, run_write_hooks};
    pub use crate::schema::mapped::{EnumDef, MappedType};
    pub use crate::schema::model::Model;
    pub use crate::schema::relationship::{Cascade, LoaderSlot, Loading, RelationKind, RelationshipDef};
    pub use crate::schema::table::{
        CheckDef, ColumnDef, ForeignKeyDef, IndexDef, ReferentialAction, TableDef, UniqueDef,
    };
    pub use crate::schema::types::{BaseType, ColumnType, PrimaryKey, SqlType};
    pub use crate::session::{Children, Obj, Session, glue};
    pub use crate::sql::expr::Column;
    pub use crate::sql::relationship::Relationship;
    pub use crate::value::Value;
    pub use std::option::Option::{self, None, Some};
    pub use std::result::Result::{Err, Ok};
    pub use std::vec::Vec;

    /// Decodes a model's column from a row.
    #[inline(always)]
    pub fn decode<T: ColumnType, R: ColumnSource + ?Sized>(
        row: &R,
        idx: usize,
        table: &TableDef,
        column: usize,
    ) -> Result<T> {
        crate::schema::decode::decode_column(row, idx, table, column)
    }

    /// Assigns a value to a model's field, checking its type.
    #[inline(always)]
    pub fn assign<T: ColumnType>(field: &mut T, value: Value, table: &TableDef, column: usize) -> Result<()> {
        match T::from_value(value) {
            Ok(v) => {
                *field = v;
                Ok(())
            }
            Err(v) => Err(assign_error(v.type_name(), table, column, T::RUST_NAME)),
        }
    }

    #[cold]
    #[inline(never)]
    fn assign_error(given: &str, table: &TableDef, column: usize, rust_type: &str) -> Error {
        Error::invalid_state(format!(
            "cannot assign a {given} to `{}.{}`, which is `{rust_type}`",
            table.name, table.columns[column].name
        ))
    }

    /// The error for a column index the model does not have.
    pub fn no_such_column(table: &TableDef, column: usize) -> Error {
        Error::invalid_state(format!("table `{}` has no column number {column}", table.name))
    }
}
