//! Models shared by the tests.

use orm_core::prelude::*;

/// The seed's parent table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "programs")]
pub struct Program {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub years_of_study: i32,
    #[orm(has_many(
        Course,
        foreign_key = "program_id",
        backref = "program",
        passive_deletes
    ))]
    pub courses: HasMany<Course>,
}

/// The seed's child table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "courses")]
pub struct Course {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub code: String,
    #[orm(foreign_key = "programs.id", on_delete = "cascade")]
    pub program_id: i32,
}

/// Every supported column type, plain and NULL-able.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "everything")]
pub struct Everything {
    #[orm(primary_key)]
    pub id: i64,
    pub small: i16,
    pub int: i32,
    pub big: i64,
    pub real: f32,
    pub double: f64,
    pub flag: bool,
    pub text: String,
    #[orm(length = 20)]
    pub short_text: String,
    pub bytes: Vec<u8>,
    pub date: chrono::NaiveDate,
    pub time: chrono::NaiveTime,
    pub stamp: chrono::NaiveDateTime,
    pub stamp_tz: chrono::DateTime<chrono::Utc>,
    pub uuid: uuid::Uuid,
    pub json: serde_json::Value,
    pub decimal: rust_decimal::Decimal,
    pub maybe_small: Option<i16>,
    pub maybe_int: Option<i32>,
    pub maybe_big: Option<i64>,
    pub maybe_real: Option<f32>,
    pub maybe_double: Option<f64>,
    pub maybe_flag: Option<bool>,
    pub maybe_text: Option<String>,
    pub maybe_bytes: Option<Vec<u8>>,
    pub maybe_date: Option<chrono::NaiveDate>,
    pub maybe_time: Option<chrono::NaiveTime>,
    pub maybe_stamp: Option<chrono::NaiveDateTime>,
    pub maybe_stamp_tz: Option<chrono::DateTime<chrono::Utc>>,
    pub maybe_uuid: Option<uuid::Uuid>,
    pub maybe_json: Option<serde_json::Value>,
    pub maybe_decimal: Option<rust_decimal::Decimal>,
}

/// A table and columns named with SQL keywords and odd spellings.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "user")]
pub struct User {
    #[orm(primary_key)]
    pub id: i32,
    pub order: i32,
    pub select: String,
    pub r#type: String,
    #[orm(column = "MixedCase")]
    pub mixed_case: Option<String>,
    #[orm(column = "naïve café")]
    pub unicode: Option<String>,
    #[orm(column = "quote\"d")]
    pub quoted: Option<String>,
}

/// Keys, defaults and constraints beyond the seed.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "accounts", unique(owner, label), index(owner, created_at))]
pub struct Account {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, length = 80)]
    pub email: String,
    #[orm(index)]
    pub owner: String,
    pub label: String,
    #[orm(default = 100)]
    pub balance: i64,
    #[orm(server_default = "now()")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[orm(skip)]
    pub scratch: Vec<String>,
}

/// A composite primary key.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "memberships", primary_key(group_id, member))]
pub struct Membership {
    pub group_id: i32,
    pub member: String,
    pub role: Option<String>,
}

/// A text primary key chosen by the user.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "settings")]
pub struct Setting {
    #[orm(primary_key)]
    pub key: String,
    pub value: String,
}
