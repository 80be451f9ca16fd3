//! Building the probe's world through the API, and recording it in the model as it goes:
//! four organisations (some linked), users with each default profile and a
//! multi-organisation user, cases shared at random (profiles, task and observable rules,
//! single items), alerts, observables with the same value everywhere (correlation), files,
//! comments, pages, procedures, templates and knowledge-base pages.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{Payload, Probe};
use super::model::{ADMIN_ORG, Actor, AlertM, CaseM, Model, ObsM, Org, OrgObjects, Prof, RULES, ShareM, TaskM};
use super::rng::Rng;
use crate::harness::ADMIN;

/// The bytes of the file every case carries as a file observable (correlated by content).
pub const COMMON_FILE: &[u8] = b"probe: the same file in every case";
/// The word every probe object carries, for the full-text search.
pub const TOKEN: &str = "zebratoken";
pub const CF: &str = "probecf";

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}")).to_owned()
}

pub fn id(v: &Value) -> String {
    s(v, "_id")
}

pub fn file(part: &'static str, name: &str, bytes: &[u8], json: Option<Value>) -> Payload {
    Payload::File { json, part, name: name.to_owned(), bytes: bytes.to_vec() }
}

/// Organisations, links, users. Returns the model with its actors.
pub async fn people(p: &mut Probe, rng: &mut Rng) -> Model {
    let mut m = Model::default();
    m.orgs.push(Org { name: "admin".into(), id: String::new() });
    m.actors.push(Actor { label: "root".into(), login: ADMIN.into(), org: ADMIN_ORG, prof: Prof::Admin });
    m.users.push((ADMIN.into(), vec![ADMIN_ORG]));
    p.sync(&m);
    for name in ["pa", "pb", "pc", "pd"] {
        let o =
            p.setup(0, Method::POST, "/organisation", Payload::Json(json!({"name": name, "description": name}))).await;
        m.orgs.push(Org { name: name.into(), id: id(&o) });
    }
    // pa–pb and pa–pc always; the others at random. pd is never linked to pa.
    let mut links = vec![(1, 2), (1, 3)];
    for pair in [(2, 3), (2, 4), (3, 4)] {
        if rng.chance(50) {
            links.push(pair);
        }
    }
    for (a, b) in links {
        let path = format!("/organisation/{}/link/{}", m.orgs[a].name, m.orgs[b].name);
        p.setup(0, Method::PUT, &path, Payload::Json(json!({"linkType": "default", "otherLinkType": "default"}))).await;
        m.links.insert((a, b));
    }
    for org in 1..=4 {
        for (short, prof) in [("oa", Prof::OrgAdmin), ("an", Prof::Analyst), ("ro", Prof::ReadOnly)] {
            let login = format!("{}-{short}@probe.test", m.orgs[org].name);
            add_user(p, &mut m, &login, org, prof).await;
            if prof == Prof::Analyst {
                m.agents.push(m.actors.len() - 1);
            }
        }
    }
    // One user, three organisations, three profiles.
    for (org, prof) in [(1, Prof::Analyst), (2, Prof::ReadOnly), (4, Prof::OrgAdmin)] {
        add_user(p, &mut m, "multi@probe.test", org, prof).await;
    }
    m
}

async fn add_user(p: &mut Probe, m: &mut Model, login: &str, org: usize, prof: Prof) {
    let body = json!({"login": login, "name": login, "organisation": m.orgs[org].name, "profile": prof.name(),
                      "password": crate::harness::password_of(login)});
    p.setup(0, Method::POST, "/user", Payload::Json(body)).await;
    let label = format!("{}@{}({})", login.split('@').next().unwrap_or(login), m.orgs[org].name, prof.name());
    m.actors.push(Actor { label, login: login.into(), org, prof });
    match m.users.iter_mut().find(|(l, _)| l == login) {
        Some((_, orgs)) => orgs.push(org),
        None => m.users.push((login.into(), vec![org])),
    }
    p.sync(m);
}

/// The analyst of organisation `org`: the probe's hands there.
pub fn agent(m: &Model, org: usize) -> usize {
    m.agents[org - 1]
}

/// The org-admin of organisation `org`.
pub fn org_admin(m: &Model, org: usize) -> usize {
    agent(m, org) - 1
}

