//! Full-text search: the `_string` operator of the query DSL and the global search
//! endpoint, over the `<table>_fts` indexes of `migrations/*/0004_fulltext.sql` (SQLite
//! FTS5 external-content tables; PostgreSQL `tsvector` tables with a GIN index), which
//! triggers keep in the same transaction as the rows.
//!
//! Search text syntax, the same on both backends: whitespace-separated terms that must all
//! match (case and accents ignored), `"quoted phrases"` whose words must be adjacent and in
//! order, and `word*` for a prefix. Nothing else is an operator, so no input can produce an
//! invalid FTS query (which would be a 500). Ranking: BM25 on SQLite, `ts_rank` on
//! PostgreSQL, the first indexed column (title, data or message) weighing most, among the
//! most recent matches of each entity type (see `search_statement`).

use super::builder::Builder;
use super::compile::visibility;
use super::dialect;
use crate::query::{Entity, QueryError};
use crate::storage::Backend;
#[cfg(test)]
use crate::storage::Value;

/// Most terms one search may have, and longest term: real searches are far smaller.
const MAX_TERMS: usize = 16;
const MAX_TERM_LEN: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Phrase(String),
    Prefix(String),
}

/// Splits search text into terms. Terms without any letter or digit are dropped (they
/// could never match); `Ok(empty)` means "nothing to search for".
pub fn parse_terms(text: &str) -> Result<Vec<Term>, QueryError> {
    let mut terms = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let term = if c == '"' {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            Term::Phrase(phrase.split_whitespace().collect::<Vec<_>>().join(" "))
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            match word.strip_suffix('*') {
                Some(stem) => Term::Prefix(stem.trim_end_matches('*').to_owned()),
                None => Term::Word(word),
            }
        };
        let body = match &term {
            Term::Word(s) | Term::Phrase(s) | Term::Prefix(s) => s,
        };
        if body.chars().count() > MAX_TERM_LEN {
            return Err(too_big(format!("a search term is longer than {MAX_TERM_LEN} characters")));
        }
        if body.chars().any(char::is_alphanumeric) {
            terms.push(term);
        }
        if terms.len() > MAX_TERMS {
            return Err(too_big(format!("a search has at most {MAX_TERMS} terms")));
        }
    }
    Ok(terms)
}

fn too_big(reason: String) -> QueryError {
    QueryError::InvalidFilter { path: "_string".to_owned(), reason }
}

