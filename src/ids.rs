//! TheHive's identifier format: every object id is rendered `~<number>`.

/// `"~42"` → `Some(42)`. Anything else (a name, a number without `~`) → `None`.
pub fn parse_id(s: &str) -> Option<i64> {
    s.strip_prefix('~')?.parse::<i64>().ok().filter(|n| *n > 0)
}

/// `42` → `"~42"`.
pub fn render_id(id: i64) -> String {
    format!("~{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(parse_id("~42"), Some(42));
        assert_eq!(parse_id("42"), None);
        assert_eq!(parse_id("~x"), None);
        assert_eq!(parse_id("~-1"), None);
        assert_eq!(render_id(7), "~7");
    }
}
