//! The light summary of a series that the series list shows: no frames, no versions, just
//! what a card needs. Kept in its own store so opening the list never reads whole series.

use super::template::Template;
use serde::{Deserialize, Serialize};

/// What the series list shows about one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesSummary {
    /// Series id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The template it was created from.
    pub template: Template,
    /// Created (ms since the epoch).
    pub created_ms: f64,
    /// Last changed (ms since the epoch).
    pub updated_ms: f64,
    /// Number of frames.
    pub frame_count: usize,
    /// Frames with an image.
    pub frames_done: usize,
    /// Content hashes of up to four images (the anchor or first frames), for thumbnails.
    #[serde(default)]
    pub cover: Vec<String>,
    /// Spent so far, in US dollars.
    #[serde(default)]
    pub spent_usd: f64,
}

impl SeriesSummary {
    /// Serialises for storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a summary always serialises")
    }

    /// Reads a stored summary (the rule is [`crate::fields::summary`], which the browser also
    /// applies to `JSON.parse`'s result).
    pub fn from_json(json: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("A series summary is damaged: {e}"))?;
        crate::fields::summary(&value)
    }
}
