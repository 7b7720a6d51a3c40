//! Forward mode: the two image routes go to the fixed upstream with the server's key, for
//! pages of this server's own origin (or an `--allow-origin`), with an access token (unless
//! `--allow-anonymous`), within the token's and the server's limits.
//!
//! Order of checks, cheapest first and all before anything is forwarded:
//! 1. route: only `POST /v1/images/generations` and `POST /v1/images/edits` (else 404);
//! 2. cross-site guard ([`guard`]): 403;
//! 3. admission from the headers ([`admission`]): access token (401), declared size (413),
//!    budgets used up, rate and concurrency (429), all before the body is read;
//! 4. the body, read within `--max-body-mb` and `--body-timeout-s` into a [`spool::Spool`]
//!    (413, 408 naming the slow client);
//! 5. for a budgeted request, its worst case priced with the app's cost rules ([`pricing`])
//!    and reserved (429 `budget_exceeded` if it does not fit), then settled to the actual
//!    cost from the response's `usage` once the response has streamed through ([`usage`]).
//!
//! Responses stream (SSE event by event); upstream error bodies are passed on with fragments
//! of the server's key redacted ([`redact`]). An image request with a job id is kept for its
//! token ([`crate::jobs`]; read back by `GET /v1/continuity/jobs/{id}`). The Files and Batches
//! routes pass the same steps ([`batches`]), and so does `POST /v1/responses`, the text calls
//! of the brief planner, describe and checks, priced at the catalogue's text rates
//! ([`responses`]).

pub mod admission;
pub mod batches;
pub mod guard;
pub mod meter;
pub mod pricing;
pub mod redact;
pub mod refuse;
pub mod responses;
pub mod spool;
pub mod upstream;
pub mod usage;

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::config::{Config, ForwardConfig};
use crate::errors::ApiError;
use crate::jobs::capture::Capture;
use crate::jobs::{Jobs, Owner, Owners};
use crate::limits::Ticket;
use crate::log::Note;
use crate::tokens::spec::{format_micros, usd_to_micros};
use admission::Gate;
use guard::Guard;
use meter::Endpoint;
use pricing::Pricer;
use refuse::{api_error, code_of, mark};
use usage::UsageScanner;

/// Shared state of forward mode.
#[derive(Debug)]
pub struct Proxy {
    config: ForwardConfig,
    max_body_bytes: usize,
    guard: Guard,
    gate: Gate,
    /// The same rules with the upload limit (`--max-file-mb`) for `POST /v1/files`.
    file_gate: Gate,
    pricer: Arc<Pricer>,
    jobs: Arc<Jobs>,
    ids: Arc<batches::ids::Ids>,
}

