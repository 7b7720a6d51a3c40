//! The fake OpenAI Images API: strict validation, deterministic real images, SSE streaming,
//! fault injection and a request journal; the model list with shutdown dates
//! ([`lifecycle`]); Files and Batches ([`files`], [`batches`]); text calls with Structured
//! Outputs on `/v1/responses` ([`responses`]). See `--help` for the fault
//! grammar.

pub mod batches;
pub mod canvas;
pub mod fault_responses;
pub mod faults;
pub mod fields;
pub mod files;
pub mod font;
pub mod handler;
pub mod inputs;
pub mod job;
pub mod journal;
pub mod lifecycle;
pub mod models;
pub mod params;
pub mod render;
pub mod responses;
pub mod stream;
pub mod tokens;
pub mod validate;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::config::{Config, FakeConfig};
use crate::jobs::{self, capture::Capture, Owners};
use crate::proxy::guard::Guard;

/// Shared state of the fake.
#[derive(Debug)]
pub struct FakeState {
    /// Time from request received to response.
    pub latency: Duration,
    /// Largest accepted body on the image routes.
    pub max_body_bytes: usize,
    /// Longest time a request body may take to arrive.
    pub body_timeout: Duration,
    /// MiB of request bodies held in memory at once: four of the largest allowed.
    body_mib: Arc<tokio::sync::Semaphore>,
    /// Image requests received.
    pub journal: journal::Journal,
    /// Attempts per request, for `<fault>:<times>`.
    pub attempts: faults::AttemptCounter,
    /// Requests in flight per `concurrency_limit` spec.
    pub in_flight: faults::InFlight,
    /// The prompt of every image returned, by hash, for `/v1/responses` checks.
    pub rendered: responses::rendered::RenderedPrompts,
}

impl FakeState {
    /// New empty state.
    pub fn new(config: &FakeConfig, max_body_bytes: usize, body_timeout: Duration) -> Self {
        Self {
            latency: config.latency,
            max_body_bytes,
            body_timeout,
            body_mib: Arc::new(tokio::sync::Semaphore::new(4 * mib(max_body_bytes))),
            journal: journal::Journal::default(),
            attempts: faults::AttemptCounter::default(),
            in_flight: faults::InFlight::default(),
            rendered: responses::rendered::RenderedPrompts::default(),
        }
    }
}

/// Whole MiB needed for `bytes` (at least one).
fn mib(bytes: usize) -> usize {
    bytes.div_ceil(1024 * 1024).max(1)
}

impl FakeState {
    /// Takes memory for a body of up to `bytes`, waiting up to the body timeout for bodies in
    /// progress to finish (then 503 `server_busy`).
    pub async fn body_memory(
        &self,
        bytes: usize,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, crate::errors::ApiError> {
        let want = mib(bytes) as u32;
        let acquire = Arc::clone(&self.body_mib).acquire_many_owned(want);
        match tokio::time::timeout(self.body_timeout, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(crate::errors::ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("server_busy"),
                None,
                "The fake is busy with other large requests; please try again shortly.",
            )),
        }
    }
}

/// When the request arrived (set by [`api_headers`]); the latency is measured from it.
#[derive(Debug, Clone, Copy)]
pub struct RequestStart(pub Instant);

/// The `x-request-id` given to the request (set by [`api_headers`]).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The fake's routes: the two image endpoints (recoverable with a job id), the job route,
/// the model list, Files and Batches, and the journal.
pub fn routes(state: Arc<FakeState>, config: &Config) -> Router {
    let capture = Arc::new(Capture {
        jobs: Arc::clone(&config.jobs),
        owners: Owners::Credential,
    });
    let images = Router::new()
        .route(
            "/v1/images/generations",
            post(handler::generations).fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/images/edits",
            post(handler::edits).fallback(crate::app::api_not_found),
        )
        .route_layer(middleware::from_fn_with_state(
            capture,
            jobs::capture::capture,
        ))
        .with_state(Arc::clone(&state));
    let text = Router::new()
        .route(
            "/v1/responses",
            post(responses::responses).fallback(crate::app::api_not_found),
        )
        .with_state(Arc::clone(&state));
    let job_route = Router::new()
        .route(
            "/v1/continuity/jobs/{id}",
            get(jobs::route::read_fake).fallback(crate::app::api_not_found),
        )
        .with_state(Arc::new(jobs::route::FakeJobRoute {
            jobs: Arc::clone(&config.jobs),
        }));
    let models = Router::new()
        .route(
            "/v1/models",
            get(lifecycle::list).fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/models/{id}",
            get(lifecycle::one).fallback(crate::app::api_not_found),
        );
    let journal = Router::new()
        .route(
            "/_fake/requests",
            get(list_requests)
                .delete(clear_requests)
                .fallback(crate::app::api_not_found),
        )
        .with_state(Arc::clone(&state));
    images
        .merge(text)
        .merge(job_route)
        .merge(models)
        .merge(batches::routes(&state, config))
        .merge(journal)
}

