//! The fake Batch API for images (reference §18): `POST /v1/batches` (`input_file_id`,
//! `endpoint` `/v1/images/generations` or `/v1/images/edits`, `completion_window: "24h"`,
//! optional `metadata`), `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`.
//!
//! A batch goes `validating` → `in_progress` → `finalizing` → `completed` in
//! `--fake-batch-seconds` (default 5): a tenth validating, eight tenths running its lines one
//! after another (`request_counts` grows as they finish), a tenth finalizing. An input file
//! with a bad line fails validation (`failed`, `errors.data[]` naming each line). Output and
//! error files are written in OpenAI's line format with `usage` ([`run`]). Faults: a
//! `batch_expired` (`done=<n>`) or `batch_failed` spec in the `x-fake-fault` header of the
//! create request or in a `[[fault:…]]` marker of any line's prompt; an error fault marker in
//! one line's prompt (`moderation`, `server_error`, …) fails that line alone.

pub mod lines;
pub mod run;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use tokio::sync::Notify;

use super::faults::{self, FaultSpec};
use super::files::{self, FileStore};
use super::params::Endpoint;
use super::FakeState;
use crate::config::Config;
use crate::errors::ApiError;

/// One batch's state, as `GET /v1/batches/{id}` shows it.
#[derive(Debug, Clone)]
pub struct BatchRecord {
    /// `batch_…`.
    pub id: String,
    /// Where its lines go.
    pub endpoint: Endpoint,
    /// The input file.
    pub input_file_id: String,
    /// The status name.
    pub status: &'static str,
    /// Unix seconds of each status change (`created_at`, `in_progress_at`, …).
    pub times: Vec<(&'static str, u64)>,
    /// `(total, completed, failed)`.
    pub counts: (u64, u64, u64),
    /// Validation errors (`failed`).
    pub errors: Option<Vec<Value>>,
    /// The output file, once written.
    pub output_file_id: Option<String>,
    /// The error file, once written.
    pub error_file_id: Option<String>,
    /// The metadata given at creation.
    pub metadata: Option<Map<String, Value>>,
}

impl BatchRecord {
    /// The batch object of the API.
    pub fn to_json(&self) -> Value {
        let time = |key: &str| {
            self.times
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, t)| *t)
        };
        let created = time("created_at").unwrap_or(0);
        let mut object = json!({
            "id": self.id,
            "object": "batch",
            "endpoint": endpoint_path(self.endpoint),
            "errors": self.errors.as_ref().map(|data| json!({"object": "list", "data": data})),
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": created,
            "expires_at": created + 86_400,
            "request_counts": {"total": self.counts.0, "completed": self.counts.1, "failed": self.counts.2},
            "metadata": self.metadata,
        });
        for key in [
            "in_progress_at",
            "finalizing_at",
            "completed_at",
            "failed_at",
            "expired_at",
            "cancelling_at",
            "cancelled_at",
        ] {
            object[key] = json!(time(key));
        }
        object
    }

    /// Moves to `status`, stamping `<status>_at`.
    pub fn set(&mut self, status: &'static str) {
        self.status = status;
        let key = match status {
            "in_progress" => "in_progress_at",
            "finalizing" => "finalizing_at",
            "completed" => "completed_at",
            "failed" => "failed_at",
            "expired" => "expired_at",
            "cancelling" => "cancelling_at",
            "cancelled" => "cancelled_at",
            _ => return,
        };
        self.times.push((key, crate::clock::unix_seconds()));
    }
}

/// The endpoint's path.
pub fn endpoint_path(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Generations => "/v1/images/generations",
        Endpoint::Edits => "/v1/images/edits",
    }
}

/// A batch and the signal that cancels it.
#[derive(Debug)]
pub struct Entry {
    /// Its state.
    pub record: Mutex<BatchRecord>,
    /// Notified by `cancel`.
    pub cancel: Notify,
}

