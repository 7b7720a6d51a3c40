//! The model catalogue: which image models exist, the sizes and qualities each accepts, what
//! it can do and what it costs. It is data (`public/models.json`, compiled in and optionally
//! replaced at run time by the deployment's own copy), because OpenAI adds, renames and retires
//! models faster than we release (reference §14, §17).

use crate::model::size::{Size, SizeRule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The catalogue shipped with the app (the same file the static build serves).
pub const BUILTIN_JSON: &str = include_str!("../../public/models.json");

/// Whether a model can be chosen for new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelStatus {
    /// Available.
    Current,
    /// Available, but OpenAI has announced a shutdown.
    Deprecated,
    /// Shut down: requests fail; kept so old projects can explain themselves.
    Retired,
    /// A status this build does not know; treated as available.
    #[serde(other)]
    Unknown,
}

/// Support level of an optional feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// Supported.
    Yes,
    /// Not supported.
    No,
    /// Documented as preview: may fail or need access.
    Preview,
    /// A level this build does not know; treated as "not supported".
    #[serde(other)]
    Unknown,
}

impl Support {
    /// Whether the feature can be offered (possibly labelled as preview).
    pub fn offered(self) -> bool {
        matches!(self, Support::Yes | Support::Preview)
    }
}

/// How output tokens are counted for a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenRule {
    /// The gpt-image-2 formula (reference §11.3).
    #[serde(rename = "gpt-image-2")]
    GptImage2,
    /// The fixed table of the models before gpt-image-2.
    #[serde(rename = "table-1x")]
    Table1x,
    /// No token rule; a per-image price table.
    #[serde(rename = "per-image")]
    PerImage,
    /// A rule this build does not know.
    #[serde(other)]
    Unknown,
}

/// Prices in US dollars per million tokens, and how to count tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    /// Token counting rule for the output image.
    pub tokens: TokenRule,
    /// $ per 1M image output tokens.
    pub image_output_per_million: f64,
    /// $ per 1M image input tokens (reference images).
    pub image_input_per_million: f64,
    /// $ per 1M text input tokens (the prompt).
    pub text_input_per_million: f64,
    /// False when the prices are an assumption (unpublished); the UI says so.
    #[serde(default)]
    pub confirmed: bool,
    /// Per-image prices by size and quality, for models priced that way.
    #[serde(default)]
    pub per_image_usd: BTreeMap<String, BTreeMap<String, f64>>,
}

/// One image model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The API id, e.g. `gpt-image-2`.
    pub id: String,
    /// A human label.
    pub label: String,
    /// Lifecycle status.
    pub status: ModelStatus,
    /// Shutdown date (ISO), when announced.
    #[serde(default)]
    pub shutdown: Option<String>,
    /// Accepted explicit sizes.
    pub size_rule: SizeRule,
    /// Whether `size: "auto"` is accepted.
    #[serde(default)]
    pub size_auto: bool,
    /// Accepted `quality` values.
    pub qualities: Vec<String>,
    /// `background: "transparent"`.
    #[serde(default = "unknown_support")]
    pub transparent_background: Support,
    /// `output_format: "gif"`.
    #[serde(default = "unknown_support")]
    pub gif_output: Support,
    /// Whether the `input_fidelity` parameter may be sent.
    #[serde(default)]
    pub input_fidelity: bool,
    /// Most `image[]` files one edit request takes.
    #[serde(default = "sixteen")]
    pub max_input_images: usize,
    /// Prices.
    pub pricing: Pricing,
    /// One line shown next to the model in the picker.
    #[serde(default)]
    pub note: String,
}

fn unknown_support() -> Support {
    Support::Unknown
}

fn sixteen() -> usize {
    16
}

impl ModelInfo {
    /// Whether the model can be picked for new requests.
    pub fn selectable(&self) -> bool {
        self.status != ModelStatus::Retired
    }

    /// Checks a size against this model's rule.
    pub fn check_size(&self, size: Size) -> Result<(), crate::model::size::SizeError> {
        self.size_rule.check(size)
    }
}

