//! DDL text, create_all/drop_all ordering, and the seed schema against the reference.

use orm_core::dialect::{POSTGRES, SQLITE};
use orm_core::{ErrorKind, QueryBuilder};
use orm_tests::{on_all, pg, test_case};

use crate::models::{Account, Course, Everything, Membership, Program, User};

test_case! {
    fn seed_ddl_text() {
        assert_eq!(
            Program::table().create_sql(&POSTGRES),
            [
                "CREATE TABLE programs (\n\tid SERIAL NOT NULL,\n\tname VARCHAR NOT NULL,\n\tyears_of_study INTEGER NOT NULL,\n\tPRIMARY KEY (id)\n)"
            ]
        );
        assert_eq!(
            Course::table().create_sql(&POSTGRES),
            [
                "CREATE TABLE courses (\n\tid SERIAL NOT NULL,\n\ttitle VARCHAR NOT NULL,\n\tcode VARCHAR NOT NULL,\n\tprogram_id INTEGER NOT NULL,\n\tPRIMARY KEY (id),\n\tFOREIGN KEY(program_id) REFERENCES programs (id) ON DELETE CASCADE\n)"
            ]
        );
        assert_eq!(Course::table().drop_sql(&POSTGRES), "DROP TABLE courses");
    }
}

test_case! {
    fn constraints_indexes_and_defaults_in_ddl_text() {
        let sql = Account::table().create_sql(&POSTGRES);
        assert_eq!(
            sql,
            [
                "CREATE TABLE accounts (\n\tid BIGSERIAL NOT NULL,\n\temail VARCHAR(80) NOT NULL,\n\towner VARCHAR NOT NULL,\n\tlabel VARCHAR NOT NULL,\n\tbalance BIGINT NOT NULL,\n\tcreated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,\n\tPRIMARY KEY (id),\n\tUNIQUE (email),\n\tUNIQUE (owner, label)\n)",
                "CREATE INDEX ix_accounts_owner ON accounts (owner)",
                "CREATE INDEX ix_accounts_owner_created_at ON accounts (owner, created_at)",
            ]
        );
        assert_eq!(
            Membership::table().create_sql(&POSTGRES),
            [
                "CREATE TABLE memberships (\n\tgroup_id INTEGER NOT NULL,\n\tmember VARCHAR NOT NULL,\n\trole VARCHAR,\n\tPRIMARY KEY (group_id, member)\n)"
            ]
        );
        assert_eq!(
            User::table().create_sql(&POSTGRES),
            [
                "CREATE TABLE \"user\" (\n\tid SERIAL NOT NULL,\n\t\"order\" INTEGER NOT NULL,\n\t\"select\" VARCHAR NOT NULL,\n\ttype VARCHAR NOT NULL,\n\t\"MixedCase\" VARCHAR,\n\t\"naïve café\" VARCHAR,\n\t\"quote\"\"d\" VARCHAR,\n\tPRIMARY KEY (id)\n)"
            ]
        );
    }
}

test_case! {
    /// PostgreSQL only: the reference is a pg_dump.
    fn seed_schema_matches_the_sqlalchemy_reference_after_pg_dump() needs(postgres, pg_dump) {
        let db = pg!("ddl_reference");
        db.engine.create_all(&[Program::table(), Course::table()]).unwrap();
        let Some(dump) = db.dump_schema() else { return };
        let reference = include_str!("../fixtures/reference-schema.sql");
        assert_eq!(dump, reference);
    }
}

test_case! {
    fn sqlite_ddl_text() {
        assert_eq!(
            Course::table().create_sql(&SQLITE),
            [
                "CREATE TABLE courses (\n\tid INTEGER NOT NULL,\n\ttitle VARCHAR NOT NULL,\n\tcode VARCHAR NOT NULL,\n\tprogram_id INTEGER NOT NULL,\n\tPRIMARY KEY (id),\n\tFOREIGN KEY(program_id) REFERENCES programs (id) ON DELETE CASCADE\n)"
            ]
        );
        let everything = &Everything::table().create_sql(&SQLITE)[0];
        for column in [
            "\tid INTEGER NOT NULL",
            "\tflag BOOLEAN NOT NULL",
            "\tbytes BLOB NOT NULL",
            "\tstamp_tz DATETIME NOT NULL",
            "\tuuid CHAR(36) NOT NULL",
            "\tjson TEXT NOT NULL",
            "\tdecimal TEXT NOT NULL",
            "\tmaybe_double DOUBLE,",
        ] {
            assert!(everything.contains(column), "{column} in {everything}");
        }
        assert!(Account::table().create_sql(&SQLITE)[0].contains("created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL"));
    }
}

