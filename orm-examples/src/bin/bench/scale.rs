//! How costs grow: each workload at two sizes ten times apart, the ORM and hand-written
//! code on the same data in the same run, written as users write them (one session for
//! a whole loop, nothing cleared between steps). For each it prints the cost of one
//! operation (a row, a lookup, a query, a savepoint) at both sizes, how much it grew,
//! and the ORM's growth over raw's; then the memory per loaded object, and with `--svg`
//! a plot of cost per operation against size.
//!
//! A session that pays for what it holds on every operation shows here as growth: the
//! same lookup costing more at 20,000 objects held than at 2,000.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use orm_core::prelude::*;
use postgres::{Client, Statement};

use super::{
    Bench, BenchResult, Course, Program, ProgramRelations, RawCourse, course_code, filter_courses_in_one_session,
    get_courses_in_one_session, median, raw_filter_courses, raw_get_courses, settle,
};

/// One workload's two sizes, both sides.
pub(crate) struct Growth {
    pub(crate) id: &'static str,
    name: &'static str,
    /// What one operation is, for the report.
    unit: &'static str,
    pub(crate) sizes: [usize; 2],
    /// Seconds per operation: `[small, large]`.
    pub(crate) orm: [f64; 2],
    pub(crate) raw: [f64; 2],
    /// The median of the rounds' orm/raw ratios at each size (paired rounds cancel the
    /// machine's drift, as in the main workloads).
    pub(crate) ratio: [f64; 2],
}

impl Growth {
    pub(crate) fn new(id: &'static str, name: &'static str, unit: &'static str, sizes: [usize; 2]) -> Growth {
        Growth { id, name, unit, sizes, orm: [0.0; 2], raw: [0.0; 2], ratio: [1.0; 2] }
    }

    fn orm_growth(&self) -> f64 {
        self.orm[1] / self.orm[0]
    }

    fn raw_growth(&self) -> f64 {
        self.raw[1] / self.raw[0]
    }

    /// How much more the ORM grew than raw code: its ratio to raw at the large size over
    /// its ratio at the small one.
    fn growth_ratio(&self) -> f64 {
        self.ratio[1] / self.ratio[0]
    }

    pub(crate) fn print(&self) {
        let us = |s: f64| s * 1e6;
        println!(
            "scaling={} name={} per={} small={} large={} orm_small_us={:.3} orm_large_us={:.3} raw_small_us={:.3} \
             raw_large_us={:.3} orm_growth={:.3} raw_growth={:.3} growth_ratio={:.3}",
            self.id,
            self.name,
            self.unit,
            self.sizes[0],
            self.sizes[1],
            us(self.orm[0]),
            us(self.orm[1]),
            us(self.raw[0]),
            us(self.raw[1]),
            self.orm_growth(),
            self.raw_growth(),
            self.growth_ratio(),
        );
    }
}

/// A timed part of a workload: the setup before it is not counted.
pub(crate) type Timed<C = Client> = Box<dyn FnMut(&mut Bench<C>) -> BenchResult<Duration>>;

