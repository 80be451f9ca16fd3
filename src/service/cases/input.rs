//! Reading a case creation request (TheHive 5 `InputCase`, TheHive 4 spellings accepted:
//! `user` for `assignee`, `customFieldValues` for `customFields`).

use serde_json::Value;

use super::status::IMPACT;
use crate::error::ApiError;
use crate::service::custom_fields::{ValueInput, read_values_any};
use crate::service::input::{nest, opt_array, opt_date, opt_enum, opt_level, opt_tags};
use crate::service::sharing::ShareInput;
use crate::service::sharing::input::opt_rule;
use crate::service::{object, opt_bool, opt_str, req_str};
use crate::storage::pages::NewPage;
use crate::storage::tasks::NewTask;

/// A checked case creation request. Everything that needs the database (template, custom
/// field names, assignee membership, status names) is checked by `create_in`.
#[derive(Debug, Clone, Default)]
pub struct CaseInput {
    pub title: String,
    /// Required unless the template gives one.
    pub description: Option<String>,
    pub severity: Option<i64>,
    pub tlp: Option<i64>,
    pub pap: Option<i64>,
    pub flag: Option<bool>,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub tags: Vec<String>,
    pub status: Option<String>,
    pub resolution_status: Option<String>,
    pub impact_status: Option<String>,
    pub summary: Option<String>,
    pub assignee: Option<String>,
    pub custom_fields: Option<Vec<ValueInput>>,
    pub case_template: Option<String>,
    pub tasks: Vec<NewTask>,
    pub pages: Vec<NewPage>,
    pub task_rule: Option<String>,
    pub observable_rule: Option<String>,
    /// TheHive 5's local sharing rules: the shares to make (or not) at creation.
    pub sharing_parameters: Option<Vec<ShareInput>>,
}

impl CaseInput {
    pub fn parse(body: &Value) -> Result<CaseInput, ApiError> {
        object(body)?;
        let title = req_str(body, "title")?;
        let description = opt_str(body, "description")?;
        let assignee = match opt_str(body, "assignee")? {
            Some(a) => Some(a),
            None => opt_str(body, "user")?,
        }
        .filter(|a| !a.trim().is_empty())
        .map(|a| crate::auth::caller::normalise_login(&a));
        let mut tasks = Vec::new();
        for (i, t) in opt_array(body, "tasks")?.into_iter().flatten().enumerate() {
            tasks.push(crate::service::tasks::parse_new(t).map_err(|e| nest(&format!("tasks[{i}]"), e))?);
        }
        let mut pages = Vec::new();
        for (i, p) in opt_array(body, "pages")?.into_iter().flatten().enumerate() {
            pages.push(crate::service::pages::parse_new(p).map_err(|e| nest(&format!("pages[{i}]"), e))?);
        }
        let case_template = opt_str(body, "caseTemplate")?.filter(|t| !t.trim().is_empty());
        Ok(CaseInput {
            title,
            description,
            severity: opt_level(body, "severity", 1, 4)?,
            tlp: opt_level(body, "tlp", 0, 4)?,
            pap: opt_level(body, "pap", 0, 3)?,
            flag: opt_bool(body, "flag")?,
            start_date: opt_date(body, "startDate")?,
            end_date: opt_date(body, "endDate")?,
            tags: opt_tags(body, "tags")?.unwrap_or_default(),
            status: opt_str(body, "status")?,
            resolution_status: opt_str(body, "resolutionStatus")?,
            impact_status: opt_enum(body, "impactStatus", IMPACT)?,
            summary: opt_str(body, "summary")?,
            assignee,
            custom_fields: read_values_any(body, &["customFields", "customFieldValues"])?,
            case_template,
            tasks,
            pages,
            task_rule: opt_rule(body, "taskRule")?,
            observable_rule: opt_rule(body, "observableRule")?,
            sharing_parameters: match opt_array(body, "sharingParameters")? {
                Some(items) => Some(ShareInput::parse_list(items, "sharingParameters")?),
                None => None,
            },
        })
    }
}
