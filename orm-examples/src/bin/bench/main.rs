//! The ORM against hand-written `postgres` code on the same workloads, in one run.
//!
//! ```sh
//! cargo run --release -p orm-examples --bin bench            # DATABASE_URL or local PostgreSQL
//! cargo run --release -p orm-examples --bin bench -- --scale 0.01 --rounds 1   # a smoke run
//! cargo run --release -p orm-examples --bin bench -- --statement-cache-off    # W2, W3 unnamed
//! cargo run --release -p orm-examples --bin bench -- --pgbouncer 6432         # W2, W3 through it
//! ```
//!
//! Each workload runs ORM and raw code alternately, `--rounds` times after a warm-up, on
//! the seed's schema (programs, courses with ON DELETE CASCADE) in a database of its own,
//! and prints `workload=W.. orm_s=.. raw_s=.. ratio=..`: the median times, and the median
//! of the rounds' orm/raw ratios. Workloads made of many independent steps (lookups,
//! loads, scenarios) run each round in slices, the two sides taking turns slice by
//! slice, so that a slow moment of the machine falls on both.
//!
//! The scaling section (`scale.rs`) then runs workloads at two sizes ten times apart and
//! prints each side's cost per operation at both and how it grew, the memory per loaded
//! object, and (with `--svg PATH`) a plot of cost per operation against size.
//!
//! With `--statement-cache-off` both sides send unnamed statements with typed parameters
//! (the ORM's `statement_cache_size(0)`, the `postgres` crate's `query_typed`), and with
//! `--pgbouncer PORT` they do so through a PgBouncer on that loopback port (in
//! transaction mode, in front of the server of `DATABASE_URL`); both run W2 and W3 only.
//! Both sides connect without TLS (`sslmode=disable`): loopback, and the same for both.
//!
//! With `DATABASE_URL=mysql://..` (MariaDB) it runs W1-W8 against hand-written code on
//! the `mysql` crate instead (`mysql.rs`).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use orm_core::SslMode;
use orm_core::prelude::*;
use postgres::types::Type;
use postgres::{Client, NoTls};

mod concurrent;
mod mysql;
mod scale;

/// Counts the bytes the process holds, while asked to (see `scale::memory`).
#[global_allocator]
static ALLOCATOR: scale::CountingAllocator = scale::CountingAllocator;

#[derive(Model, Debug)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub years_of_study: i32,
    #[orm(has_many(Course, foreign_key = "program_id", backref = "program", passive_deletes))]
    pub courses: HasMany<Course>,
}

#[derive(Model, Debug)]
#[orm(table = "courses")]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(index)]
    pub code: String,
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    pub program_id: i32,
}

/// What the hand-written side decodes rows into.
#[derive(Debug)]
pub(crate) struct RawProgram {
    id: i32,
    name: String,
    years_of_study: i32,
}

#[derive(Debug)]
pub(crate) struct RawCourse {
    pub(crate) id: i32,
    pub(crate) title: String,
    pub(crate) code: String,
    pub(crate) program_id: i32,
}

pub(crate) type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Sizes, scaled by `--scale` (1.0 = the workloads as specified).
pub(crate) struct Sizes {
    pub(crate) programs: usize,
    pub(crate) courses_per_program: usize,
    pub(crate) lookups: usize,
    pub(crate) loads: usize,
    pub(crate) scenarios: usize,
}

impl Sizes {
    pub(crate) fn scaled(scale: f64) -> Sizes {
        let n = |full: usize| ((full as f64 * scale).round() as usize).max(1);
        Sizes { programs: 100, courses_per_program: n(100), lookups: n(10_000), loads: n(50), scenarios: n(200) }
    }
}

/// A run's state: the ORM's engine, the hand-written side's client (the `postgres` crate's,
/// or the `mysql` crate's in `mysql.rs`), sizes and the round being run.
pub(crate) struct Bench<C = Client> {
    pub(crate) engine: Engine,
    pub(crate) client: C,
    pub(crate) sizes: Sizes,
    pub(crate) round: usize,
    /// The slice of the round being run: (index, count).
    pub(crate) slice: (usize, usize),
    /// Run only this workload (for profiling).
    pub(crate) only: Option<String>,
    /// Unnamed statements on both sides (the statement cache off).
    pub(crate) unnamed: bool,
}

