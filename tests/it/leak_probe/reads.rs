//! Read checks: every read endpoint, by every actor, on every object, with the exact
//! answer the model allows (status, and the ids of every list).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{Check, compare_ids};
use super::model::{ADMIN_ORG, CaseM, Model};
use super::rng::Rng;
use super::world::TOKEN;

fn set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

fn ok_or_404(visible: bool) -> u16 {
    if visible { 200 } else { 404 }
}

fn get(a: usize, route: &'static str, path: String, visible: bool) -> Check {
    Check::new(a, Method::GET, route, path, ok_or_404(visible))
}

fn query(a: usize, steps: Value) -> Check {
    Check::new(a, Method::POST, "/query", "/query".into(), 200).json(json!({ "query": steps }))
}

/// The model's visible sets for one organisation.
pub struct View {
    pub cases: BTreeSet<String>,
    pub tasks: BTreeSet<String>,
    pub logs: BTreeSet<String>,
    pub obs: BTreeSet<String>,
    pub alerts: BTreeSet<String>,
    pub comments: BTreeSet<String>,
    pub pages: BTreeSet<String>,
    pub procedures: BTreeSet<String>,
    pub shares: BTreeSet<String>,
    /// (type, id) of everything whose audit rows the organisation may read.
    pub audit: BTreeSet<(String, String)>,
}

pub fn view(m: &Model, org: usize) -> View {
    let mut v = View {
        cases: BTreeSet::new(),
        tasks: BTreeSet::new(),
        logs: BTreeSet::new(),
        obs: BTreeSet::new(),
        alerts: BTreeSet::new(),
        comments: BTreeSet::new(),
        pages: BTreeSet::new(),
        procedures: BTreeSet::new(),
        shares: BTreeSet::new(),
        audit: BTreeSet::new(),
    };
    let allow = |t: &str, id: &str, v: &mut View| {
        v.audit.insert((t.to_owned(), id.to_owned()));
    };
    for c in m.cases.iter().filter(|c| m.sees_case(org, c)) {
        v.cases.insert(c.id.clone());
        v.comments.insert(c.comment.clone());
        v.pages.insert(c.page.clone());
        v.procedures.insert(c.procedure.clone());
        for (t, id) in [("Case", &c.id), ("Comment", &c.comment), ("Page", &c.page), ("Procedure", &c.procedure)] {
            allow(t, id, &mut v);
        }
        allow("Attachment", &c.attachment.0.clone(), &mut v);
        for s in c.shares.iter().filter(|s| m.org_visible(org, s.org)) {
            v.shares.insert(s.id.clone());
        }
        if c.owner == org {
            for s in &c.shares {
                allow("Share", &s.id.clone(), &mut v);
            }
        }
        for t in c.tasks.iter().filter(|t| m.sees_task(org, c, t)) {
            v.tasks.insert(t.id.clone());
            v.logs.insert(t.log.clone());
            allow("Task", &t.id.clone(), &mut v);
            allow("Log", &t.log.clone(), &mut v);
            allow("Attachment", &t.log_att_usage.clone(), &mut v);
        }
        for o in c.obs.iter().filter(|o| m.sees_obs(org, c, o)) {
            v.obs.insert(o.id.clone());
            allow("Observable", &o.id.clone(), &mut v);
        }
    }
    for al in m.alerts.iter().filter(|a| a.org == org) {
        v.alerts.insert(al.id.clone());
        v.obs.insert(al.obs.id.clone());
        v.comments.insert(al.comment.clone());
        v.procedures.insert(al.procedure.clone());
        for (t, id) in [
            ("Alert", &al.id),
            ("Observable", &al.obs.id),
            ("Comment", &al.comment),
            ("Procedure", &al.procedure),
            ("Attachment", &al.attachment.0),
        ] {
            allow(t, &id.clone(), &mut v);
        }
    }
    if let Some(Some(o)) = m.org_objects.get(org) {
        v.pages.insert(o.kb_page.clone());
        for (t, id) in [
            ("CaseTemplate", &o.case_template),
            ("PageTemplate", &o.page_template),
            ("Page", &o.kb_page),
            ("Attachment", &o.attachment.0),
        ] {
            allow(t, &id.clone(), &mut v);
        }
    }
    v
}

