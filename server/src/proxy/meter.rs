//! What a request asks for, as far as its price depends on it: model, size, quality, `n`,
//! partial images, prompt length and the sizes of its input images. Read from the buffered
//! body of a request whose token has a budget (JSON or multipart, both endpoints). Only the
//! price is derived; the body is forwarded byte for byte and the upstream validates it.

use std::io::Cursor;

use axum::body::Bytes;
use base64::Engine as _;
use serde_json::{Map, Value};

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

/// An input image whose size cannot be read (a URL or file id in a JSON edit) is priced as
/// this size: 3:1, the most tiles the reference's rule gives an image.
pub const UNKNOWN_INPUT_SIZE: (u32, u32) = (1536, 512);

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
    /// Characters of the prompt.
    pub prompt_chars: usize,
    /// Width and height of each input image (edits).
    pub input_images: Vec<(u32, u32)>,
    /// `input_fidelity: high` was asked for.
    pub high_input_fidelity: bool,
}

fn bad_body(why: &str) -> ApiError {
    ApiError::invalid(
        "invalid_body",
        None,
        format!(
            "This server could not read the request to price it against the token's budget: {why}."
        ),
    )
}

/// Reads the price-relevant parameters of a buffered request body.
pub async fn summarize(
    endpoint: Endpoint,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Summary, ApiError> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let (params, images) = if ct.starts_with("multipart/form-data") {
        multipart(content_type.unwrap_or(""), body).await?
    } else {
        let value: Value =
            serde_json::from_slice(&body).map_err(|_| bad_body("the body is not JSON"))?;
        let Value::Object(map) = value else {
            return Err(bad_body("the body is not a JSON object"));
        };
        let images = json_images(&map);
        (map, images)
    };
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
    Ok(Summary {
        model: text("model").unwrap_or_else(|| default_model.into()),
        quality: text("quality").unwrap_or_else(|| "auto".into()),
        size: text("size").and_then(|s| crate::fake::models::parse_size(&s)),
        n: int("n").unwrap_or(1).clamp(1, 10) as u32,
        partial_images: if stream {
            int("partial_images").unwrap_or(0).min(3) as u32
        } else {
            0
        },
        prompt_chars: text("prompt").map_or(0, |p| p.chars().count()),
        input_images: images,
        high_input_fidelity: text("input_fidelity").is_some_and(|f| f == "high"),
    })
}

/// Width and height from an image file's header (PNG, JPEG, WebP), without decoding it.
fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// Input image sizes of a JSON edit (`images: [{image_url: "data:…"} | {file_id}]`).
fn json_images(map: &Map<String, Value>) -> Vec<(u32, u32)> {
    let Some(Value::Array(images)) = map.get("images") else {
        return Vec::new();
    };
    images
        .iter()
        .map(|image| {
            image
                .get("image_url")
                .and_then(Value::as_str)
                .and_then(|url| url.strip_prefix("data:"))
                .and_then(|rest| rest.split_once(";base64,"))
                .and_then(|(_, data)| base64::engine::general_purpose::STANDARD.decode(data).ok())
                .and_then(|bytes| dimensions(&bytes))
                .unwrap_or(UNKNOWN_INPUT_SIZE)
        })
        .collect()
}

/// Text fields (as JSON strings) and input image sizes of a multipart body.
async fn multipart(
    content_type: &str,
    body: Bytes,
) -> Result<(Map<String, Value>, Vec<(u32, u32)>), ApiError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| bad_body("no multipart boundary"))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut params = Map::new();
    let mut images = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| bad_body("malformed multipart body"))?
    {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let data = field
            .bytes()
            .await
            .map_err(|_| bad_body("malformed multipart body"))?;
        if name == "image" || name == "image[]" {
            images.push(dimensions(&data).unwrap_or(UNKNOWN_INPUT_SIZE));
        } else if !is_file {
            params.insert(
                name,
                Value::String(String::from_utf8_lossy(&data).into_owned()),
            );
        }
    }
    Ok((params, images))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Bytes::from(body.to_string()),
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
                prompt_chars: 5,
                input_images: vec![],
                high_input_fidelity: false,
            }
        );
        let s = summarize(
            Endpoint::Generations,
            None,
            Bytes::from("{\"prompt\":\"p\",\"partial_images\":3}"),
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
        assert!(summarize(Endpoint::Generations, None, Bytes::from("[1]"))
            .await
            .is_err());
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
            Bytes::from(body),
        )
        .await
        .expect("summary");
        assert_eq!(s.model, "gpt-image-2");
        assert_eq!(s.n, 2);
        assert_eq!(s.prompt_chars, 7);
        assert!(s.high_input_fidelity);
        assert_eq!(s.input_images, vec![(64, 32), (16, 48)]);
    }

    #[tokio::test]
    async fn json_edit_images() {
        let data = base64::engine::general_purpose::STANDARD.encode(png(40, 20));
        let body = serde_json::json!({"model": "gpt-image-2", "prompt": "p", "images": [
            {"image_url": format!("data:image/png;base64,{data}")}, {"file_id": "file-1"}]});
        let s = summarize(
            Endpoint::Edits,
            Some("application/json"),
            Bytes::from(body.to_string()),
        )
        .await
        .expect("summary");
        assert_eq!(s.input_images, vec![(40, 20), UNKNOWN_INPUT_SIZE]);
    }
}
