//! JSON document columns (`Json<T>` of any serde type, `serde_json::Value`): round trips,
//! dirty checks, and the filters into them (`->>` paths, `@>` containment) with the same
//! answers on both backends.

use std::collections::HashMap;

use orm_core::prelude::*;
use orm_core::{ErrorKind, Json, Value};
use orm_tests::on_all;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Serialize, Deserialize, Clone, Default, Debug, PartialEq)]
pub struct Specs {
    pub color: String,
    pub sizes: Vec<u32>,
    pub maker: Maker,
}

#[derive(Serialize, Deserialize, Clone, Default, Debug, PartialEq)]
pub struct Maker {
    pub name: String,
    pub country: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "shirts")]
pub struct Shirt {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub specs: Json<Specs>,
    pub notes: Option<Json<Vec<String>>>,
    pub raw: serde_json::Value,
}

/// A map with tuple keys, which JSON cannot hold.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "grids")]
pub struct Grid {
    #[orm(primary_key)]
    pub id: i32,
    pub cells: Json<HashMap<(i32, i32), i32>>,
}

fn shirt(name: &str, color: &str, sizes: &[u32], maker: &str, country: Option<&str>) -> Shirt {
    let specs = Specs {
        color: color.into(),
        sizes: sizes.to_vec(),
        maker: Maker { name: maker.into(), country: country.map(Into::into) },
    };
    Shirt::new(name, Json(specs), None, json!({"tags": [name]}))
}

fn stock(db: &orm_tests::TestDb) -> Session {
    db.engine.create_all(&[Shirt::table()]).unwrap();
    let mut s = db.engine.session();
    s.add(shirt("oxford", "white", &[38, 40, 42], "Acme", Some("PT")));
    s.add(shirt("polo", "teal", &[40], "Acme", None));
    s.add(shirt("tee", "teal", &[36, 38], "Basic Co", Some("VN")));
    s.commit().unwrap();
    s
}

fn none_of() -> Vec<String> {
    Vec::new()
}

fn names(s: &mut Session, filter: Expr) -> Vec<String> {
    let found = s.query::<Shirt>().filter(filter).order_by(Shirt::NAME.asc()).all().unwrap();
    found.iter().map(|o| o.get().name.clone()).collect()
}

on_all! {
    /// A document round-trips, and a change inside it is an UPDATE (an unchanged one is not).
    fn documents_round_trip_and_take_part_in_dirty_checks(db) {
        let mut s = stock(db);
        let polo = s.query::<Shirt>().filter(Shirt::NAME.eq("polo")).one().unwrap();
        assert_eq!(polo.get().specs.maker.name, "Acme");
        assert_eq!(polo.get().notes, None);
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        assert!(sql.iter().all(|q| !q.starts_with("UPDATE")), "{sql:?}");
        {
            let mut p = polo.get_mut();
            p.specs.sizes.push(44);
            p.notes = Some(Json(vec!["restocked".into()]));
        }
        let (_, sql) = db.statements.during(|| s.commit().unwrap());
        assert_eq!(sql.iter().filter(|q| q.starts_with("UPDATE")).count(), 1, "{sql:?}");
        let fresh = db.engine.session().get::<Shirt>(polo.get().id).unwrap().unwrap();
        assert_eq!(*fresh.get(), *polo.get());
        let stored_type = db.column(
            db.pick3(
                "SELECT jsonb_typeof(specs) FROM shirts WHERE name = 'polo'",
                "SELECT json_type(specs) FROM shirts WHERE name = 'polo'",
                "SELECT LOWER(JSON_TYPE(specs)) FROM shirts WHERE name = 'polo'",
            ),
            &[],
        );
        assert_eq!(stored_type, ["object"]);
    }
}

