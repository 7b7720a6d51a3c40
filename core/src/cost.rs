//! What a request costs: a preflight estimate from the output-token rules of the reference
//! (§11.3) and the actual cost from the `usage` the API returns.
//!
//! gpt-image-2 has no published per-size table; the formula below reproduces every official
//! figure (196 / 1756 / 7024 tokens at 1024×1024 low / medium / high).

use crate::catalogue::{ModelInfo, TokenRule};
use crate::model::size::Size;
use crate::openai::types::Usage;

mod worst;
pub use worst::{auto_quality_candidates, auto_size_candidates, worst_case, worst_case_input};

/// Extra output tokens billed for each streamed partial image (reference §6).
pub const TOKENS_PER_PARTIAL_IMAGE: u64 = 100;

/// The quality factor of the gpt-image-2 formula. `auto` cannot be known in advance and is
/// estimated as `high` (the reference's advice). `xhigh` and `max` have no published factor;
/// we assume 2× and 4× `high` and label such estimates unconfirmed.
fn quality_factor(quality: &str) -> Option<(u64, bool)> {
    match quality {
        "low" => Some((16, true)),
        "medium" => Some((48, true)),
        "high" | "auto" => Some((96, true)),
        "xhigh" => Some((192, false)),
        "max" => Some((384, false)),
        _ => None,
    }
}

/// Output tokens of one gpt-image-2 image (reference §11.3).
///
/// `scaled = floor((2·q·S + L) / (2·L))`, `tokens = ceil(q · scaled · (2,000,000 + W·H) / 4,000,000)`
/// with `L`/`S` the long/short edge and `q` 16/48/96 for low/medium/high.
pub fn gpt_image_2_output_tokens(size: Size, quality: &str) -> Option<u64> {
    let (q, _) = quality_factor(quality)?;
    let long = u64::from(size.long_edge());
    let short = u64::from(size.short_edge());
    let scaled = (2 * q * short + long) / (2 * long);
    let numerator = q * scaled * (2_000_000 + size.pixels());
    Some(numerator.div_ceil(4_000_000))
}

/// Output tokens of one image on the models before gpt-image-2 (reference §11.3 table).
pub fn table_1x_output_tokens(size: Size, quality: &str) -> Option<u64> {
    let column = match (size.width, size.height) {
        (1024, 1024) => 0,
        (1024, 1536) => 1,
        (1536, 1024) => 2,
        _ => return None,
    };
    let row: [u64; 3] = match quality {
        "low" => [272, 408, 400],
        "medium" => [1056, 1584, 1568],
        "high" | "auto" => [4160, 6240, 6208],
        _ => return None,
    };
    Some(row[column])
}

/// How sure an estimate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// From a published or verified rule and price.
    Confirmed,
    /// Involves an assumption (unpublished price, `xhigh`/`max` factor, unknown size).
    Assumed,
}

/// A preflight estimate for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Output image tokens (all `n` images and partials).
    pub output_tokens: u64,
    /// US dollars for the output (input tokens are small for text-only prompts and unknown
    /// for reference images on gpt-image-2; they show up in the actual cost).
    pub usd: f64,
    /// How sure the figure is.
    pub confidence: Confidence,
}

/// What the request asks for, for estimating.
#[derive(Debug, Clone, PartialEq)]
pub struct CostQuery<'a> {
    /// Output size; `None` for `auto` (estimated as 1024×1024).
    pub size: Option<Size>,
    /// `quality` value as sent.
    pub quality: &'a str,
    /// Number of images (`n`).
    pub n: u32,
    /// Streamed partial images per image.
    pub partial_images: u32,
}

