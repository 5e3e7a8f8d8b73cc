//! The words of `#[orm(...)]`.

use std::fmt::{self, Display};

use syn::{Ident, Path};

#[derive(Copy, Clone)]
pub struct Symbol(pub &'static str);

pub const ORM: Symbol = Symbol("orm");
// struct level
pub const TABLE: Symbol = Symbol("table");
pub const PRIMARY_KEY: Symbol = Symbol("primary_key");
pub const UNIQUE: Symbol = Symbol("unique");
pub const INDEX: Symbol = Symbol("index");
// field level
pub const AUTOINCREMENT: Symbol = Symbol("autoincrement");
pub const COLUMN: Symbol = Symbol("column");
pub const LENGTH: Symbol = Symbol("length");
pub const SQL_TYPE: Symbol = Symbol("sql_type");
pub const TEXT: Symbol = Symbol("text");
pub const DEFAULT: Symbol = Symbol("default");
pub const SERVER_DEFAULT: Symbol = Symbol("server_default");
pub const RENAMED_FROM: Symbol = Symbol("renamed_from");
pub const CHECK: Symbol = Symbol("check");
pub const FOREIGN_KEY: Symbol = Symbol("foreign_key");
pub const ON_DELETE: Symbol = Symbol("on_delete");
pub const ON_UPDATE: Symbol = Symbol("on_update");
pub const SKIP: Symbol = Symbol("skip");
pub const VERSION: Symbol = Symbol("version");
pub const CREATED_AT: Symbol = Symbol("created_at");
pub const UPDATED_AT: Symbol = Symbol("updated_at");
pub const HAS_MANY: Symbol = Symbol("has_many");
pub const HAS_ONE: Symbol = Symbol("has_one");
pub const MANY_TO_MANY: Symbol = Symbol("many_to_many");
pub const SECONDARY: Symbol = Symbol("secondary");
pub const BELONGS_TO: Symbol = Symbol("belongs_to");
// relationship options
pub const BACKREF: Symbol = Symbol("backref");
pub const BACK_POPULATES: Symbol = Symbol("back_populates");
pub const PASSIVE_DELETES: Symbol = Symbol("passive_deletes");
pub const CASCADE: Symbol = Symbol("cascade");
pub const LAZY: Symbol = Symbol("lazy");

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(self.0)
    }
}
