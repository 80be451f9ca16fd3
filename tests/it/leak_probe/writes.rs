//! Write checks that destroy nothing: updates, creations inside cases and alerts (whose
//! results are then checked for visibility from every organisation), share management
//! that the model answers with 400/403/404 or a no-op, organisation objects, and the
//! platform administration that only the admin organisation may do.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{Check, Shared};
use super::model::{ADMIN_ORG, CaseM, Model};
use super::rng::Rng;
use super::world::{self, agent};

/// Something a check created, and the organisations that must see it.
#[derive(Debug, Clone)]
pub struct Created {
    pub route: &'static str,
    pub id: String,
    pub visible_to: BTreeSet<usize>,
}

pub type Sink = Arc<Mutex<Vec<Created>>>;

/// A creation check: on success, records the new object's id (`field` of the body, or of
/// its first element) for the visibility checks that follow.
pub fn creating(c: Check, sink: &Sink, route: &'static str, visible_to: BTreeSet<usize>) -> Check {
    let sink = sink.clone();
    c.custom(move |b| {
        let v = if b.is_array() { &b[0] } else { b };
        match v["_id"].as_str() {
            Some(id) => {
                if let Ok(mut s) = sink.lock() {
                    s.push(Created { route, id: id.to_owned(), visible_to: visible_to.clone() });
                }
                Ok(())
            }
            None => Err((format!("no id in {b}"), false)),
        }
    })
}

/// Who must see a new task (observable) that organisation `creator` makes in `c`.
fn task_audience(c: &CaseM, creator: usize) -> BTreeSet<usize> {
    let mut v = world::new_task_grants(c, creator);
    v.insert(c.owner);
    v
}

fn obs_audience(c: &CaseM, creator: usize) -> BTreeSet<usize> {
    let mut v = world::new_obs_grants(c, creator);
    v.insert(c.owner);
    v
}

/// The checks that every created object is seen by exactly its audience: one reader per
/// organisation (its read-only user) and the platform administrator.
pub fn visibility_checks(m: &Model, created: &[Created]) -> Vec<Check> {
    let mut out = Vec::new();
    for c in created {
        let path = format!("{}/{}", c.route, c.id);
        let route: &'static str = match c.route {
            "/task" => "/task/{id}",
            "/observable" => "/observable/{id}",
            "/case" => "/case/{id}",
            "/alert" => "/alert/{id}",
            _ => continue,
        };
        for org in 0..m.orgs.len() {
            let reader = if org == ADMIN_ORG { 0 } else { agent(m, org) + 1 };
            let status = if c.visible_to.contains(&org) { 200 } else { 404 };
            out.push(Check::new(reader, Method::GET, route, path.clone(), status));
        }
    }
    out
}

pub async fn run(p: &Shared, m: &mut Model, rng: &mut Rng) {
    let sink: Sink = Arc::new(Mutex::new(Vec::new()));
    let mut checks = Vec::new();
    let mut n = 0usize;
    let mut unique = || {
        n += 1;
        n
    };
    for a in 0..m.actors.len() {
        for c in &m.cases {
            case_writes(m, a, c, &sink, &mut checks, &mut unique);
        }
        for al in &m.alerts {
            alert_writes(m, a, al, &mut checks, &mut unique);
        }
        org_writes(m, a, &sink, &mut checks, &mut unique);
    }
    rng.shuffle(&mut checks);
    p.run(checks).await;
    let created = sink.lock().map(|s| s.clone()).unwrap_or_default();
    let mut checks = visibility_checks(m, &created);
    rng.shuffle(&mut checks);
    p.run(checks).await;
    // Platform administration: every other actor first (all refused), the admin last.
    for a in (1..m.actors.len()).chain([0]) {
        for c in platform_checks(m, a, unique()) {
            p.check(c).await;
        }
    }
}

