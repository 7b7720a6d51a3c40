//! Prices a request before it is forwarded (its worst case, reserved against budgets), and its
//! actual cost from the `usage` it returned,
//! with the app's own cost rules (`continuity_core::cost` and the catalogue compiled from
//! `public/models.json`), so that a token's budget and the app's cost display agree.

use continuity_core::catalogue::Catalogue;
use continuity_core::cost::{self, CostQuery};
use continuity_core::model::size::Size;
use continuity_core::openai::responses::ResponsesUsage;
use continuity_core::openai::types::Usage;
use continuity_core::text_models::{self, TextCallSize, TextCatalogue};
use serde_json::Value;

use super::meter::Summary;

/// Prices requests against the catalogue compiled into the server.
#[derive(Debug)]
pub struct Pricer {
    catalogue: Catalogue,
    /// The text models (`public/text_models.json`), for `/v1/responses`.
    text: TextCatalogue,
}

impl Pricer {
    /// The catalogue shipped with the app (`public/models.json`).
    pub fn builtin() -> Self {
        Self {
            catalogue: Catalogue::builtin(),
            text: TextCatalogue::builtin(),
        }
    }

    /// The most a request can cost in USD, reserved against a budget before it is sent: the
    /// output at its size, quality, `n` and partial images with every `auto` resolved to its
    /// dearest possibility (`cost::worst_case`: the largest size `auto` can produce, the
    /// highest quality it can choose), plus the prompt (a token per byte) and input images at
    /// the input rate (`cost::worst_case_input`). `None` for a model the catalogue does not
    /// know.
    pub fn worst_case_usd(&self, s: &Summary) -> Option<f64> {
        let model = self.catalogue.get(&s.model)?;
        let output = cost::worst_case(
            model,
            &CostQuery {
                size: s.size.map(|(w, h)| Size::new(w, h)),
                quality: &s.quality,
                n: s.n,
                partial_images: s.partial_images,
            },
        );
        let images: Vec<Size> = s
            .input_images
            .iter()
            .map(|&(w, h)| Size::new(w, h))
            .collect();
        // Models without the `input_fidelity` parameter always use high fidelity (the app's
        // rule in `plan.rs`); the others when asked for it.
        let high_fidelity = !model.input_fidelity || s.high_input_fidelity;
        let input = cost::worst_case_input(model, s.prompt_bytes, &images, high_fidelity);
        Some(output.usd + input.usd)
    }

    /// The most a text call (`POST /v1/responses`) can cost in USD
    /// (`text_models::worst_case_usd`), or `None` for a model the catalogue does not list.
    pub fn worst_case_text_usd(&self, model: &str, call: &TextCallSize) -> Option<f64> {
        Some(text_models::worst_case_usd(self.text.get(model)?, call))
    }

    /// The cost of one `usage` object (`cost::actual_usd`; a text model's by
    /// `text_models::call_cost_usd`), or `None` for an unknown model or a usage without
    /// `output_tokens` (then the estimate stays charged).
    pub fn actual_usd(&self, model: &str, usage: &Value) -> Option<f64> {
        usage.get("output_tokens")?.as_u64()?;
        if let Some(text_model) = self.text.get(model) {
            let usage: ResponsesUsage = serde_json::from_value(usage.clone()).ok()?;
            return Some(text_models::call_cost_usd(text_model, &usage));
        }
        let model = self.catalogue.get(model)?;
        let usage: Usage = serde_json::from_value(usage.clone()).ok()?;
        Some(cost::actual_usd(model, &usage))
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
            prompt_bytes: 0,
            input_images: vec![],
            high_input_fidelity: false,
        }
    }

    /// Explicit parameters: the app's published figures (reference §11.3), $0.006 / $0.053 /
    /// $0.211 at 1024²; `auto` is reserved at its dearest possibility.
    #[test]
    fn reservations_are_the_worst_case() {
        let p = Pricer::builtin();
        let usd = |q, size| {
            p.worst_case_usd(&summary("gpt-image-2", q, size))
                .expect("known")
        };
        let square = Some((1024, 1024));
        assert!((usd("low", square) - 196.0 * 30.0 / 1e6).abs() < 1e-12);
        assert!((usd("medium", square) - 1756.0 * 30.0 / 1e6).abs() < 1e-12);
        assert!((usd("high", square) - 7024.0 * 30.0 / 1e6).abs() < 1e-12);
        assert_eq!(usd("auto", square), usd("high", square));
        // size auto: the largest square gpt-image-2 allows (2880², 23,719 tokens at high).
        assert!((usd("auto", None) - 23_719.0 * 30.0 / 1e6).abs() < 1e-12);
        // Snapshots resolve; unknown and retired models cannot be priced.
        assert!(p
            .worst_case_usd(&summary("gpt-image-2-2026-04-21", "low", None))
            .is_some());
        assert!(p
            .worst_case_usd(&summary("dall-e-2", "low", None))
            .is_none());
        let mut s = summary("gpt-image-2", "medium", Some((1024, 1024)));
        s.n = 3;
        s.partial_images = 2;
        s.prompt_bytes = 400;
        s.input_images = vec![(1536, 864)];
        let want =
            (3.0 * (1756.0 + 200.0) * 30.0 + 400.0 * 5.0 + (65.0 + 2.0 * 129.0 + 6240.0) * 8.0)
                / 1e6;
        assert!((p.worst_case_usd(&s).expect("known") - want).abs() < 1e-12);
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

    /// Text calls: the core's worst case, and the actual cost from a Responses `usage`.
    #[test]
    fn text_calls_are_priced_at_the_text_rates() {
        let p = Pricer::builtin();
        let call = TextCallSize {
            text_bytes: 4_000,
            images: 1,
            max_output_tokens: Some(10_000),
        };
        let worst = p.worst_case_text_usd("gpt-5-mini", &call).expect("listed");
        assert!((worst - ((4_000.0 + 2_500.0) * 0.25 + 10_000.0 * 2.0) / 1e6).abs() < 1e-12);
        assert!(p.worst_case_text_usd("gpt-image-2", &call).is_none());
        let usage = json!({"input_tokens": 1000, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 500, "total_tokens": 1500});
        let usd = p.actual_usd("gpt-5-mini", &usage).expect("priced");
        assert!((usd - (1000.0 * 0.25 + 500.0 * 2.0) / 1e6).abs() < 1e-12);
    }
}
