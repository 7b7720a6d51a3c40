//! Sending one image request through [`crate::web::http`], reading its answer (JSON or a stream of
//! server-sent events), and retrying by the pure rules of [`continuity_core::failure`]. Every attempt is
//! recorded with its class, status and `x-request-id`.

use crate::web::blob::{base64_to_blob, check_image};
use crate::web::http::{Body, Call, NetError, ResponseInfo};
use crate::web::image_body::{edit_form, read_answer, AnswerProblem, Overlay};
use continuity_core::failure::{
    classify, decide_retry, parse_retry_after, user_message, BodyKind, Classification,
    FailureClass, IncompleteKind, Observation, RetryAfter, RetryDecision,
};
use continuity_core::image_type::{mime_for_format, CheckedImage};
use continuity_core::openai::request::ImageRequest;
use continuity_core::openai::response::ResponseMeta;
use continuity_core::openai::sse::{parse_image_event, ImageStreamEvent, SseParser};
use continuity_core::openai::types::{parse_error_envelope, Usage};
use continuity_core::settings::Endpoint;
use js_sys::JsString;
use web_sys::{AbortSignal, Blob};

/// Reference images (and an optional mask) for `/v1/images/edits`. They are `Blob`s straight
/// from storage; nothing is copied into wasm memory.
#[derive(Clone, Default)]
pub struct Files {
    /// `image[]` parts, in order (identity first).
    pub images: Vec<Blob>,
    /// The `mask` part: a PNG whose transparent pixels mark what may change.
    pub mask: Option<Blob>,
    /// The `markup` part: marks on a transparent PNG of the first image's size (sent only
    /// without a mask).
    pub markup: Option<Blob>,
}

/// One finished image.
pub struct Image {
    /// The image data.
    pub blob: Blob,
    /// Its checked type and pixel size.
    pub checked: CheckedImage,
}

/// One attempt, for the frame's history and for OpenAI support.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    /// 1-based attempt number.
    pub number: u32,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// `None` for the successful attempt.
    pub class: Option<FailureClass>,
    /// `x-request-id`, when the server exposed it.
    pub request_id: Option<String>,
}

/// A successful request.
pub struct ImageResult {
    /// The images (`n` of them).
    pub images: Vec<Image>,
    /// Token usage.
    pub usage: Option<Usage>,
    /// `x-request-id` of the successful response.
    pub request_id: Option<String>,
    /// Every attempt made, the last one successful.
    pub attempts: Vec<AttemptRecord>,
}

/// A request that failed for good (after any retries the rules allow).
#[derive(Debug, Clone)]
pub struct RequestFailure {
    /// What kind of failure.
    pub classification: Classification,
    /// What happened and what to do.
    pub message: String,
    /// Every attempt made.
    pub attempts: Vec<AttemptRecord>,
    /// The batch held the first attempt ([`Options::gate`]): nothing was sent, and the
    /// request can simply be queued again. `message` says why.
    pub held: bool,
}

impl ImageResult {
    /// How many failed attempts before the successful one may have been billed (e.g. a 500
    /// that OpenAI processed anyway): the user should know the frame may have cost more.
    pub fn maybe_billed_attempts(&self) -> u32 {
        self.attempts
            .iter()
            .filter(|a| a.class == Some(FailureClass::MaybeProcessed))
            .count() as u32
    }
}

impl RequestFailure {
    /// Whether any attempt of this request may have been billed.
    pub fn may_be_billed(&self) -> bool {
        self.classification.may_be_billed
    }
}

/// Whether any of these attempts may have been billed (a 500, a timeout, a cut stream …).
fn any_billed(attempts: &[AttemptRecord]) -> bool {
    attempts
        .iter()
        .any(|a| a.class == Some(FailureClass::MaybeProcessed))
}

/// What the caller hears while a request runs.
pub enum Progress {
    /// Attempt `n` is being sent.
    Attempt(u32),
    /// A streamed partial image.
    Partial(Blob),
    /// The server said we are going too fast (the batch should slow down).
    RateLimited,
    /// An attempt failed, classified so (heard after every failed attempt, before any retry:
    /// the batch counts server-side failures for its circuit breaker).
    Failed(Classification),
    /// Waiting `ms` before retrying, because of `reason`.
    Waiting {
        /// Milliseconds until the retry.
        ms: u64,
        /// Why, in words.
        reason: String,
    },
}

