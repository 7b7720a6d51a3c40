//! A frame card's actions: Generate / Regenerate (or Cancel while its request runs), the
//! reorder handle, move earlier / later, duplicate, download the image, delete. Each sends
//! an edit through the door or asks the runner; none touches storage.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::runner;
use crate::app::state::AppState;
use crate::web::clock::random_u64;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

/// The actions row of one frame card.
#[component]
pub fn FrameActions(
    /// The series.
    store: Store<Series>,
    /// The frame's id.
    frame_id: String,
    /// The frame's title.
    #[prop(into)]
    title: Signal<String>,
    /// The version the frame shows (what "Download image" saves).
    #[prop(into)]
    shown: Signal<Option<String>>,
    /// Whether the frame's request is queued or under way.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    let position = Memo::new(move |_| {
        let id = fid.get_value();
        store
            .frame_order()
            .with(|o| (o.iter().position(|x| *x == id).unwrap_or(0), o.len()))
    });
    let send = move |change: SeriesEdit| edit::user(state, store, Edit::Series(change)).is_ok();
    let move_to = move |to: usize| {
        send(SeriesEdit::MoveFrame {
            id: fid.get_value(),
            to,
        });
    };
    let duplicate = move |_| {
        send(SeriesEdit::DuplicateFrame {
            id: fid.get_value(),
            random: random_u64(),
        });
    };
    let delete = move |_| {
        let title = title.get_untracked();
        if send(SeriesEdit::DeleteFrame(fid.get_value())) {
            state.undoable(format!("“{title}” deleted."));
        }
    };
    let generate = move |_| {
        runner::generate(
            state,
            &store.id().get_untracked(),
            Scope::Frames(vec![fid.get_value()]),
        )
    };
    let cancel = move |_| runner::cancel_frame(state, &fid.get_value());
    let download = move |_| {
        if let Some(v) = shown.get_untracked() {
            crate::app::export::download_image(state, &store.get_untracked(), &v)
        }
    };
    let drag = use_context::<super::drag::DragState>();
    view! {
        <div class="frame-actions">
            <Show when=move || busy.get() fallback=move || view! {
                <button class="btn small" on:click=generate data-testid="generate-frame">
                    {move || if shown.with(Option::is_some) { "Regenerate" } else { "Generate" }}
                </button>
            }>
                <button class="btn small danger" on:click=cancel data-testid="cancel-frame">"Cancel"</button>
            </Show>
            {drag.map(|_| view! { <super::drag::DragHandle store=store frame_id=fid.get_value() title=title/> })}
            <button class="btn ghost small" aria-label="Move earlier" disabled=move || position.get().0 == 0
                on:click=move |_| move_to(position.get_untracked().0.saturating_sub(1))>"←"</button>
            <button class="btn ghost small" aria-label="Move later" disabled=move || { let (at, n) = position.get(); at + 1 >= n }
                on:click=move |_| move_to(position.get_untracked().0 + 1)>"→"</button>
            <button class="btn ghost small" on:click=duplicate>"Duplicate"</button>
            // The active image as a file named by order and title (e.g. 01-hook.png).
            <button class="btn ghost small" aria-label="Download image" title="Download image" data-testid="download-frame"
                disabled=move || shown.with(Option::is_none) on:click=download>"⤓"</button>
            <button class="btn ghost small danger" on:click=delete disabled=move || busy.get()>"Delete"</button>
        </div>
    }
}
