//! Small display helpers the templates call: dates and ids.

/// Epoch milliseconds as `YYYY-MM-DD HH:MM` UTC (the script shows it in local time).
pub fn date(ms: &i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, (rem % 3600) / 60)
}

/// Epoch milliseconds as RFC 3339 UTC, for `<time datetime=…>`.
pub fn iso(ms: &i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// The UTC day of a time, `YYYY-MM-DD` (what a date input shows).
pub fn day(ms: &i64) -> String {
    iso(ms).get(..10).unwrap_or_default().to_owned()
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The profile a user has in an organisation (askama passes arguments by reference).
pub fn profile_in<'a>(u: &'a crate::service::users::UserView, organisation_id: &i64) -> &'a str {
    u.memberships.iter().find(|m| m.organisation_id == *organisation_id).map(|m| m.profile.as_str()).unwrap_or_default()
}

/// Severity as TheHive names it (1..4).
pub fn severity(v: &i64) -> &'static str {
    crate::service::cases::status::severity_label(*v)
}

/// TLP label (TheHive 5 numbering).
pub fn tlp(v: &i64) -> &'static str {
    crate::service::cases::status::tlp_label(*v)
}

/// PAP label.
pub fn pap(v: &i64) -> &'static str {
    crate::service::cases::status::pap_label(*v)
}

/// A byte count for people: `532 B`, `14.2 KB`, `3.1 MB`.
pub fn size(bytes: &i64) -> String {
    let b = *bytes as f64;
    match *bytes {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KB", b / 1024.0),
        n if n < 1024 * 1024 * 1024 => format!("{:.1} MB", b / (1024.0 * 1024.0)),
        _ => format!("{:.1} GB", b / (1024.0 * 1024.0 * 1024.0)),
    }
}

/// Markdown (task logs, descriptions) to HTML that is safe to insert as is.
///
/// Safety: raw HTML in the source is turned into text (escaped), and link and image
/// targets are kept only for `http:`, `https:`, `mailto:` and site-relative URLs, so a
/// `javascript:` link cannot be smuggled in. Everything else pulldown-cmark emits is
/// generated markup with escaped text. Images are dropped to their alt text: the CSP
/// forbids third-party images anyway, and a tracking pixel in a log would leak readers.
pub fn markdown(src: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
    fn safe_url(url: &str) -> bool {
        let lower = url.trim().to_ascii_lowercase();
        ["http://", "https://", "mailto:"].iter().any(|p| lower.starts_with(p))
            || (lower.starts_with('/') && !lower.starts_with("//"))
            || lower.starts_with('#')
    }
    let mut in_image = 0usize;
    let events =
        Parser::new_ext(src, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS)
            .filter_map(|ev| match ev {
                Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
                Event::Start(Tag::Image { .. }) => {
                    in_image += 1;
                    None
                }
                Event::End(TagEnd::Image) => {
                    in_image = in_image.saturating_sub(1);
                    None
                }
                Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                    let dest_url = if safe_url(&dest_url) { dest_url } else { CowStr::Borrowed("#") };
                    Some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
                }
                other => Some(other),
            });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// `42` → `~42`, as the UI's URLs and TheHive's ids spell it.
pub fn id(id: &i64) -> String {
    crate::ids::render_id(*id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_safe() {
        let html = markdown(
            "**bold** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://e.org) ![i](https://t/p.gif)",
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("javascript:") && html.contains("href=\"https://e.org\""), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn dates() {
        assert_eq!(date(&0), "1970-01-01 00:00");
        assert_eq!(iso(&1_709_210_096_000), "2024-02-29T12:34:56Z");
        assert_eq!(date(&-1), "1969-12-31 23:59");
    }
}
