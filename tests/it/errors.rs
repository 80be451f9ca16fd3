//! The error contract: unknown routes, unknown ids, and that the request id comes back.

use reqwest::Method;

use crate::harness::{TestApp, assert_error, send};

crate::backend_tests!(unknown_routes_and_ids, request_id_is_returned);

async fn unknown_routes_and_ids(app: TestApp) {
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/nothing-here")).await;
    assert_error(status, &body, 404, "NotFoundError");
    assert_eq!(body["message"], "/api/v1/nothing-here");
    let (status, body) = send(app.client.get(app.url("/api/v1/nothing-here"))).await;
    assert_error(status, &body, 401, "AuthenticationError");
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/user/~999999")).await;
    assert_error(status, &body, 404, "NotFoundError");
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/organisation/~abc")).await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn request_id_is_returned(app: TestApp) {
    let resp = app.as_admin(Method::GET, "/api/v1/user/current").send().await.unwrap();
    let id = resp.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert!(id.len() >= 12);
}
