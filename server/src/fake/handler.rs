//! The pipeline of one fake image request: read the body within the limit, parse it, apply a
//! fault if one is selected, validate, render on a blocking thread, answer after the
//! configured latency (JSON or SSE), and journal what happened.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::time::Instant;

use super::fault_responses;
use super::faults::{self, FaultKind, FaultSpec};
use super::job::Job;
use super::journal::RequestRecord;
use super::params::{self, BodyForm, Endpoint, RawRequest};
use super::render::{self, Rendered};
use super::stream::{self, SseStyle};
use super::validate;
use super::{FakeState, RequestId, RequestStart};
use crate::errors::ApiError;

/// Longest a `stall` without `ms=` holds the request before giving up with a 504.
const STALL_CAP: Duration = Duration::from_secs(3600);

/// `POST /v1/images/generations`
pub async fn generations(State(state): State<Arc<FakeState>>, req: Request) -> Response {
    handle(state, Endpoint::Generations, req).await
}

/// `POST /v1/images/edits`
pub async fn edits(State(state): State<Arc<FakeState>>, req: Request) -> Response {
    handle(state, Endpoint::Edits, req).await
}

/// Request facts the pipeline keeps after the body is consumed.
struct Context {
    state: Arc<FakeState>,
    endpoint: Endpoint,
    start: Instant,
    request_id: String,
    content_type: Option<String>,
    authorization_present: bool,
    fault_header: Option<String>,
    sse: SseStyle,
}

impl Context {
    /// Journals the request (hashing its files off the async threads) and returns `response`.
    async fn finish(
        &self,
        raw: Arc<RawRequest>,
        response: Response,
        fault: Option<FaultKind>,
    ) -> Response {
        self.journal(raw, Some(response.status().as_u16()), fault)
            .await;
        response
    }

    async fn journal(&self, raw: Arc<RawRequest>, status: Option<u16>, fault: Option<FaultKind>) {
        let (ct, auth) = (self.content_type.clone(), self.authorization_present);
        let record = if raw.images.is_empty() && raw.mask.is_none() {
            RequestRecord::new(&raw, ct, auth)
        } else {
            let raw2 = Arc::clone(&raw);
            let ct2 = ct.clone();
            tokio::task::spawn_blocking(move || RequestRecord::new(&raw2, ct2, auth))
                .await
                .unwrap_or_else(|_| {
                    RequestRecord::new(&RawRequest::empty(raw.endpoint, raw.form), ct, auth)
                })
        };
        self.state
            .journal
            .record(record, status, fault.map(FaultKind::name));
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn flag(headers: &HeaderMap, name: &str) -> bool {
    header_str(headers, name).is_some_and(|v| matches!(v.trim(), "1" | "true"))
}

async fn handle(state: Arc<FakeState>, endpoint: Endpoint, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = Context {
        endpoint,
        start: parts
            .extensions
            .get::<RequestStart>()
            .map_or_else(Instant::now, |s| s.0),
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map_or_else(String::new, |id| id.0.clone()),
        content_type: header_str(&parts.headers, "content-type"),
        authorization_present: parts.headers.contains_key(header::AUTHORIZATION),
        fault_header: header_str(&parts.headers, "x-fake-fault"),
        sse: SseStyle {
            crlf: flag(&parts.headers, "x-fake-sse-crlf"),
            done: flag(&parts.headers, "x-fake-sse-done"),
        },
        state,
    };
    let form = params::form_of(ctx.content_type.as_deref()).unwrap_or(BodyForm::Json);
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // The fake keeps whole bodies in memory (it decodes their images), so the bodies held at
    // once are bounded: a request waits (up to the body timeout) for its share of the memory.
    let limit = ctx.state.max_body_bytes;
    let wanted = declared.map_or(limit, |len| (len as usize).min(limit));
    let memory = match ctx.state.body_memory(wanted).await {
        Ok(permit) => permit,
        Err(err) => {
            let raw = Arc::new(RawRequest::empty(endpoint, form));
            return ctx.finish(raw, err.into_response(), None).await;
        }
    };
    let read = read_limited(body, limit, declared);
    let body = match tokio::time::timeout(ctx.state.body_timeout, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(err)) => {
            let raw = Arc::new(RawRequest::empty(endpoint, form));
            return ctx.finish(raw, err.into_response(), None).await;
        }
        Err(_) => {
            let err = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "invalid_request_error",
                Some("request_timeout"),
                None,
                format!(
                    "The request body did not arrive within {} s: the client sent it too \
                     slowly.",
                    ctx.state.body_timeout.as_secs()
                ),
            );
            let raw = Arc::new(RawRequest::empty(endpoint, form));
            return ctx.finish(raw, err.into_response(), None).await;
        }
    };
    let raw = match params::parse(endpoint, ctx.content_type.as_deref(), body).await {
        Ok(raw) => Arc::new(raw),
        Err(failure) => {
            let failure = *failure;
            return ctx
                .finish(Arc::new(failure.raw), failure.error.into_response(), None)
                .await;
        }
    };
    let response = run(ctx, raw).await;
    // The body's memory is given back when the answer has been produced (a streamed answer
    // keeps only its rendered images).
    drop(memory);
    response
}

