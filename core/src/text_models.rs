//! Text models: the mainline models the Responses API runs for the brief planner, "Describe
//! from images" and the result checks (reference §7.1, §18 "Structured Outputs"). Catalogue
//! data like the image models, in a file of their own (`public/text_models.json`, beside
//! `models.json`) so that the image catalogue the app reads today does not carry them;
//! priced per million tokens: input, cached input and output.
//!
//! The reference carries no text-model price; the catalogue's figures are OpenAI's list prices
//! for the GPT-5 family and are marked `confirmed: false` until a bill confirms them.

use crate::catalogue::ModelStatus;

/// The text-model catalogue shipped with the app and the server.
pub const BUILTIN_JSON: &str = include_str!("../../public/text_models.json");
use crate::openai::responses::{ResponsesRequest, ResponsesUsage};
use serde::{Deserialize, Serialize};

/// Prices of a text model in US dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPricing {
    /// Input tokens (text, images, the schema).
    pub input_per_million: f64,
    /// Input tokens served from the prompt cache.
    pub cached_input_per_million: f64,
    /// Output tokens, reasoning included.
    pub output_per_million: f64,
    /// False while the prices are an assumption; the UI says so.
    #[serde(default)]
    pub confirmed: bool,
}

/// One text model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextModelInfo {
    /// The API id, e.g. `gpt-5-mini`.
    pub id: String,
    /// A human label.
    pub label: String,
    /// Lifecycle status.
    pub status: ModelStatus,
    /// Whether it reads `input_image` parts (needed by describe and check).
    #[serde(default)]
    pub vision: bool,
    /// Most output tokens one call may produce.
    pub max_output_tokens: u64,
    /// Most input tokens one image can count for, whatever its size and detail: what the
    /// worst case reserves per image.
    pub max_image_input_tokens: u64,
    /// Prices.
    pub pricing: TextPricing,
    /// One line shown next to the model in Settings.
    #[serde(default)]
    pub note: String,
}

/// The text-model catalogue (`text_models.json`): the models and the default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TextCatalogue {
    /// The model new work uses, if the file names one.
    #[serde(default)]
    pub default_text_model: Option<String>,
    /// The text models, in display order.
    #[serde(default)]
    pub text_models: Vec<TextModelInfo>,
}

impl TextCatalogue {
    /// Parses a text-model catalogue; a file without models is an empty catalogue.
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("The text model list is not valid: {e}"))
    }

    /// The text models compiled in.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_JSON).expect("the built-in text_models.json is valid (tested)")
    }

    /// Looks a text model up by id.
    pub fn get(&self, id: &str) -> Option<&TextModelInfo> {
        self.text_models.iter().find(|m| m.id == id)
    }

    /// The default text model: the one the file names, else the first listed.
    pub fn default_model(&self) -> Option<&TextModelInfo> {
        self.default_text_model
            .as_deref()
            .and_then(|id| self.get(id))
            .or_else(|| self.text_models.first())
    }
}

/// What a text call's worst case depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextCallSize {
    /// Bytes of the request body apart from image data URLs: at least its text tokens.
    pub text_bytes: usize,
    /// `input_image` parts.
    pub images: usize,
    /// The request's `max_output_tokens`, if it sets one.
    pub max_output_tokens: Option<u64>,
}

impl TextCallSize {
    /// The size of a request this app built.
    pub fn of(request: &ResponsesRequest) -> Self {
        Self {
            text_bytes: request.text_bytes(),
            images: request.image_count(),
            max_output_tokens: Some(request.max_output_tokens),
        }
    }
}

/// What a finished call cost, from its `usage`: uncached input, cached input and output at
/// the model's prices.
pub fn call_cost_usd(model: &TextModelInfo, usage: &ResponsesUsage) -> f64 {
    let cached = usage.cached_tokens();
    let p = &model.pricing;
    ((usage.input_tokens - cached) as f64 * p.input_per_million
        + cached as f64 * p.cached_input_per_million
        + usage.output_tokens as f64 * p.output_per_million)
        / 1e6
}

/// The most a call can cost, reserved against a budget before it is sent: every body byte a
/// token, every image at the model's largest image count, nothing cached, and the output at
/// its cap (the model's own cap when the request sets none or a larger one).
pub fn worst_case_usd(model: &TextModelInfo, call: &TextCallSize) -> f64 {
    let input = call.text_bytes as u64 + call.images as u64 * model.max_image_input_tokens;
    let output = call
        .max_output_tokens
        .unwrap_or(model.max_output_tokens)
        .min(model.max_output_tokens);
    (input as f64 * model.pricing.input_per_million
        + output as f64 * model.pricing.output_per_million)
        / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn the_catalogue_has_a_default_text_model_with_prices() {
        let c = TextCatalogue::builtin();
        let m = c.default_model().expect("a default text model");
        assert_eq!(m.id, "gpt-5-mini");
        assert!(m.vision && !m.pricing.confirmed);
        assert_eq!(c.get("gpt-5").unwrap().pricing.output_per_million, 10.0);
        assert!(c.get("gpt-image-2").is_none());
        let images = Catalogue::builtin();
        assert!(
            images.get("gpt-5-mini").is_none(),
            "text models are not image models"
        );
        // A file without text models reads as an empty catalogue; a broken one is refused.
        let empty = TextCatalogue::parse(r#"{"version":1}"#).unwrap();
        assert!(empty.default_model().is_none());
        assert!(TextCatalogue::parse("{").unwrap_err().contains("not valid"));
    }

    #[test]
    fn a_call_is_priced_from_usage_and_bounded_before_it_is_sent() {
        let c = TextCatalogue::builtin();
        let m = c.get("gpt-5-mini").unwrap();
        let usage = ResponsesUsage {
            input_tokens: 1_000,
            output_tokens: 2_000,
            total_tokens: 3_000,
            input_tokens_details: Some(crate::openai::responses::CachedTokens {
                cached_tokens: 400,
            }),
        };
        let want = (600.0 * 0.25 + 400.0 * 0.025 + 2_000.0 * 2.0) / 1e6;
        assert!((call_cost_usd(m, &usage) - want).abs() < 1e-12);
        let call = TextCallSize {
            text_bytes: 3_000,
            images: 2,
            max_output_tokens: Some(8_000),
        };
        let worst = (3_000.0 + 2.0 * 2_500.0) * 0.25 / 1e6 + 8_000.0 * 2.0 / 1e6;
        assert!((worst_case_usd(m, &call) - worst).abs() < 1e-12);
        // No cap, or a cap above the model's: the model's cap.
        let uncapped = TextCallSize {
            max_output_tokens: None,
            ..call
        };
        let over = TextCallSize {
            max_output_tokens: Some(10_000_000),
            ..call
        };
        assert_eq!(worst_case_usd(m, &uncapped), worst_case_usd(m, &over));
        assert!(worst_case_usd(m, &uncapped) > worst_case_usd(m, &call));
    }
}
