//! Case sharing between organisations: organisation links, shares of cases with a profile,
//! task and observable shares and their rules, sharing parameters at creation, effective
//! permissions on shared cases, multi-organisation users, and bad input that changes
//! nothing. (The randomized proof that nothing leaks is `leak_probe`.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    links_are_written_both_ways,
    links_bad_input,
    share_case_with_profiles,
    share_bad_input_changes_nothing,
    share_management_endpoints,
    put_shares_reconciles,
    task_and_observable_rules,
    manual_task_and_observable_shares,
    sharing_at_case_creation,
    multi_org_user_acts_in_one_organisation,
    timeline_and_audit_follow_visibility,
);

/// Someone acting in one organisation (`X-Organisation`).
#[derive(Clone)]
pub struct Actor {
    pub login: String,
    pub org: String,
}

impl Actor {
    pub fn req(&self, app: &TestApp, m: Method, path: &str) -> reqwest::RequestBuilder {
        app.as_user(m, path, &self.login, &password_of(&self.login)).header("X-Organisation", &self.org)
    }
}

/// Organisations `alpha`, `beta` (linked to alpha), `gamma` (linked to alpha, not to beta)
/// and `delta` (unlinked), with an org-admin, an analyst and a read-only user in each.
pub struct World {
    pub users: Vec<(String, Actor)>,
}

impl World {
    pub fn get(&self, name: &str) -> &Actor {
        &self.users.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no actor {name}")).1
    }
}

