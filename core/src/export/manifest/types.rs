//! The types of `manifest.json`, separate from the model on purpose.
//!
//! The model's types are lenient (`#[serde(default)]`, unknown fields ignored) so that stored
//! records written by older builds still load. A manifest comes from outside, so these types
//! are strict: `deny_unknown_fields` on every struct, no defaults (a missing field is refused;
//! an optional field may be `null` or left out, except `frames[].hold_seconds`, which schema 2
//! requires). They also have **no field that could hold a
//! credential** — no key, token, header, base URL, proxy or endpoint URL — so no export can
//! carry one and no import can read one. (The API path of a request is `api_path`, a value
//! from a fixed list, so the name `endpoint` never appears.)

use crate::model::bible::EntityKind;
use crate::model::VersionKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `manifest.json` of a ZIP export (or a bare manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`super::FORMAT`].
    pub format: String,
    /// [`super::MANIFEST_SCHEMA_VERSION`] when written; older ones are migrated on import.
    pub schema_version: u32,
    /// The app that wrote it.
    pub app: AppInfo,
    /// Export time, ms since the epoch.
    pub exported_ms: f64,
    /// Export time for people, RFC 3339 UTC (`2024-05-01T12:00:00Z`).
    pub exported_at: String,
    /// The series record.
    pub series: SeriesEntry,
    /// Every frame, in order.
    pub frames: Vec<FrameEntry>,
    /// Every version of every frame (the version trees), oldest first.
    pub versions: Vec<VersionEntry>,
    /// The image files in the archive, in archive order.
    pub images: Vec<ImageFile>,
}

/// Name and version of the app that wrote a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppInfo {
    /// E.g. "Continuity".
    pub name: String,
    /// E.g. "0.1.0".
    pub version: String,
}

/// The series record: everything but frames and versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesEntry {
    /// Id in the exporting app (replaced on import).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The template it was created from.
    pub template: TemplateEntry,
    /// Created, ms since the epoch.
    pub created_ms: f64,
    /// Last changed, ms since the epoch.
    pub updated_ms: f64,
    /// Series-wide style text.
    pub style: String,
    /// The bible.
    pub bible: BibleEntry,
    /// The anchor, if any.
    pub anchor: Option<AnchorEntry>,
    /// Spending cap in US dollars.
    pub budget_usd: Option<f64>,
    /// Output settings of new requests.
    pub output: OutputEntry,
    /// Locale tags of the on-image text; the first is the source language.
    pub locales: Vec<String>,
    /// Frame ids in order.
    pub frame_order: Vec<String>,
}

/// A template: `{"kind": "carousel"}` or `{"kind": "custom", "frames": 12}` (the model's
/// shape, as a struct so that extra fields are refused for every kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateEntry {
    /// `carousel`, `storyboard`, `character_sheet`, `product_set`, `comic` or `custom`.
    pub kind: String,
    /// Frame count, for `custom` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<usize>,
}

/// The series bible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BibleEntry {
    /// Visual style.
    pub style: StyleEntry,
    /// Palette, in order of importance.
    pub palette: Vec<SwatchEntry>,
    /// Setting / world.
    pub setting: String,
    /// Typography rules.
    pub typography: String,
    /// Things every frame must do.
    pub always: Vec<String>,
    /// Things no frame may do.
    pub never: Vec<String>,
    /// Characters, products and props.
    pub entities: Vec<EntityEntry>,
}

/// Visual style of the bible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleEntry {
    /// The overall look (the one place for style text). Absent in manifests written before
    /// the bible held it (their `series.style` is folded in on import).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub look: String,
    /// Medium.
    pub medium: String,
    /// Rendering.
    pub rendering: String,
    /// Lens / camera.
    pub lens: String,
    /// Lighting.
    pub lighting: String,
}

/// One palette colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwatchEntry {
    /// `#RRGGBB`.
    pub hex: String,
    /// Optional name.
    pub name: String,
}

/// A character, product or prop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityEntry {
    /// Id in the exporting app (replaced on import).
    pub id: String,
    /// `character`, `product` or `prop`.
    pub kind: EntityKind,
    /// Name used in prompts.
    pub name: String,
    /// Canonical description.
    pub description: String,
    /// Features that must never change.
    pub must_not_change: Vec<String>,
    /// Reference images, identity first.
    pub references: Vec<ReferenceEntry>,
}

/// A reference image of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceEntry {
    /// SHA-256 of the image bytes (lower-case hex): also its key in the app.
    pub sha256: String,
    /// Original file name, for display.
    pub name: String,
    /// MIME type.
    pub mime: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Its file in the archive (`None` when the image was not stored, so not exported).
    pub path: Option<String>,
}

/// What the other frames are generated from (the model's [`crate::model::Anchor`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AnchorEntry {
    /// A frame of the series.
    Frame {
        /// The anchor frame's id.
        frame_id: String,
        /// Hash of the approved image.
        approved_image: Option<String>,
    },
    /// A reference image of an entity.
    Reference {
        /// The entity's id.
        entity_id: String,
        /// The reference image's hash.
        image_id: String,
    },
}