on_all! {
    /// Paths (`->>`) and containment (`@>`) give the same rows on both backends.
    fn document_filters_agree_on_both_backends(db) {
        let mut s = stock(db);
        assert_eq!(names(&mut s, Shirt::SPECS.field("color").eq("teal")), ["polo", "tee"]);
        assert_eq!(names(&mut s, Shirt::SPECS.field("color").ne("teal")), ["oxford"]);
        assert_eq!(names(&mut s, Shirt::SPECS.field("maker").field("name").eq("Acme")), ["oxford", "polo"]);
        assert_eq!(names(&mut s, Shirt::SPECS.field("maker").field("country").is_null()), ["polo"]);
        assert_eq!(names(&mut s, Shirt::SPECS.field("maker").field("country").is_not_null()), ["oxford", "tee"]);
        assert_eq!(names(&mut s, Shirt::SPECS.field("missing").is_null()).len(), 3);
        assert_eq!(names(&mut s, Shirt::SPECS.contains(json!({"sizes": [40]}))), ["oxford", "polo"]);
        assert_eq!(names(&mut s, Shirt::SPECS.contains(json!({"sizes": [38, 42]}))), ["oxford"]);
        assert_eq!(names(&mut s, Shirt::SPECS.contains(json!({"color": "teal", "maker": {"name": "Basic Co"}}))), ["tee"]);
        assert_eq!(names(&mut s, Shirt::SPECS.contains(json!({"sizes": 40}))), Vec::<String>::new());
        assert_eq!(names(&mut s, Shirt::SPECS.field("maker").contains(json!({"country": "PT"}))), ["oxford"]);
        assert_eq!(names(&mut s, !Shirt::SPECS.contains(json!({"color": "teal"}))), ["oxford"]);
        assert_eq!(names(&mut s, Shirt::RAW.contains(json!({"tags": ["tee"]}))), ["tee"]);
        assert_eq!(names(&mut s, Shirt::RAW.field("tags").contains(json!("polo"))), ["polo"]);
        // Numbers and booleans read as PostgreSQL spells them; numbers compare as numbers.
        db.engine
            .execute(
                &db.sql("UPDATE shirts SET raw = $1 WHERE name = 'tee'"),
                &[Value::Json(json!({"tags": ["tee"], "weight": 140, "cotton": true, "ratio": 0.5}))],
            )
            .unwrap();
        assert_eq!(names(&mut s, Shirt::RAW.field("weight").eq("140")), ["tee"]);
        assert_eq!(names(&mut s, Shirt::RAW.field("cotton").eq("true")), ["tee"]);
        assert_eq!(names(&mut s, Shirt::RAW.field("ratio").eq("0.5")), ["tee"]);
        assert_eq!(names(&mut s, Shirt::RAW.field("weight").number().gt(99)), ["tee"]);
        assert_eq!(names(&mut s, Shirt::RAW.field("weight").number().lt(99)), none_of());
        assert_eq!(names(&mut s, Shirt::RAW.field("ratio").number().eq(0.5)), ["tee"]);
        // A key is a bound value, never SQL.
        assert_eq!(names(&mut s, Shirt::SPECS.field("color') OR 1=1 --").eq("teal")), Vec::<String>::new());
        // The same through the engine, without a session.
        assert_eq!(Shirt::query().filter(Shirt::SPECS.contains(json!({"sizes": [36]}))).count(&db.engine).unwrap(), 1);
    }
}

