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
        };
        assert_eq!(
            error_text(&e),
            "Blocked. (This attempt may have been billed.) Request ID: req_1, req_2."
        );
    }
}
