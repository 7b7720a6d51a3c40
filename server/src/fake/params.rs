//! Turns a request body (JSON or multipart) into a [`RawRequest`]: the non-file fields as
//! received plus the uploaded files. No validation of values happens here.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// Which image endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/images/generations`
    Generations,
    /// `POST /v1/images/edits`
    Edits,
}

impl Endpoint {
    /// `generations` or `edits` (journal and attempt counting).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Generations => "generations",
            Endpoint::Edits => "edits",
        }
    }

    /// Prefix of the SSE event types.
    pub fn event_prefix(self) -> &'static str {
        match self {
            Endpoint::Generations => "image_generation",
            Endpoint::Edits => "image_edit",
        }
    }
}

/// How the body was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyForm {
    /// `application/json`: values keep their JSON types.
    Json,
    /// `multipart/form-data`: every text field is a string.
    Multipart,
}

/// One uploaded file (a multipart part or a decoded data URL).
#[derive(Debug, Clone)]
pub struct Upload {
    /// Field name as sent (`image[]`, `image`, `mask`, `markup`, `images`).
    pub field: String,
    /// File name of the part, if any.
    pub filename: Option<String>,
    /// Declared content type (never trusted for the format).
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Bytes,
}

/// A parsed but unvalidated request.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// JSON or multipart.
    pub form: BodyForm,
    /// Every non-file field as received.
    pub params: Map<String, Value>,
    /// `image[]` / `image` parts, or `images[]` of the JSON edit form, in order.
    pub images: Vec<Upload>,
    /// The mask, if sent.
    pub mask: Option<Upload>,
    /// The markup overlay, if sent.
    pub markup: Option<Upload>,
}

impl RawRequest {
    /// An empty request, used to journal bodies that could not be parsed.
    pub fn empty(endpoint: Endpoint, form: BodyForm) -> Self {
        Self {
            endpoint,
            form,
            params: Map::new(),
            images: Vec::new(),
            mask: None,
            markup: None,
        }
    }

    /// The prompt if it was sent as a string.
    pub fn prompt(&self) -> Option<&str> {
        self.params.get("prompt").and_then(Value::as_str)
    }

    /// The model if it was sent as a string.
    pub fn model(&self) -> Option<&str> {
        self.params.get("model").and_then(Value::as_str)
    }
}

/// A body that could not be parsed: what was understood (for the journal) and the error.
#[derive(Debug)]
pub struct ParseFailure {
    /// The partially parsed request.
    pub raw: RawRequest,
    /// The error to answer.
    pub error: ApiError,
}

fn fail(raw: RawRequest, error: ApiError) -> Box<ParseFailure> {
    Box::new(ParseFailure { raw, error })
}

/// The form a content type announces (`None` for anything else).
pub fn form_of(content_type: Option<&str>) -> Option<BodyForm> {
    let essence = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Some(BodyForm::Json),
        "multipart/form-data" => Some(BodyForm::Multipart),
        _ => None,
    }
}

/// Parses the body. Generations accept JSON only; edits accept multipart or JSON.
/// On error the partially parsed request (for the journal) comes back with the error.
pub async fn parse(
    endpoint: Endpoint,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<RawRequest, Box<ParseFailure>> {
    // A missing content type is read as JSON, like a lenient client library would send.
    let form = match content_type {
        None => BodyForm::Json,
        Some(ct) => form_of(Some(ct)).ok_or_else(|| {
            fail(
                RawRequest::empty(endpoint, BodyForm::Json),
                unsupported_content_type(endpoint, ct),
            )
        })?,
    };
    match (endpoint, form) {
        (Endpoint::Generations, BodyForm::Multipart) => Err(fail(
            RawRequest::empty(endpoint, form),
            unsupported_content_type(endpoint, content_type.unwrap_or_default()),
        )),
        (_, BodyForm::Json) => parse_json(endpoint, &body),
        (_, BodyForm::Multipart) => {
            parse_multipart(endpoint, content_type.unwrap_or_default(), body).await
        }
    }
}

fn unsupported_content_type(endpoint: Endpoint, ct: &str) -> ApiError {
    let accepted = match endpoint {
        Endpoint::Generations => "'application/json'",
        Endpoint::Edits => "'multipart/form-data' or 'application/json'",
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        None,
        format!(
            "Invalid Content-Type header ({essence}), expected {accepted}. This API method only \
             accepts {accepted} requests."
        ),
    )
}

fn parse_json(endpoint: Endpoint, body: &[u8]) -> Result<RawRequest, Box<ParseFailure>> {
    let mut raw = RawRequest::empty(endpoint, BodyForm::Json);
    let params = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(fail(raw, invalid_json())),
    };
    raw.params = params;
    if endpoint == Endpoint::Edits {
        if let Err(e) = take_json_images(&mut raw) {
            return Err(fail(raw, e));
        }
    }
    Ok(raw)
}

