//! Undo and redo of the user's edits (text, structure, versions), with Ctrl/⌘+Z and
//! Shift+Ctrl/⌘+Z. A step records the records it touched as they were before and after; a
//! burst of typing in one record is one step. Deleted frames and versions stay restorable until
//! the page is closed (their images are freed only by the next load's clean-up).

use crate::app::state::AppState;
use crate::app::sync::refresh_keys;
use continuity_core::model::records::version_uses;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Frame, Series, Version};
use leptos::prelude::*;
use reactive_stores::Store;
use std::cell::RefCell;

/// Typing into the same record within this long is one step.
const COALESCE_MS: f64 = 1500.0;
/// Steps kept.
const DEPTH: usize = 200;

/// What the user may ask to undo: the records a change touches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Touched {
    /// The series record (name, bible, anchor, output, frame order…).
    pub record: bool,
    /// Frame ids.
    pub frames: Vec<String>,
    /// Version ids.
    pub versions: Vec<String>,
}

/// The touched records at one moment (`None`: the record did not exist).
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    record: Option<Series>,
    frames: Vec<(String, Option<Frame>)>,
    versions: Vec<(String, Option<Version>)>,
}

#[derive(Debug, Clone)]
struct Step {
    series_id: String,
    label: String,
    key: String,
    at: f64,
    before: Snapshot,
    after: Snapshot,
}

#[derive(Default)]
struct History {
    undo: Vec<Step>,
    redo: Vec<Step>,
}

thread_local! {
    static HISTORY: RefCell<History> = RefCell::new(History::default());
}

fn snapshot(store: Store<Series>, touched: &Touched) -> Snapshot {
    store.with_untracked(|s| Snapshot {
        record: touched.record.then(|| s.record()),
        frames: touched
            .frames
            .iter()
            .map(|id| (id.clone(), s.frame(id).cloned()))
            .collect(),
        versions: touched
            .versions
            .iter()
            .map(|id| (id.clone(), s.version(id).cloned()))
            .collect(),
    })
}

/// Makes a change that can be undone: snapshots `touched` before and after `apply`. `key`
/// groups typing: consecutive changes with the same key within 1.5 s are one step.
pub fn record(
    store: Store<Series>,
    label: &str,
    key: &str,
    touched: Touched,
    apply: impl FnOnce(),
) {
    let before = snapshot(store, &touched);
    apply();
    let after = snapshot(store, &touched);
    if before == after {
        return;
    }
    let now = crate::web::clock::now_ms();
    let series_id = store.id().get_untracked();
    HISTORY.with(|h| {
        let mut h = h.borrow_mut();
        h.redo.clear();
        if let Some(last) = h.undo.last_mut() {
            if last.key == key && last.series_id == series_id && now - last.at < COALESCE_MS {
                last.after = after;
                last.at = now;
                return;
            }
        }
        h.undo.push(Step {
            series_id,
            label: label.to_string(),
            key: key.to_string(),
            at: now,
            before,
            after,
        });
        if h.undo.len() > DEPTH {
            h.undo.remove(0);
        }
    });
}

/// Undoes the newest step of the open series; returns what was undone, for the notice.
pub fn undo(state: AppState) -> Option<String> {
    step(state, true)
}

/// Redoes the newest undone step; returns what was redone.
pub fn redo(state: AppState) -> Option<String> {
    step(state, false)
}

fn step(state: AppState, backwards: bool) -> Option<String> {
    let open = match state.route.get_untracked() {
        crate::app::route::Route::Series(id) => id,
        _ => return None,
    };
    let store = state.series(&open)?;
    let step = HISTORY.with(|h| {
        let mut h = h.borrow_mut();
        let from = if backwards { &mut h.undo } else { &mut h.redo };
        let at = from.iter().rposition(|s| s.series_id == open)?;
        Some(from.remove(at))
    })?;
    let target = if backwards { &step.before } else { &step.after };
    restore(state, store, target);
    let label = step.label.clone();
    HISTORY.with(|h| {
        let mut h = h.borrow_mut();
        let mut step = step;
        step.at = 0.0; // never coalesce with a step made after an undo
        if backwards {
            h.redo.push(step);
        } else {
            h.undo.push(step);
        }
    });
    Some(label)
}

