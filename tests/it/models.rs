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
    #[orm(has_many(Course, foreign_key = "program_id", backref = "program", passive_deletes))]
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
    #[orm(has_many(Enrollment, foreign_key = "course_id", backref = "course", passive_deletes))]
    pub enrollments: HasMany<Enrollment>,
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
    #[orm(server_default = "CURRENT_TIMESTAMP")]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
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

/// Third level under programs -> courses.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "enrollments")]
pub struct Enrollment {
    #[orm(primary_key)]
    pub id: i32,
    pub student: String,
    #[orm(foreign_key = "courses.id", on_delete = "cascade")]
    pub course_id: i32,
}

/// Children with a NULL-able foreign key and no delete cascade: deleting a department
/// leaves its employees, unassigned.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "departments")]
pub struct Department {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(has_many(Employee, foreign_key = "department_id", back_populates = "department"))]
    pub employees: HasMany<Employee>,
}

/// The many side, declared with `belongs_to`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "employees")]
pub struct Employee {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(foreign_key = "departments.id", on_delete = "set null")]
    pub department_id: Option<i32>,
    #[orm(belongs_to(Department, foreign_key = "department_id", back_populates = "employees"))]
    pub department: orm_core::BelongsTo<Department>,
}

/// Children owned by their parent: `cascade = "all, delete-orphan"`, and no ON DELETE
/// in the database, so the ORM deletes them.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "orders")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    pub customer: String,
    #[orm(has_many(OrderLine, foreign_key = "order_id", cascade = "all, delete-orphan", backref = "order"))]
    pub lines: HasMany<OrderLine>,
}

/// A line of an order.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "order_lines")]
pub struct OrderLine {
    #[orm(primary_key)]
    pub id: i64,
    pub product: String,
    pub quantity: i32,
    #[orm(foreign_key = "orders.id")]
    pub order_id: i64,
}

/// A relationship loaded with its parents by default (`lazy = "selectin"`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "blogs")]
pub struct Blog {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(has_many(Post, foreign_key = "blog_id", lazy = "selectin", cascade = "all"))]
    pub posts: HasMany<Post>,
    #[orm(has_many(Tag, foreign_key = "blog_id", lazy = "raise", cascade = "all"))]
    pub tags: HasMany<Tag>,
}

/// A post of a blog.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i32,
    pub body: String,
    #[orm(foreign_key = "blogs.id")]
    pub blog_id: i32,
}

/// A relationship that must never load lazily (`lazy = "raise"`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i32,
    pub label: String,
    #[orm(foreign_key = "blogs.id")]
    pub blog_id: i32,
}

/// Children with a NOT NULL foreign key and no cascade at all: deleting a shelf that
/// still holds books is refused before anything is sent.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "shelves")]
pub struct Shelf {
    #[orm(primary_key)]
    pub id: i32,
    pub label: String,
    #[orm(has_many(Book, foreign_key = "shelf_id"))]
    pub books: HasMany<Book>,
}

/// A book on a shelf.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(foreign_key = "shelves.id")]
    pub shelf_id: i32,
}

/// A key chosen by the user and a column the database fills in.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "events")]
pub struct Event {
    #[orm(primary_key)]
    pub code: String,
    #[orm(server_default = "'new'")]
    pub status: Option<String>,
    pub weight: i32,
}

/// An adjacency-list tree: categories with a parent and children in the same table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(foreign_key = "categories.id", on_delete = "cascade")]
    pub parent_id: Option<i32>,
    #[orm(has_many(Category, foreign_key = "parent_id", backref = "parent", cascade = "all"))]
    pub children: HasMany<Category>,
}

/// One-to-one: a person has at most one passport (`passports.person_id` is unique).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "people")]
pub struct Person {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(has_one(Passport, foreign_key = "person_id", backref = "holder", cascade = "all, delete-orphan"))]
    pub passport: HasOne<Passport>,
    #[orm(has_one(Locker, foreign_key = "person_id", backref = "owner"))]
    pub locker: HasOne<Locker>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "passports")]
pub struct Passport {
    #[orm(primary_key)]
    pub id: i32,
    pub number: String,
    #[orm(foreign_key = "people.id", unique)]
    pub person_id: i32,
}

/// One-to-one with a NULL-able key: a locker may be free.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "lockers")]
pub struct Locker {
    #[orm(primary_key)]
    pub id: i32,
    pub label: String,
    #[orm(foreign_key = "people.id", unique)]
    pub person_id: Option<i32>,
}

/// Many-to-many declared on one side, with a backref: `article_labels (article_id, label_id)`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "articles")]
pub struct Article {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(many_to_many(Label, secondary = "article_labels", backref = "articles"))]
    pub labels: ManyToMany<Label>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "labels")]
pub struct Label {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub name: String,
}

/// Many-to-many declared on both sides (`back_populates`), over one table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "students")]
pub struct Student {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(many_to_many(Club, secondary = "club_members", back_populates = "members", lazy = "selectin"))]
    pub clubs: ManyToMany<Club>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "clubs")]
pub struct Club {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(many_to_many(Student, secondary = "club_members", back_populates = "clubs"))]
    pub members: ManyToMany<Student>,
}

/// The association-object form: a model of its own with extra columns, a composite key
/// of two foreign keys, and a has_many from each side.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "actors")]
pub struct Actor {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(has_many(Role, foreign_key = "actor_id", backref = "actor", cascade = "all, delete-orphan"))]
    pub roles: HasMany<Role>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "films")]
pub struct Film {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(has_many(Role, foreign_key = "film_id", backref = "film", cascade = "all, delete-orphan"))]
    pub cast: HasMany<Role>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "roles", primary_key(actor_id, film_id))]
pub struct Role {
    #[orm(foreign_key = "actors.id", on_delete = "cascade")]
    pub actor_id: i32,
    #[orm(foreign_key = "films.id", on_delete = "cascade")]
    pub film_id: i32,
    pub part: String,
}

/// Columns with server defaults: `None` leaves them to the database, a value set is sent.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "library_books")]
pub struct LibraryBook {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub title: String,
    #[orm(server_default = "true")]
    pub in_print: Option<bool>,
    #[orm(server_default = "1")]
    pub copies: Option<i32>,
}

/// CHECK constraints on a column and on the table.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "priced_items", check = "discount <= price")]
pub struct PricedItem {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(check = "price >= 0")]
    pub price: i64,
    pub discount: i64,
}

/// A named multi-column UNIQUE constraint, a partial index and a named index.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(
    table = "shelf_slots",
    unique(shelf, position, name = "uq_shelf_position"),
    index(shelf, where = "archived = false"),
    index(title, name = "ix_slot_title")
)]
pub struct ShelfSlot {
    #[orm(primary_key)]
    pub id: i32,
    pub shelf: i32,
    pub position: i32,
    pub title: String,
    pub archived: bool,
}
