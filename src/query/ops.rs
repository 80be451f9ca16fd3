//! The operation catalogue of the query DSL: initial operations, traversals,
//! and the typing table saying which operation applies to which result and
//! what it yields (spec `thehive-api.md` §3.2–§3.3, plus the 5.x names that
//! thehive4py sends). It is re-exported through `ast`.
//!
//! It holds names and types only; no JSON parsing and no execution.

use std::fmt;

use super::ast::Step;

/// The entity kinds a query can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Case,
    Alert,
    Task,
    Log,
    Observable,
    User,
    Organisation,
    Profile,
    CustomField,
    CaseTemplate,
    ObservableType,
    Share,
    Audit,
    Tag,
    Taxonomy,
    Pattern,
    Procedure,
    Dashboard,
    Comment,
    Page,
    PageTemplate,
    Attachment,
    Job,
    Action,
}

impl Entity {
    /// The `_type` label TheHive renders for this entity.
    pub fn label(self) -> &'static str {
        match self {
            Entity::Case => "Case",
            Entity::Alert => "Alert",
            Entity::Task => "Task",
            Entity::Log => "Log",
            Entity::Observable => "Observable",
            Entity::User => "User",
            Entity::Organisation => "Organisation",
            Entity::Profile => "Profile",
            Entity::CustomField => "CustomField",
            Entity::CaseTemplate => "CaseTemplate",
            Entity::ObservableType => "ObservableType",
            Entity::Share => "Share",
            Entity::Audit => "Audit",
            Entity::Tag => "Tag",
            Entity::Taxonomy => "Taxonomy",
            Entity::Pattern => "Pattern",
            Entity::Procedure => "Procedure",
            Entity::Dashboard => "Dashboard",
            Entity::Comment => "Comment",
            Entity::Page => "Page",
            Entity::PageTemplate => "PageTemplate",
            Entity::Attachment => "Attachment",
            Entity::Job => "Job",
            Entity::Action => "Action",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What an operation produces; the last one decides the response (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    /// A set of entities: rendered as a JSON array of objects.
    Entities(Entity),
    /// `count`, `limitedCount`, `countXxx`: a bare JSON number.
    Number,
    /// Tag texts (`text`, `tagAutoComplete`): a JSON array of strings.
    Strings,
    /// Computed objects (`aggregation`, `linkedCases`, `similarCases`).
    Json,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Entities(entity) => write!(f, "{entity}"),
            Output::Number => f.write_str("a number"),
            Output::Strings => f.write_str("a list of strings"),
            Output::Json => f.write_str("computed JSON objects"),
        }
    }
}

/// Step names that are not traversals.
const GENERIC_STEPS: [&str; 7] = ["filter", "sort", "page", "count", "limitedCount", "aggregation", "similarCases"];

/// Whether `name` is an operation that may follow another one.
pub fn is_step_name(name: &str) -> bool {
    GENERIC_STEPS.contains(&name) || Traversal::from_name(name).is_some()
}

impl Output {
    /// What `step` yields when applied to `self`, or `None` if TheHive has
    /// no such operation for this input (e.g. `logs` on a case set).
    pub fn then(self, step: &Step) -> Option<Output> {
        self.then_named(step.name())
    }

    /// Same as [`Output::then`], by operation name.
    pub fn then_named(self, name: &str) -> Option<Output> {
        match (self, name) {
            // A number ends the query: nothing applies to it.
            (Output::Number, _) => None,
            (Output::Entities(_), "filter" | "sort") => Some(self),
            // `page` slices any list. It does not end the query:
            // thehive4py's `find_page_templates` traverses after it.
            (_, "page") => Some(self),
            (_, "count" | "limitedCount") => Some(Output::Number),
            (Output::Entities(_), "aggregation") => Some(Output::Json),
            (Output::Entities(Entity::Alert), "similarCases") => Some(Output::Json),
            (Output::Entities(entity), _) => Traversal::from_name(name)?.apply(entity),
            _ => None,
        }
    }

