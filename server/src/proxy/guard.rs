//! Cross-site refusal for forward mode, checked before anything is read or forwarded.
//!
//! A page on another site can make the browser send a `multipart/form-data` POST without a
//! CORS preflight (a "simple" request, e.g. `fetch(url, {mode: 'no-cors', body: formData})`),
//! so CORS alone never stops it: the request arrives and, answered or not, costs money. The
//! server therefore refuses, with 403 in OpenAI's envelope:
//! 1. on a loopback listener, a `Host` that is not a loopback name or an `--allow-origin`
//!    host (DNS rebinding: `evil.example` resolving to 127.0.0.1 makes the attacker's page
//!    same-origin with the server in the browser's eyes);
//! 2. an `Origin` that is neither this server's own (same host and port as `Host`) nor an
//!    `--allow-origin` value (`null` included);
//! 3. `Sec-Fetch-Site: cross-site` or `same-site` unless the `Origin` is an `--allow-origin`;
//! 4. a request without `X-Continuity-Client: 1`: a custom header cannot be sent without a
//!    preflight, and the preflight (OPTIONS) is refused for foreign origins by rules 1–3.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;

/// The header the app sends on every image request.
pub const CLIENT_HEADER: &str = "x-continuity-client";
/// Its only accepted value.
pub const CLIENT_HEADER_VALUE: &str = "1";

/// Request headers allowed in a preflight from an allowed origin.
const ALLOW_HEADERS: &str = "authorization, content-type, x-continuity-client, x-continuity-job";
/// Response headers an allowed cross-origin page may read.
const EXPOSE_HEADERS: &str = "x-request-id, retry-after, retry-after-ms, x-should-retry, \
    x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, \
    openai-processing-ms, x-continuity-job-status";

/// An origin as `scheme://host[:port]`, lowercase, without the scheme's default port.
fn normalize_origin(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}

/// `host[:port]` of a normalized origin.
fn authority(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, rest)| rest)
}

/// The host part of a `Host` header (`[::1]:8080` → `[::1]`, `a.b:80` → `a.b`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        host.split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1])
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    }
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The cross-site rules of one forward-mode server.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Normalized `--allow-origin` values.
    allowed: Vec<String>,
    /// Whether rule 1 (loopback `Host` only) applies.
    loopback_hosts_only: bool,
}

/// What the guard concluded about an accepted request.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    /// The `Origin` to echo in `Access-Control-Allow-Origin` (an `--allow-origin` value).
    allow_origin: Option<HeaderValue>,
}

