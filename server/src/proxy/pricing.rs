//! Prices a request before it is forwarded, and its actual cost from the `usage` it returned,
//! with the app's own cost rules, so that a token's budget and the app's cost display agree.
//!
//! The single seam: [`Pricer::estimate_usd`] and [`Pricer::actual_usd`]. They call the
//! shared rules of `continuity_core::cost` once that crate exists; until then `interim`
//! mirrors the app's `src/cost.rs` (same catalogue file, same formulas) and is deleted when
//! the dependency is switched.

use serde_json::Value;

use super::meter::Summary;

/// Prices requests against the catalogue compiled into the server.
#[derive(Debug)]
pub struct Pricer {
    catalogue: interim::Catalogue,
}

impl Pricer {
    /// The catalogue shipped with the app (`public/models.json`).
    pub fn builtin() -> Self {
        Self {
            catalogue: interim::Catalogue::builtin(),
        }
    }

    /// The expected cost of a request in USD (output at its size/quality/n/partials, plus
    /// prompt text and input images), or `None` for a model the catalogue does not know.
    pub fn estimate_usd(&self, s: &Summary) -> Option<f64> {
        let model = self.catalogue.get(&s.model)?;
        Some(interim::estimate_usd(model, s))
    }

    /// The cost of one `usage` object, or `None` for an unknown model or a malformed usage.
    pub fn actual_usd(&self, model: &str, usage: &Value) -> Option<f64> {
        let model = self.catalogue.get(model)?;
        interim::actual_usd(model, usage)
    }
}

/// A mirror of the app's `src/cost.rs` and `src/catalogue.rs` pricing parts, kept only until
/// `continuity_core::cost` can be depended on (the server must not depend on the UI crate).
mod interim {
    use serde::Deserialize;
    use serde_json::Value;

    use super::Summary;

    const BUILTIN_JSON: &str = include_str!("../../../public/models.json");
    const TOKENS_PER_PARTIAL_IMAGE: u64 = 100;

    #[derive(Debug, Deserialize)]
    pub struct Catalogue {
        models: Vec<Model>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Model {
        id: String,
        pricing: Pricing,
    }

    #[derive(Debug, Deserialize)]
    struct Pricing {
        tokens: String,
        image_output_per_million: f64,
        image_input_per_million: f64,
        text_input_per_million: f64,
    }

    impl Catalogue {
        pub fn builtin() -> Self {
            serde_json::from_str(BUILTIN_JSON).expect("public/models.json is valid")
        }

        /// By id; dated snapshots (`gpt-image-2-2026-04-21`) resolve to their entry.
        pub fn get(&self, id: &str) -> Option<&Model> {
            let snapshot_of = |family: &str| {
                id.strip_prefix(family)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|d| {
                        d.len() == 10 && d.chars().all(|c| c.is_ascii_digit() || c == '-')
                    })
            };
            self.models
                .iter()
                .find(|m| m.id == id)
                .or_else(|| self.models.iter().find(|m| snapshot_of(&m.id)))
        }
    }

    fn gpt_image_2_tokens(w: u32, h: u32, quality: &str) -> u64 {
        let q: u64 = match quality {
            "low" => 16,
            "medium" => 48,
            "xhigh" => 192,
            "max" => 384,
            _ => 96,
        };
        let (long, short) = (u64::from(w.max(h)), u64::from(w.min(h)));
        let scaled = (2 * q * short + long) / (2 * long);
        (q * scaled * (2_000_000 + u64::from(w) * u64::from(h))).div_ceil(4_000_000)
    }

