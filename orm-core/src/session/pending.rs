//! Objects pushed into a model's relationship fields before it joined a session
//! (`program.courses.push(..)` on a new `Program`): when the owner is added, they are
//! taken out of the fields, added with it and linked to it (save-update cascade).

use crate::error::{Error, Result};
use crate::schema::fields::{BelongsTo, PendingVisitor, StoredParent, Waiting};
use crate::schema::link::{Link, Secondary};
use crate::schema::model::Model;
use crate::schema::relationship::RelationshipDef;
use crate::schema::table::TableDef;
use crate::session::Session;
use crate::session::handle::Obj;
use crate::session::loading::glue_of;

/// Adds one field's objects to a session, linked to the owner's entry.
pub(crate) type Attach = Box<dyn FnOnce(&mut Session, usize) -> Result<()>>;

/// What the relationship fields of an object being added held, ready to attach.
#[derive(Default)]
pub(crate) struct PendingChildren(pub(crate) Vec<Attach>);

impl PendingVisitor for PendingChildren {
    fn children(
        &mut self,
        def: &'static RelationshipDef,
        declared_on: &'static TableDef,
        target: &'static TableDef,
        children: Waiting,
    ) {
        self.0.push(Box::new(move |session, parent_entry| {
            let link = Link::has_many(declared_on, def)?;
            let objects = (glue_of(target)?.new_objects)(children);
            session.reserve_children(objects.len());
            let entries: Vec<usize> = objects.into_iter().map(|child| session.attach_new(child)).collect();
            session.link_new_children(link, &entries, parent_entry);
            Ok(())
        }));
    }

    fn members(
        &mut self,
        def: &'static RelationshipDef,
        declared_on: &'static TableDef,
        target: &'static TableDef,
        members: Waiting,
    ) {
        self.0.push(Box::new(move |session, owner_entry| {
            let sec = Secondary::new(declared_on, def, false)?;
            for member in (glue_of(target)?.new_objects)(members) {
                let member_entry = session.attach_new(member);
                session.associate(sec, owner_entry, member_entry);
            }
            Ok(())
        }));
    }

    fn parent(
        &mut self,
        def: &'static RelationshipDef,
        declared_on: &'static TableDef,
        target: &'static TableDef,
        parent: StoredParent,
    ) {
        self.0.push(Box::new(move |session, child_entry| {
            let link = Link::has_many(declared_on, def)?;
            let parent_entry = match parent {
                StoredParent::New(value) => {
                    let Some(parent) = (glue_of(target)?.new_objects)(value).pop() else {
                        return Err(Error::invalid_state(format!(
                            "the parent set on a new {} is no {}",
                            declared_on.model, target.model
                        )));
                    };
                    session.attach_new(parent)
                }
                StoredParent::InSession { session: id, entry, block, index } => {
                    let found = session.entry(entry).map(|e| (e.obj.block_id() as usize, e.obj.index()));
                    if id != session.id || found != Some((block, index)) {
                        return Err(Error::invalid_state(format!(
                            "the {} set as the parent of a new {} is not an object of this session; \
                             add it to this session first, or set a new parent with BelongsTo::to",
                            target.model, declared_on.model
                        )));
                    }
                    entry
                }
            };
            session.set_new_parent(link, child_entry, parent_entry)
        }));
    }
}

impl<T: Model> BelongsTo<T> {
    /// A parent that is already in a session (pending or persistent): the child joins that
    /// session under it.
    pub fn to_obj(parent: &Obj<T>) -> BelongsTo<T> {
        let mut field = BelongsTo::default();
        field.set_obj(parent);
        field
    }

    /// Sets a parent that is already in a session; checked when the child joins it.
    pub fn set_obj(&mut self, parent: &Obj<T>) {
        let meta = parent.cell().meta.get();
        let (block, index) = parent.identity();
        let session = if meta.state == crate::ObjectState::Transient { 0 } else { meta.session };
        self.pending = Some(StoredParent::InSession { session, entry: meta.entry(), block, index });
    }
}
