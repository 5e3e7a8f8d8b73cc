//! Generated CRUD methods on an engine or a held connection.

use orm_core::ErrorKind;
use orm_tests::on_all;

use crate::models::{Account, Course, Membership, Program, Setting};

on_all! {
    fn insert_returns_the_generated_key_and_sets_it(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut cs = Program::new("Bachelors in CS", 3);
        let mut bs = Program::new("Bachelors in Business", 3);
        assert_eq!(cs.insert(&db.engine).unwrap(), 1);
        assert_eq!(bs.insert(&db.engine).unwrap(), 2);
        assert_eq!((cs.id, bs.id), (1, 2));
        assert_eq!(Program::get(&db.engine, 2).unwrap(), Some(bs));
        assert_eq!(Program::get(&db.engine, 3).unwrap(), None);
    }
}

on_all! {
    fn update_writes_every_column_and_delete_removes_the_row(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut conn = db.engine.connection().unwrap();
        let mut p = Program::new("Bachelors in CS", 3);
        p.insert(&mut conn).unwrap();
        p.name = "Masters in CS".into();
        p.years_of_study = 2;
        p.update(&mut conn).unwrap();
        assert_eq!(Program::get(&mut conn, p.id).unwrap().unwrap(), p);
        p.delete(&mut conn).unwrap();
        assert_eq!(Program::get(&mut conn, p.id).unwrap(), None);
        assert_eq!(p.delete(&mut conn).unwrap_err().kind(), ErrorKind::NotFound);
        let err = p.update(&mut conn).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("programs.id = 1"), "{err}");
    }
}

on_all! {
    fn defaults_server_defaults_and_skipped_fields(db) {
        db.engine.create_all(&[Account::table()]).unwrap();
        let mut a = Account::new("ann@example.com", "ann", "main");
        assert_eq!(a.balance, 100);
        a.scratch.push("not stored".into());
        let before = chrono::Utc::now() - chrono::Duration::seconds(60);
        a.insert(&db.engine).unwrap();
        let created_at = a.created_at.expect("server default read back");
        assert!(created_at > before, "server default read back: {created_at}");
        let back = Account::get(&db.engine, a.id).unwrap().unwrap();
        assert_eq!(back.created_at, a.created_at);
        assert_eq!(back.balance, 100);
        assert!(back.scratch.is_empty());
    }
}

on_all! {
    fn composite_and_text_primary_keys(db) {
        db.engine
            .create_all(&[Membership::table(), Setting::table()])
            .unwrap();
        let mut m = Membership {
            group_id: 7,
            member: "ann".into(),
            role: None,
        };
        assert_eq!(m.insert(&db.engine).unwrap(), (7, "ann".to_owned()));
        Membership {
            group_id: 7,
            member: "bob".into(),
            role: Some("admin".into()),
        }
        .insert(&db.engine)
        .unwrap();
        m.role = Some("owner".into());
        m.update(&db.engine).unwrap();
        let back = Membership::get(&db.engine, (7, "ann".into()))
            .unwrap()
            .unwrap();
        assert_eq!(back.role.as_deref(), Some("owner"));
        orm_core::crud::delete_by_key::<Membership>(&db.engine, (7, "bob".into())).unwrap();
        assert_eq!(Membership::query().count(&db.engine).unwrap(), 1);

        let mut s = Setting {
            key: "theme".into(),
            value: "dark".into(),
        };
        assert_eq!(s.insert(&db.engine).unwrap(), "theme");
        let err = s.insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation);
        assert_eq!(err.constraint(), Some("settings_pkey"));
    }
}

on_all! {
    fn crud_in_a_transaction_rolls_back(db) {
        db.engine
            .create_all(&[Program::table(), Course::table()])
            .unwrap();
        let mut conn = db.engine.connection().unwrap();
        let result: orm_core::Result<()> = conn.transaction(|conn| {
            let mut p = Program::new("Bachelors in CS", 3);
            p.insert(&mut *conn)?;
            Course {
                program_id: p.id,
                ..Course::new("Data SCIENCE", "CS 103")
            }
            .insert(&mut *conn)?;
            Course {
                program_id: 999,
                ..Course::new("orphan", "XX 000")
            }
            .insert(&mut *conn)?; // FK violation
            Ok(())
        });
        assert_eq!(result.unwrap_err().kind(), ErrorKind::ForeignKeyViolation);
        assert!(!conn.in_transaction());
        assert_eq!(db.count("programs"), 0);
        assert_eq!(db.count("courses"), 0);
        // The connection is usable afterwards.
        Program::new("Bachelors in Business", 3)
            .insert(&mut conn)
            .unwrap();
        assert_eq!(db.count("programs"), 1);
    }
}

on_all! {
    fn many_inserts_through_one_connection_reuse_one_prepared_statement(db) {
        db.engine.create_all(&[Program::table()]).unwrap();
        let mut conn = db.engine.connection().unwrap();
        db.statements.clear();
        for i in 0..20 {
            Program::new(format!("p{i}"), i).insert(&mut conn).unwrap();
        }
        let sql = db.statements.sql();
        assert_eq!(sql.len(), 20);
        let insert = "INSERT INTO programs (name, years_of_study) VALUES ($1, $2) RETURNING programs.id";
        assert!(sql.iter().all(|s| *s == insert), "{sql:?}");
        if !db.is_postgres() {
            return; // rusqlite's statement cache is not observable from SQL
        }
        let prepared: i64 = conn
            .query_raw(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO programs%'",
                &[],
                |r| r.get(0),
            )
            .unwrap()[0];
        assert_eq!(prepared, 1);
    }
}

on_all! {
    /// A value set on a column with a server default is sent (the data-loss bug: `false`
    /// set on a new object came back as the server's `true`); `None` leaves it to the
    /// database and reads back what it chose.
    fn a_value_set_on_a_server_default_column_is_stored(db) {
        use crate::models::LibraryBook;
        db.engine.create_all(&[LibraryBook::table()]).unwrap();
        let mut unset = LibraryBook::new("Dune");
        assert_eq!((unset.in_print, unset.copies), (None, None));
        unset.insert(&db.engine).unwrap();
        assert_eq!((unset.in_print, unset.copies), (Some(true), Some(1)), "read back");
        let mut set = LibraryBook::new("Solaris");
        set.in_print = Some(false);
        set.insert(&db.engine).unwrap();
        assert_eq!((set.in_print, set.copies), (Some(false), Some(1)));
        let stored = LibraryBook::get(&db.engine, set.id).unwrap().unwrap();
        assert_eq!((stored.in_print, stored.copies), (Some(false), Some(1)), "the value set is stored");
        let sql = db.statements.sql();
        assert!(sql.iter().any(|s| s.contains("(title, in_print) VALUES")), "{sql:?}");
    }
}
