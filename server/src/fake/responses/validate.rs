//! Validation of a `POST /v1/responses` body as the real endpoint does it for a text call
//! (reference §7.2 for `input` items, §18 "Structured Outputs" for `text.format`): a known
//! text model, `input` as a string or a list of messages whose parts are `input_text` or
//! `input_image` (a `data:` URL or a `file-…` id), and a `json_schema` format whose strict
//! schema lists every property in `required` and has `additionalProperties: false` on every
//! object. Written from the reference, on `serde_json::Value`, not from the app's types.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// Text models the fake answers (the mainline models the reference names: "gpt-5 and newer").
pub const TEXT_MODELS: &[&str] = &[
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5.1",
    "gpt-5.5",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4o",
    "gpt-4o-mini",
];

/// Top-level parameters the endpoint knows; anything else is `unknown_parameter`.
const KNOWN: &[&str] = &[
    "model",
    "input",
    "instructions",
    "text",
    "max_output_tokens",
    "store",
    "temperature",
    "top_p",
    "metadata",
    "reasoning",
    "previous_response_id",
    "stream",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "truncation",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "service_tier",
    "background",
    "include",
];

/// Largest decoded input image accepted (the Images API's per-file limit, §17).
const MAX_IMAGE_BYTES: usize = 50 * 1024 * 1024;

/// An input image of the request.
#[derive(Debug, Clone)]
pub enum InputImage {
    /// Decoded bytes of a `data:` URL.
    Bytes(Vec<u8>),
    /// A `file-…` id (the fake does not read the file).
    File(String),
}

/// The request as the fake needs it.
#[derive(Debug, Clone)]
pub struct TextCall {
    /// The model.
    pub model: String,
    /// Every `input_text` (and string content), in order.
    pub texts: Vec<String>,
    /// Every `input_image`, in order.
    pub images: Vec<InputImage>,
    /// `text.format.name` of a `json_schema` format.
    pub schema_name: Option<String>,
    /// `text.format.schema`.
    pub schema: Option<Value>,
    /// `max_output_tokens`.
    pub max_output_tokens: Option<u64>,
}

/// Parses and validates the body.
pub fn validate(body: &[u8]) -> Result<TextCall, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(
            "invalid_json",
            None,
            format!(
                "We could not parse the JSON body of your request. (HINT: This likely means \
                 you aren't using your HTTP library correctly. The OpenAI API expects a JSON \
                 payload.) {e}"
            ),
        )
    })?;
    let Value::Object(body) = value else {
        return Err(ApiError::invalid(
            "invalid_type",
            None,
            "The request body must be a JSON object.",
        ));
    };
    if let Some(key) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::unknown_parameter(key));
    }
    let model = match body.get("model") {
        None => return Err(ApiError::missing("model")),
        Some(Value::String(m)) => m.clone(),
        Some(other) => return Err(ApiError::invalid_type("model", "a string", other)),
    };
    if model.starts_with("gpt-image")
        || model.starts_with("chatgpt-image")
        || model.starts_with("dall-e")
    {
        return Err(ApiError::invalid_value(
            "model",
            format!(
                "The model `{model}` is not supported with the Responses API as a top-level \
                 model; use a mainline model and put image models in `tools[].model`."
            ),
        ));
    }
    if !TEXT_MODELS.contains(&model.as_str()) {
        return Err(ApiError::model_not_found(format!(
            "The model `{model}` does not exist or you do not have access to it."
        )));
    }
    if matches!(body.get("stream"), Some(Value::Bool(true))) {
        return Err(ApiError::unsupported(
            "stream",
            "The fake answers Responses calls without streaming.",
        ));
    }
    let max_output_tokens = match body.get("max_output_tokens") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 16) => n.as_u64(),
        Some(Value::Number(n)) => {
            return Err(ApiError::invalid(
                "integer_below_min_value",
                Some("max_output_tokens"),
                format!(
                    "Invalid 'max_output_tokens': integer below minimum value. Expected a value \
                     >= 16, but got {n} instead."
                ),
            ))
        }
        Some(other) => {
            return Err(ApiError::invalid_type(
                "max_output_tokens",
                "an integer",
                other,
            ))
        }
    };
    let mut call = TextCall {
        model,
        texts: Vec::new(),
        images: Vec::new(),
        schema_name: None,
        schema: None,
        max_output_tokens,
    };
    match body.get("input") {
        None => return Err(ApiError::missing("input")),
        Some(Value::String(text)) => call.texts.push(text.clone()),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                read_item(item, &format!("input[{i}]"), &mut call)?;
            }
        }
        Some(other) => {
            return Err(ApiError::invalid_type(
                "input",
                "a string or an array",
                other,
            ))
        }
    }
    if let Some(text) = body.get("text") {
        read_format(text, &mut call)?;
    }
    Ok(call)
}

