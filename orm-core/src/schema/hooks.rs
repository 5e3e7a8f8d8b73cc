//! Lifecycle hooks: code of the model's own that the session runs at set moments
//! (SQLAlchemy's mapper events `before_insert`, `before_update`, `load`, and validators).

use crate::error::{Error, ErrorKind, Result};
use crate::schema::model::Model;

/// Hooks a model may implement; declare them with `#[orm(hooks)]` on the struct.
///
/// - `before_insert` and `before_update` run during a flush, before any statement of it
///   is sent, on each object about to be inserted or updated (an unchanged object is not
///   updated and its hook does not run); what they change is written.
/// - `validate` runs after them; an `Err` stops the flush with nothing written, as an
///   [`ErrorKind::Validation`] error that names the object and gives the reason.
/// - `after_load` runs on each object built from a row.
///
/// The plain `insert`/`update` methods run the same hooks.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::{ErrorKind, Hooks};
///
/// #[derive(Model, Debug)]
/// #[orm(hooks)]
/// struct Member {
///     #[orm(primary_key)]
///     id: i32,
///     email: String,
///     #[orm(skip)]
///     domain: String,
/// }
///
/// impl Hooks for Member {
///     fn before_insert(&mut self) -> orm_core::Result<()> {
///         self.email = self.email.trim().to_lowercase();
///         Ok(())
///     }
///     fn validate(&self) -> Result<(), String> {
///         if !self.email.contains('@') {
///             return Err(format!("`{}` is not an email address", self.email));
///         }
///         Ok(())
///     }
///     fn after_load(&mut self) {
///         self.domain = self.email.split('@').nth(1).unwrap_or_default().to_owned();
///     }
/// }
///
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Member::table()])?;
/// let mut session = engine.session();
/// session.add(Member::new(" Ann@Example.org "));
/// session.commit()?;
/// session.add(Member::new("nobody"));
/// let err = session.commit().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Validation);
/// session.rollback()?;
/// let ann = engine.session().query::<Member>().one()?;
/// assert_eq!((ann.get().email.as_str(), ann.get().domain.as_str()), ("ann@example.org", "example.org"));
/// # Ok::<(), orm_core::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is declared with #[orm(hooks)] but does not implement `Hooks`",
    label = "no `impl Hooks for {Self}`",
    note = "add `impl orm_core::Hooks for {Self} {{ .. }}` with the hooks it needs, or remove `hooks` from #[orm(..)]"
)]
pub trait Hooks: Model {
    /// Runs before the object is inserted.
    fn before_insert(&mut self) -> Result<()> {
        Ok(())
    }

    /// Runs before the changed object is updated.
    fn before_update(&mut self) -> Result<()> {
        Ok(())
    }

    /// Checks the object before it is written; the message says what is wrong.
    fn validate(&self) -> std::result::Result<(), String> {
        Ok(())
    }

    /// Runs on an object just built from a row.
    fn after_load(&mut self) {}
}

/// The hooks before a write, then validation (generated code of `#[orm(hooks)]`).
#[doc(hidden)]
pub fn run_write_hooks<T: Hooks>(obj: &mut T, inserting: bool) -> Result<()> {
    if inserting {
        obj.before_insert()?;
    } else {
        obj.before_update()?;
    }
    obj.validate().map_err(|why| Error::new(ErrorKind::Validation, why))
}
