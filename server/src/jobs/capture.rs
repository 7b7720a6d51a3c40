//! The layer on the image routes that makes a request with a job id recoverable.
//!
//! A request carrying `X-Continuity-Job: <32 hex digits>` from a known owner is marked
//! running (an id already used is refused with 409 `job_id_in_use` before anything is sent),
//! then handled **in a task of its own**: if the client goes away (a reload, a crash, a
//! dropped network) the request still runs to its end, upstream or in the fake. Its answer
//! streams to the client as it comes, and a copy is kept: a JSON answer whole; a streamed
//! one as its `completed` events only (partial images are passed on, never kept), turned into
//! the `ImagesResponse` the same request would have had without streaming. The job is stored
//! before the client's body ends (so a client that has its answer can always read it back);
//! an answer cut off, or one this server refused before sending anything, is not kept and its
//! id stays free.

use std::io;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use continuity_core::openai::jobs::{JobId, JOB_HEADER};
use continuity_core::openai::sse::SseParser;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};

use super::record::Record;
use super::{log_job, Begin, Jobs, Owner, Owners, Stored, MAX_ANSWER_BYTES};
use crate::errors::ApiError;
use crate::proxy::refuse::{mark, RefusalCode};

/// The layer's state.
#[derive(Debug)]
pub struct Capture {
    /// Where jobs are kept.
    pub jobs: Arc<Jobs>,
    /// How a request's owner is found.
    pub owners: Owners,
}

/// Middleware for the image routes (see the module documentation).
pub async fn capture(State(capture): State<Arc<Capture>>, req: Request, next: Next) -> Response {
    let Some(value) = req.headers().get(JOB_HEADER) else {
        return next.run(req).await;
    };
    let id = match value
        .to_str()
        .map_err(|_| String::new())
        .and_then(JobId::parse)
    {
        Ok(id) => id,
        Err(why) => return refusal(invalid_id(&why), "invalid_job_id"),
    };
    // No valid token: the route refuses it (401); nothing to keep.
    let Some(owner) = capture.owners.owner_of(req.headers()) else {
        return next.run(req).await;
    };
    match capture.jobs.begin(&owner, &id).await {
        Ok(Begin::Started) => {}
        Ok(Begin::InUse) => return refusal(in_use(&id), "job_id_in_use"),
        Err(e) => {
            log_job(&id, "not kept: the job store is unavailable");
            let label = || "jobs: store unavailable".to_string();
            crate::log::sampled_line("jobs-unavailable", label, || format!("jobs: {}", e.0));
            return refusal(unavailable(), "jobs_unavailable");
        }
    }
    let endpoint = req.uri().path().to_string();
    let (head_tx, head_rx) = oneshot::channel();
    let (body_tx, body_rx) = mpsc::channel::<Result<Bytes, io::Error>>(16);
    let jobs = Arc::clone(&capture.jobs);
    tokio::spawn(async move {
        let mut pending = Pending {
            jobs,
            owner,
            id,
            armed: true,
        };
        let response = next.run(req).await;
        let (mut parts, body) = response.into_parts();
        // Refused by this server before anything was sent: nothing to keep.
        let refused = parts.extensions.get::<RefusalCode>().is_some();
        let stream = is_event_stream(&parts.headers);
        let status = parts.status.as_u16();
        let content_type = header_text(&parts.headers, header::CONTENT_TYPE.as_str());
        let request_id = header_text(&parts.headers, "x-request-id");
        // The body ends when the job is stored, not when its last byte is counted.
        parts.headers.remove(header::CONTENT_LENGTH);
        let _ = head_tx.send(parts);
        let mut collector = (!refused).then(|| Collector::new(stream));
        let mut client = Some(body_tx);
        let mut complete = true;
        let mut data = body.into_data_stream();
        while let Some(chunk) = data.next().await {
            match chunk {
                Ok(chunk) => {
                    if let Some(c) = &mut collector {
                        c.feed(&chunk);
                    }
                    if let Some(tx) = &client {
                        if tx.send(Ok(chunk)).await.is_err() {
                            // The client went away; the answer is still kept.
                            client = None;
                        }
                    }
                }
                Err(e) => {
                    complete = false;
                    if let Some(tx) = &client {
                        let _ = tx.send(Err(io::Error::other(e))).await;
                    }
                    break;
                }
            }
        }
        let answer = collector.filter(|_| complete).and_then(Collector::finish);
        match answer {
            Some((body, built_from_stream)) => {
                let content_type = if built_from_stream {
                    Some("application/json".to_string())
                } else {
                    content_type
                };
                let record = Record::new(status, content_type, &endpoint, stream, request_id, body);
                pending.store(&record).await;
            }
            None => {
                if !refused {
                    log_job(&pending.id, "not kept: the answer was incomplete");
                }
                pending.abandon().await;
            }
        }
        drop(client);
    });
    match head_rx.await {
        Ok(parts) => {
            let body = futures_util::stream::unfold(body_rx, |mut rx| async move {
                rx.recv().await.map(|item| (item, rx))
            });
            Response::from_parts(parts, Body::from_stream(body))
        }
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            None,
            "The request failed inside this server.",
        )
        .into_response(),
    }
}