    /// Every operation name accepted after `self`, for error messages.
    pub fn accepted_operations(self) -> Vec<&'static str> {
        GENERIC_STEPS
            .into_iter()
            .chain(Traversal::ALL.iter().map(|t| t.name()))
            .filter(|name| self.then_named(name).is_some())
            .collect()
    }
}

/// A relation followed from one entity set to another (§3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Traversal {
    Alert,
    Alerts,
    AssignableUsers,
    Attachments,
    Audits,
    AuditsFromContext,
    Case,
    CaseTemplate,
    CaseTemplates,
    Cases,
    Comments,
    Freetags,
    FromAlert,
    FromCase,
    FromJobReport,
    LinkedCases,
    Logs,
    Observables,
    Organisation,
    Organisations,
    PageTemplates,
    Pages,
    Procedures,
    Shares,
    Similar,
    Tags,
    Task,
    Tasks,
    Text,
    Users,
    Visible,
}

impl Traversal {
    pub const ALL: [Traversal; 31] = [
        Traversal::Alert,
        Traversal::Alerts,
        Traversal::AssignableUsers,
        Traversal::Attachments,
        Traversal::Audits,
        Traversal::AuditsFromContext,
        Traversal::Case,
        Traversal::CaseTemplate,
        Traversal::CaseTemplates,
        Traversal::Cases,
        Traversal::Comments,
        Traversal::Freetags,
        Traversal::FromAlert,
        Traversal::FromCase,
        Traversal::FromJobReport,
        Traversal::LinkedCases,
        Traversal::Logs,
        Traversal::Observables,
        Traversal::Organisation,
        Traversal::Organisations,
        Traversal::PageTemplates,
        Traversal::Pages,
        Traversal::Procedures,
        Traversal::Shares,
        Traversal::Similar,
        Traversal::Tags,
        Traversal::Task,
        Traversal::Tasks,
        Traversal::Text,
        Traversal::Users,
        Traversal::Visible,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Traversal::Alert => "alert",
            Traversal::Alerts => "alerts",
            Traversal::AssignableUsers => "assignableUsers",
            Traversal::Attachments => "attachments",
            Traversal::Audits => "audits",
            Traversal::AuditsFromContext => "auditsFromContext",
            Traversal::Case => "case",
            Traversal::CaseTemplate => "caseTemplate",
            Traversal::CaseTemplates => "caseTemplates",
            Traversal::Cases => "cases",
            Traversal::Comments => "comments",
            Traversal::Freetags => "freetags",
            Traversal::FromAlert => "fromAlert",
            Traversal::FromCase => "fromCase",
            Traversal::FromJobReport => "fromJobReport",
            Traversal::LinkedCases => "linkedCases",
            Traversal::Logs => "logs",
            Traversal::Observables => "observables",
            Traversal::Organisation => "organisation",
            Traversal::Organisations => "organisations",
            Traversal::PageTemplates => "pageTemplates",
            Traversal::Pages => "pages",
            Traversal::Procedures => "procedures",
            Traversal::Shares => "shares",
            Traversal::Similar => "similar",
            Traversal::Tags => "tags",
            Traversal::Task => "task",
            Traversal::Tasks => "tasks",
            Traversal::Text => "text",
            Traversal::Users => "users",
            Traversal::Visible => "visible",
        }
    }

    pub fn from_name(name: &str) -> Option<Traversal> {
        Traversal::ALL.into_iter().find(|t| t.name() == name)
    }

    /// What following `self` from a set of `from` yields, or `None` when the
    /// relation does not exist for that entity.
    pub fn apply(self, from: Entity) -> Option<Output> {
        use Entity as E;
        use Traversal as T;
        let to = match (from, self) {
            // 4.x defines these two on every entity.
            (_, T::Audits | T::AuditsFromContext) => E::Audit,

            (E::Case, T::Observables) => E::Observable,
            (E::Case, T::Tasks) => E::Task,
            (E::Case, T::Alerts) => E::Alert,
            (E::Case, T::Shares) => E::Share,
            (E::Case, T::Procedures) => E::Procedure,
            (E::Case, T::Organisations) => E::Organisation,
            (E::Case, T::AssignableUsers) => E::User,
            (E::Case, T::LinkedCases) => return Some(Output::Json),
            (E::Case, T::Pages) => E::Page,
            (E::Case, T::Comments) => E::Comment,
            (E::Case, T::Attachments) => E::Attachment,
            (E::Case, T::CaseTemplate) => E::CaseTemplate,

            (E::Alert, T::Observables) => E::Observable,
            (E::Alert, T::Case) => E::Case,
            (E::Alert, T::Procedures) => E::Procedure,
            (E::Alert, T::Comments) => E::Comment,
            (E::Alert, T::Attachments) => E::Attachment,

            (E::Observable, T::Case) => E::Case,
            (E::Observable, T::Alert) => E::Alert,
            (E::Observable, T::Shares) => E::Share,
            (E::Observable, T::Organisations) => E::Organisation,
            (E::Observable, T::Similar | T::FromCase | T::FromAlert | T::FromJobReport) => E::Observable,

            (E::Task, T::Case) => E::Case,
            (E::Task, T::Logs) => E::Log,
            (E::Task, T::CaseTemplate) => E::CaseTemplate,
            (E::Task, T::Shares) => E::Share,
            (E::Task, T::Organisations) => E::Organisation,
            (E::Task, T::AssignableUsers) => E::User,

            (E::Log, T::Task) => E::Task,

            (E::CaseTemplate, T::Tasks) => E::Task,
            (E::CaseTemplate, T::PageTemplates) => E::PageTemplate,

            (E::Organisation, T::Users) => E::User,
            (E::Organisation, T::CaseTemplates) => E::CaseTemplate,
            (E::Organisation, T::Alerts) => E::Alert,
            (E::Organisation, T::Cases) => E::Case,
            (E::Organisation, T::Visible) => E::Organisation,
            (E::Organisation, T::Attachments) => E::Attachment,

            (E::Share, T::Case) => E::Case,
            (E::Share, T::Observables) => E::Observable,
            (E::Share, T::Tasks) => E::Task,
            (E::Share, T::Organisation) => E::Organisation,

            (E::User, T::Tasks) => E::Task,
            (E::User, T::Cases) => E::Case,
            (E::User, T::Organisations) => E::Organisation,

            (E::Taxonomy, T::Tags) => E::Tag,
            (E::Tag, T::Freetags) => E::Tag,
            (E::Tag, T::Text) => return Some(Output::Strings),

            _ => return None,
        };
        Some(Output::Entities(to))
    }
}

