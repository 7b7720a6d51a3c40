//! Persistence of the loaded series: an edit marks what it touched; text edits are written
//! **debounced** ([`DEBOUNCE_MS`] after the last change) and at once when the page is hidden;
//! a paid result (images, their versions and the frame pointing at them) is written in one
//! strict transaction before the frame shows as done.
//!
//! A write that fails (quota exceeded, a closed connection) is kept in memory and retried with
//! backoff (reconnecting first when the connection was closed) until it is written; the UI
//! shows how many changes are waiting. Every record write names the revision it is based on,
//! so a stale tab never overwrites a newer record: the write is refused and the record
//! reloaded (see [`crate::app::sync`]).

use crate::app::state::AppState;
use crate::app::sync;
use crate::web::idb::{self, Op, Record, StorageError, Stored};
use continuity_core::model::records::{
    frame_from_json, frame_json, series_json, series_uses, version_json, version_uses,
};
use continuity_core::model::{Frame, Series, Version};
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use web_sys::Blob;

/// Quiet time after the last edit before it is written.
pub const DEBOUNCE_MS: u64 = 400;
/// Longest wait between retries of a failed write.
const MAX_BACKOFF_MS: u64 = 30_000;

/// What changed in one series since the last write.
#[derive(Debug, Default, Clone, PartialEq)]
struct Dirty {
    series: bool,
    frames: BTreeSet<String>,
    versions: BTreeSet<String>,
    deleted_frames: BTreeSet<String>,
    deleted_versions: BTreeMap<String, Vec<String>>,
}

impl Dirty {
    fn is_empty(&self) -> bool {
        *self == Dirty::default()
    }

    fn count(&self) -> usize {
        usize::from(self.series)
            + self.frames.len()
            + self.versions.len()
            + self.deleted_frames.len()
            + self.deleted_versions.len()
    }

    fn merge(&mut self, other: Dirty) {
        self.series |= other.series;
        self.frames.extend(other.frames);
        self.versions.extend(other.versions);
        self.deleted_frames.extend(other.deleted_frames);
        self.deleted_versions.extend(other.deleted_versions);
    }
}

/// Which of the frame's pointers a paid result sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pointer {
    /// The frame's active version (generations and edits).
    Active,
    /// The frame's variant for a locale.
    Locale(String),
}

/// A paid result waiting to be stored: images (with thumbnails) and their versions.
#[derive(Clone)]
pub struct PaidResult {
    /// The series.
    pub series_id: String,
    /// The frame the images were made for.
    pub frame_id: String,
    /// One version per image; the first becomes active.
    pub versions: Vec<Version>,
    /// `(content hash, image, thumbnail)` per image.
    pub images: Vec<(String, Blob, Option<Blob>)>,
    /// The frame as this tab knows it, written if storage has no record of it yet.
    pub frame: Frame,
    /// Which pointer of the frame the first new version becomes.
    pub pointer: Pointer,
}

#[derive(Default)]
struct Inner {
    dirty: BTreeMap<String, Dirty>,
    revs: HashMap<String, u64>,
    pending: Vec<PaidResult>,
    timer: Option<i32>,
    flushing: bool,
    again: bool,
    failures: u32,
}

/// Debounced, retried, revision-checked writes. Cheap to clone (one shared inner).
#[derive(Clone, Default)]
pub struct Saver(Rc<RefCell<Inner>>);

fn key(store: &str, id: &str) -> String {
    format!("{store}/{id}")
}

impl Saver {
    /// Remembers the stored revisions of a freshly loaded series.
    pub fn know(&self, series: &Series) {
        let mut inner = self.0.borrow_mut();
        inner.revs.insert(key(idb::SERIES, &series.id), series.rev);
        for f in &series.frames {
            inner.revs.insert(key(idb::FRAMES, &f.id), f.rev);
        }
        for v in &series.versions {
            inner.revs.insert(key(idb::VERSIONS, &v.id), v.rev);
        }
    }

    /// The stored revision this tab last saw of a record.
    pub fn rev(&self, store: &str, id: &str) -> u64 {
        self.0
            .borrow()
            .revs
            .get(&key(store, id))
            .copied()
            .unwrap_or(0)
    }

    /// Records a stored revision this tab wrote or saw. Revisions only grow, so two writes
    /// of one record finishing out of order cannot move it back.
    pub fn saw(&self, store: &str, id: &str, rev: u64) {
        let mut inner = self.0.borrow_mut();
        let known = inner.revs.entry(key(store, id)).or_insert(0);
        *known = (*known).max(rev);
    }

