//! The concurrency section (`C1`..): requests from 1, 4, 16 and 64 threads over one engine,
//! against hand-written `postgres` code over an r2d2 pool of the same size, in the same
//! run. Two requests: a lookup (a session opened, one course got by its key) and a small
//! read-write transaction (a program read, updated, a course inserted, committed). Then
//! the same with a pool smaller than the thread count, so that requests wait for a
//! connection. Each configuration runs both sides alternately; it prints throughput
//! (requests per second), p50 and p99 latency, and the ratio of the hand-written side's
//! throughput to the ORM's (1.00: as fast; above: the ORM is slower).
//!
//! When the main section pinned the processes (client on CPU 0, server on CPU 1), each
//! configuration pins the backends of both pools to CPU 1 after its warm-up round: the
//! client's threads share one CPU and the server has the other, as with a database on a
//! machine of its own, and neither side's backends land next to the client by chance.
//!
//! The hand-written side prepares its four statements once per connection, when the pool
//! opens it (as the ORM's statement cache ends up with), and its pool does not test
//! connections on checkout (r2d2's default pings every checkout; the ORM pings only a
//! connection idle for a second): the strictest baseline.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use orm_core::SslMode;
use orm_core::prelude::*;
use postgres::NoTls;
use postgres::Statement;
use postgres::types::Type;
use r2d2_postgres::PostgresConnectionManager;

use crate::{BenchResult, Course, Program};

type RawPool = r2d2::Pool<PreparingManager>;

/// A pooled connection of the hand-written side, with its statements prepared.
struct Prepared {
    client: postgres::Client,
    lookup: Statement,
    read: Statement,
    update: Statement,
    insert: Statement,
}

/// `r2d2_postgres`'s manager, preparing the statements on every new connection.
struct PreparingManager(PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for PreparingManager {
    type Connection = Prepared;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Prepared, postgres::Error> {
        let mut client = self.0.connect()?;
        let int4 = [Type::INT4];
        Ok(Prepared {
            lookup: client.prepare_typed("SELECT id, title, code, program_id FROM courses WHERE id = $1", &int4)?,
            read: client.prepare_typed("SELECT id, name, years_of_study FROM programs WHERE id = $1", &int4)?,
            update: client
                .prepare_typed("UPDATE programs SET years_of_study = $1 WHERE id = $2", &[Type::INT4, Type::INT4])?,
            insert: client.prepare_typed(
                "INSERT INTO courses (title, code, program_id) VALUES ($1, $2, $3) RETURNING id",
                &[Type::VARCHAR, Type::VARCHAR, Type::INT4],
            )?,
            client,
        })
    }

    fn is_valid(&self, conn: &mut Prepared) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Prepared) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// Which request a configuration runs.
#[derive(Clone, Copy)]
enum Request {
    Lookup,
    ReadWrite,
}

/// One side's run: requests per second, every request's latency, and the CPU time this
/// process spent per request (client work: the ORM or the hand-written code, the driver,
/// the pool, the kernel's side of the sockets).
struct Run {
    per_second: f64,
    latencies: Vec<Duration>,
    cpu_per_request: Duration,
}

/// The CPU time (user and system) this process has used so far, from `/proc/self/stat`
/// (zero where there is none).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) closing with `)`.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; in
    // clock ticks of 1/100 s on Linux.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Runs the section: `programs` and `courses` rows exist (the read workloads' data set).
/// `only` (as `--only` gave it) picks configurations by id; `C` or none runs them all.
/// `scale` scales the number of requests (`--scale`; at least two per thread).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    url: &str,
    target: &postgres::Config,
    scale: f64,
    rounds: usize,
    only: Option<&str>,
    pin: bool,
    programs: i32,
    courses: i32,
) -> BenchResult {
    println!("# concurrency: requests from N threads over one pool; ratio = raw throughput / ORM throughput");
    let placement = if pin { "client threads on CPU 0, server backends on CPU 1" } else { "not pinned" };
    println!("# {placement}; cpu_us: this process's CPU time per request (user and system)");
    let configurations: [(&str, Request, usize, u32, usize); 12] = [
        ("C1", Request::Lookup, 1, 8, 4_000),
        ("C2", Request::Lookup, 4, 8, 8_000),
        ("C3", Request::Lookup, 16, 8, 8_000),
        ("C4", Request::Lookup, 64, 8, 8_000),
        ("C5", Request::ReadWrite, 1, 8, 1_000),
        ("C6", Request::ReadWrite, 4, 8, 2_000),
        ("C7", Request::ReadWrite, 16, 8, 2_000),
        ("C8", Request::ReadWrite, 64, 8, 2_000),
        ("C9", Request::Lookup, 16, 4, 8_000),
        ("C10", Request::Lookup, 64, 4, 8_000),
        ("C11", Request::ReadWrite, 16, 4, 2_000),
        ("C12", Request::ReadWrite, 64, 4, 2_000),
    ];
    for (id, request, threads, pool, total) in configurations {
        if only.is_some_and(|only| !only.split('|').any(|o| o == "C" || o == id)) {
            continue;
        }
        let total = ((total as f64 * scale) as usize).max(threads * 2);
        let engine = Engine::builder(url).ssl_mode(SslMode::Disable).max_size(pool).build()?;
        let manager = PreparingManager(PostgresConnectionManager::new(target.clone(), NoTls));
        let raw = r2d2::Pool::builder().max_size(pool).test_on_check_out(false).build(manager)?;
        let (mut orm_runs, mut raw_runs) = (Vec::new(), Vec::new());
        // Round 0 warms both pools up.
        for round in 0..=rounds {
            let (o, r) = if round % 2 == 0 {
                let o = side(threads, total, |i| orm_request(&engine, request, i, programs, courses))?;
                (o, side(threads, total, |i| raw_request(&raw, request, i, programs, courses))?)
            } else {
                let r = side(threads, total, |i| raw_request(&raw, request, i, programs, courses))?;
                (side(threads, total, |i| orm_request(&engine, request, i, programs, courses))?, r)
            };
            if round == 0 && pin {
                pin_backends(target)?;
            }
            if round > 0 {
                orm_runs.push(o);
                raw_runs.push(r);
            }
        }
        let mut ratios: Vec<f64> = raw_runs.iter().zip(&orm_runs).map(|(r, o)| r.per_second / o.per_second).collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        let (orm, raw) = (summary(orm_runs), summary(raw_runs));
        let name = match request {
            Request::Lookup => "lookup",
            Request::ReadWrite => "read_write",
        };
        println!(
            "concurrency={id} name={name} threads={threads} pool={pool} orm_rps={:.0} raw_rps={:.0} \
             orm_p50_ms={:.3} orm_p99_ms={:.3} raw_p50_ms={:.3} raw_p99_ms={:.3} orm_cpu_us={:.1} \
             raw_cpu_us={:.1} ratio={ratio:.3} orm_waits={} orm_timeouts={}",
            orm.0,
            raw.0,
            orm.1,
            orm.2,
            raw.1,
            raw.2,
            orm.3,
            raw.3,
            engine.pool_stats().waits,
            engine.pool_stats().timeouts,
        );
    }
    Ok(())
}

