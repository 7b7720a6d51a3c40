//! What a request asks for, as far as its price depends on it: model, size, quality, `n`,
//! partial images, prompt length (in bytes) and its input images. Read from an admitted request's
//! spooled body (JSON or multipart, both endpoints) as a stream, never whole in memory: only
//! the first [`IMAGE_HEAD`] bytes of each multipart image are kept (for its width and height),
//! and a JSON body's images are only counted (each priced at the largest size the rules
//! allow, [`UNKNOWN_INPUT_SIZE`]). Only the price is derived; the body is forwarded byte for
//! byte and the upstream validates it.

use std::collections::HashMap;
use std::io::Cursor;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::spool::Spool;
use crate::errors::ApiError;

/// Which image route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/images/generations`
    Generations,
    /// `POST /v1/images/edits`
    Edits,
}

impl Endpoint {
    /// The fixed upstream path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Generations => "/v1/images/generations",
            Endpoint::Edits => "/v1/images/edits",
        }
    }
}

/// An input image whose size cannot be read (a JSON edit's image, a file id, an unreadable
/// file) is priced as this size: 3:1, the widest shape the models accept.
pub const UNKNOWN_INPUT_SIZE: (u32, u32) = (1536, 512);
/// Bytes of each multipart image read for its width and height.
pub const IMAGE_HEAD: usize = 256 * 1024;
/// Bytes kept of a multipart text field other than the prompt.
const TEXT_MAX: usize = 1024;

/// The price-relevant parameters of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `model`, or the API's default for the endpoint.
    pub model: String,
    /// `quality` (default `auto`).
    pub quality: String,
    /// Explicit `WxH`, or `None` for `auto` / absent / unparsable.
    pub size: Option<(u32, u32)>,
    /// `n`, clamped to 1–10 (the API refuses anything else, unbilled).
    pub n: u32,
    /// Partial images per image when streaming (0–3).
    pub partial_images: u32,
    /// UTF-8 bytes of the prompt (a tokenizer makes at most one token of each).
    pub prompt_bytes: usize,
    /// Width and height of each input image (edits).
    pub input_images: Vec<(u32, u32)>,
    /// `input_fidelity: high` was asked for.
    pub high_input_fidelity: bool,
}

fn bad_body(why: &str) -> ApiError {
    ApiError::invalid(
        "invalid_body",
        None,
        format!("This server could not read the request to price it against the budget: {why}."),
    )
}

/// Reads the price-relevant parameters of a spooled request body.
pub async fn summarize(
    endpoint: Endpoint,
    content_type: Option<&str>,
    body: &Spool,
) -> Result<Summary, ApiError> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let (params, images) = if ct.starts_with("multipart/form-data") {
        multipart(content_type.unwrap_or(""), body).await?
    } else {
        let reader = body.reader();
        let fields =
            tokio::task::spawn_blocking(move || serde_json::from_reader::<_, JsonFields>(reader))
                .await
                .map_err(|_| bad_body("the body could not be read"))?
                .map_err(|e| {
                    bad_body(if e.is_data() {
                        "the body is not a JSON object with the API's fields"
                    } else {
                        "the body is not JSON"
                    })
                })?;
        let images = vec![UNKNOWN_INPUT_SIZE; fields.images.as_ref().map_or(0, |c| c.0)];
        (fields.params(), images)
    };
    Ok(summary_from(endpoint, &params, images))
}

/// The price-relevant parameters of a JSON body already parsed into [`JsonFields`] (a batch
/// line's `body`).
pub fn summarize_json(endpoint: Endpoint, fields: JsonFields) -> Summary {
    let images = vec![UNKNOWN_INPUT_SIZE; fields.images.as_ref().map_or(0, |c| c.0)];
    summary_from(endpoint, &fields.params(), images)
}

fn summary_from(
    endpoint: Endpoint,
    params: &HashMap<&'static str, Value>,
    images: Vec<(u32, u32)>,
) -> Summary {
    let text = |key: &str| match params.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let int = |key: &str| match params.get(key) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let stream = matches!(params.get("stream"), Some(Value::Bool(true)))
        || text("stream").is_some_and(|s| s == "true");
    let default_model = match endpoint {
        Endpoint::Generations => "dall-e-2",
        Endpoint::Edits => "gpt-image-1.5",
    };
    Summary {
        model: text("model").unwrap_or_else(|| default_model.into()),
        quality: text("quality").unwrap_or_else(|| "auto".into()),
        size: text("size").and_then(|s| crate::fake::models::parse_size(&s)),
        n: int("n").unwrap_or(1).clamp(1, 10) as u32,
        partial_images: if stream {
            int("partial_images").unwrap_or(0).min(3) as u32
        } else {
            0
        },
        prompt_bytes: match params.get("prompt") {
            Some(Value::String(p)) => p.len(),
            Some(Value::Number(bytes)) => bytes.as_u64().unwrap_or(0) as usize,
            _ => 0,
        },
        input_images: images,
        high_input_fidelity: text("input_fidelity").is_some_and(|f| f == "high"),
    }
}

/// The fields of a JSON body that its price depends on; everything else is skipped as it is
/// parsed (never held), and `images` is only counted.
#[derive(Debug, Deserialize)]
pub struct JsonFields {
    model: Option<Value>,
    quality: Option<Value>,
    size: Option<Value>,
    n: Option<Value>,
    stream: Option<Value>,
    partial_images: Option<Value>,
    prompt: Option<Value>,
    input_fidelity: Option<Value>,
    images: Option<Count>,
}

