//! The explicit model the probe compares answers with: who exists, what was shared with
//! whom, and from that, who may see and do what. It is written from the specification
//! (§1.15, §6), not read back from the server.

use std::collections::BTreeSet;

pub const ADMIN_ORG: usize = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prof {
    Admin,
    OrgAdmin,
    Analyst,
    ReadOnly,
}

impl Prof {
    pub fn name(self) -> &'static str {
        match self {
            Prof::Admin => "admin",
            Prof::OrgAdmin => "org-admin",
            Prof::Analyst => "analyst",
            Prof::ReadOnly => "read-only",
        }
    }

    /// The profile's permissions as they apply in an ordinary organisation (or, for
    /// `admin`, in the admin organisation): spec §6.1 scope rule and §6.2 profiles.
    pub fn perms(self, in_admin_org: bool) -> &'static [&'static str] {
        const ADMIN: &[&str] = &[
            "manageAnalyzerTemplate",
            "manageConfig",
            "manageCustomField",
            "manageObservableTemplate",
            "manageOrganisation",
            "managePattern",
            "managePlatform",
            "manageProfile",
            "manageTaxonomy",
            "manageUser",
        ];
        const ORG_ADMIN: &[&str] = &[
            "accessTheHiveFS",
            "manageAction",
            "manageAlert",
            "manageAnalyse",
            "manageCase",
            "manageCaseTemplate",
            "manageConfig",
            "manageObservable",
            "managePage",
            "manageProcedure",
            "manageShare",
            "manageTag",
            "manageTask",
            "manageUser",
        ];
        const ANALYST: &[&str] = &[
            "accessTheHiveFS",
            "manageAction",
            "manageAlert",
            "manageAnalyse",
            "manageCase",
            "manageObservable",
            "managePage",
            "manageProcedure",
            "manageShare",
            "manageTask",
        ];
        match (self, in_admin_org) {
            (Prof::Admin, true) => ADMIN,
            // An admin profile in an ordinary organisation keeps only the permissions of
            // both scopes.
            (Prof::Admin, false) => &["manageConfig", "manageUser"],
            (Prof::OrgAdmin, false) => ORG_ADMIN,
            (Prof::Analyst, false) => ANALYST,
            (Prof::ReadOnly, _) => &[],
            (_, true) => &["manageConfig", "manageUser"],
        }
    }
}

/// Sharing rules (what a share takes automatically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Manual,
    None,
    All,
    ExistingOnly,
    UpcomingOnly,
}

pub const RULES: &[Rule] = &[Rule::Manual, Rule::None, Rule::All, Rule::ExistingOnly, Rule::UpcomingOnly];

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Manual => "manual",
            Rule::None => "none",
            Rule::All => "all",
            Rule::ExistingOnly => "existingOnly",
            Rule::UpcomingOnly => "upcomingOnly",
        }
    }

    pub fn takes_existing(self) -> bool {
        matches!(self, Rule::All | Rule::ExistingOnly)
    }

    pub fn takes_new(self) -> bool {
        matches!(self, Rule::All | Rule::UpcomingOnly)
    }
}

#[derive(Debug, Clone)]
pub struct Org {
    pub name: String,
    pub id: String,
}

/// Someone acting in one organisation: a user of one organisation, or a multi-organisation
/// user with its `X-Organisation` header.
#[derive(Debug, Clone)]
pub struct Actor {
    pub label: String,
    pub login: String,
    pub org: usize,
    pub prof: Prof,
}

#[derive(Debug, Clone)]
pub struct ShareM {
    pub id: String,
    pub org: usize,
    pub prof: Prof,
    pub owner: bool,
    pub task_rule: Rule,
    pub obs_rule: Rule,
}

#[derive(Debug, Clone)]
pub struct TaskM {
    pub id: String,
    /// Non-owner organisations the task was shared with.
    pub granted: BTreeSet<usize>,
    pub log: String,
    /// Content id and usage id of the file attached to the log.
    pub log_att: String,
    pub log_att_usage: String,
}

#[derive(Debug, Clone)]
pub struct ObsM {
    pub id: String,
    pub granted: BTreeSet<usize>,
    /// Correlation key: data type and value (or file content id).
    pub key: (String, String),
    pub file_sha: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CaseM {
    pub id: String,
    pub number: i64,
    pub owner: usize,
    pub shares: Vec<ShareM>,
    pub tasks: Vec<TaskM>,
    pub obs: Vec<ObsM>,
    pub comment: String,
    pub page: String,
    pub procedure: String,
    /// (usage id, content id) of the case attachment.
    pub attachment: (String, String),
    /// The id of the case's value of the probe's custom field.
    pub cf_value: String,
}

#[derive(Debug, Clone)]
pub struct AlertM {
    pub id: String,
    pub org: usize,
    pub obs: ObsM,
    pub comment: String,
    pub procedure: String,
    pub attachment: (String, String),
}

/// Objects an organisation owns outside cases.
#[derive(Debug, Clone)]
pub struct OrgObjects {
    pub case_template: String,
    pub page_template: String,
    pub kb_page: String,
    pub attachment: (String, String),
}

#[derive(Debug, Default)]
pub struct Model {
    pub orgs: Vec<Org>,
    /// Symmetric links (both directions are written by the API).
    pub links: BTreeSet<(usize, usize)>,
    pub actors: Vec<Actor>,
    /// Every login with its memberships.
    pub users: Vec<(String, Vec<usize>)>,
    pub cases: Vec<CaseM>,
    pub alerts: Vec<AlertM>,
    pub org_objects: Vec<Option<OrgObjects>>,
    /// (analyst actor index) per organisation, the probe's hands for setting things up.
    pub agents: Vec<usize>,
}

impl Model {
    pub fn linked(&self, a: usize, b: usize) -> bool {
        self.links.contains(&(a.min(b), a.max(b)))
    }