/// Output settings of new requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputEntry {
    /// Model id.
    pub model: String,
    /// `WIDTHxHEIGHT`.
    pub size: String,
    /// `quality`.
    pub quality: String,
    /// `output_format`.
    pub output_format: String,
    /// Images per request (`n`).
    pub variants: u8,
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameEntry {
    /// Id in the exporting app (replaced on import).
    pub id: String,
    /// Title.
    pub title: String,
    /// What happens, in the user's words.
    pub prompt: String,
    /// Shot spec.
    pub shot: ShotEntry,
    /// The version the grid shows (`None`: the newest).
    pub active_version: Option<String>,
    /// Locale tag → the version showing the text in that locale.
    pub locale_versions: BTreeMap<String, String>,
    /// The prompt its next request would send, as compiled at export. Informational: import
    /// ignores it (the app compiles again from the series).
    pub compiled_prompt: String,
    /// The reference images (hashes) that request would send, in order. Informational.
    pub compiled_images: Vec<String>,
    /// Seconds this frame shows in the animatic (0.1–60); `null`: the export's default.
    /// Schema 2. Required (`null`, not left out), unlike other optional fields: a manifest
    /// without it is an older schema and is read through its migration.
    #[serde(deserialize_with = "required_option")]
    pub hold_seconds: Option<f64>,
}

/// An `Option` field that must be present (`null` allowed): with a `deserialize_with`, serde
/// no longer reads a missing `Option` field as `None`.
fn required_option<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de)
}

/// A shot spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShotEntry {
    /// Shot size.
    pub shot_size: String,
    /// Camera angle.
    pub camera_angle: String,
    /// Setting.
    pub setting: String,
    /// Lighting.
    pub lighting: String,
    /// Mood.
    pub mood: String,
    /// On-image texts.
    pub texts: Vec<TextEntry>,
    /// Composition notes.
    pub composition: String,
    /// Extra constraints.
    pub constraints: Vec<String>,
    /// Entity ids in order of importance.
    pub entities: Vec<String>,
}

/// Text drawn in the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextEntry {
    /// The exact string.
    pub text: String,
    /// Its language and script.
    pub language: String,
    /// Where it goes.
    pub placement: String,
    /// Locale tag → the exact text in that locale.
    pub translations: BTreeMap<String, String>,
}

/// One version (image) of a frame: a node of the frame's version tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionEntry {
    /// Id in the exporting app (replaced on import).
    pub id: String,
    /// Its frame.
    pub frame_id: String,
    /// The version it was made from.
    pub parent: Option<String>,
    /// Versions of one request share a group.
    pub group: Option<String>,
    /// How it was made.
    pub kind: VersionKind,
    /// When, ms since the epoch.
    pub created_ms: f64,
    /// The user's instruction of an edit.
    pub instruction: Option<String>,
    /// Locale tag of a locale variant.
    pub locale: Option<String>,
    /// The request exactly as sent (credentials never exist in the model).
    pub request: RequestEntry,
    /// Token usage of the whole request.
    pub usage: Option<UsageEntry>,
    /// Cost of the whole request, US dollars.
    pub request_cost_usd: Option<f64>,
    /// This image's share of the request's cost.
    pub cost_usd: Option<f64>,
    /// `x-request-id` of the response.
    pub request_id: Option<String>,
    /// Hash of the anchor image it was made from.
    pub anchor_image: Option<String>,
    /// Failed attempts before it that may have been billed.
    pub maybe_billed_attempts: u32,
    /// The image.
    pub image: ImageEntry,
    /// Its file in the archive (`None`: not exported; import drops the version).
    pub path: Option<String>,
}

/// A version's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// MIME type.
    pub mime: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// File size in bytes (0: unknown).
    pub bytes: u64,
}

/// A request as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestEntry {
    /// API path after `/v1/`: `images/generations`, `images/edits`, or empty (no request).
    pub api_path: String,
    /// Model id.
    pub model: String,
    /// The exact prompt.
    pub prompt: String,
    /// Size sent (`1024x1536`, `auto`, or empty).
    pub size: String,
    /// `quality` sent.
    pub quality: String,
    /// `output_format` sent.
    pub output_format: String,
    /// `n`.
    pub n: u8,
    /// `image[]` inputs by hash, in order.
    pub images: Vec<String>,
    /// The mask by hash.
    pub mask: Option<String>,
    /// What was done, for versions made without a request.
    pub note: String,
}

/// Token usage (the model's [`crate::openai::types::Usage`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageEntry {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Total tokens.
    pub total_tokens: u64,
    /// Input split.
    pub input_tokens_details: Option<TokenSplit>,
    /// Output split.
    pub output_tokens_details: Option<TokenSplit>,
}

/// A token split: text and image tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSplit {
    /// Text tokens.
    pub text_tokens: u64,
    /// Image tokens.
    pub image_tokens: u64,
}

/// One image file in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageFile {
    /// Path in the archive, e.g. `01-hook.png`.
    pub path: String,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// MIME type.
    pub mime: String,
    /// Size in bytes (0: unknown when the manifest was written).
    pub bytes: u64,
    /// Pixel width (0: unknown, masks).
    pub width: u32,
    /// Pixel height (0: unknown, masks).
    pub height: u32,
    /// Why it is in the archive.
    pub role: FileRole,
}

/// Why a file is in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// A frame's active image, named by order and title.
    Active,
    /// A locale variant, in its locale's folder.
    Locale,
    /// Another version (an "all versions" export), under `versions/`.
    Version,
    /// A reference image of the bible, under `references/`.
    Reference,
    /// The mask of an edit request, under `masks/`.
    Mask,
}
