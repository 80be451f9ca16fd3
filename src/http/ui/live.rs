//! `GET /events`: server-sent events from the audit stream, so that lists and the case page
//! can tell the analyst that someone else changed what they are looking at.
//!
//! Each stream lives for a short while and then ends; the browser's `EventSource`
//! reconnects by itself with `Last-Event-ID`, so nothing is missed. Short streams keep a
//! graceful shutdown from waiting on open tabs, and the stream authenticates without
//! sliding the session deadline, so an idle open tab does not keep a session alive forever.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use serde_json::json;

use super::error::UiError;
use crate::app::App;
use crate::auth::{Caller, Credentials, authenticate};
use crate::error::ApiError;
use crate::http::extract::session_token;
use crate::service::live;

/// How often a stream looks for changes.
const POLL: Duration = Duration::from_secs(2);
/// How long a stream lives before the browser reconnects.
const LIFETIME: Duration = Duration::from_secs(20);

pub fn router() -> Router<App> {
    Router::new().route("/events", get(events))
}

struct StreamState {
    app: App,
    caller: Caller,
    last: i64,
    deadline: tokio::time::Instant,
    first: bool,
}

async fn events(
    State(app): State<App>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, UiError> {
    let token = session_token(&headers).ok_or_else(|| ApiError::Authentication("Authentication failure".into()))?;
    let caller = authenticate(&app, Credentials::Session(token), None, Some(addr.ip()), String::new()).await?;
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let last = match resume {
        Some(id) => id,
        None => live::latest_id(&app, &caller).await?,
    };
    let state = StreamState { app, caller, last, deadline: tokio::time::Instant::now() + LIFETIME, first: true };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        // Tell the browser where it stands at once, so a reconnect resumes from here.
        if st.first {
            st.first = false;
            let hello =
                Event::default().event("ready").id(st.last.to_string()).retry(Duration::from_secs(1)).data("{}");
            return Some((Ok(hello), st));
        }
        loop {
            if tokio::time::Instant::now() >= st.deadline {
                return None;
            }
            tokio::time::sleep(POLL).await;
            let Ok(changes) = live::changes_since(&st.app, &st.caller, st.last).await else {
                return None;
            };
            let Some(newest) = changes.last().map(|e| e.id) else { continue };
            st.last = newest;
            let items: Vec<_> = changes
                .iter()
                .map(|e| {
                    json!({
                        "operation": e.operation, "objectType": e.object_type, "objectId": e.object_id,
                        "rootType": e.root_type, "rootId": e.root_id, "by": e.created_by,
                    })
                })
                .collect();
            let event = Event::default().event("change").id(newest.to_string()).data(json!(items).to_string());
            return Some((Ok(event), st));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
