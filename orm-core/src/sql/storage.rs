//! How SQLite stores each [`Value`] (its storage forms), for types SQLite lacks: booleans
//! as 0/1, dates and times as ISO-8601 text (`2024-02-29 23:59:58.123456`, `+00:00` for
//! UTC timestamps), UUIDs as hyphenated text, JSON as its text, decimals as their exact
//! text. The SQLite backend binds values in these forms, and long `IN` lists travel as
//! one JSON array of them (`IN (SELECT value FROM json_each(?1))`).

use std::borrow::Cow;

use crate::sql::dialect::Dialect;
use crate::value::Value;

/// A value in one of SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Storage<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(&'a [u8]),
}

/// The storage form of `value`, or why SQLite cannot store it faithfully.
pub(crate) fn sqlite_storage(value: &Value) -> Result<Storage<'_>, Cow<'static, str>> {
    Ok(match value {
        Value::Null => Storage::Null,
        Value::Bool(b) => Storage::Integer(i64::from(*b)),
        Value::I16(v) => Storage::Integer(i64::from(*v)),
        Value::I32(v) => Storage::Integer(i64::from(*v)),
        Value::I64(v) => Storage::Integer(*v),
        Value::F32(v) if v.is_nan() => return Err(NAN.into()),
        Value::F64(v) if v.is_nan() => return Err(NAN.into()),
        Value::F32(v) => Storage::Real(f64::from(*v)),
        Value::F64(v) => Storage::Real(*v),
        Value::Text(s) if s.contains('\0') => return Err(NUL_IN_TEXT.into()),
        Value::Text(s) => Storage::Text(Cow::Borrowed(s)),
        Value::Bytes(b) => Storage::Blob(b),
        #[cfg(feature = "chrono")]
        Value::Date(d) => Storage::Text(d.format("%Y-%m-%d").to_string().into()),
        #[cfg(feature = "chrono")]
        Value::Time(t) => Storage::Text(t.format(TIME).to_string().into()),
        #[cfg(feature = "chrono")]
        Value::Timestamp(t) => Storage::Text(t.format(TIMESTAMP).to_string().into()),
        #[cfg(feature = "chrono")]
        Value::TimestampTz(t) => Storage::Text(format!("{}+00:00", t.naive_utc().format(TIMESTAMP)).into()),
        #[cfg(feature = "uuid")]
        Value::Uuid(u) => Storage::Text(u.hyphenated().to_string().into()),
        #[cfg(feature = "json")]
        Value::Json(j) => Storage::Text(j.to_string().into()),
        #[cfg(feature = "decimal")]
        Value::Decimal(d) => Storage::Text(d.to_string().into()),
        // An array column: a JSON array.
        Value::Array(items) => Storage::Text(json_array_exact(items)?.into()),
        Value::Unencodable(why) => return Err(why.clone().into()),
    })
}

const NUL_IN_TEXT: &str = "the text contains a NUL byte (\\0), which the ORM does not store in text \
                           columns; remove it, or store the data as Vec<u8>";

const NAN: &str = "the float is NaN, which SQLite cannot store (it would silently become NULL); \
                   store NULL (an Option) instead, or use PostgreSQL";

/// How timestamps and times are written (and read back) as text.
#[cfg(feature = "chrono")]
pub(crate) const TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.6f";
#[cfg(feature = "chrono")]
pub(crate) const TIME: &str = "%H:%M:%S%.6f";

/// IN lists longer than this go as one JSON array where the dialect has no arrays.
const LONG_IN_LIST: usize = 1000;

/// Whether an IN list is written as `IN (SELECT value FROM json_each(?n))`: a long list,
/// a dialect without array parameters that has `json_each`, and values JSON can carry in
/// their storage form (no blobs, no NULLs, finite floats).
pub(crate) fn json_in_list(dialect: &dyn Dialect, values: &[Value]) -> bool {
    !dialect.array_params()
        && dialect.json_each_lists()
        && values.len() > LONG_IN_LIST
        && values.iter().all(json_storable)
}

/// Whether a value has a JSON form that `json_each` turns back into exactly its SQLite
/// storage form (INTEGER or TEXT): not a blob, a NULL, an array, a float (decimal text
/// need not parse back to the same bits) or text with a NUL (an `Encode` error).
fn json_storable(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bytes(_) | Value::Array(_) | Value::F32(_) | Value::F64(_) => false,
        Value::Text(t) => !t.contains('\0'),
        _ => true,
    }
}

/// The values, each in its storage form, as a JSON array for `json_each` (only for
/// values that are [`json_storable`]).
pub(crate) fn json_array(values: &[Value]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(values.len() * 8 + 2);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match sqlite_storage(v) {
            Ok(Storage::Integer(n)) => {
                let _ = write!(out, "{n}");
            }
            Ok(Storage::Text(t)) => json_string(&mut out, &t),
            _ => out.push_str("null"),
        }
    }
    out.push(']');
    out
}

/// An array column's value as SQLite stores it, a JSON array: booleans as `true`/`false`,
/// numbers as numbers, everything else in its text storage form; or why it cannot be.
pub(crate) fn json_array_exact(values: &[Value]) -> Result<String, Cow<'static, str>> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(values.len() * 8 + 2);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Value::Bool(b) = v {
            out.push_str(if *b { "true" } else { "false" });
            continue;
        }
        match sqlite_storage(v)? {
            Storage::Null => out.push_str("null"),
            Storage::Integer(n) => {
                let _ = write!(out, "{n}");
            }
            Storage::Real(r) if r.is_finite() => {
                let _ = write!(out, "{r:?}");
            }
            Storage::Real(_) => return Err("an infinite float cannot be stored in a JSON array".into()),
            Storage::Text(t) => json_string(&mut out, &t),
            Storage::Blob(_) => return Err("binary data cannot be stored in a JSON array".into()),
        }
    }
    out.push(']');
    Ok(out)
}

fn json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