fn main() -> BenchResult {
    let mut scale = 1.0;
    let mut rounds = 15;
    let mut only: Option<String> = None;
    let mut pin = true;
    let mut scaling_rounds = 7;
    let mut svg: Option<String> = None;
    let mut unnamed = false;
    let mut pgbouncer: Option<u16> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => scale = args.next().ok_or("--scale needs a number")?.parse()?,
            "--rounds" => rounds = args.next().ok_or("--rounds needs a number")?.parse()?,
            "--only" => only = Some(args.next().ok_or("--only needs a workload, e.g. W4")?),
            "--no-pin" => pin = false,
            "--scaling-rounds" => {
                scaling_rounds = args.next().ok_or("--scaling-rounds needs a number")?.parse()?;
            }
            "--svg" => svg = Some(args.next().ok_or("--svg needs a file name")?),
            "--statement-cache-off" => unnamed = true,
            "--pgbouncer" => {
                pgbouncer = Some(args.next().ok_or("--pgbouncer needs PgBouncer's port")?.parse()?);
                unnamed = true;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; use --scale F --rounds N --only W4|S2 --no-pin \
                     --scaling-rounds N --svg FILE --statement-cache-off --pgbouncer PORT"
                )
                .into());
            }
        }
    }
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    if url.starts_with("mysql:") || url.starts_with("mariadb:") {
        return mysql::run(&url, scale, rounds, scaling_rounds, only.as_deref());
    }
    if !url.starts_with("postgres") {
        return Err("the benchmark compares with the postgres crate (DATABASE_URL=postgres://..) or the mysql \
                    crate (DATABASE_URL=mysql://..)"
            .into());
    }
    let database = format!("orm_bench_{}", std::process::id());
    let mut admin = Client::connect(&url, NoTls)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {database}"))?;
    let mut target: postgres::Config = url.parse()?;
    target.dbname(&database).ssl_mode(postgres::config::SslMode::Disable);
    if let Some(port) = pgbouncer {
        target.host("127.0.0.1");
        target.port(port);
    }
    let options =
        Options { scale, rounds, only: only.as_deref(), pin, scaling_rounds, svg: svg.as_deref(), unnamed, pgbouncer };
    let result = run(&target, options);
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))?;
    result
}

/// The URL of `config`'s first host, port, user and database.
fn url_of(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let password = config.get_password().map(|p| format!(":{}", String::from_utf8_lossy(p))).unwrap_or_default();
    format!("postgres://{user}{password}@{host}:{port}/{}", config.get_dbname().unwrap_or("postgres"))
}

/// What the command line asked for.
struct Options<'a> {
    scale: f64,
    rounds: usize,
    only: Option<&'a str>,
    pin: bool,
    scaling_rounds: usize,
    svg: Option<&'a str>,
    unnamed: bool,
    pgbouncer: Option<u16>,
}

