//! `POST /v1/responses` in the fake: text calls with Structured Outputs (reference §18), as
//! the app's brief planner, "Describe from images" and result checks make them. The body is
//! read within the image routes' limit, validated as the real endpoint does ([`validate`]),
//! answered deterministically ([`answers`]) in OpenAI's shape (`output[]` message with an
//! `output_text`, `usage`, `status`, `incomplete_details` when `max_output_tokens` cuts the
//! answer) after the configured latency, and journalled (endpoint `responses`, image data
//! URLs replaced by their size and hash).
//!
//! Faults as for images (the `x-fake-fault` header or a `[[fault:…]]` marker in any input
//! text): the error faults answer as they do there; `stall`, `truncated_json` likewise;
//! `schema_break` answers JSON that breaks the request's schema and `refusal` a refusal.
//! `concurrency_limit`, `stream_cut`, `bad_image` and the batch faults have no effect here (the
//! answer is normal), and a `stall` without `ms=` answers after an hour.

pub mod answers;
pub mod rendered;
pub mod validate;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::faults::{self, FaultKind, FaultSpec};
use super::journal::{FileInfo, RequestRecord};
use super::params::Upload;
use super::{fault_responses, FakeState, RequestId, RequestStart};
use crate::errors::ApiError;
use validate::TextCall;

/// Input tokens an image counts for in the fake's `usage` (a high-detail 512² tile and base).
const TOKENS_PER_IMAGE: u64 = 255;

/// Request facts kept for the journal.
struct Facts {
    content_type: Option<String>,
    authorization_present: bool,
}

