//! The seed walkthrough: SQLAlchemy's one-to-many tutorial (programs and their courses),
//! written with this ORM. Run it with `cargo run -p orm-examples --bin seed`; it uses
//! `DATABASE_URL` (default: the local PostgreSQL server) and echoes every statement.

use orm_core::prelude::*;

#[derive(Model, Debug)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)] // integer key: SERIAL, assigned at flush
    pub id: i32,
    pub name: String, // NOT NULL; Option<String> would be NULL-able
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
    pub code: String,
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    pub program_id: i32,
}

fn main() -> orm_core::Result<()> {
    let url = orm_examples::database_url();
    let engine = Engine::builder(&url).echo(true).build()?; // r2d2 pool inside
    engine.create_all(&[Program::table(), Course::table()])?; // FK order, skips existing tables

    let mut db = engine.session();
    let cs = db.add(Program::new("Bachelors in CS", 3)); // a handle on a pending object
    let bs = db.add(Program::new("Bachelors in Business", 3));
    db.commit()?; // one multi-row INSERT ... RETURNING

    cs.courses(&mut db)?.push(Course::new("Database Management Systems", "CS 102"));
    cs.courses(&mut db)?.push(Course::new("Data SCIENCE", "CS 103"));
    cs.courses(&mut db)?.push(Course::new("Data STRUCTURES AND ALGRITHMS", "CS 110"));
    bs.courses(&mut db)?.push(Course::new("Businnes communication", "BS 123"));
    db.commit()?; // program_id filled in from the parents, four courses in one INSERT

    let p = db.query::<Program>().filter(Program::NAME.eq("Bachelors in CS")).first()?.unwrap();
    println!("{}", p.get().name);
    let c = db.query::<Course>().filter(Course::TITLE.eq("Data STRUCTURES AND ALGRITHMS")).one()?;
    println!("{} in {}", c.get().title, c.program(&mut db)?.get().name); // backref

    let bs = db.query::<Program>().filter(Program::NAME.eq("Bachelors in Business")).one()?;
    db.delete(&bs)?;
    db.commit()?; // DELETE FROM programs ...; ON DELETE CASCADE removes its course
    Ok(())
}
