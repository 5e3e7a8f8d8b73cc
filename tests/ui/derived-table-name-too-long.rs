use orm_core::prelude::*;

#[derive(Model)]
struct CourseEnrollmentRecordsForTheFacultyOfEngineeringAndAppliedPhysics {
    #[orm(primary_key)]
    id: i32,
}

fn main() {}
