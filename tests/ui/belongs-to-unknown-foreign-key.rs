use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)]
    pub id: i32,
}

#[derive(Model)]
#[orm(table = "courses")]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(foreign_key = "programs.id")]
    pub program_id: i32,
    #[orm(belongs_to(Program, foreign_key = "programme_id"))]
    pub program: BelongsTo<Program>,
}

fn main() {}