/// Options of one request.
pub struct Options<'a> {
    /// Cancels the request and any backoff wait.
    pub signal: Option<&'a AbortSignal>,
    /// Per-attempt timeout.
    pub timeout_ms: u64,
    /// Extra headers (tests use `x-fake-fault`); never used for credentials.
    pub extra_headers: Vec<(String, String)>,
    /// Asked before every attempt, the first included: the batch's concurrency limit,
    /// circuit breaker and budget. `None` sends at once.
    pub gate: Option<&'a dyn Fn() -> Permit>,
}

/// The batch's answer before an attempt (see [`Options::gate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permit {
    /// Send it now.
    Go,
    /// Not yet (the concurrency limit is reached): ask again shortly.
    Wait,
    /// Do not send it; why, in words.
    Refuse(String),
}

/// How often a request waiting for [`Permit::Go`] asks again.
const PERMIT_POLL_MS: u64 = 40;

/// Why a request stopped waiting for its permit.
enum NoPermit {
    Cancelled,
    Refused(String),
}

/// Asks `gate` until it says go; the wait is cancelled with the request.
async fn permit(gate: &dyn Fn() -> Permit, signal: Option<&AbortSignal>) -> Result<(), NoPermit> {
    loop {
        match gate() {
            Permit::Go => return Ok(()),
            Permit::Refuse(why) => return Err(NoPermit::Refused(why)),
            Permit::Wait => {
                if crate::web::clock::sleep(PERMIT_POLL_MS, signal)
                    .await
                    .is_err()
                {
                    return Err(NoPermit::Cancelled);
                }
            }
        }
    }
}

/// Why one attempt failed.
struct AttemptError {
    observation: Observation,
    api_message: Option<String>,
    info: ResponseInfo,
}

/// Sends `request` (a generation, or an edit when `files` is given), retrying as the failure
/// rules allow; with a gate, every attempt waits for the batch's permit.
pub async fn send(
    endpoint: &Endpoint,
    request: &ImageRequest,
    files: Option<&Files>,
    options: &Options<'_>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<ImageResult, RequestFailure> {
    let mut attempts = Vec::new();
    let mut retries = 0u32;
    // The last failure and its message, kept for when the batch refuses the retry.
    let mut last: Option<(Classification, String)> = None;
    // Cancelled while no attempt was in flight (waiting to retry or for a permit).
    let cancelled = |attempts: Vec<AttemptRecord>| {
        let cancelled = classify(&Observation::Cancelled { in_flight: false });
        RequestFailure {
            message: user_message(&cancelled, &request.model, None),
            classification: Classification {
                may_be_billed: any_billed(&attempts),
                ..cancelled
            },
            attempts,
            held: false,
        }
    };
    loop {
        if let Some(gate) = options.gate {
            match permit(gate, options.signal).await {
                Ok(()) => {}
                Err(NoPermit::Cancelled) => return Err(cancelled(attempts)),
                Err(NoPermit::Refused(why)) => {
                    return Err(match last {
                        // Nothing was sent: the batch queues the request again.
                        None => RequestFailure {
                            classification: classify(&Observation::Cancelled { in_flight: false }),
                            message: why,
                            attempts,
                            held: true,
                        },
                        Some((classification, message)) => RequestFailure {
                            message: format!("{message} {why}"),
                            classification: Classification {
                                may_be_billed: classification.may_be_billed
                                    || any_billed(&attempts),
                                ..classification
                            },
                            attempts,
                            held: false,
                        },
                    });
                }
            }
        }
        let number = attempts.len() as u32 + 1;
        on_progress(Progress::Attempt(number));
        match attempt(endpoint, request, files, options, on_progress).await {
            Ok((images, usage, info)) => {
                attempts.push(AttemptRecord {
                    number,
                    status: Some(info.status),
                    class: None,
                    request_id: info.request_id.clone(),
                });
                return Ok(ImageResult {
                    images,
                    usage,
                    request_id: info.request_id,
                    attempts,
                });
            }
            Err(err) => {
                let classification = classify(&err.observation);
                attempts.push(AttemptRecord {
                    number,
                    status: (err.info.status != 0).then_some(err.info.status),
                    class: Some(classification.class),
                    request_id: err.info.request_id.clone(),
                });
                on_progress(Progress::Failed(classification.clone()));
                let retry_after = match &err.observation {
                    Observation::Http { retry_after, .. } => *retry_after,
                    _ => RetryAfter { ms: None },
                };
                if matches!(
                    classification.reason,
                    continuity_core::failure::Reason::RateLimited
                ) {
                    on_progress(Progress::RateLimited);
                }
                let message =
                    user_message(&classification, &request.model, err.api_message.as_deref());
                match decide_retry(
                    &classification,
                    &retry_after,
                    retries,
                    crate::web::clock::jitter(),
                ) {
                    RetryDecision::RetryAfterMs(ms) => {
                        retries += 1;
                        on_progress(Progress::Waiting {
                            ms,
                            reason: message.clone(),
                        });
                        if crate::web::clock::sleep(ms, options.signal).await.is_err() {
                            // Cancelled while waiting: nothing was in flight.
                            return Err(cancelled(attempts));
                        }
                        last = Some((classification, message));
                    }
                    RetryDecision::GiveUp(why) => {
                        // Say why we stopped too: a wait too long to sleep, retries spent, or
                        // "not retried because each attempt may be billed".
                        let message = match why.message() {
                            Some(extra) => format!("{message} {extra}"),
                            None => message,
                        };
                        // Once any attempt may have been billed, the whole request may have been.
                        let billed = classification.may_be_billed || any_billed(&attempts);
                        return Err(RequestFailure {
                            message,
                            classification: Classification {
                                may_be_billed: billed,
                                ..classification
                            },
                            attempts,
                            held: false,
                        });
                    }
                }
            }
        }
    }
}

