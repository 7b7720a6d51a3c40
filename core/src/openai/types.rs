//! Value types shared by the OpenAI Images API client code: token usage and the error envelope.
//!
//! OpenAI adds fields and enum values often (openai-images-api.md §5, §14), so every type here
//! ignores unknown fields, defaults missing ones and tolerates odd scalar types (a numeric
//! `code`, a `null` token count) instead of failing the whole response over a detail.

use serde::de::{self, DeserializeOwned, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Token usage reported with a finished image (`ImagesUsage` in the OpenAPI spec).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct Usage {
    /// Text plus image input tokens.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub input_tokens: u64,
    /// Output (image) tokens, including 100 per partial image.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub output_tokens: u64,
    /// `input_tokens + output_tokens` as reported by OpenAI.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub total_tokens: u64,
    /// Split of the input tokens, when reported.
    #[serde(
        deserialize_with = "lenient::opt_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub input_tokens_details: Option<InputDetails>,
    /// Split of the output tokens, when reported (newer models only).
    #[serde(
        deserialize_with = "lenient::opt_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub output_tokens_details: Option<OutputDetails>,
}

/// Input token split of [`Usage`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct InputDetails {
    /// Tokens of the prompt text.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub text_tokens: u64,
    /// Tokens of the input (reference) images.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub image_tokens: u64,
}

/// Output token split of [`Usage`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct OutputDetails {
    /// Tokens of the generated image(s).
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub image_tokens: u64,
    /// Text tokens (reasoning/planning), if any.
    #[serde(deserialize_with = "lenient::u64_or_zero")]
    pub text_tokens: u64,
}

/// The inner object of OpenAI's error envelope `{"error":{…}}` (`Error` in the OpenAPI spec).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct ApiError {
    /// Human-readable message from OpenAI (may be empty; may quote a masked key).
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    /// Error family, e.g. `invalid_request_error`, `insufficient_quota`, `image_generation_user_error`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub r#type: Option<String>,
    /// The request parameter at fault, if any.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub param: Option<String>,
    /// Machine-readable code, e.g. `rate_limit_exceeded`, `moderation_blocked`, `model_not_found`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
    /// Present on safety-system rejections of image requests.
    #[serde(
        deserialize_with = "lenient::opt_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub moderation_details: Option<ModerationDetails>,
}

/// Why the safety system blocked an image request.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct ModerationDetails {
    /// `input` (prompt or reference images), `output` (the generated image) or `unknown`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub moderation_stage: Option<String>,
    /// Safety categories such as `violence` or `sexual`.
    #[serde(deserialize_with = "lenient::string_list")]
    pub categories: Vec<String>,
}

impl ApiError {
    /// Builds an [`ApiError`] from a JSON value that is either the error object itself or a bare
    /// string (some gateways send `"error":"text"`). Returns `None` for `null` or other shapes.
    pub fn from_value(value: &serde_json::Value) -> Option<ApiError> {
        match value {
            serde_json::Value::Object(_) => ApiError::deserialize(value).ok(),
            serde_json::Value::String(s) => Some(ApiError {
                message: s.clone(),
                ..ApiError::default()
            }),
            _ => None,
        }
    }
}

/// Parses an error response body of the form `{"error":{…}}` (or `{"error":"text"}`).
///
/// Returns `None` when the body is not JSON, not an object, or has no usable `error` member,
/// so callers can fall back to the HTTP status alone.
pub fn parse_error_envelope(body: &str) -> Option<ApiError> {
    // A UTF-8 BOM is not JSON whitespace, but some proxies prepend one.
    let body = body.strip_prefix('\u{feff}').unwrap_or(body).trim();
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    ApiError::from_value(value.as_object()?.get("error")?)
}

/// Tolerant field deserializers: a malformed detail must not discard an otherwise usable value.
pub(crate) mod lenient {
    use super::*;

