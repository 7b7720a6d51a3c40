//! The board's selection bar: "Select all" (the frames the board shows), "Clear selection",
//! how many frames are selected, and "Edit selected", which opens its dialog.

use super::filter::FrameFilter;
use crate::app::selection::Selection;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The selection bar above the frame grid.
#[component]
pub fn SelectionBar(
    /// The series.
    store: Store<Series>,
    /// The board's selection.
    selection: Selection,
    /// The search's filter (Select all chooses what it shows).
    filter: RwSignal<Option<FrameFilter>>,
    /// Set to open the "Edit selected" dialog.
    edit_open: RwSignal<bool>,
) -> impl IntoView {
    let count = Memo::new(move |_| selection.in_order(&store.frame_order().get()).len());
    let select_all = move |_| {
        let order = store.frame_order().get_untracked();
        let shown = filter
            .get_untracked()
            .and_then(|f| f.0.get_untracked())
            .map(|set| {
                order
                    .iter()
                    .filter(|id| set.contains(*id))
                    .cloned()
                    .collect()
            })
            .unwrap_or(order);
        selection.set_all(shown);
    };
    view! {
        <div class="row selection-bar" data-testid="selection-bar">
            <button class="btn small" data-testid="select-all" on:click=select_all>"Select all"</button>
            <Show when=move || count.get() != 0>
                <button class="btn small ghost" data-testid="clear-selection" on:click=move |_| selection.clear()>"Clear selection"</button>
            </Show>
            <span class="muted small" role="status" data-testid="selected-count">{move || match count.get() {
                0 => String::new(),
                1 => "1 frame selected".to_string(),
                n => format!("{n} frames selected"),
            }}</span>
            <button class="btn small" aria-haspopup="dialog" data-testid="edit-selected" disabled=move || count.get() == 0
                on:click=move |_| edit_open.set(true)>"Edit selected"</button>
        </div>
    }
}
