//! The seed's programs and courses as a JSON web service: axum on tokio, each handler's
//! database work on tokio's blocking pool through `Engine::run` / `transaction_async`
//! (the ORM is synchronous; the handlers stay async and short).
//!
//! ```sh
//! cargo run -p orm-examples --bin web                       # SQLite in memory, port 3000
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run -p orm-examples --bin web -- --bind 127.0.0.1:8080
//! curl -s localhost:3000/programs -H 'content-type: application/json' \
//!      -d '{"name": "Bachelors in CS", "years_of_study": 3, "courses": [{"title": "Data SCIENCE", "code": "CS 103"}]}'
//! ```
//!
//! `GET /programs`, `POST /programs` (with its courses), `GET /programs/{id}`, `PATCH
//! /programs/{id}`, `DELETE /programs/{id}`, `GET /health` (the pool's statistics).
//! Errors are JSON `{"error": ".."}` with the status their kind calls for: not found 404,
//! a unique or foreign-key violation 409, a refused value 422, malformed JSON 400, a pool
//! with no free connection within the checkout timeout 503.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use orm_core::prelude::*;
use orm_core::{ErrorKind, Hooks};
use serde::{Deserialize, Serialize};

/// A program of study; its name is unique.
#[derive(Model, Debug)]
#[orm(table = "programs", hooks)]
pub struct Program {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub name: String,
    pub years_of_study: i32,
    #[orm(has_many(Course, foreign_key = "program_id", backref = "program", passive_deletes))]
    pub courses: HasMany<Course>,
}

/// A course of a program.
#[derive(Model, Debug)]
#[orm(table = "courses", hooks)]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub code: String,
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    pub program_id: i32,
}

/// A name is not blank; a program lasts one to eight years.
impl Hooks for Program {
    fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a program needs a name".to_owned());
        }
        if !(1..=8).contains(&self.years_of_study) {
            return Err(format!("years_of_study is {}; a program lasts 1 to 8 years", self.years_of_study));
        }
        Ok(())
    }
}

impl Hooks for Course {
    fn validate(&self) -> Result<(), String> {
        if self.title.trim().is_empty() || self.code.trim().is_empty() {
            return Err("a course needs a title and a code".to_owned());
        }
        Ok(())
    }
}

/// A program as the service shows it.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct ProgramOut {
    pub id: i32,
    pub name: String,
    pub years_of_study: i32,
    pub courses: Vec<CourseOut>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct CourseOut {
    pub id: i32,
    pub title: String,
    pub code: String,
}

/// A new program and its courses.
#[derive(Deserialize)]
pub struct NewProgram {
    pub name: String,
    pub years_of_study: i32,
    #[serde(default)]
    pub courses: Vec<NewCourse>,
}

#[derive(Deserialize)]
pub struct NewCourse {
    pub title: String,
    pub code: String,
}

/// What a PATCH may change.
#[derive(Deserialize)]
pub struct ProgramChange {
    pub name: Option<String>,
    pub years_of_study: Option<i32>,
}

/// A program loaded with its courses, as the service shows it.
fn shown(db: &mut Session, program: &Obj<Program>) -> orm_core::Result<ProgramOut> {
    let courses = program.courses(db)?;
    let courses =
        courses.iter().map(|c| CourseOut { id: c.get().id, title: c.get().title.clone(), code: c.get().code.clone() });
    let p = program.get();
    Ok(ProgramOut { id: p.id, name: p.name.clone(), years_of_study: p.years_of_study, courses: courses.collect() })
}

fn not_found(id: i32) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("no program with id {id}"))
}

async fn list(State(engine): State<Engine>) -> Result<Json<Vec<ProgramOut>>, ApiError> {
    let programs = engine
        .run(|db| {
            let all = db.query::<Program>().order_by(Program::ID).options(selectinload(Program::COURSES)).all()?;
            all.iter().map(|p| shown(db, p)).collect()
        })
        .await?;
    Ok(Json(programs))
}