/// The real API's message for a body that is not a JSON object.
fn invalid_json() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        None,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't \
         using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was \
         sent was not valid JSON. If you have trouble figuring out how to fix this, please \
         contact us through our help center at help.openai.com.)",
    )
}

/// Moves `images`, `mask` and `markup` of the JSON edit form out of the params.
fn take_json_images(raw: &mut RawRequest) -> Result<(), ApiError> {
    if let Some(images) = raw.params.remove("images") {
        let Value::Array(items) = &images else {
            return Err(ApiError::invalid_type("images", "an array", &images));
        };
        for (i, item) in items.iter().enumerate() {
            raw.images
                .push(image_ref(&format!("images[{i}]"), "images", item)?);
        }
    }
    if let Some(mask) = raw.params.remove("mask") {
        raw.mask = Some(image_ref("mask", "mask", &mask)?);
    }
    if let Some(markup) = raw.params.remove("markup") {
        raw.markup = Some(image_ref("markup", "markup", &markup)?);
    }
    Ok(())
}

/// Decodes an `ImageRefParam` (`{image_url}` data URL; `file_id` is not supported here).
fn image_ref(param: &str, field: &str, value: &Value) -> Result<Upload, ApiError> {
    let Value::Object(obj) = value else {
        return Err(ApiError::invalid_type(param, "an object", value));
    };
    if let Some(key) = obj.keys().find(|k| *k != "image_url" && *k != "file_id") {
        return Err(ApiError::unknown_parameter(&format!("{param}.{key}")));
    }
    match (obj.get("image_url"), obj.get("file_id")) {
        (Some(_), Some(_)) | (None, None) => Err(ApiError::invalid_value(
            param,
            format!("'{param}' must contain exactly one of 'image_url' or 'file_id'."),
        )),
        (None, Some(_)) => Err(ApiError::invalid_value(
            &format!("{param}.file_id"),
            "file_id references are not supported by this fake server (it has no Files API); \
             send the image as a data URL in image_url, or use the multipart form.",
        )),
        (Some(Value::String(url)), None) => {
            let (content_type, data) = decode_data_url(url).ok_or_else(|| {
                ApiError::invalid_value(
                    &format!("{param}.image_url"),
                    "image_url must be a base64 data URL (data:image/png;base64,...); this fake \
                     server does not fetch remote URLs.",
                )
            })?;
            Ok(Upload {
                field: field.to_string(),
                filename: None,
                content_type: Some(content_type),
                data: Bytes::from(data),
            })
        }
        (Some(other), None) => Err(ApiError::invalid_type(
            &format!("{param}.image_url"),
            "a string",
            other,
        )),
    }
}

/// Splits `data:<type>;base64,<payload>` into the type and the decoded bytes.
fn decode_data_url(url: &str) -> Option<(String, Vec<u8>)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, payload) = rest.split_once(',')?;
    let content_type = meta.strip_suffix(";base64")?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .ok()?;
    Some((content_type.to_string(), data))
}

