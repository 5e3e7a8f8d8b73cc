use orm_core::prelude::*;

#[derive(Model)]
#[orm(primary_key(student_id, course))]
struct Enrollment {
    student_id: i32,
    course_id: i32,
}

fn main() {}