impl Guard {
    /// `allow_origins` are `--allow-origin` values; `listen_loopback` is whether the server
    /// listens on a loopback address.
    pub fn new(allow_origins: &[String], listen_loopback: bool) -> Result<Self, String> {
        let allowed = allow_origins
            .iter()
            .map(|o| {
                normalize_origin(o).ok_or_else(|| {
                    format!("--allow-origin {o:?} is not an origin like https://app.example.com")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            allowed,
            loopback_hosts_only: listen_loopback,
        })
    }

    fn refuse(code: &str, message: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            Some(code),
            None,
            message,
        )
    }

    /// Rules 1–3, shared by POST and the preflight.
    fn check_site(&self, headers: &HeaderMap) -> Result<Cors, ApiError> {
        let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let host = text(header::HOST).unwrap_or("").to_ascii_lowercase();
        if self.loopback_hosts_only {
            let name = host_name(&host);
            let allowed_host = self.allowed.iter().any(|o| host_name(authority(o)) == name);
            if !is_loopback_name(name) && !allowed_host {
                return Err(Self::refuse(
                    "host_not_allowed",
                    "This server listens on a loopback address and answers image requests only \
                     when addressed as localhost, 127.0.0.1 or [::1], or by the host of an \
                     --allow-origin.",
                ));
            }
        }
        let mut cors = Cors::default();
        let mut explicitly_allowed = false;
        if let Some(raw) = headers.get(header::ORIGIN) {
            let origin = raw.to_str().ok().and_then(normalize_origin);
            let same = origin.as_deref().is_some_and(|o| {
                let scheme_default = if o.starts_with("https:") {
                    ":443"
                } else {
                    ":80"
                };
                authority(o) == host.strip_suffix(scheme_default).unwrap_or(&host)
            });
            explicitly_allowed = origin.as_ref().is_some_and(|o| self.allowed.contains(o));
            if !same && !explicitly_allowed {
                return Err(Self::refuse(
                    "cross_origin_refused",
                    "Cross-origin request refused: this server spends its OpenAI key only for \
                     pages served from its own origin or an --allow-origin.",
                ));
            }
            if explicitly_allowed {
                cors.allow_origin = Some(raw.clone());
            }
        }
        let site = text(HeaderName::from_static("sec-fetch-site"));
        if matches!(site, Some("cross-site" | "same-site")) && !explicitly_allowed {
            return Err(Self::refuse(
                "cross_site_refused",
                "Cross-site request refused: this server spends its OpenAI key only for pages \
                 served from its own origin or an --allow-origin.",
            ));
        }
        Ok(cors)
    }

    /// Rules 1–3 alone (no client header), for routes that only read: the fake's journal.
    pub fn check_page(&self, headers: &HeaderMap) -> Result<Cors, ApiError> {
        self.check_site(headers)
    }

    /// Checks an image request (POST). On success, returns the CORS decision for the response.
    pub fn check(&self, headers: &HeaderMap) -> Result<Cors, ApiError> {
        let cors = self.check_site(headers)?;
        if headers.get(CLIENT_HEADER).and_then(|v| v.to_str().ok()) != Some(CLIENT_HEADER_VALUE) {
            return Err(Self::refuse(
                "client_header_missing",
                "Image requests to this server must carry the header 'X-Continuity-Client: 1' \
                 (the Continuity app sends it; scripts must add it).",
            ));
        }
        Ok(cors)
    }

    /// Answers `OPTIONS`: 403 for a foreign origin, CORS grants for an `--allow-origin`, and
    /// a plain 204 otherwise (same-origin pages never preflight).
    pub fn preflight(&self, headers: &HeaderMap) -> Result<Response, ApiError> {
        let cors = self.check_site(headers)?;
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        h.insert(
            header::ALLOW,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        if let Some(origin) = cors.allow_origin {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(header::VARY, HeaderValue::from_static("origin"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        Ok(response)
    }
}

impl Cors {
    /// The `Access-Control-Allow-Origin` value for an allowed cross-origin page, if any.
    pub fn allowed_origin(&self) -> Option<HeaderValue> {
        self.allow_origin.clone()
    }

    /// Adds the CORS grant for an `--allow-origin` page to a response (errors included, so
    /// that page can read a 401 or 429).
    pub fn apply(&self, response: &mut Response) {
        if let Some(origin) = &self.allow_origin {
            let h = response.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            h.insert(header::VARY, HeaderValue::from_static("origin"));
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("value"));
        }
        h
    }

    fn code(result: Result<Cors, ApiError>) -> String {
        match result {
            Ok(_) => "ok".into(),
            Err(e) => e.parts().code.clone().unwrap_or_default(),
        }
    }

    #[test]
    fn loopback_rules() {
        let g = Guard::new(&[], true).expect("guard");
        let ok = [("host", "127.0.0.1:8080"), ("x-continuity-client", "1")];
        assert_eq!(code(g.check(&headers(&ok))), "ok");
        let same = [
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
            ("sec-fetch-site", "same-origin"),
            ("x-continuity-client", "1"),
        ];
        assert_eq!(code(g.check(&headers(&same))), "ok");
        let cases: &[(&[(&'static str, &str)], &str)] = &[
            (&[("host", "127.0.0.1:8080")], "client_header_missing"),
            (
                &[("host", "127.0.0.1:8080"), ("x-continuity-client", "yes")],
                "client_header_missing",
            ),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "http://127.0.0.1:9090"),
                    ("x-continuity-client", "1"),
                ],
                "cross_origin_refused",
            ),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "null"),
                    ("x-continuity-client", "1"),
                ],
                "cross_origin_refused",
            ),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("sec-fetch-site", "cross-site"),
                    ("x-continuity-client", "1"),
                ],
                "cross_site_refused",
            ),
            (
                &[
                    ("host", "evil.example:8080"),
                    ("origin", "http://evil.example:8080"),
                    ("x-continuity-client", "1"),
                ],
                "host_not_allowed",
            ),
            (
                &[
                    ("host", "127.0.0.1.evil.example"),
                    ("x-continuity-client", "1"),
                ],
                "host_not_allowed",
            ),
        ];
        for (h, want) in cases {
            assert_eq!(code(g.check(&headers(h))), *want, "{h:?}");
        }
    }

    #[test]
    fn allowed_origins_and_public_hosts() {
        let g = Guard::new(&["https://App.Example.com/".into()], false).expect("guard");
        let from_app = [
            ("host", "api.example.com"),
            ("origin", "https://app.example.com"),
            ("sec-fetch-site", "same-site"),
            ("x-continuity-client", "1"),
        ];
        let cors = g.check(&headers(&from_app)).expect("allowed");
        assert!(cors.allow_origin.is_some());
        // Same origin behind a TLS terminator: Origin https://host, Host host(:443).
        for host in ["images.example.com", "images.example.com:443"] {
            let h = [
                ("host", host),
                ("origin", "https://images.example.com"),
                ("x-continuity-client", "1"),
            ];
            assert_eq!(code(g.check(&headers(&h))), "ok", "{host}");
        }
        let other = [
            ("host", "api.example.com"),
            ("origin", "https://app.example.com.evil.io"),
            ("x-continuity-client", "1"),
        ];
        assert_eq!(code(g.check(&headers(&other))), "cross_origin_refused");
        assert!(Guard::new(&["not an origin".into()], false).is_err());
        assert!(Guard::new(&["https://x.com/path".into()], false).is_err());
    }

    #[test]
    fn preflight_grants_only_allowed_origins() {
        let g = Guard::new(&["http://localhost:5173".into()], true).expect("guard");
        let allowed = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://localhost:5173"),
        ];
        let r = g.preflight(&headers(&allowed)).expect("granted");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "http://localhost:5173"
        );
        assert!(r.headers()["access-control-allow-headers"]
            .to_str()
            .is_ok_and(|v| v.contains("x-continuity-client")));
        let foreign = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://localhost:6666"),
        ];
        assert!(g.preflight(&headers(&foreign)).is_err());
    }
}
