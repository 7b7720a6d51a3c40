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
mod progress;
mod rerun;

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::library;
use crate::app::runner;
use crate::app::state::{AppState, Route};
use crate::parts;
use crate::ui::frame::card::FrameCard;
use crate::ui::inspector::InspectorTarget;
use crate::ui::lazy_view::LazyView;
use crate::ui::storage_meter::StorageMeter;
use continuity_core::model::series::{OutputSettingsStoreFields, SeriesStoreFields};
use continuity_core::model::{Anchor, Series};
use continuity_core::plan::Scope;
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

/// A loaded series.
#[component]
pub fn SeriesView(
    /// The series' store.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let id = store.id().get_untracked();
    let derived = crate::app::derived::provide(store);
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
        let anchor = match store.anchor().get() {
            None => "no anchor",
            Some(Anchor::Frame { .. }) if derived.with(|d| d.anchor_approved) => "anchor approved",
            Some(Anchor::Frame { .. }) => "anchor not approved",
            Some(Anchor::Reference { .. }) => "anchor: a reference image",
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
    let action = Memo::new(move |_| derived.with(|d| d.action.clone()));
    let scope = move || derived.with_untracked(|d| d.scope());
    // Ctrl/⌘+Enter does what the button says, while this screen is open.
    if let Some(shortcut) = use_context::<crate::ui::shortcuts::GenerateShortcut>() {
        shortcut.0.set_value(Some(Callback::new(move |_| {
            if !runner::is_running(state) {
                plan_open.set(Some(scope()));
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
        let add = Edit::Series(SeriesEdit::AddFrame {
            after: None,
            random,
        });
        let _ = edit::user(state, store, add);
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
                        <button class="btn primary" on:click=move |_| plan_open.set(Some(scope())) data-testid="generate-all"
                            aria-keyshortcuts="Control+Enter Meta+Enter">{move || action.get().label().to_string()}</button>
                    }>
                        <button class="btn danger" on:click=move |_| runner::cancel_all(state) data-testid="cancel-all">"Cancel all"</button>
                    </Show>
                </div>
            </header>
            <Guide store=store generate=Callback::new(move |_| plan_open.set(Some(scope())))
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
