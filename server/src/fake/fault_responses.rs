//! The responses of the error faults: status, headers and body shaped like the real API.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::faults::{FaultKind, FaultSpec, Stage};
use crate::errors::ApiError;

/// The response of a fault that answers with an error before any generation, or `None` for
/// faults that act on a successful answer (stall, stream_cut, truncated_json, bad_image, echo)
/// or only under load (concurrency_limit, see [`concurrency_limited`]).
pub fn error_response(spec: &FaultSpec, model: &str, request_id: &str) -> Option<Response> {
    let err = match spec.kind {
        FaultKind::RateLimit => return Some(rate_limit(spec, model, 5, "images per min (IPM)")),
        FaultKind::HtmlError => return Some(html_error(spec.status)),
        FaultKind::InsufficientQuota => {
            let code = spec.code.as_deref().unwrap_or("insufficient_quota");
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "insufficient_quota",
                Some(code),
                None,
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, read the docs: \
                 https://platform.openai.com/docs/guides/error-codes/api-errors.",
            )
        }
        FaultKind::Moderation => {
            let stage = match spec.stage {
                Stage::Input => "input",
                Stage::Output => "output",
            };
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "image_generation_user_error",
                Some("moderation_blocked"),
                None,
                format!(
                    "Your request was rejected by the safety system. If you believe this is an \
                     error, contact us at help.openai.com and include the request ID {request_id}. \
                     safety_violations=[{}].",
                    spec.categories.join(", ")
                ),
            )
            .with_extra(
                "moderation_details",
                json!({"moderation_stage": stage, "categories": spec.categories}),
            )
        }
        FaultKind::OrgVerification => ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            None,
            None,
            format!(
                "Your organization must be verified to use the model `{model}`. Please go to: \
                 https://platform.openai.com/settings/organization/general and click on Verify \
                 Organization. If you just verified, it can take up to 15 minutes for access to \
                 propagate."
            ),
        ),
        // Deliberately does not echo any part of the key (the real API shows a masked one).
        FaultKind::InvalidKey => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            None,
            "Incorrect API key provided. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
        ),
        FaultKind::ModelNotFound => ApiError::model_not_found(format!(
            "The model `{model}` does not exist or you do not have access to it."
        )),
        FaultKind::ServerError => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            None,
            format!(
                "The server had an error while processing your request. Sorry about that! \
                 You can retry your request, or contact us through our help center at \
                 help.openai.com if the error persists. (Please include the request ID \
                 {request_id} in your message.)"
            ),
        ),
        FaultKind::Overloaded => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("server_is_overloaded"),
            None,
            "The server is overloaded or not ready yet.",
        ),
        FaultKind::Stall
        | FaultKind::StreamCut
        | FaultKind::TruncatedJson
        | FaultKind::BadImage
        | FaultKind::Echo
        | FaultKind::ConcurrencyLimit
        | FaultKind::BatchExpired
        | FaultKind::BatchFailed
        | FaultKind::SchemaBreak
        | FaultKind::Refusal => return None,
    };
    Some(err.into_response())
}

/// The 429 of a `concurrency_limit` fault for a request beyond `max=` in flight: the API's
/// rate-limit answer (type `requests`, code `rate_limit_exceeded`, `retry-after`,
/// `x-ratelimit-*`), counted on requests in flight.
pub fn concurrency_limited(spec: &FaultSpec, model: &str) -> Response {
    rate_limit(spec, model, spec.max_concurrent, "requests in flight")
}

/// A 429 `rate_limit_exceeded` whose limit is `limit` `what`.
fn rate_limit(spec: &FaultSpec, model: &str, limit: u32, what: &str) -> Response {
    let wait = match spec.retry_after_ms {
        Some(ms) => format!("{ms}ms"),
        None => format!("{}s", spec.retry_after),
    };
    let err = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "requests",
        Some("rate_limit_exceeded"),
        None,
        format!(
            "Rate limit reached for {model} in organization org-fake on {what}: \
             Limit {limit}, Used {limit}, Requested 1. Please try again in {wait}. Visit \
             https://platform.openai.com/account/rate-limits to learn more."
        ),
    );
    let mut response = err.into_response();
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("retry-after", spec.retry_after.to_string());
    if let Some(ms) = spec.retry_after_ms {
        set("retry-after-ms", ms.to_string());
    }
    set("x-ratelimit-limit-requests", limit.to_string());
    set("x-ratelimit-remaining-requests", "0".into());
    set("x-ratelimit-reset-requests", wait);
    response
}

/// A CDN or portal page instead of the API's answer: a Cloudflare-like error page for an
/// error status, a network sign-in page for a 2xx (what captive portals and some proxies send).
fn html_error(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let page = if code.is_success() {
        "<!DOCTYPE html>\r\n<html>\r\n<head><title>Sign in to the network</title></head>\r\n\
         <body>\r\n<h1>Sign in to continue</h1>\r\n<p>Accept the terms of use to reach the \
         internet.</p>\r\n</body>\r\n</html>\r\n"
            .to_string()
    } else {
        let title = format!(
            "{} {}",
            code.as_u16(),
            code.canonical_reason().unwrap_or("Error")
        );
        format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
             <center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n\
             </body>\r\n</html>\r\n"
        )
    };
    let mut response = (code, page).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(header::SERVER, HeaderValue::from_static("cloudflare"));
    response
}
