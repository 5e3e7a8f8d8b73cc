//! Object graphs built before they are added: the many-to-one side set on new objects,
//! to new or session parents (SQLAlchemy's `Book(title=.., category=scifi)`), the library
//! case of issue 16.

use orm_core::ErrorKind;
use orm_core::prelude::*;
use orm_tests::on_all;

#[derive(Model, Debug, Clone)]
#[orm(table = "lib_categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(foreign_key = "lib_categories.id")]
    pub parent_id: Option<i32>,
    #[orm(belongs_to(Category, foreign_key = "parent_id"))]
    pub parent: BelongsTo<Category>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "lib_authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "lib_books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(foreign_key = "lib_authors.id")]
    pub author_id: i32,
    #[orm(foreign_key = "lib_categories.id")]
    pub category_id: Option<i32>,
    #[orm(belongs_to(Author, foreign_key = "author_id"))]
    pub author: BelongsTo<Author>,
    #[orm(belongs_to(Category, foreign_key = "category_id"))]
    pub category: BelongsTo<Category>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "lib_reviews")]
pub struct Review {
    #[orm(primary_key)]
    pub id: i32,
    pub stars: i32,
    #[orm(foreign_key = "lib_books.id", on_delete = "cascade")]
    pub book_id: i32,
    #[orm(belongs_to(Book, foreign_key = "book_id"))]
    pub book: BelongsTo<Book>,
}

fn tables() -> [&'static TableDef; 4] {
    [Category::table(), Author::table(), Book::table(), Review::table()]
}

on_all! {
    /// Parents set on new objects (new parents, and objects already added) are linked when
    /// the child is added, in any order the application builds them; one commit writes
    /// the whole graph parents first.
    fn parents_set_before_add(db) {
        db.engine.create_all(&tables()).unwrap();
        let mut s = db.engine.session();
        // A chain of new objects, deepest first: the review names a new book, which names
        // a new author and a new category under a new parent category.
        let review = s.add(Review {
            book: BelongsTo::to(Book {
                author: BelongsTo::to(Author::new("Frank Herbert")),
                category: BelongsTo::to(Category {
                    parent: BelongsTo::to(Category::new("Fiction")),
                    ..Category::new("Science fiction")
                }),
                ..Book::new("Dune")
            }),
            ..Review::new(5)
        });
        // Objects already in the session, named by handle.
        let dune = review.book(&mut s).unwrap();
        let scifi = dune.category(&mut s).unwrap().expect("a category");
        let le_guin = s.add(Author::new("Ursula K. Le Guin"));
        let dispossessed = s.add(Book {
            author: BelongsTo::to_obj(&le_guin),
            category: BelongsTo::to_obj(&scifi),
            ..Book::new("The Dispossessed")
        });
        s.add(Review { book: BelongsTo::to_obj(&dispossessed), ..Review::new(4) });
        s.commit().unwrap();

        let fiction = scifi.parent(&mut s).unwrap().expect("a parent");
        assert_eq!(fiction.get().name, "Fiction");
        assert_eq!(scifi.get().parent_id, Some(fiction.get().id));
        assert_eq!(dispossessed.get().author_id, le_guin.get().id);
        assert_eq!(dispossessed.get().category_id, Some(scifi.get().id));
        assert_eq!(review.get().book_id, dune.get().id);
        let rows = |sql: &str| db.column(sql, &[]);
        assert_eq!(
            rows(
                "SELECT b.title || ' by ' || a.name || ' in ' || c.name || ' < ' || p.name FROM lib_books b \
                 JOIN lib_authors a ON a.id = b.author_id JOIN lib_categories c ON c.id = b.category_id \
                 JOIN lib_categories p ON p.id = c.parent_id ORDER BY b.title"
            ),
            [
                "Dune by Frank Herbert in Science fiction < Fiction",
                "The Dispossessed by Ursula K. Le Guin in Science fiction < Fiction"
            ]
        );
        assert_eq!(db.count("lib_reviews"), 2);
        assert_eq!(db.count("lib_categories"), 2);
    }
}

on_all! {
    /// The generated setter on a new handle brings it into the session under its parent.
    fn setting_the_parent_of_a_new_handle_adds_it(db) {
        // A pending parent keeps models plain data: they still move between threads.
        fn send<T: Send + Sync>() {}
        send::<Book>();
        send::<Category>();
        db.engine.create_all(&tables()).unwrap();
        let mut s = db.engine.session();
        let author = s.add(Author::new("Octavia E. Butler"));
        let kindred = Obj::new(Book::new("Kindred"));
        kindred.set_author(&mut s, &author).unwrap();
        assert_eq!(kindred.state(), ObjectState::Pending);
        s.commit().unwrap();
        assert_eq!(kindred.get().author_id, author.get().id);
    }
}

