//! W1-W8 on MariaDB, then five of the growth pairs (S1, S2, S4, S6, S9 at two sizes ten
//! times apart): the ORM (the same code as on PostgreSQL, `orm_*` in `main.rs` and
//! `scale.rs`) against hand-written code on the `mysql` crate, the driver the ORM's MySQL
//! backend uses, on the same server in the same run.
//!
//! ```sh
//! DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo run --release -p orm-examples --bin bench
//! ```
//!
//! The hand-written side is what a careful user writes with that crate: statements
//! prepared once per connection (the crate's statement cache), multi-row INSERTs with
//! MariaDB's RETURNING for the keys, one UPDATE joining a VALUES table for many rows, an IN list
//! for the children of many parents, rows decoded into plain structs. Not pinned to
//! CPUs: the server is one process whose threads serve both sides.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, TxOpts, Value};
use orm_core::prelude::*;

use crate::scale::{
    Growth, Timed, orm_insert_programs, orm_load_every_program, orm_project_courses, orm_retitle_every_course, per_op,
    timed,
};
use crate::{
    Bench, BenchResult, Course, Program, RawCourse, RawProgram, Sizes, course_code, get_courses_in_one_session,
    measure, orm_aggregate_counts, orm_filter_first, orm_get_by_pk, orm_insert_batch, orm_load_one_to_many,
    orm_projection, orm_seed_scenario, orm_update_batch,
};

type My = Bench<Conn>;

/// `url` with its database replaced by `database` (its options kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// Creates a database of its own, runs W1-W8 there, and drops it.
pub(crate) fn run(url: &str, scale: f64, rounds: usize, scaling_rounds: usize, only: Option<&str>) -> BenchResult {
    let database = format!("orm_bench_{}", std::process::id());
    let driver_url = |url: &str| url.replacen("mariadb://", "mysql://", 1);
    let mut admin = Conn::new(Opts::from_url(&driver_url(url))?)?;
    admin.query_drop(format!("DROP DATABASE IF EXISTS `{database}`"))?;
    admin.query_drop(format!("CREATE DATABASE `{database}`"))?;
    let target = with_database(url, &database);
    let result = run_on(&target, &driver_url(&target), scale, rounds, scaling_rounds, only);
    admin.query_drop(format!("DROP DATABASE IF EXISTS `{database}`"))?;
    result
}

fn run_on(
    url: &str,
    driver_url: &str,
    scale: f64,
    rounds: usize,
    scaling_rounds: usize,
    only: Option<&str>,
) -> BenchResult {
    let engine = Engine::builder(url).max_size(2).build()?;
    engine.create_all(&[Program::table(), Course::table()])?;
    let mut client = Conn::new(Opts::from_url(driver_url)?)?;
    // The ORM's sessions run in READ COMMITTED (PostgreSQL's default); the same here.
    client.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")?;
    let version: Option<String> = client.query_first("SELECT VERSION()")?;
    let mut b = Bench {
        engine,
        client,
        sizes: Sizes::scaled(scale),
        round: 0,
        slice: (0, 1),
        only: only.map(str::to_owned),
        unnamed: false,
    };
    println!(
        "# MariaDB {}: {} programs x {} courses, {} lookups, {} loads, {} scenarios; {rounds} rounds after a warm-up",
        version.unwrap_or_default(),
        b.sizes.programs,
        b.sizes.courses_per_program,
        b.sizes.lookups,
        b.sizes.loads,
        b.sizes.scenarios
    );
    println!("# not pinned: one server process serves both sides");
    measure(&mut b, "W1", "insert_batch", rounds, 1, Some(reset), orm_insert_batch, raw_insert_batch)?;
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
    if b.only.as_deref().is_none_or(|o| o.split('|').any(|o| o.starts_with('S'))) {
        scaling(&mut b, scale, scaling_rounds)?;
    }
    Ok(())
}

fn reset(b: &mut My) -> BenchResult {
    // TRUNCATE of a table a foreign key refers to needs the checks off (this session only).
    b.client.query_drop(
        "SET FOREIGN_KEY_CHECKS = 0; TRUNCATE TABLE courses; TRUNCATE TABLE programs; SET FOREIGN_KEY_CHECKS = 1",
    )?;
    Ok(())
}