/// The FTS5 MATCH string: every term quoted (quotes cannot occur inside: the parser
/// splits on them), so FTS5 operators in the input are plain text.
fn fts5_query(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| match t {
            Term::Word(s) | Term::Phrase(s) => format!("\"{s}\""),
            Term::Prefix(s) => format!("\"{s}\"*"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A PostgreSQL `tsquery` expression for the terms, each bound as a parameter.
fn tsquery(b: &mut Builder, terms: &[Term]) -> String {
    let parts: Vec<String> = terms
        .iter()
        .map(|t| match t {
            Term::Word(s) => format!("plainto_tsquery('simple', {})", b.bind(s.as_str())),
            Term::Phrase(s) => format!("phraseto_tsquery('simple', {})", b.bind(s.as_str())),
            Term::Prefix(s) => {
                // Letters and digits only reach to_tsquery, so its syntax cannot be used.
                let runs: Vec<String> =
                    s.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()).map(str::to_lowercase).collect();
                let mut text = runs.join(" & ");
                text.push_str(":*");
                format!("to_tsquery('simple', {})", b.bind(text))
            }
        })
        .collect();
    format!("({})", parts.join(" && "))
}

/// The `_string` predicate on the row `alias` of a table indexed by `index`; `None` when
/// the text has no searchable term (matches everything).
pub fn predicate(b: &mut Builder, index: &str, alias: &str, text: &str) -> Result<Option<String>, QueryError> {
    let terms = parse_terms(text)?;
    if terms.is_empty() {
        return Ok(None);
    }
    Ok(Some(match b.backend {
        Backend::Sqlite => {
            let p = b.bind(fts5_query(&terms));
            // For a sorted page, `+` keeps SQLite from driving the query by the match list
            // (look up every match, check its visibility, sort them all, keep 15): it walks
            // the sort's index instead and stops at the page's end, testing membership in
            // the match list. At a million cases a common term matched 223,000 cases:
            // 329 ms by the match list, 31 ms by the ordered walk (a term matching nothing
            // walks the whole index, 53 ms). Counts keep the match-driven plan.
            let id = if b.sorted_page { format!("+{alias}.id") } else { format!("{alias}.id") };
            format!("{id} IN (SELECT rowid FROM {index} WHERE {index} MATCH {p})")
        }
        Backend::Postgres => {
            let q = tsquery(b, &terms);
            format!("{alias}.id IN (SELECT f.id FROM {index} f WHERE f.doc @@ {q})")
        }
    }))
}

/// One searchable entity of the global search: its tables and the columns of a hit.
struct Searchable {
    entity: Entity,
    table: &'static str,
    index: &'static str,
    title: &'static str,
    case_id: &'static str,
    alert_id: &'static str,
    task_id: &'static str,
}

const NONE: &str = "CAST(NULL AS BIGINT)";

const SEARCHABLE: &[Searchable] = &[
    Searchable {
        entity: Entity::Case,
        table: "cases",
        index: "cases_fts",
        title: "t.title",
        case_id: NONE,
        alert_id: NONE,
        task_id: NONE,
    },
    Searchable {
        entity: Entity::Alert,
        table: "alert",
        index: "alert_fts",
        title: "t.title",
        case_id: "t.case_id",
        alert_id: NONE,
        task_id: NONE,
    },
    Searchable {
        entity: Entity::Observable,
        table: "observable",
        index: "observable_fts",
        title: "COALESCE(t.data, t.attachment_name)",
        case_id: "t.case_id",
        alert_id: "t.alert_id",
        task_id: NONE,
    },
    Searchable {
        entity: Entity::Task,
        table: "task",
        index: "task_fts",
        title: "t.title",
        case_id: "t.case_id",
        alert_id: NONE,
        task_id: NONE,
    },
    Searchable {
        entity: Entity::Log,
        table: "log",
        index: "log_fts",
        title: "substr(t.message, 1, 200)",
        case_id: "(SELECT lt.case_id FROM task lt WHERE lt.id = t.task_id)",
        alert_id: NONE,
        task_id: "t.task_id",
    },
    Searchable {
        entity: Entity::Comment,
        table: "comment",
        index: "comment_fts",
        title: "substr(t.message, 1, 200)",
        case_id: "t.case_id",
        alert_id: "t.alert_id",
        task_id: NONE,
    },
    Searchable {
        entity: Entity::Page,
        table: "page",
        index: "page_fts",
        title: "t.title",
        case_id: "t.case_id",
        alert_id: NONE,
        task_id: NONE,
    },
];

/// The entities the global search covers, in the order of the API documentation.
pub fn searchable_entities() -> impl Iterator<Item = Entity> {
    SEARCHABLE.iter().map(|s| s.entity)
}

/// The one statement of a global search: for each entity, its best `from + size` visible
/// matches, merged by score. Columns: kind, id, score, title, case_id, alert_id, task_id,
/// created_at. `None` when the text has no searchable term.
///
/// With `window`, each entity's candidates are its `window` most recent matches (read from
/// the index in id order, which costs no ranking), ranked among themselves: relevance
/// within recent history, in time independent of how common the terms are. The executor
/// runs the statement again without a window when a windowed answer comes out short.
pub fn search_statement(
    b: &mut Builder,
    text: &str,
    entities: &[Entity],
    from: u64,
    size: u64,
    window: Option<u64>,
) -> Result<Option<String>, QueryError> {
    let terms = parse_terms(text)?;
    if terms.is_empty() {
        return Ok(None);
    }
    let per_arm = from + size;
    // FTS5 walks a doclist backwards for `ORDER BY rowid DESC`; PostgreSQL sorts the ids
    // of the bitmap scan, without computing a single rank.
    let newest = |column: &str| window.map(|w| format!(" ORDER BY {column} DESC LIMIT {w}")).unwrap_or_default();
    let mut arms = Vec::new();
    for (n, s) in SEARCHABLE.iter().filter(|s| entities.contains(&s.entity)).enumerate() {
        let candidates = match b.backend {
            Backend::Sqlite => {
                let p = b.bind(fts5_query(&terms));
                format!(
                    "SELECT rowid AS id, -bm25({idx}, 4.0) AS score FROM {idx} WHERE {idx} MATCH {p}{}",
                    newest("rowid"),
                    idx = s.index
                )
            }
            Backend::Postgres => {
                let q = tsquery(b, &terms);
                let score = dialect::as_double(Backend::Postgres, &format!("ts_rank(f.doc, {q})"));
                format!("SELECT f.id AS id, {score} AS score FROM {} f WHERE f.doc @@ {q}{}", s.index, newest("f.id"))
            }
        };
        let visible = visibility(b, s.entity, "t");
        arms.push(format!(
            "SELECT * FROM (SELECT CAST('{kind}' AS TEXT) AS kind, t.id AS id, c.score AS score, {title} AS title, \
             {case_id} AS case_id, {alert_id} AS alert_id, {task_id} AS task_id, t.created_at AS created_at \
             FROM ({candidates}) c JOIN {table} t ON t.id = c.id WHERE {visible} \
             ORDER BY c.score DESC, t.id DESC LIMIT {per_arm}) s{n}",
            kind = s.entity.label(),
            title = s.title,
            case_id = s.case_id,
            alert_id = s.alert_id,
            task_id = s.task_id,
            table = s.table,
        ));
    }
    if arms.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "SELECT kind, id, score, title, case_id, alert_id, task_id, created_at FROM ({}) hits \
         ORDER BY score DESC, created_at DESC, id DESC LIMIT {size} OFFSET {from}",
        arms.join(" UNION ALL ")
    )))
}