async fn parse_multipart(
    endpoint: Endpoint,
    content_type: &str,
    body: Bytes,
) -> Result<RawRequest, Box<ParseFailure>> {
    let mut raw = RawRequest::empty(endpoint, BodyForm::Multipart);
    let bad = |message: String| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            None,
            message,
        )
    };
    let boundary = match multer::parse_boundary(content_type) {
        Ok(b) => b,
        Err(e) => {
            return Err(fail(
                raw,
                bad(format!("Invalid multipart/form-data body: {e}.")),
            ))
        }
    };
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(fail(
                    raw,
                    bad(format!("Invalid multipart/form-data body: {e}.")),
                ))
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let part_type = field.content_type().map(ToString::to_string);
        let data = match field.bytes().await {
            Ok(data) => data,
            Err(e) => {
                return Err(fail(
                    raw,
                    bad(format!("Invalid multipart/form-data body: {e}.")),
                ))
            }
        };
        let upload = |data| Upload {
            field: name.clone(),
            filename: filename.clone(),
            content_type: part_type.clone(),
            data,
        };
        match name.as_str() {
            "image" | "image[]" => raw.images.push(upload(data)),
            "mask" | "markup" => {
                let slot = if name == "mask" {
                    &mut raw.mask
                } else {
                    &mut raw.markup
                };
                if slot.is_some() {
                    let e = ApiError::invalid_value(
                        &name,
                        format!("Only one '{name}' file may be sent."),
                    );
                    return Err(fail(raw, e));
                }
                *slot = Some(upload(data));
            }
            _ => match String::from_utf8(data.to_vec()) {
                // Repeated text fields: the last one wins, as in most form parsers.
                Ok(text) => {
                    raw.params.insert(name, Value::String(text));
                }
                Err(_) => {
                    let e = ApiError::invalid_value(&name, format!("'{name}' must be UTF-8 text."));
                    return Err(fail(raw, e));
                }
            },
        }
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_forms() {
        assert_eq!(
            form_of(Some("application/json; charset=utf-8")),
            Some(BodyForm::Json)
        );
        assert_eq!(
            form_of(Some("Multipart/Form-Data; boundary=x")),
            Some(BodyForm::Multipart)
        );
        assert_eq!(form_of(Some("text/plain")), None);
    }

    #[test]
    fn data_urls() {
        let (t, d) = decode_data_url("data:image/png;base64,aGk=").expect("valid");
        assert_eq!((t.as_str(), d.as_slice()), ("image/png", b"hi".as_slice()));
        assert!(decode_data_url("https://example.com/a.png").is_none());
        assert!(decode_data_url("data:image/png,raw").is_none());
    }

    #[tokio::test]
    async fn multipart_splits_files_and_fields() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhello\r\n\
                    --B\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"a.png\"\r\n\
                    Content-Type: image/png\r\n\r\nPNGDATA\r\n--B--\r\n";
        let raw = parse(
            Endpoint::Edits,
            Some("multipart/form-data; boundary=B"),
            Bytes::from(body),
        )
        .await
        .expect("parses");
        assert_eq!(raw.prompt(), Some("hello"));
        assert_eq!(raw.images.len(), 1);
        assert_eq!(raw.images[0].filename.as_deref(), Some("a.png"));
        assert_eq!(&raw.images[0].data[..], b"PNGDATA");
    }

    #[tokio::test]
    async fn json_errors() {
        let err = parse(
            Endpoint::Generations,
            Some("application/json"),
            Bytes::from("[1]"),
        )
        .await
        .expect_err("not an object");
        assert!(err
            .error
            .parts()
            .message
            .contains("could not parse the JSON"));
        let err = parse(
            Endpoint::Generations,
            Some("multipart/form-data; boundary=x"),
            Bytes::new(),
        )
        .await
        .expect_err("generations is JSON only");
        assert!(err.error.parts().message.contains("Content-Type"));
        let body = r#"{"prompt":"p","images":[{"file_id":"file-1"}]}"#;
        let err = parse(Endpoint::Edits, Some("application/json"), Bytes::from(body))
            .await
            .expect_err("file_id unsupported");
        assert_eq!(
            err.error.parts().param.as_deref(),
            Some("images[0].file_id")
        );
    }
}