impl Entry {
    /// A copy of its state.
    pub fn snapshot(&self) -> BatchRecord {
        self.record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes its state.
    pub fn update<T>(&self, change: impl FnOnce(&mut BatchRecord) -> T) -> T {
        change(&mut self.record.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The fake's batches.
#[derive(Debug)]
pub struct Batches {
    /// The files they read and write.
    pub files: Arc<FileStore>,
    /// The image fake (render, journal).
    pub fake: Arc<FakeState>,
    /// From creation to completion.
    pub duration: Duration,
    batches: Mutex<HashMap<String, Arc<Entry>>>,
}

impl Batches {
    fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

/// The Files and Batches routes.
pub fn routes(fake: &Arc<FakeState>, config: &Config) -> Router {
    let files = Arc::new(FileStore::new(config.max_file_bytes, config.body_timeout));
    let batches = Arc::new(Batches {
        files: Arc::clone(&files),
        fake: Arc::clone(fake),
        duration: config.fake_batch,
        batches: Mutex::default(),
    });
    let file_routes = Router::new()
        .route(
            "/v1/files",
            post(files::upload).fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/files/{id}/content",
            get(files::content).fallback(crate::app::api_not_found),
        )
        .with_state(files);
    let batch_routes = Router::new()
        .route(
            "/v1/batches",
            post(create).fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/batches/{id}",
            get(retrieve).fallback(crate::app::api_not_found),
        )
        .route(
            "/v1/batches/{id}/cancel",
            post(cancel).fallback(crate::app::api_not_found),
        )
        .with_state(batches);
    file_routes.merge(batch_routes)
}

/// `POST /v1/batches`
async fn create(State(batches): State<Arc<Batches>>, req: Request) -> Response {
    let fault = req
        .headers()
        .get("x-fake-fault")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::invalid(
                "invalid_body",
                None,
                "The request body is not a batch (at most 64 KB of JSON).",
            )
            .into_response()
        }
    };
    let fault = match fault.as_deref().map(FaultSpec::parse).transpose() {
        Ok(spec) => spec,
        Err(why) => {
            return ApiError::invalid(
                "invalid_fault_spec",
                Some("x-fake-fault"),
                format!("Invalid fault spec: {why}."),
            )
            .into_response()
        }
    };
    match check_create(&batches, &body) {
        Ok((endpoint, input_file_id, metadata)) => {
            let record = BatchRecord {
                id: files::new_id("batch_"),
                endpoint,
                input_file_id,
                status: "validating",
                times: vec![("created_at", crate::clock::unix_seconds())],
                counts: (0, 0, 0),
                errors: None,
                output_file_id: None,
                error_file_id: None,
                metadata,
            };
            let object = record.to_json();
            let entry = Arc::new(Entry {
                record: Mutex::new(record),
                cancel: Notify::new(),
            });
            batches
                .batches
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(entry.snapshot().id, Arc::clone(&entry));
            tokio::spawn(run::run(Arc::clone(&batches), entry, fault));
            Json(object).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// What a valid create request asks for: `(endpoint, input_file_id, metadata)`.
type CreateAsk = (Endpoint, String, Option<Map<String, Value>>);

/// Checks the create request.
fn check_create(batches: &Batches, body: &[u8]) -> Result<CreateAsk, ApiError> {
    let Ok(Value::Object(mut params)) = serde_json::from_slice::<Value>(body) else {
        return Err(ApiError::invalid(
            "invalid_body",
            None,
            "We could not parse the JSON body of your request.",
        ));
    };
    if let Some(extra) = params.keys().find(|k| {
        !["input_file_id", "endpoint", "completion_window", "metadata"].contains(&k.as_str())
    }) {
        return Err(ApiError::unknown_parameter(extra));
    }
    let text = |params: &Map<String, Value>, key: &str| match params.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(ApiError::invalid_type(key, "a string", other)),
        None => Err(ApiError::missing(key)),
    };
    let endpoint = match text(&params, "endpoint")?.as_str() {
        "/v1/images/generations" => Endpoint::Generations,
        "/v1/images/edits" => Endpoint::Edits,
        other => {
            return Err(ApiError::invalid_value(
                "endpoint",
                format!(
                    "Invalid value: '{other}'. This server's batches run '/v1/images/generations' \
                     or '/v1/images/edits'."
                ),
            ))
        }
    };
    let window = text(&params, "completion_window")?;
    if window != "24h" {
        return Err(ApiError::invalid_value(
            "completion_window",
            format!("Invalid value: '{window}'. Supported values are: '24h'."),
        ));
    }
    let input_file_id = text(&params, "input_file_id")?;
    let file = batches
        .files
        .get(&input_file_id)
        .ok_or_else(|| files::no_such_file(&input_file_id))?;
    if file.purpose != "batch" {
        return Err(ApiError::invalid_value(
            "input_file_id",
            format!(
                "File {input_file_id} has purpose '{}'; a batch's input file must be uploaded \
                 with purpose 'batch'.",
                file.purpose
            ),
        ));
    }
    let metadata = match params.remove("metadata") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            let fits = map.len() <= 16
                && map.iter().all(|(k, v)| {
                    k.chars().count() <= 64 && v.as_str().is_some_and(|s| s.chars().count() <= 512)
                });
            if !fits {
                return Err(ApiError::invalid_value(
                    "metadata",
                    "metadata takes at most 16 pairs of a key (up to 64 characters) and a string \
                     value (up to 512 characters).",
                ));
            }
            Some(map)
        }
        Some(other) => return Err(ApiError::invalid_type("metadata", "an object", &other)),
    };
    Ok((endpoint, input_file_id, metadata))
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

/// `GET /v1/batches/{id}`
async fn retrieve(State(batches): State<Arc<Batches>>, Path(id): Path<String>) -> Response {
    match batches.get(&id) {
        Some(entry) => Json(entry.snapshot().to_json()).into_response(),
        None => no_such_batch(&id),
    }
}

/// `POST /v1/batches/{id}/cancel`: `cancelling` at once, `cancelled` once the running line
/// has finished; a finished batch cannot be cancelled (409).
async fn cancel(State(batches): State<Arc<Batches>>, Path(id): Path<String>) -> Response {
    let Some(entry) = batches.get(&id) else {
        return no_such_batch(&id);
    };
    let refused = entry.update(|record| match record.status {
        "validating" | "in_progress" | "finalizing" => {
            record.set("cancelling");
            None
        }
        "cancelling" => None,
        other => Some(other),
    });
    if let Some(status) = refused {
        return ApiError::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            None,
            None,
            format!("Cannot cancel a batch with status '{status}'."),
        )
        .into_response();
    }
    entry.cancel.notify_one();
    Json(entry.snapshot().to_json()).into_response()
}

/// The batch-level fault of a file's lines: the first `[[fault:batch_…]]` marker in a prompt.
pub fn fault_in_lines(lines: &[lines::Line]) -> Option<FaultSpec> {
    lines.iter().find_map(|line| {
        let prompt = line.body.get("prompt")?.as_str()?;
        let spec = FaultSpec::parse(faults::marker_in_prompt(prompt)?).ok()?;
        spec.kind.is_batch_level().then_some(spec)
    })
}
