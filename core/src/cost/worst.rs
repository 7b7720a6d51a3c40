//! The most a request can cost: every `auto` resolved to its most expensive possibility. A
//! budget that reserves this before a request is sent (continuity-server's token budgets)
//! cannot be overspent by requests in flight, as long as the API bills by the catalogue's rules.

use super::{estimate, Confidence, CostQuery, Estimate};
use crate::catalogue::ModelInfo;
use crate::model::size::{Size, SizeRule};

/// The three sizes every model accepts; `auto` picks among them on the fixed-size models.
const STANDARD_SIZES: [Size; 3] = [
    Size {
        width: 1024,
        height: 1024,
    },
    Size {
        width: 1536,
        height: 1024,
    },
    Size {
        width: 1024,
        height: 1536,
    },
];

/// The sizes `size: auto` may produce under `rule`. Fixed rules: the listed sizes. Flexible
/// rules: the standard three plus the largest square and the widest size the rule allows (an
/// edit's `auto` follows its input image, which may have any valid size, and the output-token
/// formula grows with the area and peaks at square shapes).
pub fn auto_size_candidates(rule: &SizeRule) -> Vec<Size> {
    match rule {
        SizeRule::Fixed { allowed } => allowed.iter().filter_map(|s| Size::parse(s)).collect(),
        SizeRule::Flexible {
            multiple,
            max_edge,
            max_pixels,
            ..
        } => {
            let m = (*multiple).max(1);
            let down = |v: u64| (v / u64::from(m) * u64::from(m)) as u32;
            let side =
                down((*max_pixels as f64).sqrt().floor() as u64).min(down(u64::from(*max_edge)));
            let long = down(u64::from(*max_edge));
            let short = down(max_pixels / u64::from(long.max(1))).min(long);
            let mut sizes = STANDARD_SIZES.to_vec();
            sizes.extend([Size::new(side, side), Size::new(long, short)]);
            sizes.retain(|s| s.width > 0 && s.height > 0 && rule.check(*s).is_ok());
            sizes
        }
    }
}

/// The qualities `quality: auto` may choose on `model`: every quality it lists (the reference
/// says only that `auto` "may pick high"; nothing rules out a higher one where there is one).
pub fn auto_quality_candidates(model: &ModelInfo) -> Vec<&str> {
    let listed: Vec<&str> = (model.qualities.iter())
        .map(String::as_str)
        .filter(|q| *q != "auto")
        .collect();
    if listed.is_empty() {
        vec!["high"]
    } else {
        listed
    }
}

/// The worst case of [`estimate`]: the output at the most expensive size `auto` can produce
/// and the most expensive quality `auto` can choose (an explicit size or quality is taken as
/// sent), times `n`, with the partial images. Always labelled [`Confidence::Assumed`] when an
/// `auto` had to be resolved.
pub fn worst_case(model: &ModelInfo, query: &CostQuery<'_>) -> Estimate {
    let sizes = match query.size {
        Some(size) => vec![size],
        None => auto_size_candidates(&model.size_rule),
    };
    let qualities = if query.quality == "auto" {
        auto_quality_candidates(model)
    } else {
        vec![query.quality]
    };
    let mut worst: Option<Estimate> = None;
    for size in sizes {
        for quality in &qualities {
            let e = estimate(
                model,
                &CostQuery {
                    size: Some(size),
                    quality,
                    n: query.n,
                    partial_images: query.partial_images,
                },
            );
            if worst.is_none_or(|w| e.usd > w.usd) {
                worst = Some(e);
            }
        }
    }
    // A model without any candidate size (an empty fixed list) is priced like `auto` always
    // was: 1024² at its quality.
    let mut worst = worst.unwrap_or_else(|| estimate(model, query));
    if query.size.is_none() || query.quality == "auto" {
        worst.confidence = Confidence::Assumed;
    }
    worst
}

/// The most the input side of a request can cost: every byte of the prompt counted as a token
/// (a byte-level tokenizer never makes more; `input_estimate`'s four characters a token is an
/// average, and non-Latin text runs far above it) and each reference image by the tile rule.
pub fn worst_case_input(
    model: &ModelInfo,
    prompt_bytes: usize,
    images: &[Size],
    high_fidelity: bool,
) -> Estimate {
    Estimate {
        output_tokens: 0,
        usd: super::input_usd(model, prompt_bytes as u64, images, high_fidelity),
        confidence: Confidence::Assumed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn query(size: Option<Size>, quality: &str) -> CostQuery<'_> {
        CostQuery {
            size,
            quality,
            n: 1,
            partial_images: 0,
        }
    }

    #[test]
    fn the_prompt_counts_a_token_per_byte() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").expect("known");
        // 12 bytes at $5/M, and one square reference image at high fidelity (4354 at $8/M).
        let w = worst_case_input(m, 12, &[Size::new(1024, 1024)], true);
        assert!((w.usd - (12.0 * 5.0 + 4354.0 * 8.0) / 1e6).abs() < 1e-12);
        let average = super::super::input_estimate(m, 12, &[], true);
        assert!(worst_case_input(m, 12, &[], true).usd > average.usd);
    }

    #[test]
    fn explicit_parameters_are_their_own_worst_case() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").expect("known");
        let q = query(Some(Size::new(1536, 864)), "medium");
        assert_eq!(worst_case(m, &q), estimate(m, &q));
    }

    #[test]
    fn auto_size_on_gpt_image_2_is_the_largest_square() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").expect("known");
        let sizes = auto_size_candidates(&m.size_rule);
        assert!(sizes.contains(&Size::new(2880, 2880)), "{sizes:?}");
        assert!(sizes.contains(&Size::new(3840, 2160)), "{sizes:?}");
        let w = worst_case(m, &query(None, "auto"));
        // 2880² at high: ceil(96 · 96 · (2,000,000 + 8,294,400) / 4,000,000).
        assert_eq!(w.output_tokens, 23_719);
        assert_eq!(w.confidence, Confidence::Assumed);
        // More than three times the app's estimate of the same request (1024² high).
        let e = estimate(m, &query(None, "auto"));
        assert_eq!(e.output_tokens, 7024);
        assert!(w.usd >= 3.0 * e.usd);
    }

    #[test]
    fn fixed_sizes_and_extended_qualities() {
        let c = Catalogue::builtin();
        // 1.x: auto size is the dearest of the three (1024x1536 high = 6240 tokens).
        let w = worst_case(c.get("gpt-image-1.5").expect("known"), &query(None, "auto"));
        assert_eq!(w.output_tokens, 6240);
        // The 2.5 models list xhigh and max: auto quality is reserved as max.
        let m = c.get("gpt-image-2.5-flare").expect("known");
        let q = query(Some(Size::new(1024, 1024)), "auto");
        let max = estimate(m, &query(Some(Size::new(1024, 1024)), "max"));
        assert_eq!(worst_case(m, &q).output_tokens, max.output_tokens);
        // n and partial images multiply as in the estimate.
        let m = c.get("gpt-image-2").expect("known");
        let q = CostQuery {
            size: Some(Size::new(1024, 1024)),
            quality: "low",
            n: 3,
            partial_images: 2,
        };
        assert_eq!(worst_case(m, &q).output_tokens, 3 * (196 + 200));
    }
}