/// Types whose audit rows are organisation data (the others are platform administration,
/// recorded in and visible to the admin organisation only).
const DATA_TYPES: &[&str] = &[
    "Case",
    "Task",
    "Log",
    "Observable",
    "Comment",
    "Page",
    "Procedure",
    "Share",
    "Alert",
    "Attachment",
    "CaseTemplate",
    "PageTemplate",
];

/// Every audit row shown must be about something the organisation may see.
fn audit_check(m: &Model, org: usize) -> impl Fn(&Value) -> Result<(), (String, bool)> + Send + Sync + 'static {
    let allowed = view(m, org).audit;
    let admin = org == ADMIN_ORG;
    move |body: &Value| {
        let Some(items) = body.as_array() else { return Err((format!("not a list: {body}"), false)) };
        for e in items {
            let t = e["objectType"].as_str().unwrap_or_default().to_owned();
            let id = e["objectId"].as_str().unwrap_or_default().to_owned();
            let ok = if DATA_TYPES.contains(&t.as_str()) { allowed.contains(&(t.clone(), id.clone())) } else { admin };
            if !ok {
                return Err((format!("audit row about {t} {id} shown: {e}"), true));
            }
        }
        Ok(())
    }
}

/// Timeline events about tasks, observables and logs must be about visible ones.
fn timeline_check(m: &Model, org: usize) -> impl Fn(&Value) -> Result<(), (String, bool)> + Send + Sync + 'static {
    let v = view(m, org);
    let allowed = v.audit;
    move |body: &Value| {
        let Some(events) = body["events"].as_array() else { return Err((format!("no events: {body}"), false)) };
        for e in events {
            let t = e["entity"].as_str().unwrap_or_default().to_owned();
            let id = e["entityId"].as_str().unwrap_or_default().to_owned();
            if DATA_TYPES.contains(&t.as_str()) && !allowed.contains(&(t.clone(), id.clone())) {
                return Err((format!("timeline shows {t} {id}: {e}"), true));
            }
        }
        Ok(())
    }
}

/// Linked cases must be visible cases, linked through visible observables.
fn links_check(m: &Model, org: usize) -> impl Fn(&Value) -> Result<(), (String, bool)> + Send + Sync + 'static {
    let v = view(m, org);
    move |body: &Value| {
        let Some(links) = body.as_array() else { return Err((format!("not a list: {body}"), false)) };
        for l in links {
            let id = l["_id"].as_str().unwrap_or_default();
            if !v.cases.contains(id) {
                return Err((format!("links show case {id}"), true));
            }
            for o in l["linkedWith"].as_array().into_iter().flatten() {
                let oid = o["_id"].as_str().unwrap_or_default();
                if !v.obs.contains(oid) {
                    return Err((format!("links show observable {oid}"), true));
                }
            }
        }
        Ok(())
    }
}

/// Checks of `GET /case/{id}/shares`-like answers: the organisation names shown.
fn share_names(m: &Model, a: usize, c: &CaseM, filter: impl Fn(usize) -> bool) -> BTreeSet<String> {
    let org = m.actor(a).org;
    c.shares
        .iter()
        .filter(|s| s.org != org && m.org_visible(org, s.org) && filter(s.org))
        .map(|s| m.org_name(s.org).to_owned())
        .collect()
}

/// The answer to listing the shares of an item: 404 if the item is invisible, 403
/// without `manageShare` on the case, else the names.
fn item_shares(
    m: &Model,
    a: usize,
    c: &CaseM,
    visible: bool,
    route: &'static str,
    path: String,
    names: BTreeSet<String>,
) -> Check {
    let status = m.on_case(a, c, visible, "manageShare", 200);
    Check::new(a, Method::GET, route, path, status).ids_in("organisationName", names)
}