fn run(target: &postgres::Config, options: Options<'_>) -> BenchResult {
    let Options { scale, rounds, only, pin, scaling_rounds, svg, unnamed, pgbouncer } = options;
    let mut builder = Engine::builder(&url_of(target)).ssl_mode(SslMode::Disable).max_size(2);
    if unnamed {
        builder = builder.statement_cache_size(0);
    }
    let engine = builder.build()?;
    let mut client = target.connect(NoTls)?;
    engine.create_all(&[Program::table(), Course::table()])?;
    let pinned = if pin { pin_processes(&engine, &mut client) } else { None };
    let only = match (only, unnamed) {
        (Some(only), _) => Some(only.to_owned()),
        (None, true) => Some("W2|W3".to_owned()),
        (None, false) => None,
    };
    let mut b = Bench { engine, client, sizes: Sizes::scaled(scale), round: 0, slice: (0, 1), only, unnamed };

    println!(
        "# {} programs x {} courses, {} lookups, {} loads, {} scenarios; {rounds} rounds after a warm-up",
        b.sizes.programs, b.sizes.courses_per_program, b.sizes.lookups, b.sizes.loads, b.sizes.scenarios
    );
    println!("# {}", pinned.as_deref().unwrap_or("not pinned: the scheduler places client and server"));
    if unnamed {
        let via = pgbouncer.map_or("directly".to_owned(), |port| format!("through PgBouncer on port {port}"));
        println!("# statements: unnamed with typed parameters on both sides (statement cache off), {via}");
    }
    measure(&mut b, "W1", "insert_batch", rounds, 1, Some(reset), orm_insert_batch, raw_insert_batch)?;
    // The read workloads share one data set, settled first: statistics gathered, and the
    // write workloads' WAL written out now rather than during the next workload's rounds.
    reset(&mut b)?;
    orm_insert_batch(&mut b)?;
    settle(&mut b)?;
    measure(&mut b, "W2", "get_by_pk", rounds, 10, None, orm_get_by_pk, raw_get_by_pk)?;
    measure(&mut b, "W3", "filter_first", rounds, 10, None, orm_filter_first, raw_filter_first)?;
    measure(&mut b, "W4", "load_one_to_many", rounds, 5, None, orm_load_one_to_many, raw_load_one_to_many)?;
    measure(&mut b, "W5", "seed_scenario", rounds, 10, None, orm_seed_scenario, raw_seed_scenario)?;
    measure(&mut b, "W6", "update_batch", rounds, 1, None, orm_update_batch, raw_update_batch)?;
    settle(&mut b)?;
    measure(&mut b, "W7", "aggregate_counts", rounds, 5, None, orm_aggregate_counts, raw_aggregate_counts)?;
    measure(&mut b, "W8", "projection", rounds, 5, None, orm_projection, raw_projection)?;
    println!("peak_rss_mb={:.1}", peak_rss_mb());
    if !unnamed {
        scale::run(&mut b, scale, scaling_rounds, svg)?;
    }
    let wanted = |only: &str| only.split('|').any(|o| o == "C" || o.starts_with('C'));
    if !unnamed && b.only.as_deref().is_none_or(wanted) {
        reset(&mut b)?;
        orm_insert_batch(&mut b)?;
        settle(&mut b)?;
        let (programs, courses) = (b.sizes.programs as i32, (b.sizes.programs * b.sizes.courses_per_program) as i32);
        let pin = pinned.is_some();
        concurrent::run(&url_of(target), target, scale, rounds.min(5), b.only.as_deref(), pin, programs, courses)?;
    }
    Ok(())
}

type Workload<C = Client> = fn(&mut Bench<C>) -> BenchResult;

impl<C> Bench<C> {
    /// The steps `0..n` of a workload that belong to the current slice of the round.
    pub(crate) fn part(&self, n: usize) -> std::ops::Range<usize> {
        let (index, count) = self.slice;
        n * index / count..n * (index + 1) / count
    }
}

