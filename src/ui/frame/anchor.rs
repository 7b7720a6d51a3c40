//! A frame card's anchor controls: "Make anchor", or — on the anchor frame — its tag
//! ("Anchor", "Anchor · approved"), "Approve anchor" and "Unset". Each sends a
//! [`SeriesEdit`]; whether the anchor is approved comes from the series' derived state.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Anchor, Series};
use leptos::prelude::*;
use reactive_stores::Store;

/// Why the anchor matters, said where it is chosen.
pub const ANCHOR_WHY: &str =
    "The anchor is the frame every other frame is made from, so characters and style hold.";

/// The anchor controls of one frame.
#[component]
pub fn AnchorControls(
    /// The series.
    store: Store<Series>,
    /// The frame's id.
    frame_id: String,
    /// Whether the frame has an image (there is something to approve).
    #[prop(into)]
    has_image: Signal<bool>,
) -> impl IntoView {
    let state = AppState::get();
    let derived = crate::app::derived::get();
    let fid = StoredValue::new(frame_id);
    let is_anchor = Memo::new(move |_| {
        store.anchor().with(
            |a| matches!(a, Some(Anchor::Frame { frame_id, .. }) if *frame_id == fid.get_value()),
        )
    });
    let approved = Memo::new(move |_| derived.with(|d| d.anchor_approved));
    let send = move |change: SeriesEdit| {
        let _ = edit::user(state, store, Edit::Series(change));
    };
    move || {
        if is_anchor.get() {
            let can_approve = !approved.get() && has_image.get();
            view! {
                <span class="anchor-tag" data-testid="anchor-tag">{move || if approved.get() { "Anchor · approved" } else { "Anchor" }}</span>
                {can_approve.then(|| view! { <button class="btn small primary" on:click=move |_| send(SeriesEdit::ApproveAnchor) data-testid="approve-anchor">"Approve anchor"</button> })}
                <button class="btn ghost small" on:click=move |_| send(SeriesEdit::ResetAnchor)>"Unset"</button>
            }
            .into_any()
        } else {
            view! { <button class="btn ghost small" on:click=move |_| send(SeriesEdit::AnchorFrame(fid.get_value())) data-testid="make-anchor" title=ANCHOR_WHY>"Make anchor"</button> }.into_any()
        }
    }
}