fn body_kind(content_type: &str) -> BodyKind {
    let ct = content_type.to_ascii_lowercase();
    if ct.contains("json") {
        BodyKind::Json
    } else if ct.contains("html") {
        BodyKind::Html
    } else if ct.is_empty() {
        BodyKind::Empty
    } else {
        BodyKind::Other
    }
}

fn net_observation(e: NetError) -> Observation {
    match e {
        NetError::Cancelled { after_send } => Observation::Cancelled {
            in_flight: after_send,
        },
        NetError::TimedOut => Observation::Timeout,
        NetError::Network { probably_sent, .. } => Observation::Network {
            sent: probably_sent,
        },
    }
}

type AttemptOk = (Vec<Image>, Option<Usage>, ResponseInfo);

async fn attempt(
    endpoint: &Endpoint,
    request: &ImageRequest,
    files: Option<&Files>,
    options: &Options<'_>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<AttemptOk, AttemptError> {
    let no_info = |observation| AttemptError {
        observation,
        api_message: None,
        info: ResponseInfo::default(),
    };
    let (path, body) = match files {
        Some(files) => {
            let overlay = match (&files.mask, &files.markup) {
                (Some(mask), _) => Some(Overlay::Mask(mask)),
                (None, Some(marks)) => Some(Overlay::Markup(marks)),
                (None, None) => None,
            };
            let form = edit_form(request.edit_fields(), &files.images, overlay)
                .map_err(|_| no_info(Observation::Network { sent: false }))?;
            ("images/edits", Body::Form(form))
        }
        None => ("images/generations", Body::Json(request.generation_json())),
    };
    let mut call = Call::post(
        &endpoint.url(path),
        endpoint.bearer.as_deref(),
        body,
        &options.extra_headers,
        options.signal,
        options.timeout_ms,
    )
    .await
    .map_err(|e| no_info(net_observation(e)))?;
    let info = call.info();
    let fail = |observation, api_message: Option<String>, info: &ResponseInfo| AttemptError {
        observation,
        api_message,
        info: info.clone(),
    };
    let kind = body_kind(&info.content_type);

    if !(200..300).contains(&info.status) {
        let text: Option<String> = call.text().await.ok().and_then(|t| t.as_string());
        let error = text.as_deref().and_then(parse_error_envelope);
        let api_message = error.as_ref().map(|e| e.message.clone());
        let now = js_sys::Date::now() as u64;
        let observation = Observation::Http {
            status: info.status,
            error,
            retry_after: parse_retry_after(
                info.retry_after_ms.as_deref(),
                info.retry_after.as_deref(),
                now,
            ),
            should_retry: info
                .should_retry
                .as_deref()
                .map(|v| v.eq_ignore_ascii_case("true")),
            body: kind,
        };
        return Err(fail(observation, api_message, &info));
    }

    let format = request.output_format.as_str();
    if info.content_type.contains("text/event-stream") {
        return read_stream(&mut call, &info, request, format, on_progress).await;
    }
    if kind != BodyKind::Json {
        return Err(fail(
            Observation::Incomplete(IncompleteKind::WrongContentType),
            None,
            &info,
        ));
    }
    let text = call
        .text()
        .await
        .map_err(|e| fail(net_observation(e), None, &info))?;
    let answer = read_answer(&text).map_err(|problem| {
        let kind = match problem {
            AnswerProblem::NotJson => IncompleteKind::TruncatedJson,
            AnswerProblem::NoImages => IncompleteKind::BadImage,
        };
        fail(Observation::Incomplete(kind), None, &info)
    })?;
    drop(text);
    let mut images = Vec::new();
    for b64 in &answer.images {
        images.push(decode(b64, format).await.map_err(|_| {
            fail(
                Observation::Incomplete(IncompleteKind::BadImage),
                None,
                &info,
            )
        })?);
    }
    let meta = answer.meta_json.and_then(|s| ResponseMeta::parse(&s).ok());
    Ok((images, meta.and_then(|m| m.usage), info))
}

