//! Loading options of a session query: how a relationship is loaded with the rows
//! (`selectinload`, `joinedload`, `lazyload`, `raiseload`), chained through levels.

use crate::schema::link::{LinkKey, Path};
use crate::schema::model::Model;
use crate::schema::relationship::Loading;
use crate::sql::relationship::Relationship;

/// How to load a relationship with a query: see [`selectinload`], [`joinedload`],
/// [`lazyload`], [`raiseload`].
#[derive(Debug, Clone)]
pub struct LoadOption {
    /// A foreign key from the parent, or an association table.
    pub(crate) path: Result<Path, String>,
    pub(crate) strategy: Loading,
    pub(crate) then: Vec<LoadOption>,
}

impl LoadOption {
    fn new<P: Model, C: Model>(rel: Relationship<P, C>, strategy: Loading) -> LoadOption {
        // The session may load rows of either side along the path.
        super::loading::learn::<P>();
        super::loading::learn::<C>();
        let path = match rel.path() {
            Ok(Path::ForeignKey { from_parent: false, .. }) => Err(format!(
                "{rel:?} goes from a child to its parent; load parents with their own query \
                 (they are loaded once per session anyway) or load the children from the parents"
            )),
            other => other.map_err(|e| e.to_string()),
        };
        LoadOption { path, strategy, then: Vec::new() }
    }

    /// The key of the collection the option loads.
    pub(crate) fn key(&self) -> Option<LinkKey> {
        self.path.as_ref().ok().map(Path::key)
    }

    /// Also applies `option` to the related objects (programs -> courses -> enrollments).
    #[must_use]
    pub fn then(mut self, option: LoadOption) -> LoadOption {
        self.then.push(option);
        self
    }
}

/// Load the relationship for all parents with one extra SELECT (`fk = ANY($1)`).
pub fn selectinload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::SelectIn)
}

/// Load the relationship in the parents' own SELECT, through a LEFT OUTER JOIN.
pub fn joinedload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::Joined)
}

/// Load the relationship on first access, one SELECT per parent.
pub fn lazyload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::Lazy)
}

/// Make first access of the relationship an error instead of a SELECT.
pub fn raiseload<P: Model, C: Model>(rel: Relationship<P, C>) -> LoadOption {
    LoadOption::new(rel, Loading::Raise)
}
