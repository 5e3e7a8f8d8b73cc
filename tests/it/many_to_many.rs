//! Many-to-many relationships through an association table (`secondary`), declared on
//! one side with a backref or on both sides; and the association-object form.

use orm_core::dialect::{POSTGRES, SQLITE};
use orm_core::prelude::*;
use orm_core::{ErrorKind, NPlusOne};
use orm_tests::{TestDb, on_all, test_case};

use crate::models::*;

fn blog(db: &TestDb) {
    db.engine.create_all(&[Article::table(), Label::table()]).unwrap();
}

fn names<T: Model>(objs: &[Obj<T>], name: impl Fn(&T) -> String) -> Vec<String> {
    let mut names: Vec<String> = objs.iter().map(|o| name(&o.get())).collect();
    names.sort();
    names
}

/// Articles a0..a{n-1}; article i has labels l0..l{i % 3 - 1} (shared between articles).
fn articles(db: &TestDb, n: usize) {
    blog(db);
    let mut s = db.engine.session();
    let labels: Vec<Obj<Label>> = (0..3).map(|i| s.add(Label::new(format!("l{i}")))).collect();
    for a in 0..n {
        let article = s.add(Article::new(format!("a{a}")));
        for label in labels.iter().take(a % 3) {
            article.labels(&mut s).unwrap().push_obj(label).unwrap();
        }
    }
    s.commit().unwrap();
}

test_case! {
    fn the_association_table_is_generated_with_a_composite_key_and_cascading_foreign_keys() {
        let assoc = Article::table().relationship("labels").unwrap().secondary.unwrap();
        assert_eq!(
            assoc.create_sql(&POSTGRES),
            [
                "CREATE TABLE article_labels (\n\tarticle_id INTEGER NOT NULL,\n\tlabel_id INTEGER NOT NULL,\n\t\
                 PRIMARY KEY (article_id, label_id),\n\t\
                 FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE,\n\t\
                 FOREIGN KEY(label_id) REFERENCES labels (id) ON DELETE CASCADE\n)",
                "CREATE INDEX ix_article_labels_label_id ON article_labels (label_id)",
            ]
        );
        // Declared on both sides: the same table, the columns in the same order.
        let from_students = Student::table().relationship("clubs").unwrap().secondary.unwrap();
        let from_clubs = Club::table().relationship("members").unwrap().secondary.unwrap();
        assert_eq!(from_students.create_sql(&SQLITE), from_clubs.create_sql(&SQLITE));
        assert_eq!(from_students.columns[0].name, "club_id");
        assert_eq!(from_students.columns[1].sql_type, orm_core::SqlType::BigInt, "students.id is an i64");
    }
}