async fn decode(b64: &JsString, format: &str) -> Result<Image, crate::web::blob::BlobError> {
    let blob = base64_to_blob(b64, mime_for_format(format)).await?;
    let checked = check_image(&blob).await?;
    Ok(Image { blob, checked })
}

/// Reads an image stream: partial previews go to `on_progress`, each `*.completed` event is a
/// final image. The stream may end by closing, by `[DONE]` or by an `error` event; if it ends
/// before every image completed, it is a cut stream and nothing is returned as done.
async fn read_stream(
    call: &mut Call,
    info: &ResponseInfo,
    request: &ImageRequest,
    format: &str,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<AttemptOk, AttemptError> {
    let fail = |observation, api_message: Option<String>| AttemptError {
        observation,
        api_message,
        info: info.clone(),
    };
    let mut parser = SseParser::new();
    let mut images = Vec::new();
    let mut usage: Option<Usage> = None;
    let expected = usize::from(request.n.max(1));
    'read: loop {
        let chunk = call.next_chunk().await.map_err(|e| match e {
            NetError::Network { .. } => {
                fail(Observation::Incomplete(IncompleteKind::StreamCut), None)
            }
            other => fail(net_observation(other), None),
        })?;
        let Some(chunk) = chunk else { break };
        for event in parser.push(&chunk) {
            match parse_image_event(&event) {
                Ok(ImageStreamEvent::Partial { b64, .. }) => {
                    // A preview that fails to decode is just skipped: it is only a preview.
                    if let Ok(blob) =
                        base64_to_blob(&JsString::from(b64.as_ref()), mime_for_format(format)).await
                    {
                        on_progress(Progress::Partial(blob));
                    }
                }
                Ok(ImageStreamEvent::Completed { b64, usage: u, .. }) => {
                    let image = decode(&JsString::from(b64.as_ref()), format)
                        .await
                        .map_err(|_| {
                            fail(Observation::Incomplete(IncompleteKind::BadImage), None)
                        })?;
                    images.push(image);
                    if let Some(u) = u {
                        usage = Some(match usage {
                            Some(prev) => add_usage(prev, u),
                            None => u,
                        });
                    }
                }
                Ok(ImageStreamEvent::Error(error)) => {
                    let message = Some(error.message.clone());
                    let observation = Observation::Http {
                        status: stream_error_status(&error),
                        error: Some(error),
                        retry_after: RetryAfter { ms: None },
                        should_retry: None,
                        body: BodyKind::Json,
                    };
                    return Err(fail(observation, message));
                }
                Ok(ImageStreamEvent::Done) => break 'read,
                Ok(ImageStreamEvent::Unknown(_)) => {}
                Err(_) => {
                    return Err(fail(
                        Observation::Incomplete(IncompleteKind::TruncatedJson),
                        None,
                    ))
                }
            }
        }
    }
    if images.len() < expected {
        return Err(fail(
            Observation::Incomplete(IncompleteKind::StreamCut),
            None,
        ));
    }
    Ok((images, usage, info.clone()))
}

/// An error event inside a 200 stream carries no status; infer the one the same error has
/// as a plain response so classification is identical.
fn stream_error_status(error: &continuity_core::openai::types::ApiError) -> u16 {
    match (error.code.as_deref(), error.r#type.as_deref()) {
        (Some("rate_limit_exceeded"), _)
        | (Some("insufficient_quota"), _)
        | (_, Some("insufficient_quota")) => 429,
        (_, Some("server_error")) | (Some("server_error"), _) => 500,
        (Some("server_is_overloaded"), _) | (_, Some("slow_down")) => 503,
        _ => 400,
    }
}

fn add_usage(a: Usage, b: Usage) -> Usage {
    Usage {
        input_tokens: a.input_tokens.max(b.input_tokens),
        output_tokens: a.output_tokens + b.output_tokens,
        total_tokens: a.input_tokens.max(b.input_tokens) + a.output_tokens + b.output_tokens,
        ..b
    }
}
