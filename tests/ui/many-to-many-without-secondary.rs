use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "tags")]
struct Tag {
    #[orm(primary_key)]
    id: i32,
}

#[derive(Model)]
#[orm(table = "posts")]
struct Post {
    #[orm(primary_key)]
    id: i32,
    #[orm(many_to_many(Tag, foreign_key = "tag_id"))]
    tags: ManyToMany<Tag>,
}

fn main() {}