/// Reads at most `limit` bytes; a larger body is a 413 in OpenAI's envelope.
pub(crate) async fn read_limited(
    body: Body,
    limit: usize,
    declared: Option<u64>,
) -> Result<Bytes, ApiError> {
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    let mut buf = BytesMut::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::invalid(
                "invalid_body",
                None,
                "The request body could not be read completely.",
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

async fn run(ctx: Context, raw: Arc<RawRequest>) -> Response {
    // The header wins over a prompt marker.
    let spec_text = ctx.fault_header.clone().or_else(|| {
        raw.prompt()
            .and_then(faults::marker_in_prompt)
            .map(str::to_string)
    });
    let spec = match spec_text.as_deref().map(FaultSpec::parse).transpose() {
        Ok(spec) => spec,
        Err(why) => {
            let err = ApiError::invalid(
                "invalid_fault_spec",
                Some("x-fake-fault"),
                format!("Invalid fault spec: {why}. Grammar: <name>[:<times>][,<key>=<value>]*."),
            );
            return ctx.finish(raw, err.into_response(), None).await;
        }
    };
    // Count the attempt and decide whether the fault applies to it.
    let active = spec.filter(|s| {
        let attempt = ctx.state.attempts.next_attempt(
            ctx.endpoint.name(),
            &s.raw,
            raw.prompt().unwrap_or_default(),
        );
        s.times.is_none_or(|times| attempt <= times)
    });
    let model = raw.model().unwrap_or("gpt-image-2").to_string();
    // A concurrency limit refuses only what is beyond it; an accepted request holds its place
    // until its response has been sent.
    let mut place = None;
    if let Some(spec) = active
        .as_ref()
        .filter(|s| s.kind == FaultKind::ConcurrencyLimit)
    {
        match ctx
            .state
            .in_flight
            .try_enter(&spec.raw, spec.max_concurrent)
        {
            Some(guard) => {
                place = Some(guard);
                // The time an accepted request takes, so that requests overlap.
                if let Some(ms) = spec.stall_ms {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
            }
            None => {
                let response = fault_responses::concurrency_limited(spec, &model);
                return ctx.finish(raw, response, Some(spec.kind)).await;
            }
        }
    }
    let active = active.filter(|s| s.kind != FaultKind::ConcurrencyLimit);
    if let Some(spec) = &active {
        if let Some(response) = fault_responses::error_response(spec, &model, &ctx.request_id) {
            return ctx.finish(raw, response, Some(spec.kind)).await;
        }
        if spec.kind == FaultKind::Stall {
            match spec.stall_ms {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => {
                    ctx.journal(Arc::clone(&raw), None, Some(FaultKind::Stall))
                        .await;
                    tokio::time::sleep(STALL_CAP).await;
                    return ApiError::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "server_error",
                        None,
                        None,
                        "The stall fault gave up after one hour.",
                    )
                    .into_response();
                }
            }
        }
    }
    let fault = active.as_ref().map(|s| s.kind);
    let drawn = image_place(&ctx, &raw);
    let job_raw = Arc::clone(&raw);
    let outcome = tokio::task::spawn_blocking(move || -> Result<(Job, Rendered), ApiError> {
        let job = validate::validate(&job_raw)?;
        let rendered = render::render(&job, drawn).map_err(|why| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                None,
                None,
                why,
            )
        })?;
        Ok((job, rendered))
    })
    .await;
    let (job, mut rendered) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(err)) => return ctx.finish(raw, err.into_response(), fault).await,
        Err(_) => {
            let err = ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                None,
                None,
                "The fake failed while rendering the image.",
            );
            return ctx.finish(raw, err.into_response(), fault).await;
        }
    };
    // Remembered as returned, so that a check call sending an image back knows its prompt.
    for image in &rendered.images {
        ctx.state.rendered.record(image, &job.prompt);
    }
    if fault == Some(FaultKind::BadImage) {
        for image in &mut rendered.images {
            *image = stream::NOT_AN_IMAGE.to_vec();
        }
    }
    let response = respond(&ctx, &job, &rendered, fault).await;
    let response = ctx.finish(raw, response, fault).await;
    match place {
        Some(place) => hold_until_sent(response, place),
        None => response,
    }
}

