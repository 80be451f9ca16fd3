//! JSON → [`Query`]: the parser of TheHive's query DSL (spec `thehive-api.md`
//! §3), accepting both TheHive 4 and TheHive 5 (thehive4py) spellings.
//!
//! It checks shapes and the step-to-step typing, and nothing that needs an
//! entity schema (field names and value types are the compiler's job). It
//! must never panic, whatever the input: recursion through filters and
//! aggregations is bounded by [`MAX_DEPTH`], and every wrong JSON type is
//! reported as a [`QueryError`] naming where it is.

mod aggregation;
mod filter;

use serde_json::{Map, Value};

use super::ast::{
    CustomFieldType, FieldPath, IdOrName, Initial, MetaField, Order, Page, Query, Scalar, SortKey, Step, TagHint,
    Traversal,
};
use super::error::QueryError;
use super::ops::{INITIAL_NAMES, is_step_name};

pub use filter::parse_filter;

/// How deeply filters (`_and`/`_or`/`_not`) and aggregations (`_select`,
/// `_query`) may nest. Real clients stay under 10; the bound keeps hostile
/// input from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// Longest accepted field name; real ones are far shorter.
const MAX_FIELD_LEN: usize = 256;

type Object = Map<String, Value>;

/// Parse the body of `POST /api/v{N}/query`:
/// `{"query": [ ... ], "excludeFields"?: [ ... ]}`. Other top-level keys are
/// ignored, as TheHive does (query-string parameters such as `?name=cases`
/// are merged into the body fields there).
pub fn parse_query(body: &Value) -> Result<Query, QueryError> {
    let Some(body) = body.as_object() else {
        return Err(QueryError::Body(format!("expected a JSON object with \"query\", found {}", json_kind(body))));
    };
    let operations = match body.get("query") {
        Some(Value::Array(operations)) => operations,
        Some(other) => {
            return Err(QueryError::Body(format!(
                "\"query\" must be an array of operations, found {}",
                json_kind(other)
            )));
        }
        None => return Err(QueryError::Body("missing \"query\"".to_owned())),
    };
    let exclude_fields = match body.get("excludeFields") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => string_list(value).map_err(|reason| QueryError::Body(format!("\"excludeFields\" {reason}")))?,
    };
    let (initial, steps) = parse_operations(operations)?;
    Ok(Query { initial, steps, exclude_fields })
}

/// Parse the `query` array alone: an initial operation, then the steps,
/// each checked against the result of the one before.
pub fn parse_operations(operations: &[Value]) -> Result<(Initial, Vec<Step>), QueryError> {
    let Some((first, rest)) = operations.split_first() else {
        return Err(QueryError::Body("\"query\" is empty; it needs an initial operation such as listCase".to_owned()));
    };
    let (name, params) = operation(first, 0)?;
    let initial = match parse_initial(name, params, "query[0]")? {
        Some(initial) => initial,
        None if is_step_name(name) => {
            return Err(QueryError::NotInitial { step: 0, name: clip(name) });
        }
        None => {
            return Err(QueryError::UnknownOperation { step: 0, name: clip(name) });
        }
    };

    let mut current = initial.output();
    let mut steps = Vec::with_capacity(rest.len());
    for (offset, value) in rest.iter().enumerate() {
        let index = offset + 1;
        let (name, params) = operation(value, index)?;
        // Type first, parameters second: "logs does not apply to Case" is
        // more useful than a complaint about the parameters of `logs`.
        let Some(next) = current.then_named(name) else {
            return Err(not_applicable(index, name, current));
        };
        steps.push(parse_step(index, name, params)?);
        current = next;
    }
    Ok((initial, steps))
}

fn not_applicable(step: usize, name: &str, input: super::ast::Output) -> QueryError {
    if is_step_name(name) {
        let accepted = input.accepted_operations();
        let accepted = if accepted.is_empty() { "none".to_owned() } else { accepted.join(", ") };
        QueryError::NotApplicable { step, name: name.to_owned(), input, accepted }
    } else if INITIAL_NAMES.contains(&name) {
        QueryError::InitialNotFirst { step, name: name.to_owned() }
    } else {
        QueryError::UnknownOperation { step, name: clip(name) }
    }
}

