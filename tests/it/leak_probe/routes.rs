//! The routes of the API as the routers declare them (read from `src/http/v1/*.rs`), so
//! that a route added later without a probe fails this test until it is probed or
//! excluded here with a reason.

use std::collections::BTreeSet;

/// Routes the probe does not call, and why.
pub const EXCLUDED: &[(&str, &str, &str)] = &[
    ("POST", "/login", "authentication, no object (auth tests)"),
    ("GET", "/logout", "authentication, no object (auth tests)"),
    ("POST", "/logout", "authentication, no object (auth tests)"),
    ("GET", "/status", "public platform status, no object"),
    ("GET", "/health", "public platform status, no object"),
    ("GET", "/license/current", "public platform status, no object"),
    ("GET", "/api/status", "public platform status, no object"),
    ("GET", "/api/health", "public platform status, no object"),
    ("GET", "/api/v0/status", "public platform status, no object"),
    ("GET", "/api/v0/health", "public platform status, no object"),
    ("PATCH", "/user/{id}", "account management of users, not case data (users tests)"),
    ("DELETE", "/user/{id}", "account management of users, not case data (users tests)"),
    ("DELETE", "/user/{id}/force", "account management of users, not case data (users tests)"),
    ("PUT", "/user/{id}/organisations", "account management of users, not case data (users tests)"),
    ("POST", "/user/{id}/password/set", "credentials (users tests)"),
    ("POST", "/user/{id}/password/change", "credentials (users tests)"),
    ("GET", "/user/{id}/key", "credentials (users tests)"),
    ("DELETE", "/user/{id}/key", "credentials (users tests)"),
    ("POST", "/user/{id}/key/renew", "credentials (users tests)"),
    ("POST", "/user/{id}/reset", "credentials (users tests)"),
    ("POST", "/pattern/import/attack", "platform catalogue import, run once by the setup"),
    // Case merge deletes its sources and custom events are a case's own writes: their
    // visibility (404 on an invisible case or event, 403 without manageCase, nothing changed
    // on refusal) is covered by tests/it/case_gaps.rs; the list routes are probed above.
    ("POST", "/case/_merge/{ids}", "destroys the world's cases (case_gaps tests)"),
    ("POST", "/case/{id}/customEvent", "case write through find_for_write (case_gaps tests)"),
    ("GET", "/customEvent/{id}", "no custom event in the probe's world (case_gaps tests)"),
    ("PATCH", "/customEvent/{id}", "no custom event in the probe's world (case_gaps tests)"),
    ("DELETE", "/customEvent/{id}", "no custom event in the probe's world (case_gaps tests)"),
    // The MISP connector: platform administration (managePlatform) and calls that need a MISP
    // server; its own suite (tests/it/misp, with a fake MISP) covers permissions, and the
    // export of a case resolves the case through the same visible-case lookup as every route.
    ("GET", "/connector/misp/status", "MISP connector status, no case data (misp tests)"),
    ("GET", "/connector/misp/_syncAlerts", "needs a MISP server (misp tests)"),
    ("POST", "/connector/misp/_syncAlerts", "needs a MISP server (misp tests)"),
    ("GET", "/connector/misp/server", "platform administration (misp tests)"),
    ("POST", "/connector/misp/server", "platform administration (misp tests)"),
    ("GET", "/connector/misp/server/{id}", "platform administration (misp tests)"),
    ("PATCH", "/connector/misp/server/{id}", "platform administration (misp tests)"),
    ("DELETE", "/connector/misp/server/{id}", "platform administration (misp tests)"),
    ("POST", "/connector/misp/server/_test", "needs a MISP server (misp tests)"),
    ("POST", "/connector/misp/server/{id}/_test", "needs a MISP server (misp tests)"),
    ("POST", "/connector/misp/server/{id}/_sync", "needs a MISP server (misp tests)"),
    ("GET", "/connector/misp/settings", "platform administration, no case data (misp interval tests)"),
    ("PATCH", "/connector/misp/settings", "platform administration, no case data (misp interval tests)"),
    ("POST", "/connector/misp/case/import", "creates a new case from a file, reads nothing (misp tests)"),
    (
        "GET",
        "/connector/misp/export/{case}",
        "needs a MISP server; case lookup is the shared visible-case rule (misp tests)",
    ),
    (
        "POST",
        "/connector/misp/export/{case}/{server}",
        "needs a MISP server; case lookup is the shared visible-case rule (misp tests)",
    ),
];

/// `(METHOD, path)` of every route declared under `src/http/v1`.
pub fn declared() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/v1");
    let mut out = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(&dir) else { panic!("cannot read {}", dir.display()) };
    for e in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
        let mut rest = text.as_str();
        while let Some(pos) = rest.find(".route(\"") {
            rest = &rest[pos + 8..];
            let Some(end) = rest.find('"') else { break };
            let path = rest[..end].to_owned();
            // The handlers of this route: up to the closing parenthesis of `.route(`.
            let mut depth = 1;
            let mut stop = rest.len();
            for (i, ch) in rest.char_indices().skip(end) {
                match ch {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            stop = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let handlers = &rest[end..stop];
            for (method, marks) in [
                ("GET", ["get(", ".get("]),
                ("POST", ["post(", ".post("]),
                ("PUT", ["put(", ".put("]),
                ("PATCH", ["patch(", ".patch("]),
                ("DELETE", ["delete(", ".delete("]),
            ] {
                let found = handlers.match_indices(marks[0]).any(|(i, _)| {
                    // `get(` but not `forget(`: preceded by a separator.
                    i == 0 || !handlers[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                }) || handlers.contains(marks[1]);
                if found {
                    out.insert((method.to_owned(), path.clone()));
                }
            }
        }
    }
    out
}