fn settle(b: &mut My) -> BenchResult {
    b.client.query_drop("ANALYZE TABLE programs, courses")?;
    Ok(())
}

/// `(?, ?), (?, ?), ..`: `rows` groups of `width` placeholders.
fn values_list(rows: usize, width: usize) -> String {
    let group = format!("({})", vec!["?"; width].join(", "));
    vec![group; rows].join(", ")
}

fn course(row: (i32, String, String, i32)) -> RawCourse {
    let (id, title, code, program_id) = row;
    RawCourse { id, title, code, program_id }
}

// ----- W1 ------------------------------------------------------------------------------------

fn raw_insert_batch(b: &mut My) -> BenchResult {
    raw_insert(&mut b.client, b.sizes.programs, b.sizes.courses_per_program)
}

/// `programs` programs with `per_program` courses each, in one transaction: the programs
/// in one INSERT .. RETURNING, the courses in INSERTs of 20,000 rows (60,000 parameters,
/// under the protocol's 65,535).
fn raw_insert(conn: &mut Conn, programs: usize, per_program: usize) -> BenchResult {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let sql = format!("INSERT INTO programs (name, years_of_study) VALUES {} RETURNING id", values_list(programs, 2));
    let params: Vec<Value> =
        (0..programs).flat_map(|p| [Value::from(format!("Program {p}")), Value::from(3)]).collect();
    let mut ids: Vec<i32> = tx.exec_map(sql, params, |id: i32| id)?;
    ids.sort_unstable();
    let rows: Vec<(usize, usize, i32)> =
        ids.iter().enumerate().flat_map(|(p, id)| (0..per_program).map(move |c| (p, c, *id))).collect();
    for part in rows.chunks(20_000) {
        let params: Vec<Value> = part
            .iter()
            .flat_map(|&(p, c, id)| {
                [Value::from(format!("Course {p}-{c}")), Value::from(format!("C{p}-{c}")), Value::from(id)]
            })
            .collect();
        let sql = format!("INSERT INTO courses (title, code, program_id) VALUES {}", values_list(part.len(), 3));
        tx.exec_drop(sql, params)?;
    }
    tx.commit()?;
    Ok(())
}

// ----- W2, W3 --------------------------------------------------------------------------------

fn raw_get_by_pk(b: &mut My) -> BenchResult {
    let lookups = b.part(b.sizes.lookups);
    raw_get(&mut b.client, lookups)
}

/// The courses with ids `ids` (+1), one prepared lookup each.
fn raw_get(conn: &mut Conn, ids: std::ops::Range<usize>) -> BenchResult {
    let stmt = conn.prep("SELECT id, title, code, program_id FROM courses WHERE id = ?")?;
    for i in ids {
        let row = conn.exec_first(&stmt, (i as i32 + 1,))?.ok_or("missing course")?;
        let c = course(row);
        black_box(c.title.len() + c.code.len() + (c.id + c.program_id) as usize);
    }
    Ok(())
}

fn raw_filter_first(b: &mut My) -> BenchResult {
    let lookups = b.part(b.sizes.lookups);
    let per_program = b.sizes.courses_per_program;
    let stmt = b.client.prep("SELECT id, title, code, program_id FROM courses WHERE code = ? LIMIT 1")?;
    for i in lookups {
        let row = b.client.exec_first(&stmt, (course_code(i, per_program),))?.ok_or("missing")?;
        let c = course(row);
        black_box(c.id as usize + c.title.len() + c.code.len() + c.program_id as usize);
    }
    Ok(())
}

// ----- W4 ------------------------------------------------------------------------------------

fn raw_load_one_to_many(b: &mut My) -> BenchResult {
    let expected = b.sizes.programs * b.sizes.courses_per_program;
    for _ in b.part(b.sizes.loads) {
        assert_eq!(raw_load_all(&mut b.client)?, expected);
    }
    Ok(())
}

