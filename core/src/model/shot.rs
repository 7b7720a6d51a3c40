//! A frame's shot spec: how it is framed and lit, what text it carries, which bible entities
//! appear in it. The frame's own prompt says what happens (subject and action).

use serde::{Deserialize, Serialize};

/// Text that must appear in the image exactly as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OnImageText {
    /// The exact string (any script: Chinese, Arabic, Hindi, Cyrillic…).
    pub text: String,
    /// Its language and script, e.g. "Chinese (Simplified Han)", "Arabic". Empty: detected
    /// from the script by [`crate::compiler::script_name`].
    pub language: String,
    /// Where it goes, e.g. "top third, centred".
    pub placement: String,
    /// The same text in other locales (locale tag → exact text), for localized variants.
    pub translations: std::collections::BTreeMap<String, String>,
}

/// How a frame is shot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct ShotSpec {
    /// Shot size, e.g. "wide", "medium", "close-up".
    pub shot_size: String,
    /// Camera angle, e.g. "eye level", "low angle", "over the shoulder".
    pub camera_angle: String,
    /// Where it happens (overrides or narrows the bible's setting).
    pub setting: String,
    /// Lighting for this frame.
    pub lighting: String,
    /// Mood.
    pub mood: String,
    /// Text drawn in the image, verbatim.
    pub texts: Vec<OnImageText>,
    /// Composition notes, e.g. "leave the top 20% empty for a headline".
    pub composition: String,
    /// Extra constraints for this frame only.
    pub constraints: Vec<String>,
    /// Ids of the bible entities that appear in this frame, in order of importance.
    pub entities: Vec<String>,
}

/// Languages offered for on-image text (the value sent is the label; empty means "detect from
/// the script", see [`crate::compiler::script_name`]). gpt-image-2 writes these scripts.
pub const TEXT_LANGUAGES: &[&str] = &[
    "English",
    "Chinese (Simplified)",
    "Chinese (Traditional)",
    "Japanese",
    "Korean",
    "Arabic",
    "Hebrew",
    "Persian",
    "Hindi (Devanagari)",
    "Russian (Cyrillic)",
    "Ukrainian (Cyrillic)",
    "Greek",
    "Thai",
    "Spanish",
    "French",
    "German",
    "Portuguese",
    "Italian",
    "Turkish",
    "Vietnamese",
];