/// A job between its start and its end; dropped still armed (the task panicked), it frees
/// its id.
struct Pending {
    jobs: Arc<Jobs>,
    owner: Owner,
    id: JobId,
    armed: bool,
}

impl Pending {
    async fn store(&mut self, record: &Record) {
        self.armed = false;
        match self.jobs.finish(&self.owner, &self.id, record).await {
            Ok(Stored::Kept) => {}
            Ok(Stored::TooLarge) => log_job(&self.id, "not kept: larger than --job-store-mb"),
            Err(e) => {
                log_job(&self.id, "not kept: the job store failed");
                let label = || "jobs: store failed".to_string();
                crate::log::sampled_line("jobs-store-failed", label, || format!("jobs: {}", e.0));
            }
        }
    }

    async fn abandon(&mut self) {
        self.armed = false;
        self.jobs.abandon(&self.owner, &self.id).await;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (jobs, owner, id) = (Arc::clone(&self.jobs), self.owner.clone(), self.id.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { jobs.abandon(&owner, &id).await });
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().starts_with("text/event-stream"))
}

/// What is kept of an answer as it streams past.
enum Collector {
    /// A JSON (or other) body, whole.
    Whole { buf: BytesMut, over: bool },
    /// An event stream: only its `completed` events (or an `error` event).
    Events {
        parser: SseParser,
        completed: Vec<Value>,
        error: Option<Value>,
        kept: usize,
        over: bool,
    },
}

