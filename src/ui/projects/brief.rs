//! "New from a brief" (issue 22): a brief in any language and a frame count, "Plan frames",
//! an editable preview of the planned frames and the bible suggestions with the call's cost,
//! then "Create series". The model's answer is shown as text only, never as HTML.

use crate::app::brief;
use crate::app::state::{AppState, Route};
use crate::ui::fields::TextField;
use continuity_core::brief::planner::{BibleSuggestion, Plan, PlannedFrame, TextRow};
use continuity_core::cost::format_usd;
use continuity_core::model::template::MAX_CUSTOM_FRAMES;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The brief form and, once planned, the preview to review and create from.
#[component]
pub fn BriefPlanner() -> impl IntoView {
    let state = AppState::get();
    let text = RwSignal::new(String::new());
    let frames = RwSignal::new(6usize);
    let name = RwSignal::new(String::new());
    let planned = RwSignal::new(Vec::<PlannedFrame>::new());
    let bible = RwSignal::new(None::<BibleSuggestion>);
    // Every planner call made for this series, refused answers included: counted once.
    let spent = RwSignal::new(0.0f64);
    let last_cost = RwSignal::new(None::<f64>);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let run = move || {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let (brief_text, count) = (text.get_untracked(), frames.get_untracked());
        spawn_local(async move {
            match brief::plan(state, brief_text, count).await {
                Ok(answer) => {
                    spent.update(|s| *s += answer.cost_usd);
                    last_cost.set(Some(answer.cost_usd));
                    planned.set(answer.value.frames);
                    bible.set(Some(answer.value.bible));
                }
                // The preview stays as it was: nothing changes on a refused answer.
                Err(failure) => {
                    spent.update(|s| *s += failure.cost_usd);
                    problem.set(Some(failure.message));
                }
            }
            busy.set(false);
        });
    };
    let create = move |_| {
        let Some(suggested) = bible.get_untracked() else {
            return;
        };
        let plan = Plan {
            frames: planned.get_untracked(),
            bible: suggested,
        };
        if plan.frames.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        let typed = name.get_untracked();
        let typed = if typed.trim().is_empty() {
            "From a brief".to_string()
        } else {
            typed
        };
        spawn_local(async move {
            match brief::create(state, typed, plan, spent.get_untracked()).await {
                Ok(id) => state.go(Route::Series(id)),
                Err(e) => problem.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let sent = move || {
        brief::planner_request(state, &text.get(), frames.get())
            .map(|r| pretty(&r.to_json()))
            .unwrap_or_else(|why| why)
    };
    let count = Memo::new(move |_| planned.with(Vec::len));
    view! {
        <section class="card brief-planner" aria-labelledby="brief-title" data-testid="brief-planner">
            <h2 id="brief-title">"New from a brief"</h2>
            <TextField label="Brief" rows=6 testid="brief" value=Signal::derive(move || text.get())
                on_change=Callback::new(move |t: String| text.set(t))
                hint="A story, a product launch, a lesson — in any language. One frame per sentence or bullet."/>
            <div class="row">
                <label class="field narrow"><span>"Frames"</span>
                    // Typed digits go into the model as they come (clamped there); the field
                    // itself is only rewritten once the user leaves it, never while typing.
                    <input type="number" min="1" max=MAX_CUSTOM_FRAMES.to_string() data-testid="brief-frames"
                        value=frames.get_untracked().to_string()
                        on:input:target=move |ev| {
                            if let Ok(n) = ev.target().value().parse::<usize>() {
                                frames.set(n.clamp(1, MAX_CUSTOM_FRAMES));
                            }
                        }
                        on:change:target=move |ev| ev.target().set_value(&frames.get_untracked().to_string())/>
                </label>
                <button type="button" class="btn primary" data-testid="plan-frames"
                    disabled=move || busy.get() || text.with(|t| t.trim().is_empty())
                    on:click=move |_| run()>
                    {move || if count.get() == 0 { "Plan frames" } else { "Plan again" }}
                </button>
            </div>
            <details data-testid="brief-sent"><summary>"What will be sent"</summary>
                <pre class="sent-json" data-testid="brief-sent-json">{sent}</pre>
            </details>
            {move || problem.get().map(|p| view! { <p class="error" role="alert" data-testid="brief-error">{p}</p> })}
            {move || last_cost.get().map(|c| view! {
                <p class="muted" data-testid="brief-cost">{format!("This plan cost {} (planning so far {}).", format_usd(c), format_usd(spent.get()))}</p>
            })}
            <Show when=move || count.get() != 0>
                <h3>"Frames"</h3>
                <ol class="brief-frames" data-testid="brief-preview">
                    <For each=move || 0..count.get() key=|i| *i let:i>
                        <PlannedFrameRow planned=planned index=i/>
                    </For>
                </ol>
                <BibleSuggestions bible=bible/>
                <div class="row">
                    <label class="field grow"><span>"Name"</span>
                        <input type="text" maxlength="120" data-testid="brief-name" placeholder="From a brief"
                            prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value())/>
                    </label>
                    <button type="button" class="btn primary" data-testid="brief-create" disabled=move || busy.get()
                        on:click=create>"Create series"</button>
                </div>
            </Show>
        </section>
    }
}

/// A JSON body, indented for reading.
fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_string())
}

/// One planned frame, editable: title, what happens, shot size, on-image text rows; "Drop".
#[component]
fn PlannedFrameRow(
    /// The planned frames.
    planned: RwSignal<Vec<PlannedFrame>>,
    /// This frame's place.
    index: usize,
) -> impl IntoView {
    let field = move |read: fn(&PlannedFrame) -> String| {
        Signal::derive(move || planned.with(|p| p.get(index).map(read).unwrap_or_default()))
    };
    let edit = move |write: fn(&mut PlannedFrame, String)| {
        Callback::new(move |t: String| {
            planned.update(|p| {
                if let Some(f) = p.get_mut(index) {
                    write(f, t)
                }
            })
        })
    };
    view! {
        <li class="brief-frame" data-testid="brief-frame">
            <TextField label="Title" testid="brief-frame-title" value=field(|f| f.title.clone())
                on_change=edit(|f, t| f.title = t)/>
            <TextField label="What happens" rows=2 testid="brief-frame-what" value=field(|f| f.what_happens.clone())
                on_change=edit(|f, t| f.what_happens = t)/>
            <TextField label="Shot" testid="brief-frame-shot" value=field(|f| f.shot_size.clone())
                on_change=edit(|f, t| f.shot_size = t)/>
            <TextField label="On-image text (one row a line)" rows=2 testid="brief-frame-texts"
                value=field(|f| f.texts.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n"))
                on_change=edit(|f, t| f.texts = text_rows(&f.texts, &t))/>
            <button type="button" class="btn" data-testid="brief-frame-drop"
                on:click=move |_| planned.update(|p| if index < p.len() { p.remove(index); })>"Drop"</button>
        </li>
    }
}

/// Text rows from typed lines: each line a row, keeping the language of the row it replaces.
fn text_rows(old: &[TextRow], typed: &str) -> Vec<TextRow> {
    typed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| TextRow {
            text: line.to_string(),
            language: old.get(i).map(|r| r.language.clone()).unwrap_or_default(),
        })
        .collect()
}

/// The bible suggestions: style, palette and entities, each dropped with "Drop".
#[component]
fn BibleSuggestions(
    /// The suggestions of the last plan.
    bible: RwSignal<Option<BibleSuggestion>>,
) -> impl IntoView {
    let style = move || {
        bible.with(|b| {
            b.as_ref().map(|b| {
                let s = &b.style;
                [&s.medium, &s.rendering, &s.lens, &s.lighting]
                    .into_iter()
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
        })
    };
    let palette = move || bible.with(|b| b.as_ref().map(|b| b.palette.clone()).unwrap_or_default());
    let entities =
        move || bible.with(|b| b.as_ref().map(|b| b.entities.clone()).unwrap_or_default());
    view! {
        <h3>"Bible suggestions"</h3>
        <p data-testid="brief-style">"Style: " {style}</p>
        <ul class="brief-palette" data-testid="brief-palette">
            {move || palette().into_iter().enumerate().map(|(i, hex)| view! {
                <li><span class="swatch" style:background-color=hex.clone()></span> {hex.clone()}
                    <button type="button" class="btn small" aria-label=format!("Drop colour {hex}")
                        on:click=move |_| bible.update(|b| if let Some(b) = b { if i < b.palette.len() { b.palette.remove(i); } })>"Drop"</button>
                </li>
            }).collect_view()}
        </ul>
        <ul class="brief-entities" data-testid="brief-entities">
            {move || entities().into_iter().enumerate().map(|(i, e)| view! {
                <li data-testid="brief-entity"><strong>{e.name.clone()}</strong> " (" {e.kind.clone()} "): " {e.description.clone()}
                    <button type="button" class="btn small" aria-label=format!("Drop {}", e.name)
                        on:click=move |_| bible.update(|b| if let Some(b) = b { if i < b.entities.len() { b.entities.remove(i); } })>"Drop"</button>
                </li>
            }).collect_view()}
        </ul>
    }
}
