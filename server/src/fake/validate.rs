//! Validates a [`RawRequest`] the way the reference describes the real API, producing a
//! [`Job`] with every value resolved (`auto` sizes and qualities, defaults) or an
//! [`ApiError`] with OpenAI's status, code and param.

use serde_json::Value;

use super::fields::Fields;
use super::inputs::{check_edit_inputs, dimensions};
use super::job::{EditSource, GifOptions, Job, OutputFormat};
use super::models::{self, Family};
use super::params::{BodyForm, Endpoint, RawRequest};
use super::tokens::{self, Quality};
use crate::errors::ApiError;

/// Longest prompt, in characters.
pub const MAX_PROMPT_CHARS: usize = 32_000;

const COMMON: &[&str] = &[
    "model",
    "prompt",
    "n",
    "size",
    "quality",
    "output_format",
    "output_compression",
    "background",
    "stream",
    "partial_images",
    "user",
    "safety_identifier",
    "complexity",
    "frame_count",
    "frame_duration_ms",
    "svg",
];

/// Parameters each endpoint/form accepts besides [`COMMON`].
fn extra_params(endpoint: Endpoint, form: BodyForm) -> &'static [&'static str] {
    match (endpoint, form) {
        (Endpoint::Generations, _) => &["moderation"],
        // The multipart edit schema has no `moderation` field.
        (Endpoint::Edits, BodyForm::Multipart) => &["input_fidelity"],
        (Endpoint::Edits, BodyForm::Json) => &["input_fidelity", "moderation"],
    }
}

/// Validates a parsed request. Decodes input images (CPU work: call from a blocking thread).
pub fn validate(raw: &RawRequest) -> Result<Job, ApiError> {
    let fields = Fields {
        map: &raw.params,
        form: raw.form,
    };
    check_known_params(raw)?;
    let (model, family) = resolve_model(raw.endpoint, &fields)?;
    let prompt = check_prompt(&fields)?;
    let n = fields.int("n", 1, 10)?.unwrap_or(1) as u32;

    let mut qualities = vec!["low", "medium", "high", "auto"];
    if family.has_extended_quality() {
        qualities.extend(["xhigh", "max"]);
    }
    let quality = match fields.choice("quality", &qualities)?.unwrap_or("auto") {
        "low" => Quality::Low,
        "medium" => Quality::Medium,
        "xhigh" => Quality::XHigh,
        "max" => Quality::Max,
        // `auto` is reported (and billed) as high.
        _ => Quality::High,
    };

    let format = check_format(&fields, family, &model)?;
    let compression = check_compression(&fields, format)?;
    let transparent = check_background(&fields, format, family, &model)?;
    fields.choice("moderation", &["auto", "low"])?;
    if fields
        .choice("complexity", &["low", "medium", "high"])?
        .is_some()
        && !family.has_complexity()
    {
        return Err(ApiError::unsupported(
            "complexity",
            format!(
                "Unsupported parameter: 'complexity' is only supported by the gpt-image-2.6 \
                 models, not {model}."
            ),
        ));
    }
    fields.string("user")?;
    let safety_identifier = fields.string("safety_identifier")?.map(str::to_string);

    let stream = fields.boolean("stream")?.unwrap_or(false);
    let partial_images = fields.int("partial_images", 0, 3)?.unwrap_or(0) as u32;
    if partial_images > 0 && !stream {
        return Err(ApiError::invalid_value(
            "partial_images",
            "'partial_images' is only supported when 'stream' is true.",
        ));
    }
    let high_fidelity = check_input_fidelity(raw.endpoint, &fields, family)?;
    let gif = check_gif(&fields, raw, format, stream, partial_images, compression)?;
    check_svg(&fields, format, n, stream)?;

    let source = match raw.endpoint {
        Endpoint::Edits => Some(check_edit_inputs(raw, family, &model)?),
        Endpoint::Generations => None,
    };
    let input_image_tokens = match raw.endpoint {
        Endpoint::Edits => raw
            .images
            .iter()
            .filter_map(|u| dimensions(&u.data))
            .map(|(w, h)| tokens::input_image_tokens(w, h, high_fidelity))
            .sum(),
        Endpoint::Generations => 0,
    };
    let (width, height) = resolve_size(raw, &fields, family, source.as_ref())?;

    Ok(Job {
        endpoint: raw.endpoint,
        model,
        family,
        prompt,
        n,
        width,
        height,
        quality,
        format,
        compression,
        transparent,
        stream,
        partial_images,
        safety_identifier,
        gif,
        input_image_tokens,
        source,
    })
}

