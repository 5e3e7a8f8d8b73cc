//! JSON columns of any serde type: [`Json<T>`], stored as `jsonb` on PostgreSQL and as
//! JSON text on SQLite, and PostgreSQL's containment (`@>`) as both backends compute it.

use std::ops::{Deref, DerefMut};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::schema::decode::{ColumnSource, DecodeError};
use crate::schema::types::{BaseType, SqlType};
use crate::value::Value;

/// A column holding any serde type as JSON: `jsonb` on PostgreSQL, text on SQLite.
///
/// Filters reach into the document with [`Column::field`](crate::Column::field)
/// (`->>`/`#>>`: the text at a path) and test containment with
/// [`Column::contains`](crate::Column::contains) (`@>`), on both backends.
///
/// ```
/// use std::collections::BTreeMap;
/// use orm_core::prelude::*;
/// use orm_core::Json;
/// use serde_json::json;
///
/// #[derive(Model)]
/// struct Shirt {
///     #[orm(primary_key)]
///     id: i32,
///     specs: Json<BTreeMap<String, serde_json::Value>>,
/// }
///
/// let engine = Engine::connect("sqlite::memory:")?;
/// engine.create_all(&[Shirt::table()])?;
/// let mut session = engine.session();
/// let specs = BTreeMap::from([("color".to_owned(), json!("teal")), ("sizes".to_owned(), json!([38, 40]))]);
/// session.add(Shirt::new(Json(specs)));
/// session.commit()?;
/// let teal = session.query::<Shirt>().filter(Shirt::SPECS.field("color").eq("teal")).all()?;
/// assert_eq!(teal[0].get().specs["sizes"], json!([38, 40]));
/// let forty = session.query::<Shirt>().filter(Shirt::SPECS.contains(json!({"sizes": [40]})));
/// assert_eq!(forty.count()?, 1);
/// # Ok::<(), orm_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// A column type holding a JSON document (`serde_json::Value` or `Json<T>`): the
/// document filters apply to it.
pub trait JsonDocument {}

impl JsonDocument for serde_json::Value {}

impl<T> JsonDocument for Json<T> {}

fn to_json<T: Serialize>(value: &T) -> Value {
    match serde_json::to_value(value) {
        Ok(json) => Value::Json(json),
        Err(e) => Value::Unencodable(format!("cannot serialize a Json value: {e}")),
    }
}

impl<T: Serialize + DeserializeOwned + Clone + Default + 'static> BaseType for Json<T> {
    const SQL_TYPE: SqlType = SqlType::Json;
    const RUST_NAME: &'static str = "Json<T>";

    fn to_value(&self) -> Value {
        to_json(&self.0)
    }

    fn into_value(self) -> Value {
        to_json(&self.0)
    }

    fn equals_value(&self, value: &Value) -> bool {
        to_json(&self.0) == *value
    }

    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Json(json) => serde_json::from_value(json.clone()).map(Json).map_err(|_| Value::Json(json)),
            other => Err(other),
        }
    }

    fn decode_nullable<R: ColumnSource + ?Sized>(row: &R, idx: usize) -> Result<Option<Self>, DecodeError> {
        match row.json(idx)? {
            None => Ok(None),
            Some(json) => serde_json::from_value(json)
                .map(|v| Some(Json(v)))
                .map_err(|e| DecodeError::new("json".to_owned(), format!("not a {}: {e}", std::any::type_name::<T>()))),
        }
    }
}

/// Whether `doc` contains `part` as PostgreSQL's `jsonb @> jsonb` decides: an object
/// contains an object whose every key it has with a containing value; an array contains
/// an array whose every element some element of it contains (and, at the top, a bare
/// scalar it holds); scalars contain equal scalars.
pub(crate) fn json_contains(doc: &serde_json::Value, part: &serde_json::Value, top: bool) -> bool {
    use serde_json::Value as J;
    match (doc, part) {
        (J::Object(d), J::Object(p)) => p.iter().all(|(k, pv)| d.get(k).is_some_and(|dv| json_contains(dv, pv, false))),
        (J::Array(d), J::Array(p)) => p.iter().all(|pv| d.iter().any(|dv| json_contains(dv, pv, false))),
        (J::Array(d), scalar) if top && !scalar.is_object() => d.iter().any(|dv| dv == scalar),
        (J::Number(a), J::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => !a.is_object() && !a.is_array() && a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::json_contains;

    #[test]
    fn containment_follows_postgresql() {
        let doc = json!({"a": 1, "tags": ["x", "y"], "nested": {"b": [1, 2], "c": null}});
        assert!(json_contains(&doc, &json!({}), true));
        assert!(json_contains(&doc, &json!({"a": 1}), true));
        assert!(json_contains(&doc, &json!({"a": 1.0}), true));
        assert!(json_contains(&doc, &json!({"tags": ["y"]}), true));
        assert!(json_contains(&doc, &json!({"nested": {"b": [2], "c": null}}), true));
        assert!(!json_contains(&doc, &json!({"a": 2}), true));
        assert!(!json_contains(&doc, &json!({"tags": "x"}), true), "a nested array does not contain a bare scalar");
        assert!(!json_contains(&doc, &json!({"missing": null}), true));
        assert!(json_contains(&json!(["x", "y"]), &json!("x"), true), "the top-level array contains a scalar");
        assert!(json_contains(&json!([[1, 2], [3]]), &json!([[3]]), true));
        assert!(!json_contains(&json!({"a": {"b": 1}}), &json!({"a": 1}), true));
    }
}
