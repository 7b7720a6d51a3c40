//! The Responses API for text calls with Structured Outputs (reference §18 "Structured
//! Outputs", §7.2 for `input` items): the request (`model`, `input` messages of `input_text`
//! and `input_image` parts, `text.format` = `{type: "json_schema", name, schema, strict:
//! true}`, `max_output_tokens`) and the answer (`status`, `output[]` message items whose
//! content parts are `output_text` or `refusal`, `incomplete_details`, `usage`).
//!
//! The answer is read leniently (unknown item and part types are skipped, numbers may be
//! missing) but [`ResponsesAnswer::text`] is strict about *what* it hands on: the JSON text
//! of the one answer, or a clear [`AnswerError`] — a refusal, a cut answer or a failed call is
//! never mistaken for a result.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

use super::types::lenient;

/// `POST /v1/responses` body for a strict structured-output call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponsesRequest {
    /// A text model id (the catalogue's `text_models`).
    pub model: String,
    /// The conversation: here always one `user` message (instructions, data, images).
    pub input: Vec<InputMessage>,
    /// The output format: a strict JSON schema.
    pub text: TextConfig,
    /// Cap on output tokens (reasoning included): what bounds the call's worst-case cost.
    pub max_output_tokens: u64,
    /// `false`: the call is not kept on OpenAI's side for later turns (nothing refers to it).
    pub store: bool,
}

/// One message of `input`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputMessage {
    /// `user` (or `developer` for instructions).
    pub role: String,
    /// Its parts, in order.
    pub content: Vec<InputPart>,
}

/// A content part of an input message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputPart {
    /// Text.
    InputText {
        /// The text.
        text: String,
    },
    /// An image, as a `data:` URL or an uploaded file's id (exactly one of the two).
    InputImage {
        /// `data:image/png;base64,…`.
        #[serde(skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        /// `file-…` (Files API, purpose `vision`).
        #[serde(skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// `low`, `high` or `auto`.
        detail: String,
    },
}

/// `text` of the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextConfig {
    /// The format.
    pub format: JsonSchemaFormat,
}

/// `text.format` for Structured Outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchemaFormat {
    /// Always `json_schema`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The schema's name (`^[a-zA-Z0-9_-]{1,64}$`).
    pub name: String,
    /// The JSON schema (strict rules: every property required, no additional properties).
    pub schema: Value,
    /// Always `true`: the model's answer follows the schema.
    pub strict: bool,
}

impl ResponsesRequest {
    /// A strict structured-output call: one user message of `parts`, answered in `schema`.
    pub fn structured(
        model: &str,
        schema_name: &str,
        schema: Value,
        parts: Vec<InputPart>,
        max_output_tokens: u64,
    ) -> Self {
        Self {
            model: model.to_string(),
            input: vec![InputMessage {
                role: "user".into(),
                content: parts,
            }],
            text: TextConfig {
                format: JsonSchemaFormat {
                    kind: "json_schema",
                    name: schema_name.to_string(),
                    schema,
                    strict: true,
                },
            },
            max_output_tokens,
            store: false,
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a request of strings and values serializes")
    }

    /// The input images, in order.
    pub fn image_count(&self) -> usize {
        self.parts()
            .filter(|p| matches!(p, InputPart::InputImage { .. }))
            .count()
    }

    /// Bytes of the body apart from the images' data URLs: an upper bound on its text tokens
    /// (a token is at least one byte), counted the same way by the server's budget
    /// ([`crate::text_models::worst_case_usd`]).
    pub fn text_bytes(&self) -> usize {
        let images: usize = self
            .parts()
            .map(|p| match p {
                InputPart::InputImage {
                    image_url: Some(url),
                    ..
                } => url.len(),
                _ => 0,
            })
            .sum();
        self.to_json().len().saturating_sub(images)
    }

    fn parts(&self) -> impl Iterator<Item = &InputPart> {
        self.input.iter().flat_map(|m| m.content.iter())
    }
}

/// `usage` of a Responses answer.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct ResponsesUsage {
    /// Input tokens (text, images, the schema), cached ones included.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub output_tokens: u64,
    /// Their sum as reported.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub total_tokens: u64,
    /// `{cached_tokens}`.
    #[serde(deserialize_with = "lenient::opt_value")]
    pub input_tokens_details: Option<CachedTokens>,
}

