//! The OpenAI error envelope: `{"error":{"message","type","param","code"}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// An error answered in OpenAI's envelope (boxed: errors travel through many `Result`s).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError(Box<ErrorParts>);

/// The parts of an [`ApiError`].
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorParts {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Human-readable message.
    pub message: String,
    /// `error.type`, e.g. `invalid_request_error`.
    pub kind: String,
    /// `error.param`: the offending parameter, if any.
    pub param: Option<String>,
    /// `error.code`, e.g. `invalid_value`.
    pub code: Option<String>,
    /// Extra members of the `error` object (e.g. `moderation_details`).
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// A generic error with every field given.
    pub fn new(
        status: StatusCode,
        kind: &str,
        code: Option<&str>,
        param: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorParts {
            status,
            message: message.into(),
            kind: kind.to_string(),
            param: param.map(str::to_string),
            code: code.map(str::to_string),
            extra: Map::new(),
        }))
    }

    /// The parts (status, message, type, param, code, extra members).
    pub fn parts(&self) -> &ErrorParts {
        &self.0
    }

    /// 400 `invalid_request_error` with the given code and param.
    pub fn invalid(code: &str, param: Option<&str>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(code),
            param,
            message,
        )
    }

    /// 400 `invalid_value` for `param`.
    pub fn invalid_value(param: &str, message: impl Into<String>) -> Self {
        Self::invalid("invalid_value", Some(param), message)
    }

    /// 400 `unknown_parameter`, worded like the real API.
    pub fn unknown_parameter(param: &str) -> Self {
        Self::invalid(
            "unknown_parameter",
            Some(param),
            format!("Unknown parameter: '{param}'."),
        )
    }

    /// 400 `missing_required_parameter`.
    pub fn missing(param: &str) -> Self {
        Self::invalid(
            "missing_required_parameter",
            Some(param),
            format!("Missing required parameter: '{param}'."),
        )
    }

    /// 400 `invalid_type`: `expected` is e.g. "an integer".
    pub fn invalid_type(param: &str, expected: &str, got: &Value) -> Self {
        Self::invalid(
            "invalid_type",
            Some(param),
            format!(
                "Invalid type for '{param}': expected {expected}, but got {} instead.",
                json_type_name(got)
            ),
        )
    }

    /// 400 `unsupported_parameter`: a known parameter that this model or form rejects.
    pub fn unsupported(param: &str, message: impl Into<String>) -> Self {
        Self::invalid("unsupported_parameter", Some(param), message)
    }

    /// 404 `model_not_found`.
    pub fn model_not_found(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model_not_found"),
            Some("model"),
            message,
        )
    }

    /// 404 for a route the API does not have, worded like the real API.
    pub fn invalid_url(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            None,
            format!("Invalid URL ({method} {path})"),
        )
    }

    /// 413 for a body above `--max-body-mb`.
    pub fn too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            Some("request_too_large"),
            None,
            format!(
                "The request body is larger than this server accepts ({} MB).",
                limit_bytes / (1024 * 1024)
            ),
        )
    }

    /// Adds a member to the `error` object.
    pub fn with_extra(mut self, key: &str, value: Value) -> Self {
        self.0.extra.insert(key.to_string(), value);
        self
    }

    /// The JSON envelope.
    pub fn body(&self) -> Value {
        let parts = &self.0;
        let mut error = Map::new();
        error.insert("message".into(), json!(parts.message));
        error.insert("type".into(), json!(parts.kind));
        error.insert("param".into(), json!(parts.param));
        error.insert("code".into(), json!(parts.code));
        for (k, v) in &parts.extra {
            error.insert(k.clone(), v.clone());
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (self.0.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// The JSON type name used in OpenAI's `invalid_type` messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_all_four_fields() {
        let body = ApiError::unknown_parameter("foo").body();
        assert_eq!(
            body,
            json!({"error": {"message": "Unknown parameter: 'foo'.", "type": "invalid_request_error",
                             "param": "foo", "code": "unknown_parameter"}})
        );
        let body = ApiError::invalid_url("GET", "/v1/x").body();
        assert_eq!(body["error"]["code"], Value::Null);
    }
}
