//! The series screen, pictures first: a title bar (the name and a line about the series; the
//! "Bible" and "Series settings" drawers, Export and the series' More menu), the guide as a
//! compact stepper holding the primary button, then the board — search, filter, card size and
//! the frame cards — with adding frames and the locale matrix below it. Loads the series into
//! a keyed store; every part below receives the store (and cards their frame's lens), never
//! an id to search for.

mod batch_status;
mod drawer;
pub mod edit_selected;
pub mod export_menu;
mod filter;
pub mod frame_durations;
mod guide;
mod list_import;
pub mod locales;
mod more;
pub mod output;
pub mod plan_dialog;
pub use filter::FrameFilter as Filter;
pub mod progress;
mod rerun;
mod selection_bar;
pub mod settings_panel;
pub mod variable_rows;

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::library;
use crate::app::runner;
use crate::app::said::{self, Place};
use crate::app::state::{AppState, Route};
use crate::parts;
use crate::ui::frame::card::FrameCard;
use crate::ui::inspector::InspectorTarget;
use crate::ui::lazy_view::LazyView;
use crate::ui::said::SaidHere;
use crate::ui::storage_meter::SaveState;
use continuity_core::model::series::{OutputSettingsStoreFields, SeriesStoreFields};
use continuity_core::model::{Anchor, Series};
use continuity_core::plan::Scope;
use continuity_core::status::GenerateAction;
use drawer::Drawer;
use filter::{FrameFilter, FrameSearch};
use guide::Stepper;
use leptos::prelude::*;
use leptos::task::spawn_local;
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
                    // The same series again (another series came or went): keep the screen as
                    // it is — rendering it anew would close its open drawer and restart parts.
                    if loaded.try_get_untracked() != Some(Some(found)) {
                        let _ = loaded.try_set(Some(found));
                    }
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

