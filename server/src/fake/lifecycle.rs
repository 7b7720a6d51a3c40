//! `GET /v1/models` and `GET /v1/models/{id}` (reference §18, lifecycle): every model the fake
//! accepts, with `shutdown_date` (`YYYY-MM-DD` once announced, else `null`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::models::MODELS;
use crate::errors::ApiError;

/// Announced shutdowns (reference §18, OpenAI's deprecations page): gpt-image-1-mini,
/// gpt-image-1.5 (and its snapshot) and chatgpt-image-latest on 2026-12-01.
const SHUTDOWNS: &[(&str, &str)] = &[
    ("gpt-image-1.5", "2026-12-01"),
    ("gpt-image-1.5-2025-12-16", "2026-12-01"),
    ("gpt-image-1-mini", "2026-12-01"),
    ("chatgpt-image-latest", "2026-12-01"),
];

/// Release dates the reference gives (snapshot suffixes and §18), as Unix seconds at UTC
/// midnight; 0 where it gives none.
fn created(id: &str) -> u64 {
    let day = if id.starts_with("gpt-image-2.6") {
        "2026-11-04"
    } else if id.starts_with("gpt-image-2.5") {
        "2026-09-08"
    } else if id.starts_with("gpt-image-2") {
        "2026-04-21"
    } else if id.starts_with("gpt-image-1.5") {
        "2025-12-16"
    } else {
        return 0;
    };
    continuity_core::catalogue::day_number(day).map_or(0, |d| d as u64 * 86_400)
}

/// The model object of `id`.
fn model(id: &str) -> Value {
    json!({
        "id": id,
        "object": "model",
        "created": created(id),
        "owned_by": "system",
        "shutdown_date": SHUTDOWNS.iter().find(|(m, _)| *m == id).map(|(_, d)| *d),
    })
}

/// `GET /v1/models`
pub async fn list() -> Response {
    let data: Vec<Value> = MODELS.iter().map(|(id, _)| model(id)).collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

/// `GET /v1/models/{id}`
pub async fn one(Path(id): Path<String>) -> Response {
    if MODELS.iter().any(|(m, _)| *m == id) {
        return Json(model(&id)).into_response();
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("model_not_found"),
        Some("model"),
        super::models::not_found_message(&id),
    )
    .into_response()
}