impl JsonFields {
    fn params(self) -> HashMap<&'static str, Value> {
        [
            ("model", self.model),
            ("quality", self.quality),
            ("size", self.size),
            ("n", self.n),
            ("stream", self.stream),
            ("partial_images", self.partial_images),
            ("prompt", self.prompt),
            ("input_fidelity", self.input_fidelity),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
    }
}

/// The number of elements of a JSON array (0 for anything else), counted without keeping them.
#[derive(Debug)]
pub struct Count(usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Count(n))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count(0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_str<E>(self, _: &str) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_unit<E>(self) -> Result<Count, E> {
                Ok(Count(0))
            }
        }
        d.deserialize_any(CountVisitor)
    }
}

/// Width and height from an image file's first bytes (PNG, JPEG, WebP), without decoding it.
fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// Text fields (the prompt as its length in bytes) and input image sizes of a multipart body,
/// read as a stream.
async fn multipart(
    content_type: &str,
    body: &Spool,
) -> Result<(HashMap<&'static str, Value>, Vec<(u32, u32)>), ApiError> {
    const KEPT: [&str; 7] = [
        "model",
        "quality",
        "size",
        "n",
        "stream",
        "partial_images",
        "input_fidelity",
    ];
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| bad_body("no multipart boundary"))?;
    let mut form = multer::Multipart::new(body.stream(), boundary);
    let malformed = |_| bad_body("malformed multipart body");
    let mut params = HashMap::new();
    let mut images = Vec::new();
    let mut prompt_bytes = 0usize;
    while let Some(mut field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let mut kept = Vec::new();
        let limit = match name.as_str() {
            "image" | "image[]" => IMAGE_HEAD,
            "prompt" if !is_file => 0,
            n if !is_file && KEPT.contains(&n) => TEXT_MAX,
            _ => 0,
        };
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if name == "prompt" && !is_file {
                prompt_bytes += chunk.len();
            }
            let take = chunk.len().min(limit.saturating_sub(kept.len()));
            kept.extend_from_slice(&chunk[..take]);
        }
        match name.as_str() {
            "image" | "image[]" => images.push(dimensions(&kept).unwrap_or(UNKNOWN_INPUT_SIZE)),
            "prompt" if !is_file => {
                params.insert("prompt", Value::from(prompt_bytes as u64));
            }
            n if !is_file => {
                if let Some(key) = KEPT.iter().find(|k| **k == n) {
                    params.insert(
                        *key,
                        Value::String(String::from_utf8_lossy(&kept).into_owned()),
                    );
                }
            }
            _ => {}
        }
    }
    Ok((params, images))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn spool(bytes: impl Into<Bytes>) -> Spool {
        Spool::from_bytes(bytes.into())
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::RgbImage::new(w, h)
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    #[tokio::test]
    async fn json_generation() {
        let body = serde_json::json!({"model": "gpt-image-2", "prompt": "héllo", "size": "1536x864",
            "quality": "high", "n": 3, "stream": true, "partial_images": 2});
        let s = summarize(
            Endpoint::Generations,
            Some("application/json"),
            &spool(body.to_string()),
        )
        .await
        .expect("summary");
        assert_eq!(
            s,
            Summary {
                model: "gpt-image-2".into(),
                quality: "high".into(),
                size: Some((1536, 864)),
                n: 3,
                partial_images: 2,
                prompt_bytes: 6,
                input_images: vec![],
                high_input_fidelity: false,
            }
        );
        let s = summarize(
            Endpoint::Generations,
            None,
            &spool("{\"prompt\":\"p\",\"partial_images\":3}"),
        )
        .await
        .expect("summary");
        assert_eq!(
            (
                s.model.as_str(),
                s.quality.as_str(),
                s.size,
                s.n,
                s.partial_images
            ),
            ("dall-e-2", "auto", None, 1, 0)
        );
        assert!(summarize(Endpoint::Generations, None, &spool("[1]"))
            .await
            .is_err());
        assert!(
            summarize(Endpoint::Generations, None, &spool("{\"n\":1,\"n\":2}"))
                .await
                .is_err(),
            "duplicate fields are refused, not priced by one of them"
        );
    }

    #[tokio::test]
    async fn multipart_edit_reads_fields_and_image_sizes() {
        let boundary = "XyZ";
        let mut body = Vec::new();
        let mut text = |name: &str, value: &str| {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            )
        };
        text("model", "gpt-image-2");
        text("prompt", "edit me");
        text("n", "2");
        text("input_fidelity", "high");
        for (w, h) in [(64, 32), (16, 48)] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(&png(w, h));
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let s = summarize(
            Endpoint::Edits,
            Some("multipart/form-data; boundary=XyZ"),
            &spool(body),
        )
        .await
        .expect("summary");
        assert_eq!(s.model, "gpt-image-2");
        assert_eq!(s.n, 2);
        assert_eq!(s.prompt_bytes, 7);
        assert!(s.high_input_fidelity);
        assert_eq!(s.input_images, vec![(64, 32), (16, 48)]);
    }

    #[tokio::test]
    async fn json_edit_images_are_counted_at_the_widest_size() {
        use base64::Engine as _;
        let data = base64::engine::general_purpose::STANDARD.encode(png(40, 20));
        let body = serde_json::json!({"model": "gpt-image-2", "prompt": "p", "images": [
            {"image_url": format!("data:image/png;base64,{data}")}, {"file_id": "file-1"}],
            "unknown": {"nested": [1, 2, 3]}});
        let s = summarize(
            Endpoint::Edits,
            Some("application/json"),
            &spool(body.to_string()),
        )
        .await
        .expect("summary");
        assert_eq!(s.input_images, vec![UNKNOWN_INPUT_SIZE; 2]);
        assert_eq!(s.prompt_bytes, 1);
    }
}
