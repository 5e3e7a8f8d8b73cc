//! The layering rule, checked on the sources: a file of a layer names only the layers
//! below it, its own layer and the shared base (`error`, `value`). The layers, bottom
//! up: `schema`, `sql`, `execution`, `migration`, `session`. Names re-exported at the crate root
//! (`crate::Engine`) do not count as the base: a file of a lower layer names them by their
//! layer, so that every dependency shows in its path (the top layer may use the root's
//! names, which can only come from layers at or below it).

use std::path::Path;

/// The layers, bottom up.
const LAYERS: [&str; 5] = ["schema", "sql", "execution", "migration", "session"];

/// The shared base: modules every layer may use, and the root re-exports of their items.
const BASE_MODULES: [&str; 2] = ["error", "value"];
const BASE_NAMES: [&str; 5] = ["Error", "ErrorKind", "Result", "Value", "params"];

/// Files of the crate root that are no layer's: the facade and this check.
const EXEMPT: [&str; 2] = ["lib.rs", "layering.rs"];

/// The layer of a source file (its path below `src/`), as an index into [`LAYERS`];
/// `None` for the shared base, which may name no layer at all.
fn layer_of(file: &str) -> Option<usize> {
    let first = file.split('/').next()?;
    LAYERS.iter().position(|l| *l == first)
}

/// The module path of a file below `src/`: `sql/writer.rs` -> `[sql, writer]`,
/// `sql/mod.rs` -> `[sql]`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The source with comments and the contents of string and char literals blanked out
/// (newlines kept, so that line numbers stay right).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&chars, i) {
            // A raw string: r"..", r#".."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let closes = |k: usize| chars.get(k) == Some(&'"') && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#'));
            while j < chars.len() && !closes(j) {
                out.push(blank(chars[j]));
                j += 1;
            }
            i = j + 1 + hashes;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3; // 'x'
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{..}'
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The crate-absolute paths a file names: `crate::a::b`, `$crate::a`, `orm_core::a` and
/// `super::..` chains resolved from the file's module, as (line, first segment).
fn named_modules(file: &str, code: &str) -> Vec<(usize, String)> {
    let module = module_path(file);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < line.len() {
            let rest = &line[at..];
            let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            let prefix = ["crate::", "orm_core::", "super::"].into_iter().find(|p| rest.starts_with(p));
            match prefix {
                Some(p) if boundary => {
                    let mut tail = &rest[p.len()..];
                    let first = if p == "super::" {
                        let mut up = 1;
                        while let Some(t) = tail.strip_prefix("super::") {
                            up += 1;
                            tail = t;
                        }
                        let base = module.len().saturating_sub(up);
                        match module.get(..base).and_then(|m| m.first()) {
                            Some(layer) => layer.clone(),
                            None => ident(tail),
                        }
                    } else {
                        ident(tail)
                    };
                    if !first.is_empty() {
                        found.push((n + 1, first));
                    }
                    at += p.len();
                }
                _ => at += rest.chars().next().map_or(1, char::len_utf8),
            }
        }
    }
    found
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// What a file (its path below `src/`) names that its layer may not.
fn violations(file: &str, source: &str) -> Vec<String> {
    if EXEMPT.contains(&file) {
        return Vec::new();
    }
    let own = layer_of(file);
    let own_name = own.map_or("the shared base", |l| LAYERS[l]);
    let allowed = || match own {
        Some(l) => format!("{} and the shared base", LAYERS[..=l].join(", ")),
        None => "only the shared base".to_owned(),
    };
    let mut out = Vec::new();
    for (line, name) in named_modules(file, &code_only(source)) {
        if BASE_MODULES.contains(&name.as_str()) || BASE_NAMES.contains(&name.as_str()) {
            continue;
        }
        let top = own == Some(LAYERS.len() - 1);
        let problem = match LAYERS.iter().position(|l| *l == name) {
            Some(l) if own.is_some_and(|own| l <= own) => continue,
            Some(_) => format!("names the {name} layer"),
            // Everything at the root comes from some layer, all of them below the top one.
            None if top => continue,
            None => format!("names `crate::{name}`, a re-export at the crate root; name it by its layer"),
        };
        out.push(format!("{file}:{line}: {problem}, but a file of {own_name} may name {}", allowed()));
    }
    out
}

/// Every `.rs` file below `dir`, as paths relative to `root` with `/` separators.
fn sources(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("below src").to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("read source")));
        }
    }
}

#[test]
fn every_layer_names_only_the_layers_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    for layer in LAYERS {
        assert!(files.iter().any(|(f, _)| f.starts_with(&format!("{layer}/"))), "no folder for the {layer} layer");
    }
    let found: Vec<String> = files.iter().flat_map(|(file, source)| violations(file, source)).collect();
    assert!(
        found.is_empty(),
        "imports against the layering (schema < sql < execution < migration < session):\n{}",
        found.join("\n")
    );
}

#[test]
fn upward_imports_are_found_however_they_are_written() {
    let check = |file: &str, source: &str| violations(file, source).len();
    assert_eq!(check("sql/writer.rs", "use crate::execution::row::Row;"), 1);
    assert_eq!(check("schema/table.rs", "fn f(s: &mut crate::session::Session) {}"), 1);
    assert_eq!(check("schema/table.rs", "use crate::Session;"), 1, "root re-exports of a layer's items");
    assert_eq!(check("schema/table.rs", "use orm_core::sql::dialect::Dialect;"), 1);
    assert_eq!(check("execution/backend/sqlite.rs", "use super::super::super::session::Session;"), 1);
    assert_eq!(check("value.rs", "use crate::schema::types::SqlType;"), 1, "the base names no layer");
    assert_eq!(check("schema/link.rs", "use crate::schema::table::TableDef;\nuse crate::error::Result;"), 0);
    assert_eq!(check("session/mod.rs", "use crate::execution::engine::Engine;\nuse crate::Value;"), 0);
    assert_eq!(check("session/tests.rs", "use crate::prelude::*;"), 0, "the top layer may use the root's names");
    assert_eq!(check("execution/backend/postgres.rs", "use super::BackendConnection;"), 0);
    assert_eq!(check("lib.rs", "pub use session::Session;"), 0);
}

#[test]
fn comments_and_strings_are_not_imports() {
    let source = r##"
        /// See [`Session`](crate::session::Session).
        // crate::session is above us
        /* crate::execution */
        const A: &str = "crate::session::Session";
        const B: &str = r#"use crate::session;"#;
        const C: char = '"';
        use crate::schema::table::TableDef;
    "##;
    assert_eq!(violations("schema/model.rs", source), Vec::<String>::new());
    let found = violations("schema/model.rs", &format!("{source}\nuse crate::sql::expr::Expr;"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("schema/model.rs:10: names the sql layer"), "{}", found[0]);
}
