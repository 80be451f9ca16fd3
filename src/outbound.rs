//! Outbound HTTP: the one client wrapper every integration (MISP today, Cortex and webhooks
//! later) uses to call another service.
//!
//! It fixes what must be the same everywhere: a `Waggle/<version>` user agent, connect and
//! request timeouts, a redirect cap, a per-destination TLS trust (a custom CA added to the
//! public roots, host-name verification that can be switched off for a server whose
//! certificate names another host), an explicit proxy (environment proxies are ignored, so
//! what an administrator configured is exactly what happens), and bounded response reads,
//! so a hostile or broken peer cannot exhaust memory. Errors are rewritten into short,
//! actionable messages that never contain credentials: headers are never printed and URLs
//! are shown without their user-info part.
//!
//! An SSRF guard (`Destinations`) decides which addresses a destination may have: every
//! name is resolved by our own resolver, which drops the addresses the policy refuses, so
//! a name that resolves to a forbidden address (DNS rebinding included) is never connected
//! to; literal IP addresses in URLs, in the proxy setting and in every redirect are checked
//! the same way.
//!
//! It holds no knowledge of any remote protocol; `integrations/*` build on it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

/// How to reach one destination.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whole-request deadline (connect, send, and reading the full response).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Redirects followed before giving up (0 = none).
    pub max_redirects: usize,
    /// Extra trusted CA certificates, PEM (one or more blocks).
    pub ca_pem: Option<String>,
    /// `false` accepts a certificate issued for another host name (still checked against
    /// the trusted roots).
    pub verify_hostname: bool,
    /// `http://host:port` or `socks5://…`-less HTTP(S) proxy URL, used for every request.
    pub proxy: Option<String>,
    /// Largest response body read, in bytes.
    pub max_body: usize,
    /// Which addresses this destination may resolve to.
    pub destinations: Destinations,
}

/// The SSRF guard's policy for user-supplied URLs: which kinds of addresses may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Destinations {
    /// Public addresses only.
    Public,
    /// Public and private networks (RFC 1918, CGNAT 100.64/10, IPv6 ULA fc00::/7): what an
    /// on-premises MISP needs. Loopback, link-local (169.254/16 with the cloud metadata
    /// services, fe80::/10), unspecified, multicast and reserved addresses are refused.
    #[default]
    Private,
    /// No restriction (a MISP on the same host as Waggle, tests against local fakes).
    Any,
}

/// What kind of address an IP is, for the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressKind {
    Public,
    Private,
    Loopback,
    /// Link-local, unspecified, multicast, broadcast, reserved: never a service to call.
    Special,
}

fn kind_v4(ip: Ipv4Addr) -> AddressKind {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        AddressKind::Loopback
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        AddressKind::Private
    } else if ip.is_link_local() || ip.is_unspecified() || a == 0 || ip.is_multicast() || ip.is_broadcast() || a >= 240
    {
        AddressKind::Special
    } else {
        AddressKind::Public
    }
}

fn kind(ip: IpAddr) -> AddressKind {
    match ip {
        IpAddr::V4(v4) => kind_v4(v4),
        IpAddr::V6(v6) => kind_v6(v6),
    }
}

fn kind_v6(ip: Ipv6Addr) -> AddressKind {
    let seg = ip.segments();
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 destination.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return kind_v4(v4);
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = ip.octets();
        return kind_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if ip.is_loopback() {
        AddressKind::Loopback
    } else if ip.is_unspecified() || ip.is_multicast() || (seg[0] & 0xffc0) == 0xfe80 {
        AddressKind::Special
    } else if (seg[0] & 0xfe00) == 0xfc00 {
        AddressKind::Private
    } else {
        AddressKind::Public
    }
}

impl Destinations {
    /// Whether a connection to `ip` is allowed.
    pub fn allows(self, ip: IpAddr) -> bool {
        matches!(
            (self, kind(ip)),
            (Destinations::Any, _) | (_, AddressKind::Public) | (Destinations::Private, AddressKind::Private)
        )
    }

    fn refusal(self, ip: IpAddr) -> String {
        let what = match kind(ip) {
            AddressKind::Loopback => "a loopback address",
            AddressKind::Private => "a private address",
            AddressKind::Special => "a link-local, multicast or reserved address",
            AddressKind::Public => "an address",
        };
        let setting = match self {
            Destinations::Public => "public",
            Destinations::Private => "private",
            Destinations::Any => "any",
        };
        format!("{ip} is {what}, which outbound calls may not reach ([misp] destinations = \"{setting}\")")
    }
}

/// The guard's refusal, as an error the HTTP stack carries back to `classify`.
#[derive(Debug)]
struct Forbidden(String);

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Forbidden {}

