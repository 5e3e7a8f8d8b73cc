//! Writes by criteria (`UPDATE .. SET col = expr WHERE ..`, `DELETE .. WHERE ..`) with the
//! session kept true, and upserts (`ON CONFLICT .. DO NOTHING | DO UPDATE`), on both
//! backends.

use orm_core::prelude::*;
use orm_core::{ErrorKind, Insert};
use orm_tests::on_all;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "shelf_stock", unique(shop, sku, name = "uq_shop_sku"))]
pub struct Stock {
    #[orm(primary_key)]
    pub id: i32,
    pub shop: String,
    pub sku: String,
    pub count: i32,
    pub note: Option<String>,
}

fn stock(db: &orm_tests::TestDb) -> (Session, Vec<Obj<Stock>>) {
    db.engine.create_all(&[Stock::table()]).unwrap();
    let mut s = db.engine.session();
    let rows = s.add_all([
        Stock::new("north", "TEA-1", 10, Some("fresh".to_owned())),
        Stock::new("north", "CAKE-2", 2, None),
        Stock::new("south", "TEA-1", 5, None),
    ]);
    s.commit().unwrap();
    (s, rows)
}

on_all! {
    /// `UPDATE .. SET count = count - 1 WHERE sku = ..` in a session: the objects it holds
    /// follow, and a rollback gives them (and the rows) their values back.
    fn a_bulk_update_keeps_the_session_true(db) {
        let (mut s, rows) = stock(db);
        let teas = Stock::query().filter(Stock::SKU.eq("TEA-1"));
        let n = s.update(teas.clone(), [Stock::COUNT.set(Stock::COUNT - 1), Stock::NOTE.set_null()]).unwrap();
        assert_eq!(n, 2);
        assert_eq!((rows[0].get().count, rows[0].get().note.clone()), (9, None));
        assert_eq!(rows[2].get().count, 4);
        assert_eq!(rows[1].get().count, 2, "a row the statement did not match is untouched");
        s.rollback().unwrap();
        assert_eq!((rows[0].get().count, rows[0].get().note.as_deref()), (10, Some("fresh")));
        assert_eq!(db.column(&db.sql("SELECT CAST(sum(count) AS TEXT) FROM shelf_stock"), &[]), ["17"]);

        // Committed, and seen by a plain query.
        s.update(teas, [Stock::COUNT.set(0)]).unwrap();
        s.commit().unwrap();
        assert_eq!(rows[0].get().count, 0);
        let zero = Stock::query().filter(Stock::COUNT.eq(0)).count(&db.engine).unwrap();
        assert_eq!(zero, 2);
        // Without a session: the count of rows set.
        let n = Stock::query().filter(Stock::SHOP.eq("north")).update([Stock::COUNT.set(Stock::COUNT + 5)], &db.engine).unwrap();
        assert_eq!(n, 2);
        // A bulk update takes filters only.
        let err = s.update(Stock::query().order_by(Stock::ID), [Stock::COUNT.set(1)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
}

on_all! {
    /// `DELETE .. WHERE ..` in a session: the objects it holds for the rows become deleted;
    /// a rollback brings them back.
    fn a_bulk_delete_marks_the_objects_deleted(db) {
        let (mut s, rows) = stock(db);
        let n = s.delete_where(Stock::query().filter(Stock::SHOP.eq("north"))).unwrap();
        assert_eq!(n, 2);
        assert_eq!(rows[0].state(), ObjectState::Deleted);
        assert_eq!(rows[2].state(), ObjectState::Persistent);
        assert!(s.get::<Stock>(rows[0].get().id).unwrap().is_none());
        s.rollback().unwrap();
        assert_eq!(rows[0].state(), ObjectState::Persistent);
        assert_eq!(db.count("shelf_stock"), 3);
        s.delete_where(Stock::query().filter(Stock::COUNT.lt(3))).unwrap();
        s.commit().unwrap();
        assert_eq!(db.count("shelf_stock"), 2);
    }
}

on_all! {
    /// Upserts on a named composite unique constraint: new rows go in, conflicting ones
    /// are skipped or update the existing rows.
    fn upserts_insert_skip_or_update(db) {
        let (mut s, _) = stock(db);
        let delivery = || [Stock::new("north", "TEA-1", 40, None), Stock::new("east", "TEA-1", 7, None)];
        let skipped = Insert::rows(delivery()).on_conflict((Stock::SHOP, Stock::SKU)).do_nothing().execute(&db.engine).unwrap();
        assert_eq!(skipped, 1, "only the new row was written");
        let written =
            Insert::rows(delivery()).on_conflict((Stock::SHOP, Stock::SKU)).do_update(Stock::COUNT).execute(&db.engine).unwrap();
        assert_eq!(written, 2);
        let counts = db.column(
            &db.sql("SELECT shop || ':' || CAST(count AS TEXT) FROM shelf_stock WHERE sku = 'TEA-1' ORDER BY shop"),
            &[],
        );
        assert_eq!(counts, ["east:7", "north:40", "south:5"]);
        // Without ON CONFLICT a duplicate is the unique violation, naming the constraint.
        let err = Insert::rows([Stock::new("east", "TEA-1", 1, None)]).execute(&db.engine).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniqueViolation, "{err}");
        let err = Insert::rows(delivery()).do_nothing().execute(&db.engine).unwrap_err();
        assert!(err.to_string().contains("on_conflict"), "{err}");
        // In a session: in its transaction, rolled back with it.
        s.insert(Insert::rows([Stock::new("west", "CAKE-2", 1, None)])).unwrap();
        s.rollback().unwrap();
        assert_eq!(db.count("shelf_stock"), 4);
    }
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "stock_archive")]
pub struct Archived {
    #[orm(primary_key)]
    pub id: i32,
    pub sku: String,
    pub count: i32,
}

on_all! {
    /// `UPDATE .. RETURNING`, `DELETE .. RETURNING` and `INSERT .. SELECT`.
    fn returning_and_insert_select(db) {
        use orm_core::InsertSelect;
        let _ = stock(db);
        db.engine.create_all(&[Archived::table()]).unwrap();
        let mut changed = Stock::query()
            .filter(Stock::SKU.eq("TEA-1"))
            .update_returning([Stock::COUNT.set(Stock::COUNT * 2)], (Stock::SHOP, Stock::COUNT), &db.engine)
            .unwrap();
        changed.sort();
        assert_eq!(changed, [("north".to_owned(), 20), ("south".to_owned(), 10)]);
        let copied = InsertSelect::into(
            (Archived::SKU, Archived::COUNT),
            Stock::query().filter(Stock::COUNT.ge(10)).select((Stock::SKU, Stock::COUNT)),
        )
        .execute(&db.engine)
        .unwrap();
        assert_eq!(copied, 2);
        let gone = Stock::query().filter(Stock::COUNT.ge(10)).delete_returning(Stock::SHOP, &db.engine).unwrap();
        assert_eq!(gone.len(), 2);
        assert_eq!(db.count("shelf_stock"), 1);
        assert_eq!(db.count("stock_archive"), 2);
    }
}
