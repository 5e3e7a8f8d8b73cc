use orm_core::prelude::*;

#[derive(Model)]
#[orm(primary_key(student_id, course_id))]
struct Enrollment {
    #[orm(primary_key)]
    student_id: i32,
    course_id: i32,
}

fn main() {}