/// Estimates the output cost of one request on `model`.
pub fn estimate(model: &ModelInfo, query: &CostQuery<'_>) -> Estimate {
    let size = query.size.unwrap_or(Size::new(1024, 1024));
    let mut confirmed = model.pricing.confirmed && query.size.is_some();
    let per_image_tokens = match model.pricing.tokens {
        TokenRule::GptImage2 => {
            confirmed &= quality_factor(query.quality).is_some_and(|(_, c)| c);
            gpt_image_2_output_tokens(size, query.quality)
        }
        TokenRule::Table1x => table_1x_output_tokens(size, query.quality),
        TokenRule::PerImage => {
            let price = model
                .pricing
                .per_image_usd
                .get(&size.to_string())
                .and_then(|row| row.get(effective_quality(query.quality)));
            if let Some(price) = price {
                // Convert back to tokens so partial-image tokens can be added uniformly.
                let tokens = (price / model.pricing.image_output_per_million * 1e6).round();
                Some(tokens as u64)
            } else {
                None
            }
        }
        TokenRule::Unknown => None,
    };
    let per_image_tokens = per_image_tokens.unwrap_or_else(|| {
        // Unknown rule, size or quality: fall back to the gpt-image-2 high figure, loudly.
        confirmed = false;
        gpt_image_2_output_tokens(size, "high").unwrap_or(0)
    });
    let n = u64::from(query.n.max(1));
    let output_tokens =
        n * (per_image_tokens + TOKENS_PER_PARTIAL_IMAGE * u64::from(query.partial_images));
    Estimate {
        output_tokens,
        usd: output_tokens as f64 * model.pricing.image_output_per_million / 1e6,
        confidence: if confirmed {
            Confidence::Confirmed
        } else {
            Confidence::Assumed
        },
    }
}

fn effective_quality(quality: &str) -> &str {
    if quality == "auto" {
        "high"
    } else {
        quality
    }
}

/// The actual cost of a finished request from the `usage` the API returned: text input,
/// image input and image output tokens at the model's prices.
pub fn actual_usd(model: &ModelInfo, usage: &Usage) -> f64 {
    let (text_in, image_in) = match &usage.input_tokens_details {
        Some(d) => (d.text_tokens, d.image_tokens),
        None => (usage.input_tokens, 0),
    };
    let p = &model.pricing;
    (text_in as f64 * p.text_input_per_million
        + image_in as f64 * p.image_input_per_million
        + usage.output_tokens as f64 * p.image_output_per_million)
        / 1e6
}

/// How a request is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BillingRate {
    /// Sent now, answered now: the catalogue's prices.
    #[default]
    Interactive,
    /// Through the Batch API (answered within 24 h): [`BATCH_PRICE_FACTOR`] of the price.
    Batch,
}

/// The Batch API's price relative to the synchronous one. OpenAI's Batch FAQ says "each model
/// will be offered at 50 % cost discount vs. the synchronous APIs" (reference §18); no
/// per-model image batch price has been seen, so figures at this rate are labelled as
/// estimates ([`BATCH_RATE_LABEL`]) until a bill confirms them.
pub const BATCH_PRICE_FACTOR: f64 = 0.5;

/// How figures at the batch rate are labelled.
pub const BATCH_RATE_LABEL: &str = "batch rate: half price (OpenAI's Batch FAQ), estimated";

impl BillingRate {
    /// The factor applied to the catalogue's prices.
    pub fn factor(self) -> f64 {
        match self {
            BillingRate::Interactive => 1.0,
            BillingRate::Batch => BATCH_PRICE_FACTOR,
        }
    }

    /// The label shown beside figures at this rate (`None` for the interactive rate).
    pub fn label(self) -> Option<&'static str> {
        match self {
            BillingRate::Interactive => None,
            BillingRate::Batch => Some(BATCH_RATE_LABEL),
        }
    }
}

impl Estimate {
    /// The same request sent through the Batch API: half the price, and never "confirmed"
    /// (the discount for images is not confirmed by a published price).
    pub fn at_batch_rate(self) -> Estimate {
        Estimate {
            output_tokens: self.output_tokens,
            usd: self.usd * BATCH_PRICE_FACTOR,
            confidence: Confidence::Assumed,
        }
    }

    /// This estimate at `rate`.
    pub fn at_rate(self, rate: BillingRate) -> Estimate {
        match rate {
            BillingRate::Interactive => self,
            BillingRate::Batch => self.at_batch_rate(),
        }
    }
}

/// The actual cost of a finished request at `rate` ([`actual_usd`] for a batch line is half).
pub fn actual_usd_at(model: &ModelInfo, usage: &Usage, rate: BillingRate) -> f64 {
    actual_usd(model, usage) * rate.factor()
}

