//! A frame card's actions: a compact toolbar — Generate / Regenerate (or Cancel while its
//! request runs), the reorder handle and "More actions" — and that menu: make or unset the
//! anchor, duplicate, move earlier / later, download the image, delete. Each sends an edit
//! through the door or asks the runner; none touches storage.

use super::anchor::AnchorMenuItem;
use super::drag::{move_by_keyboard, Moved};
use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::runner;
use crate::app::said::{self, Place};
use crate::app::state::AppState;
use crate::ui::menu::MenuButton;
use crate::web::clock::random_u64;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

/// The toolbar of one frame card.
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
    let moved = use_context::<Moved>();
    let fid = StoredValue::new(frame_id.clone());
    let position = Memo::new(move |_| {
        let id = fid.get_value();
        store
            .frame_order()
            .with(|o| (o.iter().position(|x| *x == id).unwrap_or(0), o.len()))
    });
    let send = move |change: SeriesEdit| edit::user(state, store, Edit::Series(change)).is_ok();
    let move_to = move |to: usize| move_by_keyboard(state, store, moved, fid.get_value(), to);
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
        said::from(state, Place::Frame(fid.get_value()));
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
        <div class="frame-toolbar">
            <Show when=move || busy.get() fallback=move || view! {
                <button class="btn small" on:click=generate data-testid="generate-frame">
                    {move || if shown.with(Option::is_some) { "Regenerate" } else { "Generate" }}
                </button>
            }>
                <button class="btn small danger" on:click=cancel data-testid="cancel-frame">"Cancel"</button>
            </Show>
            <span class="toolbar-gap"></span>
            {drag.map(|_| view! { <super::drag::DragHandle store=store frame_id=fid.get_value() title=title/> })}
            <MenuButton label="More actions".to_string() text="⋯" id=format!("more-{frame_id}") testid="frame-more">
                <AnchorMenuItem store=store frame_id=fid.get_value()/>
                <button class="btn ghost" role="menuitem" on:click=duplicate>"Duplicate"</button>
                <button class="btn ghost" role="menuitem" disabled=move || position.get().0 == 0
                    on:click=move |_| move_to(position.get_untracked().0.saturating_sub(1))>"Move earlier"</button>
                <button class="btn ghost" role="menuitem" disabled=move || { let (at, n) = position.get(); at + 1 >= n }
                    on:click=move |_| move_to(position.get_untracked().0 + 1)>"Move later"</button>
                // The active image as a file named by order and title (e.g. 01-hook.png).
                <button class="btn ghost" role="menuitem" data-testid="download-frame"
                    disabled=move || shown.with(Option::is_none) on:click=download>"Download image"</button>
                <button class="btn ghost danger" role="menuitem" on:click=delete disabled=move || busy.get()>"Delete"</button>
            </MenuButton>
        </div>
    }
}
