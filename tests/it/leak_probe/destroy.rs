//! Destructive checks, each on a throwaway object made for it (by the organisation that
//! owns it, as setup): deleting tasks, logs, files, observables, comments, pages,
//! procedures, custom field values, shares (every route), cases, alerts (delete, promote,
//! merge, unmerge) and organisation objects. Each actor's group of calls runs in order;
//! groups run concurrently.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::json;

use super::client::{Check, Payload, Probe, Shared};
use super::model::{ADMIN_ORG, CaseM, Model, ShareM};
use super::rng::Rng;
use super::world::{self, agent, file, id, org_admin};
use super::writes::{Sink, creating, visibility_checks};

/// One actor's destructive calls, in order.
type Step = Check;

pub async fn run(p: &Shared, m: &mut Model, rng: &mut Rng) {
    let sink: Sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut actors: Vec<usize> = (0..m.actors.len()).collect();
    rng.shuffle(&mut actors);
    // Setup is sequential (it is the probe's own hands); the checks of one actor are
    // collected and then run with the others'.
    let mut groups: Vec<Vec<Step>> = Vec::new();
    for &a in &actors {
        let mut steps = Vec::new();
        for ci in 0..m.cases.len() {
            case_items(p, m, a, ci, rng, &mut steps).await;
        }
        throwaway_cases(p, m, a, rng, &mut steps).await;
        alerts(p, m, a, rng, &sink, &mut steps).await;
        org_objects(p, m, a, rng, &mut steps).await;
        groups.push(steps);
    }
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(p.concurrency));
    let mut set = tokio::task::JoinSet::new();
    for steps in groups {
        let permit = sem.clone().acquire_owned().await;
        let me = p.clone();
        set.spawn(async move {
            for c in steps {
                me.check(c).await;
            }
            drop(permit);
        });
    }
    while set.join_next().await.is_some() {}
    let created = sink.lock().map(|s| s.clone()).unwrap_or_default();
    p.run(visibility_checks(m, &created)).await;
}

fn push(steps: &mut Vec<Step>, c: Check) {
    steps.push(c);
}