/// Every program with its courses (an IN list of the programs' ids), in plain structs;
/// the number of courses.
fn raw_load_all(conn: &mut Conn) -> BenchResult<usize> {
    let programs: Vec<RawProgram> =
        conn.exec_map("SELECT id, name, years_of_study FROM programs", (), |(id, name, years_of_study)| RawProgram {
            id,
            name,
            years_of_study,
        })?;
    let ids: Vec<Value> = programs.iter().map(|p| Value::from(p.id)).collect();
    let sql = format!(
        "SELECT id, title, code, program_id FROM courses WHERE program_id IN ({})",
        vec!["?"; ids.len()].join(", ")
    );
    let mut by_program: HashMap<i32, Vec<RawCourse>> = HashMap::with_capacity(programs.len());
    for c in conn.exec_map(sql, ids, course)? {
        by_program.entry(c.program_id).or_default().push(c);
    }
    let loaded: Vec<(RawProgram, Vec<RawCourse>)> = programs
        .into_iter()
        .map(|p| {
            let courses = by_program.remove(&p.id).unwrap_or_default();
            (p, courses)
        })
        .collect();
    black_box(
        loaded
            .iter()
            .map(|(p, c)| {
                p.name.len()
                    + p.years_of_study as usize
                    + c.iter().map(|c| c.title.len() + c.code.len() + c.id as usize).sum::<usize>()
            })
            .sum::<usize>(),
    );
    Ok(loaded.iter().map(|(_, c)| c.len()).sum())
}

// ----- W5 ------------------------------------------------------------------------------------

fn raw_seed_scenario(b: &mut My) -> BenchResult {
    let steps = b.part(b.sizes.scenarios);
    let round = b.round;
    let c = &mut b.client;
    let insert_programs = c.prep("INSERT INTO programs (name, years_of_study) VALUES (?, ?), (?, ?) RETURNING id")?;
    let insert_courses =
        c.prep(format!("INSERT INTO courses (title, code, program_id) VALUES {}", values_list(4, 3)))?;
    let program_by_name = c.prep("SELECT id, name, years_of_study FROM programs WHERE name = ? LIMIT 1")?;
    let course_by_title = c.prep(
        "SELECT c.id, c.title, c.code, c.program_id, p.name FROM courses c JOIN programs p ON p.id = c.program_id \
         WHERE c.title = ?",
    )?;
    let delete_program = c.prep("DELETE FROM programs WHERE id = ?")?;
    for i in steps {
        let tag = format!("{round}-{i}");
        let (cs_name, bs_name) = (format!("Bachelors in CS {tag}"), format!("Bachelors in Business {tag}"));
        let mut tx = c.start_transaction(TxOpts::default())?;
        let mut ids: Vec<i32> = tx.exec_map(&insert_programs, (&cs_name, 3, &bs_name, 3), |id: i32| id)?;
        tx.commit()?;
        ids.sort_unstable();
        let titles = [
            "Database Management Systems".to_owned(),
            "Data SCIENCE".to_owned(),
            format!("Data STRUCTURES AND ALGRITHMS {tag}"),
            "Businnes communication".to_owned(),
        ];
        let codes = [format!("CS 102 {tag}"), format!("CS 103 {tag}"), "CS 110".to_owned(), format!("BS 123 {tag}")];
        let program_ids = [ids[0], ids[0], ids[0], ids[1]];
        let params: Vec<Value> = (0..4)
            .flat_map(|k| [Value::from(&titles[k]), Value::from(&codes[k]), Value::from(program_ids[k])])
            .collect();
        let mut tx = c.start_transaction(TxOpts::default())?;
        tx.exec_drop(&insert_courses, params)?;
        tx.commit()?;

        let (id, name, years): (i32, String, i32) = c.exec_first(&program_by_name, (&cs_name,))?.ok_or("no program")?;
        let p = RawProgram { id, name, years_of_study: years };
        black_box(p.name.len() + p.id as usize + p.years_of_study as usize);
        let rows: Vec<(i32, String, String, i32, String)> = c.exec(&course_by_title, (&titles[2],))?;
        let [(id, title, code, program_id, program_name)] = rows.as_slice() else {
            return Err("expected one course".into());
        };
        black_box(title.len() + program_name.len() + code.len() + (id + program_id) as usize);

        let rows: Vec<(i32, String, i32)> = c.exec(&program_by_name, (&bs_name,))?;
        let [(id, _, _)] = rows.as_slice() else { return Err("expected one program".into()) };
        let mut tx = c.start_transaction(TxOpts::default())?;
        tx.exec_drop(&delete_program, (*id,))?;
        tx.commit()?;
    }
    Ok(())
}

