//! What an Images API stream event means (openai-images-api.md §6).
//!
//! Dispatch is on the JSON `type` field, not the `event:` line, because OpenAI documents `type`
//! and gateways rewrite or drop `event:` names.

use super::SseEvent;
use crate::openai::types::{lenient, ApiError, Usage};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Rendering facts echoed with every image event. All strings are free-form because OpenAI adds
/// values (`xhigh` quality, `gif` output, custom sizes) faster than clients update.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageMeta {
    /// `WIDTHxHEIGHT`, e.g. `1536x1024`.
    pub size: Option<String>,
    /// The resolved quality, e.g. `low`, `medium`, `high`, `xhigh`.
    pub quality: Option<String>,
    /// `opaque` or `transparent`.
    pub background: Option<String>,
    /// `png`, `webp`, `jpeg`, …
    pub output_format: Option<String>,
    /// Unix seconds.
    pub created_at: Option<i64>,
}

/// What an image SSE event means.
///
/// `b64` borrows from [`SseEvent::data`] whenever the JSON string has no escapes (always, in
/// practice), so multi-MB base64 is not copied; it is owned only if escapes had to be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageStreamEvent<'a> {
    /// A progressive preview (`image_generation.partial_image` / `image_edit.partial_image`).
    Partial {
        /// `partial_image_index`, 0-based (0 if missing).
        index: u32,
        /// The preview image, base64.
        b64: Cow<'a, str>,
        /// Size, quality etc. of the preview.
        meta: ImageMeta,
    },
    /// A final image (`image_generation.completed` / `image_edit.completed`); one per image.
    Completed {
        /// The final image, base64.
        b64: Cow<'a, str>,
        /// Size, quality etc. actually used.
        meta: ImageMeta,
        /// Token usage, when reported (and well-formed).
        usage: Option<Usage>,
    },
    /// `{"type":"error","error":{…}}`, or any object with a non-empty `error` member.
    Error(ApiError),
    /// The `data: [DONE]` sentinel.
    Done,
    /// An event `type` this client does not know (the string is the type, possibly empty);
    /// callers ignore it. Never a parse failure, so new event kinds cannot break old clients.
    Unknown(String),
}

/// The wire shape; unknown members are ignored.
#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(rename = "type", default, deserialize_with = "lenient::opt_string")]
    kind: Option<String>,
    #[serde(borrow, default, deserialize_with = "opt_cow_str")]
    b64_json: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    partial_image_index: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    size: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    quality: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    background: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    output_format: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_value")]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    // Top-level error fields, as in `{"type":"error","code":…,"message":…}` (Responses style).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    param: Option<String>,
}

/// Interprets one SSE event of an Images API stream.
///
/// Errors are readable sentences for the frame's log: malformed JSON (usually a cut stream), a
/// non-object payload, or an image event without its `b64_json`.
pub fn parse_image_event(ev: &SseEvent) -> Result<ImageStreamEvent<'_>, String> {
    if ev.is_done() {
        return Ok(ImageStreamEvent::Done);
    }
    let data = ev.data.trim_start();
    // serde would happily read a JSON array positionally into the struct; refuse it up front.
    if !data.starts_with('{') {
        return Err(format!(
            "the image stream sent an event that is not a JSON object (starts with {:?})",
            data.chars().take(20).collect::<String>()
        ));
    }
    let raw: RawEvent<'_> = serde_json::from_str(data).map_err(|e| {
        format!(
            "the image stream sent an event that could not be read ({}; {} bytes)",
            e,
            ev.data.len()
        )
    })?;

    // The SDKs treat any payload with a truthy `error` member as an error, whatever its type.
    if let Some(err) = raw.error.as_ref().filter(|v| is_truthy(v)) {
        return Ok(ImageStreamEvent::Error(
            ApiError::from_value(err).unwrap_or_else(|| ApiError {
                message: err.to_string(),
                ..ApiError::default()
            }),
        ));
    }
    let kind = raw.kind.unwrap_or_default();
    if kind == "error" {
        return Ok(ImageStreamEvent::Error(ApiError {
            message: raw.message.unwrap_or_default(),
            r#type: None,
            param: raw.param,
            code: raw.code,
            moderation_details: None,
        }));
    }

    let meta = ImageMeta {
        size: raw.size,
        quality: raw.quality,
        background: raw.background,
        output_format: raw.output_format,
        created_at: raw.created_at,
    };
    match kind.as_str() {
        "image_generation.partial_image" | "image_edit.partial_image" => {
            let b64 = raw
                .b64_json
                .ok_or_else(|| format!("a {kind} event arrived without image data"))?;
            let index = match raw.partial_image_index {
                None => 0,
                Some(i) => u32::try_from(i)
                    .map_err(|_| format!("a {kind} event has an invalid index {i}"))?,
            };
            Ok(ImageStreamEvent::Partial { index, b64, meta })
        }
        "image_generation.completed" | "image_edit.completed" => {
            let b64 = raw
                .b64_json
                .ok_or_else(|| format!("a {kind} event arrived without image data"))?;
            Ok(ImageStreamEvent::Completed {
                b64,
                meta,
                usage: raw.usage,
            })
        }
        _ => Ok(ImageStreamEvent::Unknown(kind)),
    }
}