/// Throwaway items in a probed case, made by its owner, each deleted by actor `a`.
async fn case_items(p: &Probe, m: &Model, a: usize, ci: usize, rng: &mut Rng, steps: &mut Vec<Step>) {
    let c = &m.cases[ci];
    let owner = agent(m, c.owner);
    let org = m.actor(a).org;
    let cid = &c.id;
    let on = |visible: bool, perm: &str| m.on_case(a, c, visible, perm, 204);
    let vis = m.sees_case(org, c);
    // A task (with a log and its file), shared as a new task is.
    let t = p.setup(owner, Method::POST, &format!("/case/{cid}/task"), Payload::Json(json!({"title": "tmp"}))).await;
    let tid = id(&t);
    let tv = org == c.owner || (vis && world::new_task_grants(c, c.owner).contains(&org));
    let l = p.setup(owner, Method::POST, &format!("/task/{tid}/log"), Payload::Json(json!({"message": "tmp"}))).await;
    let lid = id(&l);
    let bytes = format!("tmp log {lid}").into_bytes();
    let att = p
        .setup(owner, Method::POST, &format!("/log/{lid}/attachments"), file("attachments", "t.txt", &bytes, None))
        .await;
    let att = id(&att["attachments"][0]);
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/log/{id}/attachments/{att}",
            format!("/log/{lid}/attachments/{att}"),
            on(tv, "manageTask"),
        ),
    );
    push(steps, Check::new(a, Method::DELETE, "/log/{id}", format!("/log/{lid}"), on(tv, "manageTask")));
    push(steps, Check::new(a, Method::DELETE, "/task/{id}", format!("/task/{tid}"), on(tv, "manageTask")));
    // An observable.
    let body = json!({"dataType": "domain", "data": format!("tmp-{tid}.example")});
    let o = p.setup(owner, Method::POST, &format!("/case/{cid}/observable"), Payload::Json(body)).await;
    let ov = org == c.owner || (vis && world::new_obs_grants(c, c.owner).contains(&org));
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/observable/{id}",
            format!("/observable/{}", id(&o[0])),
            on(ov, "manageObservable"),
        ),
    );
    // A comment: its author alone deletes it.
    let cm =
        p.setup(owner, Method::POST, &format!("/case/{cid}/comment"), Payload::Json(json!({"message": "tmp"}))).await;
    let author = m.actor(a).login == m.actor(owner).login && org == c.owner;
    let status = match on(vis, "manageCase") {
        204 if !author => 403,
        s => s,
    };
    push(steps, Check::new(a, Method::DELETE, "/comment/{id}", format!("/comment/{}", id(&cm)), status));
    // A page, a procedure, an attachment.
    let pg = p
        .setup(
            owner,
            Method::POST,
            &format!("/case/{cid}/page"),
            Payload::Json(json!({"title": "tmp", "content": "c", "category": "c"})),
        )
        .await;
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/case/{id}/page/{page}",
            format!("/case/{cid}/page/{}", id(&pg)),
            on(vis, "managePage"),
        ),
    );
    let pr = p
        .setup(
            owner,
            Method::POST,
            &format!("/case/{cid}/procedure"),
            Payload::Json(json!({"patternId": "T1132", "occurDate": 1_700_000_000_003i64})),
        )
        .await;
    let status = on(vis, "manageProcedure");
    if rng.chance(50) {
        push(steps, Check::new(a, Method::DELETE, "/procedure/{id}", format!("/procedure/{}", id(&pr)), status));
    } else {
        push(
            steps,
            Check::new(a, Method::POST, "/procedure/delete/_bulk", "/procedure/delete/_bulk".into(), status)
                .json(json!({"ids": [id(&pr)]})),
        );
    }
    let bytes = format!("tmp case file {tid}").into_bytes();
    let at = p
        .setup(owner, Method::POST, &format!("/case/{cid}/attachments"), file("attachments", "t.txt", &bytes, None))
        .await;
    let at = id(&at["attachments"][0]);
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/case/{id}/attachment/{att}",
            format!("/case/{cid}/attachment/{at}"),
            on(vis, "manageCase"),
        ),
    );
}

/// A throwaway case of a random organisation with random shares.
async fn throwaway(p: &Probe, m: &Model, rng: &mut Rng) -> CaseM {
    let owner = 1 + rng.below(4);
    world::case(p, m, rng, owner, false).await
}

/// A random share of `c` that is not the owner's, if any.
fn some_share(c: &CaseM, rng: &mut Rng) -> Option<ShareM> {
    let others: Vec<&ShareM> = c.shares.iter().filter(|s| !s.owner).collect();
    if others.is_empty() { None } else { Some(others[rng.below(others.len())].clone()) }
}

/// The answer to removing or changing share `s` of `c` through its id.
fn by_share_id(m: &Model, a: usize, c: &CaseM, s: &ShareM, ok: u16) -> u16 {
    let org = m.actor(a).org;
    let visible = m.sees_case(org, c) && m.org_visible(org, s.org);
    match m.on_case(a, c, visible, "manageShare", ok) {
        x if x == ok && (s.owner || s.org == org) => 400,
        x => x,
    }
}