    /// Whether a record has changes not written yet.
    pub fn is_dirty(&self, series_id: &str, store: &str, id: &str) -> bool {
        self.0
            .borrow()
            .dirty
            .get(series_id)
            .is_some_and(|d| match store {
                idb::SERIES => d.series,
                idb::FRAMES => d.frames.contains(id),
                _ => d.versions.contains(id),
            })
    }

    /// Whether anything of a series waits to be written.
    pub fn has_unsaved(&self, series_id: &str) -> bool {
        let inner = self.0.borrow();
        inner.dirty.get(series_id).is_some_and(|d| !d.is_empty())
            || inner.pending.iter().any(|p| p.series_id == series_id)
    }

    /// A paid image not stored yet (shown from memory until it is).
    pub fn pending_image(&self, hash: &str) -> Option<Blob> {
        self.0.borrow().pending.iter().find_map(|p| {
            p.images
                .iter()
                .find(|(h, _, _)| h == hash)
                .map(|(_, b, t)| t.clone().unwrap_or_else(|| b.clone()))
        })
    }

    fn mark(&self, state: AppState, series_id: &str, change: impl FnOnce(&mut Dirty)) {
        change(
            self.0
                .borrow_mut()
                .dirty
                .entry(series_id.to_string())
                .or_default(),
        );
        self.report(state, None);
        self.schedule(state, DEBOUNCE_MS);
    }

    /// The series record changed (name, bible, anchor, output, order…).
    pub fn series_changed(&self, state: AppState, series_id: &str) {
        self.mark(state, series_id, |d| d.series = true);
    }

    /// A frame record changed (or was added).
    pub fn frame_changed(&self, state: AppState, series_id: &str, frame_id: &str) {
        let frame_id = frame_id.to_string();
        self.mark(state, series_id, |d| {
            d.deleted_frames.remove(&frame_id);
            d.frames.insert(frame_id);
        });
    }

    /// A version record changed or was (re)added.
    pub fn version_changed(&self, state: AppState, series_id: &str, version_id: &str) {
        let version_id = version_id.to_string();
        self.mark(state, series_id, |d| {
            d.deleted_versions.remove(&version_id);
            d.versions.insert(version_id);
        });
    }

    /// A frame was deleted, with its versions (whose images are freed when nothing else uses
    /// them).
    pub fn frame_deleted(
        &self,
        state: AppState,
        series_id: &str,
        frame: &Frame,
        versions: &[Version],
    ) {
        let fid = frame.id.clone();
        self.mark(state, series_id, |d| {
            d.series = true;
            d.frames.remove(&fid);
            d.deleted_frames.insert(fid);
            for v in versions {
                d.versions.remove(&v.id);
                d.deleted_versions.insert(v.id.clone(), version_uses(v));
            }
        });
    }

    /// A version was deleted (its image stays stored until the next load's clean-up, so an
    /// undo can bring it back until the page is closed).
    pub fn version_deleted(
        &self,
        state: AppState,
        series_id: &str,
        version_id: &str,
        uses: Vec<String>,
    ) {
        let vid = version_id.to_string();
        self.mark(state, series_id, |d| {
            d.versions.remove(&vid);
            d.deleted_versions.insert(vid, uses);
        });
    }

