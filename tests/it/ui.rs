//! The web UI's security properties, black-box over HTTP: the headers every page carries,
//! CSRF on every form, sessions required, escaping, error pages with the request id.
//! (What a person sees and does is tested in a real browser in `tests/browser/`.)

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN, ADMIN_PASSWORD, TestApp, password_of, send};

crate::backend_tests!(
    login_page_renders_with_strict_headers,
    pages_require_a_session,
    forms_require_the_csrf_token,
    csrf_token_is_bound_to_the_session,
    ui_session_is_the_api_session,
    user_names_are_escaped,
    error_pages_show_the_request_id,
    organisation_switch_checks_membership,
    assets_are_versioned_and_cached,
    case_page_escapes_and_sanitises_markdown,
    alert_queue_filters_through_the_query_service,
    live_events_need_a_session_and_report_changes,
);

/// A browser-like client: its own cookie jar, no automatic redirects.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker).unwrap_or_else(|| panic!("no CSRF field in {}", self.body)) + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base: app.base.clone(), client }
    }

    pub async fn page(&self, req: reqwest::RequestBuilder) -> Page {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        Page { status, headers, body: resp.text().await.unwrap() }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.page(self.client.get(format!("{}{path}", self.base))).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.page(self.client.post(format!("{}{path}", self.base)).form(form)).await
    }

    /// Signs in through the login form; returns the start page.
    pub async fn sign_in(&self, login: &str, password: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        let resp =
            self.post("/login", &[("_csrf", &csrf), ("user", login), ("password", password), ("next", "/")]).await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
        assert!(resp.headers.get_all(SET_COOKIE).iter().any(|c| c.to_str().unwrap().starts_with("THEHIVE-SESSION=")));
        let home = self.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        home
    }
}

async fn login_page_renders_with_strict_headers(app: TestApp) {
    let b = Browser::new(&app);
    let page = b.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.contains("<form") && page.body.contains("name=\"password\""));
    let csp = page.headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers[CACHE_CONTROL], "no-store");
    // The CSRF nonce cookie is HttpOnly and never sent cross-site.
    let cookie = page.headers[SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("waggle-csrf=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    // No inline script or style anywhere the policy would have to allow.
    assert!(!page.body.contains("<script>") && !page.body.contains("style="), "{}", page.body);
    // Behind a TLS proxy, cookies are Secure.
    let resp = app.client.get(app.url("/login")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(resp.headers()[SET_COOKIE].to_str().unwrap().contains("; Secure"));
}

async fn pages_require_a_session(app: TestApp) {
    let b = Browser::new(&app);
    for (path, next) in [("/", "%2F"), ("/admin/users?organisation=admin", "%2Fadmin%2Fusers%3Forganisation%3Dadmin")] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), format!("/login?next={next}"));
        assert!(page.headers.contains_key(CONTENT_SECURITY_POLICY));
    }
    // The script gets a 401 and where to go instead of a redirect it would follow blindly.
    let resp = b.client.get(format!("{}/profile", b.base)).header("HX-Request", "true").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["hx-redirect"], "/login?next=%2Fprofile");
    // A bogus session cookie is no better than none.
    let resp = b.client.get(format!("{}/", b.base)).header("cookie", "THEHIVE-SESSION=forged").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // After signing in, the page is served; after signing out, it is not.
    let home = b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    assert!(home.body.contains("Welcome"), "{}", home.body);
    let csrf = home.csrf();
    let out = b.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/login");
    assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER);
}

