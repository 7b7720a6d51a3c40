//! Messages where the action was: a refusal or failure caused by a click (over the budget, no
//! key, a batch already running, another tab's batch) is said next to the control that was
//! clicked — on the frame's card, in the inspector, by the locale matrix, by the series'
//! primary button — as well as in the page's notice area, which may be scrolled away or
//! behind an open dialog.
//!
//! The control says where it is before it acts ([`from`]); whatever refuses then calls
//! [`refuse`], which raises the notice and puts the text at that place. A component shows the
//! text said at its place with `crate::ui::said::SaidHere`.

use crate::app::state::AppState;
use leptos::prelude::*;
use std::cell::{OnceCell, RefCell};

/// Where an action was started.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Place {
    /// The series' primary button, "Retry failed" and the plan's "Start" (the plan closes on
    /// Start, so its refusals are said by the button that opened it).
    #[default]
    Series,
    /// A frame's card (its "Generate" / "Regenerate"), by frame id.
    Frame(String),
    /// The inspector (an edit, a frame's locale variants).
    Inspector,
    /// The locale matrix ("Make locale variants").
    Locales,
}

/// A message at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// Where.
    pub place: Place,
    /// What.
    pub text: String,
}

/// The app's one message slot and the place of the action under way.
#[derive(Default)]
struct Slot {
    said: OnceCell<RwSignal<Option<Said>>>,
    origin: RefCell<Place>,
}

fn slot(state: AppState) -> std::rc::Rc<Slot> {
    state.handle::<Slot>()
}

/// The message said last, if it is still up (for [`crate::ui::said::SaidHere`]).
pub fn said(state: AppState) -> RwSignal<Option<Said>> {
    *slot(state)
        .said
        .get_or_init(|| state.in_app_owner(|| RwSignal::new(None)))
}

/// An action starts at `place`: the message of the previous one is taken down, and a refusal
/// from now on is said there.
pub fn from(state: AppState, place: Place) {
    said(state).set(None);
    *slot(state).origin.borrow_mut() = place;
}

/// The place of the action under way (to carry across an `await`).
pub fn origin(state: AppState) -> Place {
    slot(state).origin.borrow().clone()
}

/// Refuses the action under way: the notice area and its place both say `text`.
pub fn refuse(state: AppState, text: impl Into<String>) {
    refuse_at(state, origin(state), text);
}

/// Refuses an action started at `place` (after an `await`, when another may have started).
pub fn refuse_at(state: AppState, place: Place, text: impl Into<String>) {
    let text = text.into();
    state.error(text.clone());
    said(state).set(Some(Said { place, text }));
}