/// The card sizes of the board, by the value kept per series.
const DENSITIES: [&str; 3] = ["small", "medium", "large"];

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
    let moved = RwSignal::new(String::new());
    provide_context(crate::ui::frame::drag::Moved(moved));
    // The search publishes its filter here; cards hide when they do not match.
    let filter_slot: RwSignal<Option<FrameFilter>> = RwSignal::new(None);
    provide_context(filter_slot);
    // Frames chosen for "Edit selected": UI state, gone when this screen closes.
    let selection = crate::app::selection::Selection::provide();
    let edit_selected_open = RwSignal::new(false);
    let edit_selected_wanted = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || edit_selected_open.get()
    });
    let scores = crate::app::consistency::provide(state, store);
    let drifted_first = RwSignal::new(false);
    // The card size, kept per series on this device.
    let density = RwSignal::new(
        crate::web::web_storage::series_view(&id)
            .filter(|d| DENSITIES.contains(&d.as_str()))
            .unwrap_or_else(|| "medium".into()),
    );
    {
        let id = id.clone();
        Effect::new(move |was: Option<String>| {
            let now = density.get();
            if was.is_some_and(|w| w != now) {
                crate::web::web_storage::set_series_view(&id, &now);
            }
            now
        });
    }
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
    let bible_open = RwSignal::new(false);
    let settings_open = RwSignal::new(false);
    let action = Memo::new(move |_| derived.with(|d| d.action.clone()));
    // What the primary button says it does: approve the anchor (an edit), or open the plan of
    // its scope — choosing frame 1 as the anchor first when the series has none (sends
    // nothing).
    let primary = move || {
        said::from(state, Place::Series);
        match action.get_untracked() {
            GenerateAction::Approve => {
                let _ = edit::user(state, store, Edit::Series(SeriesEdit::ApproveAnchor));
            }
            GenerateAction::Anchor { frame_id, choose } => {
                if choose {
                    let chosen = Edit::Series(SeriesEdit::AnchorFrame(frame_id.clone()));
                    let _ = edit::user(state, store, chosen);
                }
                plan_open.set(Some(Scope::Frames(vec![frame_id])));
            }
            _ => plan_open.set(derived.with_untracked(|d| d.scope())),
        }
    };
    // Ctrl/⌘+Enter does what the button says, while this screen is open.
    if let Some(shortcut) = use_context::<crate::ui::shortcuts::GenerateShortcut>() {
        shortcut.0.set_value(Some(Callback::new(move |_| {
            if !runner::is_running(state) {
                primary();
            }
        })));
        on_cleanup(move || shortcut.0.set_value(None));
    }
    let batch_here = {
        let id = id.clone();
        Memo::new(move |_| state.batch.get().filter(|b| b.series_id == id))
    };
    let running = move || batch_here.get().is_some_and(|b| b.finished_ms.is_none());
    // Batches of the Batch API the series waits for: polled while it is open (from the
    // moment one is sent, and whenever the series is opened again).
    let waiting_for_batch = move || store.batches().with(|runs| !runs.is_empty());
    {
        let id = id.clone();
        Effect::new(move |_| {
            if waiting_for_batch() {
                let id = id.clone();
                spawn_local(async move {
                    // A part that cannot load now is asked for again when the series reopens.
                    let _ = parts::batch_watch(state, id).await;
                });
            }
        });
    }
    let add_frame = move |_| {
        let random = crate::web::clock::random_u64();
        let add = Edit::Series(SeriesEdit::AddFrame {
            after: None,
            random,
        });
        let _ = edit::user(state, store, add);
    };
    let retry_failed = move || {
        let ids = derived.with(|d| d.failed.clone());
        (!ids.is_empty()).then(|| {
            let n = ids.len();
            view! {
                <button class="btn" data-testid="retry-failed" on:click=move |_| {
                    said::from(state, Place::Series);
                    plan_open.set(Some(Scope::Frames(ids.clone())));
                }>{format!("Retry {n} failed")}</button>
            }
        })
    };
    let grid_class = move || format!("frame-grid density-{}", density.get());
    view! {
        <section class="screen series" aria-labelledby="series-title">
            <header class="series-head">
                <div class="series-name">
                    <button class="link crumb" on:click=move |_| state.go(Route::Projects)>"← All series"</button>
                    <h1 id="series-title" data-testid="series-title">{name}</h1>
                    <p class="muted small series-meta">{meta} " " <SpendLine store=store/> " " <SaveState/></p>
                </div>
                <div class="series-tools">
                    <button class="btn" aria-haspopup="dialog" data-testid="open-bible" on:click=move |_| bible_open.set(true)>"Bible"</button>
                    <button class="btn" aria-haspopup="dialog" data-testid="open-series-settings" on:click=move |_| settings_open.set(true)>"Series settings"</button>
                    <LazyView load=move || parts::export_menu(store, plan_open)
                        fallback=|| view! { <button class="btn" disabled>"Export"</button> }/>
                    <more::SeriesMore store=store plan_open=plan_open/>
                </div>
            </header>
            <Stepper store=store open_bible=Callback::new(move |_| bible_open.set(true))>
                <Show when=running fallback=move || view! {
                    {retry_failed}
                    // One button that walks the flow and says what it will do (not while a
                    // batch of the Batch API is making frames: its status line is there).
                    <Show when=move || !waiting_for_batch() fallback=move || view! { <batch_status::BatchRuns store=store/> }>
                        <button class="btn primary" on:click=move |_| primary() data-testid="generate-all"
                            aria-keyshortcuts="Control+Enter Meta+Enter">{move || action.get().label().to_string()}</button>
                    </Show>
                }>
                    <button class="btn danger" on:click=move |_| runner::cancel_all(state) data-testid="cancel-all">"Cancel all"</button>
                </Show>
            </Stepper>
            <SaidHere place=Place::Series/>
            <BatchProgress batch=batch_here/>
            <FrameSearch store=store filter=filter_slot drifted_first=drifted_first density=density/>
            <selection_bar::SelectionBar store=store selection=selection filter=filter_slot edit_open=edit_selected_open/>
            <div class=grid_class data-testid="frame-grid">
                <For each=grid_order key=|fid| fid.clone() let:fid>
                    <FrameCard store=store frame=store.frames().at_key(fid.clone()).into() frame_id=fid/>
                </For>
            </div>
            // Said after a keyboard move ("Panel 4 moved to place 2 of 12").
            <p class="sr-only" aria-live="polite" data-testid="move-announcement">
                {move || moved.get()}
            </p>
            <div class="row board-end">
                <button class="btn" on:click=add_frame data-testid="add-frame">"+ Add frame"</button>
            </div>
            <list_import::ListImport store=store/>
            <LazyView load=move || parts::locale_matrix(store) fallback=|| ()/>
            <Drawer open=bible_open title="Series bible" title_id="bible-title" testid="bible-drawer" close_testid="close-bible">
                <LazyView load=move || parts::bible_panel(store)/>
            </Drawer>
            <Drawer open=settings_open title="Series settings" title_id="series-settings-title" testid="settings-drawer" close_testid="close-series-settings">
                <LazyView load=move || parts::series_settings(store)/>
            </Drawer>
            // Dialogs load when first opened (or earlier, from the idle prefetch), then stay.
            <Show when=move || plan_wanted.get()>
                <LazyView load=move || parts::plan_dialog(store, plan_open)/>
            </Show>
            <Show when=move || edit_selected_wanted.get()>
                <LazyView load=move || parts::edit_selected(store, edit_selected_open, selection)/>
            </Show>
            <Show when=move || inspector_wanted.get()>
                <LazyView load=move || parts::inspector(store)/>
            </Show>
        </section>
    }
}