    /// Writes pending changes soon (debounced), or at once with `delay_ms` 0.
    pub fn schedule(&self, state: AppState, delay_ms: u64) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(id) = self.0.borrow_mut().timer.take() {
            window.clear_timeout_with_handle(id);
        }
        let saver = self.clone();
        let callback = wasm_bindgen::closure::Closure::once_into_js(move || {
            saver.0.borrow_mut().timer = None;
            spawn_local(async move { saver.flush(state).await });
        });
        let id = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                wasm_bindgen::JsCast::unchecked_ref(&callback),
                delay_ms.min(i32::MAX as u64) as i32,
            )
            .ok();
        self.0.borrow_mut().timer = id;
    }

    /// Writes everything pending now: paid results first, then edited records.
    pub async fn flush(&self, state: AppState) {
        {
            let mut inner = self.0.borrow_mut();
            if inner.flushing {
                inner.again = true;
                return;
            }
            inner.flushing = true;
        }
        let mut problem: Option<StorageError> = None;
        let pending: Vec<PaidResult> = std::mem::take(&mut self.0.borrow_mut().pending);
        let mut still_pending = Vec::new();
        for paid in pending {
            if problem.is_some() {
                still_pending.push(paid);
                continue;
            }
            if let Err(e) = self.write_paid(state, &paid).await {
                problem = Some(e);
                still_pending.push(paid);
            }
        }
        self.0.borrow_mut().pending.splice(0..0, still_pending);
        let dirty: BTreeMap<String, Dirty> = std::mem::take(&mut self.0.borrow_mut().dirty);
        for (series_id, changes) in dirty {
            if problem.is_some() {
                self.requeue(&series_id, changes);
                continue;
            }
            if let Err(e) = self.write_series(state, &series_id, changes.clone()).await {
                problem = Some(e);
                self.requeue(&series_id, changes);
            }
        }
        let again = {
            let mut inner = self.0.borrow_mut();
            inner.flushing = false;
            std::mem::take(&mut inner.again)
        };
        match problem {
            None => {
                self.0.borrow_mut().failures = 0;
                self.report(state, None);
                if again {
                    self.schedule(state, 0);
                }
            }
            Some(e) => {
                if e.needs_reconnect() {
                    let _ = state.reconnect().await;
                }
                let failures = {
                    let mut inner = self.0.borrow_mut();
                    inner.failures += 1;
                    inner.failures
                };
                self.report(state, Some(e.to_string()));
                let backoff = (500u64 << failures.min(6)).min(MAX_BACKOFF_MS);
                self.schedule(state, backoff);
            }
        }
    }

    fn requeue(&self, series_id: &str, changes: Dirty) {
        self.0
            .borrow_mut()
            .dirty
            .entry(series_id.to_string())
            .or_default()
            .merge(changes);
    }

    /// Shows the count of changes not written yet, and the problem when there is one.
    fn report(&self, state: AppState, problem: Option<String>) {
        let unsaved = {
            let inner = self.0.borrow();
            inner.dirty.values().map(Dirty::count).sum::<usize>() + inner.pending.len()
        };
        let problem = if unsaved == 0 {
            None
        } else {
            problem.or_else(|| state.saving.with_untracked(|s| s.problem.clone()))
        };
        let status = crate::app::state::SaveStatus { unsaved, problem };
        if state.saving.try_with_untracked(|s| *s != status) == Some(true) {
            state.saving.set(status);
        }
    }

    async fn write_series(
        &self,
        state: AppState,
        series_id: &str,
        changes: Dirty,
    ) -> Result<(), StorageError> {
        let db = state
            .db()
            .ok_or_else(|| StorageError::Closed("no open connection".into()))?;
        // A series that is no longer loaded has nothing to read its records from; its changes
        // were written before it was unloaded.
        let Some(store) = state.series(series_id) else {
            return Ok(());
        };
        // Reads the records in place (no clone of the series: the cost of a write does not
        // grow with the series).
        let (ops, written, summary) = store.with_untracked(|series| {
            let mut ops = Vec::new();
            let mut written: Vec<(&'static str, String, u64)> = Vec::new();
            if changes.series {
                let base = self.rev(idb::SERIES, series_id);
                ops.push(Op::PutIfRev(
                    idb::SERIES,
                    Record {
                        id: series.id.clone(),
                        series_id: series.id.clone(),
                        uses: series_uses(series),
                        rev: base + 1,
                        json: series_json(series, base + 1),
                    },
                    base,
                ));
                written.push((idb::SERIES, series.id.clone(), base + 1));
            }
            for fid in &changes.frames {
                let Some(frame) = series.frame(fid) else {
                    continue;
                };
                let base = self.rev(idb::FRAMES, fid);
                ops.push(Op::PutIfRev(
                    idb::FRAMES,
                    Record {
                        id: fid.clone(),
                        series_id: series.id.clone(),
                        uses: Vec::new(),
                        rev: base + 1,
                        json: frame_json(frame, base + 1),
                    },
                    base,
                ));
                written.push((idb::FRAMES, fid.clone(), base + 1));
            }
            for vid in &changes.versions {
                let Some(version) = series.version(vid) else {
                    continue;
                };
                let base = self.rev(idb::VERSIONS, vid);
                ops.push(Op::PutIfRev(
                    idb::VERSIONS,
                    version_record(version, base + 1),
                    base,
                ));
                written.push((idb::VERSIONS, vid.clone(), base + 1));
            }
            for fid in &changes.deleted_frames {
                ops.push(Op::Delete(idb::FRAMES, fid.clone()));
            }
            for vid in changes.deleted_versions.keys() {
                ops.push(Op::Delete(idb::VERSIONS, vid.clone()));
            }
            ops.push(summary_op(series));
            (ops, written, series.summary_at(now()))
        });
        let conflicts = db.write(ops, false).await?;
        for (store_name, id, rev) in &written {
            if !conflicts
                .iter()
                .any(|c| c.store == *store_name && &c.key == id)
            {
                self.saw(store_name, id, *rev);
            }
        }
        state.upsert_summary(summary);
        sync::announce(
            state,
            series_id,
            &written,
            &changes.deleted_frames,
            changes.deleted_versions.keys(),
        );
        // A record this tab itself wrote meanwhile (a paid image is stored in its own
        // transaction, beside this debounced write) is not another tab's change: write this
        // tab's copy, which already holds both, again on top of it.
        let (ours, theirs): (Vec<_>, Vec<_>) = conflicts.into_iter().partition(|c| {
            c.stored
                .as_ref()
                .is_some_and(|stored| self.rev(c.store, &c.key) >= stored.rev)
        });
        for c in &ours {
            match c.store {
                s if s == idb::FRAMES => self.frame_changed(state, series_id, &c.key),
                s if s == idb::VERSIONS => self.version_changed(state, series_id, &c.key),
                _ => self.series_changed(state, series_id),
            }
        }
        if !theirs.is_empty() {
            sync::resolve_conflicts(state, store, theirs);
        }
        // Images of deleted versions stay until the next load's clean-up: an undo can bring
        // the versions back until the page is closed.
        Ok(())
    }

    /// Stores a paid result in one strict transaction. On failure it is kept in memory and
    /// retried; the error is returned so the frame can say "not saved yet".
    pub async fn save_paid(&self, state: AppState, paid: PaidResult) -> Result<(), StorageError> {
        match self.write_paid(state, &paid).await {
            Ok(()) => {
                crate::app::storage::after_first_image(state);
                Ok(())
            }
            Err(e) => {
                self.0.borrow_mut().pending.push(paid);
                self.report(state, Some(e.to_string()));
                self.schedule(state, 1000);
                Err(e)
            }
        }
    }

    /// Stores `blobs` (`(hash, image, thumbnail)`, e.g. new reference images) together with
    /// the current series record in one strict transaction, so an image is never stored
    /// without the record that uses it, nor the reverse.
    pub async fn save_series_with_images(
        &self,
        state: AppState,
        series_id: &str,
        blobs: Vec<(String, Blob, Option<Blob>)>,
    ) -> Result<(), StorageError> {
        let db = state
            .db()
            .ok_or_else(|| StorageError::Closed("no open connection".into()))?;
        let store = state
            .series(series_id)
            .ok_or_else(|| StorageError::Aborted("the series is not open".into()))?;
        // The series record alone (no frames or versions cloned).
        let series = store.with_untracked(Series::record);
        let base = self.rev(idb::SERIES, series_id);
        let mut ops = Vec::new();
        for (hash, blob, thumb) in blobs {
            ops.push(Op::PutBlob(idb::IMAGES, hash.clone(), blob));
            if let Some(t) = thumb {
                ops.push(Op::PutBlob(idb::THUMBS, hash, t));
            }
        }
        ops.push(Op::PutIfRev(
            idb::SERIES,
            Record {
                id: series.id.clone(),
                series_id: series.id.clone(),
                uses: series_uses(&series),
                rev: base + 1,
                json: series_json(&series, base + 1),
            },
            base,
        ));
        let conflicts = db.write(ops, true).await?;
        if conflicts.is_empty() {
            self.saw(idb::SERIES, series_id, base + 1);
            sync::announce(
                state,
                series_id,
                &[(idb::SERIES, series_id.to_string(), base + 1)],
                &BTreeSet::new(),
                std::iter::empty(),
            );
        } else {
            // Another tab changed the series meanwhile: the images are stored; the record
            // goes with the next write, based on the newer revision.
            if let Some(stored) = conflicts.first().and_then(|c| c.stored.as_ref()) {
                self.saw(idb::SERIES, series_id, stored.rev);
            }
            self.series_changed(state, series_id);
        }
        crate::app::storage::after_first_image(state);
        Ok(())
    }

    async fn write_paid(&self, state: AppState, paid: &PaidResult) -> Result<(), StorageError> {
        let db = state
            .db()
            .ok_or_else(|| StorageError::Closed("no open connection".into()))?;
        let mut ops = Vec::new();
        for (hash, blob, thumb) in &paid.images {
            ops.push(Op::PutBlob(idb::IMAGES, hash.clone(), blob.clone()));
            if let Some(t) = thumb {
                ops.push(Op::PutBlob(idb::THUMBS, hash.clone(), t.clone()));
            }
        }
        for v in &paid.versions {
            ops.push(Op::Put(idb::VERSIONS, version_record(v, 1)));
        }
        // The frame lands on whatever is stored now (another tab may have edited its text):
        // only the pointer to the new image, the error and the in-flight mark change.
        let first = paid.versions.first().map(|v| v.id.clone());
        let pointer = paid.pointer.clone();
        let fallback = paid.frame.clone();
        let written_rev = Rc::new(Cell::new(None));
        let rev_out = written_rev.clone();
        ops.push(Op::Merge(
            idb::FRAMES,
            paid.frame_id.clone(),
            Box::new(move |stored: Option<&Stored>| {
                let mut frame = stored
                    .and_then(|s| s.json.as_deref())
                    .and_then(|j| frame_from_json(j).ok())
                    .unwrap_or(fallback);
                let rev = stored.map_or(0, |s| s.rev) + 1;
                match (pointer, first) {
                    (Pointer::Active, first) => frame.active_version = first,
                    (Pointer::Locale(tag), Some(v)) => {
                        frame.locale_versions.insert(tag, v);
                    }
                    (Pointer::Locale(_), None) => {}
                }
                frame.error = None;
                frame.in_flight_since = None;
                rev_out.set(Some(rev));
                Some(Record {
                    id: frame.id.clone(),
                    series_id: frame.series_id.clone(),
                    uses: Vec::new(),
                    rev,
                    json: frame_json(&frame, rev),
                })
            }),
        ));
        let store = state.series(&paid.series_id);
        if let Some(store) = store {
            ops.push(store.with_untracked(summary_op));
        }
        db.write(ops, true).await?;
        let mut written = Vec::new();
        if let Some(rev) = written_rev.get() {
            self.saw(idb::FRAMES, &paid.frame_id, rev);
            written.push((idb::FRAMES, paid.frame_id.clone(), rev));
        }
        for v in &paid.versions {
            self.saw(idb::VERSIONS, &v.id, 1);
            written.push((idb::VERSIONS, v.id.clone(), 1));
        }
        if let Some(store) = store {
            state.upsert_summary(store.with_untracked(|s| s.summary_at(now())));
        }
        sync::announce(
            state,
            &paid.series_id,
            &written,
            &BTreeSet::new(),
            std::iter::empty(),
        );
        Ok(())
    }
}

