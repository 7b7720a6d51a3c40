//! The series list: start a series from a template, open, rename or delete one. It reads light
//! summaries (name, template, frames, a few thumbnails, last change, spent), never whole series.

pub mod brief;
pub mod import;

use crate::app::state::{AppState, Route};
use crate::ui::thumb::Thumb;
use crate::web::text::lowercase;
use continuity_core::cost::format_usd;
use continuity_core::model::template::{Template, MAX_CUSTOM_FRAMES};
use continuity_core::model::SeriesSummary;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The list of series and the "new series" form.
#[component]
pub fn ProjectsScreen() -> impl IntoView {
    let state = AppState::get();
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new("changed".to_string());
    // "New from a brief" is a lazy part: loaded when first opened.
    let brief_open = RwSignal::new(false);
    // Light summaries only: the list never reads a whole series.
    let shown = Memo::new(move |_| {
        let q = lowercase(&query.get());
        let mut list: Vec<SeriesSummary> = state
            .summaries
            .get()
            .into_iter()
            .filter(|s| q.split_whitespace().all(|w| lowercase(&s.name).contains(w)))
            .collect();
        if sort.get() == "name" {
            list.sort_by_cached_key(|s| lowercase(&s.name));
        }
        list
    });
    // On a static host nothing can be made until the user brings a key.
    let no_server = move || {
        let server = state.server.get();
        let key = state.key.get();
        (server.checked && !server.available && key.is_empty()).then(|| view! {
            <div class="card first-run" role="note" data-testid="first-run">
                <p>"This copy of Continuity runs without a server, in your browser only. To make images, connect with your own OpenAI key — a restricted key that can only create images, in a project with a spend limit, is the safe choice."</p>
                <button class="btn primary" data-testid="add-key" on:click=move |_| state.settings_open.set(true)>"Add your key"</button>
            </div>
        })
    };
    view! {
        <section class="screen projects" aria-labelledby="projects-title">
            <h1 id="projects-title">"Your series"</h1>
            {no_server}
            <NewSeriesForm/>
            <div class="row">
                <button type="button" class="btn" data-testid="new-from-brief" aria-expanded=move || brief_open.get().to_string()
                    on:click=move |_| brief_open.update(|o| *o = !*o)>"New from a brief"</button>
            </div>
            <Show when=move || brief_open.get()>
                <crate::ui::lazy_view::LazyView load=crate::parts::brief_planner/>
            </Show>
            <div class="row">
                <h2 class="grow">"Saved in this browser"</h2>
                <import::ImportButton/>
                <label class="field"><span class="sr-only">"Search series"</span>
                    <input type="search" data-testid="series-search" placeholder="Search by name"
                        prop:value=move || query.get() on:input:target=move |ev| query.set(ev.target().value())/>
                </label>
                <label class="field narrow"><span class="sr-only">"Sort"</span>
                    <select aria-label="Sort series" data-testid="series-sort" on:change:target=move |ev| sort.set(ev.target().value())>
                        <option value="changed">"Last changed"</option>
                        <option value="name">"Name"</option>
                    </select>
                </label>
            </div>
            {move || {
                if !state.loaded.get() {
                    return view! { <p class="muted">"Loading…"</p> }.into_any();
                }
                if state.summaries.with(Vec::is_empty) {
                    return view! { <p class="muted" data-testid="no-projects">"No series yet. Pick a template above to start one."</p> }.into_any();
                }
                view! {
                    <ul class="project-list" data-testid="project-list">
                        <For each=move || shown.get() key=|s| (s.id.clone(), s.name.clone(), s.updated_ms.to_bits(), s.cover.clone()) let:summary>
                            <ProjectRow summary=summary/>
                        </For>
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

/// Template picker, name and create button.
#[component]
fn NewSeriesForm() -> impl IntoView {
    let state = AppState::get();
    let name = RwSignal::new(String::new());
    let choice = RwSignal::new("carousel".to_string());
    let custom_frames = RwSignal::new(8usize);
    let busy = RwSignal::new(false);
    let template = move || match choice.get().as_str() {
        "custom" => Template::Custom {
            frames: custom_frames.get(),
        },
        key => Template::PRESETS
            .into_iter()
            .find(|t| t.key() == key)
            .unwrap_or(Template::Carousel),
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let (typed, template) = (name.get_untracked(), template());
        spawn_local(async move {
            match crate::parts::create_series(state, typed, template).await {
                Ok(Ok(id)) => {
                    name.set(String::new());
                    state.go(Route::Series(id));
                }
                Ok(Err(e)) => state.error(e),
                Err(missing) => state.error(missing.to_string()),
            }
            busy.set(false);
        });
    };
    let options = Template::PRESETS.into_iter().chain([Template::Custom { frames: 8 }]).map(|t| {
        let key = t.key();
        let id = format!("tpl-{key}");
        view! {
            <label class="template-option" for=id.clone()>
                <input type="radio" name="template" id=id.clone() value=key
                    prop:checked=move || choice.get() == key
                    on:change=move |_| choice.set(key.to_string())/>
                <span class="template-name">{if key == "custom" { "Custom".to_string() } else { t.label() }}</span>
                <span class="template-meta">{t.aspect_label()} " · " {t.blurb()}</span>
            </label>
        }
    });
    view! {
        <form class="card new-series" on:submit=create aria-labelledby="new-series-title">
            <h2 id="new-series-title">"Start a series"</h2>
            <fieldset class="templates">
                <legend>"Template"</legend>
                {options.collect_view()}
            </fieldset>
            <div class="row">
                <Show when=move || choice.get() == "custom">
                    <label class="field narrow">
                        <span>"Frames"</span>
                        <input type="number" min="1" max=MAX_CUSTOM_FRAMES.to_string() data-testid="custom-frames"
                            prop:value=move || custom_frames.get().to_string()
                            on:input:target=move |ev| {
                                if let Ok(n) = ev.target().value().parse::<usize>() {
                                    custom_frames.set(n.clamp(1, MAX_CUSTOM_FRAMES));
                                }
                            }/>
                    </label>
                </Show>
                <label class="field grow">
                    <span>"Name"</span>
                    <input type="text" placeholder=move || template().label() maxlength="120" data-testid="new-name"
                        prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value())/>
                </label>
                <button type="submit" class="btn primary" data-testid="create-series" disabled=move || busy.get()>
                    "Create series"
                </button>
            </div>
        </form>
    }
}

/// One saved series: its pictures, open, rename, delete (with confirmation).
#[component]
fn ProjectRow(
    /// The series shown.
    summary: SeriesSummary,
) -> impl IntoView {
    let state = AppState::get();
    let id = summary.id.clone();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(summary.name.clone());
    let changed = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(summary.updated_ms))
        .to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default();
    let meta = format!(
        "{} · {} / {} frames with images · changed {changed}{}",
        summary.template.label(),
        summary.frames_done,
        summary.frame_count,
        if summary.spent_usd > 0.0 {
            format!(" · {} spent", format_usd(summary.spent_usd))
        } else {
            String::new()
        }
    );
    let covers = summary
        .cover
        .iter()
        .map(|hash| {
            let hash = hash.clone();
            view! { <span class="cover"><Thumb hash=Signal::derive(move || Some(hash.clone())) alt=""/></span> }
        })
        .collect_view();
    let open = {
        let id = id.clone();
        move |_| state.go(Route::Series(id.clone()))
    };
    let save_name = {
        let id = id.clone();
        move || {
            let name = draft.get_untracked();
            let id = id.clone();
            spawn_local(async move {
                match crate::parts::rename_series(state, id, name).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => state.error(e),
                    Err(missing) => state.error(missing.to_string()),
                }
            });
            renaming.set(false);
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                match crate::parts::delete_series(state, id).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => state.error(e),
                    Err(missing) => state.error(missing.to_string()),
                }
            });
        }
    };
    let name = summary.name.clone();
    let save_on_enter = save_name.clone();
    view! {
        <li class="project-row card" data-testid="project-row">
            <div class="covers" aria-hidden="true">{covers}</div>
            <Show when=move || renaming.get() fallback={
                let name = name.clone();
                let open = open.clone();
                move || view! {
                    <button class="project-open" on:click=open.clone() data-testid="open-project">
                        <span class="project-name">{name.clone()}</span>
                    </button>
                }
            }>
                <label class="field grow">
                    <span class="sr-only">"New name"</span>
                    <input type="text" maxlength="120" data-testid="rename-input" prop:value=move || draft.get()
                        on:input:target=move |ev| draft.set(ev.target().value())
                        on:keydown={
                            let save = save_on_enter.clone();
                            move |ev: leptos::ev::KeyboardEvent| {
                                if ev.key() == "Enter" { save() }
                                if ev.key() == "Escape" { renaming.set(false) }
                            }
                        }/>
                </label>
            </Show>
            <span class="project-meta muted">{meta}</span>
            <div class="row-actions">
                <Show when=move || renaming.get() fallback=move || view! {
                    <button class="btn ghost small" on:click=move |_| renaming.set(true) data-testid="rename">"Rename"</button>
                }>
                    <button class="btn small" on:click={
                        let save = save_name.clone();
                        move |_| save()
                    } data-testid="rename-save">"Save"</button>
                </Show>
                <Show when=move || confirming.get() fallback=move || view! {
                    <button class="btn ghost small danger" on:click=move |_| confirming.set(true) data-testid="delete">"Delete"</button>
                }>
                    <span role="alert" class="confirm">"Delete this series and its images?"</span>
                    <button class="btn small danger" on:click=delete.clone() data-testid="delete-confirm">"Delete"</button>
                    <button class="btn ghost small" on:click=move |_| confirming.set(false)>"Keep"</button>
                </Show>
            </div>
        </li>
    }
}
