//! The field catalogue: for every entity the query DSL can reach, its table and the
//! properties a filter, a sort or the generic renderer may name, each mapped to an SQL
//! expression over the tables of `migrations/*/0001` and `0002`, with the type used to
//! check literals (`Field "severity" expects a number`).
//!
//! Names are TheHive's (spec §1): 5.x output names, plus the 4.x filter-only properties
//! clients still send (`imported`, `owner`, `base`, ...). In expressions `{t}` stands for
//! the row's alias, `{org}` for the caller's organisation id and `{login}` for its login;
//! subqueries use `cat_*` aliases, which nothing else uses.
//!
//! This module holds data only; `filter.rs` and `compile.rs` turn it into SQL.

use crate::query::ast::{CustomFieldType, FieldPath, MetaField};
use crate::query::{Entity, QueryError};

/// How a literal compared with a property is checked and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Integer,
    Float,
    Bool,
    /// Epoch milliseconds.
    Date,
    /// An internal id, written `~123` in the API.
    Id,
    /// A JSON document stored as text: compared as text, rendered as JSON.
    Json,
}

impl FieldType {
    /// "a number", ... for `Field "x" expects ...` messages.
    pub fn expected(self) -> &'static str {
        match self {
            FieldType::Text | FieldType::Json => "a string",
            FieldType::Integer | FieldType::Float => "a number",
            FieldType::Bool => "a boolean",
            FieldType::Date => "a date (milliseconds since the epoch)",
            FieldType::Id => "an id such as \"~123\"",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, FieldType::Text | FieldType::Json)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One value per row: an SQL expression.
    Expr(&'static str),
    /// A set of strings kept in a join table `table(fk, tag)`; matches if any element
    /// does. Rendered from the JSON copy in `{t}.tags`.
    Tags { table: &'static str, fk: &'static str },
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub shape: Shape,
    pub nullable: bool,
    /// Rendered by the generic renderer (filter-only properties are not).
    pub output: bool,
}

const fn col(name: &'static str, sql: &'static str, ty: FieldType) -> Field {
    Field { name, ty, shape: Shape::Expr(sql), nullable: false, output: true }
}

const fn opt(name: &'static str, sql: &'static str, ty: FieldType) -> Field {
    Field { name, ty, shape: Shape::Expr(sql), nullable: true, output: true }
}

/// A property that can be filtered and sorted on but is not part of the output.
const fn hidden(name: &'static str, sql: &'static str, ty: FieldType) -> Field {
    Field { name, ty, shape: Shape::Expr(sql), nullable: true, output: false }
}

const fn tags(table: &'static str, fk: &'static str) -> Field {
    Field { name: "tags", ty: FieldType::Text, shape: Shape::Tags { table, fk }, nullable: false, output: true }
}

use FieldType::{Bool, Date, Float, Id, Integer, Json, Text};

/// Everything the compiler needs to know about one entity.
#[derive(Debug)]
pub struct EntityDef {
    pub entity: Entity,
    pub table: &'static str,
    pub fields: &'static [Field],
    /// `custom_field_value.owner_kind` when the entity carries custom fields.
    pub custom_fields: Option<&'static str>,
    /// False for tables without `updated_by`/`updated_at` (audit).
    pub updatable: bool,
    /// The full-text index of the entity, if it has one (migrations/*/0004_fulltext.sql).
    pub fulltext: Option<&'static str>,
}

const CASE: &[Field] = &[
    col("number", "{t}.number", Integer),
    col("title", "{t}.title", Text),
    col("description", "{t}.description", Text),
    col("severity", "{t}.severity", Integer),
    col("tlp", "{t}.tlp", Integer),
    col("pap", "{t}.pap", Integer),
    col("startDate", "{t}.start_date", Date),
    opt("endDate", "{t}.end_date", Date),
    col("flag", "{t}.flag", Bool),
    col("status", "{t}.status", Text),
    col("stage", "{t}.stage", Text),
    opt("resolutionStatus", "{t}.resolution_status", Text),
    opt("impactStatus", "{t}.impact_status", Text),
    opt("summary", "{t}.summary", Text),
    opt("assignee", "{t}.assignee", Text),
    hidden("owner", "{t}.assignee", Text),
    opt("caseTemplate", "{t}.case_template", Text),
    tags("case_tag", "case_id"),
    opt("taskRule", "{t}.task_rule", Text),
    opt("observableRule", "{t}.observable_rule", Text),
    opt("newDate", "{t}.new_date", Date),
    opt("inProgressDate", "{t}.in_progress_date", Date),
    opt("closedDate", "{t}.closed_date", Date),
    hidden(
        "owningOrganisation",
        "(SELECT cat_o.name FROM organisation cat_o WHERE cat_o.id = {t}.organisation_id)",
        Text,
    ),
    hidden(
        "actionRequired",
        "EXISTS (SELECT 1 FROM task cat_t JOIN task_action_required cat_r ON cat_r.task_id = cat_t.id \
         WHERE cat_t.case_id = {t}.id AND cat_r.organisation_id = {org} AND cat_r.action_required = TRUE)",
        Bool,
    ),
];

const ALERT: &[Field] = &[
    col("type", "{t}.type", Text),
    col("source", "{t}.source", Text),
    col("sourceRef", "{t}.source_ref", Text),
    opt("externalLink", "{t}.external_link", Text),
    col("title", "{t}.title", Text),
    col("description", "{t}.description", Text),
    col("severity", "{t}.severity", Integer),
    col("tlp", "{t}.tlp", Integer),
    col("pap", "{t}.pap", Integer),
    col("date", "{t}.date", Date),
    opt("lastSyncDate", "{t}.last_sync_date", Date),
    tags("alert_tag", "alert_id"),
    col("flag", "{t}.flag", Bool),
    col("status", "{t}.status", Text),
    col("stage", "{t}.stage", Text),
    col("read", "{t}.read", Bool),
    col("follow", "{t}.follow", Bool),
    opt("summary", "{t}.summary", Text),
    opt("assignee", "{t}.assignee", Text),
    opt("caseTemplate", "{t}.case_template", Text),
    opt("caseId", "{t}.case_id", Id),
    hidden("case", "{t}.case_id", Id),
    hidden("imported", "({t}.case_id IS NOT NULL)", Bool),
    hidden("importDate", "{t}.imported_at", Date),
    opt("importedDate", "{t}.imported_at", Date),
    opt("newDate", "{t}.new_date", Date),
    opt("inProgressDate", "{t}.in_progress_date", Date),
    opt("closedDate", "{t}.closed_date", Date),
    col("observableCount", "(SELECT COUNT(*) FROM observable cat_o WHERE cat_o.alert_id = {t}.id)", Integer),
];

const TASK: &[Field] = &[
    col("title", "{t}.title", Text),
    col("group", "{t}.group_name", Text),
    opt("description", "{t}.description", Text),
    col("status", "{t}.status", Text),
    col("flag", "{t}.flag", Bool),
    opt("startDate", "{t}.start_date", Date),
    opt("endDate", "{t}.end_date", Date),
    opt("dueDate", "{t}.due_date", Date),
    opt("assignee", "{t}.assignee", Text),
    hidden("owner", "{t}.assignee", Text),
    col("order", "{t}.position", Integer),
    col("mandatory", "{t}.mandatory", Bool),
    hidden("caseId", "{t}.case_id", Id),
    hidden(
        "actionRequired",
        "EXISTS (SELECT 1 FROM task_action_required cat_r WHERE cat_r.task_id = {t}.id \
         AND cat_r.organisation_id = {org} AND cat_r.action_required = TRUE)",
        Bool,
    ),
];

const LOG: &[Field] = &[
    col("message", "{t}.message", Text),
    col("date", "{t}.date", Date),
    col("deleted", "{t}.deleted", Bool),
    opt("includeInTimeline", "{t}.include_in_timeline", Date),
    col("owner", "{t}.created_by", Text),
    hidden("startDate", "{t}.date", Date),
    hidden("taskId", "{t}.task_id", Id),
];

const OBSERVABLE: &[Field] = &[
    col("dataType", "{t}.data_type", Text),
    opt("data", "{t}.data", Text),
    opt("message", "{t}.message", Text),
    col("tlp", "{t}.tlp", Integer),
    col("pap", "{t}.pap", Integer),
    col("ioc", "{t}.ioc", Bool),
    col("sighted", "{t}.sighted", Bool),
    opt("sightedAt", "{t}.sighted_at", Date),
    col("ignoreSimilarity", "{t}.ignore_similarity", Bool),
    col("startDate", "{t}.start_date", Date),
    tags("observable_tag", "observable_id"),
    col("reports", "{t}.report", Json),
    hidden("attachment.name", "{t}.attachment_name", Text),
    hidden("attachment.contentType", "{t}.attachment_content_type", Text),
    hidden("attachment.id", "(SELECT cat_a.sha256 FROM attachment cat_a WHERE cat_a.id = {t}.attachment_id)", Text),
    hidden("attachment.size", "(SELECT cat_a.size FROM attachment cat_a WHERE cat_a.id = {t}.attachment_id)", Integer),
    hidden("caseId", "{t}.case_id", Id),
    hidden("alertId", "{t}.alert_id", Id),
];

const USER: &[Field] = &[
    col("login", "{t}.login", Text),
    col("name", "{t}.name", Text),
    opt("email", "{t}.email", Text),
    col("type", "{t}.user_type", Text),
    col("locked", "{t}.locked", Bool),
    col("hasKey", "({t}.api_key_hash IS NOT NULL)", Bool),
    col("hasPassword", "({t}.password_hash IS NOT NULL)", Bool),
    col("hasMFA", "({t}.totp_secret IS NOT NULL)", Bool),
    hidden(
        "profile",
        "(SELECT cat_p.name FROM role cat_r JOIN profile cat_p ON cat_p.id = cat_r.profile_id \
         WHERE cat_r.user_id = {t}.id AND cat_r.organisation_id = {org})",
        Text,
    ),
];

const ORGANISATION: &[Field] = &[
    col("name", "{t}.name", Text),
    col("description", "{t}.description", Text),
    col("taskRule", "{t}.task_rule", Text),
    col("observableRule", "{t}.observable_rule", Text),
    col("locked", "{t}.locked", Bool),
];

const PROFILE: &[Field] = &[col("name", "{t}.name", Text), col("permissions", "{t}.permissions", Json)];

const CUSTOM_FIELD: &[Field] = &[
    col("name", "{t}.name", Text),
    col("displayName", "{t}.display_name", Text),
    opt("group", "{t}.group_name", Text),
    col("description", "{t}.description", Text),
    col("type", "{t}.type", Text),
    col("mandatory", "{t}.mandatory", Bool),
    col("options", "{t}.options", Json),
    hidden("reference", "{t}.name", Text),
];

const CASE_TEMPLATE: &[Field] = &[
    col("name", "{t}.name", Text),
    col("displayName", "{t}.display_name", Text),
    opt("titlePrefix", "{t}.title_prefix", Text),
    opt("description", "{t}.description", Text),
    opt("severity", "{t}.severity", Integer),
    opt("tlp", "{t}.tlp", Integer),
    opt("pap", "{t}.pap", Integer),
    tags("case_template_tag", "case_template_id"),
    col("flag", "{t}.flag", Bool),
    opt("summary", "{t}.summary", Text),
];

const OBSERVABLE_TYPE: &[Field] = &[col("name", "{t}.name", Text), col("isAttachment", "{t}.is_attachment", Bool)];

const SHARE: &[Field] = &[
    col("caseId", "{t}.case_id", Id),
    col("owner", "{t}.owner", Bool),
    col("profileName", "(SELECT cat_p.name FROM profile cat_p WHERE cat_p.id = {t}.profile_id)", Text),
    col("organisationName", "(SELECT cat_o.name FROM organisation cat_o WHERE cat_o.id = {t}.organisation_id)", Text),
    opt("taskRule", "{t}.task_rule", Text),
    opt("observableRule", "{t}.observable_rule", Text),
];

const AUDIT: &[Field] = &[
    col("operation", "{t}.operation", Text),
    col("requestId", "{t}.request_id", Text),
    col("objectType", "{t}.object_type", Text),
    opt("objectId", "{t}.object_id", Id),
    opt("rootId", "{t}.root_id", Id),
    hidden("rootType", "{t}.root_type", Text),
    col("details", "{t}.details", Json),
    col("base", "{t}.main_action", Bool),
    hidden("mainAction", "{t}.main_action", Bool),
    hidden("startDate", "{t}.created_at", Date),
];

const TAG: &[Field] = &[
    col("namespace", "{t}.namespace", Text),
    col("predicate", "{t}.predicate", Text),
    opt("value", "{t}.value", Text),
    col("colour", "{t}.colour", Text),
    opt("description", "{t}.description", Text),
    hidden("text", "{t}.text", Text),
];

const TAXONOMY: &[Field] = &[
    col("namespace", "{t}.namespace", Text),
    col("description", "{t}.description", Text),
    col("version", "{t}.version", Integer),
    hidden("exclusive", "{t}.is_exclusive", Bool),
];

const PATTERN: &[Field] = &[
    col("patternId", "{t}.mitre_id", Text),
    col("name", "{t}.name", Text),
    opt("description", "{t}.description", Text),
    col("tactics", "{t}.tactics", Json),
    col("url", "{t}.url", Text),
    col("patternType", "{t}.pattern_type", Text),
    opt("capecId", "{t}.capec_id", Text),
    opt("capecUrl", "{t}.capec_url", Text),
    col("revoked", "{t}.revoked", Bool),
    col("dataSources", "{t}.data_sources", Json),
    col("defenseBypassed", "{t}.defense_bypassed", Json),
    opt("detection", "{t}.detection", Text),
    col("permissionsRequired", "{t}.permissions_required", Json),
    col("platforms", "{t}.platforms", Json),
    col("remoteSupport", "{t}.remote_support", Bool),
    col("systemRequirements", "{t}.system_requirements", Json),
    opt("version", "{t}.version", Text),
];

const PROCEDURE: &[Field] = &[
    opt("description", "{t}.description", Text),
    col("occurDate", "{t}.occur_date", Date),
    opt("tactic", "{t}.tactic", Text),
    col("patternId", "(SELECT cat_p.mitre_id FROM pattern cat_p WHERE cat_p.id = {t}.pattern_id)", Text),
    col("patternName", "(SELECT cat_p.name FROM pattern cat_p WHERE cat_p.id = {t}.pattern_id)", Text),
    hidden("caseId", "{t}.case_id", Id),
    hidden("alertId", "{t}.alert_id", Id),
];

const DASHBOARD: &[Field] = &[
    col("title", "{t}.title", Text),
    col("description", "{t}.description", Text),
    col("status", "{t}.status", Text),
    col("definition", "{t}.definition", Text),
];

const COMMENT: &[Field] = &[
    col("message", "{t}.message", Text),
    col("isEdited", "{t}.is_edited", Bool),
    // thehive4py's OutputComment spells the meta fields without underscore.
    col("createdBy", "{t}.created_by", Text),
    col("createdAt", "{t}.created_at", Date),
    hidden("caseId", "{t}.case_id", Id),
    hidden("alertId", "{t}.alert_id", Id),
];

const PAGE: &[Field] = &[
    col("title", "{t}.title", Text),
    col("content", "{t}.content", Text),
    col("category", "{t}.category", Text),
    col("order", "{t}.position", Integer),
    opt("slug", "{t}.slug", Text),
    hidden("caseId", "{t}.case_id", Id),
];

const PAGE_TEMPLATE: &[Field] = &[
    col("title", "{t}.title", Text),
    col("category", "{t}.category", Text),
    col("content", "{t}.content", Text),
    col("order", "{t}.position", Integer),
];

const JOB: &[Field] = &[
    col("analyzerId", "{t}.analyzer_id", Text),
    col("analyzerName", "{t}.analyzer_name", Text),
    opt("analyzerDefinition", "{t}.analyzer_definition", Text),
    col("cortexId", "{t}.cortex_id", Text),
    opt("cortexJobId", "{t}.cortex_job_id", Text),
    col("status", "{t}.status", Text),
    col("startDate", "{t}.start_date", Date),
    opt("endDate", "{t}.end_date", Date),
    opt("report", "{t}.report", Json),
    col("parameters", "{t}.parameters", Json),
    hidden("observableId", "{t}.observable_id", Id),
];

const ACTION: &[Field] = &[
    col("responderId", "{t}.responder_id", Text),
    col("responderName", "{t}.responder_name", Text),
    opt("responderDefinition", "{t}.responder_definition", Text),
    col("cortexId", "{t}.cortex_id", Text),
    opt("cortexJobId", "{t}.cortex_job_id", Text),
    col("status", "{t}.status", Text),
    col("startDate", "{t}.start_date", Date),
    opt("endDate", "{t}.end_date", Date),
    col("objectType", "{t}.object_kind", Text),
    col("objectId", "{t}.object_id", Id),
    opt("report", "{t}.report", Json),
    col("operations", "{t}.operations", Json),
    col("parameters", "{t}.parameters", Json),
];

/// An attachment as used by a case, an alert or an organisation (`attachment_usage`; the
/// content row is shared and deduplicated, so the usage is the object the API lists).
const ATTACHMENT: &[Field] = &[
    col("name", "{t}.name", Text),
    col("contentType", "{t}.content_type", Text),
    col("size", "(SELECT cat_a.size FROM attachment cat_a WHERE cat_a.id = {t}.attachment_id)", Integer),
    col("id", "(SELECT cat_a.sha256 FROM attachment cat_a WHERE cat_a.id = {t}.attachment_id)", Text),
    hidden("caseId", "{t}.case_id", Id),
    hidden("alertId", "{t}.alert_id", Id),
];

const fn def(entity: Entity, table: &'static str, fields: &'static [Field]) -> EntityDef {
    EntityDef { entity, table, fields, custom_fields: None, updatable: true, fulltext: None }
}

static DEFS: &[EntityDef] = &[
    EntityDef { custom_fields: Some("case"), fulltext: Some("cases_fts"), ..def(Entity::Case, "cases", CASE) },
    EntityDef { custom_fields: Some("alert"), fulltext: Some("alert_fts"), ..def(Entity::Alert, "alert", ALERT) },
    EntityDef { fulltext: Some("task_fts"), ..def(Entity::Task, "task", TASK) },
    EntityDef { fulltext: Some("log_fts"), ..def(Entity::Log, "log", LOG) },
    EntityDef { fulltext: Some("observable_fts"), ..def(Entity::Observable, "observable", OBSERVABLE) },
    def(Entity::User, "app_user", USER),
    def(Entity::Organisation, "organisation", ORGANISATION),
    def(Entity::Profile, "profile", PROFILE),
    def(Entity::CustomField, "custom_field", CUSTOM_FIELD),
    EntityDef { custom_fields: Some("case_template"), ..def(Entity::CaseTemplate, "case_template", CASE_TEMPLATE) },
    def(Entity::ObservableType, "observable_type", OBSERVABLE_TYPE),
    def(Entity::Share, "share", SHARE),
    EntityDef { updatable: false, ..def(Entity::Audit, "audit", AUDIT) },
    def(Entity::Tag, "tag", TAG),
    def(Entity::Taxonomy, "taxonomy", TAXONOMY),
    def(Entity::Pattern, "pattern", PATTERN),
    def(Entity::Procedure, "procedure", PROCEDURE),
    def(Entity::Dashboard, "dashboard", DASHBOARD),
    EntityDef { fulltext: Some("comment_fts"), ..def(Entity::Comment, "comment", COMMENT) },
    EntityDef { fulltext: Some("page_fts"), ..def(Entity::Page, "page", PAGE) },
    def(Entity::PageTemplate, "page_template", PAGE_TEMPLATE),
    def(Entity::Job, "cortex_job", JOB),
    def(Entity::Action, "cortex_action", ACTION),
    def(Entity::Attachment, "attachment_usage", ATTACHMENT),
];

/// The definition of `entity`, or `None` for entities the query DSL cannot list yet
/// (none today; attachments are listed through their uses, `attachment_usage`).
pub fn entity(entity: Entity) -> Option<&'static EntityDef> {
    DEFS.iter().find(|d| d.entity == entity)
}