/// `GET /_fake/requests`: the journal, oldest first.
async fn list_requests(State(state): State<Arc<FakeState>>) -> Response {
    let mut response = Json(state.journal.entries()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `DELETE /_fake/requests`: clears the journal and the fault attempt counters.
async fn clear_requests(State(state): State<Arc<FakeState>>) -> StatusCode {
    state.journal.clear();
    state.attempts.clear();
    StatusCode::NO_CONTENT
}

/// Request headers a browser may send (preflight `Access-Control-Allow-Headers`). The app
/// sends `x-continuity-client` on every image request (forward mode requires it), so the fake
/// must let it through a cross-origin preflight too.
pub const ALLOW_HEADERS: &str = "authorization, content-type, x-continuity-client, \
    x-continuity-job, x-fake-fault, x-fake-sse-done, x-fake-sse-crlf";
/// Response headers scripts may read.
pub const EXPOSE_HEADERS: &str = "x-request-id, retry-after, retry-after-ms, \
    x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, \
    openai-processing-ms, x-continuity-job-status";

/// Who may read the journal (`/_fake/*`): every prompt typed into the app is in it, so only
/// the server's own pages, plus `--journal-allow-origin`.
#[derive(Debug)]
pub struct JournalAccess {
    /// The cross-site rules (own origin, allowed origins, loopback `Host`); `None`: any page.
    guard: Option<Guard>,
}

impl JournalAccess {
    /// The rules of `config`.
    pub fn new(config: &FakeConfig) -> Self {
        let any = config.journal_origins.iter().any(|o| o == "*");
        let guard = (!any).then(|| {
            Guard::new(&config.journal_origins, config.listen_loopback)
                .unwrap_or_else(|_| Guard::new(&[], config.listen_loopback).expect("no origins"))
        });
        Self { guard }
    }

    /// The `Access-Control-Allow-Origin` to send, or the 403.
    fn check(&self, headers: &HeaderMap) -> Result<Option<HeaderValue>, crate::errors::ApiError> {
        match &self.guard {
            None => Ok(Some(HeaderValue::from_static("*"))),
            Some(guard) => guard.check_page(headers).map(|cors| cors.allowed_origin()),
        }
    }
}

/// Middleware for `/v1/*` and `/_fake/*` in fake mode: answers CORS preflights, adds CORS
/// headers like the real API (`*`) on `/v1/*`, keeps the journal to the pages allowed to read
/// it, and on `/v1/*` gives every response an `x-request-id` and `openai-processing-ms`.
pub async fn api_headers(
    State(journal): State<Arc<JournalAccess>>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let v1 = path.starts_with("/v1/");
    if !v1 && !path.starts_with("/_fake/") {
        return next.run(req).await;
    }
    let allow_origin = if v1 {
        Some(HeaderValue::from_static("*"))
    } else {
        match journal.check(req.headers()) {
            Ok(allowed) => allowed,
            Err(refused) => return refused.into_response(),
        }
    };
    let start = Instant::now();
    let id = v1.then(new_request_id);
    let mut response = if req.method() == Method::OPTIONS {
        preflight(if v1 {
            "GET, POST, OPTIONS"
        } else {
            "GET, DELETE, OPTIONS"
        })
    } else {
        req.extensions_mut().insert(RequestStart(start));
        if let Some(id) = &id {
            req.extensions_mut().insert(RequestId(id.clone()));
        }
        next.run(req).await
    };
    let headers = response.headers_mut();
    if let Some(origin) = allow_origin {
        if origin != "*" {
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
        }
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    if let Some(id) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        headers.insert(HeaderName::from_static("x-request-id"), id);
        let ms = start.elapsed().as_millis().to_string();
        if let Ok(ms) = HeaderValue::from_str(&ms) {
            headers.insert(HeaderName::from_static("openai-processing-ms"), ms);
        }
    }
    response
}

fn preflight(methods: &'static str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// `req_` followed by 32 hex digits, unique per process.
pub fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = Sha256::new();
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.update(nanos.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    format!("req_{}", journal::hex(&hasher.finalize()[..16]))
}