// ----- W6 ------------------------------------------------------------------------------------

fn raw_update_batch(b: &mut My) -> BenchResult {
    raw_retitle_all(&mut b.client, "round", b.round)
}

/// Every course loaded and retitled `Course {id} ({label} {n})`, in one transaction.
fn raw_retitle_all(conn: &mut Conn, label: &str, n: usize) -> BenchResult {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let mut courses: Vec<RawCourse> = tx.exec_map("SELECT id, title, code, program_id FROM courses", (), course)?;
    for c in &mut courses {
        c.title = format!("Course {} ({label} {n})", c.id);
    }
    // MariaDB's fastest bulk UPDATE: the new values as a VALUES table joined by key (the
    // empty SELECT types its columns as the table's), 10,000 rows per statement.
    let mut changed = 0;
    for part in courses.chunks(10_000) {
        let params: Vec<Value> = part.iter().flat_map(|c| [Value::from(&c.title), Value::from(c.id)]).collect();
        let sql = format!(
            "UPDATE courses JOIN (WITH v (title, id) AS ((SELECT title, id FROM courses LIMIT 0) UNION ALL VALUES {}) \
             SELECT * FROM v) AS v ON courses.id = v.id SET courses.title = v.title",
            values_list(part.len(), 2)
        );
        tx.exec_drop(sql, params)?;
        changed += tx.affected_rows() as usize;
    }
    assert_eq!(changed, courses.len());
    tx.commit()?;
    black_box(courses.iter().map(|c| c.code.len() + c.program_id as usize).sum::<usize>());
    Ok(())
}

// ----- W7, W8 --------------------------------------------------------------------------------

fn raw_aggregate_counts(b: &mut My) -> BenchResult {
    let stmt = b.client.prep("SELECT courses.program_id, count(*) FROM courses GROUP BY courses.program_id")?;
    for _ in b.part(b.sizes.loads) {
        let counts: Vec<(i32, i64)> = b.client.exec(&stmt, ())?;
        assert!(counts.len() >= b.sizes.programs);
        black_box(counts.iter().map(|(_, n)| n).sum::<i64>());
    }
    Ok(())
}

fn raw_projection(b: &mut My) -> BenchResult {
    let expected = b.sizes.programs * b.sizes.courses_per_program;
    for _ in b.part(b.sizes.loads) {
        assert!(raw_project_all(&mut b.client)? >= expected);
    }
    Ok(())
}

/// Two columns of every course as typed rows; how many.
fn raw_project_all(conn: &mut Conn) -> BenchResult<usize> {
    let stmt = conn.prep("SELECT courses.title, courses.code FROM courses")?;
    let rows: Vec<(String, String)> = conn.exec(&stmt, ())?;
    black_box(rows.iter().map(|(t, c)| t.len() + c.len()).sum::<usize>());
    Ok(rows.len())
}

// ----- Growth: pairs at two sizes ten times apart (as scale.rs on PostgreSQL) --------------

/// Empties the tables and fills them with `programs` programs of `per_program` courses.
fn fill(b: &mut My, programs: usize, per_program: usize) -> BenchResult {
    reset(b)?;
    raw_insert(&mut b.client, programs, per_program)?;
    settle(b)
}

