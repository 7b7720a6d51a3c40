//! Reordering frames by dragging (Pointer Events: mouse, pen and touch, with pointer capture
//! and a visible drop position) or by keyboard on the same handle (← and →). The move is one
//! undoable step. After a keyboard move (and "Move earlier" / "Move later") the focus is on
//! the moved card's handle again — the card's element is moved in the page, which drops the
//! focus — and the move is announced ("Panel 4 moved to place 2 of 12").

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

/// What the last move said, for the grid's `aria-live` region (provided by the series
/// screen).
#[derive(Clone, Copy)]
pub struct Moved(pub RwSignal<String>);

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

fn move_to(state: AppState, store: Store<Series>, frame_id: String, to: usize) -> bool {
    edit::user(
        state,
        store,
        Edit::Series(SeriesEdit::MoveFrame { id: frame_id, to }),
    )
    .is_ok()
}

/// Moves frame `frame_id` to place `to` (from 0) by keyboard or menu: the focus goes (back)
/// to its handle once the grid has moved its card, and the move is announced in `moved`
/// (the series screen's [`Moved`], read where the control was made).
pub fn move_by_keyboard(
    state: AppState,
    store: Store<Series>,
    moved: Option<Moved>,
    frame_id: String,
    to: usize,
) {
    let title = store.with_untracked(|s| s.frame(&frame_id).map(|f| f.title.clone()));
    if !move_to(state, store, frame_id.clone(), to) {
        return;
    }
    let total = store.frame_order().with_untracked(Vec::len);
    if let (Some(Moved(said)), Some(title)) = (moved, title) {
        said.set(format!("{title} moved to place {} of {total}", to + 1));
    }
    // After the grid has re-rendered (the move is applied synchronously; the DOM follows).
    request_animation_frame(move || {
        let selector = format!(
            "[data-testid=frame-grid] [data-frame-id=\"{frame_id}\"] [data-testid=drag-handle]"
        );
        if let Some(handle) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(&selector).ok().flatten())
            .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = handle.focus();
        }
    });
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
    let announce = use_context::<Moved>();
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
        move_by_keyboard(state, store, announce, fid.get_value(), to);
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