/// Runs both sides alternately after a warm-up and prints the medians. With `slices` > 1
/// each round is run a slice at a time, the sides taking turns (see [`Bench::part`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn measure<C>(
    b: &mut Bench<C>,
    id: &str,
    name: &str,
    rounds: usize,
    slices: usize,
    before_each: Option<Workload<C>>,
    orm: Workload<C>,
    raw: Workload<C>,
) -> BenchResult {
    if b.only.as_deref().is_some_and(|only| !only.split('|').any(|o| o == id)) {
        return Ok(());
    }
    let time = |b: &mut Bench<C>, f: Workload<C>| -> BenchResult<Duration> {
        if let Some(prepare) = before_each {
            prepare(b)?;
        }
        b.round += 1;
        let started = Instant::now();
        f(b)?;
        Ok(started.elapsed())
    };
    let (mut orm_times, mut raw_times) = (Vec::new(), Vec::new());
    // Round 0 is the warm-up.
    for i in 0..=rounds {
        let (mut o, mut r) = (Duration::ZERO, Duration::ZERO);
        for slice in 0..slices {
            b.slice = (slice, slices);
            // Alternate which side goes first, so neither always runs on a warmer cache.
            if (i + slice) % 2 == 0 {
                o += time(b, orm)?;
                r += time(b, raw)?;
            } else {
                r += time(b, raw)?;
                o += time(b, orm)?;
            }
        }
        if i > 0 {
            orm_times.push(o);
            raw_times.push(r);
        }
    }
    b.slice = (0, 1);
    // The ratio is the median of the rounds' ratios: each round's two runs are neighbours
    // in time, so drifts of the machine (a shared VM) cancel out.
    let mut ratios: Vec<f64> =
        orm_times.iter().zip(&raw_times).map(|(o, r)| o.as_secs_f64() / r.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (o, r) = (median(&mut orm_times), median(&mut raw_times));
    println!("workload={id} name={name} orm_s={o:.4} raw_s={r:.4} ratio={ratio:.3}");
    Ok(())
}

pub(crate) fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

/// Runs this process on the first CPU and the server backends of both sides (the ORM's
/// pooled connections and the hand-written side's client) on the second, when the server
/// is on this machine and `taskset` works. Every round trip then crosses CPUs the same way
/// on both sides; left to the scheduler, a backend that happens to share the client's CPU
/// answers several times faster than one that does not (17 against 60 microseconds a
/// lookup on this VM), and which side's backend lands where decides W2 and W3.
/// Returns what it did, or `None` (and the run is not pinned).
fn pin_processes(engine: &Engine, client: &mut Client) -> Option<String> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        return None;
    }
    // Hold the pool's connections at once, to see each of their backends.
    let mut pooled = Vec::new();
    while pooled.len() < 2 {
        pooled.push(engine.connection().ok()?);
    }
    let mut pids: Vec<i32> = Vec::new();
    for conn in &mut pooled {
        pids.extend(conn.query_raw("SELECT pg_backend_pid()", &[], |r| r.get::<i32>(0)).ok()?);
    }
    pids.push(client.query_one("SELECT pg_backend_pid()", &[]).ok()?.get(0));
    // Only processes of a PostgreSQL server on this machine.
    let local = pids
        .iter()
        .all(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "postgres"));
    if !local {
        return None;
    }
    let all = pids.iter().all(|pid| taskset("1", pid.to_string())) && taskset("0", std::process::id().to_string());
    all.then(|| {
        format!("pinned: client on CPU 0, server backends {pids:?} on CPU 1 (--no-pin to leave it to the scheduler)")
    })
}