    fn table_1x_tokens(w: u32, h: u32, quality: &str) -> Option<u64> {
        let column = match (w, h) {
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

    fn input_image_tokens(width: u32, height: u32, high_fidelity: bool) -> u64 {
        let (mut w, mut h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let fit = (2048.0 / w.max(h)).min(1.0);
        w *= fit;
        h *= fit;
        let scale = 512.0 / w.min(h);
        let tiles = ((w * scale) / 512.0).ceil() as u64 * ((h * scale) / 512.0).ceil() as u64;
        let bonus = match (high_fidelity, width == height) {
            (false, _) => 0,
            (true, true) => 4160,
            (true, false) => 6240,
        };
        65 + 129 * tiles + bonus
    }

    pub fn estimate_usd(model: &Model, s: &Summary) -> f64 {
        let (w, h) = s.size.unwrap_or((1024, 1024));
        let p = &model.pricing;
        let flexible = p.tokens == "gpt-image-2";
        let per_image = if flexible {
            gpt_image_2_tokens(w, h, &s.quality)
        } else {
            table_1x_tokens(w, h, &s.quality).unwrap_or_else(|| gpt_image_2_tokens(w, h, "high"))
        };
        let output =
            u64::from(s.n) * (per_image + TOKENS_PER_PARTIAL_IMAGE * u64::from(s.partial_images));
        let text = (s.prompt_chars as u64).div_ceil(4);
        let images: u64 = s
            .input_images
            .iter()
            .map(|&(iw, ih)| input_image_tokens(iw, ih, flexible || s.high_input_fidelity))
            .sum();
        (output as f64 * p.image_output_per_million
            + text as f64 * p.text_input_per_million
            + images as f64 * p.image_input_per_million)
            / 1e6
    }

    pub fn actual_usd(model: &Model, usage: &Value) -> Option<f64> {
        let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64);
        let output = num(usage, "output_tokens")?;
        let (text, image) = match usage.get("input_tokens_details") {
            Some(d) if d.is_object() => (
                num(d, "text_tokens").unwrap_or(0),
                num(d, "image_tokens").unwrap_or(0),
            ),
            _ => (num(usage, "input_tokens").unwrap_or(0), 0),
        };
        let p = &model.pricing;
        Some(
            (text as f64 * p.text_input_per_million
                + image as f64 * p.image_input_per_million
                + output as f64 * p.image_output_per_million)
                / 1e6,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(model: &str, quality: &str, size: Option<(u32, u32)>) -> Summary {
        Summary {
            model: model.into(),
            quality: quality.into(),
            size,
            n: 1,
            partial_images: 0,
            prompt_chars: 0,
            input_images: vec![],
            high_input_fidelity: false,
        }
    }

    /// The app's published figures (reference §11.3): $0.006 / $0.053 / $0.211 at 1024².
    #[test]
    fn estimates_match_the_app() {
        let p = Pricer::builtin();
        let usd = |q| {
            p.estimate_usd(&summary("gpt-image-2", q, Some((1024, 1024))))
                .expect("known")
        };
        assert!((usd("low") - 196.0 * 30.0 / 1e6).abs() < 1e-12);
        assert!((usd("medium") - 1756.0 * 30.0 / 1e6).abs() < 1e-12);
        assert!((usd("high") - 7024.0 * 30.0 / 1e6).abs() < 1e-12);
        assert_eq!(usd("auto"), usd("high"));
        // Snapshots resolve; unknown and retired models cannot be priced.
        assert!(p
            .estimate_usd(&summary("gpt-image-2-2026-04-21", "low", None))
            .is_some());
        assert!(p.estimate_usd(&summary("dall-e-2", "low", None)).is_none());
        let mut s = summary("gpt-image-2", "medium", Some((1024, 1024)));
        s.n = 3;
        s.partial_images = 2;
        s.prompt_chars = 400;
        s.input_images = vec![(1536, 864)];
        let want =
            (3.0 * (1756.0 + 200.0) * 30.0 + 100.0 * 5.0 + (65.0 + 2.0 * 129.0 + 6240.0) * 8.0)
                / 1e6;
        assert!((p.estimate_usd(&s).expect("known") - want).abs() < 1e-12);
    }

    #[test]
    fn actual_cost_from_usage() {
        let p = Pricer::builtin();
        let usage = json!({"input_tokens": 52, "input_tokens_details": {"text_tokens": 52, "image_tokens": 0}, "output_tokens": 1510, "total_tokens": 1562});
        let usd = p.actual_usd("gpt-image-2", &usage).expect("priced");
        assert!((usd - (52.0 * 5.0 + 1510.0 * 30.0) / 1e6).abs() < 1e-12);
        assert!(p
            .actual_usd("gpt-image-2", &json!({"input_tokens": 1}))
            .is_none());
        assert!(p.actual_usd("nope", &usage).is_none());
    }
}
