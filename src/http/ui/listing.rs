//! Lists with filters, sort and pagination, built as TheHive query DSL and run by the
//! query service (the same compiler and visibility rule as `POST /api/v1/query`). The UI
//! only turns its filter form into DSL filters; it never writes SQL.

use serde_json::{Value, json};

use super::filter_builder::{Advanced, FieldDef};
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::query::{self, Answer, EntityView};

/// Rows per page on every list.
pub const PAGE_SIZE: i64 = 25;

/// One page of a list: the objects in order (as their own loaders show them), and how
/// many match in all.
pub struct Slice {
    pub items: Vec<EntityView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Runs `list_name` (e.g. `listAlert`) with `filters` (ANDed), sorted by `sort` (field,
/// `asc`/`desc`), and returns page `page` (1-based).
pub async fn run(
    app: &App,
    caller: &Caller,
    list_name: &str,
    filters: Vec<Value>,
    sort: (&str, &str),
    page: i64,
) -> Result<Slice, ApiError> {
    run_from(app, caller, vec![json!({"_name": list_name})], filters, sort, page).await
}

/// Like `run`, from the DSL steps `head` (e.g. an organisation, then its `users`).
pub async fn run_from(
    app: &App,
    caller: &Caller,
    head: Vec<Value>,
    filters: Vec<Value>,
    sort: (&str, &str),
    page: i64,
) -> Result<Slice, ApiError> {
    run_sized(app, caller, head, filters, sort, (page, PAGE_SIZE)).await
}

/// Like `run_from` with `size` rows a page: `(page, size)`.
pub async fn run_sized(
    app: &App,
    caller: &Caller,
    head: Vec<Value>,
    filters: Vec<Value>,
    sort: (&str, &str),
    (page, size): (i64, i64),
) -> Result<Slice, ApiError> {
    let page = page.max(1);
    let size = size.max(1);
    let from = (page - 1) * size;
    let list_name = head.iter().filter_map(|s| s["_name"].as_str()).collect::<Vec<_>>().join(".");
    let mut steps = head;
    if !filters.is_empty() {
        steps.push(json!({"_name": "filter", "_and": filters}));
    }
    steps.push(json!({"_name": "sort", "_fields": [{ sort.0: sort.1 }]}));
    steps.push(json!({"_name": "page", "from": from, "to": from + size, "extraData": ["total"]}));
    let answer = query::run(app, caller, &json!({ "query": steps })).await?;
    let Answer::Entities { items, total, .. } = answer else {
        return Err(ApiError::Internal(format!("{list_name} did not answer entities")));
    };
    let items = items.into_iter().map(|i| i.view).collect();
    let total = total.unwrap_or_default();
    let pages = ((total + size - 1) / size).max(1);
    Ok(Slice { items, total, page, pages })
}

/// Page `page` of `head` filtered by the builder's rows, for the list
/// screens whose only filter is the builder: the slice, and the builder's refusal (the list
/// is then shown without its rows).
pub async fn with_builder(
    app: &App,
    caller: &Caller,
    head: Vec<Value>,
    adv: &Advanced,
    fields: &[FieldDef],
    sort: (&str, &str),
    page: i64,
) -> Result<(Slice, Option<String>), ApiError> {
    let mut filters = Vec::new();
    let refused = adv.apply(fields, &mut filters);
    Ok((run_from(app, caller, head, filters, sort, page).await?, refused))
}

/// `?page=N` of a list screen.
#[derive(serde::Deserialize, Default)]
pub struct PageParam {
    pub page: Option<i64>,
}

/// The first `n` objects of `list_name` (no filter), sorted by `sort`: for pickers.
pub async fn first(
    app: &App,
    caller: &Caller,
    list_name: &str,
    sort: (&str, &str),
    n: i64,
) -> Result<Vec<EntityView>, ApiError> {
    let steps = json!([
        {"_name": list_name},
        {"_name": "sort", "_fields": [{ sort.0: sort.1 }]},
        {"_name": "page", "from": 0, "to": n},
    ]);
    match query::run(app, caller, &json!({ "query": steps })).await? {
        Answer::Entities { items, .. } => Ok(items.into_iter().map(|i| i.view).collect()),
        _ => Err(ApiError::Internal(format!("{list_name} did not answer entities"))),
    }
}

/// How many objects of `list_name` match `filters`.
pub async fn count(app: &App, caller: &Caller, list_name: &str, filters: Vec<Value>) -> Result<i64, ApiError> {
    let mut steps = vec![json!({"_name": list_name})];
    if !filters.is_empty() {
        steps.push(json!({"_name": "filter", "_and": filters}));
    }
    steps.push(json!({"_name": "count"}));
    match query::run(app, caller, &json!({ "query": steps })).await? {
        Answer::Number(n) => Ok(n),
        _ => Err(ApiError::Internal(format!("{list_name} count did not answer a number"))),
    }
}

/// `field = value`.
pub fn eq(field: &str, value: impl Into<Value>) -> Value {
    json!({"_field": field, "_value": value.into()})
}

/// A case-insensitive "contains" on a text field.
pub fn contains_text(field: &str, text: &str) -> Value {
    json!({"_like": {"_field": field, "_value": format!("*{}*", text.replace('*', ""))}})
}

/// `from <= field < to` with either bound optional (epoch milliseconds).
pub fn between(field: &str, from: Option<i64>, to: Option<i64>) -> Value {
    json!({"_between": {"_field": field, "_from": from, "_to": to}})
}

/// A `YYYY-MM-DD` date input as epoch milliseconds (UTC midnight).
pub fn day_ms(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?.parse::<i64>().ok()?, it.next()?.parse::<i64>().ok()?, it.next()?.parse::<i64>().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (H. Hinnant), the inverse of format::civil_from_days.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        assert_eq!(day_ms("1970-01-01"), Some(0));
        assert_eq!(day_ms("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(day_ms("2024-13-01"), None);
        assert_eq!(day_ms("x"), None);
    }
}
