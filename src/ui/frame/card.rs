//! One frame of a series, as a card that is a picture first: its image at the frame's true
//! shape with the status, drift and anchor tags on it ([`FrameImage`]), its strip of images
//! ([`VariantStrip`]), then the title and cost, "what happens" (edited in place), what was
//! said about its last action, a compact toolbar ([`FrameActions`]: shown on hover and focus,
//! always on touch screens), and the shot spec and the exact request folded away. It reads
//! its frame through a lens and the series' derived state through one memo, so an edit in
//! another frame never re-renders it; every change goes out as an edit.

use super::actions::FrameActions;
use super::image::FrameImage;
use super::sent_preview::SentPreview;
use super::shot_editor::ShotEditor;
use super::variants::VariantStrip;
use super::FrameFilter;
use crate::app::edit::{self, Edit};
use crate::app::said::Place;
use crate::app::state::AppState;
use crate::ui::fields::text_control;
use crate::ui::said::SaidHere;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::ledger::is_recovered;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Frame, Series, Version};
use continuity_core::status::badge;
use leptos::prelude::*;
use reactive_stores::{Field, Store};

/// A frame card.
#[component]
pub fn FrameCard(
    /// The series.
    store: Store<Series>,
    /// The frame (a lens into the store).
    frame: Field<Frame>,
    /// The frame's id.
    frame_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let derived = crate::app::derived::get();
    let inspector = use_context::<crate::ui::inspector::InspectorTarget>();
    let fid = StoredValue::new(frame_id.clone());
    #[cfg(debug_assertions)]
    probe::watch(frame, frame_id.clone());
    // What the series' derived state says of this frame: re-computed when it changes, but
    // re-rendered only when this frame's part changes.
    let derived_here = Memo::new(move |_| derived.with(|d| d.frame(&fid.get_value())));
    let shown = Memo::new(move |_| derived_here.with(|d| d.active.clone()));
    let active: Memo<Option<Version>> = Memo::new(move |_| {
        let id = shown.get()?;
        store
            .versions()
            .with(|vs| vs.iter().find(|v| v.id == id).cloned())
    });
    let run = Memo::new(move |_| state.runs.with(|r| r.get(&fid.get_value()).cloned()));
    let title = Signal::derive(move || frame.title().try_get().unwrap_or_default());
    let scores = crate::app::consistency::Scores::get();
    let drift = Memo::new(move |_| scores.and_then(|s| s.of(&fid.get_value())));
    let hash = Signal::derive(move || {
        // While saving, the version exists in memory but not yet in storage: show it after.
        if matches!(run.get(), Some(crate::app::state::FrameRun::Saving)) {
            return None;
        }
        active.with(|v| v.as_ref().map(|v| v.image.hash.clone()))
    });
    let status = Memo::new(move |_| {
        let live = run.with(|r| r.as_ref().map(|r| r.badge()));
        derived_here.with(|d| badge(live, d.active.is_some(), d.has_error, d.stale))
    });
    let stale = move || derived_here.with(|d| d.stale);
    let preview = Signal::derive(move || match run.get() {
        Some(crate::app::state::FrameRun::Streaming { preview_url }) => Some(preview_url),
        _ => None,
    });
    let message = move || {
        run.with(|r| r.as_ref().and_then(|r| r.message()))
            .or_else(|| {
                frame
                    .error()
                    .try_get()
                    .flatten()
                    .map(|e| continuity_core::status::error_text(&e))
            })
    };
    let cost = move || active.with(|v| v.as_ref().map(Version::cost_line).unwrap_or_default());
    // Its image was read back from the server after the page lost the request.
    let recovered = move || {
        active.with(|v| {
            v.as_ref()
                .is_some_and(|v| store.ledger().with(|l| is_recovered(l, &v.id)))
        })
    };
    let busy = Signal::derive(move || run.with(|r| r.as_ref().is_some_and(|r| r.is_busy())));
    let set_prompt = Callback::new(move |text: String| {
        let _ = edit::user(
            state,
            store,
            Edit::frame(&fid.get_value(), FrameEdit::Prompt(text)),
        );
    });
    let prompt = Signal::derive(move || frame.prompt().try_get().unwrap_or_default());
    let prompt_id = format!("prompt-{frame_id}");
    let title_id = format!("title-{frame_id}");
    let sent_open = RwSignal::new(false);
    // Alt text from the title and the shot spec ("Slide 1 · Hook: close-up, eye level").
    let alt_text = Signal::derive(move || {
        let shot = frame.shot().try_with(|s| {
            [s.shot_size.trim(), s.camera_angle.trim()]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        });
        match shot.filter(|s| !s.is_empty()) {
            Some(s) => format!("{}: {s}", title.get()),
            None => title.get(),
        }
    });
    let drag = use_context::<super::drag::DragState>();
    let filter = use_context::<RwSignal<Option<FrameFilter>>>();
    let hidden = move || {
        filter.and_then(|f| f.get()).is_some_and(|f| {
            f.0.with(|set| set.as_ref().is_some_and(|s| !s.contains(&fid.get_value())))
        })
    };
    let marker = move || {
        let d = drag?.0.get();
        let order = store.frame_order().get();
        super::drag::drop_marker(&d, &order, &fid.get_value())
    };
    let dragging = move || {
        drag.is_some_and(|d| {
            d.0.with(|x| x.as_ref().is_some_and(|x| x.frame_id == fid.get_value()))
        })
    };
    view! {
        <article class="frame-card card" data-testid="frame-card" data-frame-id=frame_id.clone() tabindex="0"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                // Enter on the focused card (not in one of its fields) opens the inspector.
                let on_card = ev.target().is_some_and(|t| ev.current_target().is_some_and(|c| c == t));
                if !on_card {
                    return;
                }
                match ev.key().as_str() {
                    "Enter" => {
                        if let Some(i) = inspector { i.open(&fid.get_value()) }
                    }
                    // Arrows move between frames, by one, or by a row for ↑ and ↓.
                    "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" => {
                        ev.prevent_default();
                        focus_neighbour(&fid.get_value(), ev.key().as_str());
                    }
                    _ => {}
                }
            }
            data-status=move || status.get().class() data-stale=move || stale().to_string()
            // "true" / "false" once scored against the anchor; absent until then (or unscored).
            data-drifted=move || drift.get().map(|c| c.drifted.to_string())
            class:drop-before=move || marker() == Some(false) class:drop-after=move || marker() == Some(true)
            class:dragging=dragging hidden=hidden
            aria-labelledby=title_id.clone()>
            <FrameImage store=store frame_id=frame_id.clone() title=title alt=alt_text hash=hash preview=preview
                status=status drift=drift/>
            <VariantStrip store=store frame_id=frame_id.clone() shown=shown/>
            <div class="frame-body">
                <div class="frame-head">
                    <SelectBox store=store frame_id=frame_id.clone() title=title/>
                    <h3 id=title_id.clone()>{move || title.get()}</h3>
                    <span class="muted small frame-cost">{cost}</span>
                    {move || recovered().then(|| view! { <span class="note small" data-testid="frame-recovered">"recovered"</span> })}
                </div>
                <super::checks::ChecksBadge active=active/>
                <label for=prompt_id.clone() class="sr-only">{move || format!("Prompt for {}", title.get())}</label>
                {text_control(prompt, set_prompt, 2, "What happens in this frame?", "frame-prompt", Some(prompt_id), None)}
                {move || message().map(|e| view! { <p class="frame-error" role="alert" data-testid="frame-error">{e}</p> })}
                <SaidHere place=Place::Frame(frame_id.clone())/>
                <FrameActions store=store frame_id=frame_id.clone() title=title shown=shown busy=busy/>
                <div class="frame-folds">
                    <details class="more">
                        <summary>"Shot, text and entities"</summary>
                        <ShotEditor store=store frame=frame frame_id=frame_id.clone()/>
                    </details>
                    <details class="more" data-testid="sent-details" on:toggle=move |ev| {
                        let open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
                        sent_open.set(open);
                    }>
                        <summary>"What will be sent"</summary>
                        // Compiled only while open: the prompt compiler never runs per keystroke otherwise.
                        <Show when=move || sent_open.get()>
                            <SentPreview store=store frame_id=fid.get_value()/>
                        </Show>
                    </details>
                </div>
            </div>
        </article>
    }
}