async fn throwaway_cases(p: &Probe, m: &Model, a: usize, rng: &mut Rng, steps: &mut Vec<Step>) {
    let org = m.actor(a).org;
    // A custom field value, then the case itself.
    let c = throwaway(p, m, rng).await;
    let vis = m.sees_case(org, &c);
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/case/customField/{id}",
            format!("/case/customField/{}", c.cf_value),
            m.on_case(a, &c, vis, "manageCase", 204),
        ),
    );
    let status = match m.on_case(a, &c, vis, "manageCase", 204) {
        204 if c.owner != org => 403,
        s => s,
    };
    push(steps, Check::new(a, Method::DELETE, "/case/{id}", format!("/case/{}", c.id), status));
    // Shares, by every route.
    for route in ["/case/share/{id}", "/case/shares", "patch"] {
        let c = throwaway(p, m, rng).await;
        let Some(s) = some_share(&c, rng) else { continue };
        let check = match route {
            "/case/share/{id}" => {
                Check::new(a, Method::DELETE, route, format!("/case/share/{}", s.id), by_share_id(m, a, &c, &s, 204))
            }
            "/case/shares" => {
                Check::new(a, Method::DELETE, route, "/case/shares".into(), by_share_id(m, a, &c, &s, 204))
                    .json(json!({"ids": [s.id]}))
            }
            _ => {
                let other = if s.prof == super::model::Prof::Analyst { "read-only" } else { "analyst" };
                Check::new(
                    a,
                    Method::PATCH,
                    "/case/share/{id}",
                    format!("/case/share/{}", s.id),
                    by_share_id(m, a, &c, &s, 200),
                )
                .json(json!({"profile": other}))
            }
        };
        push(steps, check);
    }
    // By organisation name: a share the caller does not see is "not shared" (400).
    let c = throwaway(p, m, rng).await;
    if let Some(s) = some_share(&c, rng) {
        let vis = m.sees_case(org, &c);
        let status = match m.on_case(a, &c, vis, "manageShare", 204) {
            204 if s.org == org || !m.org_visible(org, s.org) => 400,
            x => x,
        };
        push(
            steps,
            Check::new(a, Method::DELETE, "/case/{id}/shares", format!("/case/{}/shares", c.id), status)
                .json(json!({"organisations": [m.org_name(s.org)]})),
        );
    }
    // PUT with an empty list removes every share the caller may remove.
    let c = throwaway(p, m, rng).await;
    let vis = m.sees_case(org, &c);
    let remaining: BTreeSet<String> = c
        .shares
        .iter()
        .filter(|s| s.owner && s.org != org && m.org_visible(org, s.org))
        .map(|s| m.org_name(s.org).to_owned())
        .collect();
    push(
        steps,
        Check::new(
            a,
            Method::PUT,
            "/case/{id}/shares",
            format!("/case/{}/shares", c.id),
            m.on_case(a, &c, vis, "manageShare", 200),
        )
        .json(json!({"shares": []}))
        .ids_in("organisationName", remaining),
    );
}

async fn alert_in(p: &Probe, m: &Model, org: usize, tag: &str) -> String {
    let body = json!({"type": "tmp", "source": "tmp", "sourceRef": tag, "title": "tmp", "description": "d",
                      "observables": [{"dataType": "domain", "data": format!("{tag}.example")}]});
    id(&p.setup(agent(m, org), Method::POST, "/alert", Payload::Json(body)).await)
}