fn read_item(item: &Value, at: &str, call: &mut TextCall) -> Result<(), ApiError> {
    let Value::Object(item) = item else {
        return Err(ApiError::invalid_type(at, "an object", item));
    };
    match item.get("type").and_then(Value::as_str) {
        None | Some("message") => {}
        Some(other) => {
            return Err(ApiError::invalid_value(
                &format!("{at}.type"),
                format!("Invalid value: '{other}'. The fake accepts message items only."),
            ))
        }
    }
    match item.get("role").and_then(Value::as_str) {
        Some("user" | "system" | "developer" | "assistant") => {}
        Some(other) => {
            return Err(ApiError::invalid_value(
                &format!("{at}.role"),
                format!(
                    "Invalid value: '{other}'. Supported values are: 'user', 'assistant', \
                     'system', and 'developer'."
                ),
            ))
        }
        None => return Err(ApiError::missing(&format!("{at}.role"))),
    }
    match item.get("content") {
        Some(Value::String(text)) => call.texts.push(text.clone()),
        Some(Value::Array(parts)) => {
            for (j, part) in parts.iter().enumerate() {
                read_part(part, &format!("{at}.content[{j}]"), call)?;
            }
        }
        Some(other) => {
            return Err(ApiError::invalid_type(
                &format!("{at}.content"),
                "a string or an array",
                other,
            ))
        }
        None => return Err(ApiError::missing(&format!("{at}.content"))),
    }
    Ok(())
}

fn read_part(part: &Value, at: &str, call: &mut TextCall) -> Result<(), ApiError> {
    let Value::Object(part) = part else {
        return Err(ApiError::invalid_type(at, "an object", part));
    };
    match part.get("type").and_then(Value::as_str) {
        Some("input_text") => match part.get("text") {
            Some(Value::String(text)) => call.texts.push(text.clone()),
            Some(other) => {
                return Err(ApiError::invalid_type(
                    &format!("{at}.text"),
                    "a string",
                    other,
                ))
            }
            None => return Err(ApiError::missing(&format!("{at}.text"))),
        },
        Some("input_image") => call.images.push(read_image(part, at)?),
        Some(other) => {
            return Err(ApiError::invalid_value(
                &format!("{at}.type"),
                format!(
                    "Invalid value: '{other}'. Supported values are: 'input_text', \
                     'input_image', and 'input_file'."
                ),
            ))
        }
        None => return Err(ApiError::missing(&format!("{at}.type"))),
    }
    Ok(())
}

fn read_image(part: &Map<String, Value>, at: &str) -> Result<InputImage, ApiError> {
    if let Some(detail) = part.get("detail") {
        if !matches!(detail.as_str(), Some("low" | "high" | "auto")) {
            return Err(ApiError::invalid_value(
                &format!("{at}.detail"),
                "Invalid value. Supported values are: 'low', 'high', and 'auto'.",
            ));
        }
    }
    match (part.get("image_url"), part.get("file_id")) {
        (Some(Value::String(url)), None) => {
            let param = format!("{at}.image_url");
            let Some(rest) = url.strip_prefix("data:") else {
                return Err(ApiError::invalid_value(
                    &param,
                    "The fake takes images as base64 data URLs or file ids; it does not fetch URLs.",
                ));
            };
            let (meta, data) = rest.split_once(',').unwrap_or((rest, ""));
            let mime = meta.strip_suffix(";base64");
            if !matches!(
                mime,
                Some("image/png" | "image/jpeg" | "image/webp" | "image/gif")
            ) {
                return Err(ApiError::invalid(
                    "invalid_image_url",
                    Some(&param),
                    "Invalid image data URL: expected data:image/(png|jpeg|webp|gif);base64,….",
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|_| {
                    ApiError::invalid(
                        "invalid_image_url",
                        Some(&param),
                        "The image data URL is not valid base64.",
                    )
                })?;
            if bytes.len() > MAX_IMAGE_BYTES {
                return Err(ApiError::invalid_value(
                    &param,
                    "The image is larger than 50 MB.",
                ));
            }
            if image::guess_format(&bytes).is_err() {
                return Err(ApiError::invalid(
                    "invalid_image_format",
                    Some(&param),
                    "The image data is not a supported image (png, jpeg, webp or gif).",
                ));
            }
            Ok(InputImage::Bytes(bytes))
        }
        (None, Some(Value::String(id))) if id.starts_with("file-") && id.len() > 5 => {
            Ok(InputImage::File(id.clone()))
        }
        (None, Some(_)) => Err(ApiError::invalid_value(
            &format!("{at}.file_id"),
            "Invalid file id.",
        )),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "invalid_request_error",
            Some(at),
            "An input_image takes either image_url or file_id, not both.",
        )),
        _ => Err(ApiError::missing(&format!("{at}.image_url"))),
    }
}