/// The card's checkbox for "Edit selected" (Shift-click: a range from the last one clicked).
#[component]
fn SelectBox(
    /// The series.
    store: Store<Series>,
    /// The frame's id.
    frame_id: String,
    /// The frame's title (the checkbox's accessible name says which frame).
    title: Signal<String>,
) -> impl IntoView {
    let selection = crate::app::selection::Selection::get();
    let fid = StoredValue::new(frame_id);
    selection.map(|selection| {
        let click = move |ev: leptos::ev::MouseEvent| {
            let checked = event_target_checked(&ev);
            let order = store.frame_order().get_untracked();
            selection.click(&fid.get_value(), checked, ev.shift_key(), &order);
        };
        view! {
            // Named by its label's text (the house rule for every control), hidden from sight.
            <label class="frame-select-label">
                <input type="checkbox" class="frame-select" data-testid="select-frame"
                    prop:checked=move || selection.has(&fid.get_value()) on:click=click/>
                <span class="sr-only">{move || format!("Select {}", title.get())}</span>
            </label>
        }
    })
}

/// Test instrumentation (debug builds only): how many times each frame's subtree was
/// notified, so a component test can prove an edit reaches one card only.
#[cfg(debug_assertions)]
pub mod probe {
    use continuity_core::model::Frame;
    use leptos::prelude::*;
    use reactive_stores::Field;
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        static NOTIFIED: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
    }

    /// Counts the notifications of `frame`'s subtree under `id`.
    pub fn watch(frame: Field<Frame>, id: String) {
        Effect::new(move |_| {
            frame.track();
            NOTIFIED.with(|n| *n.borrow_mut().entry(id.clone()).or_default() += 1);
        });
    }

    /// How many times frame `id`'s subtree was notified (including the first run).
    pub fn count(id: &str) -> usize {
        NOTIFIED.with(|n| n.borrow().get(id).copied().unwrap_or(0))
    }
}

/// Moves the keyboard focus from frame `id`'s card to its neighbour in the grid: ← and → by
/// one, ↑ and ↓ by a row (the cards in the same column of the row above or below).
fn focus_neighbour(id: &str, key: &str) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(list) = document
        .query_selector_all("[data-testid=frame-grid] [data-testid=frame-card]:not([hidden])")
    else {
        return;
    };
    let cards: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect();
    let Some(at) = cards
        .iter()
        .position(|c| c.get_attribute("data-frame-id").as_deref() == Some(id))
    else {
        return;
    };
    // Cards per row: how many share the first card's top edge.
    let top = |c: &web_sys::HtmlElement| c.get_bounding_client_rect().top().round() as i64;
    let per_row = cards
        .iter()
        .take_while(|c| top(c) == top(&cards[0]))
        .count()
        .max(1);
    let to = match key {
        "ArrowLeft" => at.checked_sub(1),
        "ArrowRight" => Some(at + 1),
        "ArrowUp" => at.checked_sub(per_row),
        _ => Some(at + per_row),
    };
    if let Some(card) = to.and_then(|i| cards.get(i)) {
        let _ = card.focus();
    }
}
