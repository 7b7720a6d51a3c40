//! The saver's writes: a series' edited records (revision-checked), a paid result in one
//! strict transaction, a series record with new image `Blob`s, and the write made at once
//! when the page is hidden.

use super::{now, Dirty, Saver};
use crate::app::state::AppState;
use crate::app::sync;
use crate::web::idb::{self, Op, Record, StorageError, Stored};
use continuity_core::model::records::frame_from_json;
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;
use web_sys::Blob;

/// A record written: its store, key and revision.
type Written = (idb::StoreName, String, u64);

impl Saver {
    pub(super) async fn write_series(
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
            let (records, written) = self.records_of(series, &changes);
            let mut ops: Vec<Op> = records
                .into_iter()
                .map(|(store, record, base)| Op::PutIfRev(store, record, base))
                .collect();
            ops.extend(deletes(&changes));
            ops.push(summary_op(series));
            (ops, written, series.summary_at(now()))
        });
        let conflicts = db.write(ops, false).await?;
        for (store_name, id, rev) in &written {
            if !conflicts
                .iter()
                .any(|c| c.store == *store_name && &c.key == id)
            {
                self.saw(*store_name, id, *rev);
            }
        }
        state.upsert_summary(summary);
        sync::announce(
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
                idb::StoreName::Frames => self.frame_changed(state, series_id, &c.key),
                idb::StoreName::Versions => self.version_changed(state, series_id, &c.key),
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

    /// The records `changes` names, each at the revision after the one this tab knows, with
    /// that base revision.
    fn records_of(
        &self,
        series: &Series,
        changes: &Dirty,
    ) -> (Vec<(idb::StoreName, Record, u64)>, Vec<Written>) {
        let mut records = Vec::new();
        if changes.series {
            let base = self.rev(idb::SERIES, &series.id);
            records.push((idb::SERIES, Record::series(series, base + 1), base));
        }
        for fid in &changes.frames {
            if let Some(frame) = series.frame(fid) {
                let base = self.rev(idb::FRAMES, fid);
                let record = Record::frame(&series.id, frame, base + 1);
                records.push((idb::FRAMES, record, base));
            }
        }
        for vid in &changes.versions {
            if let Some(version) = series.version(vid) {
                let base = self.rev(idb::VERSIONS, vid);
                let record = Record::version(&series.id, version, base + 1);
                records.push((idb::VERSIONS, record, base));
            }
        }
        let written = records
            .iter()
            .map(|(store, record, _)| (*store, record.id.clone(), record.rev))
            .collect();
        (records, written)
    }

    /// Writes every edited record now, in a transaction filled before this returns (see
    /// [`idb::Db::write_now`]): called from the `pagehide` / `visibilitychange` handler,
    /// where a future may never resume. Records are put without reading them first (there
    /// is no time to); this tab's unsaved copy of a record wins over another tab's, as it
    /// does in the debounced write (see [`crate::app::sync`]). When the page stays, the
    /// outcome is handled as any write's.
    pub fn write_on_hide(&self, state: AppState) {
        let Some(db) = state.db() else {
            return;
        };
        let dirty = std::mem::take(&mut self.0.borrow_mut().dirty);
        if dirty.is_empty() {
            return;
        }
        let mut ops = Vec::new();
        let mut written = Vec::new();
        for (series_id, changes) in &dirty {
            let Some(store) = state.series(series_id) else {
                continue;
            };
            store.with_untracked(|series| {
                let (records, w) = self.records_of(series, changes);
                ops.extend(
                    records
                        .into_iter()
                        .map(|(store, record, _)| Op::Put(store, record)),
                );
                ops.extend(deletes(changes));
                ops.push(summary_op(series));
                written.push((series_id.clone(), w));
            });
        }
        let done = db.write_now(ops);
        let saver = self.clone();
        spawn_local(async move {
            match done.await {
                Ok(()) => {
                    for (series_id, records) in &written {
                        for (store, id, rev) in records {
                            saver.saw(*store, id, *rev);
                        }
                        let changes = &dirty[series_id];
                        sync::announce(
                            series_id,
                            records,
                            &changes.deleted_frames,
                            changes.deleted_versions.keys(),
                        );
                    }
                    saver.report(state, None);
                }
                Err(e) => {
                    for (series_id, changes) in dirty {
                        saver.requeue(&series_id, changes);
                    }
                    saver.report(state, Some(e.to_string()));
                    saver.schedule(state, 1000);
                }
            }
        });
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
        let base = self.rev(idb::SERIES, series_id);
        // The series record alone (no frames or versions cloned).
        let record = store.with_untracked(|s| Record::series(s, base + 1));
        let mut ops = Vec::new();
        for (hash, blob, thumb) in blobs {
            ops.push(Op::PutBlob(idb::IMAGES, hash.clone(), blob));
            if let Some(t) = thumb {
                ops.push(Op::PutBlob(idb::THUMBS, hash, t));
            }
        }
        ops.push(Op::PutIfRev(idb::SERIES, record, base));
        let conflicts = db.write(ops, true).await?;
        if conflicts.is_empty() {
            self.saw(idb::SERIES, series_id, base + 1);
            sync::announce(
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

    pub(super) async fn write_paid(
        &self,
        state: AppState,
        paid: &super::PaidResult,
    ) -> Result<(), StorageError> {
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
            ops.push(Op::Put(idb::VERSIONS, Record::version(&v.series_id, v, 1)));
        }
        // The frame lands on whatever is stored now (another tab may have edited its text):
        // the same rule as in memory (`Frame::land`): the pointer to the new image, no error,
        // no in-flight mark.
        let first = paid.versions.first().map(|v| v.id.clone());
        let pointer = paid.pointer.clone();
        let fallback = paid.frame.clone();
        let series_id = paid.series_id.clone();
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
                frame.land(&pointer, first.as_deref());
                rev_out.set(Some(rev));
                Some(Record::frame(&series_id, &frame, rev))
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
            &paid.series_id,
            &written,
            &BTreeSet::new(),
            std::iter::empty(),
        );
        Ok(())
    }
}

fn deletes(changes: &Dirty) -> impl Iterator<Item = Op> + '_ {
    let frames = changes
        .deleted_frames
        .iter()
        .map(|fid| Op::Delete(idb::FRAMES, fid.clone()));
    let versions = changes
        .deleted_versions
        .keys()
        .map(|vid| Op::Delete(idb::VERSIONS, vid.clone()));
    frames.chain(versions)
}

fn summary_op(series: &Series) -> Op {
    Op::Put(idb::SUMMARIES, Record::summary(&series.summary_at(now())))
}