/// Puts records back as a snapshot has them and marks them for saving.
fn restore(state: AppState, store: Store<Series>, snap: &Snapshot) {
    store.update(|s| {
        if let Some(record) = &snap.record {
            let frames = std::mem::take(&mut s.frames);
            let versions = std::mem::take(&mut s.versions);
            *s = Series {
                frames,
                versions,
                ..record.clone()
            };
        }
        for (id, frame) in &snap.frames {
            s.frames.retain(|f| &f.id != id);
            if let Some(f) = frame {
                s.frames.push(f.clone());
            }
        }
        for (id, version) in &snap.versions {
            s.versions.retain(|v| &v.id != id);
            if let Some(v) = version {
                s.versions.push(v.clone());
            }
        }
        // Keep the invariants: frames in the record's order (none hidden), versions by age.
        let order = s.frame_order.clone();
        s.frames
            .sort_by_key(|f| order.iter().position(|o| *o == f.id).unwrap_or(usize::MAX));
        s.frame_order = s.frames.iter().map(|f| f.id.clone()).collect();
        s.versions
            .sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then(a.id.cmp(&b.id)));
    });
    refresh_keys(store);
    let saver = state.saver();
    let sid = store.id().get_untracked();
    saver.series_changed(state, &sid);
    for (id, frame) in &snap.frames {
        match frame {
            Some(_) => saver.frame_changed(state, &sid, id),
            None => {
                let gone = Frame::new(id.clone(), sid.clone(), String::new());
                saver.frame_deleted(state, &sid, &gone, &[]);
            }
        }
    }
    for (id, version) in &snap.versions {
        match version {
            Some(_) => saver.version_changed(state, &sid, id),
            None => {
                let uses = store.with_untracked(|s| s.version(id).map(version_uses));
                saver.version_deleted(state, &sid, id, uses.unwrap_or_default());
            }
        }
    }
}

/// Whether there is something to undo in the open series.
pub fn can_undo(series_id: &str) -> bool {
    HISTORY.with(|h| h.borrow().undo.iter().any(|s| s.series_id == series_id))
}

/// The user's change to the series record (bible, anchor, output, name…): undoable, saved.
/// `key` groups typing in one field into one step.
pub fn edit_record(state: AppState, store: Store<Series>, key: &str, apply: impl FnOnce()) {
    let touched = Touched {
        record: true,
        ..Touched::default()
    };
    record(store, "Edit series", key, touched, apply);
    state
        .saver()
        .series_changed(state, &store.id().get_untracked());
}

/// The user's change of the series' structure (frames added, removed, moved; versions
/// deleted): undoable as one step, with every touched record saved. `apply` changes the
/// whole series; the keyed maps are refreshed afterwards.
pub fn edit_structure(
    state: AppState,
    store: Store<Series>,
    label: &str,
    touched: Touched,
    apply: impl FnOnce(&mut Series),
) {
    let sid = store.id().get_untracked();
    let key = format!("structure:{}", crate::web::clock::now_ms());
    let t = touched.clone();
    record(store, label, &key, t, || {
        store.update(apply);
        refresh_keys(store);
    });
    let saver = state.saver();
    saver.series_changed(state, &sid);
    let (frames, versions): (Vec<_>, Vec<_>) = store.with_untracked(|s| {
        (
            touched
                .frames
                .iter()
                .map(|id| (id.clone(), s.frame(id).is_some()))
                .collect(),
            touched
                .versions
                .iter()
                .map(|id| (id.clone(), s.version(id).is_some()))
                .collect(),
        )
    });
    for (id, exists) in frames {
        if exists {
            saver.frame_changed(state, &sid, &id);
        } else {
            let gone = Frame::new(id.clone(), sid.clone(), String::new());
            saver.frame_deleted(state, &sid, &gone, &[]);
        }
    }
    for (id, exists) in versions {
        if exists {
            saver.version_changed(state, &sid, &id);
        } else {
            saver.version_deleted(state, &sid, &id, Vec::new());
        }
    }
}
