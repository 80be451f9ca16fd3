//! The MISP HTTP client: the calls Waggle makes, as MISP expects them (spec/misp.md §1).
//!
//! Every request carries `Accept: application/json`, JSON bodies go with
//! `Content-Type: application/json`, and the API key travels in `Authorization` (raw, as
//! MISP expects; `Bearer`/Basic for servers behind a gateway). The key is a sensitive
//! header value: it never appears in logs or `Debug` output.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::model::{Event, EventHeader, Me, Version, parse_index};
use crate::outbound::{self, OutboundError, Settings};

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: <key>` (MISP's own scheme).
    Key(String),
    Bearer(String),
    Basic {
        username: String,
        password: String,
    },
    None,
}

/// Everything needed to reach one MISP server.
#[derive(Clone)]
pub struct Connection {
    pub url: String,
    pub auth: Auth,
    pub http: Settings,
}

/// The `/events/index` filter (TheHive 4's spelling, §1.3).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexFilter {
    /// Epoch seconds: events changed at or after.
    pub since: Option<i64>,
    /// Allowed tags as is, prohibited ones prefixed with `!`.
    pub tags: Vec<String>,
    /// Allowed creator organisations as is, excluded ones prefixed with `!`.
    pub orgs: Vec<String>,
    pub published_only: bool,
    pub page: u32,
    pub limit: u32,
}

/// A downloaded file attribute.
pub struct Download {
    pub content: Vec<u8>,
    /// From `Content-Disposition`, when MISP sent one.
    pub filename: Option<String>,
    pub content_type: String,
}

#[derive(Clone)]
pub struct Client {
    base: String,
    http: outbound::Client,
}

/// The file name of `Content-Disposition: attachment; filename="…"`.
fn disposition_filename(v: &str) -> Option<String> {
    let idx = v.find("filename=")?;
    let rest = v[idx + "filename=".len()..].trim();
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split(';').next()?.trim(),
    };
    Some(name.to_owned()).filter(|n| !n.is_empty())
}

fn malformed(url: &str, detail: String) -> OutboundError {
    OutboundError::Malformed { url: url.to_owned(), detail }
}

impl Client {
    pub fn new(conn: &Connection) -> Result<Client, OutboundError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        match &conn.auth {
            Auth::Key(k) => {
                headers.insert(AUTHORIZATION, outbound::sensitive(k.trim())?);
            }
            Auth::Bearer(k) => {
                headers.insert(AUTHORIZATION, outbound::sensitive(&format!("Bearer {}", k.trim()))?);
            }
            Auth::Basic { username, password } => {
                use base64::Engine;
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
                headers.insert(AUTHORIZATION, outbound::sensitive(&format!("Basic {token}"))?);
            }
            Auth::None => {}
        }
        let url = conn.url.trim().trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&url).map(|u| !matches!(u.scheme(), "http" | "https")).unwrap_or(true) {
            return Err(OutboundError::Config(format!("invalid MISP URL {}", outbound::display_url(&url))));
        }
        Ok(Client { base: url, http: outbound::Client::new(conn.http.clone(), headers)? })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get_json(&self, path: &str) -> Result<Value, OutboundError> {
        self.http.send(self.http.get(&self.url(path))).await?.json()
    }

    async fn post_json(&self, path: &str, body: &Value) -> Result<Value, OutboundError> {
        let req = self.http.post(&self.url(path)).header(CONTENT_TYPE, "application/json").body(body.to_string());
        self.http.send(req).await?.json()
    }

    /// `GET /servers/getVersion`.
    pub async fn version(&self) -> Result<Version, OutboundError> {
        let path = "/servers/getVersion";
        let v = self.get_json(path).await?;
        Version::parse(&v).map_err(|d| malformed(&self.url(path), d))
    }

    /// `GET /users/view/me`, completed with `/organisations/view/{id}` on MISP versions
    /// that do not include the organisation.
    pub async fn me(&self) -> Result<Me, OutboundError> {
        let path = "/users/view/me";
        let v = self.get_json(path).await?;
        let mut me = Me::parse(&v).map_err(|d| malformed(&self.url(path), d))?;
        if me.org_name.is_none()
            && let Some(org_id) = me.org_id.clone()
        {
            let path = format!("/organisations/view/{org_id}");
            let v = self.get_json(&path).await?;
            let org = v.get("Organisation").unwrap_or(&v);
            me.org_name = Some(
                super::model::text(org, "name")
                    .ok_or_else(|| malformed(&self.url(&path), "no `Organisation.name`".into()))?,
            );
        }
        Ok(me)
    }

    /// `POST /events/index`: one page of the events changed since `filter.since`. Records
    /// that cannot be read come back as `Err` items, the rest still usable.
    pub async fn index(&self, f: &IndexFilter) -> Result<Vec<Result<EventHeader, String>>, OutboundError> {
        let path = "/events/index";
        let mut body = serde_json::Map::new();
        if let Some(since) = f.since {
            body.insert("searchtimestamp".into(), json!(since));
        }
        if !f.tags.is_empty() {
            body.insert("searchtag".into(), json!(f.tags));
        }
        if !f.orgs.is_empty() {
            body.insert("searchorg".into(), json!(f.orgs));
        }
        if f.published_only {
            body.insert("searchpublished".into(), json!(1));
        }
        body.insert("sort".into(), json!("timestamp"));
        body.insert("direction".into(), json!("asc"));
        body.insert("page".into(), json!(f.page.max(1)));
        body.insert("limit".into(), json!(f.limit.max(1)));
        let v = self.post_json(path, &Value::Object(body)).await?;
        parse_index(&v).map_err(|d| malformed(&self.url(path), d))
    }

    /// `GET /events/view/{id}`: the full event, objects and tags included.
    pub async fn event(&self, id: &str) -> Result<Event, OutboundError> {
        let path = format!("/events/view/{id}");
        let v = self.get_json(&path).await?;
        Event::parse(&v).map_err(|d| malformed(&self.url(&path), d))
    }

    /// `GET /events/view/{id}/extended:1`: the event with the attributes and objects of the
    /// events that extend it merged in (MISP's "extended event" view).
    pub async fn event_extended(&self, id: &str) -> Result<Event, OutboundError> {
        self.event(&format!("{id}/extended:1")).await
    }

    /// The raw full event, for the exporter's diff.
    pub async fn event_json(&self, id: &str) -> Result<Value, OutboundError> {
        self.get_json(&format!("/events/view/{id}")).await
    }

    /// `GET /attributes/download/{id}` (attachment or malware-sample archive).
    pub async fn download(&self, attribute_id: &str) -> Result<Download, OutboundError> {
        let resp = self.http.send(self.http.get(&self.url(&format!("/attributes/download/{attribute_id}")))).await?;
        if resp.body.is_empty() {
            return Err(malformed(&resp.url, "empty file".into()));
        }
        let content_type = resp
            .header("content-type")
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "application/octet-stream".into());
        if content_type == "application/json" {
            // MISP reports a missing file as a JSON error with a 2xx in some versions.
            return Err(malformed(
                &resp.url,
                format!("a JSON message instead of a file: {}", outbound::excerpt(&resp.body)),
            ));
        }
        let filename = resp.header("content-disposition").and_then(disposition_filename);
        Ok(Download { content: resp.body, filename, content_type })
    }

    /// `POST /events/add`: creates an event and returns its id.
    pub async fn add_event(&self, event: &Value) -> Result<String, OutboundError> {
        let path = "/events/add";
        let v = self.post_json(path, event).await?;
        let e = v.get("Event").unwrap_or(&v);
        super::model::text(e, "id").ok_or_else(|| malformed(&self.url(path), "no `Event.id` in the answer".into()))
    }

    /// `POST /events/edit/{id}`: updates the event fields and adds the attributes given.
    pub async fn edit_event(&self, id: &str, event: &Value) -> Result<(), OutboundError> {
        self.post_json(&format!("/events/edit/{id}"), event).await.map(|_| ())
    }

    /// `POST /events/upload_sample/{eventId}`.
    pub async fn upload_sample(&self, event_id: &str, body: &Value) -> Result<(), OutboundError> {
        self.post_json(&format!("/events/upload_sample/{event_id}"), body).await.map(|_| ())
    }
}

/// Wording for an administrator, with a hint where MISP's answer has a usual cause.
pub fn explain(e: &OutboundError) -> String {
    match e {
        OutboundError::Status { status: 401 | 403, .. } => {
            format!("{e} (MISP refused the API key: check that it is valid and that its role allows this)")
        }
        OutboundError::Status { status: 404, .. } => format!("{e} (is the URL the MISP base URL?)"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition() {
        assert_eq!(disposition_filename("attachment; filename=\"a b.zip\"").as_deref(), Some("a b.zip"));
        assert_eq!(disposition_filename("attachment; filename=x.bin; size=3").as_deref(), Some("x.bin"));
        assert_eq!(disposition_filename("inline"), None);
    }

    #[test]
    fn bad_url_refused() {
        let conn = Connection { url: "ftp://x".into(), auth: Auth::None, http: Settings::default() };
        assert!(matches!(Client::new(&conn), Err(OutboundError::Config(_))));
    }
}
