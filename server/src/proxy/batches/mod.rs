//! Forward mode's Files and Batches routes, exactly: `POST /v1/files`,
//! `GET /v1/files/{id}/content`, `POST /v1/batches`, `GET /v1/batches/{id}`,
//! `POST /v1/batches/{id}/cancel`.
//!
//! Each passes the same steps as the image routes: the cross-site guard, admission from the
//! headers (token, rate, concurrency, a budget already used up), the body within its limit
//! (`--max-file-mb` for uploads, 200 MB by default). Then:
//! - an upload is priced as it passes ([`price`]: a batch file's worst case at the batch
//!   rate), forwarded, and its file id recorded for the token ([`ids`]);
//! - creating a batch needs an input file of the caller's own; for a budgeted token the file's
//!   price is **reserved against the budget before the batch is created** (429
//!   `budget_exceeded` if it does not fit) and kept once the batch exists (an upstream refusal
//!   gives it back; so does a batch seen failing validation, which runs nothing);
//! - a batch, its output and error files are visible to the token that created it only:
//!   another token gets the 404 of an id that does not exist.

pub mod ids;
pub mod price;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;

use super::admission::Admitted;
use super::refuse::{api_error, mark};
use super::spool::{self, Spool};
use super::upstream;
use super::{guarded, options, Proxy};
use crate::errors::ApiError;
use crate::limits::Ticket;
use ids::Owned;
use price::{BatchPrice, ChannelReader};

/// Largest upstream JSON answer read whole (a batch object with its errors, a file object).
const ANSWER_MAX: usize = 8 * 1024 * 1024;

/// The routes.
pub fn routes(state: Arc<Proxy>) -> Router {
    Router::new()
        .route(
            "/v1/files",
            post(upload)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/files/{id}/content",
            get(content)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/batches",
            post(create)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/batches/{id}",
            get(retrieve)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/batches/{id}/cancel",
            post(cancel)
                .options(options)
                .fallback(crate::app::api_not_found),
        )
        .with_state(state)
}

/// The owner key of an admitted request: its token id, or `anonymous`.
fn owner(admitted: &Admitted<'_>) -> String {
    admitted
        .token()
        .map_or_else(|| "anonymous".to_string(), |t| t.id.clone())
}

/// Whether `id` is `prefix` followed by 1–128 of `[A-Za-z0-9_-]` (it becomes part of an
/// upstream path).
fn valid_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        (1..=128).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

fn no_such_file(id: &str) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        Some("id"),
        format!("No such File object: {id}"),
    )
    .into_response()
}

fn no_such_batch(id: &str) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        Some("batch_id"),
        format!("No batch found with id '{id}'."),
    )
    .into_response()
}

fn ids_unavailable(why: &str) -> Response {
    let label = || "batches: owners unavailable".to_string();
    crate::log::sampled_line("ids-unavailable", label, || format!("batches: {why}"));
    mark(
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("limits_unavailable"),
            None,
            "This server cannot check who owns files and batches right now; try again shortly.",
        )
        .into_response(),
        "limits_unavailable",
    )
}

fn bad_batch(code: &str, message: String) -> Response {
    api_error(ApiError::invalid(code, Some("input_file_id"), message))
}

/// An upstream answer read whole (it is small), with key fragments redacted from errors.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    async fn read(state: &Proxy, upstream: reqwest::Response) -> Result<Self, Response> {
        let status = upstream.status();
        let headers = upstream::response_headers(&upstream);
        let mut body = Vec::new();
        let mut stream = upstream.bytes_stream();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) if body.len() + chunk.len() <= ANSWER_MAX => {
                    body.extend_from_slice(&chunk)
                }
                _ => {
                    return Err(ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        "server_error",
                        Some("upstream_error"),
                        None,
                        "The upstream API's answer could not be read whole.",
                    )
                    .into_response())
                }
            }
        }
        let body = if status.is_success() {
            Bytes::from(body)
        } else {
            let text = String::from_utf8_lossy(&body);
            Bytes::from(super::redact::redact(&text, state.config.api_key.expose()))
        };
        Ok(Self {
            status,
            headers,
            body,
        })
    }

    fn json(&self) -> Option<Value> {
        self.status
            .is_success()
            .then(|| serde_json::from_slice(&self.body).ok())
            .flatten()
    }

    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// Sends to the upstream, settling `ticket` (`refund` when nothing was processed) if it
/// fails.
async fn send(
    state: &Proxy,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: Option<&Spool>,
    ticket: &mut Option<Ticket>,
) -> Result<reqwest::Response, Response> {
    let body = body.map(|s| (reqwest::Body::wrap_stream(s.stream()), s.len()));
    match upstream::send_to(&state.config, method, path, headers, body).await {
        Ok(response) => Ok(response),
        Err(failure) => {
            if let Some(ticket) = ticket.take() {
                let refund = (!failure.maybe_billed()).then_some(0);
                ticket.finish(refund).await;
            }
            Err(failure.response(state.max_body_bytes, state.config.timeout.as_secs()))
        }
    }
}

