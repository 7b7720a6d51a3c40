//! One frame of a series: its image (or live preview), status, anchor role, variants, prompt,
//! shot spec, the exact request it will send, and its error. It reads its frame through a
//! lens, so an edit in another frame never re-renders it.

use super::sent_preview::SentPreview;
use super::shot_editor::ShotEditor;
use crate::app::history::{edit_record, edit_structure, Touched};
use crate::app::runner;
use crate::app::saver::edit_frame;
use crate::app::state::{AppState, FrameRun};
use crate::ui::fields::text_control;
use crate::ui::series::Derived;
use crate::ui::thumb::Thumb;
use crate::web::clock::random_u64;
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::{active_of, OutputSettingsStoreFields, SeriesStoreFields};
use continuity_core::model::{Anchor, Frame, Series, Version};
use continuity_core::plan::Scope;
use continuity_core::status::{badge, Badge};
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
    let derived = expect_context::<Memo<Derived>>();
    let inspector = use_context::<crate::ui::inspector::InspectorTarget>();
    let fid = StoredValue::new(frame_id.clone());
    #[cfg(debug_assertions)]
    probe::watch(frame, frame_id.clone());
    // The version shown: re-computed when this frame's pointer or the versions change.
    let active: Memo<Option<Version>> = Memo::new(move |_| {
        let pointer = frame.active_version().try_get().flatten();
        let id = fid.get_value();
        store.versions().with(|vs| {
            let probe = Frame {
                active_version: pointer,
                ..Frame::new(id, String::new(), String::new())
            };
            active_of(vs, &probe).cloned()
        })
    });
    let run = Memo::new(move |_| state.runs.with(|r| r.get(&fid.get_value()).cloned()));
    let title = move || frame.title().try_get().unwrap_or_default();
    let is_anchor = Memo::new(
        move |_| matches!(store.anchor().get(), Some(Anchor::Frame { frame_id, .. }) if frame_id == fid.get_value()),
    );
    let stale = Memo::new(move |_| derived.with(|d| d.stale.contains(&fid.get_value())));
    let scores = crate::app::consistency::Scores::get();
    let drift = Memo::new(move |_| scores.and_then(|s| s.of(&fid.get_value())));
    let has_error = Memo::new(move |_| frame.error().try_with(Option::is_some).unwrap_or(false));
    let hash = Signal::derive(move || {
        // While saving, the version exists in memory but not yet in storage: show it after.
        if matches!(run.get(), Some(FrameRun::Saving)) {
            return None;
        }
        active.with(|v| v.as_ref().map(|v| v.image.hash.clone()))
    });
    let status = Memo::new(move |_| {
        let live = run.get().map(|r| match r {
            FrameRun::Queued => Badge::Queued,
            FrameRun::WaitingForAnchor => Badge::WaitingForAnchor,
            FrameRun::Running { attempt } => Badge::Running { attempt },
            FrameRun::Streaming { .. } => Badge::Streaming,
            FrameRun::Retrying { seconds, .. } => Badge::Retrying { seconds },
            FrameRun::Saving => Badge::Saving,
            FrameRun::Cancelled { may_be_billed } => Badge::Cancelled { may_be_billed },
            FrameRun::Skipped { .. } => Badge::Skipped,
        });
        badge(
            live,
            active.with(Option::is_some),
            has_error.get(),
            stale.get(),
        )
    });
    let preview = move || match run.get() {
        Some(FrameRun::Streaming { preview_url }) => {
            Some(view! { <img class="preview" src=preview_url alt="Partial preview"/> })
        }
        _ => None,
    };
    let message = move || {
        let live = match run.get() {
            Some(FrameRun::Retrying { reason, .. }) | Some(FrameRun::Skipped { reason }) => {
                Some(reason)
            }
            _ => None,
        };
        live.or_else(|| {
            frame
                .error()
                .try_get()
                .flatten()
                .map(|e| continuity_core::status::error_text(&e))
        })
    };
    let cost = move || active.with(|v| v.as_ref().map(Version::cost_line).unwrap_or_default());
    let busy = move || {
        run.get()
            .is_some_and(|r| !matches!(r, FrameRun::Cancelled { .. } | FrameRun::Skipped { .. }))
    };
    let set_prompt = Callback::new(move |text: String| {
        edit_frame(state, store, &fid.get_value(), |f| f.prompt = text);
    });
    let prompt = Signal::derive(move || frame.prompt().try_get().unwrap_or_default());
    let make_anchor = move |_| {
        let id = fid.get_value();
        edit_record(state, store, "anchor", || {
            store.update(|s| s.set_anchor_frame(Some(&id)))
        });
    };
    let unanchor = move |_| edit_record(state, store, "anchor", || store.anchor().set(None));
    let approve = move |_| {
        edit_record(state, store, "anchor", || {
            store.update(|s| {
                s.approve_anchor();
            })
        })
    };
    let duplicate = move |_| {
        let random = random_u64();
        let copy = continuity_core::model::make_id("f", random);
        let touched = Touched {
            record: true,
            frames: vec![copy],
            versions: Vec::new(),
        };
        edit_structure(state, store, "Duplicate frame", touched, move |s| {
            s.duplicate_frame(&fid.get_value(), random);
        });
    };
    let move_by = move |delta: isize| {
        let touched = Touched {
            record: true,
            ..Touched::default()
        };
        edit_structure(state, store, "Move frame", touched, move |s| {
            s.move_frame(&fid.get_value(), delta);
        });
    };
    let delete = move |_| {
        let id = fid.get_value();
        let versions: Vec<String> =
            store.with_untracked(|s| s.versions_of(&id).map(|v| v.id.clone()).collect());
        let title = frame.title().try_get_untracked().unwrap_or_default();
        let touched = Touched {
            record: true,
            frames: vec![id.clone()],
            versions,
        };
        edit_structure(state, store, "Delete frame", touched, move |s| {
            s.delete_frame(&id);
        });
        state.undoable(format!("“{title}” deleted."));
    };
    let generate = move |_| {
        runner::generate(
            state,
            &store.id().get_untracked(),
            Scope::Frames(vec![fid.get_value()]),
        )
    };
    let cancel = move |_| runner::cancel_frame(&fid.get_value());
    // This frame's versions (id and image), re-computed when versions change but only
    // re-rendered when this frame's list changes.
    let own_versions = Memo::new(move |_| {
        let id = fid.get_value();
        store.versions().with(|vs| {
            vs.iter()
                .filter(|v| v.frame_id == id)
                .map(|v| (v.id.clone(), v.image.hash.clone()))
                .collect::<Vec<_>>()
        })
    });
    let current_id = Memo::new(move |_| active.with(|v| v.as_ref().map(|v| v.id.clone())));
    let variants = move || {
        let list = own_versions.get();
        if list.len() < 2 {
            return None;
        }
        // Oldest first, the newest eight: the strip reads like the frame's history.
        let skip = list.len().saturating_sub(8);
        let shown: Vec<(String, String)> = list.into_iter().skip(skip).collect();
        Some(view! {
            <div class="variants" role="group" aria-label="Images of this frame">
                <For each=move || shown.clone() key=|(id, _)| id.clone() let:item>
                    {
                        let (vid, key) = item;
                        let selected = Signal::derive({
                            let vid = vid.clone();
                            move || current_id.get().as_deref() == Some(vid.as_str())
                        });
                        view! {
                            <button class="variant" class:selected=selected aria-pressed=move || selected.get().to_string() data-testid="variant"
                                aria-label="Keep this image" on:click=move |_| {
                                    let vid = vid.clone();
                                    edit_frame(state, store, &fid.get_value(), |f| f.active_version = Some(vid));
                                }>
                                <Thumb hash=Signal::derive(move || Some(key.clone())) alt="Variant"/>
                            </button>
                        }
                    }
                </For>
            </div>
        })
    };
    let prompt_id = format!("prompt-{frame_id}");
    let title_id = format!("title-{frame_id}");
    let anchor_controls = move || {
        if is_anchor.get() {
            let approved = derived.with(|d| d.anchor_image.clone()).is_some_and(|img| {
                matches!(store.anchor().get(), Some(Anchor::Frame { approved_image: Some(a), .. }) if a == img)
            });
            let can_approve = !approved && active.with(Option::is_some);
            view! {
                <span class="anchor-tag" data-testid="anchor-tag">{if approved { "Anchor · approved" } else { "Anchor" }}</span>
                {can_approve.then(|| view! { <button class="btn small primary" on:click=approve data-testid="approve-anchor">"Approve anchor"</button> })}
                <button class="btn ghost small" on:click=unanchor>"Unset"</button>
            }
            .into_any()
        } else {
            view! { <button class="btn ghost small" on:click=make_anchor data-testid="make-anchor" title=crate::ui::series::ANCHOR_WHY>"Make anchor"</button> }.into_any()
        }
    };
    let position = Memo::new(move |_| {
        let id = fid.get_value();
        store
            .frame_order()
            .with(|o| (o.iter().position(|x| *x == id).unwrap_or(0), o.len()))
    });
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
            Some(s) => format!("{}: {s}", title()),
            None => title(),
        }
    });
    let drag = use_context::<super::drag::DragState>();
    let filter = use_context::<RwSignal<Option<crate::ui::series::Filter>>>();
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
    let aspect = move || {
        let size = store.output().size().get();
        format!("{} / {}", size.width, size.height)
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
            data-status=move || status.get().class() data-stale=move || stale.get().to_string()
            data-drifted=move || drift.get().is_some_and(|c| c.drifted).to_string()
            class:drop-before=move || marker() == Some(false) class:drop-after=move || marker() == Some(true)
            class:dragging=dragging hidden=hidden
            aria-labelledby=title_id.clone()>
            // The image is the button that opens the inspector; the placeholder and the badge lie
            // over it (clicks pass through them) but outside it, so the button's name is only
            // "Open … in the inspector" and the texts are read as they are shown.
            <div class="frame-image" style:aspect-ratio=aspect>
                <div class="frame-open" role="button" tabindex="-1" data-testid="open-inspector"
                    aria-label=move || format!("Open {} in the inspector", title())
                    on:click=move |_| if let Some(i) = inspector { i.open(&fid.get_value()) }>
                    <Thumb hash=hash alt=alt_text/>
                    {preview}
                </div>
                {move || hash.with(Option::is_none).then(|| view! { <span class="no-image" data-testid="no-image">"No image yet"</span> })}
                <span class=move || format!("badge {}", status.get().class()) data-testid="frame-status" role="status">{move || status.get().label()}</span>
                {move || drift.get().filter(|c| c.drifted).map(|c| view! {
                    <span class="badge drifted" data-testid="drifted"
                        title=format!("Drifted from the anchor (a heuristic): {}", crate::app::consistency::describe(&c))>"Drifted"</span>
                })}
            </div>
            {variants}
            <div class="frame-body">
                <div class="frame-head">
                    <h3 id=title_id.clone()>{title}</h3>
                    <span class="muted small">{cost}</span>
                </div>
                <div class="row-actions">{anchor_controls}</div>
                <label for=prompt_id.clone() class="sr-only">{move || format!("Prompt for {}", title())}</label>
                {text_control(prompt, set_prompt, 3, "What happens in this frame?", "frame-prompt", Some(prompt_id), None)}
                {move || message().map(|e| view! { <p class="frame-error" role="alert" data-testid="frame-error">{e}</p> })}
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
                <div class="frame-actions">
                    <Show when=busy fallback=move || view! {
                        <button class="btn small" on:click=generate data-testid="generate-frame">
                            {move || if hash.get().is_some() { "Regenerate" } else { "Generate" }}
                        </button>
                    }>
                        <button class="btn small danger" on:click=cancel data-testid="cancel-frame">"Cancel"</button>
                    </Show>
                    {drag.map(|_| view! { <super::drag::DragHandle store=store frame_id=fid.get_value() title=Signal::derive(title)/> })}
                    <button class="btn ghost small" aria-label="Move earlier" disabled=move || position.get().0 == 0 on:click=move |_| move_by(-1)>"←"</button>
                    <button class="btn ghost small" aria-label="Move later" disabled=move || { let (at, n) = position.get(); at + 1 >= n } on:click=move |_| move_by(1)>"→"</button>
                    <button class="btn ghost small" on:click=duplicate>"Duplicate"</button>
                    // The active image as a file named by order and title (e.g. 01-hook.png).
                    <button class="btn ghost small" aria-label="Download image" title="Download image" data-testid="download-frame"
                        disabled=move || active.with(Option::is_none)
                        on:click=move |_| if let Some(v) = active.get_untracked() {
                            crate::app::export::download_image(state, &store.get_untracked(), &v.id)
                        }>"⤓"</button>
                    <button class="btn ghost small danger" on:click=delete disabled=busy>"Delete"</button>
                </div>
            </div>
        </article>
    }
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