/// Pins every backend serving the benchmark's database (both pools') to CPU 1.
fn pin_backends(target: &postgres::Config) -> BenchResult {
    let mut client = target.connect(NoTls)?;
    let rows = client.query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        &[],
    )?;
    for row in rows {
        crate::taskset("1", row.get::<_, i32>(0).to_string());
    }
    Ok(())
}

/// The median throughput of the runs, p50 / p99 latency (ms) over all their requests, and
/// the median CPU time per request (microseconds).
fn summary(runs: Vec<Run>) -> (f64, f64, f64, f64) {
    let mut rates: Vec<f64> = runs.iter().map(|r| r.per_second).collect();
    rates.sort_by(f64::total_cmp);
    let mut cpu: Vec<Duration> = runs.iter().map(|r| r.cpu_per_request).collect();
    cpu.sort();
    let cpu = cpu[cpu.len() / 2].as_secs_f64() * 1e6;
    let mut all: Vec<Duration> = runs.into_iter().flat_map(|r| r.latencies).collect();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    (rates[rates.len() / 2], at(0.5), at(0.99), cpu)
}

/// `total` requests from `threads` threads started together; `request(i)` makes the i-th.
fn side(threads: usize, total: usize, request: impl Fn(usize) -> BenchResult + Sync) -> BenchResult<Run> {
    let start = Barrier::new(threads + 1);
    let cpu_before = process_cpu();
    let (latencies, elapsed) = std::thread::scope(|s| -> BenchResult<(Vec<Duration>, Duration)> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (start, request) = (&start, &request);
                s.spawn(move || -> Result<Vec<Duration>, String> {
                    start.wait();
                    let mut times = Vec::with_capacity(total / threads + 1);
                    for i in (t..total).step_by(threads) {
                        let began = Instant::now();
                        request(i).map_err(|e| e.to_string())?;
                        times.push(began.elapsed());
                    }
                    Ok(times)
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        let mut all = Vec::with_capacity(total);
        for w in workers {
            all.extend(w.join().map_err(|_| "a worker panicked")??);
        }
        Ok((all, began.elapsed()))
    })?;
    let cpu_per_request = process_cpu().saturating_sub(cpu_before) / total as u32;
    Ok(Run { per_second: total as f64 / elapsed.as_secs_f64(), latencies, cpu_per_request })
}

/// One request on the ORM's side, as README writes it.
fn orm_request(engine: &Engine, request: Request, i: usize, programs: i32, courses: i32) -> BenchResult {
    let mut db = engine.session();
    match request {
        Request::Lookup => {
            let id = (i as i32 % courses) + 1;
            let course = db.get::<Course>(id)?.ok_or("missing course")?;
            black_box(course.get().title.len());
        }
        Request::ReadWrite => {
            let id = (i as i32 % programs) + 1;
            let program = db.get::<Program>(id)?.ok_or("missing program")?;
            program.get_mut().years_of_study += 1;
            db.add(Course { program_id: id, ..Course::new(format!("Added {i}"), format!("A{i}")) });
            db.commit()?;
        }
    }
    Ok(())
}

/// The same request, hand-written on the `postgres` crate over an r2d2 pool.
fn raw_request(pool: &RawPool, request: Request, i: usize, programs: i32, courses: i32) -> BenchResult {
    let mut conn = pool.get()?;
    let Prepared { client, lookup, read, update, insert } = &mut *conn;
    match request {
        Request::Lookup => {
            let id = (i as i32 % courses) + 1;
            let row = client.query_one(&*lookup, &[&id])?;
            let course =
                crate::RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
            black_box(course.title.len() + course.code.len() + (course.id + course.program_id) as usize);
        }
        Request::ReadWrite => {
            let id = (i as i32 % programs) + 1;
            let mut tx = client.transaction()?;
            let row = tx.query_one(&*read, &[&id])?;
            let years: i32 = row.get(2);
            black_box(row.get::<_, String>(1).len());
            tx.execute(&*update, &[&(years + 1), &id])?;
            let (title, code) = (format!("Added {i}"), format!("A{i}"));
            tx.query_one(&*insert, &[&title, &code, &id])?;
            tx.commit()?;
        }
    }
    Ok(())
}
