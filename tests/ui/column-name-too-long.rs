use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    number_of_credits_required_to_graduate_from_the_bachelors_programme: i32,
}

fn main() {}
