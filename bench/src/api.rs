//! The two requests of an anchor-first series, encoded by the app's own pure
//! [`ImageRequest`] and checked the way the app checks a response (status, base64, image
//! type and size, usage → cost).

use base64::Engine as _;
use bytes::Bytes;
use continuity_core::catalogue::{Catalogue, ModelInfo};
use continuity_core::cost::{actual_usd, estimate, CostQuery};
use continuity_core::image_type::sniff;
use continuity_core::model::size::Size;
use continuity_core::openai::request::ImageRequest;
use continuity_core::openai::response::ResponseMeta;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// The model every frame uses.
pub const MODEL: &str = "gpt-image-2";
/// 16:9, as a storyboard series (reference §3.2).
pub const SIZE: Size = Size::new(1536, 864);
/// The quality every frame uses.
pub const QUALITY: &str = "medium";

/// What one frame sends.
#[derive(Debug, Clone)]
pub enum FrameRequest {
    /// `POST /v1/images/generations` (the anchor).
    Generation {
        /// The frame's prompt.
        prompt: String,
    },
    /// `POST /v1/images/edits` with the anchor image as the only `image[]` part.
    Edit {
        /// The frame's prompt.
        prompt: String,
        /// The anchor's PNG bytes, as decoded from its response.
        anchor: Bytes,
    },
}

/// A checked image from a response.
#[derive(Debug, Clone)]
pub struct FrameImage {
    /// The decoded PNG bytes.
    pub png: Bytes,
    /// Cost from the response's `usage` at the model's prices (0 without usage, as in the app).
    pub cost_usd: f64,
}

/// A client for the fake's image routes; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    model: ModelInfo,
}

impl Api {
    /// Talks to `base` (e.g. `http://127.0.0.1:1234`) with `client`.
    pub fn new(client: reqwest::Client, base: &str) -> Result<Self, String> {
        let model = Catalogue::builtin()
            .get(MODEL)
            .ok_or_else(|| format!("{MODEL} is missing from the built-in catalogue"))?
            .clone();
        Ok(Self {
            client,
            base: base.to_string(),
            model,
        })
    }

    /// The app's preflight estimate for one frame (n = 1, no partial images).
    pub fn estimate_usd(&self) -> f64 {
        let query = CostQuery {
            size: Some(SIZE),
            quality: QUALITY,
            n: 1,
            partial_images: 0,
        };
        estimate(&self.model, &query).usd
    }

    /// Sends one frame's request and checks its answer.
    pub async fn send(&self, frame: FrameRequest) -> Result<FrameImage, String> {
        let (prompt, anchor) = match &frame {
            FrameRequest::Generation { prompt } => (prompt, None),
            FrameRequest::Edit { prompt, anchor } => (prompt, Some(anchor.clone())),
        };
        let request = ImageRequest::new(MODEL, prompt, Some(SIZE), QUALITY);
        request
            .validate(&self.model, usize::from(anchor.is_some()))
            .map_err(|problems| format!("the app would refuse this request: {problems:?}"))?;
        let builder = match anchor {
            None => self
                .client
                .post(format!("{}/v1/images/generations", self.base))
                .header("content-type", "application/json")
                .body(request.generation_json()),
            Some(anchor) => {
                let mut form = Form::new();
                for (name, value) in request.edit_fields() {
                    form = form.text(name, value);
                }
                let length = anchor.len() as u64;
                // Streamed from the shared `Bytes`, so the anchor is not copied per request.
                let image = Part::stream_with_length(anchor, length)
                    .file_name("image-1.png")
                    .mime_str("image/png")
                    .map_err(|e| format!("bad MIME type: {e}"))?;
                // Repeated `image[]` parts, even for one image, as the app sends (reference §4.1).
                form = form.part("image[]", image);
                self.client
                    .post(format!("{}/v1/images/edits", self.base))
                    .multipart(form)
            }
        };
        let response = builder
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the response failed: {e}"))?;
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body);
            return Err(format!(
                "HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        self.check(&body)
    }

    /// Decodes `data[0].b64_json`, checks that it is a PNG of [`SIZE`], and prices the usage.
    fn check(&self, body: &[u8]) -> Result<FrameImage, String> {
        let mut json: Value =
            serde_json::from_slice(body).map_err(|e| format!("the response is not JSON: {e}"))?;
        let data = json
            .as_object_mut()
            .and_then(|o| o.remove("data"))
            .ok_or("the response has no data")?;
        let b64 = data[0]["b64_json"]
            .as_str()
            .ok_or("the response has no data[0].b64_json")?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("b64_json is not base64: {e}"))?;
        if sniff(&png) != Some("image/png") {
            return Err("b64_json is not a PNG".into());
        }
        let size = png_size(&png).ok_or("the PNG has no IHDR header")?;
        if size != (SIZE.width, SIZE.height) {
            return Err(format!("the image is {}x{}, not {SIZE}", size.0, size.1));
        }
        let meta: ResponseMeta =
            serde_json::from_value(json).map_err(|e| format!("unexpected response shape: {e}"))?;
        let cost_usd = meta
            .usage
            .as_ref()
            .map_or(0.0, |u| actual_usd(&self.model, u));
        Ok(FrameImage {
            png: Bytes::from(png),
            cost_usd,
        })
    }
}

/// Width and height from a PNG's IHDR chunk (bytes 16..24, big-endian).
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    Some((word(16), word(20)))
}
