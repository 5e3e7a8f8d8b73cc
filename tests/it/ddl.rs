use orm_core::dialect::POSTGRES;
use orm_tests::pg;

use crate::models::{Course, Program};

#[test]
fn seed_ddl_text() {
    assert_eq!(
        Program::table().create_sql(&POSTGRES),
        [
            "CREATE TABLE programs (\n\tid SERIAL NOT NULL,\n\tname VARCHAR NOT NULL,\n\tyears_of_study INTEGER NOT NULL,\n\tPRIMARY KEY (id)\n)"
        ]
    );
    assert_eq!(
        Course::table().create_sql(&POSTGRES),
        [
            "CREATE TABLE courses (\n\tid SERIAL NOT NULL,\n\ttitle VARCHAR NOT NULL,\n\tcode VARCHAR NOT NULL,\n\tprogram_id INTEGER NOT NULL,\n\tPRIMARY KEY (id),\n\tFOREIGN KEY(program_id) REFERENCES programs (id) ON DELETE CASCADE\n)"
        ]
    );
}

#[test]
fn create_all_creates_in_fk_order() {
    let db = pg!("create_all_order");
    db.engine
        .create_all(&[Course::table(), Program::table()])
        .unwrap();
    let tables = db.column(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
        orm_core::params![db.name.as_str()],
    );
    assert_eq!(tables, ["courses", "programs"]);
}
