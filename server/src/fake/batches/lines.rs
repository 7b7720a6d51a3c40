//! Validation of a batch input file, line by line, as the API would validate it (reference
//! §18): each line a JSON object with a `custom_id` unique in the file, `method: "POST"`, a
//! `url` equal to the batch's endpoint, and a `body` the endpoint itself would accept — checked
//! by the fake's own request validation ([`crate::fake::validate`]), with `file_id` images of
//! the JSON edit form resolved from the fake's files. At most 50,000 lines.

use std::collections::HashMap;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::fake::files::FileStore;
use crate::fake::inputs::sniff;
use crate::fake::params::{self, Endpoint};
use crate::fake::validate;

/// Most requests in one batch.
pub const MAX_LINES: usize = 50_000;
/// Most validation errors reported for one file.
const MAX_ERRORS: usize = 1000;

/// One valid line, ready to run.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number in the file.
    pub number: usize,
    /// The caller's id.
    pub custom_id: String,
    /// The body with every `file_id` replaced by the file's data URL.
    pub body: Value,
}

/// One validation error (`errors.data[]` of a failed batch).
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    /// Machine-readable code.
    pub code: String,
    /// What is wrong, naming the line.
    pub message: String,
    /// The parameter at fault, if any.
    pub param: Option<String>,
    /// 1-based line number (none for errors about the whole file).
    pub line: Option<usize>,
}

impl LineError {
    fn at(line: usize, code: &str, param: Option<String>, why: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: format!("Line {line}: {}", why.into()),
            param,
            line: Some(line),
        }
    }

    /// The error object of the batch.
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message, "param": self.param, "line": self.line})
    }
}