impl ResponsesUsage {
    /// Input tokens billed at the cached rate.
    pub fn cached_tokens(&self) -> u64 {
        self.input_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens.min(self.input_tokens))
    }
}

/// `usage.input_tokens_details`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct CachedTokens {
    /// Input tokens served from the prompt cache.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub cached_tokens: u64,
}

/// A parsed Responses answer (the parts this app reads).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponsesAnswer {
    /// `resp_…`.
    pub id: String,
    /// `completed`, `incomplete`, `failed`, `in_progress`, …
    pub status: String,
    /// Every `output_text` of the message items, in order.
    pub texts: Vec<String>,
    /// Every `refusal`, in order.
    pub refusals: Vec<String>,
    /// `incomplete_details.reason` (`max_output_tokens`, `content_filter`).
    pub incomplete_reason: Option<String>,
    /// `error.message` of a failed call.
    pub error: Option<String>,
    /// Usage, when reported.
    pub usage: Option<ResponsesUsage>,
}

/// Why an answer carries no usable result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// Not a Responses object.
    Unreadable(String),
    /// The model refused, with its words.
    Refused(String),
    /// The answer was cut (`status: incomplete`), with the reason.
    Incomplete(String),
    /// `status: failed`, with the message.
    Failed(String),
    /// Completed, but with no `output_text`.
    NoText,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::Unreadable(why) => write!(f, "The answer could not be read: {why}."),
            AnswerError::Refused(why) => write!(f, "The model declined: {why}"),
            AnswerError::Incomplete(reason) if reason == "max_output_tokens" => write!(
                f,
                "The answer was cut off at the output limit; try a shorter brief or fewer frames."
            ),
            AnswerError::Incomplete(reason) => {
                write!(f, "The answer stopped before it was complete ({reason}).")
            }
            AnswerError::Failed(why) => write!(f, "The call failed: {why}"),
            AnswerError::NoText => write!(f, "The answer held no text."),
        }
    }
}

impl std::error::Error for AnswerError {}