/// Platform objects the cases need: patterns, a custom field.
pub async fn platform(p: &Probe) {
    let bundle = crate::alerts::stix_bundle();
    p.setup(0, Method::POST, "/pattern/import/attack", file("file", "enterprise-attack.json", &bundle, None)).await;
    p.setup(0, Method::POST, "/customField", Payload::Json(json!({"name": CF, "type": "string"}))).await;
}

async fn add_task(p: &Probe, who: usize, cid: &str) -> String {
    let t = p
        .setup(
            who,
            Method::POST,
            &format!("/case/{cid}/task"),
            Payload::Json(json!({"title": format!("{TOKEN} task")})),
        )
        .await;
    id(&t)
}

async fn add_obs(p: &Probe, who: usize, cid: &str, data: &str) -> String {
    let body = json!({"dataType": "domain", "data": data, "message": TOKEN});
    let o = p.setup(who, Method::POST, &format!("/case/{cid}/observable"), Payload::Json(body)).await;
    id(&o[0])
}

/// A new task of case `c` goes to the shares taking new tasks, and to its creator's share.
pub fn new_task_grants(c: &CaseM, creator_org: usize) -> BTreeSet<usize> {
    c.shares.iter().filter(|s| !s.owner && (s.task_rule.takes_new() || s.org == creator_org)).map(|s| s.org).collect()
}

pub fn new_obs_grants(c: &CaseM, creator_org: usize) -> BTreeSet<usize> {
    c.shares.iter().filter(|s| !s.owner && (s.obs_rule.takes_new() || s.org == creator_org)).map(|s| s.org).collect()
}