/// Estimated input tokens of one reference image, by the rule the reference documents for
/// gpt-image-1 (§11.4): fit inside 2048×2048, scale the short side to 512 px, 65 + 129 tokens
/// per 512-px tile, plus 4160 (square) or 6240 (other shapes) at high input fidelity.
/// gpt-image-2 always uses high fidelity and publishes no rule of its own, so estimates that
/// include reference images are labelled as assumed.
pub fn input_image_tokens(size: Size, high_fidelity: bool) -> u64 {
    let (mut w, mut h) = (f64::from(size.width.max(1)), f64::from(size.height.max(1)));
    let fit = (2048.0 / w.max(h)).min(1.0);
    w *= fit;
    h *= fit;
    let scale = 512.0 / w.min(h);
    let tiles = ((w * scale) / 512.0).ceil() as u64 * ((h * scale) / 512.0).ceil() as u64;
    let mut tokens = 65 + 129 * tiles;
    if high_fidelity {
        tokens += if size.width == size.height {
            4160
        } else {
            6240
        };
    }
    tokens
}

/// What `text_tokens` of prompt and these reference images cost at the model's input rates.
pub(crate) fn input_usd(
    model: &ModelInfo,
    text_tokens: u64,
    images: &[Size],
    high_fidelity: bool,
) -> f64 {
    let image_tokens: u64 = images
        .iter()
        .map(|s| input_image_tokens(*s, high_fidelity))
        .sum();
    let p = &model.pricing;
    (text_tokens as f64 * p.text_input_per_million
        + image_tokens as f64 * p.image_input_per_million)
        / 1e6
}

/// The input side of a request: prompt text (≈ 4 characters a token) and reference images.
/// `high_fidelity` is true for models that always use it (gpt-image-2 and later).
pub fn input_estimate(
    model: &ModelInfo,
    prompt_chars: usize,
    images: &[Size],
    high_fidelity: bool,
) -> Estimate {
    let text_tokens = (prompt_chars as u64).div_ceil(4);
    let p = &model.pricing;
    Estimate {
        output_tokens: 0,
        usd: input_usd(model, text_tokens, images, high_fidelity),
        confidence: if images.is_empty() && p.confirmed {
            Confidence::Confirmed
        } else {
            Confidence::Assumed
        },
    }
}

/// Money compared against a budget is counted in whole micro-dollars, so that sums such as
/// `0.1 + 0.2` compare exactly against a cap of `0.3`.
const MICROS_PER_USD: f64 = 1_000_000.0;

/// US dollars as whole micro-dollars (rounded). Negative, NaN and infinite amounts count as 0:
/// `as` saturates, so hostile inputs cannot wrap around.
pub fn to_micros(usd: f64) -> u64 {
    if usd.is_nan() || usd <= 0.0 || usd.is_infinite() {
        0
    } else {
        (usd * MICROS_PER_USD).round() as u64
    }
}

/// Whole micro-dollars as US dollars.
pub fn from_micros(micros: u64) -> f64 {
    micros as f64 / MICROS_PER_USD
}

/// Formats a budget for people: whole cents as cents (`$0.10`, `$5.00`, as the user typed
/// it), anything finer like [`format_usd`].
pub fn format_budget(usd: f64) -> String {
    let cents = (usd * 100.0).round();
    if usd > 0.0 && (usd * 100.0 - cents).abs() < 1e-6 {
        format!("${:.2}", cents / 100.0)
    } else {
        format_usd(usd)
    }
}

/// What a series has spent against its budget, for the series screen:
/// `"$0.196 spent of $0.10 budget"`, or `"$0.196 spent · no budget"` without one.
pub fn spend_line(spent_usd: f64, budget_usd: Option<f64>) -> String {
    match budget_usd {
        Some(budget) => format!(
            "{} spent of {} budget",
            format_usd(spent_usd),
            format_budget(budget)
        ),
        None => format!("{} spent · no budget", format_usd(spent_usd)),
    }
}