    /// Accepts a string, number or bool (stringified); `null`, arrays and objects become `None`.
    pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(OptStringVisitor)
    }

    /// Like [`opt_string`] but yields an empty string instead of `None`.
    pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(opt_string(d)?.unwrap_or_default())
    }

    /// A list of strings; non-string entries are stringified or dropped, a non-list is empty.
    pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|item| match item {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            serde_json::Value::String(s) => vec![s],
            _ => Vec::new(),
        })
    }

    /// A non-negative integer; `null`, negatives, strings and other shapes become 0.
    pub(crate) fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v {
            serde_json::Value::Number(n) => n.as_u64().unwrap_or_else(|| {
                // Floats such as 100.0 happen in hand-written gateways; negatives are nonsense.
                n.as_f64()
                    .filter(|f| f.is_finite() && *f > 0.0)
                    .map_or(0, |f| f as u64)
            }),
            _ => 0,
        })
    }

    /// A JSON object read as the struct `T`; anything else, or an object that does not fit `T`,
    /// becomes `None` instead of an error. (Only objects: serde would otherwise read an array
    /// positionally into a struct.)
    pub(crate) fn opt_value<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if !v.is_object() {
            return Ok(None);
        }
        Ok(serde_json::from_value(v).ok())
    }

    /// An optional `i64`; floats are truncated, other shapes become `None`.
    pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v {
            serde_json::Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            }),
            _ => None,
        })
    }

    struct OptStringVisitor;

    impl<'de> Visitor<'de> for OptStringVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string, number, bool or null")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_full_and_partial() {
        let u: Usage = serde_json::from_str(
            r#"{"total_tokens":100,"input_tokens":50,"output_tokens":50,
                "input_tokens_details":{"text_tokens":10,"image_tokens":40},
                "output_tokens_details":{"image_tokens":50,"text_tokens":0},"new_field":1}"#,
        )
        .unwrap();
        assert_eq!(u.total_tokens, 100);
        assert_eq!(
            u.input_tokens_details,
            Some(InputDetails {
                text_tokens: 10,
                image_tokens: 40
            })
        );
        assert_eq!(u.output_tokens_details.unwrap().image_tokens, 50);

        let u: Usage = serde_json::from_str(r#"{"output_tokens":7}"#).unwrap();
        assert_eq!(u.output_tokens, 7);
        assert_eq!(u.input_tokens, 0);
        assert!(u.input_tokens_details.is_none());
        assert!(u.output_tokens_details.is_none());
    }

    #[test]
    fn usage_tolerates_odd_values() {
        let u: Usage = serde_json::from_str(
            r#"{"input_tokens":null,"output_tokens":12.0,"total_tokens":-3,
                "input_tokens_details":"weird","output_tokens_details":null}"#,
        )
        .unwrap();
        assert_eq!(
            u,
            Usage {
                output_tokens: 12,
                ..Usage::default()
            }
        );
    }

    #[test]
    fn usage_round_trip() {
        let u = Usage {
            input_tokens: 1,
            output_tokens: 2,
            total_tokens: 3,
            input_tokens_details: Some(InputDetails {
                text_tokens: 1,
                image_tokens: 0,
            }),
            output_tokens_details: None,
        };
        let s = serde_json::to_string(&u).unwrap();
        assert_eq!(serde_json::from_str::<Usage>(&s).unwrap(), u);
    }

    #[test]
    fn envelope_moderation() {
        let e = parse_error_envelope(
            r#"{"error":{"message":"Your request was rejected by the safety system.",
                "type":"image_generation_user_error","param":null,"code":"moderation_blocked",
                "moderation_details":{"moderation_stage":"input","categories":["violence","self-harm"]}}}"#,
        )
        .unwrap();
        assert_eq!(e.code.as_deref(), Some("moderation_blocked"));
        assert_eq!(e.r#type.as_deref(), Some("image_generation_user_error"));
        assert_eq!(e.param, None);
        let m = e.moderation_details.unwrap();
        assert_eq!(m.moderation_stage.as_deref(), Some("input"));
        assert_eq!(m.categories, vec!["violence", "self-harm"]);
    }

    #[test]
    fn envelope_quota_and_odd_shapes() {
        let e = parse_error_envelope(
            "\u{feff} {\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}} ",
        )
        .unwrap();
        assert_eq!(e.r#type.as_deref(), Some("insufficient_quota"));

        // Numeric code, missing message, unknown members.
        let e = parse_error_envelope(r#"{"error":{"code":503,"extra":{"a":1}}}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("503"));
        assert_eq!(e.message, "");

        // Bare string error.
        let e = parse_error_envelope(r#"{"error":"upstream failed"}"#).unwrap();
        assert_eq!(e.message, "upstream failed");
        assert_eq!(e.code, None);

        // Broken moderation details must not lose the rest.
        let e = parse_error_envelope(
            r#"{"error":{"message":"m","code":"moderation_blocked","moderation_details":[1]}}"#,
        )
        .unwrap();
        assert_eq!(e.code.as_deref(), Some("moderation_blocked"));
        assert!(e.moderation_details.is_none());
    }

    #[test]
    fn envelope_rejects_non_envelopes() {
        for body in [
            "",
            "<html><body>502 Bad Gateway</body></html>",
            "null",
            "[]",
            r#"{"data":[]}"#,
            r#"{"error":null}"#,
            r#"{"error":42}"#,
            r#"{"error":{"message":"trunc"#,
        ] {
            assert_eq!(parse_error_envelope(body), None, "{body}");
        }
    }

    #[test]
    fn api_error_round_trip() {
        let e = ApiError {
            message: "m".into(),
            r#type: Some("t".into()),
            param: Some("size".into()),
            code: Some("c".into()),
            moderation_details: Some(ModerationDetails {
                moderation_stage: Some("output".into()),
                categories: vec!["sexual".into()],
            }),
        };
        let s = serde_json::to_string(&serde_json::json!({ "error": e })).unwrap();
        assert_eq!(parse_error_envelope(&s), Some(e));
    }
}
