//! A frame card's strip of images: the frame's versions, oldest first (the newest eight), the
//! one it shows pressed. Picking one sends [`FrameEdit::ChooseVersion`].

use crate::app::edit::{self, Edit};
use crate::app::state::AppState;
use crate::ui::thumb::Thumb;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The variant strip of one frame (nothing when it has fewer than two images).
#[component]
pub fn VariantStrip(
    /// The series.
    store: Store<Series>,
    /// The frame's id.
    frame_id: String,
    /// The version the frame shows.
    #[prop(into)]
    shown: Signal<Option<String>>,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    // This frame's versions (id and image), re-computed when versions change but only
    // re-rendered when this frame's list changes.
    let own = Memo::new(move |_| {
        let id = fid.get_value();
        store.versions().with(|vs| {
            vs.iter()
                .filter(|v| v.frame_id == id)
                .map(|v| (v.id.clone(), v.image.hash.clone()))
                .collect::<Vec<_>>()
        })
    });
    move || {
        let list = own.get();
        if list.len() < 2 {
            return None;
        }
        // Oldest first, the newest eight: the strip reads like the frame's history.
        let skip = list.len().saturating_sub(8);
        let items: Vec<(String, String)> = list.into_iter().skip(skip).collect();
        Some(view! {
            <div class="variants" role="group" aria-label="Images of this frame">
                <For each=move || items.clone() key=|(id, _)| id.clone() let:item>
                    {
                        let (vid, key) = item;
                        let selected = Signal::derive({
                            let vid = vid.clone();
                            move || shown.get().as_deref() == Some(vid.as_str())
                        });
                        let choose = move |_| {
                            let pick = Edit::frame(&fid.get_value(), FrameEdit::ChooseVersion(vid.clone()));
                            let _ = edit::user(state, store, pick);
                        };
                        view! {
                            <button class="variant" class:selected=selected aria-pressed=move || selected.get().to_string() data-testid="variant"
                                aria-label="Keep this image" on:click=choose>
                                <Thumb hash=Signal::derive(move || Some(key.clone())) alt="Variant"/>
                            </button>
                        }
                    }
                </For>
            </div>
        })
    }
}
