//! Persistence of the loaded series: an edit marks what it touched ([`Saver::touched`]); text
//! edits are written **debounced** ([`DEBOUNCE_MS`] after the last change), and at once — in
//! a transaction filled before the event handler returns — when the page is hidden or left
//! ([`flush_when_hidden`]); a paid result (images, their versions and the frame pointing at
//! them) is written in one strict transaction before the frame shows as done.
//!
//! A write that fails (quota exceeded, a closed connection) is kept in memory and retried with
//! backoff (reconnecting first when the connection was closed) until it is written; the UI
//! shows how many changes are waiting. Every record write names the revision it is based on,
//! so a stale tab never overwrites a newer record: the write is refused and the record
//! reloaded (see [`crate::app::sync`]).

mod write;

use crate::app::state::{AppState, SaveStatus};
use crate::web::idb::{self, StorageError, StoreName};
use continuity_core::model::action::Touched;
use continuity_core::model::{Frame, Series, Version};
use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::time::Duration;
use web_sys::Blob;

pub use continuity_core::model::action::Pointer;

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

/// A paid result waiting to be stored: images (with thumbnails) and their versions.
#[derive(Clone)]
pub struct PaidResult {
    /// The series.
    pub series_id: String,
    /// The frame the images were made for.
    pub frame_id: String,
    /// One version per image; the first becomes what `pointer` names.
    pub versions: Vec<Version>,
    /// `(content hash, image, thumbnail)` per image.
    pub images: Vec<(String, Blob, Option<Blob>)>,
    /// The frame as this tab knows it, written if storage has no record of it yet.
    pub frame: Frame,
    /// Which pointer of the frame the first new version becomes.
    pub pointer: Pointer,
    /// Called once the result is stored (at once, or by a later retry).
    pub on_stored: Option<Rc<dyn Fn()>>,
}

#[derive(Default)]
struct Inner {
    dirty: BTreeMap<String, Dirty>,
    revs: HashMap<(StoreName, String), u64>,
    pending: Vec<PaidResult>,
    timer: Option<TimeoutHandle>,
    flushing: bool,
    again: bool,
    failures: u32,
    /// Waiting for the running flush to end.
    waiters: Vec<oneshot::Sender<()>>,
}

/// Debounced, retried, revision-checked writes. Cheap to clone (one shared inner).
#[derive(Clone, Default)]
pub struct Saver(Rc<RefCell<Inner>>);

impl Saver {
    /// Remembers the stored revisions of a freshly loaded series.
    pub fn know(&self, series: &Series) {
        let mut inner = self.0.borrow_mut();
        inner
            .revs
            .insert((idb::SERIES, series.id.clone()), series.rev);
        for f in &series.frames {
            inner.revs.insert((idb::FRAMES, f.id.clone()), f.rev);
        }
        for v in &series.versions {
            inner.revs.insert((idb::VERSIONS, v.id.clone()), v.rev);
        }
    }