/// The whole catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Format version of the file.
    #[serde(default)]
    pub version: u32,
    /// The model new projects use.
    pub default_model: String,
    /// All known models, in display order.
    pub models: Vec<ModelInfo>,
}

impl Catalogue {
    /// Parses a catalogue file. Unknown fields and unknown enum values are tolerated; a file
    /// without any model or whose default is missing is refused.
    pub fn parse(json: &str) -> Result<Self, String> {
        let catalogue: Catalogue =
            serde_json::from_str(json).map_err(|e| format!("The model list is not valid: {e}"))?;
        if catalogue.models.is_empty() {
            return Err("The model list has no models.".into());
        }
        if catalogue.get(&catalogue.default_model).is_none() {
            return Err(format!(
                "The model list's default model {:?} is not in the list.",
                catalogue.default_model
            ));
        }
        Ok(catalogue)
    }

    /// The catalogue compiled into the app.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_JSON).expect("the built-in models.json is valid (tested)")
    }

    /// Looks a model up by id; dated snapshots (`gpt-image-2-2026-04-21`) resolve to their
    /// family entry.
    pub fn get(&self, id: &str) -> Option<&ModelInfo> {
        self.models
            .iter()
            .find(|m| m.id == id)
            .or_else(|| self.models.iter().find(|m| is_snapshot_of(id, &m.id)))
    }

    /// The default model.
    pub fn default_model(&self) -> &ModelInfo {
        self.get(&self.default_model).unwrap_or(&self.models[0])
    }
}

/// `gpt-image-2-2026-04-21` is a snapshot of `gpt-image-2`.
fn is_snapshot_of(id: &str, family: &str) -> bool {
    id.strip_prefix(family)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|date| {
            date.len() == 10 && date.chars().all(|c| c.is_ascii_digit() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_defaults_to_gpt_image_2() {
        let c = Catalogue::builtin();
        assert_eq!(c.default_model().id, "gpt-image-2");
        let m = c.get("gpt-image-2").unwrap();
        assert!(
            !m.input_fidelity,
            "gpt-image-2 must never be sent input_fidelity"
        );
        assert_eq!(m.size_rule, SizeRule::gpt_image_2());
        assert!(c
            .get("gpt-image-2.5-flare")
            .unwrap()
            .qualities
            .contains(&"xhigh".to_string()));
        assert!(!c.get("gpt-image-1").unwrap().selectable());
    }

    #[test]
    fn snapshots_resolve_to_their_family() {
        let c = Catalogue::builtin();
        assert_eq!(c.get("gpt-image-2-2026-04-21").unwrap().id, "gpt-image-2");
        assert_eq!(
            c.get("gpt-image-2.5-flare-2026-09-08").unwrap().id,
            "gpt-image-2.5-flare"
        );
        assert!(c.get("gpt-image-3").is_none());
    }

    #[test]
    fn unknown_values_do_not_break_parsing() {
        let json = r#"{"default_model":"m","models":[{"id":"m","label":"M","status":"beta",
            "size_rule":{"rule":"fixed","allowed":["1024x1024"]},"qualities":["ultra"],
            "transparent_background":"sometimes","new_field":1,
            "pricing":{"tokens":"gpt-image-9","image_output_per_million":1,"image_input_per_million":1,"text_input_per_million":1}}]}"#;
        let c = Catalogue::parse(json).unwrap();
        let m = c.default_model();
        assert_eq!(m.status, ModelStatus::Unknown);
        assert_eq!(m.transparent_background, Support::Unknown);
        assert_eq!(m.pricing.tokens, TokenRule::Unknown);
    }

    #[test]
    fn a_broken_catalogue_is_refused_with_a_reason() {
        assert!(Catalogue::parse("{}").unwrap_err().contains("not valid"));
        let no_default = r#"{"default_model":"x","models":[]}"#;
        assert!(Catalogue::parse(no_default)
            .unwrap_err()
            .contains("no models"));
    }
}