on_all! {
    fn create_all_orders_by_foreign_keys_and_skips_existing_tables(db) {
        let (r, first) = db
            .statements
            .during(|| db.engine.create_all(&[Course::table(), Program::table()]));
        r.unwrap();
        let creates: Vec<&String> = first.iter().filter(|s| s.starts_with("CREATE")).collect();
        assert!(creates[0].starts_with("CREATE TABLE programs"), "{first:?}");
        assert!(creates[1].starts_with("CREATE TABLE courses"), "{first:?}");
        if db.is_mysql() {
            // MySQL commits each DDL statement itself: no transaction around them (a
            // failure drops what the call made; see create_all_is_one_transaction).
            assert!(first.iter().all(|s| s != "BEGIN" && s != "COMMIT"), "{first:?}");
        } else {
            assert_eq!(first.first().map(String::as_str), Some("BEGIN"));
            assert_eq!(first.last().map(String::as_str), Some("COMMIT"));
        }

        let (r, second) = db
            .statements
            .during(|| db.engine.create_all(&[Program::table(), Course::table()]));
        r.unwrap();
        assert!(
            second.iter().all(|s| !s.starts_with("CREATE")),
            "{second:?}"
        );
    }
}

on_all! {
    fn create_all_is_one_transaction(db) {
        db.engine.execute("CREATE TABLE other (x INTEGER)", &[]).unwrap();
        let err = if db.is_mysql() {
            // MySQL's DDL is not transactional: create_all drops what it made when a
            // statement fails. Here the last one: `courses` references a `programs` table
            // made here without the column its foreign key needs (index names, the other
            // backends' way to fail, are per table on MySQL).
            db.engine.execute("CREATE TABLE programs (x INTEGER)", &[]).unwrap();
            let err = db.engine.create_all(&[Program::table(), Account::table(), Course::table()]).unwrap_err();
            assert!(err.to_string().contains("it dropped again what it had created: accounts"), "{err}");
            assert_eq!(db.tables(), ["other", "programs"], "nothing half-created");
            return;
        } else {
            // The last statement (an index) fails: its name is taken.
            db.engine.execute("CREATE INDEX ix_accounts_owner ON other (x)", &[]).unwrap();
            db.engine.create_all(&[Program::table(), Account::table()]).unwrap_err()
        };
        assert_eq!(err.kind(), ErrorKind::Database, "{err}");
        assert_eq!(db.tables(), ["other"], "nothing half-created");
    }
}

on_all! {
    fn drop_all_drops_dependents_first_and_skips_missing(db) {
        db.engine
            .create_all(&[Program::table(), Course::table()])
            .unwrap();
        let (r, sql) = db.statements.during(|| {
            db.engine
                .drop_all(&[Program::table(), Course::table(), Account::table()])
        });
        r.unwrap();
        let drops: Vec<&String> = sql.iter().filter(|s| s.starts_with("DROP")).collect();
        assert_eq!(drops, ["DROP TABLE courses", "DROP TABLE programs"]);
        assert!(db.tables().is_empty());
    }
}

mod cycle {
    use orm_core::prelude::*;

    #[derive(Model)]
    #[orm(table = "eggs")]
    pub struct Egg {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(foreign_key = "chickens.id")]
        pub chicken_id: i32,
    }

    #[derive(Model)]
    #[orm(table = "chickens")]
    pub struct Chicken {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(foreign_key = "eggs.id")]
        pub egg_id: i32,
    }

    #[derive(Model)]
    #[orm(table = "nodes")]
    pub struct Node {
        #[orm(primary_key)]
        pub id: i32,
        #[orm(foreign_key = "nodes.id", on_delete = "set null")]
        pub parent_id: Option<i32>,
    }
}