/// An `idOrName` parameter (§0.3): `~123` is an internal id, anything else
/// a name (case number, login, template name, ...) resolved per entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdOrName {
    Id(String),
    Name(String),
}

impl IdOrName {
    pub fn new(raw: String) -> Self {
        if raw.starts_with('~') { IdOrName::Id(raw) } else { IdOrName::Name(raw) }
    }

    pub fn as_str(&self) -> &str {
        match self {
            IdOrName::Id(s) | IdOrName::Name(s) => s,
        }
    }
}

/// Parameters of `tagAutoComplete`; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagHint {
    pub free_tag: Option<String>,
    pub namespace: Option<String>,
    pub predicate: Option<String>,
    pub value: Option<String>,
    pub limit: Option<u64>,
}

/// The first operation of a query (§3.2). `getXxx` yields a set of 0 or 1
/// entity, rendered as an array like any list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initial {
    ListCase,
    GetCase(IdOrName),
    CountCase,
    ListAlert,
    GetAlert(IdOrName),
    CountAlert,
    CountUnreadAlert,
    CountImportedAlert,
    CountRelatedAlert {
        case_id: IdOrName,
    },
    ListTask,
    GetTask(IdOrName),
    CountTask {
        case_id: IdOrName,
    },
    /// `waitingTasks`, or the deprecated `waitingTask`.
    WaitingTasks,
    MyTasks,
    ListLog,
    GetLog(IdOrName),
    ListObservable,
    GetObservable(IdOrName),
    CountCaseObservable {
        case_id: IdOrName,
    },
    CountAlertObservable {
        alert_id: IdOrName,
    },
    ListCaseTemplate,
    GetCaseTemplate(IdOrName),
    ListCustomField,
    GetCustomField(IdOrName),
    ListObservableType,
    GetObservableType(IdOrName),
    ListOrganisation,
    GetOrganisation(IdOrName),
    ListUser,
    GetUser(IdOrName),
    CurrentUser,
    ListProfile,
    GetProfile(IdOrName),
    ListShare,
    GetShare(IdOrName),
    ListAudit,
    GetAudit(IdOrName),
    /// `listAuditFromObject` with `id`: audits of one object.
    ListAuditFromObject {
        object_id: IdOrName,
    },
    ListTag,
    GetTag(IdOrName),
    /// `freetags`: the organisation's free tags.
    Freetags,
    CountFreetags,
    TagAutoComplete(TagHint),
    ListTaxonomy,
    GetTaxonomy(IdOrName),
    ListPattern,
    GetPattern(IdOrName),
    ListProcedure,
    GetProcedure(IdOrName),
    ListDashboard,
    GetDashboard(IdOrName),
    // TheHive 5 only, as sent by thehive4py.
    ListComment,
    GetComment(IdOrName),
    ListPage,
    GetPage(IdOrName),
    ListPageTemplate,
    GetPageTemplate(IdOrName),
    ListJob,
    ListAction,
}

