//! Forward mode: the two image routes go to the fixed upstream with the server's key, for
//! pages of this server's own origin (or an `--allow-origin`), with an access token where
//! required, within the token's limits.
//!
//! Order of checks, cheapest first and all before anything is forwarded:
//! 1. route: only `POST /v1/images/generations` and `POST /v1/images/edits` (else 404);
//! 2. cross-site guard ([`guard`]): 403;
//! 3. access token (`Authorization: Bearer ct_…`): 401 if missing where required, unknown or
//!    revoked;
//! 4. rate and concurrency of the token ([`crate::limits`]): 429 with `retry-after`;
//! 5. budget: the body is read (up to `--max-body-mb`), priced with the app's cost rules
//!    ([`pricing`]), and refused with 429 `budget_exceeded` if the estimate does not fit into
//!    what is left today; otherwise the estimate is charged, and replaced by the actual cost
//!    from the response's `usage` once the response has streamed through ([`usage`]).
//!
//! Requests without a budget stream their body to the upstream; responses always stream
//! (SSE event by event).

pub mod guard;
pub mod meter;
pub mod pricing;
pub mod refuse;
pub mod upstream;
pub mod usage;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::clock;
use crate::config::ForwardConfig;
use crate::errors::ApiError;
use crate::limits::{Admit, Charge, Reserve, Slot};
use crate::log::Note;
use crate::tokens::spec::usd_to_micros;
use crate::tokens::{Lookup, TokenInfo};
use guard::Guard;
use meter::Endpoint;
use pricing::Pricer;
use usage::UsageScanner;

/// Shared state of forward mode.
#[derive(Debug)]
pub struct Proxy {
    config: ForwardConfig,
    max_body_bytes: usize,
    guard: Guard,
    pricer: Pricer,
}

/// The forwarded routes. The command line has checked `--allow-origin` ([`Guard::new`]); an
/// invalid value here is dropped, which only makes the guard stricter.
pub fn routes(config: &ForwardConfig, max_body_bytes: usize) -> Router {
    let access = &config.access;
    let guard = Guard::new(&access.allowed_origins, access.listen_loopback).unwrap_or_else(|e| {
        eprintln!("error: {e}; no --allow-origin is in force");
        Guard::new(&[], access.listen_loopback).expect("no origins to parse")
    });
    access.tokens.spawn_watcher();
    let state = Arc::new(Proxy {
        guard,
        config: config.clone(),
        max_body_bytes,
        pricer: Pricer::builtin(),
    });
    Router::new()
        .route(
            Endpoint::Generations.path(),
            post(generations)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .route(
            Endpoint::Edits.path(),
            post(edits)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .with_state(state)
}

/// Records a refusal in the log line and answers it.
fn refused(note: &Note, response: Response) -> Response {
    if let Some(code) = error_code(&response) {
        note.refused(&code);
    }
    response
}

/// The `error.code` this server put into a refusal (kept beside the response for the log).
fn error_code(response: &Response) -> Option<String> {
    response
        .extensions()
        .get::<RefusalCode>()
        .map(|c| c.0.clone())
}

/// Marks a response as a refusal by this server, for the log line.
#[derive(Debug, Clone)]
struct RefusalCode(String);

fn mark(mut response: Response, code: &str) -> Response {
    response
        .extensions_mut()
        .insert(RefusalCode(code.to_string()));
    response
}

fn api_error(error: ApiError) -> Response {
    let code = error.parts().code.clone().unwrap_or_default();
    mark(error.into_response(), &code)
}

async fn options(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    let note = req.extensions().get::<Note>().cloned().unwrap_or_default();
    match state.guard.preflight(req.headers()) {
        Ok(response) => response,
        Err(error) => refused(&note, api_error(error)),
    }
}

async fn generations(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    handle(&state, Endpoint::Generations, req).await
}

async fn edits(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    handle(&state, Endpoint::Edits, req).await
}

async fn handle(state: &Arc<Proxy>, endpoint: Endpoint, req: Request) -> Response {
    let note = req.extensions().get::<Note>().cloned().unwrap_or_default();
    let cors = match state.guard.check(req.headers()) {
        Ok(cors) => cors,
        Err(error) => return refused(&note, api_error(error)),
    };
    let (parts, body) = req.into_parts();
    let mut response = match admitted(state, endpoint, parts, body, &note).await {
        Ok(response) | Err(response) => response,
    };
    if let Some(code) = error_code(&response) {
        note.refused(&code);
    }
    cors.apply(&mut response);
    response
}

/// The token of the request: `Ok(None)` for an anonymous request where that is allowed;
/// `Err` holds the refusal (boxed: a response is large and this path is rare).
fn authenticate(
    state: &Proxy,
    headers: &HeaderMap,
) -> Result<Option<Arc<TokenInfo>>, Box<Response>> {
    let presented = match headers.get(header::AUTHORIZATION) {
        None if state.config.access.require_token => {
            return Err(Box::new(mark(refuse::missing_token(), "missing_token")))
        }
        None => return Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or(""),
    };
    match state.config.access.tokens.current().lookup(presented) {
        Lookup::Valid(info) => Ok(Some(info)),
        Lookup::Revoked(info) => Err(Box::new(mark(
            refuse::token_revoked(&info.name),
            "token_revoked",
        ))),
        Lookup::Unknown => Err(Box::new(mark(refuse::invalid_token(), "invalid_token"))),
    }
}

/// Steps 3–5 and the forwarding; `Err` carries a refusal.
async fn admitted(
    state: &Arc<Proxy>,
    endpoint: Endpoint,
    parts: Parts,
    body: Body,
    note: &Note,
) -> Result<Response, Response> {
    let token = authenticate(state, &parts.headers).map_err(|refusal| *refusal)?;
    let counters = &state.config.access.counters;
    let slot = match &token {
        None => None,
        Some(t) => {
            note.token(&t.name);
            let limits = &t.limits;
            match counters.admit(&t.id, limits.rate, limits.concurrency).await {
                Ok(Admit::Admitted(slot)) => Some(slot),
                Ok(Admit::RateLimited { retry_after_ms }) => {
                    return Err(mark(
                        refuse::rate_limited(&t.name, limits.rate, retry_after_ms),
                        "rate_limit_exceeded",
                    ))
                }
                Ok(Admit::Busy { limit }) => {
                    return Err(mark(refuse::busy(&t.name, limit), "concurrency_limit"))
                }
                Err(e) => return Err(unavailable(&e.0)),
            }
        }
    };

    let limit = state.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(api_error(ApiError::too_large(limit)));
    }

    let budget = token.as_ref().and_then(|t| t.limits.budget.map(|b| (t, b)));
    let over_limit = Arc::new(AtomicBool::new(false));
    let (outgoing, charge) = match budget {
        None => (counted_body(body, limit, Arc::clone(&over_limit)), None),
        Some((t, budget)) => {
            let bytes = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| api_error(ApiError::too_large(limit)))?;
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let summary = meter::summarize(endpoint, content_type, bytes.clone())
                .await
                .map_err(api_error)?;
            let Some(estimate) = state.pricer.estimate_usd(&summary) else {
                return Err(mark(
                    refuse::unpriceable(&summary.model),
                    "model_not_priced",
                ));
            };
            let estimate = usd_to_micros(estimate);
            let day = clock::utc_day(clock::unix_seconds());
            match counters
                .reserve(&t.id, &day, budget.micros_per_day, estimate)
                .await
            {
                Ok(Reserve::Reserved(charge)) => {
                    (reqwest::Body::from(bytes), Some((charge, summary.model)))
                }
                Ok(Reserve::OverBudget { spent_micros }) => {
                    return Err(mark(
                        refuse::over_budget(&t.name, budget, spent_micros, estimate),
                        "budget_exceeded",
                    ))
                }
                Err(e) => return Err(unavailable(&e.0)),
            }
        }
    };

    let flag = Arc::clone(&over_limit);
    let sent = upstream::send(
        &state.config,
        endpoint,
        &parts.headers,
        outgoing,
        move || flag.load(Ordering::Relaxed),
    )
    .await;
    let upstream = match sent {
        Ok(upstream) => upstream,
        Err(failure) => {
            if let Some((charge, _)) = charge {
                if !failure.maybe_billed() {
                    charge.settle(0).await;
                }
            }
            if let Some(slot) = slot {
                slot.release().await;
            }
            let timeout_s = state.config.timeout.as_secs();
            return Ok(failure.response(limit, timeout_s));
        }
    };

    let status = upstream.status();
    let headers = upstream::response_headers(&upstream);
    let stream = upstream.bytes_stream().boxed();
    let body = if slot.is_none() && charge.is_none() {
        Body::from_stream(stream)
    } else {
        metered(Metered {
            inner: stream,
            scanner: UsageScanner::default(),
            charge,
            slot,
            success: status.is_success(),
            state: Arc::clone(state),
        })
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn unavailable(why: &str) -> Response {
    eprintln!("limits: {why}; refusing the request");
    mark(refuse::limits_unavailable(), "limits_unavailable")
}

/// The request body as a stream to the upstream, aborted past `limit` bytes.
fn counted_body(body: Body, limit: usize, over_limit: Arc<AtomicBool>) -> reqwest::Body {
    let mut seen = 0usize;
    let counted = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len();
        if seen > limit {
            over_limit.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other("request body over the limit"));
        }
        Ok(chunk)
    });
    reqwest::Body::wrap_stream(counted)
}