/// The resolver every client uses: the system's, minus the addresses the policy refuses.
struct GuardedResolver(Destinations);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.iter().copied().filter(|a| policy.allows(a.ip())).collect();
            match (allowed.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => {
                    let why = policy.refusal(first.ip());
                    let why = format!("{host} resolves only to refused addresses: {why}");
                    Err(Box::new(Forbidden(why)) as Box<dyn std::error::Error + Send + Sync>)
                }
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

/// The refusal for a URL whose host is a literal IP address the policy refuses.
fn literal_refusal(url: &reqwest::Url, policy: Destinations) -> Option<String> {
    // IPv6 literals are bracketed in URLs; a name does not parse as an address.
    let ip: IpAddr = url.host_str()?.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    (!policy.allows(ip)).then(|| policy.refusal(ip))
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 5,
            ca_pem: None,
            verify_hostname: true,
            proxy: None,
            max_body: 64 * 1024 * 1024,
            destinations: Destinations::default(),
        }
    }
}

/// The user agent of every outbound request.
pub fn user_agent() -> String {
    format!("Waggle/{}", env!("CARGO_PKG_VERSION"))
}

/// What went wrong talking to a remote service, worded for an administrator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The settings themselves are unusable (bad proxy URL, unreadable CA certificate).
    #[error("{0}")]
    Config(String),
    /// Could not connect (refused, DNS, TLS handshake, certificate).
    #[error("cannot connect to {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("no answer from {url} within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("too many redirects from {url}")]
    Redirect { url: String },
    /// The SSRF guard refused the destination (or a redirect to it).
    #[error("{url} refused: {detail}")]
    Forbidden { url: String, detail: String },
    /// The peer answered with a non-success status.
    #[error("{url} answered {status}{}", if .body.is_empty() { String::new() } else { format!(": {}", .body) })]
    Status { url: String, status: u16, body: String },
    /// The response could not be read (cut, too large).
    #[error("cannot read the answer of {url}: {detail}")]
    Body { url: String, detail: String },
    /// The response was not what the protocol promises (malformed JSON, wrong shape).
    #[error("malformed answer from {url}: {detail}")]
    Malformed { url: String, detail: String },
}

impl OutboundError {
    /// True for failures that may go away by themselves (retry later), false for those
    /// that need an administrator (bad settings, refused credentials).
    pub fn is_transient(&self) -> bool {
        match self {
            OutboundError::Config(_) | OutboundError::Forbidden { .. } => false,
            OutboundError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => true,
        }
    }
}

/// A URL as shown in messages: without `user:password@`.
pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

/// A configured HTTP client for one destination.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    settings: Settings,
}

/// A response whose status was a success, body read in full (bounded).
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: String,
}

impl Response {
    /// The body parsed as JSON; a parse failure is `Malformed`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, OutboundError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| OutboundError::Malformed { url: self.url.clone(), detail: format!("invalid JSON ({e})") })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    /// Builds a client; invalid proxy or CA settings are reported as `Config`.
    pub fn new(settings: Settings, default_headers: HeaderMap) -> Result<Client, OutboundError> {
        let mut b = reqwest::Client::builder()
            .user_agent(user_agent())
            .default_headers(default_headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .redirect(redirect_policy(settings.max_redirects, settings.destinations))
            .dns_resolver(Arc::new(GuardedResolver(settings.destinations)))
            .danger_accept_invalid_hostnames(!settings.verify_hostname)
            .no_proxy();
        if let Some(pem) = settings.ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            for cert in parse_ca(pem)? {
                b = b.add_root_certificate(cert);
            }
        }
        if let Some(proxy) = settings.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
            if let Some(why) =
                reqwest::Url::parse(proxy.trim()).ok().and_then(|u| literal_refusal(&u, settings.destinations))
            {
                return Err(OutboundError::Config(format!("proxy {} refused: {why}", display_url(proxy))));
            }
            let p = reqwest::Proxy::all(proxy.trim())
                .map_err(|_| OutboundError::Config(format!("invalid proxy URL {}", display_url(proxy))))?;
            b = b.proxy(p);
        }
        let inner = b.build().map_err(|e| OutboundError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(Client { inner, settings })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Sends a request and reads the whole answer. Non-2xx statuses become `Status` with a
    /// short excerpt of the body.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Response, OutboundError> {
        let req = req.build().map_err(|e| OutboundError::Config(format!("invalid request: {}", e.without_url())))?;
        let url = display_url(req.url().as_str());
        if let Some(detail) = literal_refusal(req.url(), self.settings.destinations) {
            return Err(OutboundError::Forbidden { url, detail });
        }
        let mut resp = self.inner.execute(req).await.map_err(|e| self.classify(&url, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(len) = resp.content_length()
            && len > self.settings.max_body as u64
        {
            return Err(OutboundError::Body {
                url,
                detail: format!("{len} bytes announced, more than the {} allowed", self.settings.max_body),
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.settings.max_body {
                        return Err(OutboundError::Body {
                            url,
                            detail: format!("more than the {} bytes allowed", self.settings.max_body),
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(&url, e)),
            }
        }
        if !(200..300).contains(&status) {
            return Err(OutboundError::Status { url, status, body: excerpt(&body) });
        }
        Ok(Response { status, headers, body, url })
    }

    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.inner.get(url)
    }

    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.inner.post(url)
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> OutboundError {
        let url = url.to_owned();
        if e.is_timeout() {
            return OutboundError::Timeout { url, secs: self.settings.timeout.as_secs().max(1) };
        }
        if let Some(f) = find_cause::<Forbidden>(&e) {
            return OutboundError::Forbidden { url, detail: f.0.clone() };
        }
        if e.is_redirect() {
            return OutboundError::Redirect { url };
        }
        if e.is_connect() {
            return OutboundError::Connect { url, detail: root_cause(&e) };
        }
        OutboundError::Body { url, detail: root_cause(&e) }
    }
}

/// Redirects are followed up to `max`, never to a literal address the policy refuses (a
/// host name is checked when it is resolved).
fn redirect_policy(max: usize, destinations: Destinations) -> reqwest::redirect::Policy {
    if max == 0 {
        return reqwest::redirect::Policy::none();
    }
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            attempt.error("too many redirects")
        } else if let Some(why) = literal_refusal(attempt.url(), destinations) {
            let to = display_url(attempt.url().as_str());
            attempt.error(Forbidden(format!("redirect to {to}: {why}")))
        } else {
            attempt.follow()
        }
    })
}

/// The first error of type `T` in the cause chain of `e`.
fn find_cause<T: std::error::Error + 'static>(e: &reqwest::Error) -> Option<&T> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(t) = c.downcast_ref::<T>() {
            return Some(t);
        }
        cause = c.source();
    }
    None
}

