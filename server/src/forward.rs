//! Forward mode: the two image routes go to the fixed upstream with the server's key.
//!
//! Rules (security-reliability §2.2): the client cannot choose the upstream or the path
//! (fixed table); request headers start empty and only `content-type` and `accept` are
//! copied, so the client's `Authorization`, cookies, OpenAI-Organization/Project and
//! X-Forwarded-* never leave; bodies stream through in both directions (SSE event by event);
//! redirects are not followed (a 3xx becomes 502); response headers come from an allow-list;
//! `set-cookie` is dropped and `cache-control: no-store` added.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::StreamExt;

use crate::config::ForwardConfig;
use crate::errors::ApiError;

/// The only upstream paths that exist.
const GENERATIONS: &str = "/v1/images/generations";
const EDITS: &str = "/v1/images/edits";

/// Request headers copied from the client.
const REQUEST_ALLOW: &[HeaderName] = &[header::CONTENT_TYPE, header::ACCEPT];

/// Response headers copied from the upstream (plus every `x-ratelimit-*`).
const RESPONSE_ALLOW: &[&str] = &[
    "content-type",
    "x-request-id",
    "retry-after",
    "retry-after-ms",
    "openai-processing-ms",
];

/// Shared state of forward mode.
#[derive(Debug)]
struct Forwarder {
    config: ForwardConfig,
    max_body_bytes: usize,
}

/// The forwarded routes. `OPTIONS` answers 204 without CORS headers: the app is served from
/// this same origin, and other sites must not be able to spend the server's key.
pub fn routes(config: &ForwardConfig, max_body_bytes: usize) -> Router {
    let state = Arc::new(Forwarder {
        config: config.clone(),
        max_body_bytes,
    });
    Router::new()
        .route(
            GENERATIONS,
            post(generations)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .route(
            EDITS,
            post(edits)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .with_state(state)
}

async fn options() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
    response
}

async fn generations(State(state): State<Arc<Forwarder>>, req: Request) -> Response {
    forward(&state, GENERATIONS, req).await
}

async fn edits(State(state): State<Arc<Forwarder>>, req: Request) -> Response {
    forward(&state, EDITS, req).await
}

fn upstream_error(status: StatusCode, code: &str, message: &str) -> Response {
    ApiError::new(status, "server_error", Some(code), None, message).into_response()
}

async fn forward(state: &Forwarder, path: &'static str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let limit = state.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return ApiError::too_large(limit).into_response();
    }

    let mut headers = HeaderMap::new();
    for name in REQUEST_ALLOW {
        if let Some(value) = parts.headers.get(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let Ok(mut auth) = HeaderValue::from_str(&format!("Bearer {}", state.config.api_key.expose()))
    else {
        return upstream_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "invalid_server_key",
            "The server's API key cannot be sent in a header.",
        );
    };
    auth.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, auth);

    // Stream the body through, counting bytes; past the limit the upload is aborted.
    let over_limit = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&over_limit);
    let mut seen = 0usize;
    let counted = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len();
        if seen > limit {
            flag.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other("request body over the limit"));
        }
        Ok(chunk)
    });

    let url = format!("{}{}", state.config.upstream, path);
    let result = state
        .config
        .client
        .post(url)
        .headers(headers)
        .body(reqwest::Body::wrap_stream(counted))
        .send()
        .await;
    let upstream = match result {
        Ok(response) => response,
        Err(_) if over_limit.load(Ordering::Relaxed) => {
            return ApiError::too_large(limit).into_response()
        }
        Err(e) if e.is_timeout() => {
            return upstream_error(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                "The upstream API did not answer in time.",
            )
        }
        // The error text may name internal details; the client gets a generic message.
        Err(_) => {
            return upstream_error(
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                "The server could not reach the upstream image API.",
            )
        }
    };
    if upstream.status().is_redirection() {
        return upstream_error(
            StatusCode::BAD_GATEWAY,
            "upstream_redirect",
            "The upstream API answered with a redirect, which this server does not follow.",
        );
    }

    let mut response_headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        let n = name.as_str();
        if RESPONSE_ALLOW.contains(&n) || n.starts_with("x-ratelimit-") {
            response_headers.append(name.clone(), value.clone());
        }
    }
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let status = upstream.status();
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}