fn case_writes(m: &Model, a: usize, c: &CaseM, sink: &Sink, out: &mut Vec<Check>, unique: &mut impl FnMut() -> usize) {
    let actor = m.actor(a);
    let org = actor.org;
    let vis = m.sees_case(org, c);
    let cid = &c.id;
    let me = m.org_name(org).to_owned();
    let on = |visible: bool, perm: &str, ok: u16| m.on_case(a, c, visible, perm, ok);
    out.push(
        Check::new(a, Method::PATCH, "/case/{id}", format!("/case/{cid}"), on(vis, "manageCase", 204))
            .json(json!({"summary": "probe"})),
    );
    out.push(
        Check::new(a, Method::PATCH, "/case/_bulk", "/case/_bulk".into(), on(vis, "manageCase", 204))
            .json(json!({"ids": [cid], "summary": "probe bulk"})),
    );
    let status = on(vis, "manageTask", 201);
    let audience = task_audience(c, org);
    out.push(creating(
        Check::new(a, Method::POST, "/case/{id}/task", format!("/case/{cid}/task"), status).json(json!({"title": "w"})),
        sink,
        "/task",
        audience.clone(),
    ));
    out.push(creating(
        Check::new(a, Method::POST, "/task", "/task".into(), status).json(json!({"title": "w4", "caseId": cid})),
        sink,
        "/task",
        audience,
    ));
    for t in &c.tasks {
        let tv = m.sees_task(org, c, t);
        let tid = &t.id;
        out.push(
            Check::new(a, Method::PATCH, "/task/{id}", format!("/task/{tid}"), on(tv, "manageTask", 204))
                .json(json!({"description": "w"})),
        );
        out.push(
            Check::new(a, Method::PATCH, "/task/_bulk", "/task/_bulk".into(), on(tv, "manageTask", 204))
                .json(json!({"ids": [tid], "description": "wb"})),
        );
        out.push(Check::new(
            a,
            Method::PUT,
            "/task/{id}/actionRequired/{org}",
            format!("/task/{tid}/actionRequired/{me}"),
            on(tv, "manageTask", 204),
        ));
        out.push(Check::new(
            a,
            Method::PUT,
            "/task/{id}/actionDone/{org}",
            format!("/task/{tid}/actionDone/{me}"),
            on(tv, "manageTask", 204),
        ));
        out.push(
            Check::new(a, Method::POST, "/task/{id}/log", format!("/task/{tid}/log"), on(tv, "manageTask", 201))
                .json(json!({"message": "w"})),
        );
        out.push(
            Check::new(a, Method::PATCH, "/log/{id}", format!("/log/{}", t.log), on(tv, "manageTask", 204))
                .json(json!({"message": "w"})),
        );
        out.push(
            Check::new(
                a,
                Method::POST,
                "/log/{id}/attachments",
                format!("/log/{}/attachments", t.log),
                on(tv, "manageTask", 200),
            )
            .file("attachments", "w.txt", format!("w{}", unique()).into_bytes()),
        );
        // Sharing with one's own organisation, which sees the task already: a no-op.
        let share_ok = on(tv, "manageShare", 204);
        for route in ["/task/{id}/shares", "/case/task/{id}/shares"] {
            let path = route.replace("{id}", tid);
            out.push(Check::new(a, Method::POST, route, path, share_ok).json(json!({"organisations": [me]})));
        }
        // Unsharing from oneself (or from the owner) is refused.
        out.push(
            Check::new(
                a,
                Method::DELETE,
                "/task/{id}/shares",
                format!("/task/{tid}/shares"),
                on(tv, "manageShare", 400),
            )
            .json(json!({"organisations": [me]})),
        );
    }
    for o in &c.obs {
        let ov = m.sees_obs(org, c, o);
        let oid = &o.id;
        out.push(
            Check::new(
                a,
                Method::PATCH,
                "/observable/{id}",
                format!("/observable/{oid}"),
                on(ov, "manageObservable", 204),
            )
            .json(json!({"message": "w"})),
        );
        out.push(
            Check::new(
                a,
                Method::PATCH,
                "/observable/_bulk",
                "/observable/_bulk".into(),
                on(ov, "manageObservable", 204),
            )
            .json(json!({"ids": [oid], "message": "wb"})),
        );
        out.push(
            Check::new(
                a,
                Method::POST,
                "/observable/{id}/shares",
                format!("/observable/{oid}/shares"),
                on(ov, "manageShare", 204),
            )
            .json(json!({"organisations": [me]})),
        );
        out.push(
            Check::new(
                a,
                Method::DELETE,
                "/observable/{id}/shares",
                format!("/observable/{oid}/shares"),
                on(ov, "manageShare", 400),
            )
            .json(json!({"organisations": [me]})),
        );
    }
    let status = on(vis, "manageObservable", 201);
    for route in ["/case/{id}/observable", "/case/{id}/artifact"] {
        let body = json!({"dataType": "domain", "data": format!("w{}.example", unique())});
        out.push(creating(
            Check::new(a, Method::POST, route, route.replace("{id}", cid), status).json(body),
            sink,
            "/observable",
            obs_audience(c, org),
        ));
    }
    out.push(
        Check::new(a, Method::POST, "/case/{id}/comment", format!("/case/{cid}/comment"), on(vis, "manageCase", 201))
            .json(json!({"message": "w"})),
    );
    // Only its author edits a comment.
    let author = actor.login == m.actor(agent(m, c.owner)).login && org == c.owner;
    let status = match on(vis, "manageCase", 204) {
        204 if !author => 403,
        s => s,
    };
    out.push(
        Check::new(a, Method::PATCH, "/comment/{id}", format!("/comment/{}", c.comment), status)
            .json(json!({"message": "w"})),
    );
    let page = json!({"title": "w", "content": "w", "category": "w"});
    out.push(
        Check::new(a, Method::POST, "/case/{id}/page", format!("/case/{cid}/page"), on(vis, "managePage", 201))
            .json(page),
    );
    out.push(
        Check::new(
            a,
            Method::PATCH,
            "/case/{id}/page/{page}",
            format!("/case/{cid}/page/{}", c.page),
            on(vis, "managePage", 204),
        )
        .json(json!({"content": "w"})),
    );
    let proc_body = json!({"patternId": "T1132", "occurDate": 1_700_000_000_001i64, "description": "w"});
    let status = on(vis, "manageProcedure", 201);
    out.push(
        Check::new(a, Method::POST, "/case/{id}/procedure", format!("/case/{cid}/procedure"), status)
            .json(proc_body.clone()),
    );
    out.push(
        Check::new(a, Method::POST, "/case/{id}/procedures", format!("/case/{cid}/procedures"), status)
            .json(json!({"procedures": [proc_body.clone()]})),
    );
    let mut v4 = proc_body;
    v4["caseId"] = json!(cid);
    out.push(Check::new(a, Method::POST, "/procedure", "/procedure".into(), status).json(v4));
    out.push(
        Check::new(
            a,
            Method::PATCH,
            "/procedure/{id}",
            format!("/procedure/{}", c.procedure),
            on(vis, "manageProcedure", 204),
        )
        .json(json!({"description": "w"})),
    );
    out.push(
        Check::new(
            a,
            Method::POST,
            "/case/{id}/attachments",
            format!("/case/{cid}/attachments"),
            on(vis, "manageCase", 201),
        )
        .file("attachments", "w.txt", format!("cw{}", unique()).into_bytes()),
    );
    // Shares: a no-op profile change on each share, answered by the model.
    for s in &c.shares {
        let visible = vis && m.org_visible(org, s.org);
        let status = match m.on_case(a, c, visible, "manageShare", 200) {
            200 if s.owner || s.org == org => 400,
            other => other,
        };
        out.push(
            Check::new(a, Method::PATCH, "/case/share/{id}", format!("/case/share/{}", s.id), status)
                .json(json!({"profile": s.prof.name()})),
        );
        if s.owner {
            // Removing the owner's share is refused, by id or in a list of ids.
            let status = match m.on_case(a, c, visible, "manageShare", 204) {
                204 => 400,
                other => other,
            };
            out.push(Check::new(a, Method::DELETE, "/case/share/{id}", format!("/case/share/{}", s.id), status));
            out.push(
                Check::new(a, Method::DELETE, "/case/shares", "/case/shares".into(), status)
                    .json(json!({"ids": [s.id]})),
            );
        }
    }
    // Sharing again with the owner: already shared (or not linked): 400 either way.
    let owner = m.org_name(c.owner).to_owned();
    out.push(
        Check::new(a, Method::POST, "/case/{id}/shares", format!("/case/{cid}/shares"), on(vis, "manageShare", 400))
            .json(json!({"shares": [{"organisation": owner, "profile": "analyst"}]})),
    );
    // Removing one's own share is refused.
    out.push(
        Check::new(a, Method::DELETE, "/case/{id}/shares", format!("/case/{cid}/shares"), on(vis, "manageShare", 400))
            .json(json!({"organisations": [me]})),
    );
    // Re-stating the shares the caller sees, as they are, changes nothing.
    let listed: Vec<Value> = c
        .shares
        .iter()
        .filter(|s| s.org != org && m.org_visible(org, s.org))
        .map(|s| json!({"organisation": m.org_name(s.org), "profile": s.prof.name()}))
        .collect();
    let names: BTreeSet<String> = c
        .shares
        .iter()
        .filter(|s| s.org != org && m.org_visible(org, s.org))
        .map(|s| m.org_name(s.org).to_owned())
        .collect();
    out.push(
        Check::new(a, Method::PUT, "/case/{id}/shares", format!("/case/{cid}/shares"), on(vis, "manageShare", 200))
            .json(json!({"shares": listed}))
            .ids_in("organisationName", names),
    );
}

