//! The undo and redo stacks of the user's edits (the door, [`crate::app::edit`], records and
//! replays them). A step keeps the records an edit touched as they were before it
//! ([`Undo`]); a burst of typing in one record is one step. Deleted frames and versions stay
//! restorable until the page is closed (their images are freed only by the next load's
//! clean-up).

use continuity_core::model::action::Undo;

/// Typing into the same record within this long is one step.
const COALESCE_MS: f64 = 1500.0;
/// Steps kept.
const DEPTH: usize = 200;

/// One undoable step.
#[derive(Debug, Clone)]
pub struct Step {
    /// The series it belongs to.
    pub series_id: String,
    /// What it is called ("Undone: move frame.").
    pub label: &'static str,
    /// Steps with the same key made within a moment are one.
    key: Option<String>,
    /// When it was last extended (0: never joined by a later step).
    at: f64,
    /// The records as they were before it (or, on the redo stack, after it).
    pub undo: Undo,
}

/// The undo and redo stacks of this tab (held by [`crate::app::state::AppState`]).
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<Step>,
    redo: Vec<Step>,
}

impl History {
    /// Records an edit the user made at `now` (ms): a new step, or — typing in the same
    /// record within a moment — part of the last one, which keeps what was there first.
    pub fn record(
        &mut self,
        series_id: &str,
        label: &'static str,
        key: Option<String>,
        undo: Undo,
        now: f64,
    ) {
        if undo.is_empty() {
            return;
        }
        self.redo.clear();
        if let Some(last) = self.undo.last_mut() {
            let joins = key.is_some()
                && last.key == key
                && last.series_id == series_id
                && now - last.at < COALESCE_MS;
            if joins {
                last.at = now;
                join(&mut last.undo, undo);
                return;
            }
        }
        self.undo.push(Step {
            series_id: series_id.to_string(),
            label,
            key,
            at: now,
            undo,
        });
        if self.undo.len() > DEPTH {
            self.undo.remove(0);
        }
    }

    /// Takes the newest step of `series_id` to undo (`backwards`) or redo.
    pub fn take(&mut self, series_id: &str, backwards: bool) -> Option<Step> {
        let from = if backwards {
            &mut self.undo
        } else {
            &mut self.redo
        };
        let at = from.iter().rposition(|s| s.series_id == series_id)?;
        Some(from.remove(at))
    }

    /// Puts a replayed step on the other stack, holding `undo` (what replaying it again
    /// restores). It never joins a later step.
    pub fn replayed(&mut self, mut step: Step, undo: Undo, backwards: bool) {
        step.undo = undo;
        step.at = 0.0;
        if backwards {
            self.redo.push(step);
        } else {
            self.undo.push(step);
        }
    }

    /// Whether there is something to undo in `series_id`.
    pub fn can_undo(&self, series_id: &str) -> bool {
        self.undo.iter().any(|s| s.series_id == series_id)
    }
}

/// Adds to a step the records a later part of it touched that the step does not hold yet
/// (what it holds of a record is the oldest, which is what undo must restore).
fn join(step: &mut Undo, later: Undo) {
    if step.record.is_none() {
        step.record = later.record;
    }
    for (id, frame) in later.frames {
        if !step.frames.iter().any(|(f, _)| *f == id) {
            step.frames.push((id, frame));
        }
    }
    for (id, version) in later.versions {
        if !step.versions.iter().any(|(v, _)| *v == id) {
            step.versions.push((id, version));
        }
    }
}