on_all! {
    /// A parent of another session is refused when the child is added: the commit fails
    /// naming it, nothing is written, and after a rollback the session works again.
    fn a_parent_of_another_session_is_refused(db) {
        db.engine.create_all(&tables()).unwrap();
        let mut other = db.engine.session();
        let stranger = other.add(Author::new("Stranger"));
        let mut s = db.engine.session();
        s.add(Book { author: BelongsTo::to_obj(&stranger), ..Book::new("Orphan") });
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
        assert!(err.to_string().contains("not an object of this session"), "{err}");
        assert_eq!(s.commit().unwrap_err().kind(), ErrorKind::RollbackRequired);
        s.rollback().unwrap();
        assert_eq!(db.count("lib_books"), 0);
        let author = s.add(Author::new("Known"));
        s.add(Book { author: BelongsTo::to_obj(&author), ..Book::new("Adopted") });
        s.commit().unwrap();
        assert_eq!(db.count("lib_books"), 1);
        drop(other);
    }
}

on_all! {
    /// A category tree walked with a recursive CTE, down and up, through either side of
    /// the relationship; in a session the rows come back as its objects.
    fn a_tree_walked_with_a_recursive_query(db) {
        db.engine.create_all(&tables()).unwrap();
        let mut s = db.engine.session();
        let fiction = s.add(Category::new("Fiction"));
        let scifi = s.add(Category { parent: BelongsTo::to_obj(&fiction), ..Category::new("Science fiction") });
        s.add(Category { parent: BelongsTo::to_obj(&scifi), ..Category::new("Space opera") });
        s.add(Category { parent: BelongsTo::to_obj(&scifi), ..Category::new("Cyberpunk") });
        s.add(Category { parent: BelongsTo::to_obj(&fiction), ..Category::new("Crime") });
        s.add(Category::new("Cooking"));
        s.commit().unwrap();
        let names = |q: Query<Category>| -> Vec<String> {
            q.order_by(Category::NAME).all(&db.engine).unwrap().into_iter().map(|c| c.name).collect()
        };
        let below_scifi = Category::query().filter(Category::NAME.eq("Science fiction")).descendants(Category::PARENT);
        assert_eq!(names(below_scifi), ["Cyberpunk", "Science fiction", "Space opera"]);
        let above = Category::query().filter(Category::NAME.eq("Space opera")).ancestors(Category::PARENT);
        assert_eq!(names(above), ["Fiction", "Science fiction", "Space opera"]);
        let all_fiction = Category::query().filter(Category::PARENT_ID.is_null()).filter(Category::NAME.ne("Cooking"));
        assert_eq!(names(all_fiction.descendants(Category::PARENT)).len(), 5);
        let in_session = s.query::<Category>().filter(Category::NAME.eq("Fiction")).descendants(Category::PARENT).all().unwrap();
        assert_eq!(in_session.len(), 5);
        assert!(in_session.contains(&scifi), "the session's own handles");
        let err = Book::query().descendants(Book::CATEGORY).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
    }
}

on_all! {
    /// Two copies of one table: categories with their parent's name (a self-join under an
    /// alias).
    fn a_table_joined_again_under_an_alias(db) {
        db.engine.create_all(&tables()).unwrap();
        let mut s = db.engine.session();
        let fiction = s.add(Category::new("Fiction"));
        s.add(Category { parent: BelongsTo::to_obj(&fiction), ..Category::new("Science fiction") });
        s.add(Category { parent: BelongsTo::to_obj(&fiction), ..Category::new("Crime") });
        s.add(Category::new("Cooking"));
        s.commit().unwrap();
        let pairs: Vec<(String, String)> = Category::query()
            .join_as(Category::PARENT, "up")
            .select((Category::NAME, Category::NAME.of("up")))
            .order_by(Category::NAME)
            .all(&db.engine)
            .unwrap();
        assert_eq!(
            pairs,
            [("Crime".to_owned(), "Fiction".to_owned()), ("Science fiction".to_owned(), "Fiction".to_owned())]
        );
        let under_fiction =
            Category::query().join_as(Category::PARENT, "up").filter(Category::NAME.of("up").eq("Fiction")).count(&db.engine);
        assert_eq!(under_fiction.unwrap(), 2);
        // Without an alias the second copy is refused, saying what to do.
        let err = Category::query().join(Category::PARENT).all(&db.engine).unwrap_err();
        assert!(err.to_string().contains("join_as"), "{err}");
        let err = Category::query().filter(Category::NAME.of("nowhere").eq("x")).all(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
    }
}
