use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "course_enrollment_records_for_the_faculty_of_engineering_and_physics")]
struct Enrollment {
    #[orm(primary_key)]
    id: i32,
}

fn main() {}