/// Bound values are only ever text here; kept as a helper for the tests below.
#[cfg(test)]
fn texts(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            Value::Text(Some(s)) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::storage::Scope;
    use crate::storage::query::builder::{Limits, QueryContext};

    #[test]
    fn terms() {
        let t = parse_terms(r#"  phishing "evil corp" mal* -- 198.51.100.7 "#).unwrap();
        assert_eq!(
            t,
            vec![
                Term::Word("phishing".into()),
                Term::Phrase("evil corp".into()),
                Term::Prefix("mal".into()),
                Term::Word("198.51.100.7".into()),
            ]
        );
        assert!(parse_terms("   \"\" ** -").unwrap().is_empty());
        assert!(parse_terms(&"a ".repeat(40)).is_err());
    }

    #[test]
    fn fts5_operators_are_quoted_away() {
        let t = parse_terms("NEAR(a b) OR title:x").unwrap();
        assert_eq!(fts5_query(&t), r#""NEAR(a" "b)" "OR" "title:x""#);
    }

    #[test]
    fn postgres_prefix_keeps_letters_only() {
        let ctx = QueryContext { scope: Scope::new(1, false), user_id: 1, login: "a@b".into() };
        let cfs = HashMap::new();
        let limits = Limits { max_results: 10, limited_count_threshold: 10 };
        let mut b = Builder::new(Backend::Postgres, &ctx, limits, &cfs);
        let sql = tsquery(&mut b, &[Term::Prefix("o'brien:*|x".into())]);
        assert_eq!(sql, "(to_tsquery('simple', $1))");
        assert_eq!(texts(&b.into_args()), vec!["o & brien & x:*".to_owned()]);
    }
}