/// Validates the file's text for `endpoint`; every line is checked (up to 1,000 errors are
/// reported).
pub fn validate_file(
    text: &[u8],
    endpoint: Endpoint,
    files: &FileStore,
) -> Result<Vec<Line>, Vec<LineError>> {
    let Ok(text) = std::str::from_utf8(text) else {
        return Err(vec![file_error(
            "invalid_file_format",
            "The input file is not UTF-8 text (JSONL).",
        )]);
    };
    let numbered: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    if numbered.is_empty() {
        return Err(vec![file_error(
            "empty_file",
            "The input file has no requests.",
        )]);
    }
    if numbered.len() > MAX_LINES {
        return Err(vec![file_error(
            "too_many_requests",
            format!(
                "The input file has {} requests; a batch may have at most {MAX_LINES}.",
                numbered.len()
            ),
        )]);
    }
    let mut lines = Vec::with_capacity(numbered.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (number, text) in numbered {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        match check_line(number, text, endpoint, files, &mut seen) {
            Ok(line) => lines.push(line),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

fn file_error(code: &str, message: impl Into<String>) -> LineError {
    LineError {
        code: code.to_string(),
        message: message.into(),
        param: None,
        line: None,
    }
}

fn check_line(
    number: usize,
    text: &str,
    endpoint: Endpoint,
    files: &FileStore,
    seen: &mut HashMap<String, usize>,
) -> Result<Line, LineError> {
    let err = |code: &str, param: Option<&str>, why: String| {
        LineError::at(number, code, param.map(str::to_string), why)
    };
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(text) else {
        return Err(err(
            "invalid_json_line",
            None,
            "not a JSON object (each line must be one request: {\"custom_id\", \"method\", \
             \"url\", \"body\"})."
                .into(),
        ));
    };
    let custom_id = match object.get("custom_id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => {
            return Err(err(
                "invalid_custom_id",
                Some("custom_id"),
                "'custom_id' must be a non-empty string.".into(),
            ))
        }
        None => {
            return Err(err(
                "missing_required_parameter",
                Some("custom_id"),
                "missing 'custom_id'.".into(),
            ))
        }
    };
    if let Some(first) = seen.insert(custom_id.clone(), number) {
        return Err(err(
            "duplicate_custom_id",
            Some("custom_id"),
            format!(
                "custom_id '{custom_id}' was already used on line {first}; each must be unique."
            ),
        ));
    }
    match object.get("method") {
        Some(Value::String(m)) if m == "POST" => {}
        other => {
            return Err(err(
                "invalid_method",
                Some("method"),
                format!(
                    "'method' must be 'POST' for {}, not {}.",
                    path(endpoint),
                    other.map_or("missing".to_string(), Value::to_string)
                ),
            ))
        }
    }
    match object.get("url") {
        Some(Value::String(u)) if u == path(endpoint) => {}
        other => {
            return Err(err(
                "mismatched_url",
                Some("url"),
                format!(
                    "'url' must be the batch's endpoint {}, not {}.",
                    path(endpoint),
                    other.map_or("missing".to_string(), Value::to_string)
                ),
            ))
        }
    }
    if let Some(extra) = object
        .keys()
        .find(|k| !["custom_id", "method", "url", "body"].contains(&k.as_str()))
    {
        return Err(err(
            "unknown_parameter",
            Some(extra),
            format!("unknown field '{extra}'."),
        ));
    }
    let Some(Value::Object(mut body)) = object.remove("body") else {
        return Err(err(
            "invalid_body",
            Some("body"),
            "'body' must be a JSON object: the request as the endpoint takes it.".into(),
        ));
    };
    if body.get("stream").is_some_and(|s| s != &Value::Bool(false)) {
        return Err(err(
            "invalid_value",
            Some("body.stream"),
            "streaming is not available in a batch; leave 'stream' out.".into(),
        ));
    }
    if endpoint == Endpoint::Edits {
        resolve_file_ids(&mut body, files).map_err(|(param, why)| {
            LineError::at(number, "invalid_value", Some(format!("body.{param}")), why)
        })?;
    }
    let body = Value::Object(body);
    check_body(endpoint, &body).map_err(|(code, param, why)| {
        LineError::at(number, &code, param.map(|p| format!("body.{p}")), why)
    })?;
    Ok(Line {
        number,
        custom_id,
        body,
    })
}

fn path(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Generations => "/v1/images/generations",
        Endpoint::Edits => "/v1/images/edits",
    }
}

/// Replaces `{"file_id": id}` in `images[]`, `mask` and `markup` with the file's data URL.
fn resolve_file_ids(
    body: &mut Map<String, Value>,
    files: &FileStore,
) -> Result<(), (String, String)> {
    let resolve = |param: String, slot: &mut Value| -> Result<(), (String, String)> {
        let Some(id) = slot.get("file_id").and_then(Value::as_str) else {
            return Ok(());
        };
        if slot.get("image_url").is_some() {
            // The endpoint's own check names this.
            return Ok(());
        }
        let file = files.get(id).ok_or_else(|| {
            (
                format!("{param}.file_id"),
                format!("No such File object: {id}"),
            )
        })?;
        let mime = match sniff(&file.bytes) {
            Some(image::ImageFormat::Png) => "image/png",
            Some(image::ImageFormat::Jpeg) => "image/jpeg",
            Some(image::ImageFormat::WebP) => "image/webp",
            _ => {
                return Err((
                    format!("{param}.file_id"),
                    format!("File {id} is not a PNG, JPEG or WebP image."),
                ))
            }
        };
        let data = base64::engine::general_purpose::STANDARD.encode(&file.bytes);
        *slot = json!({ "image_url": format!("data:{mime};base64,{data}") });
        Ok(())
    };
    if let Some(Value::Array(images)) = body.get_mut("images") {
        for (i, image) in images.iter_mut().enumerate() {
            resolve(format!("images[{i}]"), image)?;
        }
    }
    for key in ["mask", "markup"] {
        if let Some(slot) = body.get_mut(key) {
            resolve(key.to_string(), slot)?;
        }
    }
    Ok(())
}

/// The endpoint's own validation of a (resolved) JSON body: `(code, param, message)`.
pub fn check_body(
    endpoint: Endpoint,
    body: &Value,
) -> Result<(), (String, Option<String>, String)> {
    let raw = parse_body(endpoint, body).map_err(|e| {
        let p = e.parts();
        (
            p.code.clone().unwrap_or_else(|| "invalid_request".into()),
            p.param.clone(),
            p.message.clone(),
        )
    })?;
    validate::validate(&raw).map(|_| ()).map_err(|e| {
        let p = e.parts();
        (
            p.code.clone().unwrap_or_else(|| "invalid_request".into()),
            p.param.clone(),
            p.message.clone(),
        )
    })
}

/// Parses a JSON body as the endpoint would (synchronously: the body is in memory).
pub fn parse_body(
    endpoint: Endpoint,
    body: &Value,
) -> Result<params::RawRequest, crate::errors::ApiError> {
    let bytes = Bytes::from(body.to_string());
    let parsed = futures_util::FutureExt::now_or_never(params::parse(
        endpoint,
        Some("application/json"),
        bytes,
    ))
    .expect("JSON parsing does not wait");
    parsed.map_err(|failure| failure.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> FileStore {
        FileStore::new(1 << 20, std::time::Duration::from_secs(5))
    }

    fn gen(id: &str, body: Value) -> String {
        json!({"custom_id": id, "method": "POST", "url": "/v1/images/generations", "body": body})
            .to_string()
    }

    #[test]
    fn every_rule_names_its_line() {
        let ok = json!({"model": "gpt-image-2", "prompt": "a fox", "quality": "low", "size": "1024x1024"});
        let text = [
            gen("a", ok.clone()),
            "not json".into(),
            gen("a", ok.clone()),
            json!({"custom_id": "c", "method": "GET", "url": "/v1/images/generations", "body": ok})
                .to_string(),
            json!({"custom_id": "d", "method": "POST", "url": "/v1/images/edits", "body": ok})
                .to_string(),
            gen(
                "e",
                json!({"model": "gpt-image-2", "prompt": "p", "size": "1000x1000"}),
            ),
            gen(
                "f",
                json!({"model": "gpt-image-2", "prompt": "p", "stream": true}),
            ),
            String::new(),
            gen("g", ok.clone()),
        ]
        .join("\n");
        let errors = validate_file(text.as_bytes(), Endpoint::Generations, &store()).unwrap_err();
        let got: Vec<(Option<usize>, &str, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.code.as_str(), e.param.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(2), "invalid_json_line", None),
                (Some(3), "duplicate_custom_id", Some("custom_id")),
                (Some(4), "invalid_method", Some("method")),
                (Some(5), "mismatched_url", Some("url")),
                (Some(6), "invalid_value", Some("body.size")),
                (Some(7), "invalid_value", Some("body.stream")),
            ]
        );
        assert!(
            errors[4].message.starts_with("Line 6: "),
            "{}",
            errors[4].message
        );
        let good = [
            gen("a", json!({"model": "gpt-image-2", "prompt": "p"})),
            gen("b", json!({"model": "gpt-image-2", "prompt": "q"})),
        ]
        .join("\n");
        let lines = validate_file(good.as_bytes(), Endpoint::Generations, &store()).unwrap();
        assert_eq!(
            lines.iter().map(|l| l.number).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(validate_file(b"", Endpoint::Generations, &store()).is_err());
    }

    #[test]
    fn edit_lines_resolve_their_file_ids() {
        let files = store();
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbaImage::from_pixel(1024, 1024, image::Rgba([9, 9, 9, 255]))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let anchor = files.put("anchor.png", "vision", Bytes::from(png.into_inner()), None);
        let line = |id: &str, file: &str| {
            json!({"custom_id": id, "method": "POST", "url": "/v1/images/edits",
                   "body": {"model": "gpt-image-2", "prompt": "p", "images": [{"file_id": file}]}})
            .to_string()
        };
        let ok = validate_file(line("a", &anchor.id).as_bytes(), Endpoint::Edits, &files).unwrap();
        let url = ok[0].body["images"][0]["image_url"].as_str().unwrap();
        assert!(url.starts_with("data:image/png;base64,"));
        let errors = validate_file(
            line("b", "file-missing").as_bytes(),
            Endpoint::Edits,
            &files,
        )
        .unwrap_err();
        assert_eq!(errors[0].param.as_deref(), Some("body.images[0].file_id"));
    }
}