async fn finish(ticket: Option<Ticket>, actual: Option<u64>) {
    if let Some(ticket) = ticket {
        ticket.finish(actual).await;
    }
}

/// `POST /v1/files`
async fn upload(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    guarded(&state, req, |state, req, note| async move {
        let (parts, body) = req.into_parts();
        let admitted = state.file_gate.admit(&parts.headers, &note).await?;
        let owner = owner(&admitted);
        let spool = admitted.read_body(body).await?;
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let (purpose, price) = read_upload(&state, &content_type, &spool).await;
        let mut ticket = admitted.into_ticket();
        let upstream = send(
            &state,
            Method::POST,
            "/v1/files",
            &parts.headers,
            Some(&spool),
            &mut ticket,
        )
        .await?;
        let answer = Answer::read(&state, upstream).await;
        finish(ticket, None).await;
        let answer = answer?;
        if let Some(id) = answer
            .json()
            .and_then(|v| v["id"].as_str().map(str::to_string))
        {
            let mut entry = Owned::new(&owner);
            if purpose.as_deref() == Some("batch") {
                entry.price = Some(price);
            }
            state
                .ids
                .put(&id, entry)
                .await
                .map_err(|e| ids_unavailable(&e.0))?;
        }
        Ok(answer.into_response())
    })
    .await
}

/// The `purpose` of a multipart upload and the price of its `file` part as a batch input
/// file, read from the spool as a stream.
async fn read_upload(
    state: &Proxy,
    content_type: &str,
    body: &Spool,
) -> (Option<String>, Result<BatchPrice, String>) {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return (None, Err("not a multipart upload".into()));
    };
    let mut form = multer::Multipart::new(body.stream(), boundary);
    let mut purpose = None;
    let mut price = Err("no file part".to_string());
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name().unwrap_or("") {
            "purpose" => {
                let mut text = Vec::new();
                while let Ok(Some(chunk)) = field.chunk().await {
                    if text.len() < 64 {
                        text.extend_from_slice(&chunk[..chunk.len().min(64)]);
                    }
                }
                purpose = Some(String::from_utf8_lossy(&text).trim().to_string());
            }
            "file" => {
                let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
                let pricer = Arc::clone(&state.pricer);
                let pricing = tokio::task::spawn_blocking(move || {
                    price::price_jsonl(ChannelReader::new(rx), &pricer)
                });
                let mut feeding = true;
                while let Ok(Some(chunk)) = field.chunk().await {
                    // The parser stops at the first line it cannot read; the rest is skipped.
                    if feeding && tx.send(chunk).await.is_err() {
                        feeding = false;
                    }
                }
                drop(tx);
                price = pricing
                    .await
                    .unwrap_or_else(|_| Err("the file could not be read".into()));
            }
            _ => while let Ok(Some(_)) = field.chunk().await {},
        }
    }
    (purpose, price)
}

/// `GET /v1/files/{id}/content`
async fn content(
    State(state): State<Arc<Proxy>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    guarded(&state, req, |state, req, note| async move {
        let admitted = state.gate.admit(req.headers(), &note).await?;
        let owner = owner(&admitted);
        if !valid_id(&id, "file-") {
            return Err(no_such_file(&id));
        }
        match state.ids.owned_by(&id, &owner).await {
            Ok(Some(_)) => {}
            Ok(None) => return Err(no_such_file(&id)),
            Err(e) => return Err(ids_unavailable(&e.0)),
        }
        let mut ticket = admitted.into_ticket();
        let path = format!("/v1/files/{id}/content");
        let upstream = send(&state, Method::GET, &path, req.headers(), None, &mut ticket).await?;
        Ok(super::relay(&state, upstream, ticket).await)
    })
    .await
}

