//! Pure pixel work for directed editing: the mask sent to OpenAI, the leak of an edit outside
//! its mask, the composite that keeps everything else, a consistency score against the
//! anchor, and thumbnails.
//!
//! Everything here runs on straight RGBA8 buffers (`&[u8]`, row-major, `width × height × 4`)
//! with explicit sizes, wrapped in the validated views [`Rgba`] and [`Coverage`]; the browser
//! worker calls it on transferred `ImageData` buffers. No function panics on bad input: sizes
//! and parameters are checked and reported as [`PixelError`]. The hot loops make one output
//! allocation per call, none per pixel, and convert colours through tables
//! ([`lab`]), so each operation stays well under 150 ms on a 1536 × 1024 image in wasm.
//!
//! - [`mask`](mod@mask): coverage → OpenAI's mask image (painted = alpha 0), invert, size checks.
//! - [`leak`](mod@leak): share of pixels outside the mask with ΔE > 10, and a heat map.
//! - [`composite`](mod@composite): the result inside the (feathered) mask, the parent's exact bytes outside.
//! - [`consistency`](mod@consistency): palette and structural distance against a reference — a heuristic.
//! - [`thumb`](mod@thumb): thumbnail size and a box downscale.

pub mod composite;
pub mod consistency;
mod error;
mod image;
pub mod lab;
pub mod leak;
pub mod markup;
pub mod mask;
pub mod thumb;

#[cfg(test)]
mod tests;

pub use composite::{composite, MAX_FEATHER};
pub use consistency::{
    compare, consistency, signature, Consistency, DriftThresholds, Signature, Swatch,
    PALETTE_DRIFT_DELTA_E, STRUCTURE_DRIFT_DELTA_L,
};
pub use error::PixelError;
pub use image::{Coverage, Rgba};
pub use lab::{delta_e, srgb_to_lab, Lab};
pub use leak::{changed_area, heat_colour, leak, Leak, LEAK_DELTA_E};
pub use markup::{check_markup_size, coverage_from_markup, marks_anything, MARKUP_MARGIN};
pub use mask::{
    check_mask_png_len, check_mask_size, coverage_from_alpha, coverage_from_mask_image,
    encode_mask, invert, is_painted, MASK_PNG_LIMIT, PAINTED_MIN,
};
pub use thumb::{downscale, thumb_size, THUMB_MAX_EDGE};