async fn alerts(p: &Probe, m: &Model, a: usize, rng: &mut Rng, sink: &Sink, steps: &mut Vec<Step>) {
    let actor = m.actor(a);
    let org = actor.org;
    let tag = |n: &str| format!("{n}-{a}-{}", rng_tag(actor.label.as_str()));
    // Delete, bulk delete.
    let x = 1 + rng.below(4);
    let al = alert_in(p, m, x, &tag("del")).await;
    push(
        steps,
        Check::new(a, Method::DELETE, "/alert/{id}", format!("/alert/{al}"), m.on_org(a, x, Some("manageAlert"), 204)),
    );
    let x = 1 + rng.below(4);
    let al = alert_in(p, m, x, &tag("bulkdel")).await;
    push(
        steps,
        Check::new(
            a,
            Method::POST,
            "/alert/delete/_bulk",
            "/alert/delete/_bulk".into(),
            m.on_org(a, x, Some("manageAlert"), 204),
        )
        .json(json!({"ids": [al]})),
    );
    // Promote (two spellings): a new case of the alert's organisation.
    for route in ["/alert/{id}/case", "/alert/{id}/createCase"] {
        let x = 1 + rng.below(4);
        let al = alert_in(p, m, x, &tag(route.rsplit('/').next().unwrap_or("p"))).await;
        let status = match m.on_org(a, x, Some("manageAlert"), 201) {
            201 if !m.has(a, "manageCase") => 403,
            s => s,
        };
        let c = Check::new(a, Method::POST, route, route.replace("{id}", &al), status).json(json!({}));
        push(steps, creating(c, sink, "/case", BTreeSet::from([x])));
    }
    // Merge into a probed case (three spellings), from an alert of the caller's organisation.
    for route in ["/alert/{id}/merge/{case}", "/alert/{id}/import/{case}", "/alert/merge/_bulk"] {
        let x = if org == ADMIN_ORG { 1 + rng.below(4) } else { org };
        let al = alert_in(p, m, x, &tag(&format!("merge{}", route.len()))).await;
        let c = &m.cases[rng.below(m.cases.len())];
        let status = if x != org || !m.sees_case(org, c) {
            404
        } else if !m.has(a, "manageAlert") {
            403
        } else {
            m.on_case(a, c, true, "manageCase", 200)
        };
        let check = match route {
            "/alert/merge/_bulk" => {
                Check::new(a, Method::POST, route, route.into(), status).json(json!({"caseId": c.id, "alertIds": [al]}))
            }
            _ => Check::new(a, Method::POST, route, route.replace("{id}", &al).replace("{case}", &c.id), status),
        };
        push(steps, check);
    }
    // Unmerge an alert its organisation merged into one of its cases.
    let x = 1 + rng.below(4);
    let al = alert_in(p, m, x, &tag("unmerge")).await;
    let case =
        p.setup(agent(m, x), Method::POST, "/case", Payload::Json(json!({"title": "tmp", "description": "d"}))).await;
    p.setup(agent(m, x), Method::POST, &format!("/alert/{al}/merge/{}", id(&case)), Payload::None).await;
    let status = match m.on_org(a, x, Some("manageAlert"), 200) {
        200 if !m.has(a, "manageCase") => 403,
        s => s,
    };
    push(steps, Check::new(a, Method::POST, "/alert/{id}/unmerge", format!("/alert/{al}/unmerge"), status));
    // A file of a probed alert.
    let target = &m.alerts[rng.below(m.alerts.len())];
    let bytes = format!("tmp alert file {}", tag("att")).into_bytes();
    let att = p
        .setup(
            agent(m, target.org),
            Method::POST,
            &format!("/alert/{}/attachments", target.id),
            file("attachments", "t.txt", &bytes, None),
        )
        .await;
    let att = id(&att["attachments"][0]);
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/alert/{id}/attachment/{att}",
            format!("/alert/{}/attachment/{att}", target.id),
            m.on_org(a, target.org, Some("manageAlert"), 204),
        ),
    );
}

fn rng_tag(label: &str) -> String {
    label.chars().filter(char::is_ascii_alphanumeric).collect()
}

async fn org_objects(p: &Probe, m: &Model, a: usize, rng: &mut Rng, steps: &mut Vec<Step>) {
    let x = 1 + rng.below(4);
    let tag = format!("tmp-{a}");
    let oa = org_admin(m, x);
    let t = p.setup(oa, Method::POST, "/caseTemplate", Payload::Json(json!({"name": tag}))).await;
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/caseTemplate/{id}",
            format!("/caseTemplate/{}", id(&t)),
            m.on_org(a, x, Some("manageCaseTemplate"), 204),
        ),
    );
    let pt = p
        .setup(oa, Method::POST, "/pageTemplate", Payload::Json(json!({"title": tag, "content": "c", "category": "c"})))
        .await;
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/pageTemplate/{id}",
            format!("/pageTemplate/{}", id(&pt)),
            m.on_org(a, x, Some("manageCaseTemplate"), 204),
        ),
    );
    let kb = p
        .setup(
            agent(m, x),
            Method::POST,
            "/page",
            Payload::Json(json!({"title": tag, "content": "c", "category": "c"})),
        )
        .await;
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/page/{id}",
            format!("/page/{}", id(&kb)),
            m.on_org(a, x, Some("managePage"), 204),
        ),
    );
    let bytes = format!("tmp org file {tag}").into_bytes();
    let at = p.setup(agent(m, x), Method::POST, "/attachment", file("attachments", "t.txt", &bytes, None)).await;
    push(
        steps,
        Check::new(
            a,
            Method::DELETE,
            "/attachment/{id}",
            format!("/attachment/{}", id(&at["attachments"][0])),
            m.on_org(a, x, None, 204),
        ),
    );
}
