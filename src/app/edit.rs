//! The one door for every change to a loaded series. A component (or the runner) sends an
//! [`Edit`]; the door applies it with core's pure [`Series::apply`], tells only the readers
//! of the narrowest lenses it touched (a prompt keystroke wakes that frame's prompt readers,
//! nothing else), marks the touched records for the saver, and — for the user's own edits,
//! [`user`] — records the step for undo. The app's own changes ([`app`]: a request in flight,
//! a result, a failure) are saved but never undone.

use crate::app::history::History;
use crate::app::saver::{PaidResult, Pointer};
use crate::app::state::{refresh_keys, AppState, Route};
use crate::web::idb::StorageError;
use continuity_core::model::action::{FrameEdit, FrameField, Lens, SeriesField, Touched};
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Series, Version};
use leptos::prelude::*;
use reactive_stores::{Store, StoreField};
use std::rc::Rc;
use web_sys::Blob;

pub use continuity_core::model::action::{Edit, Refused, SeriesEdit};

/// This app's undo history.
#[derive(Default)]
struct Undo(std::cell::RefCell<History>);

impl AppState {
    /// Reads or changes the undo history.
    fn history<R>(&self, f: impl FnOnce(&mut History) -> R) -> R {
        f(&mut self.handle::<Undo>().0.borrow_mut())
    }
}

/// The user's edit: applied, saved, and undoable (typing in one record is one step).
pub fn user(state: AppState, store: Store<Series>, edit: Edit) -> Result<(), Refused> {
    let label = edit.label();
    let key = edit.undo_key();
    let touched = apply(state, store, edit)?;
    let series_id = store.id().get_untracked();
    let now = crate::web::clock::now_ms();
    state.history(|h| h.record(&series_id, label, key, touched.undo, now));
    Ok(())
}

/// The app's own edit (a request in flight, a failure, a rename from the list): applied and
/// saved, not an undo step.
pub fn app(state: AppState, store: Store<Series>, edit: Edit) -> Result<(), Refused> {
    apply(state, store, edit).map(|_| ())
}

/// Applies an edit in memory, tells its lenses and marks its records for saving.
fn apply(state: AppState, store: Store<Series>, edit: Edit) -> Result<Touched, Refused> {
    let touched = apply_in_memory(store, edit)?;
    if !touched.is_empty() {
        let series_id = store.id().get_untracked();
        state.saver().touched(state, &series_id, &touched);
    }
    Ok(touched)
}

/// Applies an edit to the store without notifying anyone, then tells exactly the lenses the
/// edit reports (core decides what changed; the store is not asked to guess).
fn apply_in_memory(store: Store<Series>, edit: Edit) -> Result<Touched, Refused> {
    let touched = {
        let mut series = store
            .try_write_untracked()
            .ok_or_else(|| Refused("This series is no longer open.".into()))?;
        series.apply(edit)?
    };
    tell(store, &touched.lenses);
    Ok(touched)
}

/// Wakes the readers of each lens (the lens, the fields inside it, and whoever reads a
/// whole ancestor), as a write through that lens would.
fn tell(store: Store<Series>, lenses: &[Lens]) {
    if lenses.contains(&Lens::Whole) {
        refresh_keys(store);
        store.notify();
        return;
    }
    for lens in lenses {
        match lens {
            Lens::Frame(id, field) => {
                let frame = store.frames().at_key(id.clone());
                match field {
                    FrameField::Title => notify(frame.title()),
                    FrameField::Prompt => notify(frame.prompt()),
                    FrameField::Shot => notify(frame.shot()),
                    FrameField::ActiveVersion => notify(frame.active_version()),
                    FrameField::LocaleVersions => notify(frame.locale_versions()),
                    FrameField::Error => notify(frame.error()),
                    FrameField::InFlight => notify(frame.in_flight_since()),
                    FrameField::Hold => notify(frame.hold_seconds()),
                }
            }
            Lens::Series(field) => match field {
                SeriesField::Name => {
                    notify(store.name());
                    notify(store.updated_ms());
                }
                SeriesField::Anchor => notify(store.anchor()),
                SeriesField::Bible => notify(store.bible()),
                SeriesField::Output => notify(store.output()),
                SeriesField::Budget => notify(store.budget_usd()),
                SeriesField::Locales => notify(store.locales()),
                SeriesField::Batches => notify(store.batches()),
            },
            Lens::Versions => {
                store.versions().update_keys();
                notify(store.versions());
            }
            Lens::Whole => {}
        }
    }
}

fn notify(field: impl StoreField) {
    for trigger in field.triggers_for_current_path() {
        trigger.notify();
    }
}

/// Undoes the newest step of the open series; returns what was undone, for the notice.
pub fn undo(state: AppState) -> Option<String> {
    replay(state, true)
}

/// Redoes the newest undone step; returns what was redone.
pub fn redo(state: AppState) -> Option<String> {
    replay(state, false)
}