test_case! {
    fn foreign_key_cycles_are_a_clear_error_and_self_references_are_fine() {
        use cycle::{Chicken, Egg, Node};
        let err = orm_core::ddl::sort_tables(&[Egg::table(), Chicken::table(), Program::table()]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert!(err.to_string().contains("eggs -> chickens -> eggs"), "{err}");
        let order = orm_core::ddl::sort_tables(&[Node::table(), Course::table(), Program::table()]).unwrap();
        assert_eq!(order.iter().map(|t| t.name).collect::<Vec<_>>(), ["nodes", "programs", "courses"]);
        assert!(Node::table().create_sql(&POSTGRES)[0].contains("REFERENCES nodes (id) ON DELETE SET NULL"));
    }
}

on_all! {
    fn hostile_identifiers_through_ddl_crud_and_queries(db) {
        db.engine.create_all(&[User::table()]).unwrap();
        let columns = db.columns("user");
        assert_eq!(
            columns,
            [
                "id",
                "order",
                "select",
                "type",
                "MixedCase",
                "naïve café",
                "quote\"d"
            ]
        );
        let mut u = User {
            id: 0,
            order: 1,
            select: "'; DROP TABLE \"user\"; --".into(),
            r#type: "admin".into(),
            mixed_case: Some("Mixed".into()),
            unicode: Some("ünï".into()),
            quoted: Some("\"".into()),
        };
        u.insert(&db.engine).unwrap();
        u.order = 2;
        u.update(&db.engine).unwrap();
        let found = User::query()
            .filter(
                User::ORDER
                    .eq(2)
                    .and(User::TYPE.eq("admin"))
                    .and(User::QUOTED.eq("\"")),
            )
            .order_by(User::MIXED_CASE.desc())
            .one(&db.engine)
            .unwrap();
        assert_eq!(found, u);
        assert_eq!(
            User::query()
                .filter(User::UNICODE.like("ü%"))
                .count(&db.engine)
                .unwrap(),
            1
        );
        u.delete(&db.engine).unwrap();
        db.engine.drop_all(&[User::table()]).unwrap();
        assert!(db.tables().is_empty());
    }
}

on_all! {
    fn unique_constraints_and_indexes_exist_in_the_database(db) {
        db.engine
            .create_all(&[Account::table(), Membership::table()])
            .unwrap();
        let ours = ["ix_accounts_owner", "ix_accounts_owner_created_at"];
        let constraints = ["accounts_email_key", "accounts_owner_label_key", "accounts_pkey", "memberships_pkey"];
        let mut expected: Vec<&str> = ours.to_vec();
        if !db.is_sqlite() {
            expected.extend(constraints); // SQLite's own indexes behind constraints are internal
            expected.sort_unstable();
        }
        assert_eq!(db.indexes(), expected);
        // The constraints hold on both.
        Account::new("a@x", "ann", "main").insert(&db.engine).unwrap();
        let err = Account::new("b@x", "ann", "main").insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation);
        assert_eq!(err.constraint(), Some("accounts_owner_label_key"));
    }
}

on_all! {
    /// `unique(a, b, name = "..")` is a named constraint, `index(a, where = "..")` a partial
    /// index, `index(a, name = "..")` an index of that name; all created by `create_all`.
    fn named_uniques_and_partial_indexes(db) {
        use crate::models::ShelfSlot;
        if db.is_mysql() {
            // MySQL has no partial indexes: refused before any DDL.
            let err = db.engine.create_all(&[ShelfSlot::table()]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
            assert!(err.to_string().contains("index `ix_shelf_slots_shelf` on `shelf_slots` is partial"), "{err}");
            assert!(db.tables().is_empty());
            return;
        }
        let ddl = ShelfSlot::table().create_sql(db.engine.dialect()).join("\n");
        assert!(ddl.contains("CONSTRAINT uq_shelf_position UNIQUE (shelf, position)"), "{ddl}");
        assert!(ddl.contains("CREATE INDEX ix_shelf_slots_shelf ON shelf_slots (shelf) WHERE archived = false"), "{ddl}");
        assert!(ddl.contains("CREATE INDEX ix_slot_title ON shelf_slots (title)"), "{ddl}");
        db.engine.create_all(&[ShelfSlot::table()]).unwrap();
        let indexes = db.indexes();
        for name in ["ix_shelf_slots_shelf", "ix_slot_title"] {
            assert!(indexes.iter().any(|i| i == name), "{name} in {indexes:?}");
        }
        let definition = db.column(
            db.pick(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_shelf_slots_shelf'",
                "SELECT sql FROM sqlite_master WHERE name = 'ix_shelf_slots_shelf'",
            ),
            &[],
        );
        assert!(definition[0].contains("WHERE") && definition[0].contains("archived = false"), "{definition:?}");

        let slot = |position| ShelfSlot { shelf: 1, position, ..ShelfSlot::new(1, 1, "Dune", false) };
        slot(1).insert(&db.engine).unwrap();
        slot(2).insert(&db.engine).unwrap();
        let err = slot(1).insert(&db.engine).unwrap_err();
        assert_eq!(err.kind(), orm_core::ErrorKind::UniqueViolation, "{err}");
        if db.is_postgres() {
            assert_eq!(err.constraint(), Some("uq_shelf_position"), "{err}");
        }
    }
}
