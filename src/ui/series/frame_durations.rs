//! The animatic's per-frame hold times, under the Export menu's "seconds per frame": one
//! number input per frame ("Seconds for frame N"), empty for that default. A value is
//! committed on `change` (leaving the field or Enter) into the frame's record — one undoable
//! frame edit, saved by the debounced saver like any other — and travels in the ZIP manifest.

use crate::app::edit::{self, Edit};
use crate::app::state::AppState;
use crate::ui::fields::{bind_text, set_value};
use continuity_core::export::gif::total_seconds;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::frame::{hold_seconds_from_input, Frame, FrameStoreFields};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::html;
use leptos::prelude::*;
use reactive_stores::{Field, Store};
use wasm_bindgen::JsCast;

/// Seconds for people: at most two decimals, no trailing zeros (`1.5`, `60`, `0.25`).
pub fn seconds_text(seconds: f64) -> String {
    let text = format!("{seconds:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "Per-frame durations": a collapsed list of the frames with their hold times, and how long
/// the animatic plays in all.
#[component]
pub fn FrameDurations(
    /// The series.
    store: Store<Series>,
    /// The menu's seconds per frame (a frame without its own time is shown this long).
    #[prop(into)]
    default_seconds: Signal<f64>,
) -> impl IntoView {
    let total = move || {
        let default = default_seconds.get();
        // Only frames with an image are in the GIF. Each hold is read through its frame's
        // lens, so an edit of one frame notifies this line and that row only.
        let with_image: Vec<String> = store.versions().with(|vs| {
            store.frame_order().with(|order| {
                order
                    .iter()
                    .filter(|id| vs.iter().any(|v| &v.frame_id == *id))
                    .cloned()
                    .collect()
            })
        });
        let holds: Vec<Option<f64>> = with_image
            .into_iter()
            .map(|id| store.frames().at_key(id).hold_seconds().try_get().flatten())
            .collect();
        let frames = holds.len();
        format!(
            "Animatic: {} s in all ({frames} frame{} with an image)",
            seconds_text(total_seconds(holds, default)),
            if frames == 1 { "" } else { "s" }
        )
    };
    view! {
        <details class="more frame-durations">
            <summary>"Per-frame durations"</summary>
            <p class="muted small">"Empty: the seconds per frame above."</p>
            <ol class="duration-rows">
                <For each=move || store.frame_order().get() key=|id| id.clone() let:fid>
                    <DurationRow store=store frame=store.frames().at_key(fid.clone()).into()
                        frame_id=fid default_seconds=default_seconds/>
                </For>
            </ol>
            <p class="muted small" data-testid="animatic-total">{total}</p>
        </details>
    }
}

/// One frame's "01 · title" and its seconds.
#[component]
fn DurationRow(
    store: Store<Series>,
    frame: Field<Frame>,
    frame_id: String,
    default_seconds: Signal<f64>,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    let position = Memo::new(move |_| {
        store.frame_order().with(|order| {
            order
                .iter()
                .position(|id| *id == fid.get_value())
                .map_or(0, |i| i + 1)
        })
    });
    let heading = move || {
        format!(
            "{:02} · {}",
            position.get(),
            frame.title().try_get().unwrap_or_default()
        )
    };
    let value = Signal::derive(move || {
        frame
            .hold_seconds()
            .try_get()
            .flatten()
            .map(seconds_text)
            .unwrap_or_default()
    });
    let node = NodeRef::<html::Input>::new();
    // Never rewritten while it has focus; shows the model's (clamped) value when left.
    bind_text(node, value);
    // `try_`: a focused field also gets `blur` when the menu closes and removes it, after
    // this row's signals are gone.
    let blur = move |_| {
        if let (Some(Some(el)), Some(text)) = (node.try_get_untracked(), value.try_get_untracked())
        {
            set_value(&el.unchecked_into(), &text);
        }
    };
    let commit = move |ev: leptos::ev::Event| {
        let hold = hold_seconds_from_input(&event_target_value(&ev));
        let Some(id) = fid.try_get_value() else {
            return;
        };
        if frame.hold_seconds().try_get_untracked() != Some(hold) {
            let _ = edit::user(state, store, Edit::frame(&id, FrameEdit::Hold(hold)));
        }
    };
    view! {
        <li>
            <label class="duration-row">
                <span>{heading}</span>
                <input type="number" min="0.1" max="60" step="0.1" inputmode="decimal" node_ref=node
                    data-testid="frame-seconds"
                    placeholder=move || seconds_text(default_seconds.get())
                    aria-label=move || format!("Seconds for frame {}", position.get())
                    on:change=commit on:blur=blur/>
            </label>
        </li>
    }
}
