//! Reordering frames by dragging (Pointer Events: mouse, pen and touch, with pointer capture
//! and a visible drop position) or by keyboard on the same handle (← and →). The move is one
//! undoable step.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;
use wasm_bindgen::JsCast;

/// A drag in progress: which frame, and where it would land (an index in the frame order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drag {
    /// The frame dragged.
    pub frame_id: String,
    /// Where it would be dropped (position in the order after removing it).
    pub to: Option<usize>,
}

/// The drag state of the grid, shared by its cards.
#[derive(Clone, Copy)]
pub struct DragState(pub RwSignal<Option<Drag>>);

/// Where the pointer is over the grid: the index the dragged frame would take.
fn drop_index(x: f64, y: f64, order: &[String], dragged: &str) -> Option<usize> {
    let document = web_sys::window()?.document()?;
    let el = document.element_from_point(x as f32, y as f32)?;
    let card = el.closest("[data-testid=frame-card]").ok()??;
    let over = card.get_attribute("data-frame-id")?;
    let rect = card.get_bounding_client_rect();
    let after = x > rect.left() + rect.width() / 2.0;
    let without: Vec<&String> = order.iter().filter(|id| *id != dragged).collect();
    let at = without.iter().position(|id| **id == over)?;
    Some(if after { at + 1 } else { at })
}

fn move_to(state: AppState, store: Store<Series>, frame_id: String, to: usize) {
    let _ = edit::user(
        state,
        store,
        Edit::Series(SeriesEdit::MoveFrame { id: frame_id, to }),
    );
}

/// The drag handle of one card.
#[component]
pub fn DragHandle(
    /// The series.
    store: Store<Series>,
    /// The frame.
    frame_id: String,
    /// Its title (for the handle's accessible name).
    #[prop(into)]
    title: Signal<String>,
) -> impl IntoView {
    let state = AppState::get();
    let drag = expect_context::<DragState>().0;
    let fid = StoredValue::new(frame_id);
    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        if let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(ev.pointer_id());
        }
        drag.set(Some(Drag {
            frame_id: fid.get_value(),
            to: None,
        }));
    };
    let moved = move |ev: web_sys::PointerEvent| {
        if drag.with_untracked(|d| d.as_ref().is_none_or(|d| d.frame_id != fid.get_value())) {
            return;
        }
        let order = store.frame_order().get_untracked();
        let to = drop_index(
            ev.client_x() as f64,
            ev.client_y() as f64,
            &order,
            &fid.get_value(),
        );
        drag.update(|d| {
            if let Some(d) = d {
                d.to = to;
            }
        });
    };
    let up = move |_ev: web_sys::PointerEvent| {
        let Some(d) = drag.try_update(Option::take).flatten() else {
            return;
        };
        if let Some(to) = d.to {
            move_to(state, store, d.frame_id, to);
        }
    };
    let key = move |ev: leptos::ev::KeyboardEvent| {
        let order = store.frame_order().get_untracked();
        let Some(at) = order.iter().position(|x| *x == fid.get_value()) else {
            return;
        };
        let to = match ev.key().as_str() {
            "ArrowLeft" | "ArrowUp" if at > 0 => at - 1,
            "ArrowRight" | "ArrowDown" if at + 1 < order.len() => at + 1,
            _ => return,
        };
        ev.prevent_default();
        move_to(state, store, fid.get_value(), to);
    };
    view! {
        <button type="button" class="btn ghost small drag-handle" data-testid="drag-handle"
            aria-label=move || format!("Reorder {} (drag, or ← and →)", title.get())
            on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointercancel=move |_| drag.set(None)
            on:keydown=key>"⠿"</button>
    }
}

/// Whether a drop line shows before this frame (`Some(false)`), after it (`Some(true)`), or
/// not at all.
pub fn drop_marker(drag: &Option<Drag>, order: &[String], frame_id: &str) -> Option<bool> {
    let d = drag.as_ref()?;
    let to = d.to?;
    let without: Vec<&String> = order.iter().filter(|id| **id != d.frame_id).collect();
    if without.get(to).is_some_and(|id| *id == frame_id) {
        Some(false)
    } else if to > 0 && to == without.len() && without.last().is_some_and(|id| *id == frame_id) {
        Some(true)
    } else {
        None
    }
}