/// Formats dollars for people: `$0.053`, `$1.27`, `<$0.001`. Rounded half up from whole
/// micro-dollars in integers (no float formatting: this runs on the first screen, whose wasm
/// should not carry the float printer).
pub fn format_usd(usd: f64) -> String {
    let micros = to_micros(usd);
    if micros == 0 && usd <= 0.0 {
        return "$0.00".into();
    }
    if micros < 1_000 && usd < 0.001 {
        return "<$0.001".into();
    }
    // Thousandths below a dollar, hundredths from a dollar up (as the rounding lands).
    let thousandths = (micros + 500) / 1_000;
    if thousandths < 1_000 {
        return format!("$0.{thousandths:03}");
    }
    let cents = (micros + 5_000) / 10_000;
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn dollars_are_shown_as_people_read_them() {
        let cases = [
            (0.0, "$0.00"),
            (-1.0, "$0.00"),
            (0.0004, "<$0.001"),
            (0.001, "$0.001"),
            (0.0529, "$0.053"),
            (0.0455, "$0.046"),
            (0.9994, "$0.999"),
            (0.9996, "$1.00"),
            (1.0, "$1.00"),
            (1.274, "$1.27"),
            (1.275, "$1.28"),
            (19.999, "$20.00"),
            (1234.5, "$1234.50"),
        ];
        for (usd, shown) in cases {
            assert_eq!(format_usd(usd), shown, "{usd}");
        }
    }

    #[test]
    fn money_is_counted_in_whole_micro_dollars() {
        assert_eq!(to_micros(0.1) + to_micros(0.2), to_micros(0.3));
        assert_eq!(to_micros(0.0453), 45_300);
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(to_micros(bad), 0, "{bad}");
        }
        assert_eq!(from_micros(45_300), 0.0453);
    }

    #[test]
    fn spend_lines_name_the_spend_and_the_budget() {
        assert_eq!(spend_line(0.196, Some(0.1)), "$0.196 spent of $0.10 budget");
        assert_eq!(spend_line(0.0, Some(5.0)), "$0.00 spent of $5.00 budget");
        assert_eq!(spend_line(1.5, None), "$1.50 spent · no budget");
        assert_eq!(format_budget(0.105), "$0.105");
        assert_eq!(format_budget(0.05), "$0.05");
    }

    /// Every row of the reference's gpt-image-2 table (§11.3).
    #[test]
    fn gpt_image_2_formula_reproduces_the_reference_table() {
        let table = [
            ("1024x1024", [196, 1756, 7024]),
            ("1024x1536", [158, 1372, 5488]),
            ("1536x1024", [158, 1372, 5488]),
            ("1024x1280", [173, 1510, 6119]),
            ("1280x1024", [173, 1510, 6119]),
            ("1536x864", [120, 1078, 4312]),
            ("864x1536", [120, 1078, 4312]),
            ("2048x2048", [397, 3568, 14272]),
            ("2048x1152", [157, 1413, 5650]),
            ("3840x2160", [371, 3336, 13342]),
        ];
        for (size, expected) in table {
            let size = Size::parse(size).unwrap();
            for (quality, want) in ["low", "medium", "high"].into_iter().zip(expected) {
                assert_eq!(
                    gpt_image_2_output_tokens(size, quality),
                    Some(want),
                    "{size} {quality}"
                );
            }
        }
    }

    #[test]
    fn gpt_image_2_dollar_figures_match_the_guide() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").unwrap();
        let usd = |q| {
            estimate(
                m,
                &CostQuery {
                    size: Some(Size::new(1024, 1024)),
                    quality: q,
                    n: 1,
                    partial_images: 0,
                },
            )
            .usd
        };
        assert_eq!(format_usd(usd("low")), "$0.006");
        assert_eq!(format_usd(usd("medium")), "$0.053");
        assert_eq!(format_usd(usd("high")), "$0.211");
    }

    #[test]
    fn n_and_partials_add_up() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").unwrap();
        let e = estimate(
            m,
            &CostQuery {
                size: Some(Size::new(1024, 1024)),
                quality: "medium",
                n: 3,
                partial_images: 2,
            },
        );
        assert_eq!(e.output_tokens, 3 * (1756 + 200));
        assert_eq!(e.confidence, Confidence::Confirmed);
    }

    #[test]
    fn assumptions_are_labelled() {
        let c = Catalogue::builtin();
        let q = |quality| CostQuery {
            size: Some(Size::new(1024, 1024)),
            quality,
            n: 1,
            partial_images: 0,
        };
        assert_eq!(
            estimate(c.get("gpt-image-2").unwrap(), &q("xhigh")).confidence,
            Confidence::Assumed
        );
        assert_eq!(
            estimate(c.get("gpt-image-2.5-flare").unwrap(), &q("low")).confidence,
            Confidence::Assumed
        );
        let auto_size = CostQuery {
            size: None,
            quality: "low",
            n: 1,
            partial_images: 0,
        };
        assert_eq!(
            estimate(c.get("gpt-image-2").unwrap(), &auto_size).confidence,
            Confidence::Assumed
        );
    }

    #[test]
    fn legacy_models_use_their_tables() {
        let c = Catalogue::builtin();
        let q = CostQuery {
            size: Some(Size::new(1024, 1536)),
            quality: "high",
            n: 1,
            partial_images: 0,
        };
        let e = estimate(c.get("gpt-image-1.5").unwrap(), &q);
        assert_eq!(e.output_tokens, 6240);
        assert_eq!(format_usd(e.usd), "$0.200");
        let mini = estimate(c.get("gpt-image-1-mini").unwrap(), &q);
        assert_eq!(format_usd(mini.usd), "$0.052");
    }

    #[test]
    fn input_images_follow_the_documented_tile_rule() {
        // Reference §11.4: a 1024² reference ≈ 194 tokens, ≈ 4354 at high fidelity.
        assert_eq!(input_image_tokens(Size::new(1024, 1024), false), 194);
        assert_eq!(input_image_tokens(Size::new(1024, 1024), true), 4354);
        // 1536×864: short side → 512, long side → 910 → 2 tiles; non-square bonus.
        assert_eq!(
            input_image_tokens(Size::new(1536, 864), true),
            65 + 2 * 129 + 6240
        );
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").unwrap();
        let three = input_estimate(m, 4000, &[Size::new(1536, 864); 3], true);
        assert_eq!(three.confidence, Confidence::Assumed);
        let want = (1000.0 * 5.0 + 3.0 * 6563.0 * 8.0) / 1e6;
        assert!((three.usd - want).abs() < 1e-9, "{} vs {want}", three.usd);
        assert_eq!(
            input_estimate(m, 400, &[], true).confidence,
            Confidence::Confirmed
        );
    }

    /// A batch estimate is half the interactive one (reference §18: the Batch FAQ's 50 %) and
    /// is always labelled as an estimate.
    #[test]
    fn batch_estimates_are_half_price_and_labelled() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-2").unwrap();
        let now = estimate(
            m,
            &CostQuery {
                size: Some(Size::new(1024, 1024)),
                quality: "medium",
                n: 1,
                partial_images: 0,
            },
        );
        assert_eq!(now.confidence, Confidence::Confirmed);
        let batch = now.at_rate(BillingRate::Batch);
        assert_eq!(batch.output_tokens, now.output_tokens);
        assert!((batch.usd - now.usd / 2.0).abs() < 1e-12);
        assert_eq!(format_usd(batch.usd), "$0.026");
        assert_eq!(batch.confidence, Confidence::Assumed);
        assert_eq!(now.at_rate(BillingRate::Interactive), now);
        assert!(BillingRate::Batch.label().unwrap().contains("half price"));
        assert_eq!(BillingRate::Interactive.label(), None);
        let usage: Usage = serde_json::from_str(
            r#"{"input_tokens":52,"input_tokens_details":{"text_tokens":52,"image_tokens":0},"output_tokens":1510,"total_tokens":1562}"#,
        )
        .unwrap();
        assert!(
            (actual_usd_at(m, &usage, BillingRate::Batch) - actual_usd(m, &usage) / 2.0).abs()
                < 1e-12
        );
    }

    #[test]
    fn actual_cost_uses_usage_split() {
        let c = Catalogue::builtin();
        let usage: Usage = serde_json::from_str(
            r#"{"input_tokens":52,"input_tokens_details":{"text_tokens":52,"image_tokens":0},"output_tokens":1510,"total_tokens":1562}"#,
        )
        .unwrap();
        let usd = actual_usd(c.get("gpt-image-2").unwrap(), &usage);
        assert!((usd - (52.0 * 5.0 + 1510.0 * 30.0) / 1e6).abs() < 1e-12);
    }
}