fn alert_writes(
    m: &Model,
    a: usize,
    al: &super::model::AlertM,
    out: &mut Vec<Check>,
    unique: &mut impl FnMut() -> usize,
) {
    let id = &al.id;
    let on = |perm: &str, ok: u16| m.on_org(a, al.org, Some(perm), ok);
    out.push(
        Check::new(a, Method::PATCH, "/alert/{id}", format!("/alert/{id}"), on("manageAlert", 204))
            .json(json!({"description": "w"})),
    );
    out.push(
        Check::new(a, Method::PATCH, "/alert/_bulk", "/alert/_bulk".into(), on("manageAlert", 204))
            .json(json!({"ids": [id], "description": "wb"})),
    );
    for flag in ["read", "unread", "markAsRead", "markAsUnread", "follow", "unfollow"] {
        let route: &'static str = match flag {
            "read" => "/alert/{id}/read",
            "unread" => "/alert/{id}/unread",
            "markAsRead" => "/alert/{id}/markAsRead",
            "markAsUnread" => "/alert/{id}/markAsUnread",
            "follow" => "/alert/{id}/follow",
            _ => "/alert/{id}/unfollow",
        };
        out.push(Check::new(a, Method::POST, route, format!("/alert/{id}/{flag}"), on("manageAlert", 204)));
    }
    for route in ["/alert/{id}/observable", "/alert/{id}/artifact"] {
        out.push(
            Check::new(a, Method::POST, route, route.replace("{id}", id), on("manageAlert", 201))
                .json(json!({"dataType": "domain", "data": format!("aw{}.example", unique())})),
        );
    }
    out.push(
        Check::new(a, Method::POST, "/alert/{id}/comment", format!("/alert/{id}/comment"), on("manageAlert", 201))
            .json(json!({"message": "w"})),
    );
    let author = m.actor(a).login == m.actor(agent(m, al.org)).login;
    let status = match on("manageAlert", 204) {
        204 if !author => 403,
        s => s,
    };
    out.push(
        Check::new(a, Method::PATCH, "/comment/{id}", format!("/comment/{}", al.comment), status)
            .json(json!({"message": "w"})),
    );
    let proc_body = json!({"patternId": "T1132", "occurDate": 1_700_000_000_002i64});
    out.push(
        Check::new(a, Method::POST, "/alert/{id}/procedure", format!("/alert/{id}/procedure"), on("manageAlert", 201))
            .json(proc_body.clone()),
    );
    out.push(
        Check::new(
            a,
            Method::POST,
            "/alert/{id}/procedures",
            format!("/alert/{id}/procedures"),
            on("manageAlert", 201),
        )
        .json(json!({"procedures": [proc_body]})),
    );
    out.push(
        Check::new(a, Method::PATCH, "/procedure/{id}", format!("/procedure/{}", al.procedure), on("manageAlert", 204))
            .json(json!({"description": "w"})),
    );
    out.push(
        Check::new(
            a,
            Method::POST,
            "/alert/{id}/attachments",
            format!("/alert/{id}/attachments"),
            on("manageAlert", 201),
        )
        .file("attachments", "aw.txt", format!("aw{}", unique()).into_bytes()),
    );
}

