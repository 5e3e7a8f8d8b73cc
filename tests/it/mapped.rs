//! Types of the application's own in columns: newtypes and enums by `#[derive(ColumnType)]`,
//! and a hand-written `MappedType` (money in cents).

use orm_core::prelude::*;
use orm_core::{ErrorKind, MappedType, Value};
use orm_tests::on_all;

/// An author's key: a newtype over the BIGSERIAL.
#[derive(ColumnType, Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AuthorId(i64);

/// A book's key, chosen by the application.
#[derive(ColumnType, Debug, Clone, Default, PartialEq)]
pub struct Isbn(String);

/// Stored as a PostgreSQL ENUM type (text with a CHECK on SQLite).
#[derive(ColumnType, Debug, Clone, Copy, Default, PartialEq)]
#[orm(pg_enum = "book_format")]
pub enum Format {
    #[default]
    Hardcover,
    Paperback,
    #[orm(rename = "e-book")]
    Ebook,
}

/// Stored as text with a CHECK on both backends.
#[derive(ColumnType, Debug, Clone, Copy, Default, PartialEq)]
pub enum Availability {
    #[default]
    InStock,
    Backordered,
    OutOfPrint,
}

/// Money in cents; negative amounts are refused on the way in from the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Money {
    pub cents: i64,
}

impl MappedType for Money {
    type Stored = i64;
    const RUST_NAME: &'static str = "Money";

    fn to_stored(&self) -> i64 {
        self.cents
    }

    fn from_stored(cents: i64) -> Result<Money, String> {
        if cents < 0 {
            return Err(format!("{cents} cents is a negative price"));
        }
        Ok(Money { cents })
    }
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "mapped_authors")]
pub struct Author {
    /// A newtype key is numbered by the database when asked to.
    #[orm(primary_key, autoincrement = true)]
    pub id: AuthorId,
    pub name: String,
    #[orm(has_many(Book, foreign_key = "author_id", backref = "author"))]
    pub books: HasMany<Book>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "mapped_books")]
pub struct Book {
    #[orm(primary_key)]
    pub isbn: Isbn,
    pub title: String,
    pub format: Format,
    pub availability: Availability,
    pub price: Money,
    pub sale_price: Option<Money>,
    pub previous_format: Option<Format>,
    #[orm(foreign_key = "mapped_authors.id")]
    pub author_id: AuthorId,
}

fn isbn(s: &str) -> Isbn {
    Isbn(s.to_owned())
}

fn book(code: &str, title: &str, format: Format, cents: i64) -> Book {
    Book::new(isbn(code), title.to_owned(), format, Availability::InStock, Money { cents }, None, None)
}

on_all! {
    /// Newtype keys and foreign keys, both enum forms and a mapped type round-trip, filter,
    /// and take part in dirty checks and relationships.
    fn newtypes_enums_and_mapped_types_round_trip(db) {
        db.engine.create_all(&[Author::table(), Book::table()]).unwrap();
        let mut s = db.engine.session();
        let le_guin = s.add(Author::new("Ursula K. Le Guin"));
        let mut dispossessed = book("978-0061054884", "The Dispossessed", Format::Paperback, 1599);
        dispossessed.sale_price = Some(Money { cents: 999 });
        le_guin.books(&mut s).unwrap().push(dispossessed);
        le_guin.books(&mut s).unwrap().push(book("978-0441478125", "The Left Hand of Darkness", Format::Ebook, 899));
        s.commit().unwrap();
        let author_id = le_guin.get().id;
        assert!(author_id.0 > 0, "the key the database chose is read back into the newtype");

        let mut s = db.engine.session();
        let ebooks = s.query::<Book>().filter(Book::FORMAT.eq(Format::Ebook)).all().unwrap();
        assert_eq!(ebooks.len(), 1);
        assert_eq!(ebooks[0].get().title, "The Left Hand of Darkness");
        assert_eq!(ebooks[0].get().author_id, author_id);
        let by_key = s.get::<Book>(isbn("978-0061054884")).unwrap().expect("by newtype key");
        assert_eq!(by_key.get().sale_price, Some(Money { cents: 999 }));
        assert_eq!(by_key.get().previous_format, None);
        let cheap = s.query::<Book>().filter(Book::PRICE.lt(Money { cents: 1000 })).all().unwrap();
        assert_eq!(cheap.len(), 1);
        let owner = by_key.author(&mut s).unwrap();
        assert_eq!(owner.get().name, "Ursula K. Le Guin");

        // A changed enum is an UPDATE; an unchanged one is not.
        {
            let mut b = by_key.get_mut();
            b.previous_format = Some(b.format);
            b.format = Format::Hardcover;
            b.availability = Availability::OutOfPrint;
        }
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        assert_eq!(sql.iter().filter(|q| q.starts_with("UPDATE")).count(), 1, "{sql:?}");
        let stored = db.column(
            &db.sql("SELECT format || '/' || availability || '/' || previous_format FROM mapped_books WHERE isbn = $1"),
            &[Value::from("978-0061054884")],
        );
        assert_eq!(stored, ["hardcover/out_of_print/paperback"]);
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        assert!(sql.iter().all(|q| !q.starts_with("UPDATE")), "{sql:?}");

        let labels = db.column(&db.sql("SELECT format FROM mapped_books ORDER BY isbn"), &[]);
        assert_eq!(labels, ["hardcover", "e-book"]);
    }
}