/// Runs both sides `rounds` times (after a warm-up), alternating which goes first, and
/// returns the median seconds per operation of each and the median of the rounds' ratios.
pub(crate) fn per_op<C>(
    b: &mut Bench<C>,
    rounds: usize,
    ops: usize,
    mut orm: Timed<C>,
    mut raw: Timed<C>,
) -> BenchResult<(f64, f64, f64)> {
    let (mut o, mut r) = (Vec::new(), Vec::new());
    for round in 0..=rounds {
        let (to, tr) = if round % 2 == 0 {
            let to = orm(b)?;
            (to, raw(b)?)
        } else {
            let tr = raw(b)?;
            (orm(b)?, tr)
        };
        if round > 0 {
            o.push(to);
            r.push(tr);
        }
    }
    let mut ratios: Vec<f64> = o.iter().zip(&r).map(|(o, r)| o.as_secs_f64() / r.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let per = |times: &mut Vec<Duration>| median(times) / ops.max(1) as f64;
    Ok((per(&mut o), per(&mut r), ratio))
}

/// Times `f`.
pub(crate) fn timed(f: impl FnOnce() -> BenchResult) -> BenchResult<Duration> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

/// Empties the tables and fills them with `programs` programs of `per_program` courses
/// each (hand-written, in two statements), settled.
fn fill(b: &mut Bench, programs: usize, per_program: usize) -> BenchResult {
    b.client.batch_execute("TRUNCATE courses, programs RESTART IDENTITY")?;
    let names: Vec<String> = (0..programs).map(|p| format!("Program {p}")).collect();
    let years = vec![3_i32; programs];
    b.client.execute(
        "INSERT INTO programs (name, years_of_study) SELECT * FROM unnest($1::varchar[], $2::int4[])",
        &[&names, &years],
    )?;
    let n = programs * per_program;
    let titles: Vec<String> = (0..n).map(|i| format!("Course {}-{}", i / per_program, i % per_program)).collect();
    let codes: Vec<String> = (0..n).map(|i| course_code(i, per_program)).collect();
    let program_ids: Vec<i32> = (0..n).map(|i| (i / per_program) as i32 + 1).collect();
    b.client.execute(
        "INSERT INTO courses (title, code, program_id) SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int4[])",
        &[&titles, &codes, &program_ids],
    )?;
    settle(b)
}

thread_local! {
    /// The hand-written side's statements, prepared once on its connection (the ORM keeps
    /// its own per pooled connection): preparing is no part of the workloads.
    static STATEMENTS: std::cell::RefCell<std::collections::HashMap<&'static str, Statement>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// `sql`, prepared on `client` the first time.
fn prepared(client: &mut Client, sql: &'static str) -> BenchResult<Statement> {
    if let Some(stmt) = STATEMENTS.with(|s| s.borrow().get(sql).cloned()) {
        return Ok(stmt);
    }
    let stmt = client.prepare(sql)?;
    STATEMENTS.with(|s| s.borrow_mut().insert(sql, stmt.clone()));
    Ok(stmt)
}

const ALL_COURSES: &str = "SELECT id, title, code, program_id FROM courses";

fn raw_courses(client: &mut Client) -> BenchResult<Vec<RawCourse>> {
    let stmt = prepared(client, ALL_COURSES)?;
    Ok(client
        .query(&stmt, &[])?
        .iter()
        .map(|r| RawCourse { id: r.get(0), title: r.get(1), code: r.get(2), program_id: r.get(3) })
        .collect())
}

/// The scaling section: every pair, then memory, then the plot.
pub(crate) fn run(b: &mut Bench, scale: f64, rounds: usize, svg: Option<&str>) -> BenchResult {
    let n = |full: usize| ((full as f64 * scale).round() as usize).max(1);
    let only = b.only.clone();
    let wanted = |id: &str| only.as_deref().is_none_or(|o| o == id || o == "S");
    println!("# scaling: two sizes ten times apart, {rounds} rounds each after a warm-up; per-operation medians");
    let mut all: Vec<Growth> = Vec::new();

    // S1: a commit of new rows (programs with 100 courses each).
    if wanted("S1") {
        let mut g = Growth::new("S1", "insert", "row", [n(10_000), n(100_000)]);
        for (k, rows) in g.sizes.into_iter().enumerate() {
            let programs = (rows / 100).max(1);
            let orm: Timed = Box::new(move |b| {
                b.client.batch_execute("TRUNCATE courses, programs RESTART IDENTITY")?;
                timed(|| orm_insert_programs(&b.engine, programs, 100))
            });
            let raw: Timed = Box::new(move |b| {
                b.client.batch_execute("TRUNCATE courses, programs RESTART IDENTITY")?;
                timed(|| raw_insert(&mut b.client, programs, 100))
            });
            (g.orm[k], g.raw[k], g.ratio[k]) = per_op(b, rounds, programs * 101, orm, raw)?;
        }
        g.print();
        all.push(g);
    }

    // S2, S3: lookups of distinct rows in one session that keeps what it loads.
    if wanted("S2") || wanted("S3") {
        let [small, large] = [n(2_000), n(20_000)];
        fill(b, (large / 100).max(1), 100)?;
        if wanted("S2") {
            let mut g = Growth::new("S2", "get_by_pk", "lookup", [small, large]);
            for (k, lookups) in g.sizes.into_iter().enumerate() {
                // Both sizes time the same number of lookups per round: at the small size,
                // sessions of `small` lookups one after another (the noise of a round trip
                // then weighs the same at both sizes).
                let times = large / lookups;
                let orm: Timed = Box::new(move |b| {
                    timed(|| (0..times).try_for_each(|_| get_courses_in_one_session(&b.engine, 0..lookups)))
                });
                let raw: Timed = Box::new(move |b| {
                    timed(|| (0..times).try_for_each(|_| raw_get_courses(&mut b.client, 0..lookups)))
                });
                (g.orm[k], g.raw[k], g.ratio[k]) = per_op(b, rounds, lookups * times, orm, raw)?;
            }
            g.print();
            all.push(g);
        }
        if wanted("S3") {
            let mut g = Growth::new("S3", "filter_first", "query", [small, large]);
            for (k, lookups) in g.sizes.into_iter().enumerate() {
                let times = large / lookups;
                let orm: Timed = Box::new(move |b| {
                    timed(|| (0..times).try_for_each(|_| filter_courses_in_one_session(&b.engine, 0..lookups, 100)))
                });
                let raw: Timed = Box::new(move |b| {
                    timed(|| (0..times).try_for_each(|_| raw_filter_courses(&mut b.client, 0..lookups, 100)))
                });
                (g.orm[k], g.raw[k], g.ratio[k]) = per_op(b, rounds, lookups * times, orm, raw)?;
            }
            g.print();
            all.push(g);
        }
    }

    // S4, S6, S7, S8 share a data set per size: 10,000 and 100,000 courses.
    let sizes = [n(10_000), n(100_000)];
    let mut s4 = Growth::new("S4", "load_one_to_many", "child", sizes);
    let mut s6 = Growth::new("S6", "update_batch", "row", sizes);
    let mut s7 = Growth::new("S7", "queries_after_load", "query", sizes);
    let mut s8 = Growth::new("S8", "savepoint_after_load", "savepoint", sizes);
    let mut s9 = Growth::new("S9", "projection", "row", sizes);
    let queries = n(1_000);
    let savepoints = n(500);
    for (k, rows) in sizes.into_iter().enumerate() {
        if !(wanted("S4") || wanted("S6") || wanted("S7") || wanted("S8") || wanted("S9")) {
            break;
        }
        // 100 programs, so that a load of every program with its courses grows in children.
        let per_program = (rows / 100).max(1);
        fill(b, 100, per_program)?;
        if wanted("S4") {
            // The same number of children per round at both sizes: at the small one, ten
            // loads (each in a session of its own, as before).
            let loads = sizes[1] / rows;
            let orm: Timed =
                Box::new(move |b| timed(|| (0..loads).try_for_each(|_| orm_load_every_program(&b.engine))));
            let raw: Timed = Box::new(move |b| timed(|| (0..loads).try_for_each(|_| raw_load_all(&mut b.client))));
            (s4.orm[k], s4.raw[k], s4.ratio[k]) = per_op(b, rounds, loads * 100 * per_program, orm, raw)?;
        }
        if wanted("S6") {
            // Every run writes new titles (the same ones twice would be no change to the ORM).
            static RUN: AtomicUsize = AtomicUsize::new(0);
            let orm: Timed = Box::new(|b| {
                let run = RUN.fetch_add(1, Ordering::Relaxed);
                timed(|| orm_retitle_every_course(&b.engine, run))
            });
            let raw: Timed = Box::new(|b| {
                let run = RUN.fetch_add(1, Ordering::Relaxed);
                timed(|| raw_update_all(&mut b.client, run))
            });
            (s6.orm[k], s6.raw[k], s6.ratio[k]) = per_op(b, rounds, 100 * per_program, orm, raw)?;
        }
        if wanted("S7") {
            // The session (or the Vec) holds every course; then small queries, timed.
            let orm: Timed = Box::new(move |b| {
                let mut db = b.engine.session();
                let held = db.query::<Course>().all()?;
                let t = timed(|| {
                    for q in 0..queries {
                        let p = db.query::<Program>().filter(Program::ID.eq((q % 100) as i32 + 1)).first()?;
                        black_box(p.ok_or("missing")?.get().years_of_study);
                    }
                    Ok(())
                });
                black_box(held.len());
                t
            });
            let raw: Timed = Box::new(move |b| {
                let held = raw_courses(&mut b.client)?;
                let stmt =
                    prepared(&mut b.client, "SELECT id, name, years_of_study FROM programs WHERE id = $1 LIMIT 1")?;
                let t = timed(|| {
                    for q in 0..queries {
                        let row = b.client.query_opt(&stmt, &[&((q % 100) as i32 + 1)])?.ok_or("missing")?;
                        black_box(row.get::<_, i32>(2));
                    }
                    Ok(())
                });
                black_box(held.len());
                t
            });
            (s7.orm[k], s7.raw[k], s7.ratio[k]) = per_op(b, rounds, queries, orm, raw)?;
        }
        if wanted("S8") {
            // In a transaction that has loaded every course: savepoints, each changing one
            // course and released.
            let orm: Timed = Box::new(move |b| {
                let mut db = b.engine.session();
                db.begin()?;
                let held = db.query::<Course>().all()?;
                let t = timed(|| {
                    for s in 0..savepoints {
                        let course = &held[s % held.len()];
                        db.begin_nested(|_| {
                            course.get_mut().title.push('.');
                            Ok(())
                        })?;
                    }
                    Ok(())
                });
                db.rollback()?;
                t
            });
            let raw: Timed = Box::new(move |b| {
                let all = prepared(&mut b.client, ALL_COURSES)?;
                let update = prepared(&mut b.client, "UPDATE courses SET title = $1 WHERE id = $2")?;
                let mut tx = b.client.transaction()?;
                let mut held: Vec<RawCourse> = tx
                    .query(&all, &[])?
                    .iter()
                    .map(|r| RawCourse { id: r.get(0), title: r.get(1), code: r.get(2), program_id: r.get(3) })
                    .collect();
                let t = timed(|| {
                    for s in 0..savepoints {
                        let n = held.len();
                        let course = &mut held[s % n];
                        course.title.push('.');
                        let mut sp = tx.savepoint("sp")?;
                        sp.execute(&update, &[&course.title, &course.id])?;
                        sp.commit()?;
                    }
                    Ok(())
                });
                tx.rollback()?;
                t
            });
            (s8.orm[k], s8.raw[k], s8.ratio[k]) = per_op(b, rounds, savepoints, orm, raw)?;
        }
        if wanted("S9") {
            // Two columns of every course as typed rows (W8 at two sizes).
            let orm: Timed = Box::new(|b| timed(|| orm_project_courses(&b.engine)));
            let raw: Timed = Box::new(|b| {
                let stmt = prepared(&mut b.client, "SELECT courses.title, courses.code FROM courses")?;
                timed(|| {
                    let rows: Vec<(String, String)> =
                        b.client.query(&stmt, &[])?.iter().map(|r| (r.get(0), r.get(1))).collect();
                    black_box(rows.len());
                    Ok(())
                })
            });
            (s9.orm[k], s9.raw[k], s9.ratio[k]) = per_op(b, rounds, 100 * per_program, orm, raw)?;
        }
    }
    for g in [s4, s6, s7, s8, s9] {
        if wanted(g.id) {
            g.print();
            all.push(g);
        }
    }

    if wanted("M") {
        memory(b, n(100_000))?;
    }
    if wanted("R") {
        // Streaming stays flat: the same peaks at two sizes ten times apart.
        streaming(b, n(100_000))?;
        streaming(b, n(1_000_000))?;
    }
    if let Some(path) = svg {
        std::fs::write(path, plot(&all))?;
        println!("# plot written to {path}");
    }
    Ok(())
}

// ----- The ORM's side of the pairs, as a user writes it (shared with `mysql.rs`) ---------

/// S1: `programs` programs with `per_program` courses each, added and committed at once.
pub(crate) fn orm_insert_programs(engine: &Engine, programs: usize, per_program: usize) -> BenchResult {
    let mut db = engine.session();
    for p in 0..programs {
        let mut program = Program::new(format!("Program {p}"), 3);
        for c in 0..per_program {
            program.courses.push(Course::new(format!("Course {p}-{c}"), format!("C{p}-{c}")));
        }
        db.add(program);
    }
    db.commit()?;
    Ok(())
}

/// S4: every program with its courses (selectinload), in a session of its own.
pub(crate) fn orm_load_every_program(engine: &Engine) -> BenchResult {
    let mut db = engine.session();
    let programs = db.query::<Program>().options(selectinload(Program::COURSES)).all()?;
    let mut children = 0;
    for p in &programs {
        children += p.courses(&mut db)?.len();
    }
    black_box(children);
    Ok(())
}

/// S6: every course loaded, retitled (`run` makes the titles new), committed.
pub(crate) fn orm_retitle_every_course(engine: &Engine, run: usize) -> BenchResult {
    let mut db = engine.session();
    let courses = db.query::<Course>().all()?;
    for c in &courses {
        let mut c = c.get_mut();
        c.title = format!("Course {} (run {run})", c.id);
    }
    db.commit()?;
    Ok(())
}

/// S9: two columns of every course as typed rows.
pub(crate) fn orm_project_courses(engine: &Engine) -> BenchResult {
    let rows: Vec<(String, String)> = Course::query().select((Course::TITLE, Course::CODE)).all(engine)?;
    black_box(rows.len());
    Ok(())
}

fn raw_insert(client: &mut Client, programs: usize, per_program: usize) -> BenchResult {
    let insert_programs = prepared(
        client,
        "INSERT INTO programs (name, years_of_study) SELECT n, y FROM unnest($1::varchar[], $2::int4[]) \
         WITH ORDINALITY AS t(n, y, o) ORDER BY o RETURNING id",
    )?;
    let insert_courses = prepared(
        client,
        "INSERT INTO courses (title, code, program_id) SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int4[])",
    )?;
    let mut tx = client.transaction()?;
    let names: Vec<String> = (0..programs).map(|p| format!("Program {p}")).collect();
    let years = vec![3_i32; programs];
    let mut ids: Vec<i32> = tx.query(&insert_programs, &[&names, &years])?.iter().map(|r| r.get(0)).collect();
    ids.sort_unstable();
    let n = programs * per_program;
    let (mut titles, mut codes, mut program_ids) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for (p, id) in ids.iter().enumerate() {
        for c in 0..per_program {
            titles.push(format!("Course {p}-{c}"));
            codes.push(format!("C{p}-{c}"));
            program_ids.push(*id);
        }
    }
    tx.execute(&insert_courses, &[&titles, &codes, &program_ids])?;
    tx.commit()?;
    Ok(())
}

fn raw_load_all(client: &mut Client) -> BenchResult {
    let programs: Vec<(i32, String)> = client
        .query("SELECT id, name, years_of_study FROM programs", &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let ids: Vec<i32> = programs.iter().map(|p| p.0).collect();
    let mut by_program: std::collections::HashMap<i32, Vec<RawCourse>> = std::collections::HashMap::new();
    for r in client.query("SELECT id, title, code, program_id FROM courses WHERE program_id = ANY($1)", &[&ids])? {
        let c = RawCourse { id: r.get(0), title: r.get(1), code: r.get(2), program_id: r.get(3) };
        by_program.entry(c.program_id).or_default().push(c);
    }
    let children: usize = programs.iter().map(|p| by_program.get(&p.0).map_or(0, Vec::len)).sum();
    black_box(children);
    Ok(())
}

fn raw_update_all(client: &mut Client, run: usize) -> BenchResult {
    let mut courses = raw_courses(client)?;
    for c in &mut courses {
        c.title = format!("Course {} (run {run})", c.id);
    }
    let titles: Vec<&str> = courses.iter().map(|c| c.title.as_str()).collect();
    let ids: Vec<i32> = courses.iter().map(|c| c.id).collect();
    let update = prepared(
        client,
        "UPDATE courses SET title = v.title FROM unnest($1::varchar[], $2::int4[]) AS v(title, id) WHERE courses.id = v.id",
    )?;
    client.execute(&update, &[&titles, &ids])?;
    Ok(())
}

// ----- memory ---------------------------------------------------------------------------

/// The global allocator, counting the bytes the process holds while `COUNTING` is on:
/// what was asked for, and what the allocator uses for it (glibc: the chunk, usable size
/// plus its 8-byte header; a 12-byte string takes a 32-byte chunk).
pub(crate) struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ASKED: AtomicIsize = AtomicIsize::new(0);
static USED: AtomicIsize = AtomicIsize::new(0);
static PEAK_USED: AtomicIsize = AtomicIsize::new(0);

#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn malloc_usable_size(ptr: *mut std::ffi::c_void) -> usize;
}

/// The bytes the allocator uses for the block at `p` of `size` bytes asked.
#[cfg_attr(target_os = "linux", allow(unused_variables))]
fn used(p: *mut u8, size: usize) -> isize {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `p` is a live block of the system allocator (glibc's malloc).
        (unsafe { malloc_usable_size(p.cast()) } + 8) as isize
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = p;
        size as isize
    }
}

fn add(asked: isize, used: isize) {
    ASKED.fetch_add(asked, Ordering::Relaxed);
    let now = USED.fetch_add(used, Ordering::Relaxed) + used;
    PEAK_USED.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: passed through to the system allocator with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            add(layout.size() as isize, used(p, layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            add(-(layout.size() as isize), -used(ptr, layout.size()));
        }
        // SAFETY: `ptr` was allocated by the system allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let counting = COUNTING.load(Ordering::Relaxed);
        let before = if counting { used(ptr, layout.size()) } else { 0 };
        // SAFETY: passed through to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && counting {
            add(new_size as isize - layout.size() as isize, used(p, new_size) - before);
        }
        p
    }
}

/// What `f` makes the process hold while it runs and after (what `f` returns is still
/// held): `(value, asked after, used after, peak used during)`, in bytes, relative to
/// the start.
fn counted<T>(f: impl FnOnce() -> BenchResult<T>) -> BenchResult<(T, isize, isize, isize)> {
    ASKED.store(0, Ordering::Relaxed);
    USED.store(0, Ordering::Relaxed);
    PEAK_USED.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let result = f();
    COUNTING.store(false, Ordering::Relaxed);
    let value = result?;
    Ok((value, ASKED.load(Ordering::Relaxed), USED.load(Ordering::Relaxed), PEAK_USED.load(Ordering::Relaxed)))
}

/// Memory per loaded object at `rows` courses: the ORM (a session holding every course as
/// an object) against a `Vec` of plain structs built by hand, each with its strings.
fn memory(b: &mut Bench, rows: usize) -> BenchResult {
    fill(b, 100, (rows / 100).max(1))?;
    let rows = (rows / 100).max(1) * 100;
    // Warm both sides' connections and statements first: their buffers are not objects.
    // The ORM's counted load runs on a thread of its own: a thread keeps the memory of its
    // last sessions' objects for the next ones, which would hide it from the count.
    black_box(raw_courses(&mut b.client)?.len());
    let engine = &b.engine;
    let load = move || -> Result<(Session, Vec<Obj<Course>>), String> {
        let mut db = engine.session();
        let held = db.query::<Course>().all().map_err(|e| e.to_string())?;
        Ok((db, held))
    };
    let (orm_asked, orm_used, orm_peak) = std::thread::scope(|s| -> Result<_, String> {
        s.spawn(move || load().map(drop)).join().map_err(|_| "the warm-up thread panicked")??;
        s.spawn(move || {
            let ((db, held), asked, used, peak) = counted(|| load().map_err(Into::into)).map_err(|e| e.to_string())?;
            assert_eq!(held.len(), rows);
            drop(held);
            drop(db);
            Ok((asked, used, peak))
        })
        .join()
        .map_err(|_| "the counting thread panicked")?
    })?;
    let (plain, raw_asked, raw_used, raw_peak) = counted(|| raw_courses(&mut b.client))?;
    assert_eq!(plain.len(), rows);
    drop(plain);
    let per = |bytes: isize| bytes as f64 / rows as f64;
    println!(
        "memory rows={rows} orm_bytes_per_object={:.0} raw_bytes_per_object={:.0} ratio={:.2} \
         orm_peak_bytes_per_object={:.0} raw_peak_bytes_per_object={:.0} peak_ratio={:.2} \
         orm_asked_bytes_per_object={:.0} raw_asked_bytes_per_object={:.0} asked_ratio={:.2}",
        per(orm_used),
        per(raw_used),
        orm_used as f64 / raw_used as f64,
        per(orm_peak),
        per(raw_peak),
        orm_peak as f64 / raw_peak as f64,
        per(orm_asked),
        per(raw_asked),
        orm_asked as f64 / raw_asked as f64,
    );
    Ok(())
}

/// Peak heap while reading `rows` courses: `all()` (every row held at once) against
/// `for_each` (each row built, handed over and dropped), with the hand-written client's
/// streaming (`query_raw`) beside them. Streaming should stay flat at any size.
fn streaming(b: &mut Bench, rows: usize) -> BenchResult {
    fill(b, 100, (rows / 100).max(1))?;
    let rows = (rows / 100).max(1) * 100;
    let engine = b.engine.clone();
    // Warm the connection and its statements: their buffers are not rows.
    black_box(Course::query().limit(1).all(&engine)?.len());
    let stream = |engine: &Engine| -> BenchResult<usize> {
        let mut seen = 0;
        Course::query().for_each(engine, |c| {
            seen += usize::from(!c.title.is_empty());
            Ok(())
        })?;
        Ok(seen)
    };
    black_box(stream(&engine)?);
    let (held, _, _, all_peak) = counted(|| Ok(Course::query().all(&engine)?.len()))?;
    let (streamed, _, _, stream_peak) = counted(|| stream(&engine))?;
    let (raw, _, _, raw_peak) = counted(|| {
        use postgres::fallible_iterator::FallibleIterator;
        let select = b.client.prepare("SELECT id, title, code, program_id FROM courses")?;
        let mut it = b.client.query_raw(&select, std::iter::empty::<i32>())?;
        let mut seen = 0;
        while let Some(row) = it.next()? {
            let c = RawCourse { id: row.get(0), title: row.get(1), code: row.get(2), program_id: row.get(3) };
            seen += usize::from(!c.title.is_empty() && c.id >= 0 && c.program_id >= 0 && !c.code.is_empty());
        }
        Ok(seen)
    })?;
    // Objects through a session, 1,000 at a time (SQLAlchemy's yield_per).
    let (objects, _, _, session_peak) = counted(|| {
        let mut db = engine.session();
        let mut seen = 0;
        db.query::<Course>().for_each_batch(1_000, |batch| {
            seen += batch.len();
            Ok(())
        })?;
        Ok(seen)
    })?;
    assert_eq!((held, streamed, raw, objects), (rows, rows, rows, rows));
    let mb = |bytes: isize| bytes as f64 / 1e6;
    println!(
        "streaming rows={rows} all_peak_mb={:.1} stream_peak_mb={:.2} session_batches_peak_mb={:.2} \
         raw_stream_peak_mb={:.2} all_to_stream={:.0}",
        mb(all_peak),
        mb(stream_peak),
        mb(session_peak),
        mb(raw_peak),
        all_peak as f64 / stream_peak.max(1) as f64,
    );
    Ok(())
}

// ----- plot -------------------------------------------------------------------------------

/// An SVG of cost per operation against size, one panel per workload, both axes
/// logarithmic: a flat line is a cost that does not grow.
fn plot(all: &[Growth]) -> String {
    use std::fmt::Write as _;
    let (cols, w, h) = (4usize, 230.0, 190.0);
    let rows = all.len().div_ceil(cols).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">"#,
        cols as f64 * w,
        rows as f64 * h + 30.0
    );
    let _ = write!(
        svg,
        r#"<rect width="100%" height="100%" fill="white"/><text x="10" y="18" font-size="13">Cost per operation against size (log-log): ORM (blue) and hand-written postgres code (grey)</text>"#
    );
    for (i, g) in all.iter().enumerate() {
        let (x0, y0) = ((i % cols) as f64 * w + 45.0, (i / cols) as f64 * h + 45.0);
        let (pw, ph) = (w - 65.0, h - 75.0);
        let values = [g.orm[0], g.orm[1], g.raw[0], g.raw[1]].map(|v| v.max(1e-9) * 1e6);
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min).log10().floor();
        let hi = values.iter().copied().fold(0.0, f64::max).log10().ceil().max(lo + 1.0);
        let y = |us: f64| y0 + ph - (us.max(1e-9).log10() - lo) / (hi - lo) * ph;
        let x = |k: usize| x0 + if k == 0 { 0.15 * pw } else { 0.85 * pw };
        let _ = write!(
            svg,
            r##"<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#999"/><text x="{x0}" y="{}">{} {} (per {})</text>"##,
            y0 - 6.0,
            g.id,
            g.name,
            g.unit
        );
        for decade in (lo as i32)..=(hi as i32) {
            let v = 10f64.powi(decade);
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{}µs</text>"##,
                x0 - 4.0,
                y(v) + 4.0,
                if decade >= 0 { format!("{v:.0}") } else { format!("{v}") }
            );
        }
        for (k, size) in g.sizes.iter().enumerate() {
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{size}</text>"##,
                x(k),
                y0 + ph + 14.0
            );
        }
        for (side, color) in [(&g.orm, "#1f5fbf"), (&g.raw, "#777")] {
            let (a, b) = (side[0] * 1e6, side[1] * 1e6);
            let _ = write!(
                svg,
                r#"<polyline points="{},{} {},{}" fill="none" stroke="{color}" stroke-width="2"/><circle cx="{}" cy="{}" r="3" fill="{color}"/><circle cx="{}" cy="{}" r="3" fill="{color}"/>"#,
                x(0),
                y(a),
                x(1),
                y(b),
                x(0),
                y(a),
                x(1),
                y(b)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" fill="#333">growth: ORM {:.2}x, raw {:.2}x</text>"##,
            x0,
            y0 + ph + 28.0,
            g.orm_growth(),
            g.raw_growth()
        );
    }
    svg.push_str("</svg>\n");
    svg
}
