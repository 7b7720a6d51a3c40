//! The series screen: header with the generate buttons and progress, output settings, the
//! bible, and the frame grid. Loads the series into a keyed store; every part below receives
//! the store (and cards their frame's lens), never an id to search for.

mod output;
pub mod plan_dialog;
mod progress;

use crate::app::library;
use crate::app::runner;
use crate::app::saver::edit_frame;
use crate::app::state::{AppState, Route};
use crate::app::sync::refresh_keys;
use crate::ui::bible::BiblePanel;
use crate::ui::frame::card::FrameCard;
use crate::ui::storage_meter::StorageMeter;
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::{stale_against, OutputSettingsStoreFields, SeriesStoreFields};
use continuity_core::model::{Anchor, Series};
use continuity_core::plan::Scope;
use leptos::prelude::*;
use leptos::task::spawn_local;
use output::OutputSettingsCard;
use plan_dialog::PlanDialog;
use progress::{BatchProgress, SpendLine};
use reactive_stores::Store;

/// One series by id: loads it (once) and shows it.
#[component]
pub fn SeriesScreen(
    /// Series id from the URL.
    id: String,
) -> impl IntoView {
    let state = AppState::get();
    // None: loading; Some(None): not found; Some(Some(store)): loaded.
    let loaded: RwSignal<Option<Option<Store<Series>>>> = RwSignal::new(None);
    let load_id = id.clone();
    Effect::new(move |_| {
        // Storage must be open first; re-run when a series is loaded or unloaded elsewhere.
        if !state.loaded.get() {
            return;
        }
        state.series_loaded.track();
        let id = load_id.clone();
        spawn_local(async move {
            match library::open(state, &id).await {
                Ok(found) => {
                    let _ = loaded.try_set(Some(found));
                }
                Err(e) => {
                    state.error(e.to_string());
                    let _ = loaded.try_set(Some(None));
                }
            }
        });
    });
    move || {
        match loaded.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(None) => view! {
            <section class="screen">
                <h1>"Series not found"</h1>
                <p>"It may have been deleted in another tab."</p>
                <button class="btn" on:click=move |_| state.go(Route::Projects)>"All series"</button>
            </section>
        }
        .into_any(),
        Some(Some(store)) => view! { <SeriesView store=store/> }.into_any(),
    }
    }
}

/// Which frames are stale, missing and failed: computed once per change of the frames'
/// active versions, errors or the anchor (never per keystroke: a prompt edit notifies only
/// its frame's prompt, which nothing here reads).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// Content hash of the anchor image.
    pub anchor_image: Option<String>,
    /// Stale frame ids, in order.
    pub stale: Vec<String>,
    /// Frames without an image.
    pub missing: usize,
    /// Failed frame ids, in order.
    pub failed: Vec<String>,
}

/// The memo behind [`Derived`], shared by the header and the cards.
pub fn derived(store: Store<Series>) -> Memo<Derived> {
    Memo::new(move |_| {
        let order = store.frame_order().get();
        let frames = store.frames();
        let versions = store.versions();
        let anchor = store.anchor().get();
        let mut snapshot = Vec::with_capacity(order.len());
        for id in &order {
            // `at_key(..).field()` tracks that field alone, so text edits do not re-run this.
            let Some(active) = frames.at_key(id.clone()).active_version().try_get() else {
                continue;
            };
            let failed = frames
                .at_key(id.clone())
                .error()
                .try_with(Option::is_some)
                .unwrap_or(false);
            snapshot.push((id.clone(), active, failed));
        }
        versions.with(|vs| {
            let mini = |id: &str, active: &Option<String>| continuity_core::model::Frame {
                active_version: active.clone(),
                ..continuity_core::model::Frame::new(id.to_string(), String::new(), String::new())
            };
            let anchor_frame = match &anchor {
                Some(Anchor::Frame { frame_id, .. }) => Some(frame_id.clone()),
                _ => None,
            };
            let anchor_image = match &anchor {
                Some(Anchor::Frame { frame_id, .. }) => snapshot
                    .iter()
                    .find(|(id, _, _)| id == frame_id)
                    .and_then(|(id, a, _)| {
                        continuity_core::model::series::active_of(vs, &mini(id, a))
                    })
                    .map(|v| v.image.hash.clone()),
                Some(Anchor::Reference { image_id, .. }) => Some(image_id.clone()),
                None => None,
            };
            let mut d = Derived {
                anchor_image: anchor_image.clone(),
                ..Derived::default()
            };
            for (id, active, failed) in &snapshot {
                let frame = mini(id, active);
                if continuity_core::model::series::active_of(vs, &frame).is_none() {
                    d.missing += 1;
                }
                if stale_against(vs, &frame, anchor_frame.as_deref(), anchor_image.as_deref()) {
                    d.stale.push(id.to_string());
                }
                if *failed {
                    d.failed.push(id.to_string());
                }
            }
            d
        })
    })
}