    /// Organisation `to` is visible from `from`: itself, a linked one, or anything from the
    /// admin organisation.
    pub fn org_visible(&self, from: usize, to: usize) -> bool {
        from == ADMIN_ORG || from == to || self.linked(from, to)
    }

    pub fn share_of<'c>(&self, c: &'c CaseM, org: usize) -> Option<&'c ShareM> {
        c.shares.iter().find(|s| s.org == org)
    }

    pub fn sees_case(&self, org: usize, c: &CaseM) -> bool {
        self.share_of(c, org).is_some()
    }

    pub fn sees_task(&self, org: usize, c: &CaseM, t: &TaskM) -> bool {
        c.owner == org || (self.sees_case(org, c) && t.granted.contains(&org))
    }

    pub fn sees_obs(&self, org: usize, c: &CaseM, o: &ObsM) -> bool {
        c.owner == org || (self.sees_case(org, c) && o.granted.contains(&org))
    }

    pub fn actor(&self, a: usize) -> &Actor {
        &self.actors[a]
    }

    pub fn perms(&self, a: usize) -> BTreeSet<&'static str> {
        let actor = &self.actors[a];
        actor.prof.perms(actor.org == ADMIN_ORG).iter().copied().collect()
    }

    pub fn has(&self, a: usize, perm: &str) -> bool {
        self.perms(a).contains(perm)
    }

    /// The caller's permissions on a case: its own ∩ its organisation's share profile.
    pub fn effective(&self, a: usize, c: &CaseM) -> BTreeSet<&'static str> {
        let actor = &self.actors[a];
        match self.share_of(c, actor.org) {
            Some(s) => {
                let share: BTreeSet<&str> = s.prof.perms(false).iter().copied().collect();
                self.perms(a).into_iter().filter(|p| share.contains(p)).collect()
            }
            None => BTreeSet::new(),
        }
    }

    /// The answer to a change needing `perm` on something of case `c` that the caller sees
    /// iff `visible`: 404, 403, or `ok`.
    pub fn on_case(&self, a: usize, c: &CaseM, visible: bool, perm: &str, ok: u16) -> u16 {
        if !visible {
            404
        } else if !self.effective(a, c).contains(perm) {
            403
        } else {
            ok
        }
    }

    /// Organisation-level permission on an object of organisation `owner` (alerts,
    /// templates, knowledge base): 404 unless it is the caller's, then 403 or `ok`.
    pub fn on_org(&self, a: usize, owner: usize, perm: Option<&str>, ok: u16) -> u16 {
        if self.actors[a].org != owner {
            404
        } else if perm.is_some_and(|p| !self.has(a, p)) {
            403
        } else {
            ok
        }
    }

    pub fn org_name(&self, o: usize) -> &str {
        &self.orgs[o].name
    }

    /// Every case observable and alert observable with `key`, with whether `org` sees it.
    pub fn similar_visible(&self, org: usize, key: &(String, String), except: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for c in &self.cases {
            for o in &c.obs {
                if o.key == *key && o.id != except && self.sees_obs(org, c, o) {
                    out.insert(o.id.clone());
                }
            }
        }
        for al in &self.alerts {
            if al.obs.key == *key && al.obs.id != except && al.org == org {
                out.insert(al.obs.id.clone());
            }
        }
        out
    }

    /// True if `org` sees some use of the content `sha`.
    pub fn sees_content(&self, org: usize, sha: &str) -> bool {
        let in_cases = self.cases.iter().any(|c| {
            (self.sees_case(org, c) && c.attachment.1 == sha)
                || c.tasks.iter().any(|t| t.log_att == sha && self.sees_task(org, c, t))
                || c.obs.iter().any(|o| o.file_sha.as_deref() == Some(sha) && self.sees_obs(org, c, o))
        });
        let in_alerts = self.alerts.iter().any(|a| a.org == org && a.attachment.1 == sha);
        let in_orgs = self.org_objects.get(org).and_then(|o| o.as_ref()).is_some_and(|o| o.attachment.1 == sha);
        in_cases || in_alerts || in_orgs
    }
}