/// The innermost cause of an error, which is where the useful words are ("connection
/// refused", "invalid peer certificate: UnknownIssuer").
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.is_empty() { "request failed".to_owned() } else { text }
}

/// Parses one or more PEM certificates; an empty or unreadable bundle is a `Config` error.
pub fn parse_ca(pem: &str) -> Result<Vec<reqwest::Certificate>, OutboundError> {
    let bad = || OutboundError::Config("the CA certificate is not a PEM certificate".into());
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(bad());
    }
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|_| bad())?;
    if certs.is_empty() { Err(bad()) } else { Ok(certs) }
}

/// Checks proxy and CA settings without connecting anywhere.
pub fn validate(settings: &Settings) -> Result<(), OutboundError> {
    Client::new(settings.clone(), HeaderMap::new()).map(|_| ())
}

/// The first 300 characters of a body, on one line, for error messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(300).collect();
    if one_line.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// A header value that must not show up in `Debug` output of the header map.
pub fn sensitive(value: &str) -> Result<HeaderValue, OutboundError> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| OutboundError::Config("the credential contains characters not allowed in a header".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials() {
        assert_eq!(display_url("https://u:p@misp.example/x"), "https://misp.example/x");
    }

    #[test]
    fn bad_ca_and_proxy_are_config_errors() {
        let s = Settings { ca_pem: Some("not a cert".into()), ..Settings::default() };
        assert!(matches!(validate(&s), Err(OutboundError::Config(_))));
        let s = Settings { proxy: Some("::not a url::".into()), ..Settings::default() };
        assert!(matches!(validate(&s), Err(OutboundError::Config(_))));
        assert!(validate(&Settings::default()).is_ok());
    }

    #[test]
    fn excerpt_is_short_and_flat() {
        let long = "a\n".repeat(400);
        let e = excerpt(long.as_bytes());
        assert!(e.chars().count() <= 301);
        assert!(!e.contains('\n'));
    }

    #[test]
    fn address_policy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let p = Destinations::Private;
        for ok in ["93.184.216.34", "10.1.2.3", "172.16.0.1", "192.168.1.10", "100.64.0.1", "fd00::1", "2001:db8::1"] {
            assert!(p.allows(ip(ok)), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!p.allows(ip(bad)), "{bad}");
        }
        assert!(!Destinations::Public.allows(ip("10.0.0.1")));
        assert!(Destinations::Public.allows(ip("93.184.216.34")));
        assert!(Destinations::Any.allows(ip("127.0.0.1")));
        let s = Settings { proxy: Some("http://127.0.0.1:3128".into()), ..Settings::default() };
        assert!(matches!(validate(&s), Err(OutboundError::Config(_))));
    }

    #[test]
    fn transient_classification() {
        let s = |status| OutboundError::Status { url: String::new(), status, body: String::new() };
        assert!(s(503).is_transient());
        assert!(!s(403).is_transient());
        assert!(OutboundError::Timeout { url: String::new(), secs: 1 }.is_transient());
    }
}