/// Split `{"_name": "...", params...}`; `params` still holds `_name`.
fn operation(value: &Value, index: usize) -> Result<(&str, &Object), QueryError> {
    let invalid = |reason: String| QueryError::InvalidOperation { path: format!("query[{index}]"), reason };
    let Some(params) = value.as_object() else {
        return Err(invalid(format!("expected an object with \"_name\", found {}", json_kind(value))));
    };
    match params.get("_name") {
        Some(Value::String(name)) => Ok((name, params)),
        Some(other) => Err(invalid(format!("\"_name\" must be a string, found {}", json_kind(other)))),
        None => Err(invalid("missing \"_name\"".to_owned())),
    }
}

/// `Ok(None)` when `name` is not an initial operation.
fn parse_initial(name: &str, params: &Object, path: &str) -> Result<Option<Initial>, QueryError> {
    use Initial as I;
    let id = |key: &str| id_or_name(params, key, path);
    let initial = match name {
        "listCase" => I::ListCase,
        "getCase" => I::GetCase(id("idOrName")?),
        "countCase" => I::CountCase,
        "listAlert" => I::ListAlert,
        "getAlert" => I::GetAlert(id("idOrName")?),
        "countAlert" => I::CountAlert,
        "countUnreadAlert" => I::CountUnreadAlert,
        "countImportedAlert" => I::CountImportedAlert,
        "countRelatedAlert" => I::CountRelatedAlert { case_id: id("caseId")? },
        "listTask" => I::ListTask,
        "getTask" => I::GetTask(id("idOrName")?),
        "countTask" => I::CountTask { case_id: id("caseId")? },
        "waitingTasks" | "waitingTask" => I::WaitingTasks,
        "myTasks" => I::MyTasks,
        "listLog" => I::ListLog,
        "getLog" => I::GetLog(id("idOrName")?),
        "listObservable" => I::ListObservable,
        "getObservable" => I::GetObservable(id("idOrName")?),
        "countCaseObservable" => I::CountCaseObservable { case_id: id("caseId")? },
        "countAlertObservable" => I::CountAlertObservable { alert_id: id("alertId")? },
        "listCaseTemplate" => I::ListCaseTemplate,
        "getCaseTemplate" => I::GetCaseTemplate(id("idOrName")?),
        "listCustomField" => I::ListCustomField,
        "getCustomField" => I::GetCustomField(id("idOrName")?),
        "listObservableType" => I::ListObservableType,
        "getObservableType" => I::GetObservableType(id("idOrName")?),
        "listOrganisation" => I::ListOrganisation,
        "getOrganisation" => I::GetOrganisation(id("idOrName")?),
        "listUser" => I::ListUser,
        "getUser" => I::GetUser(id("idOrName")?),
        "currentUser" => I::CurrentUser,
        "listProfile" => I::ListProfile,
        "getProfile" => I::GetProfile(id("idOrName")?),
        "listShare" => I::ListShare,
        "getShare" => I::GetShare(id("idOrName")?),
        "listAudit" => I::ListAudit,
        "getAudit" => I::GetAudit(id("idOrName")?),
        "listAuditFromObject" => I::ListAuditFromObject { object_id: id("id")? },
        "listTag" => I::ListTag,
        "getTag" => I::GetTag(id("idOrName")?),
        "freetags" => I::Freetags,
        "countFreetags" => I::CountFreetags,
        "tagAutoComplete" => I::TagAutoComplete(tag_hint(params, path)?),
        "listTaxonomy" => I::ListTaxonomy,
        "getTaxonomy" => I::GetTaxonomy(id("idOrName")?),
        "listPattern" => I::ListPattern,
        "getPattern" => I::GetPattern(id("idOrName")?),
        "listProcedure" => I::ListProcedure,
        "getProcedure" => I::GetProcedure(id("idOrName")?),
        "listDashboard" => I::ListDashboard,
        "getDashboard" => I::GetDashboard(id("idOrName")?),
        "listComment" => I::ListComment,
        "getComment" => I::GetComment(id("idOrName")?),
        "listPage" => I::ListPage,
        "getPage" => I::GetPage(id("idOrName")?),
        "listPageTemplate" => I::ListPageTemplate,
        "getPageTemplate" => I::GetPageTemplate(id("idOrName")?),
        "listJob" => I::ListJob,
        "listAction" => I::ListAction,
        _ => return Ok(None),
    };
    Ok(Some(initial))
}