/// Creates a case of organisation `owner` with random shares. `full` adds the content every
/// probed case has (tasks with logs and files, observables, comment, page, procedure,
/// attachment) around the moment the shares are made, so that every rule matters.
pub async fn case(p: &Probe, m: &Model, rng: &mut Rng, owner: usize, full: bool) -> CaseM {
    let who = agent(m, owner);
    let body = json!({"title": format!("{TOKEN} case"), "description": "probe", "customFields": {CF: "x"}});
    let c = p.setup(who, Method::POST, "/case", Payload::Json(body)).await;
    let cid = id(&c);
    let mut cm = CaseM {
        id: cid.clone(),
        number: c["number"].as_i64().unwrap_or_default(),
        owner,
        shares: Vec::new(),
        tasks: Vec::new(),
        obs: Vec::new(),
        comment: String::new(),
        page: String::new(),
        procedure: String::new(),
        attachment: (String::new(), String::new()),
        cf_value: s(&c["customFields"][0], "_id"),
    };
    if full {
        let t = add_task(p, who, &cid).await;
        cm.tasks.push(task_m(t));
        let o = add_obs(p, who, &cid, "common.example").await;
        cm.obs.push(ObsM {
            id: o,
            granted: BTreeSet::new(),
            key: ("domain".into(), "common.example".into()),
            file_sha: None,
        });
        let f = p
            .setup(
                who,
                Method::POST,
                &format!("/case/{cid}/observable"),
                file("attachment", "common.txt", COMMON_FILE, Some(json!({"dataType": "file", "message": TOKEN}))),
            )
            .await;
        let sha = s(&f[0]["attachment"], "id");
        cm.obs.push(ObsM {
            id: id(&f[0]),
            granted: BTreeSet::new(),
            key: ("file".into(), sha.clone()),
            file_sha: Some(sha),
        });
    }
    // Shares with linked organisations, at random.
    let mut wanted = Vec::new();
    for org in 1..=4 {
        if org != owner && m.linked(owner, org) && rng.chance(75) {
            let prof = *rng.pick(&[Prof::ReadOnly, Prof::Analyst, Prof::OrgAdmin]);
            wanted.push((org, prof, *rng.pick(RULES), *rng.pick(RULES)));
        }
    }
    if !wanted.is_empty() {
        let shares: Vec<Value> = wanted
            .iter()
            .map(|(o, prof, tr, or)| {
                json!({"organisation": m.orgs[*o].name, "profile": prof.name(), "taskRule": tr.name(), "observableRule": or.name()})
            })
            .collect();
        let out =
            p.setup(who, Method::POST, &format!("/case/{cid}/shares"), Payload::Json(json!({"shares": shares}))).await;
        for (org, prof, tr, or) in &wanted {
            let sid = out
                .as_array()
                .and_then(|l| l.iter().find(|x| x["organisationName"] == m.orgs[*org].name.as_str()))
                .map(id)
                .unwrap_or_else(|| panic!("no share for {org} in {out}"));
            cm.shares.push(ShareM { id: sid, org: *org, prof: *prof, owner: false, task_rule: *tr, obs_rule: *or });
        }
    }
    // The owner's share, as the owner's own query shows it.
    let q = json!({"query": [{"_name": "getCase", "idOrName": cid}, {"_name": "shares"}]});
    let all = p.setup(who, Method::POST, "/query", Payload::Json(q)).await;
    let owner_share = all
        .as_array()
        .and_then(|l| l.iter().find(|x| x["owner"] == true))
        .map(id)
        .unwrap_or_else(|| panic!("no owner share in {all}"));
    cm.shares.push(ShareM {
        id: owner_share,
        org: owner,
        prof: Prof::OrgAdmin,
        owner: true,
        task_rule: super::model::Rule::All,
        obs_rule: super::model::Rule::All,
    });
    // Existing items go to shares whose rules take them.
    for sh in cm.shares.iter().filter(|s| !s.owner) {
        for t in &mut cm.tasks {
            if sh.task_rule.takes_existing() {
                t.granted.insert(sh.org);
            }
        }
        for o in &mut cm.obs {
            if sh.obs_rule.takes_existing() {
                o.granted.insert(sh.org);
            }
        }
    }
    if !full {
        return cm;
    }
    // Items made after the shares go to the shares taking new ones.
    let t = add_task(p, who, &cid).await;
    let mut tm = task_m(t);
    tm.granted = new_task_grants(&cm, owner);
    cm.tasks.push(tm);
    let o = add_obs(p, who, &cid, &format!("u{}.example", cm.number)).await;
    let granted = new_obs_grants(&cm, owner);
    cm.obs.push(ObsM { id: o, granted, key: ("domain".into(), format!("u{}.example", cm.number)), file_sha: None });
    // Single items shared by hand.
    let others: Vec<usize> = cm.shares.iter().filter(|s| !s.owner).map(|s| s.org).collect();
    for org in &others {
        let name = m.orgs[*org].name.clone();
        for t in &mut cm.tasks {
            if !t.granted.contains(org) && rng.chance(35) {
                let body = json!({"organisations": [name]});
                p.setup(who, Method::POST, &format!("/case/task/{}/shares", t.id), Payload::Json(body)).await;
                t.granted.insert(*org);
            }
        }
        for o in &mut cm.obs {
            if !o.granted.contains(org) && rng.chance(35) {
                let body = json!({"organisations": [name]});
                p.setup(who, Method::POST, &format!("/observable/{}/shares", o.id), Payload::Json(body)).await;
                o.granted.insert(*org);
            }
        }
    }
    // Logs with files, comment, page, procedure, attachment.
    for (i, t) in cm.tasks.iter_mut().enumerate() {
        let l = p
            .setup(
                who,
                Method::POST,
                &format!("/task/{}/log", t.id),
                Payload::Json(json!({"message": format!("{TOKEN} log")})),
            )
            .await;
        t.log = id(&l);
        let bytes = format!("log file {} {i}", cm.number).into_bytes();
        let a = p
            .setup(
                who,
                Method::POST,
                &format!("/log/{}/attachments", t.log),
                file("attachments", "log.txt", &bytes, None),
            )
            .await;
        t.log_att = s(&a["attachments"][0], "id");
        t.log_att_usage = id(&a["attachments"][0]);
    }
    let cm_body = json!({"message": format!("{TOKEN} comment")});
    cm.comment = id(&p.setup(who, Method::POST, &format!("/case/{cid}/comment"), Payload::Json(cm_body)).await);
    let page = json!({"title": format!("{TOKEN} page"), "content": "c", "category": "probe"});
    cm.page = id(&p.setup(who, Method::POST, &format!("/case/{cid}/page"), Payload::Json(page)).await);
    let proc_body = json!({"patternId": "T1132", "occurDate": 1_700_000_000_000i64});
    cm.procedure = id(&p.setup(who, Method::POST, &format!("/case/{cid}/procedure"), Payload::Json(proc_body)).await);
    let bytes = format!("case file {}", cm.number).into_bytes();
    let a = p
        .setup(who, Method::POST, &format!("/case/{cid}/attachments"), file("attachments", "case.txt", &bytes, None))
        .await;
    cm.attachment = (id(&a["attachments"][0]), s(&a["attachments"][0], "id"));
    cm
}

