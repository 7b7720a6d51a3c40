//! Forward mode: the two image routes go to the fixed upstream with the server's key, for
//! pages of this server's own origin (or an `--allow-origin`), with an access token where
//! required, within the token's limits.
//!
//! Order of checks, cheapest first and all before anything is forwarded:
//! 1. route: only `POST /v1/images/generations` and `POST /v1/images/edits` (else 404);
//! 2. cross-site guard ([`guard`]): 403;
//! 3. access token (`Authorization: Bearer ct_…`): 401 if missing where required, unknown or
//!    revoked;
//! 4. for a token with a budget, the body is read (up to `--max-body-mb`) and priced with the
//!    app's cost rules ([`pricing`]);
//! 5. the token's limits ([`crate::limits`]), all in one atomic step: budget (429
//!    `budget_exceeded` if the estimate does not fit into what is left today), rate and
//!    concurrency (429 with `retry-after`). The estimate is charged, then replaced by the
//!    actual cost from the response's `usage` once the response has streamed through
//!    ([`usage`]).
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
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::clock;
use crate::config::ForwardConfig;
use crate::errors::ApiError;
use crate::limits::{Admit, Ask, BudgetAsk, Ticket};
use crate::log::Note;
use crate::tokens::spec::usd_to_micros;
use crate::tokens::{Lookup, TokenInfo};
use guard::Guard;
use meter::Endpoint;
use pricing::Pricer;
use usage::UsageScanner;

/// Longest time a budgeted request's body may take to arrive (it is read whole to price it);
/// a slow sender cannot hold a concurrency unit and memory for longer.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(300);

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
        // The scheme is case-insensitive (RFC 9110 §11.1).
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map_or("", |(_, token)| token.trim()),
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
    if let Some(t) = &token {
        note.token(&t.name);
    }
    let limit = state.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(api_error(ApiError::too_large(limit)));
    }

    // A budgeted token's request is read whole and priced; any other streams through.
    let over_limit = Arc::new(AtomicBool::new(false));
    let budget = token.as_ref().and_then(|t| t.limits.budget);
    let (outgoing, priced) = match budget {
        None => (counted_body(body, limit, Arc::clone(&over_limit)), None),
        Some(budget) => {
            let bytes = read_body(body, limit).await?;
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
            let ask = BudgetAsk {
                day: clock::utc_day(clock::unix_seconds()),
                limit_micros: budget.micros_per_day,
                estimate_micros: usd_to_micros(estimate),
            };
            (reqwest::Body::from(bytes), Some((ask, summary.model)))
        }
    };

    let ticket = match &token {
        None => None,
        Some(t) => {
            let ask = Ask {
                token_id: &t.id,
                rate: t.limits.rate,
                concurrency: t.limits.concurrency,
                budget: priced.as_ref().map(|(ask, _)| ask.clone()),
            };
            match state.config.access.counters.admit(&ask).await {
                Ok(Admit::Admitted(ticket)) => Some(ticket),
                Ok(Admit::RateLimited { retry_after_ms }) => {
                    return Err(mark(
                        refuse::rate_limited(&t.name, t.limits.rate, retry_after_ms),
                        "rate_limit_exceeded",
                    ))
                }
                Ok(Admit::Busy { limit }) => {
                    return Err(mark(refuse::busy(&t.name, limit), "concurrency_limit"))
                }
                Ok(Admit::OverBudget { spent_micros }) => {
                    let (ask, _) = priced.as_ref().expect("only a budgeted ask is over budget");
                    let budget = budget.expect("only a budgeted token has a budget ask");
                    return Err(mark(
                        refuse::over_budget(&t.name, budget, spent_micros, ask.estimate_micros),
                        "budget_exceeded",
                    ));
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
            if let Some(ticket) = ticket {
                // Not sent, or refused by the upstream before it did anything: refunded.
                let actual = (!failure.maybe_billed()).then_some(0);
                ticket.finish(actual).await;
            }
            let timeout_s = state.config.timeout.as_secs();
            return Ok(failure.response(limit, timeout_s));
        }
    };

    let status = upstream.status();
    let headers = upstream::response_headers(&upstream);
    let stream = upstream.bytes_stream().boxed();
    let body = match ticket {
        None => Body::from_stream(stream),
        Some(ticket) => metered(Metered {
            inner: stream,
            scanner: UsageScanner::default(),
            ticket: Some(ticket),
            model: priced.map(|(_, model)| model),
            success: status.is_success(),
            state: Arc::clone(state),
        }),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// Reads a budgeted request's body whole (to price it), within the size limit and
/// [`BODY_READ_TIMEOUT`].
async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, Response> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        // Over the limit, or the client went away (then nobody reads this).
        Ok(Err(_)) => Err(api_error(ApiError::too_large(limit))),
        Err(_) => Err(api_error(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request_error",
            Some("request_timeout"),
            None,
            "The request body did not arrive in time.",
        ))),
    }
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

/// A response on its way to the client, holding the token's ticket (concurrency unit and
/// budget charge) until it is complete.
struct Metered {
    inner: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    scanner: UsageScanner,
    ticket: Option<Ticket>,
    /// The model the charge was priced for (budgeted tokens only).
    model: Option<String>,
    success: bool,
    state: Arc<Proxy>,
}

impl Metered {
    /// Settles the charge and frees the concurrency unit. An incomplete response (upstream
    /// cut; if the client goes away this never runs and dropping the ticket does the same)
    /// may have been billed, so it keeps the estimate.
    async fn finish(&mut self, complete: bool) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let found = self.scanner.found();
        let actual = match &self.model {
            None => None,
            Some(_) if !complete => None,
            Some(model) if !found.is_empty() => found
                .iter()
                .map(|u| self.state.pricer.actual_usd(model, u))
                .sum::<Option<f64>>()
                .map(usd_to_micros),
            // An error answer from the upstream: not billed.
            Some(_) if !self.success => Some(0),
            Some(_) => None,
        };
        ticket.finish(actual).await;
    }
}

/// Streams the response through, scanning for `usage` when a charge is held, and settles
/// before the last byte reaches the client (so the next request sees the settled budget).
fn metered(meter: Metered) -> Body {
    let stream = futures_util::stream::unfold(Some(meter), |meter| async move {
        let mut meter = meter?;
        match meter.inner.next().await {
            Some(Ok(chunk)) => {
                if meter.model.is_some() {
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