/// Every initial operation name `parse` accepts, for error messages.
pub const INITIAL_NAMES: &[&str] = &[
    "listCase",
    "getCase",
    "countCase",
    "listAlert",
    "getAlert",
    "countAlert",
    "countUnreadAlert",
    "countImportedAlert",
    "countRelatedAlert",
    "listTask",
    "getTask",
    "countTask",
    "waitingTasks",
    "waitingTask",
    "myTasks",
    "listLog",
    "getLog",
    "listObservable",
    "getObservable",
    "countCaseObservable",
    "countAlertObservable",
    "listCaseTemplate",
    "getCaseTemplate",
    "listCustomField",
    "getCustomField",
    "listObservableType",
    "getObservableType",
    "listOrganisation",
    "getOrganisation",
    "listUser",
    "getUser",
    "currentUser",
    "listProfile",
    "getProfile",
    "listShare",
    "getShare",
    "listAudit",
    "getAudit",
    "listAuditFromObject",
    "listTag",
    "getTag",
    "freetags",
    "countFreetags",
    "tagAutoComplete",
    "listTaxonomy",
    "getTaxonomy",
    "listPattern",
    "getPattern",
    "listProcedure",
    "getProcedure",
    "listDashboard",
    "getDashboard",
    "listComment",
    "getComment",
    "listPage",
    "getPage",
    "listPageTemplate",
    "getPageTemplate",
    "listJob",
    "listAction",
];

