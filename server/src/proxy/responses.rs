//! `POST /v1/responses` in forward mode: the brief planner's, describe's and checks' text
//! calls, through the same steps as the image routes — cross-site guard, access token, rate
//! and concurrency, body limits — and, for a budgeted token, the call's worst case reserved
//! before it is sent and settled from the answer's `usage` afterwards.
//!
//! The worst case is the app's rule (`continuity_core::text_models::worst_case_usd`): every
//! body byte apart from image data URLs a token, every image at the model's largest image
//! count, the output at `max_output_tokens` (the model's own cap without one). The body is
//! read as a stream for that, keeping only lengths; it is forwarded byte for byte.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::Response;
use continuity_core::text_models::TextCallSize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::refuse::{api_error, mark};
use super::{guarded, upstream, Proxy};
use crate::errors::ApiError;
use crate::log::Note;
use crate::tokens::spec::usd_to_micros;

/// The fixed upstream path.
pub const PATH: &str = "/v1/responses";

/// `POST /v1/responses`.
pub async fn responses(State(state): State<Arc<Proxy>>, req: Request) -> Response {
    guarded(&state, req, |state, req, note| async move {
        forward(&state, req, &note).await
    })
    .await
}

async fn forward(state: &Arc<Proxy>, req: Request, note: &Note) -> Result<Response, Response> {
    let (parts, body) = req.into_parts();
    let mut admitted = state.gate.admit(&parts.headers, note).await?;
    let spool = admitted.read_body(body).await?;
    let mut priced = None;
    if admitted.budgeted() {
        let reader = spool.reader();
        let fields =
            tokio::task::spawn_blocking(move || serde_json::from_reader::<_, Fields>(reader))
                .await
                .map_err(|_| api_error(unreadable("the body could not be read")))?
                .map_err(|_| {
                    api_error(unreadable(
                        "the body is not a JSON object with the API's fields",
                    ))
                })?;
        let model = fields.model.clone().unwrap_or_default();
        let size = TextCallSize {
            text_bytes: (spool.len() as usize).saturating_sub(fields.image_url_bytes()),
            images: fields.images(),
            max_output_tokens: fields.max_output_tokens,
        };
        let Some(worst) = state.pricer.worst_case_text_usd(&model, &size) else {
            return Err(mark(super::refuse::unpriceable(&model), "model_not_priced"));
        };
        let micros = usd_to_micros(worst);
        admitted.reserve(micros).await?;
        priced = Some((model, micros));
    }
    let ticket = admitted.into_ticket();
    let outgoing = reqwest::Body::wrap_stream(spool.stream());
    let sent = upstream::send_to(
        &state.config,
        Method::POST,
        PATH,
        &parts.headers,
        Some((outgoing, spool.len())),
    )
    .await;
    match sent {
        Ok(upstream) => Ok(super::relay_priced(state, upstream, ticket, priced).await),
        Err(failure) => {
            if let Some(ticket) = ticket {
                ticket.finish((!failure.maybe_billed()).then_some(0)).await;
            }
            let timeout_s = state.config.timeout.as_secs();
            Ok(failure.response(state.max_body_bytes, timeout_s))
        }
    }
}

fn unreadable(why: &str) -> ApiError {
    ApiError::invalid(
        "invalid_body",
        None,
        format!("This server could not read the request to price it against the budget: {why}."),
    )
}

/// The fields of a Responses body its worst case depends on; strings are measured, not kept.
#[derive(Debug, Default, Deserialize)]
struct Fields {
    model: Option<String>,
    max_output_tokens: Option<u64>,
    #[serde(default)]
    input: Input,
}

impl Fields {
    fn parts(&self) -> impl Iterator<Item = &Part> {
        self.input.0.iter().flat_map(|item| item.content.0.iter())
    }

    fn images(&self) -> usize {
        self.parts().filter(|p| p.is_image()).count()
    }

    /// Bytes of `data:` image URLs (image tokens are counted per image instead).
    fn image_url_bytes(&self) -> usize {
        self.parts().map(|p| p.data_url_bytes).sum()
    }
}

/// `input`: a string (no parts) or a list of items.
#[derive(Debug, Default)]
struct Input(Vec<Item>);

/// An input item: only its `content` parts matter.
#[derive(Debug, Default, Deserialize)]
struct Item {
    #[serde(default)]
    content: Content,
}

/// `content`: a string (no parts) or a list of parts.
#[derive(Debug, Default)]
struct Content(Vec<Part>);

/// A content part, measured.
#[derive(Debug, Default)]
struct Part {
    kind_is_image: bool,
    has_image_source: bool,
    data_url_bytes: usize,
}

impl Part {
    fn is_image(&self) -> bool {
        self.kind_is_image || self.has_image_source
    }
}

/// A string or a list of `T`; anything else is refused.
fn string_or_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or an array")
        }
        fn visit_str<E>(self, _: &str) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string_or_list(d).map(Input)
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string_or_list(d).map(Content)
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Part;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a content part")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Part, A::Error> {
                let mut part = Part::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "type" => {
                            let kind: Measured = map.next_value()?;
                            part.kind_is_image = kind.input_image;
                        }
                        "image_url" => {
                            let url: Measured = map.next_value()?;
                            part.has_image_source = true;
                            part.data_url_bytes = url.data_url_bytes;
                        }
                        "file_id" => {
                            map.next_value::<IgnoredAny>()?;
                            part.has_image_source = true;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(part)
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON value read for two facts: whether it is the string `input_image`, and its length
/// when it is a `data:` URL. Never kept.
#[derive(Debug, Default)]
struct Measured {
    input_image: bool,
    data_url_bytes: usize,
}

impl<'de> Deserialize<'de> for Measured {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Measured;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Measured, E> {
                Ok(Measured {
                    input_image: s == "input_image",
                    data_url_bytes: if s.starts_with("data:") { s.len() } else { 0 },
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Measured, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Measured::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Measured, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Measured::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Measured, E> {
                Ok(Measured::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Measured, E> {
                Ok(Measured::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Measured, E> {
                Ok(Measured::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Measured, E> {
                Ok(Measured::default())
            }
            fn visit_unit<E>(self) -> Result<Measured, E> {
                Ok(Measured::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_measured_without_its_images() {
        let url = format!("data:image/png;base64,{}", "A".repeat(1000));
        let body = serde_json::json!({
            "model": "gpt-5-mini", "max_output_tokens": 5000,
            "input": [{"role": "user", "content": [
                {"type": "input_text", "text": "plan"},
                {"image_url": url, "type": "input_image", "detail": "high"},
                {"type": "input_image", "file_id": "file-1"}]},
                {"role": "user", "content": "plain"}],
            "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}, "strict": true}}
        });
        let f: Fields = serde_json::from_str(&body.to_string()).unwrap();
        assert_eq!(f.model.as_deref(), Some("gpt-5-mini"));
        assert_eq!(f.max_output_tokens, Some(5000));
        assert_eq!((f.images(), f.image_url_bytes()), (2, url.len()));
        let plain: Fields = serde_json::from_str(r#"{"model":"m","input":"hello"}"#).unwrap();
        assert_eq!((plain.images(), plain.max_output_tokens), (0, None));
        assert!(serde_json::from_str::<Fields>(r#"{"model":"m","input":7}"#).is_err());
    }
}
