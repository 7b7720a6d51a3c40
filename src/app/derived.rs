//! The series' derived state (each frame's image, staleness and failure; the anchor image and
//! its approval; what the one generate button does) as one memo per open series, computed by
//! core's [`derive`] from the fields it tracks: the frame order, each frame's active pointer
//! and error (through their own lenses, so typing wakes nothing here), the versions, the
//! anchor, the bible's entities and whether the bible is written (a memo of its own, so
//! typing in the bible wakes this only when that answer flips). Components read it; none
//! re-states a rule.

use continuity_core::model::bible::BibleStoreFields;
use continuity_core::model::derived::{derive, FrameFacts};
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

pub use continuity_core::model::derived::{Derived, FrameState};

/// Makes the memo of `store` and provides it to the components below.
pub fn provide(store: Store<Series>) -> Memo<Derived> {
    let memo = memo(store);
    provide_context(memo);
    memo
}

/// The memo provided by [`provide`].
pub fn get() -> Memo<Derived> {
    expect_context::<Memo<Derived>>()
}

/// The derived state of `store`, recomputed only when a field it reads changes.
pub fn memo(store: Store<Series>) -> Memo<Derived> {
    let bible_written = Memo::new(move |_| store.bible().with(|b| b.is_written()));
    Memo::new(move |_| {
        let order = store.frame_order().get();
        let frames = store.frames();
        // (id, pointer, failed, has error), read field by field.
        let facts: Vec<(String, Option<String>, bool, bool)> = order
            .into_iter()
            .filter_map(|id| {
                let frame = frames.at_key(id.clone());
                let pointer = frame.clone().active_version().try_get()?;
                let (has_error, failed) = frame
                    .error()
                    .try_with(|e| (e.is_some(), e.as_ref().is_some_and(|e| !e.unsaved)))
                    .unwrap_or_default();
                Some((id, pointer, failed, has_error))
            })
            .collect();
        let in_batches = store
            .batches()
            .with(|runs| continuity_core::batch_run::frames_in_batches(runs));
        let facts: Vec<FrameFacts> = facts
            .iter()
            .map(|(id, pointer, failed, has_error)| FrameFacts {
                id,
                pointer: pointer.as_deref(),
                failed: *failed,
                has_error: *has_error,
                in_batch: in_batches.contains(id),
            })
            .collect();
        let anchor = store.anchor().get();
        let written = bible_written.get();
        store.versions().with(|versions| {
            store
                .bible()
                .entities()
                .with(|entities| derive(&facts, versions, anchor.as_ref(), entities, written))
        })
    })
}
