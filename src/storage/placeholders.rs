//! SQLite binding by position.
//!
//! Every statement is written once with `$1, $2, …` (both engines accept it). SQLite binds
//! a `$n` parameter by name: sqlx asks `sqlite3_bind_parameter_name` for each parameter,
//! and SQLite answers with a linear scan of the statement's parameter list, so a statement
//! with n parameters costs n²/2 string compares before it runs. A multi-row INSERT of ten
//! observables has 190 parameters; on the single writer thread this was 8 % of all the work
//! of an alert ingestion. When the `$n` of a statement appear exactly in the order 1, 2, …,
//! each once, plain `?` binds the same values by position with no lookup at all.

use std::borrow::Cow;

/// `sql` with `$1 … $n` replaced by `?` when they occur once each in increasing order
/// outside literals, identifiers and comments; otherwise `sql` unchanged (SQLite still
/// accepts `$n`, which is then bound by name).
pub fn positional(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `sql` already copied into `out`
    let mut expected = 1u64;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                // A quoted literal or identifier; a doubled quote is an escaped one.
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'$' => {
                let start = i;
                i += 1;
                let digits = i;
                let mut n = 0u64;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    n = n.saturating_mul(10).saturating_add(u64::from(bytes[i] - b'0'));
                    i += 1;
                }
                if i == digits {
                    return Cow::Borrowed(sql); // `$name`: not ours to touch
                }
                if n != expected {
                    return Cow::Borrowed(sql); // reused or out of order: bind by name
                }
                expected += 1;
                let buf = out.get_or_insert_with(|| String::with_capacity(sql.len()));
                buf.push_str(&sql[copied..start]);
                buf.push('?');
                copied = i;
            }
            _ => i += 1,
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&sql[copied.min(sql.len())..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(sql),
    }
}

/// Appends `($base+1, …, $base+n)`, one row of a multi-row INSERT whose earlier rows took
/// `base` values (no temporary strings: this runs for every row of every ingested alert).
pub fn push_row(sql: &mut String, base: usize, n: usize) {
    use std::fmt::Write;
    sql.push('(');
    for k in 1..=n {
        if k > 1 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "${}", base + k);
    }
    sql.push(')');
}

#[cfg(test)]
mod tests {
    use super::positional;

    #[test]
    fn in_order_placeholders_become_positional() {
        assert_eq!(positional("INSERT INTO t (a, b) VALUES ($1, $2)"), "INSERT INTO t (a, b) VALUES (?, ?)");
        assert_eq!(
            positional("SELECT * FROM t WHERE a = $1 AND b IN ($2,$3)"),
            "SELECT * FROM t WHERE a = ? AND b IN (?,?)"
        );
        assert_eq!(
            positional("VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, $10), ($11, $12)").matches('?').count(),
            12
        );
    }

    #[test]
    fn reused_or_unordered_placeholders_stay_named() {
        for sql in ["SELECT $1, $1", "SELECT $2, $1", "SELECT $1, $3", "SELECT $0"] {
            assert_eq!(positional(sql), sql);
        }
    }

    #[test]
    fn literals_identifiers_and_comments_are_left_alone() {
        assert_eq!(
            positional(
                "SELECT json_extract(x, '$.a'), \"$2\" FROM t -- $9\nWHERE a = $1 /* $4 */ AND b = 'it''s $3' AND c = $2"
            ),
            "SELECT json_extract(x, '$.a'), \"$2\" FROM t -- $9\nWHERE a = ? /* $4 */ AND b = 'it''s $3' AND c = ?"
        );
        assert_eq!(positional("SELECT '$1'"), "SELECT '$1'");
        assert_eq!(positional("SELECT 1"), "SELECT 1");
        assert_eq!(positional("SELECT $name"), "SELECT $name");
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for sql in ["SELECT '", "SELECT /* ", "SELECT $", "SELECT $1 '", "--", "$1"] {
            let _ = positional(sql);
        }
    }
}
