//! Objects pushed into a model's relationship fields before it joined a session
//! (`program.courses.push(..)` on a new `Program`): when the owner is added, they are
//! taken out of the fields, added with it and linked to it (save-update cascade).

use crate::error::Result;
use crate::schema::fields::PendingVisitor;
use crate::schema::link::{Link, Secondary};
use crate::schema::model::Model;
use crate::schema::relationship::RelationshipDef;
use crate::schema::table::TableDef;
use crate::session::Session;
use crate::session::handle::Obj;

/// Adds one field's objects to a session, linked to the owner's entry.
pub(crate) type Attach = Box<dyn FnOnce(&mut Session, usize) -> Result<()>>;

/// What the relationship fields of an object being added held, ready to attach.
#[derive(Default)]
pub(crate) struct PendingChildren(pub(crate) Vec<Attach>);

impl PendingVisitor for PendingChildren {
    fn children<C: Model>(&mut self, def: &'static RelationshipDef, declared_on: &'static TableDef, children: Vec<C>) {
        self.0.push(Box::new(move |session, parent_entry| {
            let link = Link::has_many(declared_on, def)?;
            session.reserve_children(children.len());
            let entries: Vec<usize> =
                Obj::many(children).iter().map(|child| session.attach_new(child.erased())).collect();
            session.link_new_children(link, &entries, parent_entry);
            Ok(())
        }));
    }

    fn members<C: Model>(&mut self, def: &'static RelationshipDef, declared_on: &'static TableDef, members: Vec<C>) {
        self.0.push(Box::new(move |session, owner_entry| {
            let sec = Secondary::new(declared_on, def, false)?;
            for member in members {
                let member = session.add(member);
                let member_entry = member.cell().meta.get().entry();
                session.associate(sec, owner_entry, member_entry);
            }
            Ok(())
        }));
    }
}