/// The same lookup as an error the client can read.
pub fn require(entity: Entity) -> Result<&'static EntityDef, QueryError> {
    self::entity(entity).ok_or_else(|| QueryError::InvalidOperation {
        path: "query".to_owned(),
        reason: format!("queries producing {entity} objects are not supported"),
    })
}

/// A property resolved against an entity.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A single-valued property: expression template, type, nullability.
    Scalar {
        sql: String,
        ty: FieldType,
        nullable: bool,
    },
    Tags {
        table: &'static str,
        fk: &'static str,
    },
    /// `customFields.<name>`: the compiler looks the definition up in the database.
    CustomField {
        owner_kind: &'static str,
        name: String,
        kind: Option<CustomFieldType>,
    },
}

impl EntityDef {
    /// Resolves a field named in a filter or sort; an unknown one is a 400 with
    /// TheHive's wording (spec §3.8).
    pub fn resolve(&self, path: &FieldPath) -> Result<Resolved, QueryError> {
        let unknown = || QueryError::UnknownField { field: path.to_string(), entity: self.entity };
        match path {
            FieldPath::Meta(meta) => Ok(self.meta(*meta)),
            FieldPath::CustomField { name, kind } => match self.custom_fields {
                Some(owner_kind) => Ok(Resolved::CustomField { owner_kind, name: name.clone(), kind: *kind }),
                None => Err(unknown()),
            },
            FieldPath::Plain(name) => {
                let field = self.fields.iter().find(|f| f.name == name).ok_or_else(unknown)?;
                Ok(match field.shape {
                    Shape::Expr(sql) => {
                        Resolved::Scalar { sql: sql.to_owned(), ty: field.ty, nullable: field.nullable }
                    }
                    Shape::Tags { table, fk } => Resolved::Tags { table, fk },
                })
            }
        }
    }

