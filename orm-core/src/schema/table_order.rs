//! The order tables depend on each other in: every table after the tables its foreign
//! keys reference (creation, inserts), the reverse for drops and deletes; and the
//! association tables that `many_to_many` relationships bring with their models.

use rustc_hash::FxHashSet as HashSet;

use crate::error::{Error, Result};
use crate::schema::table::TableDef;

/// Orders tables so that every table comes after the tables it references. Tables
/// outside `tables` are assumed to exist; a table may reference itself.
///
/// ```
/// use orm_core::prelude::*;
/// # #[derive(Model)] #[orm(table = "programs")] struct Program { #[orm(primary_key)] id: i32 }
/// # #[derive(Model)] #[orm(table = "courses")]
/// # struct Course { #[orm(primary_key)] id: i32, #[orm(foreign_key = "programs.id")] program_id: i32 }
/// let order = orm_core::ddl::sort_tables(&[Course::table(), Program::table()]).unwrap();
/// assert_eq!(order.iter().map(|t| t.name).collect::<Vec<_>>(), ["programs", "courses"]);
/// ```
pub fn sort_tables(tables: &[&'static TableDef]) -> Result<Vec<&'static TableDef>> {
    let mut done: Vec<&'static TableDef> = Vec::with_capacity(tables.len());
    let mut placed: HashSet<&str> = HashSet::default();
    let names: HashSet<&str> = tables.iter().map(|t| t.name).collect();
    let mut seen: HashSet<&str> = HashSet::default();
    let unique: Vec<&'static TableDef> = tables.iter().copied().filter(|t| seen.insert(t.name)).collect();
    while done.len() < unique.len() {
        let ready = unique.iter().copied().find(|t| {
            !placed.contains(t.name) && t.referenced_tables().all(|r| placed.contains(r) || !names.contains(r))
        });
        match ready {
            Some(t) => {
                placed.insert(t.name);
                done.push(t);
            }
            None => {
                let rest: Vec<&'static TableDef> =
                    unique.iter().copied().filter(|t| !placed.contains(t.name)).collect();
                return Err(Error::schema(format!(
                    "the foreign keys of these tables form a cycle: {}; \
                     make one of the foreign keys nullable and set it after both rows exist",
                    describe_cycle(&rest, &placed)
                )));
            }
        }
    }
    Ok(done)
}

/// `a -> b -> a`, following unplaced references from the first unplaced table.
fn describe_cycle(rest: &[&'static TableDef], placed: &HashSet<&str>) -> String {
    let mut path = vec![rest[0].name];
    let mut current = rest[0];
    loop {
        let next = current.referenced_tables().find(|r| !placed.contains(r) && rest.iter().any(|t| t.name == *r));
        let Some(next) = next else { break };
        if let Some(pos) = path.iter().position(|p| *p == next) {
            path.drain(..pos);
            path.push(next);
            break;
        }
        path.push(next);
        match rest.iter().find(|t| t.name == next) {
            Some(t) => current = t,
            None => break,
        }
    }
    path.join(" -> ")
}

/// `tables` and the association tables of their `many_to_many` relationships.
pub fn with_association_tables(tables: &[&'static TableDef]) -> Vec<&'static TableDef> {
    let mut all = tables.to_vec();
    for secondary in tables.iter().flat_map(|t| t.relationships).filter_map(|r| r.secondary) {
        if !all.iter().any(|t| t.name == secondary.name) {
            all.push(secondary);
        }
    }
    all
}