fn replay(state: AppState, backwards: bool) -> Option<String> {
    let Route::Series(open) = state.route.get_untracked() else {
        return None;
    };
    let store = state.series(&open)?;
    let step = state.history(|h| h.take(&open, backwards))?;
    let touched = {
        let mut series = store.try_write_untracked()?;
        series.restore(step.undo.clone())
    };
    tell(store, &touched.lenses);
    state.saver().touched(state, &open, &touched);
    let label = step.label.to_string();
    state.history(|h| h.replayed(step, touched.undo, backwards));
    Some(label)
}

/// Whether there is something to undo in the series.
pub fn can_undo(state: AppState, series_id: &str) -> bool {
    state.history(|h| h.can_undo(series_id))
}

/// A paid request's images for a frame (or a free composite), as they arrive.
pub struct Arrival {
    /// The frame.
    pub frame_id: String,
    /// One version per image; the first becomes what `pointer` names.
    pub versions: Vec<Version>,
    /// `(content hash, image, thumbnail)` per stored `Blob` (images, and an edit's mask).
    pub images: Vec<(String, Blob, Option<Blob>)>,
    /// Which pointer of the frame the first version becomes.
    pub pointer: Pointer,
}

/// A result arrived: it lands on its frame in memory at once (shown even if storage fails),
/// then the images, their versions and the frame are written in one strict transaction — the
/// only write of those records (the debounced writer does not write them again). If that
/// fails the frame says "not saved yet" and the saver keeps retrying; the write that
/// succeeds clears that message and the notice it raised. `Err` says why it is not stored.
pub async fn arrived(
    state: AppState,
    store: Store<Series>,
    arrival: Arrival,
) -> Result<(), ArrivalError> {
    let Arrival {
        frame_id,
        versions,
        images,
        pointer,
    } = arrival;
    let edit = Edit::frame(
        &frame_id,
        FrameEdit::ResultArrived {
            versions: versions.clone(),
            pointer: pointer.clone(),
        },
    );
    // In memory first; the paid transaction below is what stores these records.
    apply_in_memory(store, edit).map_err(|_| ArrivalError::FrameGone)?;
    let frame = store
        .with_untracked(|s| s.frame(&frame_id).cloned())
        .ok_or(ArrivalError::FrameGone)?;
    // What a failure to store raised (the notice, the frame's message), taken down by the
    // write that succeeds.
    let raised: Rc<std::cell::RefCell<Option<(String, String)>>> = Rc::default();
    let notices = raised.clone();
    let stored_frame = frame_id.clone();
    let on_stored: Rc<dyn Fn()> = Rc::new(move || {
        let _ = app(state, store, Edit::frame(&stored_frame, FrameEdit::Saved));
        // Only what this failure raised goes (another notice since stays).
        if let Some((notice, message)) = notices.borrow_mut().take() {
            state.clear_notice(&notice);
            state.clear_batch_stop(&message);
        }
    });
    let paid = PaidResult {
        series_id: store.id().get_untracked(),
        frame_id: frame_id.clone(),
        versions,
        images,
        frame,
        pointer,
        on_stored: Some(on_stored),
    };
    let Err(e) = state.saver().save_paid(state, paid).await else {
        return Ok(());
    };
    let message = format!(
        "The image was made but could not be saved yet: {e} It is kept in this tab and saving is retried; do not close the tab."
    );
    let _ = app(
        state,
        store,
        Edit::frame(&frame_id, FrameEdit::NotSaved(message.clone())),
    );
    let notice = e.to_string();
    state.error(notice.clone());
    *raised.borrow_mut() = Some((notice, message.clone()));
    Err(ArrivalError::NotSaved(message))
}

/// Why a result is not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrivalError {
    /// The frame was deleted while its image was being made.
    FrameGone,
    /// Storage refused the write: the image is kept in the tab and retried (the message is
    /// what the frame says).
    NotSaved(String),
}

/// The app's edit of the series record together with new image `Blob`s (reference images):
/// applied, then written with the images in one strict transaction — the only write of the
/// record (the debounced writer does not write it again).
pub async fn with_images(
    state: AppState,
    store: Store<Series>,
    edit: Edit,
    blobs: Vec<(String, Blob, Option<Blob>)>,
) -> Result<(), WithImagesError> {
    let touched = apply_in_memory(store, edit).map_err(WithImagesError::Refused)?;
    if touched.is_empty() {
        return Ok(());
    }
    let series_id = store.id().get_untracked();
    state
        .saver()
        .save_series_with_images(state, &series_id, blobs)
        .await
        .map_err(WithImagesError::Storage)
}

/// Why [`with_images`] did not store its edit.
#[derive(Debug, Clone, PartialEq)]
pub enum WithImagesError {
    /// The edit could not apply.
    Refused(Refused),
    /// Storage refused the write.
    Storage(StorageError),
}

impl std::fmt::Display for WithImagesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WithImagesError::Refused(r) => r.fmt(f),
            WithImagesError::Storage(e) => e.fmt(f),
        }
    }
}
