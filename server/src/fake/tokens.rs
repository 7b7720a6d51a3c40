//! Token accounting (§11.3, §11.4 of the reference).
//!
//! Output tokens per image:
//! - gpt-image-2, 2.5 and 2.6 use the reverse-engineered gpt-image-2 formula. Its quality
//!   factor `q` is 16/48/96 for low/medium/high; `auto` is billed as `high`. For the newer
//!   `xhigh` and `max` levels nothing is published, so the fake extrapolates by doubling:
//!   `q` = 192 and 384.
//! - The 1.x models use the guide's table for "models prior to gpt-image-2"
//!   (272/1056/4160 at 1024x1024, …), including gpt-image-1-mini.
//!
//! Each streamed partial image adds 100 output tokens.
//!
//! Input tokens: text is estimated as `ceil(chars / 4)`. Input images (edits) use the
//! published gpt-image-1 vision rule as an estimate for every model: fit inside 2048x2048,
//! scale the short side to 512, then 65 + 129 per 512-px tile; with high input fidelity
//! (always for the gpt-image-2 family) add 4160 for square and 6240 for other images.

use serde::Serialize;

use super::models::Family;

/// A rendering quality after `auto` was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high` (also what `auto` resolves to)
    High,
    /// `xhigh` (2.5/2.6 models)
    XHigh,
    /// `max` (2.5/2.6 models)
    Max,
}

impl Quality {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Low => "low",
            Quality::Medium => "medium",
            Quality::High => "high",
            Quality::XHigh => "xhigh",
            Quality::Max => "max",
        }
    }

    /// The quality factor `q` of the gpt-image-2 formula.
    fn factor(self) -> u64 {
        match self {
            Quality::Low => 16,
            Quality::Medium => 48,
            Quality::High => 96,
            Quality::XHigh => 192,
            Quality::Max => 384,
        }
    }
}

/// Output image tokens of the gpt-image-2 formula for one image.
pub fn gpt2_output_tokens(w: u32, h: u32, quality: Quality) -> u64 {
    let q = quality.factor();
    let (w, h) = (u64::from(w), u64::from(h));
    let (long, short) = (w.max(h), w.min(h));
    let scaled = (2 * q * short + long) / (2 * long);
    (q * scaled * (2_000_000 + w * h)).div_ceil(4_000_000)
}

/// Output image tokens of the 1.x table for one image. Sizes outside the table cannot reach
/// here (the size rule rejects them); they fall back to the square column.
pub fn legacy_output_tokens(w: u32, h: u32, quality: Quality) -> u64 {
    let column = match (w, h) {
        (1024, 1536) => 1,
        (1536, 1024) => 2,
        _ => 0,
    };
    let row: [u64; 3] = match quality {
        Quality::Low => [272, 408, 400],
        Quality::Medium => [1056, 1584, 1568],
        // 1.x models have no xhigh/max (validation rejects them); bill them as high.
        Quality::High | Quality::XHigh | Quality::Max => [4160, 6240, 6208],
    };
    row[column]
}

/// Output image tokens for one image of this family.
pub fn output_tokens(family: Family, w: u32, h: u32, quality: Quality) -> u64 {
    if family.is_flexible() {
        gpt2_output_tokens(w, h, quality)
    } else {
        legacy_output_tokens(w, h, quality)
    }
}

/// Output tokens added by each streamed partial image.
pub const PARTIAL_IMAGE_TOKENS: u64 = 100;

/// Estimated text tokens of a prompt: `ceil(chars / 4)`.
pub fn text_tokens(prompt: &str) -> u64 {
    (prompt.chars().count() as u64).div_ceil(4)
}

/// Estimated input tokens of one input image (see the module docs for the rule).
pub fn input_image_tokens(w: u32, h: u32, high_fidelity: bool) -> u64 {
    if w == 0 || h == 0 {
        return 0;
    }
    let (mut fw, mut fh) = (f64::from(w), f64::from(h));
    let fit = (2048.0 / fw.max(fh)).min(1.0);
    fw *= fit;
    fh *= fit;
    let to_512 = 512.0 / fw.min(fh);
    fw *= to_512;
    fh *= to_512;
    let tiles = ((fw / 512.0).ceil() * (fh / 512.0).ceil()) as u64;
    let base = 65 + 129 * tiles;
    let fidelity = match (high_fidelity, w == h) {
        (false, _) => 0,
        (true, true) => 4160,
        (true, false) => 6240,
    };
    base + fidelity
}

