//! Reading a lost request's answer back from `continuity-server` by its job id
//! (`GET /v1/continuity/jobs/{id}`, [`continuity_core::openai::jobs`]), with the same
//! credential as the request. The HTTP is [`crate::web::http`]'s; the rules are core's.

use crate::app::client::{decode, Image};
use crate::web::http::Call;
use crate::web::image_body::read_answer;
use continuity_core::failure::{classify, user_message, BodyKind, Observation, RetryAfter};
use continuity_core::openai::jobs::{job_info, job_reply, JobId, JobReply, JOB_STATUS_HEADER};
use continuity_core::openai::response::ResponseMeta;
use continuity_core::openai::types::{parse_error_envelope, Usage};
use continuity_core::settings::Endpoint;

/// How long one question may take.
const JOB_TIMEOUT_MS: u64 = 60_000;

/// What the server says about a job.
pub enum JobAnswer {
    /// The images were made (and paid for): they, their usage and request id.
    Done {
        /// The images.
        images: Vec<Image>,
        /// Token usage.
        usage: Option<Usage>,
        /// The endpoint's `x-request-id`.
        request_id: Option<String>,
    },
    /// The endpoint refused the request (not billed unless it says so).
    Refused {
        /// What happened, in the app's words.
        message: String,
        /// Whether the refusal may still have been billed (an output moderation block).
        may_be_billed: bool,
        /// The endpoint's `x-request-id`.
        request_id: Option<String>,
    },
    /// Still being answered: ask again after this many milliseconds.
    Running {
        /// The server's `retry-after`, or a default.
        retry_after_ms: u64,
    },
    /// The server does not know it (never seen with this credential, expired, evicted).
    Unknown,
    /// The server could not be asked (offline, an unreadable answer): ask again later.
    Unreachable,
}

/// Asks `endpoint` for job `job`; `model` and `format` read a done answer as the request did.
pub async fn read_job(endpoint: &Endpoint, job: &str, model: &str, format: &str) -> JobAnswer {
    let Ok(id) = JobId::parse(job) else {
        return JobAnswer::Unknown;
    };
    let url = endpoint.url(id.path().trim_start_matches("/v1"));
    let Ok(mut call) = Call::get(
        &url,
        endpoint.bearer.as_deref(),
        &endpoint.extra_headers(),
        JOB_TIMEOUT_MS,
    )
    .await
    else {
        return JobAnswer::Unreachable;
    };
    let info = call.info();
    let status_header = call.header(JOB_STATUS_HEADER);
    let Ok(text) = call.text().await else {
        return JobAnswer::Unreachable;
    };
    if !(200..300).contains(&info.status) || info.status == 202 {
        // Small bodies: a refusal's envelope, "running", "unknown".
        let body = String::from(text);
        let job = job_info(&body);
        return match job_reply(info.status, status_header.as_deref(), job.as_ref()) {
            JobReply::Running => JobAnswer::Running {
                retry_after_ms: info
                    .retry_after
                    .as_deref()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .map_or(2_000, |s| s.clamp(1, 60) * 1000),
            },
            JobReply::Unknown => JobAnswer::Unknown,
            JobReply::Done {
                http_status,
                request_id,
            } => {
                let error = parse_error_envelope(&body);
                let api_message = error.as_ref().map(|e| e.message.clone());
                let classification = classify(&Observation::Http {
                    status: http_status,
                    error,
                    retry_after: RetryAfter { ms: None },
                    should_retry: None,
                    body: BodyKind::Json,
                });
                JobAnswer::Refused {
                    message: user_message(&classification, model, api_message.as_deref()),
                    may_be_billed: classification.may_be_billed,
                    request_id,
                }
            }
        };
    }
    let Ok(answer) = read_answer(&text) else {
        return JobAnswer::Unreachable;
    };
    drop(text);
    let meta = answer.meta_json.as_deref();
    let request_id = meta
        .and_then(job_info)
        .and_then(|j| j.request_id)
        .or(info.request_id);
    let usage = meta
        .and_then(|m| ResponseMeta::parse(m).ok())
        .and_then(|m| m.usage);
    let mut images = Vec::new();
    for b64 in &answer.images {
        match decode(b64, format).await {
            Ok(image) => images.push(image),
            Err(_) => return JobAnswer::Unreachable,
        }
    }
    JobAnswer::Done {
        images,
        usage,
        request_id,
    }
}