fn org_writes(m: &Model, a: usize, sink: &Sink, out: &mut Vec<Check>, unique: &mut impl FnMut() -> usize) {
    let org = m.actor(a).org;
    for o in 1..m.orgs.len() {
        let Some(Some(objs)) = m.org_objects.get(o) else { continue };
        let on = |perm: &str, ok: u16| m.on_org(a, o, Some(perm), ok);
        out.push(
            Check::new(
                a,
                Method::PATCH,
                "/caseTemplate/{id}",
                format!("/caseTemplate/{}", objs.case_template),
                on("manageCaseTemplate", 204),
            )
            .json(json!({"description": "w"})),
        );
        let method = if unique().is_multiple_of(2) { Method::POST } else { Method::PUT };
        out.push(
            Check::new(
                a,
                method,
                "/caseTemplate/{id}/pageTemplate/link",
                format!("/caseTemplate/{}/pageTemplate/link", objs.case_template),
                on("manageCaseTemplate", 204),
            )
            .json(json!({"pageTemplateIds": [objs.page_template]})),
        );
        out.push(
            Check::new(
                a,
                Method::PATCH,
                "/pageTemplate/{id}",
                format!("/pageTemplate/{}", objs.page_template),
                on("manageCaseTemplate", 204),
            )
            .json(json!({"content": "w"})),
        );
        out.push(
            Check::new(a, Method::PATCH, "/page/{id}", format!("/page/{}", objs.kb_page), on("managePage", 204))
                .json(json!({"content": "w"})),
        );
    }
    // Creations in the caller's own organisation.
    let may = |perm: &str, ok: u16| if m.has(a, perm) { ok } else { 403 };
    let mine = BTreeSet::from([org]);
    let k = unique();
    out.push(creating(
        Check::new(a, Method::POST, "/case", "/case".into(), may("manageCase", 201))
            .json(json!({"title": "w", "description": "w"})),
        sink,
        "/case",
        mine.clone(),
    ));
    let alert = json!({"type": "w", "source": "w", "sourceRef": format!("w-{k}"), "title": "w", "description": "w"});
    out.push(creating(
        Check::new(a, Method::POST, "/alert", "/alert".into(), may("manageAlert", 201)).json(alert),
        sink,
        "/alert",
        mine,
    ));
    out.push(
        Check::new(a, Method::POST, "/caseTemplate", "/caseTemplate".into(), may("manageCaseTemplate", 201))
            .json(json!({"name": format!("w-{k}")})),
    );
    let page = json!({"title": format!("w-{k}"), "content": "w", "category": "w"});
    out.push(
        Check::new(a, Method::POST, "/pageTemplate", "/pageTemplate".into(), may("manageCaseTemplate", 201))
            .json(page.clone()),
    );
    out.push(Check::new(a, Method::POST, "/page", "/page".into(), may("managePage", 201)).json(page));
    // Organisation files need no permission beyond membership.
    out.push(Check::new(a, Method::POST, "/attachment", "/attachment".into(), 201).file(
        "attachments",
        "ow.txt",
        format!("ow{k}").into_bytes(),
    ));
}

