//! The anchor on a frame card: its tag on the picture ("Anchor", "Anchor · approved") and the
//! card menu's "Make anchor" / "Unset anchor". Choosing the anchor is an edit and sends
//! nothing; approving it is the primary button's step ("Approve the anchor"). Which frame is
//! the anchor (frame 1 of a new series until another is chosen) and whether it is approved
//! come from the series' derived state.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Anchor, Series};
use leptos::prelude::*;
use reactive_stores::Store;

/// Why the anchor matters, said where it is chosen.
pub const ANCHOR_WHY: &str =
    "The anchor is the frame every other frame is made from, so characters and style hold.";

/// The anchor's tag, on the anchor frame's picture only.
#[component]
pub fn AnchorTag(
    /// The frame's id.
    frame_id: String,
) -> impl IntoView {
    let derived = crate::app::derived::get();
    let fid = StoredValue::new(frame_id);
    let tag = Memo::new(move |_| {
        derived.with(|d| {
            let label = if d.anchor_approved {
                "Anchor · approved"
            } else {
                "Anchor"
            };
            (d.anchor_frame.as_deref() == Some(fid.read_value().as_str())).then_some(label)
        })
    });
    move || {
        tag.get().map(|text| {
            view! { <span class="anchor-tag" data-testid="anchor-tag" title=ANCHOR_WHY>{text}</span> }
        })
    }
}

/// The card menu's anchor item: "Make anchor", or "Unset anchor" on the chosen anchor.
#[component]
pub fn AnchorMenuItem(
    /// The series.
    store: Store<Series>,
    /// The frame's id.
    frame_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    let is_anchor = Memo::new(move |_| {
        store.anchor().with(
            |a| matches!(a, Some(Anchor::Frame { frame_id, .. }) if *frame_id == fid.get_value()),
        )
    });
    let send = move |change: SeriesEdit| {
        let _ = edit::user(state, store, Edit::Series(change));
    };
    move || {
        if is_anchor.get() {
            view! { <button class="btn ghost" role="menuitem" data-testid="unset-anchor" on:click=move |_| send(SeriesEdit::ResetAnchor)>"Unset anchor"</button> }.into_any()
        } else {
            view! { <button class="btn ghost" role="menuitem" data-testid="make-anchor" title=ANCHOR_WHY on:click=move |_| send(SeriesEdit::AnchorFrame(fid.get_value()))>"Make anchor"</button> }.into_any()
        }
    }
}
