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
    /// Shutdown date (`YYYY-MM-DD`), when announced: the `shutdown_date` that `GET /v1/models`
    /// reports (reference §18). Older catalogue files call it `shutdown`.
    #[serde(default, rename = "shutdown_date", alias = "shutdown")]
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
    /// Whether the `complexity` parameter (`low`/`medium`/`high`, planning effort) may be sent
    /// (reference §18: gpt-image-2.6).
    #[serde(default)]
    pub complexity: bool,
    /// Whether an edit may carry `markup`: a transparent PNG of marks the size of the first
    /// image, never together with `mask` (reference §17: the 2.5 models; §18: 2.6).
    #[serde(default)]
    pub markup: bool,
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

    /// The announced shutdown date (`YYYY-MM-DD`), if any.
    pub fn shutdown_date(&self) -> Option<&str> {
        self.shutdown.as_deref()
    }

    /// Whether the model is shut down on `today` (`YYYY-MM-DD`, UTC): retired, or its
    /// shutdown date has come.
    pub fn is_shut_down(&self, today: &str) -> bool {
        self.status == ModelStatus::Retired
            || self
                .shutdown_date()
                .and_then(day_number)
                .zip(day_number(today))
                .is_some_and(|(end, now)| now >= end)
    }

    /// Whole days from `today` to the shutdown date (0 on the day itself, negative after it),
    /// or `None` without an announced date (or an unreadable one).
    pub fn days_until_shutdown(&self, today: &str) -> Option<i64> {
        Some(day_number(self.shutdown_date()?)? - day_number(today)?)
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

    /// The models that can be offered for new work on `today` (`YYYY-MM-DD`): neither
    /// retired nor past their shutdown date.
    pub fn offered(&self, today: &str) -> impl Iterator<Item = &ModelInfo> + '_ {
        let today = today.to_string();
        self.models.iter().filter(move |m| !m.is_shut_down(&today))
    }

    /// Takes the shutdown dates an endpoint reports (`GET /v1/models`): where it lists a model
    /// of the catalogue (or a snapshot of it), its `shutdown_date` wins, a date or `null`.
    /// Models the endpoint does not list keep the catalogue's date. Returns how many entries
    /// changed.
    pub fn apply_lifecycle(&mut self, listed: &crate::openai::models::ModelList) -> usize {
        let mut changed = 0;
        for model in &mut self.models {
            let reported = listed.data.iter().find(|m| m.id == model.id).or_else(|| {
                listed
                    .data
                    .iter()
                    .find(|m| is_snapshot_of(&m.id, &model.id))
            });
            if let Some(reported) = reported {
                if model.shutdown != reported.shutdown_date {
                    model.shutdown = reported.shutdown_date.clone();
                    changed += 1;
                }
            }
        }
        changed
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian), or `None` if it is not
/// one.
pub fn day_number(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (y, m, d) = (num(&date[0..4])?, num(&date[5..7])?, num(&date[8..10])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
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
    use crate::model::size::Size;

    /// The 2.6 models are listed by the newest SDK, but no source documents their sizes or
    /// qualities; the catalogue offers only what is documented for every current model.
    #[test]
    fn unconfirmed_models_offer_only_documented_capabilities() {
        let c = Catalogue::builtin();
        for id in ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare"] {
            let m = c.get(id).unwrap();
            assert!(
                !m.qualities.iter().any(|q| q == "xhigh" || q == "max"),
                "{id}"
            );
            assert!(
                m.check_size(Size::new(1536, 864)).is_err(),
                "{id}: free sizes"
            );
            assert!(
                m.check_size(Size::new(1024, 1280)).is_err(),
                "{id}: free sizes"
            );
            assert!(m.check_size(Size::new(1536, 1024)).is_ok(), "{id}: presets");
        }
        // The 2.5 models keep what the reference documents for them.
        let flare = c.get("gpt-image-2.5-flare").unwrap();
        assert!(flare.qualities.iter().any(|q| q == "xhigh"));
        assert!(flare.check_size(Size::new(1536, 864)).is_ok());
    }

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

    /// Reference §18: gpt-image-1.5 and gpt-image-1-mini shut down on 2026-12-01; the 2.6
    /// models take `complexity` and `markup`, the 2.5 models `markup` (§17).
    #[test]
    fn lifecycle_and_capabilities_follow_the_reference() {
        let c = Catalogue::builtin();
        for id in ["gpt-image-1.5", "gpt-image-1-mini"] {
            let m = c.get(id).unwrap();
            assert_eq!(m.shutdown_date(), Some("2026-12-01"), "{id}");
            assert!(!m.is_shut_down("2026-11-30"), "{id}");
            assert!(m.is_shut_down("2026-12-01"), "{id}");
            assert_eq!(m.days_until_shutdown("2026-11-01"), Some(30));
            assert_eq!(m.days_until_shutdown("2026-12-07"), Some(-6));
        }
        assert!(c.get("gpt-image-1").unwrap().is_shut_down("2020-01-01"));
        assert_eq!(c.get("gpt-image-2").unwrap().shutdown_date(), None);
        let offered: Vec<&str> = c.offered("2026-12-07").map(|m| m.id.as_str()).collect();
        assert!(offered.contains(&"gpt-image-2"));
        for gone in ["gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini"] {
            assert!(
                !offered.contains(&gone),
                "{gone} is offered after its shutdown"
            );
        }
        for id in ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare"] {
            let m = c.get(id).unwrap();
            assert!(m.complexity && m.markup, "{id}");
        }
        for id in ["gpt-image-2.5-sunburst", "gpt-image-2.5-flare"] {
            let m = c.get(id).unwrap();
            assert!(m.markup && !m.complexity, "{id}");
        }
        let m = c.get("gpt-image-2").unwrap();
        assert!(!m.markup && !m.complexity);
        // The older key still reads.
        let old = r#"{"default_model":"m","models":[{"id":"m","label":"M","status":"deprecated","shutdown":"2027-01-02",
            "size_rule":{"rule":"fixed","allowed":["1024x1024"]},"qualities":["low"],
            "pricing":{"tokens":"gpt-image-2","image_output_per_million":1,"image_input_per_million":1,"text_input_per_million":1}}]}"#;
        assert_eq!(
            Catalogue::parse(old)
                .unwrap()
                .default_model()
                .shutdown_date(),
            Some("2027-01-02")
        );
    }

    #[test]
    fn dates_count_days() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(
            day_number("2026-12-01").unwrap() - day_number("2026-11-01").unwrap(),
            30
        );
        assert_eq!(
            day_number("2025-03-01").unwrap() - day_number("2025-02-28").unwrap(),
            1
        );
        for bad in ["", "2026-13-01", "2026-1-01", "tomorrow", "2026/12/01"] {
            assert_eq!(day_number(bad), None, "{bad}");
        }
    }

    /// The endpoint's dates win: a date it reports replaces the catalogue's, its `null` clears
    /// one, and a snapshot id counts for its family.
    #[test]
    fn endpoint_dates_win_over_the_catalogue() {
        let mut c = Catalogue::builtin();
        let listed = crate::openai::models::ModelList::parse(
            r#"{"object":"list","data":[
              {"id":"gpt-image-2-2026-04-21","object":"model","created":1,"owned_by":"system","shutdown_date":"2027-06-30"},
              {"id":"gpt-image-1.5","object":"model","created":1,"owned_by":"system","shutdown_date":null},
              {"id":"unknown-model","object":"model","created":1,"owned_by":"system","shutdown_date":"2027-01-01"}]}"#,
        )
        .unwrap();
        assert_eq!(c.apply_lifecycle(&listed), 2);
        assert_eq!(
            c.get("gpt-image-2").unwrap().shutdown_date(),
            Some("2027-06-30")
        );
        assert_eq!(c.get("gpt-image-1.5").unwrap().shutdown_date(), None);
        assert_eq!(
            c.get("gpt-image-1-mini").unwrap().shutdown_date(),
            Some("2026-12-01"),
            "not listed: the catalogue's date stays"
        );
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
