//! The series screen: style, output settings, "Generate all" with progress, and the frames.

use super::bible_panel::BiblePanel;
use super::fields::{project_field, TextField};
use super::frame_card::FrameCard;
use super::plan_dialog::PlanDialog;
use crate::runner;
use crate::state::{AppState, Route};
use continuity_core::cost::format_usd;
use continuity_core::plan::Scope;
use leptos::prelude::*;

/// One series by id.
#[component]
pub fn SeriesScreen(
    /// Project id from the URL.
    id: String,
) -> impl IntoView {
    let state = AppState::get();
    let exists = {
        let id = id.clone();
        Memo::new(move |_| state.projects.with(|ps| ps.iter().any(|p| p.id == id)))
    };
    move || {
        if !state.loaded.get() {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        }
        if !exists.get() {
            return view! {
                <section class="screen">
                    <h1>"Series not found"</h1>
                    <p>"It may have been deleted in another tab."</p>
                    <button class="btn" on:click=move |_| state.go(Route::Projects)>"All series"</button>
                </section>
            }
            .into_any();
        }
        view! { <SeriesView id=id.clone()/> }.into_any()
    }
}

#[component]
fn SeriesView(id: String) -> impl IntoView {
    let state = AppState::get();
    let project = {
        let id = id.clone();
        Memo::new(move |_| {
            state
                .projects
                .with(|ps| ps.iter().find(|p| p.id == id).cloned())
        })
    };
    let frame_ids = Memo::new(move |_| {
        project
            .get()
            .map(|p| p.frames.iter().map(|f| f.id.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let stale = Memo::new(move |_| project.get().map(|p| p.stale_frames()).unwrap_or_default());
    let missing = Memo::new(move |_| project.get().map(|p| p.missing_frames().len()).unwrap_or(0));
    let failed = Memo::new(move |_| {
        project
            .get()
            .map(|p| {
                p.frames
                    .iter()
                    .filter(|f| f.error.is_some())
                    .map(|f| f.id.clone())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let name = move || project.get().map(|p| p.name).unwrap_or_default();
    let meta = move || {
        project.get().map(|p| {
            let anchor = match (p.anchor_frame_id(), p.anchor_approved(), &p.anchor) {
                (_, _, None) => "no anchor".to_string(),
                (Some(_), true, _) => "anchor approved".to_string(),
                (Some(_), false, _) => "anchor not approved".to_string(),
                (None, _, Some(_)) => "anchor: a reference image".to_string(),
            };
            format!(
                "{} · {} · {} frames with images · {anchor}",
                p.template.label(),
                p.output.size,
                p.frames_done()
            )
        })
    };
    let plan_open: RwSignal<Option<Scope>> = RwSignal::new(None);
    let batch_here = {
        let id = id.clone();
        Memo::new(move |_| state.batch.get().filter(|b| b.project_id == id))
    };
    let running = move || batch_here.get().is_some_and(|b| b.finished_ms.is_none());
    let add_frame = {
        let id = id.clone();
        move |_| {
            state.update_project(&id, |p| {
                p.add_frame(None, crate::platform::random_u64());
            });
        }
    };
    let card_project = id.clone();
    view! {
        <section class="screen series" aria-labelledby="series-title">
            <nav class="crumbs"><button class="link" on:click=move |_| state.go(Route::Projects)>"← All series"</button></nav>
            <header class="series-head">
                <div>
                    <h1 id="series-title" data-testid="series-title">{name}</h1>
                    <p class="muted">{meta}</p>
                </div>
                <div class="run-controls">
                    <Show when=running fallback=move || view! {
                        {move || {
                            let n = stale.get().len();
                            (n > 0).then(|| view! {
                                <button class="btn" data-testid="regenerate-stale" on:click=move |_| plan_open.set(Some(Scope::Stale))>
                                    {format!("Regenerate {n} stale")}
                                </button>
                            })
                        }}
                        {move || {
                            let ids = failed.get();
                            (!ids.is_empty()).then(|| {
                                let n = ids.len();
                                view! {
                                    <button class="btn" data-testid="retry-failed" on:click=move |_| plan_open.set(Some(Scope::Frames(ids.clone())))>
                                        {format!("Retry {n} failed")}
                                    </button>
                                }
                            })
                        }}
                        {move || {
                            let n = missing.get();
                            (n > 0 && n < frame_ids.get().len()).then(|| view! {
                                <button class="btn" data-testid="generate-missing" on:click=move |_| plan_open.set(Some(Scope::Missing))>
                                    {format!("Generate {n} missing")}
                                </button>
                            })
                        }}
                        <button class="btn primary" on:click=move |_| plan_open.set(Some(Scope::All)) data-testid="generate-all">"Generate series"</button>
                    }>
                        <button class="btn danger" on:click=move |_| runner::cancel_all() data-testid="cancel-all">"Cancel all"</button>
                    </Show>
                </div>
            </header>
            <BatchProgress batch=batch_here/>
            <OutputSettingsCard project_id=id.clone()/>
            <BiblePanel project_id=id.clone()/>
            <div class="frame-grid" data-testid="frame-grid">
                <For each=move || frame_ids.get() key=|fid| fid.clone() let:fid>
                    <FrameCard project_id=card_project.clone() frame_id=fid/>
                </For>
            </div>
            <div class="row"><button class="btn" on:click=add_frame data-testid="add-frame">"+ Add frame"</button></div>
            <PlanDialog project_id=id.clone() open=plan_open/>
        </section>
    }
}

/// Series style and output settings: model, quality, format, variants per frame.
#[component]
fn OutputSettingsCard(project_id: String) -> impl IntoView {
    let state = AppState::get();
    let (style, set_style) = project_field(
        state,
        project_id.clone(),
        |p| p.style.clone(),
        |p, v| p.style = v,
    );
    let output = {
        let pid = project_id.clone();
        Memo::new(move |_| {
            state
                .projects
                .with(|ps| ps.iter().find(|p| p.id == pid).map(|p| p.output.clone()))
        })
    };
    let set = {
        let pid = project_id.clone();
        move |apply: fn(&mut continuity_core::model::OutputSettings, String)| {
            let pid = pid.clone();
            move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                state.update_project(&pid, |p| apply(&mut p.output, value));
            }
        }
    };
    let options = move |values: Vec<(String, String)>, current: String| {
        values
            .into_iter()
            .map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let models = move || {
        let current = output.get().map(|o| o.model).unwrap_or_default();
        let list = state
            .catalogue
            .get()
            .models
            .into_iter()
            .filter(|m| m.selectable() || m.id == current)
            .map(|m| {
                (
                    m.id.clone(),
                    if m.shutdown.is_some() {
                        format!("{} (ends {})", m.label, m.shutdown.unwrap_or_default())
                    } else {
                        m.label
                    },
                )
            })
            .collect();
        options(list, current)
    };
    let model_note = move || {
        let o = output.get()?;
        let c = state.catalogue.get();
        let m = c.get(&o.model)?;
        let size_problem = m.check_size(o.size).err().map(|e| format!(" {e}"));
        Some(format!("{}{}", m.note, size_problem.unwrap_or_default()))
    };
    let qualities = move || {
        let o = output.get();
        let current = o.as_ref().map(|o| o.quality.clone()).unwrap_or_default();
        let list = o
            .and_then(|o| {
                state
                    .catalogue
                    .get()
                    .get(&o.model)
                    .map(|m| m.qualities.clone())
            })
            .unwrap_or_default()
            .into_iter()
            .map(|q| (q.clone(), q))
            .collect();
        options(list, current)
    };
    let formats = move || {
        let current = output.get().map(|o| o.output_format).unwrap_or_default();
        options(
            ["png", "jpeg", "webp"]
                .iter()
                .map(|f| (f.to_string(), f.to_uppercase()))
                .collect(),
            current,
        )
    };
    let variants = move || {
        let current = output
            .get()
            .map(|o| o.variants.to_string())
            .unwrap_or_default();
        options(
            (1..=4).map(|n| (n.to_string(), n.to_string())).collect(),
            current,
        )
    };
    view! {
        <div class="series-settings card">
            <div class="grow">
                <TextField label="Series style" hint="(prepended to every frame’s prompt)" value=style on_change=set_style rows=2
                    placeholder="e.g. Flat vector illustration, teal and coral palette, soft paper grain" testid="series-style"/>
            </div>
            <label class="field narrow"><span>"Model"</span>
                <select on:change=set(|o, v| o.model = v) data-testid="model">{models}</select></label>
            <label class="field narrow"><span>"Quality"</span>
                <select on:change=set(|o, v| o.quality = v) data-testid="quality">{qualities}</select></label>
            <label class="field narrow"><span>"Format"</span>
                <select on:change=set(|o, v| o.output_format = v) data-testid="format">{formats}</select></label>
            <label class="field narrow"><span>"Variants"</span>
                <select on:change=set(|o, v| o.variants = v.parse().unwrap_or(1)) data-testid="variants">{variants}</select></label>
            <p class="muted small model-note">{model_note}</p>
        </div>
    }
}

/// Done / total, elapsed time and money spent for the batch of this series.
#[component]
fn BatchProgress(
    /// The batch, if one ran for this series.
    batch: Memo<Option<crate::state::BatchView>>,
) -> impl IntoView {
    let now = RwSignal::new(crate::platform::now_ms());
    // Tick once a second while running so "elapsed" moves.
    let handle = set_interval_with_handle(
        move || now.set(crate::platform::now_ms()),
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    move || {
        batch.get().map(|b| {
            let p = b.progress.clone();
            let finished = p.done + p.failed + p.cancelled + p.skipped;
            let end = b.finished_ms.unwrap_or_else(|| now.get());
            let secs = ((end - b.started_ms) / 1000.0).max(0.0) as u64;
            let summary = format!(
                "{} / {} done{}{} · {}:{:02} · {} spent",
                p.done,
                p.total,
                if p.failed > 0 { format!(" · {} failed", p.failed) } else { String::new() },
                if p.cancelled + p.skipped > 0 { format!(" · {} not made", p.cancelled + p.skipped) } else { String::new() },
                secs / 60,
                secs % 60,
                format_usd(p.spent_usd)
            );
            view! {
                <div class="batch-progress" data-testid="batch-progress">
                    <progress max=p.total.to_string() value=finished.to_string() aria-label="Batch progress"></progress>
                    <span role="status" data-testid="batch-summary">{summary}</span>
                    {b.stopped.map(|s| view! { <span class="frame-error" role="alert">{s}</span> })}
                </div>
            }
        })
    }
}
