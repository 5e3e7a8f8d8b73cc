use orm_core::prelude::*;

#[derive(Model)]
struct Student {
    #[orm(primary_key)]
    id: std::net::Ipv4Addr,
    name: String,
}

fn main() {}
