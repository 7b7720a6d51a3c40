//! The series screen: style, output settings, "Generate all" with progress, and the frames.

use super::frame_card::FrameCard;
use crate::cost::{estimate, format_usd, Confidence, CostQuery};
use crate::runner;
use crate::state::{AppState, Route};
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
    let name = move || project.get().map(|p| p.name).unwrap_or_default();
    let meta = move || {
        project.get().map(|p| {
            format!(
                "{} · {} · {} · {}",
                p.template.label(),
                p.output.size,
                p.output.model,
                p.output.quality
            )
        })
    };
    let plan = move || {
        let p = project.get()?;
        let catalogue = state.catalogue.get();
        let model = catalogue.get(&p.output.model)?;
        let previews = u32::from(state.settings.get().stream_previews);
        let e = estimate(
            model,
            &CostQuery {
                size: Some(p.output.size),
                quality: &p.output.quality,
                n: 1,
                partial_images: previews,
            },
        );
        let total = e.usd * p.frames.len() as f64;
        let approx = if e.confidence == Confidence::Confirmed {
            "≈"
        } else {
            "≈ (assumed price)"
        };
        Some(format!(
            "{} requests · {approx} {}",
            p.frames.len(),
            format_usd(total)
        ))
    };
    let on_style = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            state.update_project(&id, |p| p.style = value);
        }
    };
    let on_quality = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            state.update_project(&id, |p| p.output.quality = value);
        }
    };
    let batch_here = {
        let id = id.clone();
        Memo::new(move |_| state.batch.get().filter(|b| b.project_id == id))
    };
    let running = move || batch_here.get().is_some_and(|b| b.finished_ms.is_none());
    let generate_all = {
        let id = id.clone();
        move |_| runner::generate(state, &id, None)
    };
    let qualities = move || {
        let p = project.get();
        let catalogue = state.catalogue.get();
        let current = p
            .as_ref()
            .map(|p| p.output.quality.clone())
            .unwrap_or_default();
        p.and_then(|p| catalogue.get(&p.output.model).cloned())
            .map(|m| m.qualities)
            .unwrap_or_default()
            .into_iter()
            .map(|q| {
                let selected = q == current;
                view! { <option value=q.clone() selected=selected>{q.clone()}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="screen series" aria-labelledby="series-title">
            <nav class="crumbs"><button class="link" on:click=move |_| state.go(Route::Projects)>"← All series"</button></nav>
            <header class="series-head">
                <div>
                    <h1 id="series-title" data-testid="series-title">{name}</h1>
                    <p class="muted">{meta}</p>
                </div>
                <div class="run-controls">
                    <span class="muted" data-testid="plan-estimate">{plan}</span>
                    <Show when=running fallback={
                        let generate_all = generate_all.clone();
                        move || view! {
                            <button class="btn primary" on:click=generate_all.clone() data-testid="generate-all">"Generate all"</button>
                        }
                    }>
                        <button class="btn danger" on:click=move |_| runner::cancel_all() data-testid="cancel-all">"Cancel all"</button>
                    </Show>
                </div>
            </header>
            <BatchProgress batch=batch_here/>
            <div class="series-settings card">
                <label class="field grow">
                    <span>"Series style " <small class="muted">"(prepended to every frame’s prompt)"</small></span>
                    <textarea rows="2" data-testid="series-style" placeholder="e.g. Flat vector illustration, teal and coral palette, soft paper grain"
                        prop:value=move || project.get().map(|p| p.style).unwrap_or_default() on:input=on_style></textarea>
                </label>
                <label class="field narrow">
                    <span>"Quality"</span>
                    <select on:change=on_quality data-testid="quality">{qualities}</select>
                </label>
            </div>
            <div class="frame-grid" data-testid="frame-grid">
                <For each=move || frame_ids.get() key=|fid| fid.clone() let:fid>
                    <FrameCard project_id=id.clone() frame_id=fid/>
                </For>
            </div>
        </section>
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