/// A loaded series.
#[component]
pub fn SeriesView(
    /// The series' store.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let id = store.id().get_untracked();
    let derived = derived(store);
    provide_context(derived);
    let name = move || store.name().get();
    let meta = move || {
        let anchor = match (
            store.anchor().get(),
            derived.with(|d| d.anchor_image.is_some()),
        ) {
            (None, _) => "no anchor".to_string(),
            (Some(Anchor::Frame { approved_image, .. }), _) => {
                if approved_image.is_some()
                    && approved_image == derived.with(|d| d.anchor_image.clone())
                {
                    "anchor approved".to_string()
                } else {
                    "anchor not approved".to_string()
                }
            }
            (Some(Anchor::Reference { .. }), _) => "anchor: a reference image".to_string(),
        };
        let total = store.frame_order().with(Vec::len);
        let done = total - derived.with(|d| d.missing);
        format!(
            "{} · {} · {} frames with images · {anchor}",
            store.template().get().label(),
            store.output().size().get(),
            done
        )
    };
    let plan_open: RwSignal<Option<Scope>> = RwSignal::new(None);
    let batch_here = {
        let id = id.clone();
        Memo::new(move |_| state.batch.get().filter(|b| b.series_id == id))
    };
    let running = move || batch_here.get().is_some_and(|b| b.finished_ms.is_none());
    let add_frame = move |_| {
        let mut added = String::new();
        store.update(|s| added = s.add_frame(None, crate::web::clock::random_u64()));
        refresh_keys(store);
        let sid = store.id().get_untracked();
        state.saver().series_changed(state, &sid);
        edit_frame(state, store, &added, |_| {});
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
                    <Show when=running fallback=move || view! {
                        {move || {
                            let n = derived.with(|d| d.stale.len());
                            (n > 0).then(|| view! {
                                <button class="btn" data-testid="regenerate-stale" on:click=move |_| plan_open.set(Some(Scope::Stale))>
                                    {format!("Regenerate {n} stale")}
                                </button>
                            })
                        }}
                        {move || {
                            let ids = derived.with(|d| d.failed.clone());
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
                            let n = derived.with(|d| d.missing);
                            (n > 0 && n < store.frame_order().with(Vec::len)).then(|| view! {
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
            <SpendLine store=store/>
            <StorageMeter store=store/>
            <OutputSettingsCard store=store/>
            <BiblePanel store=store/>
            <div class="frame-grid" data-testid="frame-grid">
                <For each=move || store.frame_order().get() key=|fid| fid.clone() let:fid>
                    <FrameCard store=store frame=store.frames().at_key(fid.clone()).into() frame_id=fid/>
                </For>
            </div>
            <div class="row"><button class="btn" on:click=add_frame data-testid="add-frame">"+ Add frame"</button></div>
            <PlanDialog store=store open=plan_open/>
        </section>
    }
}