/// `POST /v1/responses`.
pub async fn responses(State(state): State<Arc<FakeState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let start = parts
        .extensions
        .get::<RequestStart>()
        .map_or_else(Instant::now, |s| s.0);
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map_or_else(String::new, |id| id.0.clone());
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let facts = Facts {
        content_type: header("content-type"),
        authorization_present: parts.headers.contains_key(header::AUTHORIZATION),
    };
    let fault_header = header("x-fake-fault");
    let declared = header("content-length").and_then(|v| v.parse::<u64>().ok());
    let limit = state.max_body_bytes;
    let memory = match state
        .body_memory(declared.map_or(limit, |len| (len as usize).min(limit)))
        .await
    {
        Ok(permit) => permit,
        Err(err) => {
            return finish(
                &state,
                &facts,
                Map::new(),
                vec![],
                err.into_response(),
                None,
            )
        }
    };
    let read = super::handler::read_limited(body, limit, declared);
    let body = match tokio::time::timeout(state.body_timeout, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(err)) => {
            return finish(
                &state,
                &facts,
                Map::new(),
                vec![],
                err.into_response(),
                None,
            )
        }
        Err(_) => {
            let err = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "invalid_request_error",
                Some("request_timeout"),
                None,
                "The request body did not arrive in time: the client sent it too slowly.",
            );
            return finish(
                &state,
                &facts,
                Map::new(),
                vec![],
                err.into_response(),
                None,
            );
        }
    };
    let json_body = facts
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    if !json_body {
        let err = ApiError::invalid(
            "unsupported_content_type",
            None,
            "Invalid Content-Type header; expected application/json.",
        );
        return finish(
            &state,
            &facts,
            Map::new(),
            vec![],
            err.into_response(),
            None,
        );
    }
    let checked = tokio::task::spawn_blocking(move || {
        let (params, files) = journal_view(&body);
        (validate::validate(&body), params, files)
    })
    .await;
    let Ok((call, params, files)) = checked else {
        let err = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            None,
            "The fake failed while reading the request.",
        );
        return finish(
            &state,
            &facts,
            Map::new(),
            vec![],
            err.into_response(),
            None,
        );
    };
    drop(memory);
    let call = match call {
        Ok(call) => call,
        Err(err) => return finish(&state, &facts, params, files, err.into_response(), None),
    };
    // The header wins over a marker in the input text.
    let spec_text = fault_header.or_else(|| {
        call.texts
            .iter()
            .find_map(|t| faults::marker_in_prompt(t))
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
            return finish(&state, &facts, params, files, err.into_response(), None);
        }
    };
    let active = spec.filter(|s| {
        let attempt = state
            .attempts
            .next_attempt("responses", &s.raw, &call.texts.join("\n"));
        s.times.is_none_or(|times| attempt <= times)
    });
    if let Some(spec) = &active {
        if let Some(response) = fault_responses::error_response(spec, &call.model, &request_id) {
            return finish(&state, &facts, params, files, response, Some(spec.kind));
        }
        if spec.kind == FaultKind::Stall {
            // Without `ms=` the answer comes after an hour (the image routes' cap).
            let ms = spec.stall_ms.unwrap_or(3_600_000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
    let fault = active.as_ref().map(|s| s.kind);
    let answer = match fault {
        Some(FaultKind::SchemaBreak) => answers::schema_breaking(call.schema_name.as_deref()),
        _ => answers::answer(&call, &state.rendered),
    };
    let body = response_body(&call, &answer, fault == Some(FaultKind::Refusal));
    tokio::time::sleep_until(start + state.latency).await;
    let full = Bytes::from(body.to_string());
    let bytes = if fault == Some(FaultKind::TruncatedJson) {
        full.slice(..full.len() / 2)
    } else {
        full
    };
    let mut response = Response::new(axum::body::Body::from(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    finish(&state, &facts, params, files, response, fault)
}

/// Journals the request and returns `response`.
fn finish(
    state: &FakeState,
    facts: &Facts,
    params: Map<String, Value>,
    images: Vec<FileInfo>,
    response: Response,
    fault: Option<FaultKind>,
) -> Response {
    let record = RequestRecord {
        endpoint: "responses",
        content_type: facts.content_type.clone(),
        authorization_present: facts.authorization_present,
        params,
        images,
        mask: None,
        markup: None,
    };
    state.journal.record(
        record,
        Some(response.status().as_u16()),
        fault.map(FaultKind::name),
    );
    response
}

/// The body's fields for the journal, each image data URL replaced by `data:<mime>;base64,…`
/// with its size, and the decoded images described (hash, size, dimensions).
fn journal_view(body: &[u8]) -> (Map<String, Value>, Vec<FileInfo>) {
    let Ok(Value::Object(mut params)) = serde_json::from_slice::<Value>(body) else {
        return (Map::new(), Vec::new());
    };
    let mut files = Vec::new();
    if let Some(items) = params.get_mut("input").and_then(Value::as_array_mut) {
        let parts = items
            .iter_mut()
            .filter_map(|item| item.get_mut("content").and_then(Value::as_array_mut))
            .flatten();
        for part in parts {
            let Some(Value::String(url)) = part.get_mut("image_url") else {
                continue;
            };
            let Some((meta, data)) = url.strip_prefix("data:").and_then(|r| r.split_once(','))
            else {
                continue;
            };
            use base64::Engine as _;
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) {
                files.push(FileInfo::describe(&Upload {
                    field: "input_image".into(),
                    filename: None,
                    content_type: meta.strip_suffix(";base64").map(str::to_string),
                    data: Bytes::from(bytes),
                }));
            }
            *url = format!("data:{meta},… ({} characters)", data.len());
        }
    }
    (params, files)
}

/// OpenAI's Responses object for `answer`, with `usage`; cut to `max_output_tokens` (status
/// `incomplete`) when the answer is longer.
fn response_body(call: &TextCall, answer: &Value, refuse: bool) -> Value {
    let text = answer.to_string();
    let input_bytes: usize = call.texts.iter().map(String::len).sum::<usize>()
        + call.schema.as_ref().map_or(0, |s| s.to_string().len());
    let input_tokens =
        (input_bytes as u64).div_ceil(4) + TOKENS_PER_IMAGE * call.images.len() as u64;
    let mut output_tokens = (text.len() as u64).div_ceil(4);
    let (content, status, incomplete) = if refuse {
        let refusal = "I'm sorry, I can't help with that request.";
        output_tokens = (refusal.len() as u64).div_ceil(4);
        (
            json!({"type": "refusal", "refusal": refusal}),
            "completed",
            Value::Null,
        )
    } else {
        match call.max_output_tokens {
            Some(cap) if output_tokens > cap => {
                let cut: String = text.chars().take((cap * 4) as usize).collect();
                output_tokens = cap;
                (
                    json!({"type": "output_text", "text": cut, "annotations": []}),
                    "incomplete",
                    json!({"reason": "max_output_tokens"}),
                )
            }
            _ => (
                json!({"type": "output_text", "text": text, "annotations": []}),
                "completed",
                Value::Null,
            ),
        }
    };
    let id = super::new_request_id().replace("req_", "");
    let format = call.schema_name.as_ref().map_or_else(
        || json!({"type": "text"}),
        |name| json!({"type": "json_schema", "name": name, "schema": call.schema, "strict": true}),
    );
    json!({
        "id": format!("resp_{id}"),
        "object": "response",
        "created_at": crate::clock::unix_seconds(),
        "status": status,
        "error": null,
        "incomplete_details": incomplete,
        "model": call.model,
        "output": [{
            "type": "message",
            "id": format!("msg_{id}"),
            "status": status,
            "role": "assistant",
            "content": [content],
        }],
        "max_output_tokens": call.max_output_tokens,
        "text": {"format": format},
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    })
}