/// The `usage` object of a response or a `completed` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Text plus image input tokens.
    pub input_tokens: u64,
    /// Split of the input tokens.
    pub input_tokens_details: InputDetails,
    /// Image output tokens (plus partial-image surcharges).
    pub output_tokens: u64,
    /// Split of the output tokens.
    pub output_tokens_details: OutputDetails,
    /// Input plus output.
    pub total_tokens: u64,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InputDetails {
    /// Prompt tokens.
    pub text_tokens: u64,
    /// Input image tokens (edits).
    pub image_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutputDetails {
    /// Image tokens.
    pub image_tokens: u64,
    /// Always 0 for image models.
    pub text_tokens: u64,
}

impl Usage {
    /// Builds a consistent usage object.
    pub fn new(text_in: u64, image_in: u64, image_out: u64) -> Self {
        Self {
            input_tokens: text_in + image_in,
            input_tokens_details: InputDetails {
                text_tokens: text_in,
                image_tokens: image_in,
            },
            output_tokens: image_out,
            output_tokens_details: OutputDetails {
                image_tokens: image_out,
                text_tokens: 0,
            },
            total_tokens: text_in + image_in + image_out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Quality::*;

    /// Every number of the §11.3 gpt-image-2 table, both orientations where listed.
    #[test]
    fn gpt2_formula_matches_the_reference_table() {
        let table: &[(u32, u32, [u64; 3])] = &[
            (1024, 1024, [196, 1756, 7024]),
            (1024, 1536, [158, 1372, 5488]),
            (1536, 1024, [158, 1372, 5488]),
            (1024, 1280, [173, 1510, 6119]),
            (1280, 1024, [173, 1510, 6119]),
            (1536, 864, [120, 1078, 4312]),
            (864, 1536, [120, 1078, 4312]),
            (2048, 2048, [397, 3568, 14272]),
            (2048, 1152, [157, 1413, 5650]),
            (3840, 2160, [371, 3336, 13342]),
        ];
        for &(w, h, [low, medium, high]) in table {
            assert_eq!(gpt2_output_tokens(w, h, Low), low, "{w}x{h} low");
            assert_eq!(gpt2_output_tokens(w, h, Medium), medium, "{w}x{h} medium");
            assert_eq!(gpt2_output_tokens(w, h, High), high, "{w}x{h} high");
        }
    }

    #[test]
    fn extended_qualities_are_extrapolated_and_monotonic() {
        let high = gpt2_output_tokens(1024, 1024, High);
        let xhigh = gpt2_output_tokens(1024, 1024, XHigh);
        let max = gpt2_output_tokens(1024, 1024, Max);
        assert!(high < xhigh && xhigh < max, "{high} {xhigh} {max}");
        assert_eq!(output_tokens(Family::Gpt25, 1024, 1024, Low), 196);
    }

    #[test]
    fn legacy_table_for_one_x_models() {
        let f = Family::Gpt15;
        assert_eq!(output_tokens(f, 1024, 1024, Low), 272);
        assert_eq!(output_tokens(f, 1024, 1024, Medium), 1056);
        assert_eq!(output_tokens(f, 1024, 1024, High), 4160);
        assert_eq!(output_tokens(f, 1024, 1536, Low), 408);
        assert_eq!(output_tokens(f, 1024, 1536, Medium), 1584);
        assert_eq!(output_tokens(f, 1024, 1536, High), 6240);
        assert_eq!(output_tokens(f, 1536, 1024, Low), 400);
        assert_eq!(output_tokens(f, 1536, 1024, Medium), 1568);
        assert_eq!(output_tokens(Family::Gpt1Mini, 1536, 1024, High), 6208);
    }

    #[test]
    fn input_estimates() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcd"), 1);
        assert_eq!(text_tokens("abcde"), 2);
        assert_eq!(text_tokens("ééééé"), 2);
        // A 1024² reference scales to 512x512: one tile, 65 + 129 = 194 (the reference's figure).
        assert_eq!(input_image_tokens(1024, 1024, false), 194);
        assert_eq!(input_image_tokens(1024, 1024, true), 194 + 4160);
        assert_eq!(input_image_tokens(1536, 1024, true), 65 + 129 * 2 + 6240);
        assert_eq!(input_image_tokens(0, 10, true), 0);
    }

    #[test]
    fn usage_totals_add_up() {
        let u = Usage::new(10, 20, 196);
        assert_eq!(u.input_tokens, 30);
        assert_eq!(u.total_tokens, 226);
        assert_eq!(u.output_tokens_details.image_tokens, 196);
    }
}