/// The forwarded routes. The command line has checked `--allow-origin` ([`Guard::new`]); an
/// invalid value here is dropped, which only makes the guard stricter. Bodies are read within
/// the server's `--body-timeout-s` and spooled past 1 MiB.
pub fn routes(config: &ForwardConfig, server: &Config) -> Router {
    let (max_body_bytes, body_timeout) = (server.max_body_bytes, server.body_timeout);
    let spool_dir: PathBuf = server.spool_dir.clone();
    let access = &config.access;
    let guard = Guard::new(&access.allowed_origins, access.listen_loopback).unwrap_or_else(|e| {
        eprintln!("error: {e}; no --allow-origin is in force");
        Guard::new(&[], access.listen_loopback).expect("no origins to parse")
    });
    access.tokens.spawn_watcher();
    if let crate::limits::Counters::Memory(memory) = &access.counters {
        memory.spawn_saver();
    }
    let state = Arc::new(Proxy {
        guard,
        gate: Gate::new(
            access.clone(),
            max_body_bytes,
            body_timeout,
            spool_dir.clone(),
        ),
        file_gate: Gate::new(
            access.clone(),
            server.max_file_bytes,
            body_timeout,
            spool_dir,
        ),
        config: config.clone(),
        max_body_bytes,
        pricer: Arc::new(Pricer::builtin()),
        jobs: Arc::clone(&server.jobs),
        ids: Arc::clone(&config.ids),
    });
    let capture = Arc::new(Capture {
        jobs: Arc::clone(&server.jobs),
        owners: Owners::Tokens {
            tokens: Arc::clone(&access.tokens),
            allow_anonymous: access.allow_anonymous,
        },
    });
    let images = Router::new()
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
        .route_layer(middleware::from_fn_with_state(
            capture,
            crate::jobs::capture::capture,
        ))
        .with_state(Arc::clone(&state));
    let job_route = Router::new()
        .route(
            "/v1/continuity/jobs/{id}",
            get(read_job)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .with_state(Arc::clone(&state));
    let text = Router::new()
        .route(
            responses::PATH,
            post(responses::responses)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .with_state(Arc::clone(&state));
    images
        .merge(job_route)
        .merge(text)
        .merge(batches::routes(state))
}

/// `GET /v1/continuity/jobs/{id}`: the cross-site guard and the caller's token (no rate or
/// concurrency unit: reading back what was paid for must work when the limits are spent).
async fn read_job(
    State(state): State<Arc<Proxy>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    guarded(&state, req, |state, req, note| async move {
        let token = state
            .gate
            .authenticate(req.headers())
            .map_err(|refusal| *refusal)?;
        if let Some(t) = &token {
            note.token(&t.name);
        }
        let owner = token.map_or_else(Owner::anonymous, |t| Owner::token(&t.id));
        Ok(crate::jobs::route::answer(&state.jobs, &owner, &id).await)
    })
    .await
}

/// Runs `work` behind the cross-site guard, then adds the CORS grant, notes a refusal for the
/// log line and marks the answer `no-store`.
pub(crate) async fn guarded<F, Fut>(state: &Arc<Proxy>, req: Request, work: F) -> Response
where
    F: FnOnce(Arc<Proxy>, Request, Note) -> Fut,
    Fut: std::future::Future<Output = Result<Response, Response>>,
{
    let note = req.extensions().get::<Note>().cloned().unwrap_or_default();
    let mut response = match state.guard.check(req.headers()) {
        Ok(cors) => {
            let mut response = match work(Arc::clone(state), req, note.clone()).await {
                Ok(response) | Err(response) => response,
            };
            cors.apply(&mut response);
            response
        }
        Err(error) => api_error(error),
    };
    if let Some(code) = code_of(&response) {
        note.refused(&code);
    }
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Passes an upstream answer on as it streams (error answers read whole and redacted), and
/// settles `ticket` (no reservation) when it is complete.
pub(crate) async fn relay(
    state: &Arc<Proxy>,
    upstream: reqwest::Response,
    ticket: Option<Ticket>,
) -> Response {
    relay_priced(state, upstream, ticket, None).await
}

/// [`relay`] for a request whose worst case (`priced`: model and micro-dollars) was reserved:
/// settled to the cost of the `usage` it returned.
pub(crate) async fn relay_priced(
    state: &Arc<Proxy>,
    upstream: reqwest::Response,
    ticket: Option<Ticket>,
    priced: Option<(String, u64)>,
) -> Response {
    let status = upstream.status();
    let headers = upstream::response_headers(&upstream);
    let meter = Metered {
        inner: upstream.bytes_stream().boxed(),
        scanner: UsageScanner::default(),
        ticket,
        priced,
        success: status.is_success(),
        state: Arc::clone(state),
    };
    let body = if status.is_success() {
        metered(meter)
    } else {
        redacted_error(meter, status).await
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

pub(crate) async fn options(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    let note = req.extensions().get::<Note>().cloned().unwrap_or_default();
    match state.guard.preflight(req.headers()) {
        Ok(response) => response,
        Err(error) => {
            let response = api_error(error);
            if let Some(code) = code_of(&response) {
                note.refused(&code);
            }
            response
        }
    }
}

async fn generations(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    handle(&state, Endpoint::Generations, req).await
}

async fn edits(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    handle(&state, Endpoint::Edits, req).await
}

async fn handle(state: &Arc<Proxy>, endpoint: Endpoint, req: Request) -> Response {
    guarded(state, req, |state, req, note| async move {
        forward(&state, endpoint, req, &note).await
    })
    .await
}

/// Admission, body, reservation and forwarding; `Err` carries a refusal.
async fn forward(
    state: &Arc<Proxy>,
    endpoint: Endpoint,
    req: Request,
    note: &Note,
) -> Result<Response, Response> {
    let (parts, body) = req.into_parts();
    let mut admitted = state.gate.admit(&parts.headers, note).await?;
    let spool = admitted.read_body(body).await?;
    let mut priced = None;
    if admitted.budgeted() {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let summary = meter::summarize(endpoint, content_type, &spool)
            .await
            .map_err(api_error)?;
        let Some(worst) = state.pricer.worst_case_usd(&summary) else {
            return Err(mark(
                refuse::unpriceable(&summary.model),
                "model_not_priced",
            ));
        };
        let micros = usd_to_micros(worst);
        admitted.reserve(micros).await?;
        priced = Some((summary.model, micros));
    }
    let ticket = admitted.into_ticket();

    let outgoing = reqwest::Body::wrap_stream(spool.stream());
    let sent = upstream::send(
        &state.config,
        endpoint,
        &parts.headers,
        outgoing,
        spool.len(),
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
            return Ok(failure.response(state.max_body_bytes, timeout_s));
        }
    };

    Ok(relay_priced(state, upstream, ticket, priced).await)
}

/// An upstream error answer, read whole (it is small) so that fragments of the server's key
/// can be redacted before it is passed on; its ticket is settled first.
async fn redacted_error(mut meter: Metered, status: StatusCode) -> Body {
    let mut body = Vec::new();
    let mut complete = true;
    while let Some(chunk) = meter.inner.next().await {
        match chunk {
            Ok(chunk) if body.len() + chunk.len() <= redact::ERROR_BODY_MAX => {
                meter.scanner.feed(&chunk);
                body.extend_from_slice(&chunk);
            }
            _ => {
                complete = false;
                break;
            }
        }
    }
    meter.finish(true).await;
    if !complete {
        let error = ApiError::new(
            status,
            "server_error",
            Some("upstream_error"),
            None,
            format!(
                "The upstream image API answered with an error (HTTP {}) that could not be \
                 passed on.",
                status.as_u16()
            ),
        );
        return Body::from(error.body().to_string());
    }
    let text = String::from_utf8_lossy(&body);
    Body::from(redact::redact(&text, meter.state.config.api_key.expose()))
}

/// A response on its way to the client, holding the token's ticket (concurrency unit and
/// budget charge) until it is complete.
struct Metered {
    inner: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    scanner: UsageScanner,
    ticket: Option<Ticket>,
    /// The model and the worst case reserved (budgeted requests only).
    priced: Option<(String, u64)>,
    success: bool,
    state: Arc<Proxy>,
}

impl Metered {
    /// Settles the reservations and frees the concurrency unit. An incomplete response
    /// (upstream cut; if the client goes away this never runs and dropping the ticket does the
    /// same) may have been billed, so it keeps the reservation.
    async fn finish(&mut self, complete: bool) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let found = self.scanner.found();
        let actual = match &self.priced {
            None => None,
            Some(_) if !complete => None,
            Some((model, _)) if !found.is_empty() => found
                .iter()
                .map(|u| self.state.pricer.actual_usd(model, u))
                .sum::<Option<f64>>()
                .map(usd_to_micros),
            // An error answer from the upstream: not billed.
            Some(_) if !self.success => Some(0),
            Some(_) => None,
        };
        if let (Some(actual), Some((model, reserved))) = (actual, &self.priced) {
            if actual > *reserved {
                // Counted as billed, but the catalogue's rules are below what the API bills.
                let label = || "limits: usage over the reservation".to_string();
                crate::log::sampled_line("usage-over-reservation", label, || {
                    format!(
                        "limits: a {model} request cost {} by its usage, more than its worst \
                         case {}; the catalogue's prices for it are too low",
                        format_micros(actual),
                        format_micros(*reserved)
                    )
                });
            }
        }
        ticket.finish(actual).await;
    }
}

/// Streams the response through, scanning for `usage` when a reservation is held, and settles
/// before the last byte reaches the client (so the next request sees the settled budget).
fn metered(meter: Metered) -> Body {
    let stream = futures_util::stream::unfold(Some(meter), |meter| async move {
        let mut meter = meter?;
        match meter.inner.next().await {
            Some(Ok(chunk)) => {
                if meter.priced.is_some() {
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