on_all! {
    /// The enum forms in the schema: a PostgreSQL ENUM type created before the tables and
    /// dropped after them, text kept to the labels by a CHECK otherwise; a label outside the
    /// enum is refused by the database.
    fn enum_columns_in_the_schema(db) {
        let ddl = Book::table().create_sql(db.engine.dialect()).join("\n").replace('`', "");
        if db.is_postgres() {
            assert!(ddl.contains("format book_format NOT NULL"), "{ddl}");
        } else if db.is_mysql() {
            // MySQL's own ENUM type, inline, and the CHECK the other text forms have.
            let format = "format ENUM('hardcover', 'paperback', 'e-book') NOT NULL CHECK (format IN ('hardcover', 'paperback', 'e-book'))";
            assert!(ddl.contains(format), "{ddl}");
        } else {
            assert!(ddl.contains("format VARCHAR NOT NULL CHECK (format IN ('hardcover', 'paperback', 'e-book'))"), "{ddl}");
        }
        let availability = "NOT NULL CHECK (availability IN ('in_stock', 'backordered', 'out_of_print'))";
        let kind = db.pick3("VARCHAR", "VARCHAR", "ENUM('in_stock', 'backordered', 'out_of_print')");
        assert!(ddl.contains(&format!("availability {kind} {availability}")), "{ddl}");
        db.engine.create_all(&[Author::table(), Book::table()]).unwrap();
        // Created once: a second create_all finds the type and the tables.
        db.engine.create_all(&[Author::table(), Book::table()]).unwrap();
        let enum_types = || {
            db.column(
                "SELECT t.typname::text || ':' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE n.nspname = current_schema() GROUP BY t.typname",
                &[],
            )
        };
        if db.is_postgres() {
            assert_eq!(enum_types(), ["book_format:hardcover,paperback,e-book"]);
        }
        db.engine
            .execute(&db.sql("INSERT INTO mapped_authors (name) VALUES ('A')"), &[])
            .unwrap();
        for (format, availability) in [("audio", "in_stock"), ("hardcover", "lost")] {
            let err = db
                .engine
                .execute(
                    &db.sql(&format!(
                        "INSERT INTO mapped_books (isbn, title, format, availability, price, author_id) \
                         VALUES ('x', 't', '{format}', '{availability}', 1, 1)"
                    )),
                    &[],
                )
                .unwrap_err();
            // A label outside an enum type (PostgreSQL's for `format`, MySQL's for both
            // columns) is refused as a bad value before any CHECK.
            let outside_type = (db.is_postgres() && format == "audio") || db.is_mysql();
            let expected = if outside_type { ErrorKind::Database } else { ErrorKind::CheckViolation };
            assert_eq!(err.kind(), expected, "{err}");
        }
        db.engine.drop_all(&[Author::table(), Book::table()]).unwrap();
        if db.is_postgres() {
            assert!(enum_types().is_empty(), "drop_all drops the enum type with its tables");
        }
        assert!(db.tables().is_empty());
    }
}

on_all! {
    /// A stored value the mapped type refuses is a decode error naming the column and why.
    fn a_value_the_type_refuses_is_a_decode_error(db) {
        db.engine.create_all(&[Author::table(), Book::table()]).unwrap();
        db.engine.execute(&db.sql("INSERT INTO mapped_authors (name) VALUES ('A')"), &[]).unwrap();
        db.engine
            .execute(
                &db.sql(
                    "INSERT INTO mapped_books (isbn, title, format, availability, price, author_id) \
                     VALUES ('x', 't', 'hardcover', 'in_stock', -5, 1)",
                ),
                &[],
            )
            .unwrap();
        let err = db.engine.session().query::<Book>().all().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        let message = err.to_string();
        assert!(message.contains("mapped_books.price"), "{message}");
        assert!(message.contains("-5 cents is a negative price"), "{message}");
    }
}