fn check_known_params(raw: &RawRequest) -> Result<(), ApiError> {
    let extra = extra_params(raw.endpoint, raw.form);
    for key in raw.params.keys() {
        match key.as_str() {
            "response_format" => {
                return Err(ApiError::unsupported(
                    key,
                    "Unsupported parameter: 'response_format' is only supported for dall-e-2 and \
                     dall-e-3. GPT image models always return base64-encoded images (b64_json).",
                ))
            }
            "style" if raw.endpoint == Endpoint::Generations => {
                return Err(ApiError::unsupported(
                    key,
                    "Unsupported parameter: 'style' is only supported for dall-e-3.",
                ))
            }
            k if COMMON.contains(&k) || extra.contains(&k) => {}
            k => return Err(ApiError::unknown_parameter(k)),
        }
    }
    Ok(())
}

fn resolve_model(endpoint: Endpoint, fields: &Fields) -> Result<(String, Family), ApiError> {
    let model =
        match (fields.string("model")?, endpoint) {
            (Some(m), _) => m.to_string(),
            (None, Endpoint::Generations) => return Err(ApiError::model_not_found(
                "No 'model' was sent, so the API defaulted to `dall-e-2`, which was shut down on \
                 2026-05-12. Send the model explicitly, for example \"model\": \"gpt-image-2\".",
            )),
            // The multipart and JSON edit forms default to gpt-image-1.5.
            (None, Endpoint::Edits) => "gpt-image-1.5".to_string(),
        };
    match models::family_of(&model) {
        Some(family) => Ok((model, family)),
        None => Err(ApiError::model_not_found(models::not_found_message(&model))),
    }
}

fn check_prompt(fields: &Fields) -> Result<String, ApiError> {
    let prompt = fields
        .string("prompt")?
        .ok_or_else(|| ApiError::missing("prompt"))?;
    let chars = prompt.chars().count();
    if chars == 0 {
        return Err(ApiError::invalid(
            "empty_string",
            Some("prompt"),
            "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an \
             empty string instead.",
        ));
    }
    if chars > MAX_PROMPT_CHARS {
        return Err(ApiError::invalid(
            "string_above_max_length",
            Some("prompt"),
            format!(
                "Invalid 'prompt': string too long. Expected a string with maximum length \
                 {MAX_PROMPT_CHARS}, but got a string with length {chars} instead."
            ),
        ));
    }
    Ok(prompt.to_string())
}

fn check_format(fields: &Fields, family: Family, model: &str) -> Result<OutputFormat, ApiError> {
    let format = match fields
        .choice("output_format", &["png", "jpeg", "webp", "gif", "svg"])?
        .unwrap_or("png")
    {
        "jpeg" => OutputFormat::Jpeg,
        "webp" => OutputFormat::Webp,
        "gif" => OutputFormat::Gif,
        "svg" => OutputFormat::Svg,
        _ => OutputFormat::Png,
    };
    if matches!(format, OutputFormat::Gif | OutputFormat::Svg) && !family.is_flexible() {
        return Err(ApiError::invalid_value(
            "output_format",
            format!(
                "output_format '{}' is not supported for model {model}; it needs gpt-image-2 or a \
                 newer model.",
                format.as_str()
            ),
        ));
    }
    Ok(format)
}

fn check_compression(fields: &Fields, format: OutputFormat) -> Result<Option<u8>, ApiError> {
    let Some(c) = fields.int("output_compression", 0, 100)? else {
        return Ok(None);
    };
    if !matches!(format, OutputFormat::Jpeg | OutputFormat::Webp) {
        return Err(ApiError::invalid_value(
            "output_compression",
            format!(
                "'output_compression' is only supported for the jpeg and webp output formats, \
                 not '{}'.",
                format.as_str()
            ),
        ));
    }
    Ok(Some(c as u8))
}

fn check_background(
    fields: &Fields,
    format: OutputFormat,
    family: Family,
    model: &str,
) -> Result<bool, ApiError> {
    let transparent =
        fields.choice("background", &["transparent", "opaque", "auto"])? == Some("transparent");
    // On gpt-image-2 it is a "preview"; the reference's wording of the refusal (§8).
    if transparent && !family.has_transparent_background() {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "image_generation_user_error",
            Some("invalid_value"),
            Some("background"),
            format!(
                "Transparent background is not supported for this model ({model}). Use \
                 background 'opaque' or 'auto', or a model that supports transparency."
            ),
        ));
    }
    if transparent && !matches!(format, OutputFormat::Png | OutputFormat::Webp) {
        return Err(ApiError::invalid_value(
            "background",
            format!(
                "Transparent background requires output_format 'png' or 'webp', not '{}'.",
                format.as_str()
            ),
        ));
    }
    Ok(transparent)
}

