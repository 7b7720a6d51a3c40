//! The non-image part of an `ImagesResponse` (reference §5). Image data (`b64_json`) is read
//! separately in JS so megabytes of base64 never pass through serde.

use crate::openai::types::Usage;
use serde::Deserialize;

/// Everything in a response except the images. Every field is optional and unknown fields and
/// values are accepted: OpenAI adds them often (`xhigh` quality, `gif` format, custom sizes).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResponseMeta {
    /// Unix seconds.
    pub created: Option<i64>,
    /// The resolved size, e.g. `1536x864` (a free string).
    pub size: Option<String>,
    /// The resolved quality (`auto` becomes a real level here).
    pub quality: Option<String>,
    /// `png`, `jpeg`, `webp`, `gif`, …
    pub output_format: Option<String>,
    /// `opaque` or `transparent`.
    pub background: Option<String>,
    /// Token usage.
    pub usage: Option<Usage>,
    /// The effective safety identifier, echoed by newer API versions.
    pub safety_identifier: Option<String>,
}

impl ResponseMeta {
    /// Parses the metadata JSON (the response with its `data` array removed).
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("unexpected response shape: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's example response (§3.3) minus `data`.
    #[test]
    fn parses_the_reference_response() {
        let json = r#"{"created":1776800000,"background":"opaque","output_format":"webp","quality":"medium","size":"1024x1280",
          "usage":{"input_tokens":52,"input_tokens_details":{"text_tokens":52,"image_tokens":0},"output_tokens":1510,
          "output_tokens_details":{"image_tokens":1510,"text_tokens":0},"total_tokens":1562}}"#;
        let m = ResponseMeta::parse(json).unwrap();
        assert_eq!(m.size.as_deref(), Some("1024x1280"));
        assert_eq!(m.usage.unwrap().output_tokens, 1510);
    }

    #[test]
    fn unknown_values_and_fields_parse() {
        let m = ResponseMeta::parse(r#"{"created":1,"quality":"max","output_format":"gif","size":"2048x1152","svg_usage":{"x":1}}"#).unwrap();
        assert_eq!(m.quality.as_deref(), Some("max"));
        assert!(m.usage.is_none());
        assert!(ResponseMeta::parse("\"text\"").is_err());
    }
}
