//! The projects screen: start a series from a template, open, rename or delete one.

use crate::platform::{now_ms, random_u64};
use crate::state::{AppState, Route};
use continuity_core::model::template::{Template, MAX_CUSTOM_FRAMES};
use continuity_core::model::Project;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The list of series and the "new series" form.
#[component]
pub fn ProjectsScreen() -> impl IntoView {
    let state = AppState::get();
    view! {
        <section class="screen projects" aria-labelledby="projects-title">
            <h1 id="projects-title">"Your series"</h1>
            <NewSeriesForm/>
            <h2>"Saved in this browser"</h2>
            {move || {
                if !state.loaded.get() {
                    return view! { <p class="muted">"Loading…"</p> }.into_any();
                }
                let projects = state.projects.get();
                if projects.is_empty() {
                    return view! { <p class="muted" data-testid="no-projects">"No series yet. Pick a template above to start one."</p> }.into_any();
                }
                view! {
                    <ul class="project-list" data-testid="project-list">
                        <For each=move || state.projects.get() key=|p| (p.id.clone(), p.name.clone(), p.updated_ms.to_bits()) let:project>
                            <ProjectRow project=project/>
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
        let model = state.catalogue.get_untracked().default_model().id.clone();
        let project = Project::from_template(
            &name.get_untracked(),
            template(),
            &model,
            now_ms(),
            random_u64,
        );
        let id = project.id.clone();
        spawn_local(async move {
            match state.add_project(project).await {
                Ok(()) => {
                    name.set(String::new());
                    state.go(Route::Series(id));
                }
                Err(e) => state.error(e.to_string()),
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

/// One saved series: open, rename, delete (with confirmation).
#[component]
fn ProjectRow(
    /// The series shown.
    project: Project,
) -> impl IntoView {
    let state = AppState::get();
    let id = project.id.clone();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(project.name.clone());
    let done = project.frames_done();
    let total = project.frames.len();
    let meta = format!(
        "{} · {} / {} frames with images · {}",
        project.template.label(),
        done,
        total,
        project.output.size
    );
    let open = {
        let id = id.clone();
        move |_| state.go(Route::Series(id.clone()))
    };
    let save_name = {
        let id = id.clone();
        move || {
            let name = draft.get_untracked();
            state.update_project(&id, |p| {
                p.rename(&name);
            });
            renaming.set(false);
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                if let Err(e) = state.delete_project(&id).await {
                    state.error(e.to_string());
                }
            });
        }
    };
    let name = project.name.clone();
    let save_on_enter = save_name.clone();
    view! {
        <li class="project-row card" data-testid="project-row">
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
