//! The request to the fixed upstream and the filtering of its answer.
//!
//! Request headers start empty: only `content-type` and `accept` are copied, then the
//! server's key is set, so the client's `Authorization` (its access token), cookies,
//! OpenAI-Organization/Project and X-Forwarded-* never leave. Redirects are not followed (a 3xx
//! becomes 502). Response headers come from an allow-list; `set-cookie` is dropped and
//! `cache-control: no-store` added.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::meter::Endpoint;
use crate::config::ForwardConfig;
use crate::errors::ApiError;

/// Request headers copied from the client.
const REQUEST_ALLOW: &[HeaderName] = &[header::CONTENT_TYPE, header::ACCEPT];

/// Response headers copied from the upstream (plus every `x-ratelimit-*`).
const RESPONSE_ALLOW: &[&str] = &[
    "content-type",
    "x-request-id",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "openai-processing-ms",
];

/// Why nothing usable came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the upstream timeout: the request may have been processed.
    Timeout,
    /// Connection failed: the request was not processed.
    Unreachable,
    /// The upstream answered with a redirect, which is not followed.
    Redirect,
    /// The server's key cannot be put in a header.
    BadKey,
}

impl Failure {
    /// Whether the upstream may have processed (and billed) the request.
    pub fn maybe_billed(self) -> bool {
        self == Failure::Timeout
    }

    /// The answer to the client.
    pub fn response(self, _max_body_bytes: usize, timeout_s: u64) -> Response {
        let error = |status, code, message: String| {
            ApiError::new(status, "server_error", Some(code), None, message).into_response()
        };
        match self {
            Failure::Timeout => error(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                format!(
                    "The upstream image API did not answer within {timeout_s} s. The request \
                     may still have been processed (and billed)."
                ),
            ),
            // The error text may name internal details; the client gets a generic message.
            Failure::Unreachable => error(
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                "The server could not reach the upstream image API.".into(),
            ),
            Failure::Redirect => error(
                StatusCode::BAD_GATEWAY,
                "upstream_redirect",
                "The upstream API answered with a redirect, which this server does not follow."
                    .into(),
            ),
            Failure::BadKey => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "invalid_server_key",
                "The server's API key cannot be sent in a header.".into(),
            ),
        }
    }
}

/// Sends the request with its body (`len` bytes, read in full beforehand, so the upstream
/// gets a `content-length`).
pub async fn send(
    config: &ForwardConfig,
    endpoint: Endpoint,
    client_headers: &HeaderMap,
    body: reqwest::Body,
    len: u64,
) -> Result<reqwest::Response, Failure> {
    send_to(
        config,
        Method::POST,
        endpoint.path(),
        client_headers,
        Some((body, len)),
    )
    .await
}

/// Sends `method path` (a fixed path this server built, never one taken from the client)
/// with an optional body of known length.
pub async fn send_to(
    config: &ForwardConfig,
    method: Method,
    path: &str,
    client_headers: &HeaderMap,
    body: Option<(reqwest::Body, u64)>,
) -> Result<reqwest::Response, Failure> {
    let mut headers = HeaderMap::new();
    for name in REQUEST_ALLOW {
        if let Some(value) = client_headers.get(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose()))
        .map_err(|_| Failure::BadKey)?;
    auth.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, auth);
    let url = format!("{}{path}", config.upstream);
    let mut request = config.client.request(method, url);
    match body {
        Some((body, len)) => {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            request = request.body(body);
        }
        None => headers.remove(header::CONTENT_TYPE).map_or((), |_| ()),
    }
    let response = match request.headers(headers).send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return Err(Failure::Timeout),
        Err(_) => return Err(Failure::Unreachable),
    };
    if response.status().is_redirection() {
        return Err(Failure::Redirect);
    }
    Ok(response)
}

/// The response headers passed on to the client.
pub fn response_headers(upstream: &reqwest::Response) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        let n = name.as_str();
        if RESPONSE_ALLOW.contains(&n) || n.starts_with("x-ratelimit-") {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
}
