//! Identity keys: which row of which table an object or a result row stands for (a
//! table and its primary-key values), comparable and hashable whatever the integer
//! width the key was read with.

use crate::schema::table::TableDef;
use crate::value::Value;

/// A table and the primary-key values of one of its rows.
///
/// Integer keys, by far the most common, are two words with nothing on the heap: cheap
/// to build, hash, compare and drop for every row a query loads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum IdentityKey {
    /// A one-column integer key; `table` is the address of the table's static metadata.
    Int { table: usize, key: i64 },
    /// Any other key: text, bytes, several columns (boxed, so that the common case
    /// stays small in the identity map and the session's entries).
    Parts(Box<(usize, KeyParts)>),
}

/// The values of a key that is not one integer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyParts {
    One(KeyPart),
    Many(Box<[KeyPart]>),
}

/// A key value, normalised so that equal keys hash alike (an `i32` 3 and an `i64` 3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyPart {
    Null,
    Int(i64),
    Text(Box<str>),
    Bytes(Box<[u8]>),
    Bool(bool),
    Other(Box<str>),
}

impl KeyPart {
    fn of(v: &Value) -> KeyPart {
        match v {
            Value::Null => KeyPart::Null,
            Value::I16(i) => KeyPart::Int(i64::from(*i)),
            Value::I32(i) => KeyPart::Int(i64::from(*i)),
            Value::I64(i) => KeyPart::Int(*i),
            Value::Text(s) => KeyPart::Text(s.as_str().into()),
            Value::Bytes(b) => KeyPart::Bytes(b.as_slice().into()),
            Value::Bool(b) => KeyPart::Bool(*b),
            other => KeyPart::Other(format!("{other:?}").into()),
        }
    }
}

/// The integer of an integer value.
#[inline]
fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::I16(i) => Some(i64::from(*i)),
        Value::I32(i) => Some(i64::from(*i)),
        Value::I64(i) => Some(*i),
        _ => None,
    }
}

impl IdentityKey {
    /// The key of the row whose primary-key columns hold `key` (in key order).
    pub(crate) fn new(table: &'static TableDef, key: &[Value]) -> IdentityKey {
        match key {
            [one] => IdentityKey::single(table, one),
            many => {
                IdentityKey::Parts(Box::new((table_id(table), KeyParts::Many(many.iter().map(KeyPart::of).collect()))))
            }
        }
    }

    /// The key of a row with a one-column primary key.
    #[inline]
    pub(crate) fn single(table: &'static TableDef, value: &Value) -> IdentityKey {
        match int_of(value) {
            Some(key) => IdentityKey::Int { table: table_id(table), key },
            None => IdentityKey::Parts(Box::new((table_id(table), KeyParts::One(KeyPart::of(value))))),
        }
    }

    /// The key of a row with a one-column primary key, taking the value.
    #[inline(always)]
    pub(crate) fn of_value(table: &'static TableDef, value: Value) -> IdentityKey {
        match int_of(&value) {
            Some(key) => {
                // An integer owns nothing: skip the drop glue, once per loaded row.
                std::mem::forget(value);
                IdentityKey::Int { table: table_id(table), key }
            }
            None => IdentityKey::single(table, &value),
        }
    }

    /// The key of a row given all its column values.
    pub(crate) fn from_columns(table: &'static TableDef, values: &[Value]) -> IdentityKey {
        match table.primary_key {
            [one] => IdentityKey::single(table, &values[*one]),
            many => {
                let parts = many.iter().map(|&i| KeyPart::of(&values[i])).collect();
                IdentityKey::Parts(Box::new((table_id(table), KeyParts::Many(parts))))
            }
        }
    }

    /// Whether some key column is NULL (a row that cannot be identified).
    pub(crate) fn has_null(&self) -> bool {
        match self {
            IdentityKey::Int { .. } => false,
            IdentityKey::Parts(parts) => match &parts.1 {
                KeyParts::One(part) => *part == KeyPart::Null,
                KeyParts::Many(parts) => parts.contains(&KeyPart::Null),
            },
        }
    }
}

/// A table's identity: the address of its static metadata.
fn table_id(table: &'static TableDef) -> usize {
    std::ptr::from_ref(table) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: TableDef = TableDef::for_tests(&[0]);

    #[test]
    fn integer_widths_do_not_matter() {
        assert_eq!(IdentityKey::new(&T, &[Value::I32(3)]), IdentityKey::new(&T, &[Value::I64(3)]));
        assert_ne!(IdentityKey::new(&T, &[Value::I32(3)]), IdentityKey::new(&T, &[Value::from("3")]));
        assert!(IdentityKey::new(&T, &[Value::Null]).has_null());
        assert_eq!(IdentityKey::new(&T, &[Value::I16(3)]), IdentityKey::single(&T, &Value::I64(3)));
        assert!(!IdentityKey::single(&T, &Value::I32(0)).has_null());
        assert_eq!(std::mem::size_of::<IdentityKey>(), 24);
        let text = IdentityKey::new(&T, &[Value::from("a")]);
        assert_eq!(text, IdentityKey::single(&T, &Value::from("a")));
        assert_eq!(text, IdentityKey::of_value(&T, Value::from("a")));
        assert_ne!(text, IdentityKey::new(&T, &[Value::from("a"), Value::from("b")]));
        assert!(!text.has_null());
    }
}