impl Initial {
    /// The canonical `_name` of this operation.
    pub fn name(&self) -> &'static str {
        use Initial as I;
        match self {
            I::ListCase => "listCase",
            I::GetCase(_) => "getCase",
            I::CountCase => "countCase",
            I::ListAlert => "listAlert",
            I::GetAlert(_) => "getAlert",
            I::CountAlert => "countAlert",
            I::CountUnreadAlert => "countUnreadAlert",
            I::CountImportedAlert => "countImportedAlert",
            I::CountRelatedAlert { .. } => "countRelatedAlert",
            I::ListTask => "listTask",
            I::GetTask(_) => "getTask",
            I::CountTask { .. } => "countTask",
            I::WaitingTasks => "waitingTasks",
            I::MyTasks => "myTasks",
            I::ListLog => "listLog",
            I::GetLog(_) => "getLog",
            I::ListObservable => "listObservable",
            I::GetObservable(_) => "getObservable",
            I::CountCaseObservable { .. } => "countCaseObservable",
            I::CountAlertObservable { .. } => "countAlertObservable",
            I::ListCaseTemplate => "listCaseTemplate",
            I::GetCaseTemplate(_) => "getCaseTemplate",
            I::ListCustomField => "listCustomField",
            I::GetCustomField(_) => "getCustomField",
            I::ListObservableType => "listObservableType",
            I::GetObservableType(_) => "getObservableType",
            I::ListOrganisation => "listOrganisation",
            I::GetOrganisation(_) => "getOrganisation",
            I::ListUser => "listUser",
            I::GetUser(_) => "getUser",
            I::CurrentUser => "currentUser",
            I::ListProfile => "listProfile",
            I::GetProfile(_) => "getProfile",
            I::ListShare => "listShare",
            I::GetShare(_) => "getShare",
            I::ListAudit => "listAudit",
            I::GetAudit(_) => "getAudit",
            I::ListAuditFromObject { .. } => "listAuditFromObject",
            I::ListTag => "listTag",
            I::GetTag(_) => "getTag",
            I::Freetags => "freetags",
            I::CountFreetags => "countFreetags",
            I::TagAutoComplete(_) => "tagAutoComplete",
            I::ListTaxonomy => "listTaxonomy",
            I::GetTaxonomy(_) => "getTaxonomy",
            I::ListPattern => "listPattern",
            I::GetPattern(_) => "getPattern",
            I::ListProcedure => "listProcedure",
            I::GetProcedure(_) => "getProcedure",
            I::ListDashboard => "listDashboard",
            I::GetDashboard(_) => "getDashboard",
            I::ListComment => "listComment",
            I::GetComment(_) => "getComment",
            I::ListPage => "listPage",
            I::GetPage(_) => "getPage",
            I::ListPageTemplate => "listPageTemplate",
            I::GetPageTemplate(_) => "getPageTemplate",
            I::ListJob => "listJob",
            I::ListAction => "listAction",
        }
    }

    /// What this operation yields.
    pub fn output(&self) -> Output {
        use Entity as E;
        use Initial as I;
        let entity = match self {
            I::CountCase
            | I::CountAlert
            | I::CountUnreadAlert
            | I::CountImportedAlert
            | I::CountRelatedAlert { .. }
            | I::CountTask { .. }
            | I::CountCaseObservable { .. }
            | I::CountAlertObservable { .. }
            | I::CountFreetags => return Output::Number,
            I::TagAutoComplete(_) => return Output::Strings,
            I::ListCase | I::GetCase(_) => E::Case,
            I::ListAlert | I::GetAlert(_) => E::Alert,
            I::ListTask | I::GetTask(_) | I::WaitingTasks | I::MyTasks => E::Task,
            I::ListLog | I::GetLog(_) => E::Log,
            I::ListObservable | I::GetObservable(_) => E::Observable,
            I::ListCaseTemplate | I::GetCaseTemplate(_) => E::CaseTemplate,
            I::ListCustomField | I::GetCustomField(_) => E::CustomField,
            I::ListObservableType | I::GetObservableType(_) => E::ObservableType,
            I::ListOrganisation | I::GetOrganisation(_) => E::Organisation,
            I::ListUser | I::GetUser(_) | I::CurrentUser => E::User,
            I::ListProfile | I::GetProfile(_) => E::Profile,
            I::ListShare | I::GetShare(_) => E::Share,
            I::ListAudit | I::GetAudit(_) | I::ListAuditFromObject { .. } => E::Audit,
            I::ListTag | I::GetTag(_) | I::Freetags => E::Tag,
            I::ListTaxonomy | I::GetTaxonomy(_) => E::Taxonomy,
            I::ListPattern | I::GetPattern(_) => E::Pattern,
            I::ListProcedure | I::GetProcedure(_) => E::Procedure,
            I::ListDashboard | I::GetDashboard(_) => E::Dashboard,
            I::ListComment | I::GetComment(_) => E::Comment,
            I::ListPage | I::GetPage(_) => E::Page,
            I::ListPageTemplate | I::GetPageTemplate(_) => E::PageTemplate,
            I::ListJob => E::Job,
            I::ListAction => E::Action,
        };
        Output::Entities(entity)
    }
}