    /// The stored revision this tab last saw of a record.
    pub fn rev(&self, store: StoreName, id: &str) -> u64 {
        self.0
            .borrow()
            .revs
            .get(&(store, id.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Records a stored revision this tab wrote or saw. Revisions only grow, so two writes
    /// of one record finishing out of order cannot move it back.
    pub fn saw(&self, store: StoreName, id: &str, rev: u64) {
        let mut inner = self.0.borrow_mut();
        let known = inner.revs.entry((store, id.to_string())).or_insert(0);
        *known = (*known).max(rev);
    }

    /// Whether a record has changes not written yet.
    pub fn is_dirty(&self, series_id: &str, store: StoreName, id: &str) -> bool {
        self.0
            .borrow()
            .dirty
            .get(series_id)
            .is_some_and(|d| match store {
                StoreName::Series => d.series,
                StoreName::Frames => d.frames.contains(id),
                StoreName::Versions => d.versions.contains(id),
                StoreName::Images
                | StoreName::Thumbs
                | StoreName::Summaries
                | StoreName::Quarantine
                | StoreName::V1Projects => false,
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

    /// An edit changed these records (see [`crate::app::edit`]): they are written soon.
    pub fn touched(&self, state: AppState, series_id: &str, touched: &Touched) {
        self.mark(state, series_id, |d| {
            d.series |= touched.record;
            for id in &touched.frames {
                d.deleted_frames.remove(id);
                d.frames.insert(id.clone());
            }
            for id in &touched.versions {
                d.deleted_versions.remove(id);
                d.versions.insert(id.clone());
            }
            for id in &touched.deleted_frames {
                d.frames.remove(id);
                d.deleted_frames.insert(id.clone());
            }
            for (id, uses) in &touched.deleted_versions {
                d.versions.remove(id);
                d.deleted_versions.insert(id.clone(), uses.clone());
            }
        });
    }

    /// The series record changed outside an edit (a write refused by another tab's newer
    /// record, to be written again on top of it).
    pub fn series_changed(&self, state: AppState, series_id: &str) {
        self.mark(state, series_id, |d| d.series = true);
    }

    /// A frame record must be written again (it was changed outside an edit: reconciled at
    /// load, or refused because this tab wrote it meanwhile).
    pub fn frame_changed(&self, state: AppState, series_id: &str, frame_id: &str) {
        let frame_id = frame_id.to_string();
        self.mark(state, series_id, |d| {
            d.deleted_frames.remove(&frame_id);
            d.frames.insert(frame_id);
        });
    }

    /// A version record must be written again.
    pub fn version_changed(&self, state: AppState, series_id: &str, version_id: &str) {
        let version_id = version_id.to_string();
        self.mark(state, series_id, |d| {
            d.deleted_versions.remove(&version_id);
            d.versions.insert(version_id);
        });
    }

    /// Writes pending changes soon (debounced), or at once with `delay_ms` 0.
    pub fn schedule(&self, state: AppState, delay_ms: u64) {
        if let Some(timer) = self.0.borrow_mut().timer.take() {
            timer.clear();
        }
        let saver = self.clone();
        let timer = set_timeout_with_handle(
            move || {
                saver.0.borrow_mut().timer = None;
                spawn_local(async move { saver.flush(state).await });
            },
            Duration::from_millis(delay_ms),
        )
        .ok();
        self.0.borrow_mut().timer = timer;
    }

    /// Writes everything pending now, after the write running now (if any) has ended: what
    /// must be stored before something else happens (a request's in-flight mark before the
    /// request is sent) is never skipped because another write is running.
    pub async fn save_now(&self, state: AppState) {
        loop {
            let waiting = {
                let mut inner = self.0.borrow_mut();
                inner.flushing.then(|| {
                    let (tx, rx) = oneshot::channel();
                    inner.waiters.push(tx);
                    rx
                })
            };
            match waiting {
                Some(rx) => {
                    let _ = rx.await;
                }
                None => return self.flush(state).await,
            }
        }
    }

    /// Writes everything pending now: paid results first, then edited records. If a write is
    /// running already, it runs again once that one ends.
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
            match self.write_paid(state, &paid).await {
                Ok(()) => stored(state, &paid),
                Err(e) => {
                    problem = Some(e);
                    still_pending.push(paid);
                }
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
        let (again, waiters) = {
            let mut inner = self.0.borrow_mut();
            inner.flushing = false;
            (
                std::mem::take(&mut inner.again),
                std::mem::take(&mut inner.waiters),
            )
        };
        for waiter in waiters {
            let _ = waiter.send(());
        }
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
        let status = SaveStatus { unsaved, problem };
        if state.saving.try_with_untracked(|s| *s != status) == Some(true) {
            state.saving.set(status);
        }
    }

    /// Stores a paid result in one strict transaction. On failure it is kept in memory and
    /// retried; the error is returned so the frame can say "not saved yet".
    pub async fn save_paid(&self, state: AppState, paid: PaidResult) -> Result<(), StorageError> {
        match self.write_paid(state, &paid).await {
            Ok(()) => {
                stored(state, &paid);
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
}

impl AppState {
    /// The saver (debounced writes, paid results, retries).
    pub fn saver(&self) -> Saver {
        (*self.handle::<Saver>()).clone()
    }
}

/// A paid result is stored: the meter learns of it and its owner is told.
fn stored(state: AppState, paid: &PaidResult) {
    crate::app::storage::after_first_image(state);
    if let Some(on_stored) = &paid.on_stored {
        on_stored();
    }
}

/// Writes pending edits at once whenever the page is hidden or left (a hidden page may be
/// discarded without any further event).
pub fn flush_when_hidden(state: AppState) {
    crate::web::lifecycle::on_hide(move || state.saver().write_on_hide(state));
}

fn now() -> f64 {
    crate::web::clock::now_ms()
}
