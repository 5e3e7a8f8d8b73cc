use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "slots", primary_key(day, hour))]
struct Slot {
    day: i32,
    hour: i32,
}

#[derive(Model)]
#[orm(table = "rooms")]
struct Room {
    #[orm(primary_key)]
    id: i32,
    #[orm(many_to_many(Slot, secondary = "room_slots"))]
    slots: ManyToMany<Slot>,
}

fn main() {}
