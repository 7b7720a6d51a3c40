//! The painted mask → the mask image OpenAI expects, and back.
//!
//! OpenAI's rule (`/v1/images/edits`, field `mask`): a PNG with an alpha channel, the same
//! dimensions as the first `image[]`, under 4 MB; **fully transparent pixels (alpha 0) mark
//! the area to edit**. The painter keeps a [`Coverage`] (255 = painted); this module turns it
//! into that RGBA image, which the worker then encodes as PNG.

use super::image::same_size;
use super::{Coverage, PixelError, Rgba};

/// Coverage values from this one up count as painted (anti-aliased brush edges are painted
/// when at least half covered). The same rule decides the mask sent to OpenAI, the leak's
/// "outside the mask" and the composite, so the three always agree on one region.
pub const PAINTED_MIN: u8 = 128;

/// A mask PNG must be shorter than this many bytes. OpenAI says "under 4 MB"; we read MB as
/// 10⁶ bytes, the stricter reading, so a mask we accept is never refused for its size.
pub const MASK_PNG_LIMIT: usize = 4_000_000;

/// Mask image pixel for a painted (edit here) pixel: fully transparent.
pub const MASK_EDIT_PIXEL: [u8; 4] = [0, 0, 0, 0];

/// Mask image pixel for an unpainted (keep) pixel: opaque white, so a preview of the mask
/// shows the kept area as white and the edited area as the page behind it.
pub const MASK_KEEP_PIXEL: [u8; 4] = [255, 255, 255, 255];

/// Whether a coverage value counts as painted: `value >= PAINTED_MIN`.
#[inline]
pub fn is_painted(value: u8) -> bool {
    value >= PAINTED_MIN
}

/// Encodes the painted coverage as OpenAI's mask image: an RGBA8 buffer of the image's size
/// where every painted pixel is [`MASK_EDIT_PIXEL`] (alpha 0) and every other pixel is
/// [`MASK_KEEP_PIXEL`] (alpha 255). The alpha is binary on purpose: OpenAI only defines
/// alpha 0 as "edit", so a half-transparent edge would have no defined meaning.
///
/// Fails with [`PixelError::SizeMismatch`] when the coverage is not
/// `image_width × image_height` (the mask must have the first image's dimensions).
pub fn encode_mask(
    coverage: Coverage<'_>,
    image_width: u32,
    image_height: u32,
) -> Result<Vec<u8>, PixelError> {
    same_size("mask", (image_width, image_height), coverage.size())?;
    let mut out = vec![0u8; coverage.data().len() * 4];
    for (px, &c) in out.chunks_exact_mut(4).zip(coverage.data()) {
        let v = if is_painted(c) {
            MASK_EDIT_PIXEL
        } else {
            MASK_KEEP_PIXEL
        };
        // Four stores: a 4-byte `copy_from_slice` stays a call at opt-level "z".
        (px[0], px[1], px[2], px[3]) = (v[0], v[1], v[2], v[3]);
    }
    Ok(out)
}

/// Inverts a coverage buffer in place (`v → 255 − v`): the painter's "invert" action.
/// A value exactly at the boundary flips side too, since `255 − 128 = 127 < PAINTED_MIN`.
pub fn invert(coverage: &mut [u8]) {
    for v in coverage {
        *v = 255 - *v;
    }
}

/// The coverage of a canvas the user painted on: its alpha channel (`rgba[4·i + 3]`).
pub fn coverage_from_alpha(canvas: Rgba<'_>) -> Vec<u8> {
    canvas.data().chunks_exact(4).map(|p| p[3]).collect()
}

/// Reads a mask image back as coverage with OpenAI's meaning: a pixel is painted (255) when
/// its alpha is exactly 0, else not painted (0). Lets the leak and the composite use the mask
/// that was actually sent, e.g. one stored with a version.
pub fn coverage_from_mask_image(mask: Rgba<'_>) -> Vec<u8> {
    mask.data()
        .chunks_exact(4)
        .map(|p| if p[3] == 0 { 255 } else { 0 })
        .collect()
}

/// Checks a mask's dimensions, `(width, height)`, against the first image's: OpenAI refuses
/// a mask of another size.
pub fn check_mask_size(mask: (u32, u32), image: (u32, u32)) -> Result<(), PixelError> {
    same_size("mask", image, mask)
}

/// Checks an encoded mask PNG's length: `Ok` when `len < MASK_PNG_LIMIT`.
pub fn check_mask_png_len(len: usize) -> Result<(), PixelError> {
    if len < MASK_PNG_LIMIT {
        Ok(())
    } else {
        Err(PixelError::MaskTooLarge {
            bytes: len,
            limit: MASK_PNG_LIMIT,
        })
    }
}