fn read_format(text: &Value, call: &mut TextCall) -> Result<(), ApiError> {
    let Some(format) = text.get("format") else {
        return Ok(());
    };
    let kind = format.get("type").and_then(Value::as_str);
    match kind {
        Some("text" | "json_object") => return Ok(()),
        Some("json_schema") => {}
        _ => {
            return Err(ApiError::invalid_value(
                "text.format.type",
                "Invalid value. Supported values are: 'text', 'json_schema', and 'json_object'.",
            ))
        }
    }
    let name = match format.get("name") {
        Some(Value::String(n)) => n.clone(),
        None => return Err(ApiError::missing("text.format.name")),
        Some(other) => {
            return Err(ApiError::invalid_type(
                "text.format.name",
                "a string",
                other,
            ))
        }
    };
    let valid_name = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_name {
        return Err(ApiError::invalid(
            "invalid_value",
            Some("text.format.name"),
            format!("Invalid 'text.format.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' (at most 64 characters), got '{name}'."),
        ));
    }
    let schema = match format.get("schema") {
        Some(s @ Value::Object(_)) => s.clone(),
        None => return Err(ApiError::missing("text.format.schema")),
        Some(other) => {
            return Err(ApiError::invalid_type(
                "text.format.schema",
                "an object",
                other,
            ))
        }
    };
    let strict = match format.get("strict") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ApiError::invalid_type(
                "text.format.strict",
                "a boolean",
                other,
            ))
        }
    };
    if strict {
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(schema_error(
                &name,
                "",
                "schema must be a JSON Schema of 'type: \"object\"', got something else.",
            ));
        }
        check_strict(&schema, &name, "")?;
    }
    call.schema_name = Some(name);
    call.schema = Some(schema);
    Ok(())
}

/// The real API's refusal of a strict schema: 400 `invalid_json_schema` on `text.format.schema`.
fn schema_error(name: &str, context: &str, why: &str) -> ApiError {
    ApiError::invalid(
        "invalid_json_schema",
        Some("text.format.schema"),
        format!("Invalid schema for response_format '{name}': In context=({context}), {why}"),
    )
}

fn check_strict(schema: &Value, name: &str, context: &str) -> Result<(), ApiError> {
    let Some(node) = schema.as_object() else {
        return Ok(());
    };
    if node.get("type").and_then(Value::as_str) == Some("object") {
        if node.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(schema_error(
                name,
                context,
                "'additionalProperties' is required to be supplied and to be false.",
            ));
        }
        let empty = Map::new();
        let props = node
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = match node.get("required") {
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(missing) = props.keys().find(|k| !required.contains(&k.as_str())) {
            return Err(schema_error(
                name,
                context,
                &format!(
                    "'required' is required to be supplied and to be an array including every \
                     key in properties. Missing '{missing}'."
                ),
            ));
        }
        if let Some(extra) = required.iter().find(|r| !props.contains_key(**r)) {
            return Err(schema_error(
                name,
                context,
                &format!("'required' names '{extra}', which is not in properties."),
            ));
        }
        for (key, sub) in props {
            let inner = if context.is_empty() {
                format!("'properties', '{key}'")
            } else {
                format!("{context}, 'properties', '{key}'")
            };
            check_strict(sub, name, &inner)?;
        }
    }
    if let Some(items) = node.get("items") {
        let inner = if context.is_empty() {
            "'items'".to_string()
        } else {
            format!("{context}, 'items'")
        };
        check_strict(items, name, &inner)?;
    }
    for key in ["anyOf", "$defs", "definitions"] {
        match node.get(key) {
            Some(Value::Array(list)) => {
                for (i, sub) in list.iter().enumerate() {
                    check_strict(sub, name, &format!("{context}, '{key}', '{i}'"))?;
                }
            }
            Some(Value::Object(map)) => {
                for (k, sub) in map {
                    check_strict(sub, name, &format!("{context}, '{key}', '{k}'"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
