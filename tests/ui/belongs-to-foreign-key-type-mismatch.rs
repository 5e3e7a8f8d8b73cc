use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[orm(table = "courses")]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(foreign_key = "programs.id")]
    pub program_id: Option<i32>,
    #[orm(belongs_to(Program, foreign_key = "program_id"))]
    pub program: BelongsTo<Program>,
}

fn main() {}