impl Collector {
    fn new(stream: bool) -> Self {
        if stream {
            Collector::Events {
                parser: SseParser::new(),
                completed: Vec::new(),
                error: None,
                kept: 0,
                over: false,
            }
        } else {
            Collector::Whole {
                buf: BytesMut::new(),
                over: false,
            }
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        match self {
            Collector::Whole { buf, over } => {
                if *over || buf.len() + chunk.len() > MAX_ANSWER_BYTES {
                    *over = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            Collector::Events {
                parser,
                completed,
                error,
                kept,
                over,
            } => {
                for event in parser.push(chunk) {
                    if *over || event.is_done() {
                        continue;
                    }
                    let Ok(value) = serde_json::from_str::<Value>(&event.data) else {
                        continue;
                    };
                    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
                    if kind.ends_with(".completed") {
                        *kept += event.data.len();
                        if *kept > MAX_ANSWER_BYTES {
                            *over = true;
                            completed.clear();
                        } else {
                            completed.push(value);
                        }
                    } else if value.get("error").is_some() {
                        *error = Some(value["error"].clone());
                    }
                }
            }
        }
    }

    /// The body to keep and whether it was built from a stream; `None` when nothing usable
    /// arrived (a stream cut before its `completed` event, an answer over the size cap).
    fn finish(self) -> Option<(Bytes, bool)> {
        match self {
            Collector::Whole { over: true, .. } => None,
            Collector::Whole { buf, .. } => Some((buf.freeze(), false)),
            Collector::Events { over: true, .. } => None,
            Collector::Events {
                completed, error, ..
            } => {
                let body = if !completed.is_empty() {
                    images_response(&completed)
                } else {
                    json!({ "error": error? })
                };
                Some((Bytes::from(body.to_string()), true))
            }
        }
    }
}

/// The `ImagesResponse` of a stream's `completed` events: one `data[]` entry per image, the
/// first event's `created_at`, size, quality, background and format, and the events' `usage`
/// summed (each event reports its image's tokens).
fn images_response(completed: &[Value]) -> Value {
    let first = &completed[0];
    let mut out = Map::new();
    out.insert(
        "created".into(),
        first.get("created_at").cloned().unwrap_or(Value::Null),
    );
    let data: Vec<Value> = completed
        .iter()
        .map(|e| json!({ "b64_json": e.get("b64_json").cloned().unwrap_or(Value::Null) }))
        .collect();
    out.insert("data".into(), Value::Array(data));
    for key in ["background", "output_format", "quality", "size"] {
        if let Some(v) = first.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    let mut usage = Value::Null;
    for event in completed {
        if let Some(u) = event.get("usage") {
            add_numbers(&mut usage, u);
        }
    }
    if !usage.is_null() {
        out.insert("usage".into(), usage);
    }
    Value::Object(out)
}

/// Adds every number of `add` into `sum`, member by member (objects nest).
fn add_numbers(sum: &mut Value, add: &Value) {
    match (sum, add) {
        (sum @ Value::Null, add) => *sum = add.clone(),
        (Value::Object(s), Value::Object(a)) => {
            for (k, v) in a {
                add_numbers(s.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (Value::Number(s), Value::Number(a)) => {
            if let (Some(x), Some(y)) = (s.as_u64(), a.as_u64()) {
                *s = (x + y).into();
            }
        }
        _ => {}
    }
}

fn refusal(error: ApiError, code: &str) -> Response {
    mark(error.into_response(), code)
}

fn invalid_id(why: &str) -> ApiError {
    ApiError::invalid(
        "invalid_job_id",
        Some(JOB_HEADER),
        format!(
            "The {JOB_HEADER} header is not a job id: {why}. Nothing was sent; send 32 \
             hexadecimal digits drawn at random."
        ),
    )
}

fn in_use(id: &JobId) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "invalid_request_error",
        Some("job_id_in_use"),
        Some(JOB_HEADER),
        format!(
            "Job {id} was already sent through this server; nothing was sent again (that could \
             pay twice). Read its answer with GET {}, or give a new request a new job id.",
            id.path()
        ),
    )
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "server_error",
        Some("jobs_unavailable"),
        None,
        "This server cannot keep the job's answer right now (its job store is unreachable), so \
         nothing was sent. Try again shortly.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(c: &mut Collector, text: &str, piece: usize) {
        for chunk in text.as_bytes().chunks(piece) {
            c.feed(chunk);
        }
    }

    /// A stream of two images with partials: kept as one `ImagesResponse` with both final
    /// images and the summed usage; the partial images are not kept.
    #[test]
    fn streams_keep_only_their_completed_events() {
        let partial = json!({"type": "image_generation.partial_image", "b64_json": "PARTIAL", "partial_image_index": 0});
        let done = |img: &str, input: u64| {
            json!({"type": "image_generation.completed", "b64_json": img, "created_at": 7,
                   "size": "1024x1024", "quality": "low", "background": "opaque", "output_format": "png",
                   "usage": {"input_tokens": input, "input_tokens_details": {"text_tokens": input, "image_tokens": 0},
                             "output_tokens": 296, "total_tokens": input + 296}})
        };
        let text = format!(
            "event: image_generation.partial_image\ndata: {partial}\n\n\
             event: image_generation.completed\ndata: {}\n\n\
             event: image_generation.partial_image\ndata: {partial}\n\n\
             event: image_generation.completed\ndata: {}\n\ndata: [DONE]\n\n",
            done("FIRST", 10),
            done("SECOND", 0)
        );
        for piece in [1, 7, 4096] {
            let mut c = Collector::new(true);
            feed_all(&mut c, &text, piece);
            let (body, built) = c.finish().expect("kept");
            assert!(built);
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                v["data"],
                json!([{"b64_json": "FIRST"}, {"b64_json": "SECOND"}])
            );
            assert_eq!(v["created"], 7);
            assert_eq!(v["size"], "1024x1024");
            assert_eq!(v["usage"]["output_tokens"], 592);
            assert_eq!(v["usage"]["input_tokens"], 10);
            assert_eq!(v["usage"]["input_tokens_details"]["text_tokens"], 10);
            assert!(!String::from_utf8_lossy(&body).contains("PARTIAL"));
        }
    }

    #[test]
    fn a_cut_stream_keeps_nothing_and_an_error_event_is_kept() {
        let mut c = Collector::new(true);
        feed_all(
            &mut c,
            "event: image_generation.partial_image\ndata: {\"type\":\"image_generation.partial_image\",\"b64_json\":\"P\"}\n\n",
            5,
        );
        assert!(c.finish().is_none());
        let mut c = Collector::new(true);
        feed_all(
            &mut c,
            "data: {\"type\":\"error\",\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
            3,
        );
        let (body, _) = c.finish().expect("kept");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["type"], "server_error");
    }

    #[test]
    fn json_answers_are_kept_whole() {
        let mut c = Collector::new(false);
        feed_all(&mut c, "{\"created\":1,\"data\":[]}", 2);
        assert_eq!(
            c.finish().unwrap(),
            (Bytes::from_static(b"{\"created\":1,\"data\":[]}"), false)
        );
    }
}
