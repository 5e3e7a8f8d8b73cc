//! A library, written as an application writes its models: a category tree, authors,
//! books and their reviews, built as an object graph before it is added (parents set on
//! new objects, as SQLAlchemy's `Book(title=.., category=scifi)`), with the types real
//! models use: a newtype key (`Isbn`), an enum (a PostgreSQL ENUM type), a tag array, a
//! JSON document of the application's own type, a version counter, a timestamp the
//! session fills in, CHECK constraints and a validation hook.
//!
//! Run it with `cargo run -p orm-examples --bin library` (`DATABASE_URL` as for the seed).

use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use orm_core::{Hooks, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A book's key: an ISBN, stored as text.
#[derive(ColumnType, Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Isbn(String);

/// How a book is published: a PostgreSQL ENUM type (text with a CHECK on SQLite).
#[derive(ColumnType, Debug, Clone, Copy, Default, PartialEq)]
#[orm(pg_enum = "book_format")]
pub enum Format {
    #[default]
    Hardcover,
    Paperback,
    #[orm(rename = "e-book")]
    Ebook,
}

/// Publication details, stored as a JSON document (jsonb on PostgreSQL).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Edition {
    pub publisher: String,
    pub year: i32,
    pub pages: i32,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub name: String,
    #[orm(foreign_key = "categories.id", on_delete = "cascade")]
    pub parent_id: Option<i32>,
    #[orm(belongs_to(Category, foreign_key = "parent_id"))]
    pub parent: BelongsTo<Category>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "authors", hooks)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
}

/// Names are trimmed, and an author has one.
impl Hooks for Author {
    fn before_insert(&mut self) -> orm_core::Result<()> {
        self.name = self.name.trim().to_owned();
        Ok(())
    }

    fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("an author needs a name".to_owned());
        }
        Ok(())
    }
}

#[derive(Model, Debug, Clone)]
#[orm(table = "books", index(author_id, title))]
pub struct Book {
    #[orm(primary_key, autoincrement = false)]
    pub isbn: Isbn,
    #[orm(check = "length(title) > 0")]
    pub title: String,
    pub format: Format,
    pub tags: Vec<String>,
    pub edition: Json<Edition>,
    #[orm(foreign_key = "authors.id")]
    pub author_id: i32,
    #[orm(foreign_key = "categories.id")]
    pub category_id: Option<i32>,
    #[orm(belongs_to(Author, foreign_key = "author_id"))]
    pub author: BelongsTo<Author>,
    #[orm(belongs_to(Category, foreign_key = "category_id"))]
    pub category: BelongsTo<Category>,
    /// Optimistic locking: two sessions editing one book cannot both win.
    #[orm(version)]
    pub version: i32,
    #[orm(created_at)]
    pub added_at: DateTime<Utc>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "reviews")]
pub struct Review {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(foreign_key = "books.isbn", on_delete = "cascade")]
    pub book_isbn: Isbn,
    #[orm(check = "stars BETWEEN 1 AND 5")]
    pub stars: i32,
    pub text: String,
    #[orm(belongs_to(Book, foreign_key = "book_isbn"))]
    pub book: BelongsTo<Book>,
}

fn book(isbn: &str, title: &str, format: Format, tags: &[&str], edition: (&str, i32, i32)) -> Book {
    let (publisher, year, pages) = edition;
    Book::new(
        Isbn(isbn.to_owned()),
        title,
        format,
        tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        Json(Edition { publisher: publisher.to_owned(), year, pages }),
    )
}

fn main() -> orm_core::Result<()> {
    let url = orm_examples::database_url();
    let engine = Engine::builder(&url).echo(std::env::var_os("ECHO").is_some()).build()?;
    let tables = [Category::table(), Author::table(), Book::table(), Review::table()];
    engine.create_all(&tables)?; // the book_format type first, on PostgreSQL

    // The graph, built before anything is in the session: new parents travel with their
    // children; objects already added are named by handle.
    let mut db = engine.session();
    let scifi =
        db.add(Category { parent: BelongsTo::to(Category::new("Fiction")), ..Category::new("Science fiction") });
    let le_guin = db.add(Author::new("  Ursula K. Le Guin "));
    let dispossessed = db.add(Book {
        author: BelongsTo::to_obj(&le_guin),
        category: BelongsTo::to_obj(&scifi),
        ..book("978-0061054884", "The Dispossessed", Format::Paperback, &["classic", "utopia"], ("Harper", 1974, 387))
    });
    db.add(Book {
        author: BelongsTo::to_obj(&le_guin),
        category: BelongsTo::to_obj(&scifi),
        ..book("978-0441478125", "The Left Hand of Darkness", Format::Ebook, &["classic"], ("Ace", 1969, 304))
    });
    db.add(Review {
        book: BelongsTo::to(Book {
            author: BelongsTo::to(Author::new("Frank Herbert")),
            category: BelongsTo::to_obj(&scifi),
            ..book("978-0441172719", "Dune", Format::Hardcover, &["classic", "desert"], ("Ace", 1965, 412))
        }),
        ..Review::new(5, "Spice and politics.")
    });
    db.add(Review { book: BelongsTo::to_obj(&dispossessed), ..Review::new(4, "Anarres, patiently.") });
    db.commit()?;
    println!("Le Guin is stored as {:?}", le_guin.get().name);

    // Queries over the types: an enum, an array, a JSON document, a newtype key.
    let names = |books: Vec<Obj<Book>>| books.iter().map(|b| b.get().title.clone()).collect::<Vec<_>>();
    let ebooks = db.query::<Book>().filter(Book::FORMAT.eq(Format::Ebook)).all()?;
    println!("e-books: {:?}", names(ebooks));
    let classics = db.query::<Book>().filter(Book::TAGS.any("classic")).order_by(Book::TITLE).all()?;
    println!("classics: {:?}", names(classics));
    let from_ace = db.query::<Book>().filter(Book::EDITION.contains(json!({"publisher": "Ace"}))).order_by(Book::TITLE);
    println!("published by Ace: {:?}", names(from_ace.all()?));
    let sixties =
        db.query::<Book>().filter(Book::EDITION.field("year").number().lt(1970)).order_by(Book::TITLE).all()?;
    println!("before 1970: {:?}", names(sixties));
    let dune = db.get::<Book>(Isbn("978-0441172719".to_owned()))?.expect("Dune");
    let author = dune.author(&mut db)?;
    let category = dune.category(&mut db)?.expect("a category");
    let parent = category.parent(&mut db)?.expect("a parent");
    println!("{} by {} in {} > {}", dune.get().title, author.get().name, parent.get().name, category.get().name);

    // A new edition: the version counts the change.
    dune.get_mut().edition.pages = 896;
    dune.get_mut().tags.push("ecology".to_owned());
    db.commit()?;
    println!("Dune is at version {} with tags {:?}", dune.get().version, dune.get().tags);

    // The database and the hooks refuse what the models forbid; nothing is written.
    db.add(Author::new("   "));
    println!("a nameless author: {:?}", db.commit().expect_err("refused").kind());
    db.rollback()?;
    db.add(Review { book: BelongsTo::to_obj(&dune), ..Review::new(9, "Off the scale.") });
    println!("nine stars: {:?}", db.commit().expect_err("refused").kind());
    db.rollback()?;
    let reviews = engine.session().query::<Review>().count()?;
    println!("reviews: {reviews}");
    Ok(())
}