/// S1, S2, S4, S6 and S9 of the PostgreSQL scaling section, the ORM's side the same code
/// (`scale.rs`); prints each pair's cost per operation at both sizes and the growth.
fn scaling(b: &mut My, scale: f64, rounds: usize) -> BenchResult {
    let n = |full: usize| ((full as f64 * scale).round() as usize).max(1);
    let only = b.only.clone();
    let wanted = |id: &str| only.as_deref().is_none_or(|o| o.split('|').any(|o| o == id || o == "S"));
    println!("# scaling: two sizes ten times apart, {rounds} rounds each after a warm-up; per-operation medians");

    if wanted("S1") {
        let mut g = Growth::new("S1", "insert", "row", [n(10_000), n(100_000)]);
        for (k, rows) in g.sizes.into_iter().enumerate() {
            let programs = (rows / 100).max(1);
            let orm: Timed<Conn> = Box::new(move |b| {
                reset(b)?;
                timed(|| orm_insert_programs(&b.engine, programs, 100))
            });
            let raw: Timed<Conn> = Box::new(move |b| {
                reset(b)?;
                timed(|| raw_insert(&mut b.client, programs, 100))
            });
            (g.orm[k], g.raw[k], g.ratio[k]) = per_op(b, rounds, programs * 101, orm, raw)?;
        }
        g.print();
    }

    if wanted("S2") {
        // Lookups of distinct rows in one session that keeps what it loads; the same
        // number per round at both sizes (sessions of `small` lookups one after another).
        let [small, large] = [n(2_000), n(20_000)];
        fill(b, (large / 100).max(1), 100)?;
        let mut g = Growth::new("S2", "get_by_pk", "lookup", [small, large]);
        for (k, lookups) in g.sizes.into_iter().enumerate() {
            let times = large / lookups;
            let orm: Timed<Conn> = Box::new(move |b| {
                timed(|| (0..times).try_for_each(|_| get_courses_in_one_session(&b.engine, 0..lookups)))
            });
            let raw: Timed<Conn> =
                Box::new(move |b| timed(|| (0..times).try_for_each(|_| raw_get(&mut b.client, 0..lookups))));
            (g.orm[k], g.raw[k], g.ratio[k]) = per_op(b, rounds, lookups * times, orm, raw)?;
        }
        g.print();
    }

    // S4, S6, S9 share a data set per size: 10,000 and 100,000 courses of 100 programs.
    let sizes = [n(10_000), n(100_000)];
    let mut s4 = Growth::new("S4", "load_one_to_many", "child", sizes);
    let mut s6 = Growth::new("S6", "update_batch", "row", sizes);
    let mut s9 = Growth::new("S9", "projection", "row", sizes);
    if !(wanted("S4") || wanted("S6") || wanted("S9")) {
        return Ok(());
    }
    for (k, rows) in sizes.into_iter().enumerate() {
        let per_program = (rows / 100).max(1);
        fill(b, 100, per_program)?;
        let courses = 100 * per_program;
        if wanted("S4") {
            let loads = sizes[1] / rows;
            let orm: Timed<Conn> =
                Box::new(move |b| timed(|| (0..loads).try_for_each(|_| orm_load_every_program(&b.engine))));
            let raw: Timed<Conn> = Box::new(move |b| {
                timed(|| {
                    (0..loads).try_for_each(|_| {
                        assert_eq!(raw_load_all(&mut b.client)?, courses);
                        Ok(())
                    })
                })
            });
            (s4.orm[k], s4.raw[k], s4.ratio[k]) = per_op(b, rounds, loads * courses, orm, raw)?;
        }
        if wanted("S6") {
            // Every run writes new titles (the same ones twice would be no change to the ORM).
            static RUN: AtomicUsize = AtomicUsize::new(0);
            let orm: Timed<Conn> = Box::new(|b| {
                let run = RUN.fetch_add(1, Ordering::Relaxed);
                timed(|| orm_retitle_every_course(&b.engine, run))
            });
            let raw: Timed<Conn> = Box::new(|b| {
                let run = RUN.fetch_add(1, Ordering::Relaxed);
                timed(|| raw_retitle_all(&mut b.client, "run", run))
            });
            (s6.orm[k], s6.raw[k], s6.ratio[k]) = per_op(b, rounds, courses, orm, raw)?;
        }
        if wanted("S9") {
            let orm: Timed<Conn> = Box::new(|b| timed(|| orm_project_courses(&b.engine)));
            let raw: Timed<Conn> = Box::new(|b| timed(|| raw_project_all(&mut b.client).map(drop)));
            (s9.orm[k], s9.raw[k], s9.ratio[k]) = per_op(b, rounds, courses, orm, raw)?;
        }
    }
    for g in [s4, s6, s9] {
        if wanted(g.id) {
            g.print();
        }
    }
    Ok(())
}
