//! A frame: one slot of a series (a slide, a panel, a view). Stored as its own record, so an
//! edit of one frame writes one small record whatever the size of the series.

use crate::model::shot::ShotSpec;
use crate::model::version::{SentRequest, VersionKind};
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
    /// The image was made and is kept in the tab, but storing it failed: not a failed
    /// request (nothing to send again), and gone as soon as the image is stored. Left out of
    /// the record when false, so records stay as they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsaved: bool,
}

/// The request a frame has in flight, stored (awaited) before it leaves the browser: what a
/// version made from its answer needs, so an answer read back from the server after a
/// reload (by [`InFlightJob::job_id`]) is stored as a normal version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InFlightJob {
    /// The job id sent in `X-Continuity-Job` (server mode only; `None`: nothing to ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// When it was sent (ms since the epoch).
    #[serde(default)]
    pub since_ms: f64,
    /// How its versions come about (generated, edited, localized).
    #[serde(default)]
    pub kind: VersionKind,
    /// The version it was made from (edits, locale variants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// An edit's instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// A locale variant's locale (its version becomes that locale's pointer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The request as sent (prompt, model, size, quality, format, inputs by hash).
    #[serde(default)]
    pub request: SentRequest,
    /// Content hash of the anchor image it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_image: Option<String>,
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
    /// The request in flight (or lost with the page and not yet asked for), with what its
    /// answer needs to become a version. Left out of the record when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_job: Option<InFlightJob>,
    /// How long this frame shows in the animatic, in seconds; `None` = the export's default.
    /// Set through [`hold_seconds_from_input`] (0.1–60 s). Left out of the record when unset,
    /// so records stay as they were for frames without an override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_seconds: Option<f64>,
}

/// The shortest time a frame can be held in the animatic, in seconds.
pub const HOLD_SECONDS_MIN: f64 = 0.1;
/// The longest time a frame can be held in the animatic, in seconds.
pub const HOLD_SECONDS_MAX: f64 = 60.0;

/// A hold time as it goes into the model: clamped to
/// [`HOLD_SECONDS_MIN`]..=[`HOLD_SECONDS_MAX`]; `None` (the export's default) for a value that
/// is not a number.
pub fn clamp_hold_seconds(seconds: f64) -> Option<f64> {
    seconds
        .is_finite()
        .then(|| seconds.clamp(HOLD_SECONDS_MIN, HOLD_SECONDS_MAX))
}

/// What the user typed for a frame's hold time → [`Frame::hold_seconds`]: empty (or not a
/// number: a number input reports what it cannot read as empty) means the default; a comma
/// works as the decimal mark; the value is clamped by [`clamp_hold_seconds`].
pub fn hold_seconds_from_input(text: &str) -> Option<f64> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().and_then(clamp_hold_seconds)
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
            in_flight_job: None,
            hold_seconds: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_seconds_input_is_clamped_and_empty_means_the_default() {
        assert_eq!(hold_seconds_from_input(""), None);
        assert_eq!(hold_seconds_from_input("  "), None);
        assert_eq!(hold_seconds_from_input("abc"), None);
        assert_eq!(hold_seconds_from_input("2.5"), Some(2.5));
        assert_eq!(hold_seconds_from_input(" 3,25 "), Some(3.25));
        assert_eq!(hold_seconds_from_input("0"), Some(HOLD_SECONDS_MIN));
        assert_eq!(hold_seconds_from_input("-4"), Some(HOLD_SECONDS_MIN));
        assert_eq!(hold_seconds_from_input("600"), Some(HOLD_SECONDS_MAX));
        assert_eq!(hold_seconds_from_input("inf"), None);
        assert_eq!(hold_seconds_from_input("NaN"), None);
        assert_eq!(clamp_hold_seconds(f64::NAN), None);
    }

    #[test]
    fn a_frame_without_a_hold_time_is_stored_as_before() {
        let mut f = Frame::new("f1".into(), "s1".into(), "Hook".into());
        let json = serde_json::to_string(&f).unwrap();
        assert!(!json.contains("hold_seconds"), "{json}");
        let back: Frame = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
        f.hold_seconds = Some(2.5);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains("\"hold_seconds\":2.5"), "{json}");
        assert_eq!(serde_json::from_str::<Frame>(&json).unwrap(), f);
    }
}
