//! A frame: one slot of a series (a slide, a panel, a view). Stored as its own record, so an
//! edit of one frame writes one small record whatever the size of the series.

use crate::model::shot::ShotSpec;
use serde::{Deserialize, Serialize};

/// A failure that is kept with the frame until it is generated again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameError {
    /// What happened and what to do, in words a person understands.
    pub message: String,
    /// Whether the failed request may still have been billed.
    #[serde(default)]
    pub may_be_billed: bool,
    /// `x-request-id`s of the attempts, oldest first (for OpenAI support).
    #[serde(default)]
    pub request_ids: Vec<String>,
}

/// One frame of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Frame {
    /// Unique id.
    pub id: String,
    /// The series it belongs to.
    #[serde(default)]
    pub series_id: String,
    /// Revision of the stored record (see [`crate::model::Series::rev`]).
    #[serde(default)]
    pub rev: u64,
    /// Short title, e.g. "Slide 1 · Hook".
    pub title: String,
    /// What happens in this frame (subject and action), in the user's words.
    #[serde(default)]
    pub prompt: String,
    /// How it is shot, its on-image text and which bible entities appear.
    #[serde(default)]
    pub shot: ShotSpec,
    /// The version the grid and exports use.
    #[serde(default)]
    pub active_version: Option<String>,
    /// The last failure, cleared by the next success.
    #[serde(default)]
    pub error: Option<FrameError>,
    /// The version showing this frame's text in each other locale (locale tag → version id).
    #[serde(default)]
    pub locale_versions: std::collections::BTreeMap<String, String>,
    /// Set while a request for this frame is in flight (ms since the epoch). Still set when the
    /// series is loaded means the page closed mid-request: see
    /// [`crate::model::Series::reconcile_interrupted`].
    #[serde(default)]
    pub in_flight_since: Option<f64>,
}

impl Frame {
    /// An empty frame of a series.
    pub fn new(id: String, series_id: String, title: String) -> Self {
        Self {
            id,
            series_id,
            rev: 0,
            title,
            prompt: String::new(),
            shot: ShotSpec::default(),
            active_version: None,
            locale_versions: std::collections::BTreeMap::new(),
            error: None,
            in_flight_since: None,
        }
    }
}
