use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "rooms", check("seats > 0", name = "ck_rooms_seats"))]
struct Room {
    #[orm(primary_key)]
    id: i32,
    #[orm(check("seats < 1000", name = "ck_rooms_seats"))]
    seats: i32,
}

#[derive(Model)]
struct Booking {
    #[orm(primary_key)]
    id: i32,
    #[orm(foreign_key("rooms.id", nmae = "fk_booking_room"))]
    room_id: i32,
}

#[derive(Model)]
struct Guest {
    #[orm(primary_key)]
    id: i32,
    #[orm(foreign_key("rooms.id", on_delete = "cascade"), on_delete = "restrict")]
    room_id: i32,
    #[orm(check("1 = 1", name = ""))]
    name: String,
}

fn main() {}
