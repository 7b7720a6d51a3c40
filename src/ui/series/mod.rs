//! The series screen: header with the generate buttons and progress, output settings, the
//! bible, and the frame grid. Loads the series into a keyed store; every part below receives
//! the store (and cards their frame's lens), never an id to search for.

pub mod export_menu;
mod filter;
pub mod frame_durations;
mod guide;
mod list_import;
pub mod locales;
mod output;
pub mod plan_dialog;
pub use filter::FrameFilter as Filter;
pub use guide::ANCHOR_WHY;
mod progress;
mod rerun;

use crate::app::history::{edit_structure, Touched};
use crate::app::library;
use crate::app::runner;
use crate::app::state::{AppState, Route};
use crate::parts;
use crate::ui::frame::card::FrameCard;
use crate::ui::inspector::InspectorTarget;
use crate::ui::lazy_view::LazyView;
use crate::ui::storage_meter::StorageMeter;
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::{stale_against, OutputSettingsStoreFields, SeriesStoreFields};
use continuity_core::model::{Anchor, Series};
use continuity_core::plan::Scope;
use continuity_core::status::{generate_action, GenerateAction, SeriesNeeds};
use filter::{FrameFilter, FrameSearch};
use guide::Guide;
use leptos::prelude::*;
use leptos::task::spawn_local;
use output::OutputSettingsCard;
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

/// The plan scope of the one generate button's action.
fn scope_of(action: &GenerateAction) -> Scope {
    match action {
        GenerateAction::All(_) => Scope::All,
        GenerateAction::Missing(_) => Scope::Missing,
        GenerateAction::Stale(_) => Scope::Stale,
    }
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
    provide_context(InspectorTarget(RwSignal::new(None)));
    provide_context(crate::ui::frame::drag::DragState(RwSignal::new(None)));
    // The search publishes its filter here; cards hide when they do not match.
    let filter_slot: RwSignal<Option<FrameFilter>> = RwSignal::new(None);
    provide_context(filter_slot);
    let scores = crate::app::consistency::provide(state, store);
    let drifted_first = RwSignal::new(false);
    // The grid's order: the series' own, or (a view, not a change) drifted frames first.
    let grid_order = move || {
        let order = store.frame_order().get();
        if !drifted_first.get() {
            return order;
        }
        let drifted = scores.drifted();
        let (mut first, rest): (Vec<_>, Vec<_>) =
            order.into_iter().partition(|id| drifted.contains(id));
        first.extend(rest);
        first
    };
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
    // Latches: true from the first time the dialog opens (its part is mounted from then on).
    let plan_wanted = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || plan_open.get().is_some()
    });
    let inspecting = InspectorTarget::get().0;
    let inspector_wanted = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || inspecting.get().is_some()
    });
    let action = Memo::new(move |_| {
        let d = derived.get();
        let frames = store.frame_order().with(Vec::len);
        let (has_anchor_frame, anchor_approved) = match store.anchor().get() {
            Some(Anchor::Frame { approved_image, .. }) => (
                true,
                approved_image.is_some() && approved_image == d.anchor_image,
            ),
            Some(Anchor::Reference { .. }) => (false, d.anchor_image.is_some()),
            None => (false, false),
        };
        generate_action(SeriesNeeds {
            frames,
            missing: d.missing,
            stale: d.stale.len(),
            has_anchor_frame,
            anchor_approved,
        })
    });
    // Ctrl/⌘+Enter does what the button says, while this screen is open.
    if let Some(shortcut) = use_context::<crate::ui::app::GenerateShortcut>() {
        shortcut.0.set_value(Some(Callback::new(move |_| {
            if !runner::is_running() {
                plan_open.set(Some(scope_of(&action.get_untracked())));
            }
        })));
        on_cleanup(move || shortcut.0.set_value(None));
    }
    let batch_here = {
        let id = id.clone();
        Memo::new(move |_| state.batch.get().filter(|b| b.series_id == id))
    };
    let running = move || batch_here.get().is_some_and(|b| b.finished_ms.is_none());
    let add_frame = move |_| {
        let random = crate::web::clock::random_u64();
        let touched = Touched {
            record: true,
            frames: vec![continuity_core::model::make_id("f", random)],
            versions: Vec::new(),
        };
        edit_structure(state, store, "Add frame", touched, move |s| {
            s.add_frame(None, random);
        });
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
                    <LazyView load=move || parts::export_menu(store)
                        fallback=|| view! { <button class="btn" disabled>"Export"</button> }/>
                    <rerun::RerunButton store=store plan_open=plan_open/>
                    <Show when=running fallback=move || view! {
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
                        // One button that says what it will do (stale first, then missing, then all).
                        <button class="btn primary" on:click=move |_| plan_open.set(Some(scope_of(&action.get_untracked()))) data-testid="generate-all"
                            aria-keyshortcuts="Control+Enter Meta+Enter">{move || action.get().label().to_string()}</button>
                    }>
                        <button class="btn danger" on:click=move |_| runner::cancel_all() data-testid="cancel-all">"Cancel all"</button>
                    </Show>
                </div>
            </header>
            <Guide store=store generate=Callback::new(move |_| plan_open.set(Some(scope_of(&action.get_untracked()))))
                generate_label=Signal::derive(move || action.get().label().to_string())/>
            <BatchProgress batch=batch_here/>
            <SpendLine store=store/>
            <StorageMeter store=store/>
            <OutputSettingsCard store=store/>
            <LazyView load=move || parts::bible_panel(store)/>
            <FrameSearch store=store filter=filter_slot drifted_first=drifted_first/>
            <div class="frame-grid" data-testid="frame-grid">
                <For each=grid_order key=|fid| fid.clone() let:fid>
                    <FrameCard store=store frame=store.frames().at_key(fid.clone()).into() frame_id=fid/>
                </For>
            </div>
            <div class="row"><button class="btn" on:click=add_frame data-testid="add-frame">"+ Add frame"</button></div>
            <list_import::ListImport store=store/>
            <LazyView load=move || parts::locale_matrix(store) fallback=|| ()/>
            // Dialogs load when first opened (or earlier, from the idle prefetch), then stay.
            <Show when=move || plan_wanted.get()>
                <LazyView load=move || parts::plan_dialog(store, plan_open)/>
            </Show>
            <Show when=move || inspector_wanted.get()>
                <LazyView load=move || parts::inspector(store)/>
            </Show>
        </section>
    }
}