/// Platform administration, in order (creations before the changes and deletions of
/// what the admin created): only the admin organisation's admin succeeds.
fn platform_checks(m: &Model, a: usize, k: usize) -> Vec<Check> {
    let root = a == 0;
    let st = |ok: u16| if root { ok } else { 403 };
    let org = m.actor(a).org;
    let mut out = Vec::new();
    let (x1, x2) = (format!("x1-{k}"), format!("x2-{k}"));
    let names = if root { (x1.clone(), x2.clone()) } else { ("pa".to_owned(), "pb".to_owned()) };
    for n in [&x1, &x2] {
        out.push(
            Check::new(a, Method::POST, "/organisation", "/organisation".into(), st(201))
                .json(json!({"name": n, "description": "w"})),
        );
    }
    let own = m.org_name(if org == ADMIN_ORG { 1 } else { org }).to_owned();
    out.push(
        Check::new(a, Method::PATCH, "/organisation/{id}", format!("/organisation/{own}"), st(204))
            .json(json!({"description": "w"})),
    );
    let link = format!("/organisation/{}/link/{}", names.0, names.1);
    out.push(Check::new(a, Method::PUT, "/organisation/{id}/link/{other}", link.clone(), st(204)).json(json!({})));
    out.push(Check::new(a, Method::DELETE, "/organisation/{id}/link/{other}", link, st(204)));
    out.push(
        Check::new(a, Method::PUT, "/organisation/{id}/links", format!("/organisation/{}/links", names.0), st(204))
            .json(json!({"links": [{"toOrganisation": names.1, "linkType": "default", "otherLinkType": "default"}]})),
    );
    let profile = if root { format!("w-{k}") } else { "analyst".to_owned() };
    out.push(
        Check::new(a, Method::POST, "/profile", "/profile".into(), st(201))
            .json(json!({"name": profile, "permissions": []})),
    );
    out.push(
        Check::new(a, Method::PATCH, "/profile/{id}", format!("/profile/{profile}"), st(200))
            .json(json!({"permissions": ["manageCase"]})),
    );
    out.push(Check::new(a, Method::DELETE, "/profile/{id}", format!("/profile/{profile}"), st(204)));
    let otype = if root { format!("w{k}") } else { "domain".to_owned() };
    out.push(
        Check::new(a, Method::POST, "/observable/type", "/observable/type".into(), st(201))
            .json(json!({"name": otype})),
    );
    out.push(Check::new(a, Method::DELETE, "/observable/type/{id}", format!("/observable/type/{otype}"), st(204)));
    let field = if root { format!("w{k}") } else { world::CF.to_owned() };
    out.push(
        Check::new(a, Method::POST, "/customField", "/customField".into(), st(201))
            .json(json!({"name": field, "type": "string"})),
    );
    out.push(
        Check::new(a, Method::PATCH, "/customField/{id}", format!("/customField/{field}"), st(204))
            .json(json!({"description": "w"})),
    );
    out.push(Check::new(a, Method::DELETE, "/customField/{id}", format!("/customField/{field}"), st(204)));
    out.push(Check::new(a, Method::DELETE, "/pattern/{id}", "/pattern/T1132.001".into(), st(204)));
    // Users: org-admins in their organisation, the platform admin anywhere.
    let status = if m.has(a, "manageUser") { 201 } else { 403 };
    let target = m.org_name(if org == ADMIN_ORG { 1 } else { org }).to_owned();
    out.push(Check::new(a, Method::POST, "/user", "/user".into(), status).json(
        json!({"login": format!("w{k}@probe.test"), "name": "w", "organisation": target, "profile": "read-only"}),
    ));
    out
}