on_all! {
    /// Containment follows PostgreSQL's rules on every backend: a value inside a nested
    /// array is not an element of the outer one (MySQL's own JSON_CONTAINS says it is),
    /// a scalar is an element of a top-level array only, JSON null matches JSON null, and
    /// a missing key is "not contained", while a missing document is NULL.
    fn containment_is_postgresqls_on_every_backend(db) {
        let mut s = stock(db);
        let set = |name: &str, raw: serde_json::Value| {
            db.engine.execute(&db.sql("UPDATE shirts SET raw = $1 WHERE name = $2"), &[Value::Json(raw), name.into()]).unwrap();
        };
        set("oxford", json!({"a": [[1, 2], 3], "n": null, "o": [{"k": 1, "l": [5]}]}));
        set("polo", json!([["foo"], "bar", {"k": 1}]));
        set("tee", json!({"a": [1, 2, 3], "n": 0, "o": {"k": 1}}));
        let mut q = |f: Expr| names(&mut s, f);
        assert_eq!(q(Shirt::RAW.contains(json!({"a": [1]}))), ["tee"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"a": [[1]]}))), ["oxford"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"a": [3, [2]]}))), ["oxford"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"a": 1}))), none_of());
        assert_eq!(q(Shirt::RAW.contains(json!("foo"))), none_of());
        assert_eq!(q(Shirt::RAW.contains(json!("bar"))), ["polo"]);
        assert_eq!(q(Shirt::RAW.contains(json!([["foo"]]))), ["polo"]);
        assert_eq!(q(Shirt::RAW.contains(json!([{"k": 1}]))), ["polo"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"o": [{"l": [5]}]}))), ["oxford"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"o": [{"l": 5}]}))), none_of());
        assert_eq!(q(Shirt::RAW.contains(json!({"o": {"k": 1}}))), ["tee"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"n": null}))), ["oxford"]);
        assert_eq!(q(Shirt::RAW.contains(json!({"n": 0.0}))), ["tee"]);
        assert_eq!(q(Shirt::RAW.contains(json!({}))), ["oxford", "tee"]);
        assert_eq!(q(Shirt::RAW.contains(json!([]))), ["polo"]);
        assert_eq!(q(!Shirt::RAW.contains(json!({"missing": 1}))), ["oxford", "polo", "tee"]);
        // Under a path: the sub-document is the top (a scalar is an element of it), a
        // missing path is NULL, so its negation finds nothing either.
        assert_eq!(q(Shirt::RAW.field("a").contains(json!(3))), ["oxford", "tee"]);
        assert_eq!(q(Shirt::RAW.field("a").contains(json!(1))), ["tee"]);
        assert_eq!(q(!Shirt::RAW.field("a").contains(json!(1))), ["oxford"]);

        // A NULL document (notes) contains nothing and its negation is NULL too: only the
        // stored document answers either way.
        db.engine.execute(&db.sql("UPDATE shirts SET notes = $1 WHERE name = 'tee'"), &[Value::Json(json!(["sale"]))]).unwrap();
        assert_eq!(q(Shirt::NOTES.contains(json!(["sale"]))), ["tee"]);
        assert_eq!(q(!Shirt::NOTES.contains(json!(["sale"]))), none_of());
        assert_eq!(q(!Shirt::NOTES.contains(json!(["gone"]))), ["tee"]);
        assert_eq!(q(Shirt::NOTES.contains(json!(["sale"])).or(Shirt::NOTES.is_null())), ["oxford", "polo", "tee"]);
        // Mixed with paths, plain columns and each other, in either order: the same rows.
        let mut mixed = |first: Expr, second: Expr| {
            let found = s.query::<Shirt>().order_by(Shirt::NAME.desc()).filter(first).filter(second).all().unwrap();
            found.iter().map(|o| o.get().name.clone()).collect::<Vec<_>>()
        };
        let containment = || Shirt::RAW.contains(json!({"a": [3]}));
        let path = || Shirt::SPECS.field("maker").field("name").eq("Acme");
        assert_eq!(mixed(containment(), path()), ["oxford"]);
        assert_eq!(mixed(path(), containment()), ["oxford"]);
        let either = || containment().or(Shirt::NAME.eq("polo"));
        assert_eq!(mixed(either(), Shirt::SPECS.field("maker").field("country").is_null()), ["polo"]);
        assert_eq!(mixed(!Shirt::SPECS.field("maker").field("country").is_null(), either()), ["tee", "oxford"]);
    }
}

on_all! {
    /// A stored document of the wrong shape is a decode error naming the column; a value
    /// JSON cannot hold is an encode error, and nothing is written.
    fn documents_that_do_not_fit_are_typed_errors(db) {
        db.engine.create_all(&[Shirt::table(), Grid::table()]).unwrap();
        db.engine
            .execute(
                &db.sql("INSERT INTO shirts (name, specs, raw) VALUES ('odd', $1, $2)"),
                &[Value::Json(json!({"color": 5})), Value::Json(json!(null))],
            )
            .unwrap();
        let err = db.engine.session().query::<Shirt>().all().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert!(err.to_string().contains("shirts.specs"), "{err}");

        let mut s = db.engine.session();
        s.add(Grid::new(Json(HashMap::from([((1, 2), 3)]))));
        let err = s.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
        assert!(err.to_string().contains("cannot serialize"), "{err}");
        s.rollback().unwrap();
        assert_eq!(db.count("grids"), 0);
    }
}
