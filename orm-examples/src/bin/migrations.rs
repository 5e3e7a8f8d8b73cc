//! Migrations as an application ships them: the courses example's migrations
//! (`orm-examples/migrations`) compiled into the binary, applied step by step, checked
//! against the models, and reverted. Run it with `cargo run -p orm-examples --bin
//! migrations` (SQLite in memory unless `DATABASE_URL` is set).

use orm_core::migration::{Direction, Migrator, check};
use orm_core::prelude::*;
use orm_examples::courses::{Course, Program, ProgramCoursesBackref, models};

fn main() -> orm_core::Result<()> {
    let engine = Engine::connect(&orm_examples::database_url())?;
    let migrator = || {
        Migrator::new(&engine, orm_core::embed_migrations!("migrations")).on_progress(|m, way, _| {
            println!("{} {}", if way == Direction::Up { "applied" } else { "reverted" }, m.id());
        })
    };

    // Version 1 is the seed walkthrough's schema; a first deployment fills it.
    migrator().upgrade(Some(1))?;
    engine.execute("INSERT INTO programs (name, years_of_study) VALUES ('Bachelors in CS', 3)", &[])?;
    engine.execute("INSERT INTO courses (title, code, program_id) VALUES ('Data SCIENCE', 'CS 103', 1)", &[])?;
    println!("models differ from the database: {}", check(&engine, &models())?.len());

    // The next release adds Course::description: upgrade, and the rows are still there.
    migrator().upgrade(None)?;
    println!("models differ from the database: {}", check(&engine, &models())?.len());
    let mut db = engine.session();
    let course = db.query::<Course>().filter(Course::CODE.eq("CS 103")).one()?;
    course.get_mut().description = Some("Statistics and machine learning".to_owned());
    db.commit()?;
    let program = course.program(&mut db)?;
    println!("{}: {} ({})", program.get().name, course.get().title, course.get().description.as_deref().unwrap_or(""));
    for status in migrator().status()? {
        println!("{} {:?}", status.id, status.state);
    }

    // Rolling the release back drops the column: a destructive step, refused until it is
    // confirmed; then the column goes and the rows stay.
    if let Err(refused) = migrator().downgrade(1) {
        println!("{refused}");
    }
    migrator().allow_destructive(true).downgrade(1)?;
    let titles = engine.query_raw("SELECT title FROM courses", &[], |row| row.get::<String>(0))?;
    println!("course titles kept: {titles:?}; programs: {}", Program::query().count(&engine)?);
    Ok(())
}