/// `POST /v1/batches`
async fn create(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    guarded(&state, req, |state, req, note| async move {
        let (parts, body) = req.into_parts();
        let mut admitted = state.gate.admit(&parts.headers, &note).await?;
        let owner = owner(&admitted);
        let spool = admitted.read_body(body).await?;
        let params: Value = (spool.len() <= 1024 * 1024)
            .then(|| spool::to_vec(&spool).ok())
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .filter(Value::is_object)
            .ok_or_else(|| {
                api_error(ApiError::invalid(
                    "invalid_body",
                    None,
                    "We could not parse the JSON body of your request (a batch: input_file_id, \
                     endpoint, completion_window, metadata).",
                ))
            })?;
        let file_id = params["input_file_id"].as_str().unwrap_or("").to_string();
        let endpoint = params["endpoint"].as_str().unwrap_or("").to_string();
        if !valid_id(&file_id, "file-") {
            return Err(no_such_file(&file_id));
        }
        let file = match state.ids.owned_by(&file_id, &owner).await {
            Ok(Some(file)) => file,
            Ok(None) => return Err(no_such_file(&file_id)),
            Err(e) => return Err(ids_unavailable(&e.0)),
        };
        if admitted.budgeted() {
            let price = match file.price {
                None => {
                    return Err(bad_batch(
                        "batch_not_priced",
                        format!(
                            "File {file_id} was not uploaded through this server with purpose \
                             'batch', so its cost cannot be counted against the budget."
                        ),
                    ))
                }
                Some(Err(why)) => {
                    return Err(bad_batch(
                        "batch_not_priced",
                        format!(
                            "This server cannot price file {file_id} against the budget: {why}."
                        ),
                    ))
                }
                Some(Ok(price)) => price,
            };
            if price.url.as_deref() != Some(endpoint.as_str()) {
                return Err(bad_batch(
                    "mismatched_endpoint",
                    format!(
                        "Every line of file {file_id} must go to the batch's endpoint \
                         {endpoint:?}; nothing was created."
                    ),
                ));
            }
            admitted.reserve(price.micros).await?;
        }
        let mut ticket = admitted.into_ticket();
        let reserved = ticket
            .as_ref()
            .map(|t| t.charges().to_vec())
            .unwrap_or_default();
        let upstream = send(
            &state,
            Method::POST,
            "/v1/batches",
            &parts.headers,
            Some(&spool),
            &mut ticket,
        )
        .await?;
        let answer = match Answer::read(&state, upstream).await {
            Ok(answer) => answer,
            Err(response) => {
                // Cut off: the batch may exist; its reservation stays charged.
                finish(ticket, None).await;
                return Err(response);
            }
        };
        let batch_id = answer
            .json()
            .and_then(|v| v["id"].as_str().map(str::to_string));
        match batch_id {
            Some(batch_id) => {
                let mut entry = Owned::new(&owner);
                entry.reserved = reserved;
                finish(ticket, None).await;
                state
                    .ids
                    .put(&batch_id, entry)
                    .await
                    .map_err(|e| ids_unavailable(&e.0))?;
            }
            // Refused upstream: nothing runs, the reservation comes back.
            None => finish(ticket, Some(0)).await,
        }
        Ok(answer.into_response())
    })
    .await
}

/// `GET /v1/batches/{id}`: also records its output and error files for the token, and gives
/// back the reservation of a batch that failed validation.
async fn retrieve(
    State(state): State<Arc<Proxy>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    batch_call(state, id, req, Method::GET, false).await
}

/// `POST /v1/batches/{id}/cancel`
async fn cancel(State(state): State<Arc<Proxy>>, Path(id): Path<String>, req: Request) -> Response {
    batch_call(state, id, req, Method::POST, true).await
}

async fn batch_call(
    state: Arc<Proxy>,
    id: String,
    req: Request,
    method: Method,
    cancel: bool,
) -> Response {
    guarded(&state, req, |state, req, note| async move {
        let admitted = state.gate.admit(req.headers(), &note).await?;
        let owner = owner(&admitted);
        if !valid_id(&id, "batch_") {
            return Err(no_such_batch(&id));
        }
        let entry = match state.ids.owned_by(&id, &owner).await {
            Ok(Some(entry)) => entry,
            Ok(None) => return Err(no_such_batch(&id)),
            Err(e) => return Err(ids_unavailable(&e.0)),
        };
        let mut ticket = admitted.into_ticket();
        let (path, body) = if cancel {
            (
                format!("/v1/batches/{id}/cancel"),
                Some(Spool::from_bytes(Bytes::new())),
            )
        } else {
            (format!("/v1/batches/{id}"), None)
        };
        let upstream = send(
            &state,
            method,
            &path,
            req.headers(),
            body.as_ref(),
            &mut ticket,
        )
        .await?;
        let answer = Answer::read(&state, upstream).await;
        finish(ticket, None).await;
        let answer = answer?;
        if let Some(batch) = answer.json() {
            for key in ["output_file_id", "error_file_id"] {
                if let Some(file) = batch[key].as_str().filter(|f| valid_id(f, "file-")) {
                    state
                        .ids
                        .claim(file, &owner)
                        .await
                        .map_err(|e| ids_unavailable(&e.0))?;
                }
            }
            if batch["status"] == "failed" && !entry.reserved.is_empty() {
                // Validation failed: nothing ran, nothing is billed.
                state.gate.counters().refund(&entry.reserved).await;
                let mut settled = entry;
                settled.reserved.clear();
                state
                    .ids
                    .put(&id, settled)
                    .await
                    .map_err(|e| ids_unavailable(&e.0))?;
            }
        }
        Ok(answer.into_response())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_before_they_reach_a_path() {
        assert!(valid_id("file-abc_DEF-123", "file-"));
        assert!(valid_id("batch_6789", "batch_"));
        for bad in [
            "file-",
            "file-../x",
            "file-a/b",
            "batch_1",
            "file-a?x=1",
            "file-%2e",
        ] {
            assert!(!valid_id(bad, "file-"), "{bad}");
        }
        assert!(!valid_id(&format!("file-{}", "a".repeat(129)), "file-"));
    }
}
