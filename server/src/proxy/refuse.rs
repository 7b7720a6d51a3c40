//! The answers forward mode gives when it does not forward, all in OpenAI's error envelope
//! with the headers OpenAI's clients (and the app) act on: `retry-after` / `retry-after-ms`
//! for retryable 429s, `x-should-retry: false` where retrying cannot help.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::clock;
use crate::errors::ApiError;
use crate::tokens::spec::format_micros;
use crate::tokens::{Budget, Rate};

fn with_headers(error: ApiError, headers: &[(&'static str, String)]) -> Response {
    let mut response = error.into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// 401: no token where one is required, or one this server does not accept. `code` is
/// `missing_token`, `invalid_token` or `token_revoked`.
pub fn unauthorized(code: &str, message: &str) -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        Some(code),
        None,
        message,
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"continuity-server\""),
    );
    response
}

/// 401 `missing_token`.
pub fn missing_token() -> Response {
    unauthorized(
        "missing_token",
        "This server requires an access token: send it as 'Authorization: Bearer <token>' \
         (in the app: Settings → This server → Access token). Ask the server's operator for one.",
    )
}

/// 401 `invalid_token`.
pub fn invalid_token() -> Response {
    unauthorized(
        "invalid_token",
        "The access token is not valid for this server.",
    )
}

/// 401 `token_revoked`.
pub fn token_revoked(name: &str) -> Response {
    unauthorized(
        "token_revoked",
        &format!("The access token '{name}' was revoked by the server's operator."),
    )
}

/// 429 `rate_limit_exceeded` for a token's request rate, with the wait.
pub fn rate_limited(name: &str, rate: Option<Rate>, retry_after_ms: u64) -> Response {
    let seconds = retry_after_ms.div_ceil(1000).max(1);
    let limit = rate.map_or(String::new(), |r| format!(" ({r})"));
    with_headers(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            Some("rate_limit_exceeded"),
            None,
            format!(
                "Rate limit reached for access token '{name}'{limit}. Please try again in \
                 {seconds}s."
            ),
        ),
        &[
            ("retry-after", seconds.to_string()),
            ("retry-after-ms", retry_after_ms.to_string()),
        ],
    )
}

/// 429 `rate_limit_exceeded` for a token's concurrency.
pub fn busy(name: &str, limit: u32) -> Response {
    with_headers(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            Some("rate_limit_exceeded"),
            None,
            format!(
                "Too many requests at once for access token '{name}' (at most {limit} in \
                 flight). Please try again when one has finished."
            ),
        ),
        &[("retry-after", "1".into())],
    )
}

/// 429 `insufficient_quota` / `budget_exceeded`: the request's estimate does not fit into what
/// is left of the token's daily budget. Not retryable today (`x-should-retry: false`).
pub fn over_budget(name: &str, budget: Budget, spent: u64, estimate: u64) -> Response {
    let wait = clock::seconds_to_utc_midnight(clock::unix_seconds());
    with_headers(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            Some("budget_exceeded"),
            None,
            format!(
                "This request (estimated {}) would exceed the daily budget of access token \
                 '{name}': {} per UTC day, {} spent today. The budget starts again at 00:00 UTC \
                 (in {}h {:02}m); ask the server's operator for a larger one.",
                format_micros(estimate),
                format_micros(budget.micros_per_day),
                format_micros(spent),
                wait / 3600,
                wait % 3600 / 60,
            ),
        ),
        &[("x-should-retry", "false".into())],
    )
}

/// 400 `model_not_priced`: a budgeted token asked for a model the server cannot price.
pub fn unpriceable(model: &str) -> Response {
    let shown: String = model.chars().take(64).collect();
    with_headers(
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("model_not_priced"),
            Some("model"),
            format!(
                "This server cannot price the model '{shown}', and this access token has a \
                 spending budget: use a model from the app's catalogue."
            ),
        ),
        &[("x-should-retry", "false".into())],
    )
}

/// 503 `limits_unavailable`: the shared counters (Redis) cannot be reached, so nothing is
/// forwarded unlimited.
pub fn limits_unavailable() -> Response {
    with_headers(
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("limits_unavailable"),
            None,
            "This server cannot check its usage limits right now; nothing was sent upstream. \
             Please try again shortly.",
        ),
        &[("retry-after", "2".into())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_clients_act_on() {
        let r = rate_limited("alice", Rate::parse("3/min").ok(), 19_001);
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "20");
        assert_eq!(r.headers()["retry-after-ms"], "19001");
        let r = over_budget(
            "alice",
            Budget::parse("5/day").expect("budget"),
            4_900_000,
            211_000,
        );
        assert_eq!(r.headers()["x-should-retry"], "false");
        assert!(!r.headers().contains_key("retry-after"));
        assert_eq!(missing_token().status(), 401);
        assert!(missing_token().headers().contains_key("www-authenticate"));
    }
}