/// A response on its way to the client, holding the token's concurrency unit and budget
/// charge until it is complete.
struct Metered {
    inner: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    scanner: UsageScanner,
    charge: Option<(Charge, String)>,
    slot: Option<Slot>,
    success: bool,
    state: Arc<Proxy>,
}

impl Metered {
    /// Settles the charge and frees the slot. An incomplete response (upstream cut, or the
    /// client went away: then this never runs and dropping keeps the estimate) may have been
    /// billed, so only a complete one is settled.
    async fn finish(&mut self, complete: bool) {
        if let Some((charge, model)) = self.charge.take() {
            let found = self.scanner.found();
            let actual = if !complete {
                None
            } else if !found.is_empty() {
                found
                    .iter()
                    .map(|u| self.state.pricer.actual_usd(&model, u))
                    .sum::<Option<f64>>()
                    .map(usd_to_micros)
            } else if !self.success {
                // An error answer from the upstream: not billed.
                Some(0)
            } else {
                None
            };
            if let Some(actual) = actual {
                charge.settle(actual).await;
            }
        }
        if let Some(slot) = self.slot.take() {
            slot.release().await;
        }
    }
}

/// Streams the response through, scanning for `usage` when a charge is held, and settles
/// before the last byte reaches the client (so the next request sees the settled budget).
fn metered(meter: Metered) -> Body {
    let stream = futures_util::stream::unfold(Some(meter), |meter| async move {
        let mut meter = meter?;
        match meter.inner.next().await {
            Some(Ok(chunk)) => {
                if meter.charge.is_some() {
                    meter.scanner.feed(&chunk);
                }
                Some((Ok(chunk), Some(meter)))
            }
            Some(Err(e)) => {
                meter.finish(false).await;
                Some((Err(e), None))
            }
            None => {
                meter.finish(true).await;
                None
            }
        }
    });
    Body::from_stream(stream)
}