impl ResponsesAnswer {
    /// Reads a response body. Unknown item and part types are skipped.
    pub fn parse(body: &str) -> Result<Self, AnswerError> {
        let value: Value = serde_json::from_str(body.trim_start_matches('\u{feff}'))
            .map_err(|e| AnswerError::Unreadable(format!("not JSON ({e})")))?;
        let Some(object) = value.as_object() else {
            return Err(AnswerError::Unreadable("not a JSON object".into()));
        };
        let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let mut answer = ResponsesAnswer {
            id: string(object.get("id")).unwrap_or_default(),
            status: string(object.get("status")).unwrap_or_default(),
            incomplete_reason: string(
                object
                    .get("incomplete_details")
                    .and_then(|d| d.get("reason")),
            ),
            error: string(object.get("error").and_then(|e| e.get("message"))),
            usage: object
                .get("usage")
                .filter(|u| u.is_object())
                .and_then(|u| serde_json::from_value(u.clone()).ok()),
            ..Self::default()
        };
        let items = object.get("output").and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            match item.get("type").and_then(Value::as_str) {
                Some("message") => {}
                Some("refusal") => answer.refusals.extend(string(item.get("refusal"))),
                _ => continue,
            }
            let parts = item.get("content").and_then(Value::as_array);
            for part in parts.into_iter().flatten() {
                match part.get("type").and_then(Value::as_str) {
                    Some("output_text") => answer.texts.extend(string(part.get("text"))),
                    Some("refusal") => answer.refusals.extend(string(part.get("refusal"))),
                    _ => {}
                }
            }
        }
        if answer.status.is_empty() && answer.texts.is_empty() && answer.refusals.is_empty() {
            return Err(AnswerError::Unreadable("no status and no output".into()));
        }
        Ok(answer)
    }

    /// The structured answer's JSON text, or why there is none. A refusal wins over any text;
    /// an incomplete answer is refused even with text (its JSON would be cut).
    pub fn text(&self) -> Result<&str, AnswerError> {
        if let Some(refusal) = self.refusals.first() {
            return Err(AnswerError::Refused(refusal.clone()));
        }
        match self.status.as_str() {
            "failed" => {
                let why = self
                    .error
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                Err(AnswerError::Failed(why))
            }
            "incomplete" => Err(AnswerError::Incomplete(
                self.incomplete_reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            )),
            _ => match self.texts.as_slice() {
                [] => Err(AnswerError::NoText),
                [one] => Ok(one),
                // Several text parts of one structured answer do not happen; the last is the
                // answer (earlier ones would be commentary).
                [.., last] => Ok(last),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_is_a_strict_json_schema_call() {
        let r = ResponsesRequest::structured(
            "gpt-5-mini",
            "plan",
            json!({"type": "object"}),
            vec![
                InputPart::InputText { text: "hi".into() },
                InputPart::InputImage {
                    image_url: Some("data:image/png;base64,AAAA".into()),
                    file_id: None,
                    detail: "low".into(),
                },
            ],
            4000,
        );
        let v: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["text"]["format"]["type"], "json_schema");
        assert_eq!(v["text"]["format"]["strict"], true);
        assert_eq!(v["text"]["format"]["name"], "plan");
        assert_eq!(v["input"][0]["role"], "user");
        assert_eq!(v["input"][0]["content"][0]["type"], "input_text");
        assert_eq!(v["input"][0]["content"][1]["type"], "input_image");
        assert!(v["input"][0]["content"][1].get("file_id").is_none());
        assert_eq!(v["max_output_tokens"], 4000);
        assert_eq!(r.image_count(), 1);
        assert_eq!(
            r.text_bytes(),
            r.to_json().len() - "data:image/png;base64,AAAA".len()
        );
    }

    #[test]
    fn the_answer_text_usage_and_refusals_are_read() {
        let body = r#"{"id":"resp_1","object":"response","status":"completed",
          "output":[{"type":"reasoning","id":"rs_1","summary":[]},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"{\"a\":1}","annotations":[]}]}],
          "usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":20},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":10},"total_tokens":160}}"#;
        let a = ResponsesAnswer::parse(body).unwrap();
        assert_eq!(a.text().unwrap(), "{\"a\":1}");
        let usage = a.usage.unwrap();
        assert_eq!((usage.input_tokens, usage.output_tokens), (120, 40));
        assert_eq!(usage.cached_tokens(), 20);

        let refused = r#"{"status":"completed","output":[{"type":"message","content":[{"type":"refusal","refusal":"I can't help with that."}]}]}"#;
        assert_eq!(
            ResponsesAnswer::parse(refused).unwrap().text(),
            Err(AnswerError::Refused("I can't help with that.".into()))
        );
        let cut = r#"{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","content":[{"type":"output_text","text":"{\"fra"}]}]}"#;
        let err = ResponsesAnswer::parse(cut).unwrap().text().unwrap_err();
        assert!(err.to_string().contains("output limit"), "{err}");
        let failed =
            r#"{"status":"failed","error":{"code":"server_error","message":"boom"},"output":[]}"#;
        assert_eq!(
            ResponsesAnswer::parse(failed).unwrap().text(),
            Err(AnswerError::Failed("boom".into()))
        );
        assert_eq!(
            ResponsesAnswer::parse(r#"{"status":"completed","output":[]}"#)
                .unwrap()
                .text(),
            Err(AnswerError::NoText)
        );
        assert!(ResponsesAnswer::parse("<html>").is_err());
        assert!(ResponsesAnswer::parse("{}").is_err());
    }
}