async fn show(State(engine): State<Engine>, Path(id): Path<i32>) -> Result<Json<ProgramOut>, ApiError> {
    let program = engine.run(move |db| db.get::<Program>(id)?.map(|p| shown(db, &p)).transpose()).await?;
    Ok(Json(program.ok_or_else(|| not_found(id))?))
}

async fn create(
    State(engine): State<Engine>,
    body: Result<Json<NewProgram>, JsonRejection>,
) -> Result<(StatusCode, Json<ProgramOut>), ApiError> {
    let Json(new) = body?;
    let program = engine
        .transaction_async(move |db| {
            let mut program = Program::new(&new.name, new.years_of_study);
            for c in &new.courses {
                program.courses.push(Course::new(&c.title, &c.code));
            }
            let program = db.add(program);
            db.flush()?;
            shown(db, &program)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(program)))
}

async fn update(
    State(engine): State<Engine>,
    Path(id): Path<i32>,
    body: Result<Json<ProgramChange>, JsonRejection>,
) -> Result<Json<ProgramOut>, ApiError> {
    let Json(change) = body?;
    let program = engine
        .transaction_async(move |db| {
            let Some(program) = db.get::<Program>(id)? else { return Ok(None) };
            {
                let mut p = program.get_mut();
                if let Some(name) = &change.name {
                    p.name.clone_from(name);
                }
                if let Some(years) = change.years_of_study {
                    p.years_of_study = years;
                }
            }
            db.flush()?;
            shown(db, &program).map(Some)
        })
        .await?;
    Ok(Json(program.ok_or_else(|| not_found(id))?))
}

async fn remove(State(engine): State<Engine>, Path(id): Path<i32>) -> Result<StatusCode, ApiError> {
    let deleted = engine
        .transaction_async(move |db| {
            let Some(program) = db.get::<Program>(id)? else { return Ok(false) };
            db.delete(&program)?;
            Ok(true)
        })
        .await?;
    if deleted { Ok(StatusCode::NO_CONTENT) } else { Err(not_found(id)) }
}

/// The pool's statistics, for a load balancer or a dashboard.
async fn health(State(engine): State<Engine>) -> Json<serde_json::Value> {
    let s = engine.pool_stats();
    Json(serde_json::json!({
        "pool": {"max_size": s.max_size, "in_use": s.in_use, "idle": s.idle, "checkouts": s.checkouts,
                 "waits": s.waits, "wait_ms": s.wait_time.as_millis() as u64, "timeouts": s.timeouts}
    }))
}

/// An error as an HTTP response: the status its kind calls for, and its message.
pub struct ApiError(StatusCode, String);

impl From<orm_core::Error> for ApiError {
    fn from(e: orm_core::Error) -> ApiError {
        let status = match e.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation | ErrorKind::StaleData => StatusCode::CONFLICT,
            ErrorKind::Validation | ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorKind::PoolTimeout | ErrorKind::ConnectionLost | ErrorKind::ConnectionRejected => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

/// The service's routes over `engine`.
pub fn app(engine: Engine) -> Router {
    Router::new()
        .route("/programs", get(list).post(create))
        .route("/programs/{id}", get(show).patch(update).delete(remove))
        .route("/health", get(health))
        .with_state(engine)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut bind = "127.0.0.1:3000".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" => bind = args.next().ok_or("--bind needs an address, e.g. 127.0.0.1:3000")?,
            other => return Err(format!("unknown argument `{other}`; use --bind ADDRESS").into()),
        }
    }
    // Pool size and checkout timeout from the environment, for load and saturation tests.
    let setting = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    // The engine is built, and the tables made, before the runtime starts: the ORM blocks,
    // and in async code its calls go through `engine.run(..)` (the PostgreSQL driver
    // refuses to block a thread that drives async tasks).
    let engine = Engine::builder(&orm_examples::database_url())
        .max_size(u32::try_from(setting("POOL_SIZE", 8)).unwrap_or(8))
        .checkout_timeout(Duration::from_millis(setting("CHECKOUT_TIMEOUT_MS", 5_000)))
        .build()?;
    engine.create_all(&[Program::table(), Course::table()])?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&bind).await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app(engine)).await?;
        Ok(())
    })
}
