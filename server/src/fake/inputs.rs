//! Checks and decodes the input files of an edit: images by magic bytes and size, the mask
//! (PNG with alpha, same size as the first image) and the markup overlay.

use image::RgbaImage;

use super::job::EditSource;
use super::models::Family;
use super::params::{RawRequest, Upload};
use crate::errors::ApiError;

/// Most input images of one edit.
pub const MAX_INPUT_IMAGES: usize = 16;
/// Input images must be smaller than this.
pub const MAX_IMAGE_BYTES: usize = 50 * 1024 * 1024;
/// The mask must be smaller than this.
pub const MAX_MASK_BYTES: usize = 4 * 1024 * 1024;

/// Recognises PNG, JPEG and WebP by their magic bytes.
pub fn sniff(data: &[u8]) -> Option<image::ImageFormat> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(image::ImageFormat::Png)
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(image::ImageFormat::Jpeg)
    } else if data.len() >= 12 && &data[0..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some(image::ImageFormat::WebP)
    } else {
        None
    }
}

/// Width and height from the image header, if it is a PNG, JPEG or WebP.
pub fn dimensions(data: &[u8]) -> Option<(u32, u32)> {
    let format = sniff(data)?;
    image::ImageReader::with_format(std::io::Cursor::new(data), format)
        .into_dimensions()
        .ok()
}

fn decode(upload: &Upload, param: &str, index: usize) -> Result<image::DynamicImage, ApiError> {
    let format = sniff(&upload.data).ok_or_else(|| {
        ApiError::invalid(
            "invalid_image_format",
            Some(param),
            format!(
                "Invalid file '{param}' (number {}): unsupported image format. Supported formats \
                 are 'image/jpeg', 'image/png', and 'image/webp' (checked by content, not by the \
                 declared type).",
                index + 1
            ),
        )
    })?;
    image::load_from_memory_with_format(&upload.data, format).map_err(|_| {
        ApiError::invalid(
            "invalid_image",
            Some(param),
            format!(
                "Invalid image file '{param}' (number {}): the data could not be decoded as {:?}.",
                index + 1,
                format
            ),
        )
    })
}

pub fn check_edit_inputs(
    raw: &RawRequest,
    family: Family,
    model: &str,
) -> Result<EditSource, ApiError> {
    let param = raw
        .images
        .first()
        .map_or("image", |u| u.field.as_str())
        .to_string();
    if raw.images.is_empty() {
        return Err(ApiError::missing("image"));
    }
    if raw.images.len() > MAX_INPUT_IMAGES {
        return Err(ApiError::invalid_value(
            &param,
            format!(
                "Too many input images: {} were sent, at most {MAX_INPUT_IMAGES} are allowed.",
                raw.images.len()
            ),
        ));
    }
    for (i, upload) in raw.images.iter().enumerate() {
        if upload.data.len() >= MAX_IMAGE_BYTES {
            return Err(ApiError::invalid_value(
                &param,
                format!(
                    "Input image {} is too large: each image must be smaller than 50 MB.",
                    i + 1
                ),
            ));
        }
        if i > 0 && dimensions(&upload.data).is_none() {
            // Only the header is read for the others; `decode` gives the right error message.
            decode(upload, &param, i)?;
        }
    }
    let first = decode(&raw.images[0], &param, 0)?.to_rgba8();
    let mask = raw
        .mask
        .as_ref()
        .map(|m| check_mask(m, first.dimensions()))
        .transpose()?;
    let markup = match &raw.markup {
        None => None,
        Some(_) if !family.has_markup() => {
            return Err(ApiError::unsupported(
                "markup",
                format!(
                    "'markup' is only supported by the gpt-image-2.5 and gpt-image-2.6 models, \
                     not {model}."
                ),
            ))
        }
        Some(_) if mask.is_some() => {
            return Err(ApiError::invalid_value(
                "markup",
                "'markup' cannot be combined with 'mask'.",
            ))
        }
        Some(m) => {
            let markup = check_overlay(m, "markup", first.dimensions())?;
            // Marks are drawn on a transparent layer; an opaque one would hide the image.
            if !markup.pixels().any(|p| p.0[3] == 0) {
                return Err(ApiError::invalid_value(
                    "markup",
                    "Invalid 'markup': it must be a transparent PNG with marks on it (no pixel \
                     has alpha 0, so it would cover the whole image).",
                ));
            }
            Some(markup)
        }
    };
    Ok(EditSource {
        first,
        mask,
        markup,
    })
}

fn check_mask(mask: &Upload, image_size: (u32, u32)) -> Result<RgbaImage, ApiError> {
    if mask.data.len() >= MAX_MASK_BYTES {
        return Err(ApiError::invalid_value(
            "mask",
            "The mask is too large: it must be a PNG smaller than 4 MB.",
        ));
    }
    check_overlay(mask, "mask", image_size)
}

/// Checks a PNG with alpha and the first image's dimensions (mask and markup).
fn check_overlay(
    upload: &Upload,
    param: &str,
    image_size: (u32, u32),
) -> Result<RgbaImage, ApiError> {
    if sniff(&upload.data) != Some(image::ImageFormat::Png) {
        return Err(ApiError::invalid(
            "invalid_image_format",
            Some(param),
            format!("Invalid '{param}': it must be a PNG file."),
        ));
    }
    let decoded = decode(upload, param, 0)?;
    if !decoded.color().has_alpha() {
        return Err(ApiError::invalid_value(
            param,
            format!(
                "Invalid '{param}': the PNG has no alpha channel. The {param} must be RGBA (or \
                 gray+alpha); fully transparent pixels (alpha = 0) mark the area to edit."
            ),
        ));
    }
    let (w, h) = (decoded.width(), decoded.height());
    if (w, h) != image_size {
        return Err(ApiError::invalid_value(
            param,
            format!(
                "Invalid '{param}': its size {w}x{h} does not match the first image's size {}x{}.",
                image_size.0, image_size.1
            ),
        ));
    }
    Ok(decoded.to_rgba8())
}