fn now() -> f64 {
    crate::web::clock::now_ms()
}

fn version_record(v: &Version, rev: u64) -> Record {
    Record {
        id: v.id.clone(),
        series_id: v.series_id.clone(),
        uses: version_uses(v),
        rev,
        json: version_json(v, rev),
    }
}

fn summary_op(series: &Series) -> Op {
    let summary = series.summary_at(now());
    Op::Put(
        idb::SUMMARIES,
        Record {
            id: series.id.clone(),
            series_id: series.id.clone(),
            uses: Vec::new(),
            rev: 0,
            json: summary.to_json(),
        },
    )
}

/// The user's change to a frame: applied through its lens (only that frame's views update),
/// marked for saving, and undoable (a burst of typing in one frame is one step).
pub fn edit_frame(
    state: AppState,
    store: Store<Series>,
    frame_id: &str,
    change: impl FnOnce(&mut Frame),
) {
    let touched = crate::app::history::Touched {
        frames: vec![frame_id.to_string()],
        ..Default::default()
    };
    let key = format!("frame:{frame_id}");
    crate::app::history::record(store, "Edit frame", &key, touched, || {
        update_frame(state, store, frame_id, change)
    });
}

/// A change to a frame made by the app itself (a request in flight, a result, an error):
/// applied through the frame's lens and saved, not an undo step.
pub fn update_frame(
    state: AppState,
    store: Store<Series>,
    frame_id: &str,
    change: impl FnOnce(&mut Frame),
) {
    use continuity_core::model::series::SeriesStoreFields;
    use reactive_stores::KeyedSubfield;
    let frames: KeyedSubfield<_, _, _, _> = store.frames();
    let exists = frames.with_untracked(|fs| fs.iter().any(|f| f.id == frame_id));
    if !exists {
        return;
    }
    frames.at_key(frame_id.to_string()).update(change);
    let series_id = store.id().get_untracked();
    state.saver().frame_changed(state, &series_id, frame_id);
}