async fn forms_require_the_csrf_token(app: TestApp) {
    let b = Browser::new(&app);
    // Even the login form: no token, no session (login CSRF).
    let login = b.get("/login").await;
    let refused = b.post("/login", &[("user", ADMIN), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("This form has expired"), "{}", refused.body);
    assert!(!refused.headers.get_all(SET_COOKIE).iter().any(|c| c.to_str().unwrap().starts_with("THEHIVE-SESSION")));
    let wrong = b.post("/login", &[("_csrf", "AAAA"), ("user", ADMIN), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    drop(login);

    let home = b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let csrf = home.csrf();
    // Without the token, with a wrong one, or announced as cross-site: refused, nothing made.
    let no_token = b.post("/admin/organisations", &[("name", "forged-1")]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let bad_token = b.post("/admin/organisations", &[("_csrf", "bm9wZQ"), ("name", "forged-2")]).await;
    assert_eq!(bad_token.status, StatusCode::FORBIDDEN);
    let cross_site = b
        .page(
            b.client
                .post(format!("{}/admin/organisations", b.base))
                .header("sec-fetch-site", "cross-site")
                .form(&[("_csrf", csrf.as_str()), ("name", "forged-3")]),
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    // A JSON body cannot carry the form field, and is refused too.
    let json_body = b
        .page(
            b.client.post(format!("{}/admin/organisations", b.base)).json(&json!({"_csrf": csrf, "name": "forged-4"})),
        )
        .await;
    assert_eq!(json_body.status, StatusCode::FORBIDDEN);
    let (_, orgs) = send(app.as_admin(Method::GET, "/api/v1/organisation")).await;
    assert!(!orgs.to_string().contains("forged"), "{orgs}");
    // With the token (form field, or header as the script sends it) it goes through.
    let ok = b.post("/admin/organisations", &[("_csrf", &csrf), ("name", "real-1")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.location().starts_with("/admin/organisations/~"), "{}", ok.location());
    let ok = b
        .page(
            b.client
                .post(format!("{}/admin/organisations", b.base))
                .header("x-csrf-token", &csrf)
                .form(&[("name", "real-2")]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, orgs) = send(app.as_admin(Method::GET, "/api/v1/organisation")).await;
    assert!(orgs.to_string().contains("real-1") && orgs.to_string().contains("real-2"), "{orgs}");
    // The refusal page is a friendly page with the request id.
    let id = no_token.headers["x-request-id"].to_str().unwrap();
    assert!(no_token.body.contains(id), "{}", no_token.body);
}

async fn csrf_token_is_bound_to_the_session(app: TestApp) {
    app.create_org("soc").await;
    app.create_user("eve@soc.test", "soc", "org-admin").await;
    let admin = Browser::new(&app);
    let admin_token = admin.sign_in(ADMIN, ADMIN_PASSWORD).await.csrf();
    let eve = Browser::new(&app);
    let eve_home = eve.sign_in("eve@soc.test", &password_of("eve@soc.test")).await;
    // Eve's own token works for Eve; the admin's token (or Eve's pre-login token) does not.
    let stolen = eve.post("/profile", &[("_csrf", &admin_token), ("name", "Stolen")]).await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
    let ok = eve.post("/profile", &[("_csrf", &eve_home.csrf()), ("name", "Eve")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // Signing out and in again gives a new session, and the old page's token stops working.
    let old = eve_home.csrf();
    assert_eq!(eve.post("/logout", &[("_csrf", &old)]).await.status, StatusCode::SEE_OTHER);
    eve.sign_in("eve@soc.test", &password_of("eve@soc.test")).await;
    let replay = eve.post("/profile", &[("_csrf", &old), ("name", "Replay")]).await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);
    let (_, me) =
        send(app.as_user(Method::GET, "/api/v1/user/current", "eve@soc.test", &password_of("eve@soc.test"))).await;
    assert_eq!(me["name"], "Eve");
}

async fn ui_session_is_the_api_session(app: TestApp) {
    let b = Browser::new(&app);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let resp = b.client.get(format!("{}/api/v1/user/current", b.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(me["login"], ADMIN);
    // And the other way round: a session opened by the API opens the UI.
    let api = Browser::new(&app);
    let resp = api
        .client
        .post(format!("{}/api/v1/login", api.base))
        .json(&json!({"user": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(api.get("/profile").await.status, StatusCode::OK);
}

async fn user_names_are_escaped(app: TestApp) {
    app.create_org("soc").await;
    let (status, body) = send(app.as_admin(Method::POST, "/api/v1/user").json(&json!({
        "login": "xss@soc.test", "name": "<script>alert('x')</script>\"><img src=x onerror=alert(1)>",
        "organisation": "soc", "profile": "analyst", "password": "pw-xss@soc.test"
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let admin = Browser::new(&app);
    admin.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let list = admin.get("/admin/users?organisation=soc").await;
    assert_eq!(list.status, StatusCode::OK);
    let detail = admin.get(&format!("/admin/users/{}", body["_id"].as_str().unwrap())).await;
    let user = Browser::new(&app);
    let home = user.sign_in("xss@soc.test", "pw-xss@soc.test").await;
    for page in [&list.body, &detail.body, &home.body] {
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img src=x"), "{page}");
        assert!(page.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"), "{page}");
    }
}

async fn error_pages_show_the_request_id(app: TestApp) {
    let b = Browser::new(&app);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let page = b.get("/admin/users/~987654").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.headers[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let id = page.headers["x-request-id"].to_str().unwrap();
    assert!(page.body.contains(id) && page.body.contains("Not found"), "{}", page.body);
    assert!(page.headers.contains_key(CONTENT_SECURITY_POLICY));
    // For the script, the same error comes as a fragment to swap in, not a whole document.
    let resp =
        b.client.get(format!("{}/admin/users/~987654", b.base)).header("HX-Request", "true").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("<html") && body.contains("request-id"), "{body}");
    // A refused form is shown again with the reason, and nothing changes.
    let csrf = b.get("/admin/organisations").await.csrf();
    let refused = b.post("/admin/organisations", &[("_csrf", &csrf), ("name", "bad/name")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("flash-error") && refused.body.contains("bad/name"), "{}", refused.body);
}

async fn organisation_switch_checks_membership(app: TestApp) {
    app.create_org("red").await;
    app.create_org("blue").await;
    app.create_user("bob@red.test", "red", "analyst").await;
    let b = Browser::new(&app);
    let home = b.sign_in("bob@red.test", &password_of("bob@red.test")).await;
    let csrf = home.csrf();
    // Not a member of blue: refused, and the session stays in red.
    let refused = b.post("/organisation", &[("_csrf", &csrf), ("organisation", "blue")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(b.get("/").await.body.contains("<strong>red</strong>"));
    // Once a member, the switch sticks to the session (and so to the API through it).
    let (status, body) = send(app.as_admin(Method::POST, "/api/v1/user").json(&json!({
        "login": "bob@red.test", "name": "bob", "organisation": "blue", "profile": "analyst"
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let switched = b.post("/organisation", &[("_csrf", &csrf), ("organisation", "blue")]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.body);
    assert!(b.get("/").await.body.contains("<strong>blue</strong>"));
    let me: serde_json::Value =
        b.client.get(format!("{}/api/v1/user/current", b.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["organisation"], "blue");
}

async fn assets_are_versioned_and_cached(app: TestApp) {
    let b = Browser::new(&app);
    let page = b.get("/login").await;
    let start = page.body.find("/assets/").unwrap();
    let end = page.body[start..].find('"').unwrap() + start;
    let css = &page.body[start..end];
    assert!(css.ends_with("/app.css"), "{css}");
    let resp = b.client.get(format!("{}{css}", b.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Debug builds serve the source tree's files uncached (the development switch).
    let expected = if cfg!(debug_assertions) { "no-cache" } else { "public, max-age=31536000, immutable" };
    assert_eq!(resp.headers()[CACHE_CONTROL], expected);
    assert!(resp.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    let js = b.client.get(format!("{}{}", b.base, css.replace("app.css", "app.js"))).send().await.unwrap();
    assert!(js.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    // A stale version still gets the file, but uncached; an unknown file is a 404.
    let stale = b.client.get(format!("{}/assets/0000/app.css", b.base)).send().await.unwrap();
    assert_eq!(stale.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(b.get("/assets/0000/secret.key").await.status, StatusCode::NOT_FOUND);
}

/// An organisation `soc` with an analyst; returns the analyst's login and password.
pub async fn analyst(app: &TestApp) -> (String, String) {
    app.create_org("soc").await;
    app.create_user("ana@soc.test", "soc", "analyst").await;
    ("ana@soc.test".into(), password_of("ana@soc.test"))
}

async fn case_page_escapes_and_sanitises_markdown(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let (status, case) = send(app.as_user(Method::POST, "/api/v1/case", &login, &pw).json(&json!({
        "title": "<img src=x onerror=alert(1)>",
        "description": "**bold** <script>alert(1)</script> [click](javascript:alert(2))",
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let page = b.get(&format!("/cases/{}", case["number"])).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<strong>bold</strong>"), "Markdown is rendered: {}", page.body);
    assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "{}", page.body);
    assert!(!page.body.contains("javascript:"), "{}", page.body);
    assert!(page.body.contains("&#60;img src=x onerror=alert(1)&#62;"), "{}", page.body);
    // The same case in the list, and an unknown case is a 404 page.
    assert!(b.get("/cases").await.body.contains("&#60;img src=x"));
    assert_eq!(b.get("/cases/999").await.status, StatusCode::NOT_FOUND);
}

async fn alert_queue_filters_through_the_query_service(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    for (i, (title, severity)) in [("Low thing", 1), ("High thing", 3), ("Another high", 3)].iter().enumerate() {
        let (status, body) = send(app.as_user(Method::POST, "/api/v1/alert", &login, &pw).json(&json!({
            "type": "siem", "source": "test", "sourceRef": format!("ref-{i}"), "title": title,
            "description": "d", "severity": severity,
        })))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Another organisation's alert never shows.
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let (status, _) = send(app.as_user(Method::POST, "/api/v1/alert", "olga@other.test", &password_of("olga@other.test")).json(
        &json!({"type": "siem", "source": "test", "sourceRef": "x", "title": "Secret of other", "description": "d"}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let all = b.get("/alerts").await;
    assert!(all.body.contains("id=\"alert-total\">3<"), "{}", all.body);
    assert!(!all.body.contains("Secret of other"));
    let high = b.get("/alerts?severity=3&sort=title").await;
    assert!(high.body.contains("id=\"alert-total\">2<"), "{}", high.body);
    assert!(!high.body.contains("Low thing"));
    let (a, h) = (high.body.find("Another high").unwrap(), high.body.find("High thing").unwrap());
    assert!(a < h, "sorted by title");
    let titled = b.get("/alerts?q=another").await;
    assert!(titled.body.contains("id=\"alert-total\">1<"), "{}", titled.body);
    // A bulk action without ticking anything is refused next to the list.
    let csrf = all.csrf();
    let refused = b.post("/alerts/bulk", &[("_csrf", &csrf), ("action", "read")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Tick at least one alert"), "{}", refused.body);
}

async fn live_events_need_a_session_and_report_changes(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let anonymous = Browser::new(&app);
    let page = anonymous.get("/events").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let mut resp = b.client.get(format!("{}/events", b.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let (status, case) = send(
        app.as_user(Method::POST, "/api/v1/case", &login, &pw).json(&json!({"title": "Live", "description": "d"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Read until the change arrives (bounded, so a broken stream fails instead of hanging).
    let mut text = String::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while let Some(chunk) = resp.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("event: change") && text.contains("\"objectType\":\"Case\"") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no change event in {text}");
    assert!(text.contains("event: ready"), "{text}");
    assert!(
        text.contains(&format!("\"objectId\":{}", case["_id"].as_str().unwrap().trim_start_matches('~'))),
        "{text}"
    );
}
