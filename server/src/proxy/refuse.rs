//! The answers forward mode gives when it does not forward, all in OpenAI's error envelope
//! with the headers OpenAI's clients (and the app) act on: `retry-after` / `retry-after-ms`
//! for retryable 429s, `x-should-retry: false` where retrying cannot help.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::clock;
use crate::errors::ApiError;
use crate::tokens::spec::format_micros;
use crate::tokens::{Budget, Rate};

/// Marks a response as a refusal by this server (its `error.code`), for the log line.
#[derive(Debug, Clone)]
pub struct RefusalCode(pub String);

/// Attaches `code` to `response` as this server's refusal.
pub fn mark(mut response: Response, code: &str) -> Response {
    response
        .extensions_mut()
        .insert(RefusalCode(code.to_string()));
    response
}

/// An [`ApiError`] answered as this server's refusal.
pub fn api_error(error: ApiError) -> Response {
    let code = error.parts().code.clone().unwrap_or_default();
    mark(error.into_response(), &code)
}

/// The refusal code this server put on a response, if any.
pub fn code_of(response: &Response) -> Option<String> {
    response
        .extensions()
        .get::<RefusalCode>()
        .map(|c| c.0.clone())
}

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

/// Whose budget refused a request.
#[derive(Debug, Clone, Copy)]
pub enum BudgetOwner<'a> {
    /// An access token, by name.
    Token(&'a str),
    /// The server-wide `--budget-usd`.
    Server,
}

/// 429 `insufficient_quota` / `budget_exceeded`: nothing is left of a daily budget
/// (`reserved: None`, refused from the headers), or the request's worst case (`reserved`) does
/// not fit into what is left. Not retryable today (`x-should-retry: false`).
pub fn over_budget(
    owner: BudgetOwner<'_>,
    budget: Budget,
    spent: u64,
    reserved: Option<u64>,
) -> Response {
    let wait = clock::seconds_to_utc_midnight(clock::unix_seconds());
    let whose = match owner {
        BudgetOwner::Token(name) => format!("the daily budget of access token '{name}'"),
        BudgetOwner::Server => "this server's daily budget".to_string(),
    };
    let what = match reserved {
        Some(micros) => format!(
            "This request (at most {}: every 'auto' counted at its dearest, since requests in \
             flight must not be able to overspend together) would exceed {whose}",
            format_micros(micros)
        ),
        None => format!("Nothing is left of {whose}"),
    };
    let ask = match owner {
        BudgetOwner::Token(_) => "ask the server's operator for a larger one",
        BudgetOwner::Server => "this server's operator sets it",
    };
    with_headers(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            Some("budget_exceeded"),
            None,
            format!(
                "{what}: {} per UTC day, {} spent or reserved today. The budget starts again at \
                 00:00 UTC (in {}h {:02}m); {ask}.",
                format_micros(budget.micros_per_day),
                format_micros(spent),
                wait / 3600,
                wait % 3600 / 60,
            ),
        ),
        &[("x-should-retry", "false".into())],
    )
}

/// 408 `request_timeout`: the client did not send its body within the body timeout.
pub fn slow_body(seconds: u64) -> Response {
    api_error(ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "invalid_request_error",
        Some("request_timeout"),
        None,
        format!(
            "The request body did not arrive within {seconds} s: the client sent it too \
             slowly. Nothing was sent upstream."
        ),
    ))
}

/// 400 `incomplete_body`: the body ended early or was malformed on the wire.
pub fn broken_body() -> Response {
    api_error(ApiError::invalid(
        "incomplete_body",
        None,
        "The request body ended early or could not be read. Nothing was sent upstream.",
    ))
}

/// 503 `body_not_stored`: the server could not keep the body to send it.
pub fn body_not_stored() -> Response {
    with_headers(
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("body_not_stored"),
            None,
            "This server could not store the request body; nothing was sent upstream. Please \
             try again shortly.",
        ),
        &[("retry-after", "2".into())],
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
            BudgetOwner::Token("alice"),
            Budget::parse("5/day").expect("budget"),
            4_900_000,
            Some(211_000),
        );
        assert_eq!(r.headers()["x-should-retry"], "false");
        assert!(!r.headers().contains_key("retry-after"));
        assert_eq!(missing_token().status(), 401);
        assert!(missing_token().headers().contains_key("www-authenticate"));
    }
}