pub fn checks(m: &Model, rng: &mut Rng) -> Vec<Check> {
    let mut out = Vec::new();
    for a in 0..m.actors.len() {
        let org = m.actor(a).org;
        let v = view(m, org);
        // Lists.
        out.push(get(a, "/case", "/case".into(), true).ids(v.cases.clone()));
        out.push(get(a, "/task", "/task".into(), true).ids(v.tasks.clone()));
        out.push(get(a, "/audit", "/audit".into(), true).custom(audit_check(m, org)));
        for (initial, ids) in [
            ("listCase", &v.cases),
            ("listTask", &v.tasks),
            ("listLog", &v.logs),
            ("listObservable", &v.obs),
            ("listAlert", &v.alerts),
            ("listComment", &v.comments),
            ("listPage", &v.pages),
            ("listProcedure", &v.procedures),
            ("listShare", &v.shares),
        ] {
            out.push(query(a, json!([{"_name": initial}])).ids(ids.clone()));
        }
        let n = v.cases.len();
        out.push(query(a, json!([{"_name": "countCase"}])).custom(move |b| {
            if b.as_u64() == Some(n as u64) {
                Ok(())
            } else {
                Err((format!("count {b}, expected {n}"), b.as_u64().is_some_and(|x| x > n as u64)))
            }
        }));
        out.push(query(a, json!([{"_name": "listAudit"}])).custom(audit_check(m, org)));
        out.push(search(m, a, &v, Method::POST));
        out.push(search(m, a, &v, Method::GET));
        // Organisations, users.
        let orgs: BTreeSet<String> =
            (0..m.orgs.len()).filter(|o| m.org_visible(org, *o)).map(|o| m.org_name(o).to_owned()).collect();
        out.push(get(a, "/organisation", "/organisation".into(), true).ids_in("name", orgs));
        for o in 1..m.orgs.len() {
            let name = m.org_name(o).to_owned();
            let links: BTreeSet<String> = (1..m.orgs.len())
                .filter(|x| m.linked(o, *x) && m.org_visible(org, *x))
                .map(|x| m.org_name(x).to_owned())
                .collect();
            let shown = links.clone();
            out.push(get(a, "/organisation/{id}", format!("/organisation/{name}"), m.org_visible(org, o)).custom(
                move |b| {
                    let got: BTreeSet<String> = b["links"]
                        .as_array()
                        .map(|l| l.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                        .unwrap_or_default();
                    if got == shown {
                        Ok(())
                    } else {
                        Err((format!("links {got:?}, expected {shown:?}"), got.difference(&shown).next().is_some()))
                    }
                },
            ));
            out.push(
                get(a, "/organisation/{id}/links", format!("/organisation/{name}/links"), m.org_visible(org, o))
                    .ids_in("name", links),
            );
            let users: BTreeSet<String> =
                m.users.iter().filter(|(_, orgs)| orgs.contains(&o)).map(|(l, _)| l.clone()).collect();
            let see_users = org == o || org == ADMIN_ORG;
            out.push(
                get(a, "/organisation/{id}/user", format!("/organisation/{name}/user"), see_users)
                    .ids_in("login", users),
            );
        }
        for (login, orgs) in &m.users {
            let visible = org == ADMIN_ORG || orgs.contains(&org);
            out.push(get(a, "/user/{id}", format!("/user/{login}"), visible));
        }
        out.push(get(a, "/user/current", "/user/current".into(), true));
        // Catalogues everyone reads.
        for (route, path) in [
            ("/profile", "/profile".to_owned()),
            ("/profile/{id}", "/profile/analyst".to_owned()),
            ("/observable/type", "/observable/type".to_owned()),
            ("/observable/type/{id}", "/observable/type/domain".to_owned()),
            ("/customField", "/customField".to_owned()),
            ("/customField/{id}", format!("/customField/{}", super::world::CF)),
            ("/pattern/{id}", "/pattern/T1132".to_owned()),
            ("/sharingProfile", "/sharingProfile".to_owned()),
            ("/caseTemplate", "/caseTemplate".to_owned()),
            ("/pageTemplate", "/pageTemplate".to_owned()),
            ("/page", "/page".to_owned()),
            ("/attachment", "/attachment".to_owned()),
        ] {
            out.push(get(a, route, path, true));
        }
        // Organisation objects.
        for o in 1..m.orgs.len() {
            let Some(Some(objs)) = m.org_objects.get(o) else { continue };
            let mine = org == o;
            out.push(get(a, "/caseTemplate/{id}", format!("/caseTemplate/{}", objs.case_template), mine));
            out.push(get(a, "/pageTemplate/{id}", format!("/pageTemplate/{}", objs.page_template), mine));
            out.push(get(a, "/page/{id}", format!("/page/{}", objs.kb_page), mine));
            let sha = &objs.attachment.1;
            out.push(get(
                a,
                "/attachment/{id}/download",
                format!("/attachment/{sha}/download"),
                m.sees_content(org, sha),
            ));
            for (q, id) in [
                ("getCaseTemplate", &objs.case_template),
                ("getPageTemplate", &objs.page_template),
                ("getPage", &objs.kb_page),
            ] {
                let want = if mine { set([id.clone()]) } else { BTreeSet::new() };
                out.push(query(a, json!([{"_name": q, "idOrName": id}])).ids(want));
            }
        }
        out.push(
            get(a, "/caseTemplate", "/caseTemplate".into(), true).ids(org_ids(m, org, |o| o.case_template.clone())),
        );
        out.push(
            get(a, "/pageTemplate", "/pageTemplate".into(), true).ids(org_ids(m, org, |o| o.page_template.clone())),
        );
        out.push(get(a, "/page", "/page".into(), true).ids(org_ids(m, org, |o| o.kb_page.clone())));
        out.push(get(a, "/attachment", "/attachment".into(), true).ids(org_ids(m, org, |o| o.attachment.0.clone())));
        for c in &m.cases {
            case_reads(m, a, c, rng, &mut out);
        }
        for al in &m.alerts {
            alert_reads(m, a, al, &mut out);
        }
    }
    out
}

fn org_ids(m: &Model, org: usize, f: impl Fn(&super::model::OrgObjects) -> String) -> BTreeSet<String> {
    m.org_objects.get(org).and_then(|o| o.as_ref()).map(|o| set([f(o)])).unwrap_or_default()
}

/// `POST /search` for the probe's word: exactly the visible objects carrying it.
fn search(m: &Model, a: usize, v: &View, method: Method) -> Check {
    let _ = m;
    let mut want: BTreeSet<String> = BTreeSet::new();
    for (t, ids) in [
        ("Case", &v.cases),
        ("Task", &v.tasks),
        ("Log", &v.logs),
        ("Observable", &v.obs),
        ("Alert", &v.alerts),
        ("Comment", &v.comments),
        ("Page", &v.pages),
    ] {
        for id in ids {
            want.insert(format!("{t}:{id}"));
        }
    }
    let check = if method == Method::GET {
        Check::new(a, method, "/search", format!("/search?query={TOKEN}&size=100"), 200)
    } else {
        Check::new(a, method, "/search", "/search".into(), 200).json(json!({"query": TOKEN, "size": 100}))
    };
    check.custom(move |b| {
            let list: Vec<Value> = b
                .as_array()
                .map(|l| l.iter().map(|h| json!({"_id": format!("{}:{}", h["_type"].as_str().unwrap_or(""), h["_id"].as_str().unwrap_or(""))})).collect())
                .unwrap_or_default();
            compare_ids(&Value::Array(list), "_id", &want, true)
        })
}

fn case_reads(m: &Model, a: usize, c: &CaseM, rng: &mut Rng, out: &mut Vec<Check>) {
    let org = m.actor(a).org;
    let vis = m.sees_case(org, c);
    let cid = &c.id;
    let eff: BTreeSet<String> = m.effective(a, c).into_iter().map(str::to_owned).collect();
    let eff2 = eff.clone();
    out.push(get(a, "/case/{id}", format!("/case/{cid}"), vis).custom(move |b| {
        let got: BTreeSet<String> = b["userPermissions"]
            .as_array()
            .map(|l| l.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if got == eff2 {
            Ok(())
        } else {
            Err((format!("userPermissions {got:?}, expected {eff2:?}"), got.difference(&eff2).next().is_some()))
        }
    }));
    out.push(get(a, "/case/{id}", format!("/case/{}", c.number), vis));
    out.push(get(a, "/case/{id}/timeline", format!("/case/{cid}/timeline"), vis).custom(timeline_check(m, org)));
    out.push(get(a, "/case/{id}/links", format!("/case/{cid}/links"), vis).custom(links_check(m, org)));
    out.push(get(a, "/case/{id}/customEvent", format!("/case/{cid}/customEvent"), vis).ids(BTreeSet::new()));
    out.push(
        get(a, "/case/{id}/shares", format!("/case/{cid}/shares"), vis)
            .ids_in("organisationName", share_names(m, a, c, |_| true)),
    );
    let tasks: BTreeSet<String> = c.tasks.iter().filter(|t| m.sees_task(org, c, t)).map(|t| t.id.clone()).collect();
    let obs: BTreeSet<String> = c.obs.iter().filter(|o| m.sees_obs(org, c, o)).map(|o| o.id.clone()).collect();
    out.push(get(a, "/case/{id}/task", format!("/case/{cid}/task"), vis).ids(tasks.clone()));
    out.push(get(a, "/case/{id}/comment", format!("/case/{cid}/comment"), vis).ids(set([c.comment.clone()])));
    out.push(get(a, "/case/{id}/page", format!("/case/{cid}/page"), vis).ids(set([c.page.clone()])));
    out.push(get(a, "/case/{id}/page/{page}", format!("/case/{cid}/page/{}", c.page), vis));
    out.push(
        get(a, "/case/{id}/attachments", format!("/case/{cid}/attachments"), vis).ids(set([c.attachment.0.clone()])),
    );
    out.push(get(
        a,
        "/case/{id}/attachment/{att}/download",
        format!("/case/{cid}/attachment/{}/download", c.attachment.1),
        vis,
    ));
    out.push(get(
        a,
        "/attachment/{id}/download",
        format!("/attachment/{}/download", c.attachment.1),
        m.sees_content(org, &c.attachment.1),
    ));
    out.push(get(a, "/pattern/case/{id}", format!("/pattern/case/{cid}"), vis));
    out.push(get(a, "/comment/{id}", format!("/comment/{}", c.comment), vis));
    out.push(get(a, "/procedure/{id}", format!("/procedure/{}", c.procedure), vis));
    let one = |id: &str, visible: bool| if visible { set([id.to_owned()]) } else { BTreeSet::new() };
    out.push(query(a, json!([{"_name": "getCase", "idOrName": cid}])).ids(one(cid, vis)));
    out.push(query(a, json!([{"_name": "getCase", "idOrName": cid}, {"_name": "tasks"}])).ids(tasks.clone()));
    out.push(query(a, json!([{"_name": "getCase", "idOrName": cid}, {"_name": "observables"}])).ids(obs.clone()));
    let shares: BTreeSet<String> =
        c.shares.iter().filter(|s| vis && m.org_visible(org, s.org)).map(|s| s.id.clone()).collect();
    out.push(query(a, json!([{"_name": "getCase", "idOrName": cid}, {"_name": "shares"}])).ids(shares));
    out.push(query(a, json!([{"_name": "getComment", "idOrName": c.comment}])).ids(one(&c.comment, vis)));
    out.push(query(a, json!([{"_name": "getPage", "idOrName": c.page}])).ids(one(&c.page, vis)));
    out.push(query(a, json!([{"_name": "getProcedure", "idOrName": c.procedure}])).ids(one(&c.procedure, vis)));
    let perms = eff.clone();
    out.push(
        query(a, json!([{"_name": "getCase", "idOrName": cid}, {"_name": "page", "from": 0, "to": 1, "extraData": ["permissions"]}]))
            .custom(move |b| {
                let Some(first) = b.as_array().and_then(|l| l.first()) else {
                    return if vis { Err(("case missing".into(), false)) } else { Ok(()) };
                };
                if !vis {
                    return Err((format!("invisible case shown: {first}"), true));
                }
                let got: BTreeSet<String> = first["extraData"]["permissions"]
                    .as_array()
                    .map(|l| l.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                if got == perms { Ok(()) } else { Err((format!("permissions {got:?}, expected {perms:?}"), got.difference(&perms).next().is_some())) }
            }),
    );
    // Similar observables with another case.
    let other = &m.cases[rng.below(m.cases.len())];
    let both = vis && m.sees_case(org, other);
    let sim: BTreeSet<String> = c
        .obs
        .iter()
        .filter(|o| m.sees_obs(org, c, o))
        .filter(|o| other.obs.iter().any(|x| x.key == o.key && x.id != o.id && m.sees_obs(org, other, x)))
        .map(|o| o.id.clone())
        .collect();
    out.push(
        get(
            a,
            "/case/{id}/similar/{other}/observables",
            format!("/case/{cid}/similar/{}/observables", other.number),
            both,
        )
        .ids(sim),
    );
    // Tasks and logs.
    for t in &c.tasks {
        let tv = m.sees_task(org, c, t);
        out.push(get(a, "/task/{id}", format!("/task/{}", t.id), tv));
        out.push(get(a, "/task/{id}/log", format!("/task/{}/log", t.id), tv).ids(set([t.log.clone()])));
        out.push(get(a, "/log/{id}", format!("/log/{}", t.log), tv));
        out.push(get(
            a,
            "/attachment/{id}/download",
            format!("/attachment/{}/download", t.log_att),
            m.sees_content(org, &t.log_att),
        ));
        let flags: BTreeSet<String> = (1..m.orgs.len())
            .filter(|o| m.org_visible(org, *o) && m.sees_task(*o, c, t))
            .map(|o| m.org_name(o).to_owned())
            .collect();
        out.push(get(a, "/task/{id}/actionRequired", format!("/task/{}/actionRequired", t.id), tv).custom(move |b| {
            let got: BTreeSet<String> = b.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            if got == flags {
                Ok(())
            } else {
                Err((format!("flags for {got:?}, expected {flags:?}"), got.difference(&flags).next().is_some()))
            }
        }));
        let names = share_names(m, a, c, |o| o == c.owner || t.granted.contains(&o));
        out.push(item_shares(
            m,
            a,
            c,
            tv,
            "/case/{id}/task/{task}/shares",
            format!("/case/{cid}/task/{}/shares", t.id),
            names.clone(),
        ));
        out.push(item_shares(m, a, c, tv, "/task/{id}/shares", format!("/task/{}/shares", t.id), names));
        out.push(query(a, json!([{"_name": "getTask", "idOrName": t.id}])).ids(one(&t.id, tv)));
        out.push(query(a, json!([{"_name": "getLog", "idOrName": t.log}])).ids(one(&t.log, tv)));
        out.push(query(a, json!([{"_name": "getTask", "idOrName": t.id}, {"_name": "logs"}])).ids(one(&t.log, tv)));
    }
    // Observables, correlation, files.
    for o in &c.obs {
        let ov = m.sees_obs(org, c, o);
        out.push(get(a, "/observable/{id}", format!("/observable/{}", o.id), ov));
        let similar = m.similar_visible(org, &o.key, &o.id);
        out.push(get(a, "/observable/{id}/similar", format!("/observable/{}/similar", o.id), ov).ids(similar.clone()));
        let seen = similar.len() as u64;
        out.push(
            query(a, json!([{"_name": "getObservable", "idOrName": o.id}, {"_name": "page", "from": 0, "to": 1, "extraData": ["seen"]}]))
                .custom(move |b| match b.as_array().and_then(|l| l.first()) {
                    None if !ov => Ok(()),
                    None => Err(("observable missing".into(), false)),
                    Some(x) if !ov => Err((format!("invisible observable shown: {x}"), true)),
                    Some(x) => {
                        let got = x["extraData"]["seen"]["seen"].as_u64().unwrap_or(u64::MAX);
                        if got == seen { Ok(()) } else { Err((format!("seen {got}, expected {seen}"), got > seen)) }
                    }
                }),
        );
        let names = share_names(m, a, c, |x| x == c.owner || o.granted.contains(&x));
        out.push(item_shares(
            m,
            a,
            c,
            ov,
            "/case/{id}/observable/{obs}/shares",
            format!("/case/{cid}/observable/{}/shares", o.id),
            names.clone(),
        ));
        out.push(item_shares(m, a, c, ov, "/observable/{id}/shares", format!("/observable/{}/shares", o.id), names));
        if let Some(sha) = &o.file_sha {
            out.push(get(
                a,
                "/observable/{id}/attachment/{att}/download",
                format!("/observable/{}/attachment/{sha}/download", o.id),
                ov,
            ));
            out.push(get(
                a,
                "/attachment/{id}/download",
                format!("/attachment/{sha}/download"),
                m.sees_content(org, sha),
            ));
        }
    }
}

fn alert_reads(m: &Model, a: usize, al: &super::model::AlertM, out: &mut Vec<Check>) {
    let org = m.actor(a).org;
    let mine = al.org == org;
    let id = &al.id;
    // Cases with a visible observable similar to the alert's.
    let cases: BTreeSet<String> = m
        .cases
        .iter()
        .filter(|c| c.obs.iter().any(|o| o.key == al.obs.key && m.sees_obs(org, c, o)))
        .map(|c| c.id.clone())
        .collect();
    out.push(get(a, "/alert/{id}", format!("/alert/{id}"), mine));
    out.push(get(a, "/alert/{id}/comment", format!("/alert/{id}/comment"), mine).ids(set([al.comment.clone()])));
    out.push(
        get(a, "/alert/{id}/attachments", format!("/alert/{id}/attachments"), mine).ids(set([al.attachment.0.clone()])),
    );
    out.push(get(
        a,
        "/alert/{id}/attachment/{att}/download",
        format!("/alert/{id}/attachment/{}/download", al.attachment.1),
        mine,
    ));
    out.push(get(
        a,
        "/attachment/{id}/download",
        format!("/attachment/{}/download", al.attachment.1),
        m.sees_content(org, &al.attachment.1),
    ));
    out.push(get(a, "/alert/{id}/similar", format!("/alert/{id}/similar"), mine).ids_in("case._id", cases.clone()));
    let c = &m.cases[0];
    let sim = if mine && c.obs.iter().any(|o| o.key == al.obs.key && m.sees_obs(org, c, o)) {
        set([al.obs.id.clone()])
    } else {
        BTreeSet::new()
    };
    let both = mine && m.sees_case(org, c);
    out.push(
        get(
            a,
            "/alert/{id}/similar/{other}/observables",
            format!("/alert/{id}/similar/{}/observables", c.number),
            both,
        )
        .ids(sim),
    );
    out.push(get(a, "/observable/{id}", format!("/observable/{}", al.obs.id), mine));
    out.push(
        get(a, "/observable/{id}/similar", format!("/observable/{}/similar", al.obs.id), mine).ids(m.similar_visible(
            org,
            &al.obs.key,
            &al.obs.id,
        )),
    );
    out.push(get(a, "/comment/{id}", format!("/comment/{}", al.comment), mine));
    out.push(get(a, "/procedure/{id}", format!("/procedure/{}", al.procedure), mine));
    let one = if mine { set([id.clone()]) } else { BTreeSet::new() };
    out.push(query(a, json!([{"_name": "getAlert", "idOrName": id}])).ids(one));
    let obs = if mine { set([al.obs.id.clone()]) } else { BTreeSet::new() };
    out.push(query(a, json!([{"_name": "getAlert", "idOrName": id}, {"_name": "observables"}])).ids(obs));
    // Alert observables belong to one organisation and are not shared.
    let status = if mine { 400 } else { 404 };
    out.push(Check::new(
        a,
        Method::GET,
        "/observable/{id}/shares",
        format!("/observable/{}/shares", al.obs.id),
        status,
    ));
}
