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

/// What the series' one generate button will do, from what the series needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesNeeds {
    /// Frames in the series.
    pub frames: usize,
    /// Frames without an image.
    pub missing: usize,
    /// Frames made from an old anchor image.
    pub stale: usize,
    /// The series has an anchor frame.
    pub has_anchor_frame: bool,
    /// The anchor has an approved image (frames will be made from it).
    pub anchor_approved: bool,
}

/// What the one generate button does now, and its label: "Generate 11 frames from the
/// anchor", "Generate 3 missing", "Regenerate 4 stale", "Generate 9 frames", or "Regenerate
/// all 9 frames" when everything is made and current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerateAction {
    /// Every frame (none made yet, or all remade).
    All(String),
    /// Only the frames without an image.
    Missing(String),
    /// Only the stale frames.
    Stale(String),
}

impl GenerateAction {
    /// The button's label.
    pub fn label(&self) -> &str {
        match self {
            GenerateAction::All(l) | GenerateAction::Missing(l) | GenerateAction::Stale(l) => l,
        }
    }
}

fn frames(n: usize) -> String {
    if n == 1 {
        "1 frame".into()
    } else {
        format!("{n} frames")
    }
}

/// The one generate button's action: stale frames first (they contradict the anchor), then
/// missing ones (made from the approved anchor when there is one), then the whole series.
pub fn generate_action(n: SeriesNeeds) -> GenerateAction {
    if n.stale > 0 {
        GenerateAction::Stale(format!("Regenerate {} stale", n.stale))
    } else if n.missing == n.frames {
        // Nothing made yet: an anchor frame is made first and the others from it.
        let how = if n.has_anchor_frame {
            ", anchor first"
        } else {
            ""
        };
        GenerateAction::All(format!("Generate {}{how}", frames(n.frames)))
    } else if n.missing > 0 {
        GenerateAction::Missing(if n.anchor_approved {
            format!("Generate {} from the anchor", frames(n.missing))
        } else {
            format!("Generate {} missing", n.missing)
        })
    } else {
        GenerateAction::All(format!("Regenerate all {}", frames(n.frames)))
    }
}

#[cfg(test)]
mod generate_tests {
    use super::*;

    fn needs(
        frames: usize,
        missing: usize,
        stale: usize,
        anchor: bool,
        approved: bool,
    ) -> SeriesNeeds {
        SeriesNeeds {
            frames,
            missing,
            stale,
            has_anchor_frame: anchor,
            anchor_approved: approved,
        }
    }

    #[test]
    fn the_one_button_says_what_it_will_do() {
        assert_eq!(
            generate_action(needs(9, 9, 0, false, false)).label(),
            "Generate 9 frames"
        );
        assert_eq!(
            generate_action(needs(12, 11, 0, true, true)).label(),
            "Generate 11 frames from the anchor"
        );
        assert_eq!(
            generate_action(needs(12, 12, 0, true, false)).label(),
            "Generate 12 frames, anchor first"
        );
        assert_eq!(
            generate_action(needs(12, 3, 0, false, false)),
            GenerateAction::Missing("Generate 3 missing".into())
        );
        assert_eq!(
            generate_action(needs(12, 3, 4, true, true)),
            GenerateAction::Stale("Regenerate 4 stale".into())
        );
        assert_eq!(
            generate_action(needs(1, 0, 0, false, false)).label(),
            "Regenerate all 1 frame"
        );
    }
}