/// How many identical requests (same endpoint and fields) came to be drawn before this one
/// since the journal was last cleared: what makes a repeated request draw another image
/// ([`render::render`]). Counted with the fault attempts, and cleared with them.
fn image_place(ctx: &Context, raw: &RawRequest) -> u32 {
    place_among_identical(&ctx.state, ctx.endpoint, raw)
}

/// How many identical requests to `endpoint` (same fields) came before this one since the
/// journal was cleared: the seed of its image, so asking again draws another image (the real
/// model has no seed) while a run that sends the same requests gets the same images. A
/// batch's lines count among the same requests as the interactive ones.
pub(crate) fn place_among_identical(
    state: &FakeState,
    endpoint: Endpoint,
    raw: &RawRequest,
) -> u32 {
    let fields = serde_json::Value::Object(raw.params.clone()).to_string();
    state
        .attempts
        .next_attempt(endpoint.name(), "#image", &fields)
        .saturating_sub(1)
}

/// Keeps `place` until the body of `response` has been sent (or the client went away).
fn hold_until_sent(response: Response, place: faults::InFlightGuard) -> Response {
    let (parts, body) = response.into_parts();
    let body = body.into_data_stream().map(move |chunk| {
        let _held = &place;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

async fn respond(
    ctx: &Context,
    job: &Job,
    rendered: &Rendered,
    fault: Option<FaultKind>,
) -> Response {
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let latency = ctx.state.latency;
    if job.stream {
        let cut = fault == Some(FaultKind::StreamCut);
        let events = stream::sse_events(job, &rendered.images, &rendered.partials, created, cut);
        let body = stream::sse_body(events, ctx.sse, ctx.start, latency, cut);
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    }
    let full = Bytes::from(stream::images_response(job, &rendered.images, created).to_string());
    // Sleep for what is left of the latency, so it is exact whatever rendering took.
    tokio::time::sleep_until(ctx.start + latency).await;
    let (body, length) = match fault {
        Some(FaultKind::TruncatedJson) => {
            let half = full.slice(..full.len() / 2);
            let len = half.len();
            (Body::from(half), len)
        }
        Some(FaultKind::StreamCut) => (stream::cut_body(full.clone()), full.len()),
        _ => (Body::from(full.clone()), full.len()),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}
