use orm_core::functions::count_all;
use orm_core::prelude::*;

#[derive(Model)]
struct Program {
    #[orm(primary_key)]
    id: i32,
    name: String,
}

fn main() {
    let sizes = Program::query().select((Program::NAME, count_all())).group_by(Program::NAME).cte("sizes");
    let (name, programs) = sizes.columns();
    // A CTE's columns keep the types its query selected: a count is no name.
    let _ = Program::query().join_cte(&sizes, programs.eq(Program::NAME));
    let _ = name.eq(5);
}