/// Python-style truthiness, matching the SDKs' `if data.get("error")` check.
fn is_truthy(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Deserializes an optional string, borrowing from the input when it has no escapes.
/// (`#[serde(borrow)]` alone only borrows a bare `Cow<str>` field, not one inside `Option`.)
fn opt_cow_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a base64 string or null")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
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
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai::sse::SseParser;

    fn data_ev(data: &str) -> SseEvent {
        SseEvent {
            event: None,
            data: data.to_owned(),
            id: None,
        }
    }

    #[test]
    fn partial_image_generation_and_edit() {
        for kind in ["image_generation.partial_image", "image_edit.partial_image"] {
            let ev = data_ev(&format!(
                r#"{{"type":"{kind}","b64_json":"iVBORw0=","partial_image_index":2,"created_at":1620000000,"size":"1024x1024","quality":"high","background":"opaque","output_format":"png","new":true}}"#
            ));
            let parsed = parse_image_event(&ev).unwrap();
            let ImageStreamEvent::Partial { index, b64, meta } = parsed else {
                panic!("{parsed:?}")
            };
            assert_eq!(index, 2);
            assert_eq!(b64, "iVBORw0=");
            assert!(matches!(b64, Cow::Borrowed(_)), "base64 must not be copied");
            assert_eq!(
                meta,
                ImageMeta {
                    size: Some("1024x1024".into()),
                    quality: Some("high".into()),
                    background: Some("opaque".into()),
                    output_format: Some("png".into()),
                    created_at: Some(1620000000),
                }
            );
        }
    }

    #[test]
    fn completed_with_usage_and_unknown_values() {
        for kind in ["image_generation.completed", "image_edit.completed"] {
            let ev = data_ev(&format!(
                r#"{{"type":"{kind}","b64_json":"QUJD","created_at":1620000000,"size":"2048x1152","quality":"xhigh","background":"auto","output_format":"gif","usage":{{"total_tokens":100,"input_tokens":50,"output_tokens":50,"input_tokens_details":{{"text_tokens":10,"image_tokens":40}}}}}}"#
            ));
            let ImageStreamEvent::Completed { b64, meta, usage } = parse_image_event(&ev).unwrap()
            else {
                panic!()
            };
            assert_eq!(b64, "QUJD");
            assert_eq!(meta.quality.as_deref(), Some("xhigh"));
            assert_eq!(meta.output_format.as_deref(), Some("gif"));
            assert_eq!(meta.size.as_deref(), Some("2048x1152"));
            let usage = usage.unwrap();
            assert_eq!(usage.total_tokens, 100);
            assert_eq!(usage.input_tokens_details.unwrap().image_tokens, 40);
        }
    }

    #[test]
    fn minimal_and_odd_events() {
        // Only the required members; no usage, no meta.
        let ImageStreamEvent::Completed { meta, usage, .. } = parse_image_event(&data_ev(
            r#"{"type":"image_generation.completed","b64_json":"QQ=="}"#,
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(meta, ImageMeta::default());
        assert_eq!(usage, None);
        // Escaped slash in base64: decoded into an owned string rather than failing.
        let ev = data_ev(r#"{"type":"image_edit.completed","b64_json":"a\/b+","usage":"bad"}"#);
        let ImageStreamEvent::Completed { b64, usage, .. } = parse_image_event(&ev).unwrap() else {
            panic!()
        };
        assert_eq!(b64, "a/b+");
        assert_eq!(usage, None, "malformed usage is dropped, not fatal");
        // Missing index defaults to 0; leading whitespace is fine.
        let ev = data_ev(r#"  {"type":"image_generation.partial_image","b64_json":"QQ=="}"#);
        assert!(matches!(
            parse_image_event(&ev).unwrap(),
            ImageStreamEvent::Partial { index: 0, .. }
        ));
    }

    #[test]
    fn unknown_types_are_not_failures() {
        for (data, want) in [
            (
                r#"{"type":"image_generation.heartbeat"}"#,
                "image_generation.heartbeat",
            ),
            (
                r#"{"type":"response.image_generation_call.completed","item_id":"x"}"#,
                "response.image_generation_call.completed",
            ),
            (r#"{"b64_json":"QQ=="}"#, ""),
            (r#"{"type":null,"error":null}"#, ""),
        ] {
            assert_eq!(
                parse_image_event(&data_ev(data)).unwrap(),
                ImageStreamEvent::Unknown(want.into())
            );
        }
    }

    #[test]
    fn error_events() {
        let ev = data_ev(
            r#"{"type":"error","error":{"message":"Your request was rejected by the safety system.","type":"image_generation_user_error","code":"moderation_blocked","param":null,"moderation_details":{"moderation_stage":"output","categories":["sexual"]}}}"#,
        );
        let ImageStreamEvent::Error(e) = parse_image_event(&ev).unwrap() else {
            panic!()
        };
        assert_eq!(e.code.as_deref(), Some("moderation_blocked"));
        assert_eq!(
            e.moderation_details.unwrap().moderation_stage.as_deref(),
            Some("output")
        );
        // Any object with an `error` member, whatever its type.
        let ev = data_ev(
            r#"{"type":"image_generation.completed","error":{"message":"boom","type":"server_error"}}"#,
        );
        let ImageStreamEvent::Error(e) = parse_image_event(&ev).unwrap() else {
            panic!()
        };
        assert_eq!(e.message, "boom");
        assert_eq!(e.r#type.as_deref(), Some("server_error"));
        // String error and Responses-style top-level fields.
        let ImageStreamEvent::Error(e) =
            parse_image_event(&data_ev(r#"{"error":"upstream timeout"}"#)).unwrap()
        else {
            panic!()
        };
        assert_eq!(e.message, "upstream timeout");
        let ImageStreamEvent::Error(e) = parse_image_event(&data_ev(
            r#"{"type":"error","code":"server_error","message":"try again","param":null}"#,
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some("server_error"), "try again")
        );
        // Odd error values still count as errors.
        assert!(matches!(
            parse_image_event(&data_ev(r#"{"error":503}"#)).unwrap(),
            ImageStreamEvent::Error(ApiError { ref message, .. }) if message == "503"
        ));
    }

    #[test]
    fn done_and_failures() {
        assert_eq!(
            parse_image_event(&data_ev("[DONE]")).unwrap(),
            ImageStreamEvent::Done
        );
        for bad in [
            r#"{"type":"image_generation.completed","b64_json":"QUJ"#,
            "[1,2]",
            "not json",
            "",
            r#"{"type":"image_generation.completed"}"#,
            r#"{"type":"image_generation.partial_image","b64_json":"QQ==","partial_image_index":-1}"#,
            r#"{"type":"image_edit.completed","b64_json":5}"#,
        ] {
            let err = parse_image_event(&data_ev(bad)).unwrap_err();
            assert!(err.contains("image") || err.contains("event"), "{err}");
        }
    }

    #[test]
    fn whole_stream_through_parser() {
        let big = "QUJD".repeat(100_000);
        let stream = format!(
            "event: image_generation.partial_image\r\ndata: {{\"type\":\"image_generation.partial_image\",\"b64_json\":\"{big}\",\"partial_image_index\":0}}\r\n\r\n: ping\r\n\r\nevent: image_generation.completed\r\ndata: {{\"type\":\"image_generation.completed\",\"b64_json\":\"{big}\",\"quality\":\"max\",\"usage\":{{\"output_tokens\":1056}}}}\r\n\r\ndata: [DONE]\r\n\r\n"
        );
        let mut p = SseParser::new();
        let mut evs = Vec::new();
        for chunk in stream.as_bytes().chunks(4096) {
            evs.extend(p.push(chunk));
        }
        assert!(!p.finish().truncated);
        let parsed: Vec<_> = evs.iter().map(|e| parse_image_event(e).unwrap()).collect();
        assert_eq!(parsed.len(), 3);
        assert!(
            matches!(&parsed[0], ImageStreamEvent::Partial { index: 0, b64, .. } if b64.len() == big.len())
        );
        assert!(
            matches!(&parsed[1], ImageStreamEvent::Completed { usage: Some(u), .. } if u.output_tokens == 1056)
        );
        assert_eq!(parsed[2], ImageStreamEvent::Done);
    }
}