/// A step after the first; the caller has checked that `name` applies.
/// Parameters a step does not use are ignored, as in TheHive.
fn parse_step(index: usize, name: &str, params: &Object) -> Result<Step, QueryError> {
    let path = format!("query[{index}]");
    let step = match name {
        "filter" => Step::Filter(filter::parse_step_filter(params, &path)?),
        "sort" => Step::Sort(parse_sort(params, &path)?),
        "page" => Step::Page(parse_page(params, &path)?),
        "count" => Step::Count,
        "limitedCount" => Step::LimitedCount,
        "aggregation" => Step::Aggregation(aggregation::parse_top(params, &path)?),
        "similarCases" => Step::SimilarCases {
            case_filter: match params.get("caseFilter") {
                None | Some(Value::Null) => None,
                Some(value) => Some(filter::parse_filter_at(value, &format!("{path}.caseFilter"), 0)?),
            },
        },
        _ => match Traversal::from_name(name) {
            Some(traversal) => Step::Traverse(traversal),
            None => {
                return Err(QueryError::UnknownOperation { step: index, name: clip(name) });
            }
        },
    };
    Ok(step)
}

/// `{"_name": "sort", "_fields": [{"_createdAt": "desc"}, "-title", "+tlp", "flag"]}`
fn parse_sort(params: &Object, path: &str) -> Result<Vec<SortKey>, QueryError> {
    let fields_path = format!("{path}._fields");
    let invalid = |path: String, reason: String| QueryError::InvalidParameter { path, reason };
    let entries = match params.get("_fields") {
        Some(Value::Array(entries)) => entries,
        Some(other) => {
            return Err(invalid(fields_path, format!("expects an array of sort keys, found {}", json_kind(other))));
        }
        None => return Err(invalid(fields_path, "missing \"_fields\"".to_owned())),
    };
    let mut keys = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let entry_path = format!("{fields_path}[{i}]");
        let (name, order) = match entry {
            Value::String(spec) => match (spec.strip_prefix('-'), spec.strip_prefix('+')) {
                (Some(name), _) => (name, Order::Desc),
                (_, Some(name)) => (name, Order::Asc),
                _ => (spec.as_str(), Order::Asc),
            },
            Value::Object(one) if one.len() == 1 => {
                let Some((name, order)) = one.iter().next() else {
                    continue;
                };
                let order = match order.as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("asc") => Order::Asc,
                    Some("desc") => Order::Desc,
                    _ => {
                        return Err(invalid(
                            format!("{entry_path}.{}", clip(name)),
                            format!("sort order must be \"asc\" or \"desc\", found {}", show(order)),
                        ));
                    }
                };
                (name.as_str(), order)
            }
            other => {
                return Err(invalid(
                    entry_path,
                    format!("expects {{\"<field>\": \"asc\"|\"desc\"}} or \"[+-]<field>\", found {}", json_kind(other)),
                ));
            }
        };
        let field = field_path(name).map_err(|reason| invalid(entry_path, reason))?;
        keys.push(SortKey { field, order });
    }
    Ok(keys)
}

/// `{"_name": "page", "from": 0, "to": 15, "extraData": ["..."], "organisation"?: "..."}`
fn parse_page(params: &Object, path: &str) -> Result<Page, QueryError> {
    let invalid = |key: &str, reason: String| QueryError::InvalidParameter { path: format!("{path}.{key}"), reason };
    let bound = |key: &str| match params.get(key) {
        Some(value) => {
            value.as_u64().ok_or_else(|| invalid(key, format!("expects a non-negative integer, found {}", show(value))))
        }
        None => Err(invalid(key, format!("missing \"{key}\""))),
    };
    let from = bound("from")?;
    let to = bound("to")?;
    if to < from {
        return Err(invalid("to", format!("\"to\" ({to}) must not be less than \"from\" ({from})")));
    }
    let extra_data = match params.get("extraData") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => string_list(value).map_err(|reason| invalid("extraData", reason))?,
    };
    let organisation = optional_string(params, "organisation").map_err(|reason| invalid("organisation", reason))?;
    Ok(Page { from, to, extra_data, organisation })
}

/// A required `idOrName`-like parameter: a non-empty string, or a number
/// (a case number written as JSON number).
fn id_or_name(params: &Object, key: &str, path: &str) -> Result<IdOrName, QueryError> {
    let invalid = |reason: String| QueryError::InvalidParameter { path: format!("{path}.{key}"), reason };
    match params.get(key) {
        Some(Value::String(s)) if s.is_empty() => Err(invalid("must not be empty".to_owned())),
        Some(Value::String(s)) => Ok(IdOrName::new(s.clone())),
        Some(Value::Number(n)) if n.is_u64() => Ok(IdOrName::Name(n.to_string())),
        Some(other) => Err(invalid(format!("expects an id or name string, found {}", show(other)))),
        None => Err(invalid(format!("missing \"{key}\""))),
    }
}