fn task_m(id: String) -> TaskM {
    TaskM { id, granted: BTreeSet::new(), log: String::new(), log_att: String::new(), log_att_usage: String::new() }
}

/// An alert of organisation `org` with one observable (the common value), a comment, a
/// procedure and a file.
pub async fn alert(p: &Probe, m: &Model, org: usize, reference: &str) -> AlertM {
    let who = agent(m, org);
    let body = json!({"type": "probe", "source": "probe", "sourceRef": reference, "title": format!("{TOKEN} alert"),
                      "description": "d", "observables": [{"dataType": "domain", "data": "common.example", "message": TOKEN}]});
    let a = p.setup(who, Method::POST, "/alert", Payload::Json(body)).await;
    let aid = id(&a);
    let q = json!({"query": [{"_name": "getAlert", "idOrName": aid}, {"_name": "observables"}]});
    let obs = p.setup(who, Method::POST, "/query", Payload::Json(q)).await;
    let comment = json!({"message": format!("{TOKEN} comment")});
    let comment = id(&p.setup(who, Method::POST, &format!("/alert/{aid}/comment"), Payload::Json(comment)).await);
    let proc_body = json!({"patternId": "T1132", "occurDate": 1_700_000_000_000i64});
    let procedure = id(&p.setup(who, Method::POST, &format!("/alert/{aid}/procedure"), Payload::Json(proc_body)).await);
    let bytes = format!("alert file {reference}").into_bytes();
    let att = p
        .setup(who, Method::POST, &format!("/alert/{aid}/attachments"), file("attachments", "alert.txt", &bytes, None))
        .await;
    AlertM {
        id: aid,
        org,
        obs: ObsM {
            id: id(&obs[0]),
            granted: BTreeSet::new(),
            key: ("domain".into(), "common.example".into()),
            file_sha: None,
        },
        comment,
        procedure,
        attachment: (id(&att["attachments"][0]), s(&att["attachments"][0], "id")),
    }
}

/// A case template, a page template, a knowledge-base page and a file of organisation `org`.
pub async fn org_objects(p: &Probe, m: &Model, org: usize, tag: &str) -> OrgObjects {
    let (oa, an) = (org_admin(m, org), agent(m, org));
    let t = p.setup(oa, Method::POST, "/caseTemplate", Payload::Json(json!({"name": format!("tpl-{tag}")}))).await;
    let pt_body = json!({"title": format!("pt-{tag}"), "content": "c", "category": "probe"});
    let pt = p.setup(oa, Method::POST, "/pageTemplate", Payload::Json(pt_body)).await;
    let kb_body = json!({"title": format!("{TOKEN} kb {tag}"), "content": "c", "category": "probe"});
    let kb = p.setup(an, Method::POST, "/page", Payload::Json(kb_body)).await;
    let bytes = format!("org file {tag}").into_bytes();
    let a = p.setup(an, Method::POST, "/attachment", file("attachments", "org.txt", &bytes, None)).await;
    OrgObjects {
        case_template: id(&t),
        page_template: id(&pt),
        kb_page: id(&kb),
        attachment: (id(&a["attachments"][0]), s(&a["attachments"][0], "id")),
    }
}

/// The whole world: people, platform objects, cases (two for pa, one for each other
/// organisation, one more for pb), alerts and organisation objects.
pub async fn build(p: &mut Probe, rng: &mut Rng) -> Model {
    let mut m = people(p, rng).await;
    platform(p).await;
    for owner in [1, 1, 2, 3, 4, 2] {
        let c = case(p, &m, rng, owner, true).await;
        m.cases.push(c);
    }
    for org in 1..=4 {
        let a = alert(p, &m, org, &format!("main-{org}")).await;
        m.alerts.push(a);
    }
    m.org_objects.push(None);
    for org in 1..=4 {
        let o = org_objects(p, &m, org, &m.orgs[org].name.clone()).await;
        m.org_objects.push(Some(o));
    }
    m
}