    fn meta(&self, meta: MetaField) -> Resolved {
        let (sql, ty, nullable) = match meta {
            MetaField::Id => ("{t}.id", Id, false),
            MetaField::CreatedAt => ("{t}.created_at", Date, false),
            MetaField::CreatedBy => ("{t}.created_by", Text, false),
            MetaField::UpdatedAt if self.updatable => ("{t}.updated_at", Date, true),
            MetaField::UpdatedBy if self.updatable => ("{t}.updated_by", Text, true),
            // Audit rows are never updated: the field exists and is always absent.
            MetaField::UpdatedAt => ("CAST(NULL AS BIGINT)", Date, true),
            MetaField::UpdatedBy => ("CAST(NULL AS TEXT)", Text, true),
        };
        Resolved::Scalar { sql: sql.to_owned(), ty, nullable }
    }

    /// The properties the generic renderer outputs.
    pub fn output_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.output)
    }
}

/// The value column of `custom_field_value` that holds values of type `kind`.
pub fn custom_value_column(kind: CustomFieldType) -> (&'static str, FieldType) {
    match kind {
        CustomFieldType::String | CustomFieldType::Url => ("string_value", Text),
        CustomFieldType::Integer => ("integer_value", Integer),
        CustomFieldType::Float => ("float_value", Float),
        CustomFieldType::Boolean => ("boolean_value", Bool),
        CustomFieldType::Date => ("date_value", Date),
    }
}

/// Parses `custom_field.type`.
pub fn custom_field_type(stored: &str) -> Option<CustomFieldType> {
    CustomFieldType::ALL.into_iter().find(|k| k.as_str() == stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::ast::FieldPath;

    #[test]
    fn every_entity_with_a_table_has_unique_field_names() {
        for def in DEFS {
            let mut names: Vec<_> = def.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "duplicate field on {}", def.entity);
        }
    }

    #[test]
    fn unknown_field_uses_thehive_wording() {
        let case = entity(Entity::Case).unwrap();
        let err = case.resolve(&FieldPath::Plain("nope".into())).unwrap_err();
        assert_eq!(err.to_string(), "Property nope for type Case not found");
        assert!(
            entity(Entity::User).unwrap().resolve(&FieldPath::CustomField { name: "x".into(), kind: None }).is_err()
        );
    }
}