fn tag_hint(params: &Object, path: &str) -> Result<TagHint, QueryError> {
    let invalid = |key: &str, reason: String| QueryError::InvalidParameter { path: format!("{path}.{key}"), reason };
    let text = |key: &str| optional_string(params, key).map_err(|reason| invalid(key, reason));
    let limit = match params.get("limit") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .ok_or_else(|| invalid("limit", format!("expects a non-negative integer, found {}", show(value))))?,
        ),
    };
    Ok(TagHint {
        free_tag: text("freeTag")?,
        namespace: text("namespace")?,
        predicate: text("predicate")?,
        value: text("value")?,
        limit,
    })
}

/// An optional string parameter; JSON `null` counts as absent.
fn optional_string(params: &Object, key: &str) -> Result<Option<String>, String> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("expects a string, found {}", show(other))),
    }
}

/// An array of strings, e.g. `extraData` or `excludeFields`.
fn string_list(value: &Value) -> Result<Vec<String>, String> {
    let Value::Array(items) = value else {
        return Err(format!("expects an array of strings, found {}", json_kind(value)));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("expects an array of strings, found {} at index {i}", json_kind(other))),
        })
        .collect()
}

/// Read a field name: a meta field (`_createdAt`), a custom field
/// (`customFields.<name>[.<type>]`) or a plain property. Whether the entity
/// has it is left to the compiler. The error is a reason, without a path.
fn field_path(name: &str) -> Result<FieldPath, String> {
    if name.is_empty() {
        return Err("field name is empty".to_owned());
    }
    if name.len() > MAX_FIELD_LEN {
        return Err(format!("field name is longer than {MAX_FIELD_LEN} bytes"));
    }
    if name.starts_with('_') {
        return MetaField::ALL.into_iter().find(|meta| meta.as_str() == name).map(FieldPath::Meta).ok_or_else(|| {
            format!(
                "unknown meta field \"{name}\"; meta fields are _id, _createdAt, \
                     _createdBy, _updatedAt and _updatedBy"
            )
        });
    }
    let Some(rest) = name.strip_prefix("customFields") else {
        return Ok(FieldPath::Plain(name.to_owned()));
    };
    let Some(rest) = rest.strip_prefix('.') else {
        if rest.is_empty() {
            return Err("\"customFields\" needs a name: customFields.<name>".to_owned());
        }
        // e.g. "customFieldsCount": an ordinary property name.
        return Ok(FieldPath::Plain(name.to_owned()));
    };
    let (cf_name, kind) = match rest.split_once('.') {
        None => (rest, None),
        Some((cf_name, kind)) => {
            let kind = CustomFieldType::ALL.into_iter().find(|k| k.as_str() == kind).ok_or_else(|| {
                format!(
                    "unknown custom field type \"{kind}\" in \"{name}\"; expected \
                         string, integer, float, boolean, date or url"
                )
            })?;
            (cf_name, Some(kind))
        }
    };
    if cf_name.is_empty() {
        return Err(format!("custom field name is empty in \"{name}\""));
    }
    Ok(FieldPath::CustomField { name: cf_name.to_owned(), kind })
}

/// A JSON scalar. Integers beyond `i64` are refused rather than rounded.
fn scalar(value: &Value) -> Result<Scalar, String> {
    match value {
        Value::String(s) => Ok(Scalar::Str(s.clone())),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::Null => Ok(Scalar::Null),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Scalar::Int(i))
            } else if n.is_u64() {
                Err(format!("integer {n} is out of range"))
            } else {
                n.as_f64().map(Scalar::Float).ok_or_else(|| format!("number {n} is not representable"))
            }
        }
        Value::Array(_) | Value::Object(_) => {
            Err(format!("expects a string, number, boolean or null, found {}", json_kind(value)))
        }
    }
}

/// "a string", "an array", ... for error messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A client-supplied name echoed in a message, cut so that a hostile
/// megabyte-long key cannot become a megabyte-long error.
fn clip(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
    }
}

/// `"text"`, clipped, for messages.
fn quote(text: &str) -> String {
    format!("\"{}\"", clip(text))
}

/// A short rendering of a scalar for messages (`"desc"`, `-1`), or its kind.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => quote(s),
        Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
        other => json_kind(other).to_owned(),
    }
}
