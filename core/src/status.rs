//! What a frame card says about its frame at a glance: the status badge and the error text.

use crate::model::FrameError;

/// A frame's live state while a batch runs (mirrors the runner's view, without its data).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Badge {
    /// Waiting for a free slot.
    Queued,
    /// Waiting for the anchor frame.
    WaitingForAnchor,
    /// Request in flight.
    Running {
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// A partial preview arrived.
    Streaming,
    /// Waiting before a retry.
    Retrying {
        /// Seconds left.
        seconds: f64,
    },
    /// Being stored.
    Saving,
    /// Cancelled by the user.
    Cancelled {
        /// Whether it had been sent.
        may_be_billed: bool,
    },
    /// Not sent.
    Skipped,
}

/// The badge: a CSS class (`queued`, `running`, `done`…) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    class: &'static str,
    label: String,
}

impl Shown {
    /// CSS class (also `data-status`, which tests read).
    pub fn class(&self) -> &'static str {
        self.class
    }

    /// The words on the badge.
    pub fn label(&self) -> String {
        self.label.clone()
    }
}

/// What the badge says, from the live state (if a batch is running) and the stored frame.
pub fn badge(live: Option<Badge>, has_image: bool, has_error: bool, stale: bool) -> Shown {
    let (class, label) = match live {
        Some(Badge::Queued) => ("queued", "Queued".to_string()),
        Some(Badge::WaitingForAnchor) => ("waiting", "Waiting for anchor".into()),
        Some(Badge::Running { attempt }) if attempt > 1 => {
            ("running", format!("Running · attempt {attempt}"))
        }
        Some(Badge::Running { .. }) => ("running", "Running".into()),
        Some(Badge::Streaming) => ("running", "Rendering preview".into()),
        Some(Badge::Retrying { seconds }) => ("waiting", format!("Retrying in {seconds:.0} s")),
        Some(Badge::Saving) => ("running", "Saving".into()),
        Some(Badge::Cancelled {
            may_be_billed: true,
        }) => ("failed", "Cancelled · may be billed".into()),
        Some(Badge::Cancelled { .. }) => ("idle", "Cancelled".into()),
        Some(Badge::Skipped) => ("idle", "Not sent".into()),
        None if has_error => ("failed", "Failed".into()),
        None if stale => ("stale", "Stale".into()),
        None if has_image => ("done", "Done".into()),
        None => ("idle", "Empty".into()),
    };
    Shown { class, label }
}

/// A stored failure in words: the message, whether it may have been billed, and the request
/// ids OpenAI support asks for.
pub fn error_text(error: &FrameError) -> String {
    let mut text = error.message.clone();
    if error.may_be_billed {
        text.push_str(" (This attempt may have been billed.)");
    }
    if !error.request_ids.is_empty() {
        text.push_str(&format!(" Request ID: {}.", error.request_ids.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_state_wins_over_what_is_stored() {
        assert_eq!(
            badge(Some(Badge::Queued), true, true, true).class(),
            "queued"
        );
        assert_eq!(
            badge(Some(Badge::Running { attempt: 2 }), false, false, false).label(),
            "Running · attempt 2"
        );
        assert_eq!(
            badge(Some(Badge::Retrying { seconds: 2.4 }), false, false, false).label(),
            "Retrying in 2 s"
        );
        assert_eq!(
            badge(
                Some(Badge::Cancelled {
                    may_be_billed: true
                }),
                false,
                false,
                false
            )
            .class(),
            "failed"
        );
    }

    #[test]
    fn stored_states_rank_error_then_stale_then_done() {
        assert_eq!(badge(None, true, true, true).label(), "Failed");
        assert_eq!(badge(None, true, false, true).label(), "Stale");
        assert_eq!(badge(None, true, false, false).label(), "Done");
        assert_eq!(badge(None, false, false, false).label(), "Empty");
    }

    #[test]
    fn errors_name_billing_and_request_ids() {
        let e = FrameError {
            message: "Blocked.".into(),
            may_be_billed: true,
            request_ids: vec!["req_1".into(), "req_2".into()],
            unsaved: false,
        };
        assert_eq!(
            error_text(&e),
            "Blocked. (This attempt may have been billed.) Request ID: req_1, req_2."
        );
    }
}

/// What the one generate button does now, with its label. The button walks the guided flow:
/// "Generate the anchor" → "Approve the anchor" → "Generate 11 frames from the anchor" →
/// "Generate 3 missing" / "Regenerate 4 stale"; "Regenerate all 9 frames" once everything is
/// made and current. The rules that choose it are in [`crate::model::derived`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerateAction {
    /// Make the anchor frame's image (its plan alone). `choose`: the frame is not the anchor
    /// yet (a new series proposes frame 1), so the button makes it the anchor first — an edit
    /// that sends nothing.
    Anchor {
        /// The anchor frame.
        frame_id: String,
        /// Whether the frame must be made the anchor first.
        choose: bool,
    },
    /// Approve the anchor's image (an edit; sends nothing).
    Approve,
    /// Every frame (none made yet, or all remade).
    All(String),
    /// Only the frames without an image.
    Missing(String),
    /// Only the stale frames.
    Stale(String),
}

/// The primary button's label before the anchor has an image.
pub const GENERATE_ANCHOR: &str = "Generate the anchor";
/// The primary button's label while the anchor's image waits for approval.
pub const APPROVE_ANCHOR: &str = "Approve the anchor";

impl GenerateAction {
    /// The button's label.
    pub fn label(&self) -> &str {
        match self {
            GenerateAction::Anchor { .. } => GENERATE_ANCHOR,
            GenerateAction::Approve => APPROVE_ANCHOR,
            GenerateAction::All(l) | GenerateAction::Missing(l) | GenerateAction::Stale(l) => l,
        }
    }
}

/// "1 frame", "9 frames".
pub fn frames(n: usize) -> String {
    if n == 1 {
        "1 frame".into()
    } else {
        format!("{n} frames")
    }
}
