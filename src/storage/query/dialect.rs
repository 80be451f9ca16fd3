//! The few SQL fragments that differ between SQLite and PostgreSQL, each behind a small
//! named function so that the compiler writes every statement once.
//!
//! Nothing here knows about entities or the query DSL: only spellings.

use crate::storage::Backend;

/// Case-insensitive `LIKE`. SQLite's `LIKE` already ignores ASCII case (and only ASCII);
/// PostgreSQL needs `ILIKE`. Patterns escape `%`, `_` and `\` with a backslash.
pub fn ilike(backend: Backend, expr: &str, placeholder: &str) -> String {
    match backend {
        Backend::Sqlite => format!("{expr} LIKE {placeholder} ESCAPE '\\'"),
        Backend::Postgres => format!("{expr} ILIKE {placeholder} ESCAPE '\\'"),
    }
}

/// Escapes a literal so that it matches itself inside a `LIKE` pattern.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `ORDER BY` direction with the NULL placement of PostgreSQL on both backends (NULLs
/// sort as the largest value). Only nullable expressions get an explicit clause, so that
/// ordering on indexed NOT NULL columns keeps using their index on SQLite.
pub fn order(backend: Backend, expr: &str, descending: bool, nullable: bool, text: bool) -> String {
    let expr = match (backend, text) {
        // Byte order, as SQLite's BINARY collation, whatever the database locale.
        (Backend::Postgres, true) => format!("{expr} COLLATE \"C\""),
        _ => expr.to_owned(),
    };
    let dir = if descending { "DESC" } else { "ASC" };
    match (backend, nullable) {
        (Backend::Sqlite, true) => {
            format!("{expr} {dir} {}", if descending { "NULLS FIRST" } else { "NULLS LAST" })
        }
        _ => format!("{expr} {dir}"),
    }
}

/// Cast of a floating-point SQL expression to the type both drivers decode as `f64`
/// (`ts_rank` is `real` on PostgreSQL).
pub fn as_double(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => expr.to_owned(),
        Backend::Postgres => format!("CAST({expr} AS DOUBLE PRECISION)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escaping() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(like_escape("plain"), "plain");
    }

    #[test]
    fn null_ordering_only_where_needed() {
        assert_eq!(order(Backend::Sqlite, "a.x", true, false, false), "a.x DESC");
        assert_eq!(order(Backend::Sqlite, "a.x", false, true, false), "a.x ASC NULLS LAST");
        assert_eq!(order(Backend::Postgres, "a.x", false, true, true), "a.x COLLATE \"C\" ASC");
    }
}