pub async fn link(app: &TestApp, a: &str, b: &str, body: Value) {
    let (status, body) =
        send(app.as_admin(Method::PUT, &format!("/api/v1/organisation/{a}/link/{b}")).json(&body)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

async fn world(app: &TestApp) -> World {
    let mut users = Vec::new();
    for org in ["alpha", "beta", "gamma", "delta"] {
        app.create_org(org).await;
        for (short, profile) in [("oa", "org-admin"), ("an", "analyst"), ("ro", "read-only")] {
            let login = format!("{org}-{short}@sharing.test");
            app.create_user(&login, org, profile).await;
            users.push((format!("{org}-{short}"), Actor { login, org: org.into() }));
        }
    }
    link(app, "alpha", "beta", json!({})).await;
    link(app, "alpha", "gamma", json!({"linkType": "default", "otherLinkType": "default"})).await;
    World { users }
}

async fn create_case(app: &TestApp, who: &Actor, body: Value) -> Value {
    let (status, c) = send(who.req(app, Method::POST, "/api/v1/case").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

fn id(v: &Value) -> String {
    v["_id"].as_str().unwrap_or_else(|| panic!("no _id in {v}")).to_owned()
}

async fn status_of(app: &TestApp, who: &Actor, m: Method, path: &str) -> StatusCode {
    send(who.req(app, m, path)).await.0
}

async fn case_status(app: &TestApp, who: &Actor, cid: &str) -> StatusCode {
    status_of(app, who, Method::GET, &format!("/api/v1/case/{cid}")).await
}

async fn links_are_written_both_ways(app: TestApp) {
    let w = world(&app).await;
    link(&app, "beta", "delta", json!({"linkType": "supervised", "otherLinkType": "notify"})).await;
    let (status, links) = send(app.as_admin(Method::GET, "/api/v1/organisation/beta/links")).await;
    assert_eq!(status, StatusCode::OK, "{links}");
    let names: Vec<&str> = links.as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha", "delta"]);
    let delta = &links[1];
    assert_eq!((delta["linkType"].as_str(), delta["otherLinkType"].as_str()), (Some("supervised"), Some("notify")));
    assert_eq!(delta["organisation"], "delta");
    // The reverse edge carries the types swapped.
    let (_, back) = send(app.as_admin(Method::GET, "/api/v1/organisation/delta/links")).await;
    assert_eq!(back[0]["name"], "beta");
    assert_eq!((back[0]["linkType"].as_str(), back[0]["otherLinkType"].as_str()), (Some("notify"), Some("supervised")));
    // Linked organisations see each other; the others do not even learn that they exist.
    let d = w.get("delta-an");
    assert_eq!(status_of(&app, d, Method::GET, "/api/v1/organisation/beta").await, StatusCode::OK);
    assert_eq!(status_of(&app, d, Method::GET, "/api/v1/organisation/alpha").await, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, d, Method::GET, "/api/v1/organisation/alpha/links").await, StatusCode::NOT_FOUND);
    // Beta's links, seen by delta, do not name alpha (delta is not linked to alpha).
    let (_, beta) = send(d.req(&app, Method::GET, "/api/v1/organisation/beta")).await;
    assert_eq!(beta["links"], json!(["delta"]), "{beta}");
    let (_, beta_links) = send(d.req(&app, Method::GET, "/api/v1/organisation/beta/links")).await;
    assert_eq!(beta_links.as_array().unwrap().len(), 1, "{beta_links}");
    // Unlink removes both directions; a second unlink is a 404.
    let (status, _) = send(app.as_admin(Method::DELETE, "/api/v1/organisation/delta/link/beta")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, links) = send(app.as_admin(Method::GET, "/api/v1/organisation/beta/links")).await;
    assert_eq!(links.as_array().unwrap().len(), 1);
    assert_eq!(status_of(&app, d, Method::GET, "/api/v1/organisation/beta").await, StatusCode::NOT_FOUND);
    let (status, body) = send(app.as_admin(Method::DELETE, "/api/v1/organisation/delta/link/beta")).await;
    assert_error(status, &body, 404, "NotFoundError");
    // Bulk: the links become exactly the listed ones.
    let (status, body) = send(app.as_admin(Method::PUT, "/api/v1/organisation/alpha/links").json(&json!({"links": [
        {"toOrganisation": "delta", "linkType": "notify", "otherLinkType": "default"},
        {"toOrganisation": "beta", "linkType": "default", "otherLinkType": "default"}
    ]})))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, links) = send(app.as_admin(Method::GET, "/api/v1/organisation/alpha/links")).await;
    let got: Vec<(&str, &str)> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["linkType"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("beta", "default"), ("delta", "notify")]);
    let (_, gamma) = send(app.as_admin(Method::GET, "/api/v1/organisation/gamma/links")).await;
    assert_eq!(gamma, json!([]), "gamma was unlinked from alpha in both directions");
}

async fn links_bad_input(app: TestApp) {
    let w = world(&app).await;
    let admin_link = send(app.as_admin(Method::PUT, "/api/v1/organisation/alpha/link/admin").json(&json!({}))).await;
    assert_error(admin_link.0, &admin_link.1, 400, "BadRequest");
    let (status, body) =
        send(app.as_admin(Method::PUT, "/api/v1/organisation/alpha/link/alpha").json(&json!({}))).await;
    assert_error(status, &body, 400, "BadRequest");
    let (status, body) =
        send(app.as_admin(Method::PUT, "/api/v1/organisation/alpha/link/delta").json(&json!({"linkType": "friendly"})))
            .await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert!(body["message"].as_str().unwrap().contains("linkType"), "{body}");
    let (status, body) =
        send(app.as_admin(Method::PUT, "/api/v1/organisation/alpha/link/nowhere").json(&json!({}))).await;
    assert_error(status, &body, 404, "NotFoundError");
    // Only platform administrators link organisations.
    let oa = w.get("alpha-oa");
    let (status, body) =
        send(oa.req(&app, Method::PUT, "/api/v1/organisation/alpha/link/delta").json(&json!({}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // A bulk request with one bad entry changes nothing.
    let (status, body) = send(app.as_admin(Method::PUT, "/api/v1/organisation/alpha/links").json(&json!({"links": [
        {"toOrganisation": "delta", "linkType": "default", "otherLinkType": "default"},
        {"toOrganisation": "admin", "linkType": "default", "otherLinkType": "default"}
    ]})))
    .await;
    assert_error(status, &body, 400, "BadRequest");
    let (_, links) = send(app.as_admin(Method::GET, "/api/v1/organisation/alpha/links")).await;
    let names: Vec<&str> = links.as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["beta", "gamma"]);
    let (status, profiles) = send(oa.req(&app, Method::GET, "/api/v1/sharingProfile")).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = profiles.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "notify", "supervised"]);
    assert_eq!(profiles[2]["permissionProfile"], "analyst");
    assert_eq!(profiles[2]["autoShare"], true);
}

async fn share_case_with_profiles(app: TestApp) {
    let w = world(&app).await;
    let (a, b_an, b_oa, g_an) = (w.get("alpha-an"), w.get("beta-an"), w.get("beta-oa"), w.get("gamma-an"));
    let c = create_case(&app, a, json!({"title": "shared", "description": "d"})).await;
    let cid = id(&c);
    assert_eq!(status_of(&app, b_an, Method::GET, &format!("/api/v1/case/{cid}")).await, StatusCode::NOT_FOUND);
    let (status, shares) = send(
        a.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares"))
            .json(&json!({"shares": [{"organisation": "beta", "profile": "read-only"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shares}");
    let s = &shares[0];
    assert_eq!(s["_type"], "Share");
    assert_eq!((s["caseId"].as_str(), s["organisationName"].as_str()), (Some(cid.as_str()), Some("beta")));
    assert_eq!((s["profileName"].as_str(), s["owner"].as_bool()), (Some("read-only"), Some(false)));
    assert_eq!((s["taskRule"].as_str(), s["observableRule"].as_str()), (Some("manual"), Some("manual")));
    // Read-only share: beta sees the case and nobody in beta may change it, not even its
    // org-admin; the case says so in its permissions.
    let (status, got) = send(b_oa.req(&app, Method::GET, &format!("/api/v1/case/{cid}"))).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["userPermissions"], json!([]));
    for who in [b_an, b_oa] {
        let (status, body) =
            send(who.req(&app, Method::PATCH, &format!("/api/v1/case/{cid}")).json(&json!({"title": "x"}))).await;
        assert_error(status, &body, 403, "AuthorizationError");
        let (status, body) =
            send(who.req(&app, Method::POST, &format!("/api/v1/case/{cid}/task")).json(&json!({"title": "from beta"})))
                .await;
        assert_error(status, &body, 403, "AuthorizationError");
    }
    let (_, q) = send(b_oa.req(&app, Method::POST, "/api/v1/query").json(&json!({"query": [
        {"_name": "getCase", "idOrName": cid}, {"_name": "page", "from": 0, "to": 1, "extraData": ["permissions"]}
    ]})))
    .await;
    assert_eq!(q[0]["extraData"]["permissions"], json!([]), "{q}");
    // The owner sees beta's share, beta sees the owner's (not its own); gamma sees nothing.
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["organisationName"], "beta");
    let (_, list) = send(b_an.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!((list[0]["organisationName"].as_str(), list[0]["owner"].as_bool()), (Some("alpha"), Some(true)));
    assert_eq!(status_of(&app, g_an, Method::GET, &format!("/api/v1/case/{cid}/shares")).await, StatusCode::NOT_FOUND);
    // Analyst share: beta's analyst edits; its read-only user still cannot (profile ∩ share).
    let share_id = id(&shares[0]);
    let (status, updated) = send(
        a.req(&app, Method::PATCH, &format!("/api/v1/case/share/{share_id}")).json(&json!({"profile": "analyst"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["profileName"], "analyst");
    let (status, body) =
        send(b_an.req(&app, Method::PATCH, &format!("/api/v1/case/{cid}")).json(&json!({"title": "by beta"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(b_an.req(&app, Method::GET, &format!("/api/v1/case/{cid}"))).await;
    assert!(got["userPermissions"].as_array().unwrap().contains(&json!("manageCase")), "{got}");
    assert!(!got["userPermissions"].as_array().unwrap().contains(&json!("manageUser")), "{got}");
    let b_ro = w.get("beta-ro");
    let (status, body) =
        send(b_ro.req(&app, Method::PATCH, &format!("/api/v1/case/{cid}")).json(&json!({"title": "ro"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // A task beta creates is beta's to see although the share's task rule is manual.
    let (status, t) =
        send(b_an.req(&app, Method::POST, &format!("/api/v1/case/{cid}/task")).json(&json!({"title": "beta's"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(status_of(&app, b_an, Method::GET, &format!("/api/v1/task/{}", id(&t))).await, StatusCode::OK);
    // Only the owner deletes the case.
    let (status, body) = send(b_an.req(&app, Method::DELETE, &format!("/api/v1/case/{cid}"))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // The admin organisation never sees case data.
    let (status, _) = send(app.as_admin(Method::GET, &format!("/api/v1/case/{cid}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn share_bad_input_changes_nothing(app: TestApp) {
    let w = world(&app).await;
    let (a, b) = (w.get("alpha-oa"), w.get("beta-an"));
    let c = create_case(&app, a, json!({"title": "c", "description": "d"})).await;
    let cid = id(&c);
    let post = |shares: Value| {
        a.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares")).json(&json!({ "shares": shares }))
    };
    // Unlinked and unknown organisations get the same answer.
    for org in ["delta", "no-such-org", "admin"] {
        let (status, body) = send(post(json!([{"organisation": org, "profile": "analyst"}]))).await;
        assert_error(status, &body, 400, "BadRequest");
        assert!(body["message"].as_str().unwrap().contains("not linked"), "{body}");
    }
    let (status, body) = send(post(json!([{"organisation": "beta", "profile": "no-such-profile"}]))).await;
    assert_error(status, &body, 400, "BadRequest");
    assert!(body["message"].as_str().unwrap().contains("profile no-such-profile not found"), "{body}");
    // One bad entry refuses the request: the good one before it was not created.
    let (status, body) = send(post(json!([
        {"organisation": "beta", "profile": "analyst"}, {"organisation": "delta", "profile": "analyst"}
    ])))
    .await;
    assert_error(status, &body, 400, "BadRequest");
    assert!(body["message"].as_str().unwrap().starts_with("shares[1].organisation"), "{body}");
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list, json!([]));
    assert_eq!(status_of(&app, b, Method::GET, &format!("/api/v1/case/{cid}")).await, StatusCode::NOT_FOUND);
    let (status, body) = send(post(json!([{"organisation": "beta", "taskRule": "sometimes"}]))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    let (status, body) = send(a.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares")).json(&json!({}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    // Sharing twice with one organisation is a CreateError.
    let (status, _) = send(post(json!([{"organisation": "beta"}]))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(post(json!([{"organisation": "beta", "profile": "analyst"}]))).await;
    assert_error(status, &body, 400, "CreateError");
    assert!(body["message"].as_str().unwrap().contains("already shared with organisation beta"), "{body}");
    let (status, body) = send(post(json!([{"organisation": "alpha"}]))).await;
    assert_error(status, &body, 400, "CreateError");
    // The owner's share cannot be removed, by the owner or by the partner.
    let (status, body) = send(
        a.req(&app, Method::DELETE, &format!("/api/v1/case/{cid}/shares")).json(&json!({"organisations": ["alpha"]})),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
    let (status, body) = send(
        a.req(&app, Method::DELETE, &format!("/api/v1/case/{cid}/shares")).json(&json!({"organisations": ["gamma"]})),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
    assert!(body["message"].as_str().unwrap().contains("not shared with organisation gamma"), "{body}");
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Beta gets the read-only default profile: it may not manage shares.
    let (status, body) = send(
        b.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares"))
            .json(&json!({"shares": [{"organisation": "alpha"}]})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    // The owner share, seen by beta through its id, cannot be removed or changed.
    let (_, seen_by_beta) = send(b.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    let owner_share = id(&seen_by_beta[0]);
    let (status, _) = send(a.req(&app, Method::DELETE, &format!("/api/v1/case/share/{owner_share}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(
        a.req(&app, Method::PATCH, &format!("/api/v1/case/share/{owner_share}")).json(&json!({"profile": "read-only"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = send(
        a.req(&app, Method::PATCH, &format!("/api/v1/case/share/{}", id(&list[0]))).json(&json!({"profile": "nope"})),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list[0]["profileName"], "read-only");
}

async fn share_management_endpoints(app: TestApp) {
    let w = world(&app).await;
    let a = w.get("alpha-oa");
    let mut cases = Vec::new();
    for i in 0..3 {
        let c = create_case(&app, a, json!({"title": format!("c{i}"), "description": "d"})).await;
        let (status, shares) = send(
            a.req(&app, Method::POST, &format!("/api/v1/case/{}/shares", id(&c)))
                .json(&json!({"shares": [{"organisation": "beta", "profile": "analyst"}, {"organisation": "gamma"}]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{shares}");
        cases.push((id(&c), shares));
    }
    let b = w.get("beta-an");
    // DELETE /case/share/{id}
    let (status, _) = send(a.req(&app, Method::DELETE, &format!("/api/v1/case/share/{}", id(&cases[0].1[0])))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(case_status(&app, b, &cases[0].0).await, StatusCode::NOT_FOUND);
    assert_eq!(case_status(&app, w.get("gamma-ro"), &cases[0].0).await, StatusCode::OK);
    // DELETE /case/{id}/shares {organisations}
    let (status, _) = send(
        a.req(&app, Method::DELETE, &format!("/api/v1/case/{}/shares", cases[1].0))
            .json(&json!({"organisations": ["beta", "gamma"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(case_status(&app, b, &cases[1].0).await, StatusCode::NOT_FOUND);
    // DELETE /case/shares {ids}: all or nothing.
    let ids = json!([id(&cases[2].1[0]), id(&cases[2].1[1])]);
    let (status, _) = send(a.req(&app, Method::DELETE, "/api/v1/case/shares").json(&json!({"ids": ids}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(case_status(&app, w.get("gamma-an"), &cases[2].0).await, StatusCode::NOT_FOUND);
    // A share of an invisible case is not found, not forbidden.
    let (status, body) =
        send(w.get("delta-oa").req(&app, Method::DELETE, &format!("/api/v1/case/share/{}", id(&cases[0].1[1])))).await;
    assert_error(status, &body, 404, "NotFoundError");
    // Gamma sees its share but beta's is not named to it (gamma is not linked to beta).
    let c = create_case(&app, a, json!({"title": "three-way", "description": "d"})).await;
    send(a.req(&app, Method::POST, &format!("/api/v1/case/{}/shares", id(&c))).json(
        &json!({"shares": [{"organisation": "beta", "profile": "analyst"}, {"organisation": "gamma", "profile": "analyst"}]}),
    ))
    .await;
    let (_, seen) = send(w.get("gamma-an").req(&app, Method::GET, &format!("/api/v1/case/{}/shares", id(&c)))).await;
    let names: Vec<&str> = seen.as_array().unwrap().iter().map(|s| s["organisationName"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha"]);
}

async fn put_shares_reconciles(app: TestApp) {
    let w = world(&app).await;
    let a = w.get("alpha-an");
    let c = create_case(&app, a, json!({"title": "c", "description": "d"})).await;
    let cid = id(&c);
    let put = |shares: Value| {
        a.req(&app, Method::PUT, &format!("/api/v1/case/{cid}/shares")).json(&json!({ "shares": shares }))
    };
    let (status, list) =
        send(put(json!([{"organisation": "beta", "profile": "analyst"}, {"organisation": "gamma"}]))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let got: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["organisationName"].as_str().unwrap(), s["profileName"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("beta", "analyst"), ("gamma", "read-only")]);
    // Update beta, drop gamma by omission.
    let (status, list) = send(put(json!([{"organisation": "beta", "profile": "read-only", "taskRule": "all"}]))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!((list[0]["profileName"].as_str(), list[0]["taskRule"].as_str()), (Some("read-only"), Some("all")));
    assert_eq!(
        status_of(&app, w.get("gamma-an"), Method::GET, &format!("/api/v1/case/{cid}")).await,
        StatusCode::NOT_FOUND
    );
    // `share: false` removes; listing the owner as it is changes nothing; changing it is refused.
    let (status, list) =
        send(put(json!([{"organisation": "beta", "share": false}, {"organisation": "alpha", "share": true}]))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([]));
    let (status, body) = send(put(json!([{"organisation": "alpha", "profile": "read-only"}]))).await;
    assert_error(status, &body, 400, "BadRequest");
    let (status, body) = send(put(json!([{"organisation": "gamma"}, {"organisation": "delta"}]))).await;
    assert_error(status, &body, 400, "BadRequest");
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list, json!([]), "the refused request created nothing");
}

async fn task_ids(app: &TestApp, who: &Actor, cid: &str) -> Vec<String> {
    let (status, list) = send(who.req(app, Method::GET, &format!("/api/v1/case/{cid}/task"))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut ids: Vec<String> = list.as_array().unwrap().iter().map(id).collect();
    ids.sort();
    ids
}

async fn observable_ids(app: &TestApp, who: &Actor, cid: &str) -> Vec<String> {
    let (status, list) = send(who.req(app, Method::POST, "/api/v1/query").json(&json!({"query": [
        {"_name": "getCase", "idOrName": cid}, {"_name": "observables"}
    ]})))
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut ids: Vec<String> = list.as_array().unwrap().iter().map(id).collect();
    ids.sort();
    ids
}

async fn add_task(app: &TestApp, who: &Actor, cid: &str, title: &str) -> String {
    let (status, t) =
        send(who.req(app, Method::POST, &format!("/api/v1/case/{cid}/task")).json(&json!({"title": title}))).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    id(&t)
}

async fn add_observable(app: &TestApp, who: &Actor, cid: &str, data: &str) -> String {
    let (status, o) = send(
        who.req(app, Method::POST, &format!("/api/v1/case/{cid}/observable"))
            .json(&json!({"dataType": "domain", "data": data})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    id(&o[0])
}

async fn task_and_observable_rules(app: TestApp) {
    let w = world(&app).await;
    let (a, b) = (w.get("alpha-an"), w.get("beta-ro"));
    for (rule, old_visible, new_visible) in
        [("manual", false, false), ("all", true, true), ("existingOnly", true, false), ("upcomingOnly", false, true)]
    {
        let c = create_case(&app, a, json!({"title": rule, "description": "d"})).await;
        let cid = id(&c);
        let old_task = add_task(&app, a, &cid, "old").await;
        let old_obs = add_observable(&app, a, &cid, &format!("old-{rule}.test")).await;
        let (status, body) = send(
            a.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares"))
                .json(&json!({"shares": [{"organisation": "beta", "taskRule": rule, "observableRule": rule}]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let new_task = add_task(&app, a, &cid, "new").await;
        let new_obs = add_observable(&app, a, &cid, &format!("new-{rule}.test")).await;
        let expect = |old: &str, new: &str| {
            let mut v: Vec<String> = Vec::new();
            if old_visible {
                v.push(old.to_owned());
            }
            if new_visible {
                v.push(new.to_owned());
            }
            v.sort();
            v
        };
        assert_eq!(task_ids(&app, b, &cid).await, expect(&old_task, &new_task), "tasks under {rule}");
        assert_eq!(observable_ids(&app, b, &cid).await, expect(&old_obs, &new_obs), "observables under {rule}");
        // The owner always sees everything.
        assert_eq!(task_ids(&app, a, &cid).await.len(), 2);
        let want = if old_visible { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(status_of(&app, b, Method::GET, &format!("/api/v1/task/{old_task}")).await, want, "{rule}");
        assert_eq!(status_of(&app, b, Method::GET, &format!("/api/v1/observable/{old_obs}")).await, want, "{rule}");
    }
}

async fn manual_task_and_observable_shares(app: TestApp) {
    let w = world(&app).await;
    let (a, b, g) = (w.get("alpha-an"), w.get("beta-an"), w.get("gamma-an"));
    let c = create_case(&app, a, json!({"title": "c", "description": "d"})).await;
    let cid = id(&c);
    let task = add_task(&app, a, &cid, "t").await;
    let obs = add_observable(&app, a, &cid, "manual.test").await;
    send(a.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares")).json(
        &json!({"shares": [{"organisation": "beta", "profile": "analyst"}, {"organisation": "gamma", "profile": "read-only"}]}),
    ))
    .await;
    assert_eq!(status_of(&app, b, Method::GET, &format!("/api/v1/task/{task}")).await, StatusCode::NOT_FOUND);
    let (status, body) = send(
        a.req(&app, Method::POST, &format!("/api/v1/case/task/{task}/shares"))
            .json(&json!({"organisations": ["beta"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(status_of(&app, b, Method::GET, &format!("/api/v1/task/{task}")).await, StatusCode::OK);
    assert_eq!(status_of(&app, g, Method::GET, &format!("/api/v1/task/{task}")).await, StatusCode::NOT_FOUND);
    let (status, shares) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/task/{task}/shares"))).await;
    assert_eq!(status, StatusCode::OK, "{shares}");
    let names: Vec<&str> = shares.as_array().unwrap().iter().map(|s| s["organisationName"].as_str().unwrap()).collect();
    assert_eq!(names, ["beta"]);
    // Observables, with thehive4py's routes.
    let (status, _) = send(
        a.req(&app, Method::POST, &format!("/api/v1/observable/{obs}/shares"))
            .json(&json!({"organisations": ["gamma"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&app, g, Method::GET, &format!("/api/v1/observable/{obs}")).await, StatusCode::OK);
    let (_, shares) = send(a.req(&app, Method::GET, &format!("/api/v1/observable/{obs}/shares"))).await;
    assert_eq!(shares[0]["organisationName"], "gamma");
    // Sharing with an organisation the case is not shared with is refused.
    let (status, body) = send(
        a.req(&app, Method::POST, &format!("/api/v1/task/{task}/shares")).json(&json!({"organisations": ["delta"]})),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
    // Gamma (read-only share) may not manage shares; beta (analyst share) may.
    let (status, body) = send(g.req(&app, Method::GET, &format!("/api/v1/case/{cid}/observable/{obs}/shares"))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, _) = send(
        b.req(&app, Method::DELETE, &format!("/api/v1/task/{task}/shares")).json(&json!({"organisations": ["alpha"]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the owner cannot be unshared");
    let (status, _) = send(
        a.req(&app, Method::DELETE, &format!("/api/v1/task/{task}/shares")).json(&json!({"organisations": ["beta"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&app, b, Method::GET, &format!("/api/v1/task/{task}")).await, StatusCode::NOT_FOUND);
    let (status, _) = send(
        a.req(&app, Method::DELETE, &format!("/api/v1/observable/{obs}/shares"))
            .json(&json!({"organisations": ["gamma"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&app, g, Method::GET, &format!("/api/v1/observable/{obs}")).await, StatusCode::NOT_FOUND);
    // A task the caller cannot see is not found, whatever the organisation list says.
    let (status, body) = send(
        w.get("delta-oa")
            .req(&app, Method::POST, &format!("/api/v1/case/task/{task}/shares"))
            .json(&json!({"organisations": ["delta"]})),
    )
    .await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn sharing_at_case_creation(app: TestApp) {
    let w = world(&app).await;
    let a = w.get("alpha-an");
    // sharingParameters: share with beta (all tasks, so the inline one too), not gamma.
    let c = create_case(
        &app,
        a,
        json!({"title": "c", "description": "d", "tasks": [{"title": "inline"}], "sharingParameters": [
            {"organisation": "beta", "profile": "analyst", "taskRule": "all", "observableRule": "upcomingOnly"}
        ]}),
    )
    .await;
    let cid = id(&c);
    let b = w.get("beta-an");
    assert_eq!(task_ids(&app, b, &cid).await.len(), 1, "the inline task went to beta");
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/shares"))).await;
    assert_eq!(list[0]["observableRule"], "upcomingOnly");
    // Bad sharing parameters refuse the creation.
    let before = send(a.req(&app, Method::GET, "/api/v1/case")).await.1.as_array().unwrap().len();
    let (status, body) = send(a.req(&app, Method::POST, "/api/v1/case").json(&json!({
        "title": "bad", "description": "d", "sharingParameters": [{"organisation": "delta"}]
    })))
    .await;
    assert_error(status, &body, 400, "BadRequest");
    let after = send(a.req(&app, Method::GET, "/api/v1/case")).await.1.as_array().unwrap().len();
    assert_eq!(before, after);
    // A read-only user may not share at creation (nor create a case).
    // Link types: gamma supervises alpha, so alpha's new cases go to gamma as analyst...
    link(&app, "alpha", "gamma", json!({"linkType": "supervised", "otherLinkType": "default"})).await;
    let c = create_case(&app, a, json!({"title": "auto", "description": "d"})).await;
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{}/shares", id(&c)))).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        (list[0]["organisationName"].as_str(), list[0]["profileName"].as_str()),
        (Some("gamma"), Some("analyst"))
    );
    // ...unless the case's sharing parameters say otherwise.
    let c = create_case(
        &app,
        a,
        json!({"title": "private", "description": "d", "sharingParameters": [{"organisation": "gamma", "share": false}]}),
    )
    .await;
    let (_, list) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{}/shares", id(&c)))).await;
    assert_eq!(list, json!([]));
    // Gamma's own cases are not shared back (its side of the link is `default`).
    let g = w.get("gamma-an");
    let c = create_case(&app, g, json!({"title": "gamma's", "description": "d"})).await;
    let (_, list) = send(g.req(&app, Method::GET, &format!("/api/v1/case/{}/shares", id(&c)))).await;
    assert_eq!(list, json!([]));
}

async fn multi_org_user_acts_in_one_organisation(app: TestApp) {
    let w = world(&app).await;
    let login = "multi@sharing.test";
    app.create_user(login, "alpha", "analyst").await;
    app.create_user(login, "delta", "read-only").await;
    let in_alpha = Actor { login: login.into(), org: "alpha".into() };
    let in_delta = Actor { login: login.into(), org: "delta".into() };
    let c = create_case(&app, &in_alpha, json!({"title": "alpha's", "description": "d"})).await;
    let cid = id(&c);
    assert_eq!(status_of(&app, &in_alpha, Method::GET, &format!("/api/v1/case/{cid}")).await, StatusCode::OK);
    assert_eq!(status_of(&app, &in_delta, Method::GET, &format!("/api/v1/case/{cid}")).await, StatusCode::NOT_FOUND);
    let (_, list) = send(in_delta.req(&app, Method::GET, "/api/v1/case")).await;
    assert_eq!(list, json!([]));
    // In delta the user is read-only: no case creation there.
    let (status, body) =
        send(in_delta.req(&app, Method::POST, "/api/v1/case").json(&json!({"title": "x", "description": "d"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // Interleaved requests never carry one organisation's view into the other.
    for _ in 0..3 {
        assert_eq!(
            status_of(&app, &in_delta, Method::GET, &format!("/api/v1/case/{cid}")).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(status_of(&app, &in_alpha, Method::GET, &format!("/api/v1/case/{cid}")).await, StatusCode::OK);
    }
    // A session keeps the organisation chosen at login; the header still overrides it.
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let (status, _) = send(
        client
            .post(app.url("/api/v1/login"))
            .json(&json!({"user": login, "password": password_of(login), "organisation": "delta"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(client.get(app.url(&format!("/api/v1/case/{cid}")))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(client.get(app.url(&format!("/api/v1/case/{cid}"))).header("X-Organisation", "alpha")).await;
    assert_eq!(status, StatusCode::OK);
    let _ = w;
}

async fn timeline_and_audit_follow_visibility(app: TestApp) {
    let w = world(&app).await;
    let (a, b) = (w.get("alpha-an"), w.get("beta-an"));
    let c = create_case(&app, a, json!({"title": "c", "description": "d"})).await;
    let cid = id(&c);
    let secret = add_task(&app, a, &cid, "secret task").await;
    send(
        a.req(&app, Method::POST, &format!("/api/v1/case/{cid}/shares"))
            .json(&json!({"shares": [{"organisation": "beta", "profile": "analyst"}]})),
    )
    .await;
    let public = add_task(&app, b, &cid, "beta task").await;
    let (status, tl) = send(b.req(&app, Method::GET, &format!("/api/v1/case/{cid}/timeline"))).await;
    assert_eq!(status, StatusCode::OK, "{tl}");
    let tasks_in = |tl: &Value| -> Vec<String> {
        tl["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entity"] == "Task")
            .map(|e| e["entityId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(tasks_in(&tl), std::slice::from_ref(&public), "{tl}");
    assert!(!tl.to_string().contains("secret task"), "{tl}");
    let (_, tl) = send(a.req(&app, Method::GET, &format!("/api/v1/case/{cid}/timeline"))).await;
    assert_eq!(tasks_in(&tl), [public.clone(), secret.clone()], "{tl}");
    let (status, recent) = send(b.req(&app, Method::GET, "/api/v1/audit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!recent.to_string().contains("secret task"), "{recent}");
    let (_, q) =
        send(b.req(&app, Method::POST, "/api/v1/query").json(&json!({"query": [{"_name": "listAudit"}]}))).await;
    assert!(!q.to_string().contains("secret task"), "{q}");
    assert!(q.to_string().contains("beta task"), "{q}");
    assert_eq!(
        status_of(&app, w.get("delta-an"), Method::GET, &format!("/api/v1/case/{cid}/timeline")).await,
        StatusCode::NOT_FOUND
    );
}