/// Returns whether inputs are processed at high fidelity.
fn check_input_fidelity(
    endpoint: Endpoint,
    fields: &Fields,
    family: Family,
) -> Result<bool, ApiError> {
    if endpoint != Endpoint::Edits {
        return Ok(false);
    }
    if family.is_flexible() {
        if fields.get("input_fidelity").is_some() {
            return Err(ApiError::unsupported(
                "input_fidelity",
                "Unsupported parameter: 'input_fidelity' is not supported with this model. \
                 gpt-image-2 and newer models always process input images at high fidelity; \
                 do not send it.",
            ));
        }
        return Ok(true);
    }
    let allowed: &[&str] = if family == Family::Gpt1Mini {
        &["low"]
    } else {
        &["low", "high"]
    };
    Ok(fields.choice("input_fidelity", allowed)? == Some("high"))
}

fn check_gif(
    fields: &Fields,
    raw: &RawRequest,
    format: OutputFormat,
    stream: bool,
    partial_images: u32,
    compression: Option<u8>,
) -> Result<GifOptions, ApiError> {
    let frames = fields.int("frame_count", 2, 16)?;
    let frame_ms = fields.int("frame_duration_ms", 10, 10_000)?;
    if format != OutputFormat::Gif {
        for (key, value) in [("frame_count", frames), ("frame_duration_ms", frame_ms)] {
            if value.is_some() {
                return Err(ApiError::invalid_value(
                    key,
                    format!("'{key}' is only supported with output_format 'gif'."),
                ));
            }
        }
        return Ok(GifOptions {
            frames: 9,
            frame_ms: 200,
        });
    }
    let conflict = if stream {
        Some("stream")
    } else if partial_images > 0 {
        Some("partial_images")
    } else if raw.mask.is_some() {
        Some("mask")
    } else if compression.is_some() {
        Some("output_compression")
    } else {
        None
    };
    if let Some(param) = conflict {
        return Err(ApiError::invalid_value(
            param,
            format!("'{param}' cannot be combined with output_format 'gif'."),
        ));
    }
    let frame_ms = frame_ms.unwrap_or(200);
    Ok(GifOptions {
        frames: frames.unwrap_or(9) as u32,
        // Rounded to 10 ms, the unit GIF stores.
        frame_ms: (((frame_ms + 5) / 10) * 10) as u32,
    })
}

fn check_svg(fields: &Fields, format: OutputFormat, n: u32, stream: bool) -> Result<(), ApiError> {
    if let Some(svg) = fields.get("svg") {
        if format != OutputFormat::Svg {
            return Err(ApiError::invalid_value(
                "svg",
                "'svg' options are only supported with output_format 'svg'.",
            ));
        }
        let is_object = match svg {
            Value::Object(_) => true,
            Value::String(s) => matches!(serde_json::from_str(s), Ok(Value::Object(_))),
            _ => false,
        };
        if !is_object {
            return Err(ApiError::invalid_type("svg", "an object", svg));
        }
    }
    if format == OutputFormat::Svg {
        if n != 1 {
            return Err(ApiError::invalid_value(
                "n",
                "output_format 'svg' requires n = 1.",
            ));
        }
        if stream {
            return Err(ApiError::invalid_value(
                "stream",
                "output_format 'svg' does not support streaming.",
            ));
        }
    }
    Ok(())
}

fn resolve_size(
    raw: &RawRequest,
    fields: &Fields,
    family: Family,
    source: Option<&EditSource>,
) -> Result<(u32, u32), ApiError> {
    // The multipart edit form defaults to 1024x1024; generations and JSON edits to auto.
    let default = match (raw.endpoint, raw.form) {
        (Endpoint::Edits, BodyForm::Multipart) => "1024x1024",
        _ => "auto",
    };
    let size = fields.string("size")?.unwrap_or(default);
    if size != "auto" {
        return models::check_size(family, size).map_err(|m| ApiError::invalid_value("size", m));
    }
    Ok(match source {
        Some(src) if models::size_is_valid(family, src.first.width(), src.first.height()) => {
            src.first.dimensions()
        }
        _ => (1024, 1024),
    })
}