on_all! {
    fn create_all_creates_the_association_table_once(db) {
        db.engine.create_all(&[Student::table(), Club::table(), Article::table(), Label::table()]).unwrap();
        assert_eq!(db.tables(), ["article_labels", "articles", "club_members", "clubs", "labels", "students"]);
        assert_eq!(db.columns("club_members"), ["club_id", "student_id"]);
        db.engine.drop_all(&[Student::table(), Club::table(), Article::table(), Label::table()]).unwrap();
        assert!(db.tables().is_empty());
    }

    fn pushed_objects_are_inserted_with_their_association_rows(db) {
        blog(db);
        let mut s = db.engine.session();
        let mut article = Article::new("Hello");
        article.labels.push(Label::new("rust"));
        article.labels.push(Label::new("orm"));
        let article = s.add(article);
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "BEGIN",
                "INSERT INTO articles (title) VALUES ($1) RETURNING articles.id",
                db.pick(
                    "WITH inserted AS (INSERT INTO labels (name) SELECT p0 FROM unnest($1::VARCHAR[]) \
                     WITH ORDINALITY AS imp(p0, ord) ORDER BY ord RETURNING labels.id) SELECT array_agg(id) FROM inserted",
                    "INSERT INTO labels (name) VALUES ($1), ($2) RETURNING labels.id",
                ),
                db.pick(
                    "INSERT INTO article_labels (article_id, label_id) SELECT * FROM unnest($1::INTEGER[], $2::INTEGER[])",
                    "INSERT INTO article_labels (article_id, label_id) VALUES ($1, $2), ($3, $4)",
                ),
                "COMMIT",
            ]
        );
        // Both sides, in a new session.
        let mut s = db.engine.session();
        let article = s.get::<Article>(article.get().id).unwrap().unwrap();
        let (labels, sql) = db.statements.during(|| article.labels(&mut s).unwrap().to_vec());
        assert_eq!(
            sql,
            ["SELECT labels.id, labels.name, article_labels.article_id FROM labels \
              JOIN article_labels ON article_labels.label_id = labels.id WHERE article_labels.article_id = $1"]
        );
        assert_eq!(names(&labels, |l| l.name.clone()), ["orm", "rust"]);
        let back = labels[0].articles(&mut s).unwrap().to_vec();
        assert_eq!(back.len(), 1);
        assert!(back[0] == article, "one object per row");
    }

    fn both_sides_stay_in_step_in_memory_and_in_the_database(db) {
        articles(db, 3);
        let mut s = db.engine.session();
        let a1 = s.query::<Article>().filter(Article::TITLE.eq("a1")).one().unwrap();
        let l0 = s.query::<Label>().filter(Label::NAME.eq("l0")).one().unwrap();
        let l2 = s.query::<Label>().filter(Label::NAME.eq("l2")).one().unwrap();
        assert_eq!(l2.articles(&mut s).unwrap().len(), 0);
        assert_eq!(l0.articles(&mut s).unwrap().len(), 2, "a1 and a2");
        // Add from one side: the other side's loaded collection follows.
        a1.labels(&mut s).unwrap().push_obj(&l2).unwrap();
        assert!(l2.articles(&mut s).unwrap().contains(&a1));
        // Remove from the other side: the first side follows.
        assert!(l0.articles(&mut s).unwrap().remove(&a1).unwrap());
        assert!(!a1.labels(&mut s).unwrap().contains(&l0));
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "BEGIN",
                "DELETE FROM article_labels WHERE article_labels.article_id = $1 AND article_labels.label_id = $2",
                db.pick(
                    "INSERT INTO article_labels (article_id, label_id) SELECT * FROM unnest($1::INTEGER[], $2::INTEGER[])",
                    "INSERT INTO article_labels (article_id, label_id) VALUES ($1, $2)",
                ),
                "COMMIT",
            ]
        );
        let mut s = db.engine.session();
        let a1 = s.get::<Article>(a1.get().id).unwrap().unwrap();
        assert_eq!(names(&a1.labels(&mut s).unwrap().to_vec(), |l| l.name.clone()), ["l2"]);
        // Removing and adding back the same pair in memory writes nothing.
        let l2 = a1.labels(&mut s).unwrap().get(0).unwrap();
        a1.labels(&mut s).unwrap().remove(&l2).unwrap();
        a1.labels(&mut s).unwrap().push_obj(&l2).unwrap();
        assert!(!s.is_dirty());
    }

    fn deleting_either_side_deletes_its_association_rows(db) {
        articles(db, 3);
        assert_eq!(db.count("article_labels"), 3);
        let mut s = db.engine.session();
        let a2 = s.query::<Article>().filter(Article::TITLE.eq("a2")).one().unwrap();
        let labels = a2.labels(&mut s).unwrap().to_vec();
        let l0 = labels.iter().find(|l| l.get().name == "l0").unwrap().clone();
        s.delete(&a2).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["DELETE FROM articles WHERE articles.id = $1"], "the pairs go by ON DELETE CASCADE");
        assert_eq!(db.count("article_labels"), 1);
        assert_eq!(db.count("labels"), 3, "labels stay");
        // The label's loaded collection forgets the deleted article.
        assert_eq!(l0.articles(&mut s).unwrap().len(), 1);
        s.delete(&l0).unwrap();
        s.commit().unwrap();
        assert_eq!(db.count("article_labels"), 0);
    }

    fn selectin_loads_every_collection_in_one_statement_both_ways(db) {
        articles(db, 30);
        let mut s = db.engine.session();
        let (all, sql) = db.statements.during(|| {
            s.query::<Article>().order_by(Article::ID).options(selectinload(Article::LABELS)).all().unwrap()
        });
        assert_eq!(sql.len(), 2, "{sql:#?}");
        let expected = "SELECT labels.id, labels.name, article_labels.article_id FROM labels \
             JOIN article_labels ON article_labels.label_id = labels.id WHERE article_labels.article_id";
        assert_eq!(&sql[1][..expected.len()], expected);
        assert!(sql[1].ends_with(db.pick(" = ANY($1)", ", $30)")), "{}", sql[1]);
        let (counts, more) = db.statements.during(|| {
            all.iter().map(|a| a.labels(&mut s).unwrap().len()).collect::<Vec<_>>()
        });
        assert!(more.is_empty(), "{more:?}");
        assert_eq!(counts, (0..30).map(|a| a % 3).collect::<Vec<_>>());
        // The other direction, and chained back: labels -> articles -> labels.
        let mut s = db.engine.session();
        let (labels, sql) = db.statements.during(|| {
            s.query::<Label>()
                .order_by(Label::NAME)
                .options(selectinload(Label::ARTICLES).then(selectinload(Article::LABELS)))
                .all()
                .unwrap()
        });
        assert_eq!(sql.len(), 3, "{sql:#?}");
        let (counts, more) = db.statements.during(|| {
            labels.iter().map(|l| l.articles(&mut s).unwrap().len()).collect::<Vec<_>>()
        });
        assert!(more.is_empty(), "{more:?}");
        assert_eq!(counts, [20, 10, 0]);
        // joinedload on a many-to-many loads with one extra statement as well.
        let mut s = db.engine.session();
        let (_, sql) = db.statements.during(|| s.query::<Article>().options(joinedload(Article::LABELS)).all().unwrap());
        assert_eq!(sql.len(), 2, "{sql:#?}");
    }

    fn lazy_loads_of_a_many_to_many_are_seen_by_the_n_plus_one_detector(db, |b| b.detect_n_plus_one(NPlusOne::Error)) {
        articles(db, 4);
        let mut s = db.engine.session();
        let all = s.query::<Article>().all().unwrap();
        all[0].labels(&mut s).unwrap();
        let err = all[1].labels(&mut s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert!(err.to_string().contains("Article.labels"), "{err}");
    }

    fn any_and_exists_filter_through_the_association_table(db) {
        articles(db, 6);
        let titles = |q: Query<Article>| q.order_by(Article::TITLE).all(&db.engine).unwrap().into_iter().map(|a| a.title).collect::<Vec<_>>();
        assert_eq!(titles(Article::query().filter(Article::LABELS.any(Label::NAME.eq("l1")))), ["a2", "a5"]);
        assert_eq!(titles(Article::query().filter(Article::LABELS.not_exists())), ["a0", "a3"]);
        let used = Label::query().filter(Label::ARTICLES.exists()).order_by(Label::NAME).all(&db.engine).unwrap();
        assert_eq!(used.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["l0", "l1"]);
        db.statements.clear();
        Article::query().filter(Article::LABELS.any(Label::NAME.eq("l1"))).all(&db.engine).unwrap();
        assert_eq!(
            db.statements.sql(),
            ["SELECT articles.id, articles.title FROM articles WHERE EXISTS (SELECT 1 FROM article_labels \
              JOIN labels ON labels.id = article_labels.label_id WHERE article_labels.article_id = articles.id \
              AND (labels.name = $1))"]
        );
        // A join through the association table: articles by a label's name, once each.
        db.statements.clear();
        let joined = Article::query().join(Article::LABELS).filter(Label::NAME.like("l%")).order_by(Article::TITLE);
        let joined: Vec<String> = joined.all(&db.engine).unwrap().into_iter().map(|a| a.title).collect();
        assert_eq!(joined, ["a1", "a2", "a4", "a5"]);
        assert_eq!(
            db.statements.sql()[0].split(" WHERE ").next().unwrap().split(" FROM ").nth(1).unwrap(),
            "articles JOIN article_labels ON article_labels.article_id = articles.id \
             JOIN labels ON labels.id = article_labels.label_id"
        );
        let count = Label::query().join(Label::ARTICLES).filter(Article::TITLE.eq("a5")).count(&db.engine).unwrap();
        assert_eq!(count, 2);
        // Counts per owner, from the association table.
        let counts = Label::query().order_by(Label::NAME).with_counts(Label::ARTICLES, &db.engine).unwrap();
        assert_eq!(counts.iter().map(|(l, n)| (l.name.as_str(), *n)).collect::<Vec<_>>(), [("l0", 4), ("l1", 2), ("l2", 0)]);
    }

    fn declared_on_both_sides_is_one_relationship(db) {
        db.engine.create_all(&[Student::table(), Club::table()]).unwrap();
        let mut s = db.engine.session();
        let chess = s.add(Club::new("chess"));
        let mut ada = Student::new("ada");
        ada.clubs.push(Club::new("maths"));
        let ada = s.add(ada);
        ada.clubs(&mut s).unwrap().push_obj(&chess).unwrap();
        let bob = s.add(Student::new("bob"));
        chess.members(&mut s).unwrap().push_obj(&bob).unwrap();
        assert_eq!(chess.members(&mut s).unwrap().len(), 2, "ada from the other side, and bob");
        s.commit().unwrap();
        assert_eq!(db.count("club_members"), 3);
        // Students load their clubs with them (lazy = "selectin"); clubs load members lazily.
        let mut s = db.engine.session();
        let (students, sql) = db.statements.during(|| s.query::<Student>().order_by(Student::NAME).all().unwrap());
        assert_eq!(sql.len(), 2);
        assert_eq!(names(&students[0].clubs(&mut s).unwrap().to_vec(), |c| c.name.clone()), ["chess", "maths"]);
        let chess = s.query::<Club>().filter(Club::NAME.eq("chess")).one().unwrap();
        assert_eq!(names(&chess.members(&mut s).unwrap().to_vec(), |m| m.name.clone()), ["ada", "bob"]);
    }

    fn rollback_forgets_pairs_changed_in_memory(db) {
        articles(db, 2);
        let mut s = db.engine.session();
        let a0 = s.query::<Article>().filter(Article::TITLE.eq("a0")).one().unwrap();
        let l0 = s.query::<Label>().filter(Label::NAME.eq("l0")).one().unwrap();
        a0.labels(&mut s).unwrap().push_obj(&l0).unwrap();
        assert!(s.is_dirty());
        s.rollback().unwrap();
        assert!(!s.is_dirty());
        assert_eq!(a0.labels(&mut s).unwrap().len(), 0);
        // In a savepoint: only the pairs since it are lost.
        a0.labels(&mut s).unwrap().push_obj(&l0).unwrap();
        let l1 = s.query::<Label>().filter(Label::NAME.eq("l1")).one().unwrap();
        let r: orm_core::Result<()> = s.begin_nested(|s| {
            a0.labels(s)?.push_obj(&l1)?;
            Err(orm_core::Error::custom("changed my mind"))
        });
        assert!(r.is_err());
        assert!(!a0.labels(&mut s).unwrap().contains(&l1));
        s.commit().unwrap();
        assert_eq!(db.count("article_labels"), 2, "a1's l0, and a0's l0");
    }

    fn association_objects_carry_their_own_columns(db) {
        db.engine.create_all(&[Actor::table(), Film::table(), Role::table()]).unwrap();
        let mut s = db.engine.session();
        let film = s.add(Film::new("Casablanca"));
        let bogart = s.add(Actor::new("Bogart"));
        let bergman = s.add(Actor::new("Bergman"));
        for (actor, part) in [(&bogart, "Rick"), (&bergman, "Ilsa")] {
            let role = actor.roles(&mut s).unwrap().push(Role::new(part));
            role.set_film(&mut s, &film).unwrap();
        }
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(
            sql,
            [
                "BEGIN",
                "INSERT INTO films (title) VALUES ($1) RETURNING films.id",
                db.pick(
                    "WITH inserted AS (INSERT INTO actors (name) SELECT p0 FROM unnest($1::VARCHAR[]) \
                     WITH ORDINALITY AS imp(p0, ord) ORDER BY ord RETURNING actors.id) SELECT array_agg(id) FROM inserted",
                    "INSERT INTO actors (name) VALUES ($1), ($2) RETURNING actors.id",
                ),
                db.pick(
                    "INSERT INTO roles (actor_id, film_id, part) SELECT p0, p1, p2 FROM unnest($1::INTEGER[], \
                     $2::INTEGER[], $3::VARCHAR[]) WITH ORDINALITY AS imp(p0, p1, p2, ord) ORDER BY ord",
                    "INSERT INTO roles (actor_id, film_id, part) VALUES ($1, $2, $3), ($4, $5, $6)",
                ),
                "COMMIT",
            ]
        );
        // Through the association objects, with their column, eagerly in two levels.
        let mut s = db.engine.session();
        let films = s
            .query::<Film>()
            .options(selectinload(Film::CAST))
            .all()
            .unwrap();
        let cast = films[0].cast(&mut s).unwrap().to_vec();
        let mut credits: Vec<String> = cast
            .iter()
            .map(|role| format!("{} as {}", role.actor(&mut s).unwrap().get().name, role.get().part))
            .collect();
        credits.sort();
        assert_eq!(credits, ["Bergman as Ilsa", "Bogart as Rick"]);
        // Removing an association object deletes its row (delete-orphan), by its composite key.
        let rick = cast.iter().find(|r| r.get().part == "Rick").unwrap().clone();
        films[0].cast(&mut s).unwrap().remove(&rick).unwrap();
        let (r, sql) = db.statements.during(|| s.commit());
        r.unwrap();
        assert_eq!(sql, ["DELETE FROM roles WHERE roles.actor_id = $1 AND roles.film_id = $2"]);
        assert_eq!(db.count("roles"), 1);
    }
}

on_all! {
    /// `extend_objs` adds objects that exist already (`article.labels += [l0, l1]`).
    fn extend_objs_adds_existing_objects(db) {
        blog(db);
        let mut s = db.engine.session();
        let (l0, l1) = (s.add(Label::new("l0")), s.add(Label::new("l1")));
        let article = s.add(Article::new("a"));
        article.labels(&mut s).unwrap().extend_objs([&l0, &l1]).unwrap();
        s.commit().unwrap();
        let pairs = db.count("article_labels");
        assert_eq!(pairs, 2);
        let mut s = db.engine.session();
        let article = s.query::<Article>().one().unwrap();
        assert_eq!(names(&article.labels(&mut s).unwrap().to_vec(), |l| l.name.clone()), ["l0", "l1"]);
    }
}