/// Pins process (or thread) `pid` to the CPUs `cpu` (as `taskset -c` takes them).
pub(crate) fn taskset(cpu: &str, pid: String) -> bool {
    std::process::Command::new("taskset")
        .args(["-p", "-c", cpu, &pid])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// VACUUM ANALYZE the tables and, where the user may, CHECKPOINT (both sides read the
/// same settled tables; a checkpoint left to chance lands in some rounds and not others).
pub(crate) fn settle(b: &mut Bench) -> BenchResult {
    b.client.batch_execute("VACUUM ANALYZE programs, courses")?;
    if let Err(e) = b.client.batch_execute("CHECKPOINT") {
        eprintln!("# no CHECKPOINT ({e}); timings may include one");
    }
    Ok(())
}

fn reset(b: &mut Bench) -> BenchResult {
    b.client.batch_execute("TRUNCATE courses, programs RESTART IDENTITY")?;
    Ok(())
}

// ----- W1: 100 programs with 100 courses each, one commit ---------------------------------

pub(crate) fn orm_insert_batch<C>(b: &mut Bench<C>) -> BenchResult {
    let mut db = b.engine.session();
    for p in 0..b.sizes.programs {
        let mut program = Program::new(format!("Program {p}"), 3);
        for c in 0..b.sizes.courses_per_program {
            program.courses.push(Course::new(format!("Course {p}-{c}"), format!("C{p}-{c}")));
        }
        db.add(program);
    }
    db.commit()?;
    Ok(())
}

fn raw_insert_batch(b: &mut Bench) -> BenchResult {
    let mut tx = b.client.transaction()?;
    let insert_programs = tx.prepare(
        "INSERT INTO programs (name, years_of_study) SELECT n, y FROM unnest($1::varchar[], $2::int4[]) \
         WITH ORDINALITY AS t(n, y, o) ORDER BY o RETURNING id",
    )?;
    let insert_courses = tx.prepare(
        "INSERT INTO courses (title, code, program_id) SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int4[])",
    )?;
    let names: Vec<String> = (0..b.sizes.programs).map(|p| format!("Program {p}")).collect();
    let years = vec![3_i32; names.len()];
    let mut ids: Vec<i32> = tx.query(&insert_programs, &[&names, &years])?.iter().map(|r| r.get(0)).collect();
    ids.sort_unstable();
    let n = b.sizes.programs * b.sizes.courses_per_program;
    let (mut titles, mut codes, mut program_ids) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for (p, id) in ids.iter().enumerate() {
        for c in 0..b.sizes.courses_per_program {
            titles.push(format!("Course {p}-{c}"));
            codes.push(format!("C{p}-{c}"));
            program_ids.push(*id);
        }
    }
    tx.execute(&insert_courses, &[&titles, &codes, &program_ids])?;
    tx.commit()?;
    Ok(())
}

// ----- W2: lookups by primary key of distinct rows, in one session ---------------------------

pub(crate) fn orm_get_by_pk<C>(b: &mut Bench<C>) -> BenchResult {
    let lookups = b.part(b.sizes.lookups);
    get_courses_in_one_session(&b.engine, lookups)
}

/// `db.get::<Course>(id)` for each id, in one session that keeps every object it loads:
/// each lookup asks the database (no id twice), as a user's loop does.
pub(crate) fn get_courses_in_one_session(engine: &Engine, ids: std::ops::Range<usize>) -> BenchResult {
    let mut db = engine.session();
    for i in ids {
        let course = db.get::<Course>(i as i32 + 1)?.ok_or("missing course")?;
        black_box(course.get().title.len());
    }
    Ok(())
}

fn raw_get_by_pk(b: &mut Bench) -> BenchResult {
    let lookups = b.part(b.sizes.lookups);
    if b.unnamed {
        return raw_get_courses_unnamed(&mut b.client, lookups);
    }
    raw_get_courses(&mut b.client, lookups)
}

/// W2's raw side with the statement unnamed, its parameter typed (one round trip each).
fn raw_get_courses_unnamed(client: &mut Client, ids: std::ops::Range<usize>) -> BenchResult {
    let sql = "SELECT id, title, code, program_id FROM courses WHERE id = $1";
    for i in ids {
        let row = client.query_typed_one(sql, &[(&(i as i32 + 1), Type::INT4)])?;
        let course = RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
        black_box(course.title.len() + course.code.len() + (course.id + course.program_id) as usize);
    }
    Ok(())
}

pub(crate) fn raw_get_courses(client: &mut Client, ids: std::ops::Range<usize>) -> BenchResult {
    let stmt = client.prepare("SELECT id, title, code, program_id FROM courses WHERE id = $1")?;
    for i in ids {
        let row = client.query_one(&stmt, &[&(i as i32 + 1)])?;
        let course = RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
        black_box(course.title.len() + course.code.len() + (course.id + course.program_id) as usize);
    }
    Ok(())
}

// ----- W3: code = $1 LIMIT 1, distinct codes, in one session --------------------------------

pub(crate) fn orm_filter_first<C>(b: &mut Bench<C>) -> BenchResult {
    let lookups = b.part(b.sizes.lookups);
    let per_program = b.sizes.courses_per_program;
    filter_courses_in_one_session(&b.engine, lookups, per_program)
}

/// The code of the `i`-th course the data set holds (`C{program}-{course}`).
pub(crate) fn course_code(i: usize, per_program: usize) -> String {
    format!("C{}-{}", i / per_program, i % per_program)
}

/// `Course::CODE.eq(..)` then `first()` for each course, in one session.
pub(crate) fn filter_courses_in_one_session(
    engine: &Engine,
    courses: std::ops::Range<usize>,
    per_program: usize,
) -> BenchResult {
    let mut db = engine.session();
    for i in courses {
        let code = course_code(i, per_program);
        let course = db.query::<Course>().filter(Course::CODE.eq(&code)).first()?.ok_or("missing")?;
        black_box(course.get().id);
    }
    Ok(())
}

fn raw_filter_first(b: &mut Bench) -> BenchResult {
    let lookups = b.part(b.sizes.lookups);
    let per_program = b.sizes.courses_per_program;
    if b.unnamed {
        return raw_filter_courses_unnamed(&mut b.client, lookups, per_program);
    }
    raw_filter_courses(&mut b.client, lookups, per_program)
}

/// W3's raw side with the statement unnamed, its parameter typed.
fn raw_filter_courses_unnamed(client: &mut Client, courses: std::ops::Range<usize>, per_program: usize) -> BenchResult {
    let sql = "SELECT id, title, code, program_id FROM courses WHERE code = $1 LIMIT 1";
    for i in courses {
        let code = course_code(i, per_program);
        let row = client.query_typed_opt(sql, &[(&code, Type::TEXT)])?.ok_or("missing")?;
        let course = RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
        black_box(course.id as usize + course.title.len() + course.code.len() + course.program_id as usize);
    }
    Ok(())
}

pub(crate) fn raw_filter_courses(
    client: &mut Client,
    courses: std::ops::Range<usize>,
    per_program: usize,
) -> BenchResult {
    let stmt = client.prepare("SELECT id, title, code, program_id FROM courses WHERE code = $1 LIMIT 1")?;
    for i in courses {
        let code = course_code(i, per_program);
        let row = client.query_opt(&stmt, &[&code])?.ok_or("missing")?;
        let course = RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
        black_box(course.id as usize + course.title.len() + course.code.len() + course.program_id as usize);
    }
    Ok(())
}

// ----- W4: every program with its courses, in objects with their collections --------------

pub(crate) fn orm_load_one_to_many<C>(b: &mut Bench<C>) -> BenchResult {
    let expected = b.sizes.programs * b.sizes.courses_per_program;
    for _ in b.part(b.sizes.loads) {
        let mut db = b.engine.session();
        let programs = db.query::<Program>().options(selectinload(Program::COURSES)).all()?;
        let mut courses = 0;
        for program in &programs {
            courses += program.courses(&mut db)?.len();
        }
        assert_eq!(courses, expected);
    }
    Ok(())
}

fn raw_load_one_to_many(b: &mut Bench) -> BenchResult {
    let programs_stmt = b.client.prepare("SELECT id, name, years_of_study FROM programs")?;
    let courses_stmt =
        b.client.prepare("SELECT id, title, code, program_id FROM courses WHERE program_id = ANY($1)")?;
    let expected = b.sizes.programs * b.sizes.courses_per_program;
    for _ in b.part(b.sizes.loads) {
        let programs: Vec<RawProgram> = b
            .client
            .query(&programs_stmt, &[])?
            .iter()
            .map(|r| RawProgram { id: r.get(0), name: r.get(1), years_of_study: r.get(2) })
            .collect();
        let ids: Vec<i32> = programs.iter().map(|p| p.id).collect();
        let mut by_program: HashMap<i32, Vec<RawCourse>> = HashMap::with_capacity(programs.len());
        for r in b.client.query(&courses_stmt, &[&ids])? {
            let course = RawCourse { id: r.get(0), title: r.get(1), code: r.get(2), program_id: r.get(3) };
            by_program.entry(course.program_id).or_default().push(course);
        }
        let loaded: Vec<(RawProgram, Vec<RawCourse>)> = programs
            .into_iter()
            .map(|p| {
                let courses = by_program.remove(&p.id).unwrap_or_default();
                (p, courses)
            })
            .collect();
        let courses: usize = loaded.iter().map(|(_, c)| c.len()).sum();
        assert_eq!(courses, expected);
        black_box(
            loaded
                .iter()
                .map(|(p, c)| {
                    p.name.len() + c.iter().map(|c| c.title.len() + c.code.len() + c.id as usize).sum::<usize>()
                })
                .sum::<usize>(),
        );
    }
    Ok(())
}

// ----- W5: the seed walkthrough --------------------------------------------------------------

pub(crate) fn orm_seed_scenario<C>(b: &mut Bench<C>) -> BenchResult {
    for i in b.part(b.sizes.scenarios) {
        let tag = format!("{}-{i}", b.round);
        let (cs_name, bs_name) = (format!("Bachelors in CS {tag}"), format!("Bachelors in Business {tag}"));
        let mut db = b.engine.session();
        let cs = db.add(Program::new(cs_name.as_str(), 3));
        let bs = db.add(Program::new(bs_name.as_str(), 3));
        db.commit()?;

        cs.courses(&mut db)?.push(Course::new("Database Management Systems", format!("CS 102 {tag}")));
        cs.courses(&mut db)?.push(Course::new("Data SCIENCE", format!("CS 103 {tag}")));
        cs.courses(&mut db)?.push(Course::new(format!("Data STRUCTURES AND ALGRITHMS {tag}"), "CS 110"));
        bs.courses(&mut db)?.push(Course::new("Businnes communication", format!("BS 123 {tag}")));
        db.commit()?;

        let p = db.query::<Program>().filter(Program::NAME.eq(&cs_name)).first()?.ok_or("no program")?;
        black_box(p.get().name.len());
        let title = format!("Data STRUCTURES AND ALGRITHMS {tag}");
        let c = db.query::<Course>().filter(Course::TITLE.eq(&title)).one()?;
        black_box(c.get().title.len() + c.program(&mut db)?.get().name.len());

        let bs = db.query::<Program>().filter(Program::NAME.eq(&bs_name)).one()?;
        db.delete(&bs)?;
        db.commit()?;
    }
    Ok(())
}

fn raw_seed_scenario(b: &mut Bench) -> BenchResult {
    let steps = b.part(b.sizes.scenarios);
    let c = &mut b.client;
    let insert_programs = c.prepare(
        "INSERT INTO programs (name, years_of_study) SELECT n, y FROM unnest($1::varchar[], $2::int4[]) \
         WITH ORDINALITY AS t(n, y, o) ORDER BY o RETURNING id",
    )?;
    let insert_courses = c.prepare(
        "INSERT INTO courses (title, code, program_id) SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int4[])",
    )?;
    let program_by_name = c.prepare("SELECT id, name, years_of_study FROM programs WHERE name = $1 LIMIT 1")?;
    let course_by_title = c.prepare(
        "SELECT c.id, c.title, c.code, c.program_id, p.name FROM courses c JOIN programs p ON p.id = c.program_id \
         WHERE c.title = $1",
    )?;
    let delete_program = c.prepare("DELETE FROM programs WHERE id = $1")?;
    for i in steps {
        let tag = format!("{}-{i}", b.round);
        let (cs_name, bs_name) = (format!("Bachelors in CS {tag}"), format!("Bachelors in Business {tag}"));
        let names = [cs_name.clone(), bs_name.clone()];
        let mut ids: Vec<i32> =
            c.query(&insert_programs, &[&names.as_slice(), &vec![3_i32, 3]])?.iter().map(|r| r.get(0)).collect();
        ids.sort_unstable();
        let titles = [
            "Database Management Systems".to_owned(),
            "Data SCIENCE".to_owned(),
            format!("Data STRUCTURES AND ALGRITHMS {tag}"),
            "Businnes communication".to_owned(),
        ];
        let codes = [format!("CS 102 {tag}"), format!("CS 103 {tag}"), "CS 110".to_owned(), format!("BS 123 {tag}")];
        let program_ids = [ids[0], ids[0], ids[0], ids[1]];
        c.execute(&insert_courses, &[&titles.as_slice(), &codes.as_slice(), &program_ids.as_slice()])?;

        let row = c.query_opt(&program_by_name, &[&cs_name])?.ok_or("no program")?;
        let p = RawProgram { id: row.get(0), name: row.get(1), years_of_study: row.get(2) };
        black_box(p.name.len() + p.id as usize + p.years_of_study as usize);
        let rows = c.query(&course_by_title, &[&titles[2]])?;
        let [row] = rows.as_slice() else { return Err("expected one course".into()) };
        let course = RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
        let program_name: String = row.get(4);
        black_box(
            course.title.len() + program_name.len() + course.code.len() + (course.id + course.program_id) as usize,
        );

        let rows = c.query(&program_by_name, &[&bs_name])?;
        let [row] = rows.as_slice() else { return Err("expected one program".into()) };
        let id: i32 = row.get(0);
        c.execute(&delete_program, &[&id])?;
    }
    Ok(())
}

// ----- W7: courses per program (GROUP BY), 50 times -----------------------------------------

pub(crate) fn orm_aggregate_counts<C>(b: &mut Bench<C>) -> BenchResult {
    use orm_core::functions::count_all;
    for _ in b.part(b.sizes.loads) {
        let counts: Vec<(i32, i64)> =
            Course::query().select((Course::PROGRAM_ID, count_all())).group_by(Course::PROGRAM_ID).all(&b.engine)?;
        assert!(counts.len() >= b.sizes.programs);
        black_box(counts.iter().map(|(_, n)| n).sum::<i64>());
    }
    Ok(())
}

fn raw_aggregate_counts(b: &mut Bench) -> BenchResult {
    let stmt = b.client.prepare("SELECT courses.program_id, count(*) FROM courses GROUP BY courses.program_id")?;
    for _ in b.part(b.sizes.loads) {
        let counts: Vec<(i32, i64)> = b.client.query(&stmt, &[])?.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert!(counts.len() >= b.sizes.programs);
        black_box(counts.iter().map(|(_, n)| n).sum::<i64>());
    }
    Ok(())
}

// ----- W8: two columns of every course (10,000 rows), 50 times ------------------------------

pub(crate) fn orm_projection<C>(b: &mut Bench<C>) -> BenchResult {
    let expected = b.sizes.programs * b.sizes.courses_per_program;
    for _ in b.part(b.sizes.loads) {
        let rows: Vec<(String, String)> = Course::query().select((Course::TITLE, Course::CODE)).all(&b.engine)?;
        assert!(rows.len() >= expected);
        black_box(rows.iter().map(|(t, c)| t.len() + c.len()).sum::<usize>());
    }
    Ok(())
}

fn raw_projection(b: &mut Bench) -> BenchResult {
    let stmt = b.client.prepare("SELECT courses.title, courses.code FROM courses")?;
    let expected = b.sizes.programs * b.sizes.courses_per_program;
    for _ in b.part(b.sizes.loads) {
        let rows: Vec<(String, String)> = b.client.query(&stmt, &[])?.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert!(rows.len() >= expected);
        black_box(rows.iter().map(|(t, c)| t.len() + c.len()).sum::<usize>());
    }
    Ok(())
}

// ----- W6: load every course, change every title, one commit --------------------------------

pub(crate) fn orm_update_batch<C>(b: &mut Bench<C>) -> BenchResult {
    let round = b.round;
    let mut db = b.engine.session();
    let courses = db.query::<Course>().all()?;
    for course in &courses {
        let mut c = course.get_mut();
        c.title = format!("Course {} (round {round})", c.id);
    }
    db.commit()?;
    Ok(())
}

fn raw_update_batch(b: &mut Bench) -> BenchResult {
    let round = b.round;
    let select = b.client.prepare("SELECT id, title, code, program_id FROM courses")?;
    let update = b.client.prepare(
        "UPDATE courses SET title = v.title FROM unnest($1::varchar[], $2::int4[]) AS v(title, id) WHERE courses.id = v.id",
    )?;
    let mut courses: Vec<RawCourse> = b
        .client
        .query(&select, &[])?
        .iter()
        .map(|r| RawCourse { id: r.get(0), title: r.get(1), code: r.get(2), program_id: r.get(3) })
        .collect();
    for c in &mut courses {
        c.title = format!("Course {} (round {round})", c.id);
    }
    let titles: Vec<&str> = courses.iter().map(|c| c.title.as_str()).collect();
    let ids: Vec<i32> = courses.iter().map(|c| c.id).collect();
    let changed = b.client.execute(&update, &[&titles, &ids])?;
    assert_eq!(changed as usize, courses.len());
    black_box(courses.iter().map(|c| c.code.len() + c.program_id as usize).sum::<usize>());
    Ok(())
}
