//! `GET /v1/continuity/jobs/{id}`: a job read back by its owner. Done: the endpoint's answer
//! (its status; `continuity_job` added to a JSON body). Running: 202 with `retry-after`.
//! Unknown (never sent by this owner, expired, evicted, or another owner's): 404
//! `job_not_found`. Every answer carries `X-Continuity-Job-Status`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use continuity_core::openai::jobs::{JobId, JobInfo, JobStatus};
use serde_json::json;

use super::record::status_header;
use super::{Found, Jobs, Owner, Owners};
use crate::errors::ApiError;

/// Fake mode's job route: the owner is the request's `Authorization` (see [`Owners`]).
#[derive(Debug)]
pub struct FakeJobRoute {
    /// Where jobs are kept.
    pub jobs: Arc<Jobs>,
}

/// `GET /v1/continuity/jobs/{id}` in fake mode.
pub async fn read_fake(
    State(route): State<Arc<FakeJobRoute>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let owner = Owners::Credential
        .owner_of(req.headers())
        .unwrap_or_else(Owner::anonymous);
    answer(&route.jobs, &owner, &id).await
}

/// The answer for `owner`'s job `id_text`.
pub async fn answer(jobs: &Jobs, owner: &Owner, id_text: &str) -> Response {
    let id = match JobId::parse(id_text) {
        Ok(id) => id,
        Err(why) => {
            return ApiError::invalid("invalid_job_id", None, format!("Not a job id: {why}."))
                .into_response()
        }
    };
    let mut response = match jobs.read(owner, &id).await {
        Ok(Found::Done(record)) => return record.answer(&id, jobs.ttl().as_secs()),
        Ok(Found::Running) => {
            let info = JobInfo {
                id: id.to_string(),
                status: JobStatus::Running,
                endpoint: None,
                stream: false,
                http_status: None,
                request_id: None,
                finished_at: None,
                expires_at: None,
            };
            let mut r = (
                StatusCode::ACCEPTED,
                [(header::CONTENT_TYPE, "application/json")],
                json!({ "continuity_job": info }).to_string(),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            status_header(&mut r, JobStatus::Running);
            return r;
        }
        Ok(Found::Unknown) => {
            let mut body = ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("job_not_found"),
                None,
                format!(
                    "No job {id} is known for this token: it was not sent through this server \
                     with this token, or it finished longer ago than the server keeps jobs (24 \
                     hours), or the job store's size limit evicted it. Whether it was billed is \
                     unknown."
                ),
            )
            .body();
            body["continuity_job"] = json!({"id": id.to_string(), "status": "unknown"});
            let mut r = (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response();
            status_header(&mut r, JobStatus::Unknown);
            return r;
        }
        Err(e) => {
            let label = || "jobs: read failed".to_string();
            crate::log::sampled_line("jobs-read-failed", label, || format!("jobs: {}", e.0));
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("jobs_unavailable"),
                None,
                "This server cannot read its job store right now; ask again shortly.",
            )
            .into_response()
        }
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    response
}
