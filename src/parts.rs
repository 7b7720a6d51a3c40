//! The parts of the app that are not on the first screen, each loaded on first use.
//!
//! The first screen (the series list) is all the main wasm holds; everything else is declared
//! here with [`lazy_part!`] and becomes a separate wasm module, fetched the first time it is
//! called and prefetched when the browser is idle after the first screen is interactive (see
//! [`prefetch_when_idle`]). How it is built: `#[wasm_split]` (the `wasm_split_helpers` crate
//! Leptos re-exports; the same mechanism as Leptos' `#[lazy]`) marks each split point, and the
//! release and dev builds split the linked wasm in Trunk's `post_build` hook
//! (`scripts/split.mjs`, with `wasm-split-cli`). Code reached *only* from a lazy part leaves
//! the main module; code that the first screen also uses stays in it.
//!
//! Unlike Leptos' `#[lazy]`, a part whose module fails to load (network gone, a deployment
//! switched underneath) does not abort the app: the call returns [`PartMissing`] and
//! [`crate::ui::lazy_view::LazyView`] shows a message with "Retry" (a failed load is not cached; the next call
//! fetches again).
//!
//! To add a lazy part: declare it with [`lazy_part!`] below (a module name, the function, its
//! preload function), call it where the part is needed (`LazyView` for a view, `.await` for a
//! function), and add its preload to [`prefetch_when_idle`].
//!
//! The split needs the `split` cargo feature (Trunk's builds turn it on, `index.html`); without
//! it (native and wasm-bindgen tests, which link the library unsplit) a part is a plain call.

use crate::app::library;
use crate::app::state::AppState;
use crate::web::clock::{now_ms, random_u64};
use crate::web::idb::Db;
use continuity_core::model::template::Template;
use continuity_core::model::Series;
use continuity_core::plan::{Plan, Scope};
use leptos::prelude::*;
use reactive_stores::Store;

/// A lazily loaded part of the app could not be fetched or instantiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartMissing;

impl From<leptos::wasm_split::SplitLoaderError> for PartMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PartMissing
    }
}

impl std::fmt::Display for PartMissing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("This part of Continuity could not be loaded: the network may be gone, or the site was updated since this page opened. Nothing was lost; try again, or reload the page.")
    }
}

/// Declares a lazy part: `lazy_part!(module: fn name(args) -> Output { body } preload preload_name);`
///
/// With the `split` feature `name` lives in its own wasm module (all parts naming the same
/// `module` share one) and `name(..).await` loads it first, returning
/// `Result<Output, PartMissing>`; `preload_name().await` loads it without calling anything.
/// The body is an `async` block's contents, run after the module is loaded.
macro_rules! lazy_part {
    ($module:ident: $(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block preload $preload:ident) => {
        #[cfg(feature = "split")]
        $(#[$meta])*
        #[::leptos::wasm_split::wasm_split(
            $module,
            wasm_split_path = ::leptos::wasm_split,
            fallible,
            preload(#[allow(dead_code)] $preload),
            return_wrapper(let future = _; { Ok(future.await) } -> Result<$out, $crate::parts::PartMissing>)
        )]
        $vis fn $name($($arg: $ty),*) -> ::std::pin::Pin<Box<dyn ::std::future::Future<Output = $out>>> {
            Box::pin(async move $body)
        }

        #[cfg(not(feature = "split"))]
        $(#[$meta])*
        $vis async fn $name($($arg: $ty),*) -> Result<$out, $crate::parts::PartMissing> {
            Ok(async move $body.await)
        }

        #[cfg(not(feature = "split"))]
        #[allow(dead_code)]
        $vis async fn $preload() -> Result<(), ::leptos::wasm_split::SplitLoaderError> {
            Ok(())
        }
    };
}

lazy_part!(workspace:
    /// The series workspace: the board, the bible, locales, plan, export, and the inspector.
    pub fn series_screen(id: String) -> AnyView {
        let state = AppState::get();
        install_flush_on_hide(state);
        install_settings_persist(state);
        crate::ui::shortcuts::install_workspace_keys(state);
        // Read before any view asks for it (a signal is not set while views render).
        let _ = state.catalogue();
        view! { <crate::ui::series::SeriesScreen id=id/> }.into_any()
    }
    preload preload_series_screen
);

/// Which way [`undo_or_redo`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Ctrl/⌘+Z, or a notice's "Undo".
    Undo,
    /// Shift+Ctrl/⌘+Z or Ctrl+Y.
    Redo,
}

lazy_part!(workspace:
    /// Undoes or redoes the last edit and says what it was (nothing to undo: says nothing).
    pub fn undo_or_redo(state: AppState, step: Step) -> () {
        let done = match step {
            Step::Undo => crate::app::edit::undo(state).map(|w| format!("Undone: {}.", w.to_lowercase())),
            Step::Redo => crate::app::edit::redo(state).map(|w| format!("Redone: {}.", w.to_lowercase())),
        };
        if let Some(text) = done {
            state.info(text);
        }
    }
    preload preload_undo
);

/// From then on every change of the settings, the key or the token is stored
/// ([`crate::app::settings::persist`]). Installed by the first lazy part that loads (the
/// prefetch's, or a screen's): nothing on the first screen changes them but a static host's
/// switch to "OpenAI directly", which is stored then; the writer is not first-screen code.
fn install_settings_persist(state: AppState) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::Relaxed) {
        state.in_app_owner(|| crate::app::settings::persist(state));
    }
}

/// The endpoint's model dates win over the catalogue's (after the catalogue is loaded).
fn install_model_dates(state: AppState) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::Relaxed) {
        state.in_app_owner(|| crate::app::model_dates::follow(state));
    }
}

/// Pending edits are written at once when the page is hidden or left. Installed when the
/// workspace first opens a series: before that there is nothing to write.
fn install_flush_on_hide(state: AppState) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::Relaxed) {
        return;
    }
    crate::app::saver::flush_when_hidden(state);
}

// Parts of the workspace opened on demand, each its own module (the locale matrix is on the
// board as soon as a series with locales opens, so it comes with the workspace: a module of
// its own would only add a round trip after it; the bible and the series settings live in
// drawers opened from the title bar, so they are modules of their own).
lazy_part!(inspector:
    /// The frame inspector: version tree, compare, mask painter, edit, the guard.
    pub fn inspector(store: Store<Series>) -> AnyView {
        view! { <crate::ui::inspector::Inspector store=store/> }.into_any()
    }
    preload preload_inspector
);

lazy_part!(plan:
    /// The plan dialog: what a generation will send and cost, and Start.
    pub fn plan_dialog(store: Store<Series>, open: RwSignal<Option<Scope>>) -> AnyView {
        view! { <crate::ui::series::plan_dialog::PlanDialog store=store open=open/> }.into_any()
    }
    preload preload_plan_dialog
);

lazy_part!(plan:
    /// "Edit selected": one instruction as one edit per selected frame, its plan, and Start
    /// (in the plan dialog's module: both are a plan before spending).
    pub fn edit_selected(store: Store<Series>, open: RwSignal<bool>, selection: crate::app::selection::Selection) -> AnyView {
        view! { <crate::ui::series::edit_selected::EditSelected store=store open=open selection=selection/> }.into_any()
    }
    preload preload_edit_selected
);

// Batch mode (the Batch API): sending, polling, cancelling and landing a series' batches, a
// module of its own — most series never use it, and the plan and the board only call in here.
lazy_part!(batch:
    /// Whether this browser may reach the Batch API with the current settings.
    pub fn batch_check(state: AppState) -> Result<(), String> {
        crate::app::batch::check(state).await
    }
    preload preload_batch
);

lazy_part!(batch:
    /// Sends `plan` of `series_id` in batch mode (the anchor now, the rest in a batch).
    pub fn batch_submit(state: AppState, series_id: String, plan: Plan) -> () {
        crate::app::batch::submit(state, &series_id, plan)
    }
    preload preload_batch_submit
);

lazy_part!(batch:
    /// Polls the batches `series_id` waits for until they have landed.
    pub fn batch_watch(state: AppState, series_id: String) -> () {
        crate::app::batch::watch(state, &series_id)
    }
    preload preload_batch_watch
);

lazy_part!(batch:
    /// Cancels the running batches of `series_id`.
    pub fn batch_cancel(state: AppState, series_id: String) -> () {
        crate::app::batch::cancel(state, &series_id)
    }
    preload preload_batch_cancel
);

lazy_part!(bible:
    /// The series bible editor (style, palette, characters, products, props): the "Bible"
    /// drawer's content, loaded when the drawer first opens (or from the idle prefetch).
    pub fn bible_panel(store: Store<Series>) -> AnyView {
        view! { <crate::ui::bible::BiblePanel store=store/> }.into_any()
    }
    preload preload_bible_panel
);

lazy_part!(describe:
    /// "Describe from images": reads the bible's reference images, asks the text model and
    /// validates its answer; loaded on the first click (or from the idle prefetch), so the
    /// bible drawer does not carry the describe schema and its validator.
    pub fn describe_images(state: AppState, store: Store<Series>) -> Result<crate::app::text_call::TextAnswer<continuity_core::brief::describe::Description>, crate::app::text_call::TextFailure> {
        crate::app::describe::describe(state, store).await
    }
    preload preload_describe_images
);

lazy_part!(series_settings:
    /// The "Series settings" drawer's content: output settings and storage, loaded when the
    /// drawer first opens (or from the idle prefetch).
    pub fn series_settings(store: Store<Series>) -> AnyView {
        view! { <crate::ui::series::settings_panel::SeriesSettings store=store/> }.into_any()
    }
    preload preload_series_settings
);

lazy_part!(workspace:
    /// The locale matrix (frames × locales) and "Make locale variants".
    pub fn locale_matrix(store: Store<Series>) -> AnyView {
        view! { <crate::ui::series::locales::LocaleMatrix store=store/> }.into_any()
    }
    preload preload_locale_matrix
);

lazy_part!(export:
    /// The Export menu (ZIP, contact sheet, PDF, GIF, share page, per-frame durations,
    /// "Re-run from manifest", which opens the plan through `plan_open`).
    pub fn export_menu(store: Store<Series>, plan_open: RwSignal<Option<Scope>>) -> AnyView {
        view! { <crate::ui::series::export_menu::ExportMenu store=store plan_open=plan_open/> }.into_any()
    }
    preload preload_export_menu
);

lazy_part!(settings:
    /// The settings dialog (connection, key or token, batch behaviour).
    pub fn settings_panel() -> AnyView {
        install_settings_persist(AppState::get());
        view! { <crate::ui::settings::SettingsPanel/> }.into_any()
    }
    preload preload_settings_panel
);

lazy_part!(brief:
    /// "New from a brief": the brief, the planner call, the editable preview, "Create series".
    pub fn brief_planner() -> AnyView {
        view! { <crate::ui::projects::brief::BriefPlanner/> }.into_any()
    }
    preload preload_brief_planner
);

lazy_part!(shortcuts:
    /// The keyboard shortcut sheet (`?`).
    pub fn shortcut_sheet() -> AnyView {
        view! { <crate::ui::shortcuts::ShortcutSheet/> }.into_any()
    }
    preload preload_shortcut_sheet
);

lazy_part!(import:
    /// Reads a ZIP export or a `manifest.json` (in the worker) and stores it as a new series;
    /// `Ok` says what was imported, `Err` why the file was refused.
    pub fn import_file(state: AppState, file: web_sys::File) -> Result<String, String> {
        crate::app::import::import_file(state, &file).await
    }
    preload preload_import
);

lazy_part!(workspace:
    /// Makes a series from a template, stores it and adds it to the list; returns its id.
    pub fn create_series(state: AppState, name: String, template: Template) -> Result<String, String> {
        let model = state.catalogue().get_untracked().default_model().id.clone();
        let series = Series::from_template(&name, template, &model, now_ms(), random_u64);
        let id = series.id.clone();
        library::create(state, series).await.map_err(|e| e.to_string())?;
        Ok(id)
    }
    preload preload_create_series
);

lazy_part!(workspace:
    /// Renames a series from the list (`Ok(false)`: a blank name, refused).
    pub fn rename_series(state: AppState, id: String, name: String) -> Result<bool, String> {
        library::rename_by_id(state, &id, &name).await.map_err(|e| e.to_string())
    }
    preload preload_rename_series
);

lazy_part!(workspace:
    /// Deletes a series with its frames, versions and the images nothing else uses.
    pub fn delete_series(state: AppState, id: String) -> Result<(), String> {
        library::delete(state, &id).await.map_err(|e| e.to_string())
    }
    preload preload_delete_series
);

lazy_part!(workspace:
    /// What another tab wrote (a message on the records channel): re-read and applied here.
    pub fn receive_announcement(state: AppState, text: String) -> () {
        crate::app::sync::receive_text(state, &text).await;
    }
    preload preload_receive_announcement
);

lazy_part!(workspace:
    /// After the list is on screen: the storage meter, and the images deleted last time
    /// (kept for undo while that page was open) freed.
    pub fn after_load(state: AppState) -> () {
        install_settings_persist(state);
        library::after_load(state).await;
    }
    preload preload_after_load
);

lazy_part!(workspace:
    /// Replaces the built-in model catalogue with the deployment's `models.json`, if it has a
    /// valid one (a host can add a model or fix a price without rebuilding); a broken file is
    /// reported and ignored.
    pub fn load_catalogue(state: AppState) -> () {
        if let Some(text) = crate::web::http::get_text("models.json").await {
            match continuity_core::catalogue::Catalogue::parse(&text) {
                Ok(catalogue) => state.catalogue().set(catalogue),
                Err(e) => state.error(format!("{e} Using the built-in model list.")),
            }
        }
        install_model_dates(state);
    }
    preload preload_load_catalogue
);

lazy_part!(workspace:
    /// Makes (and stores) the missing thumbnail of stored image `hash` — an image stored
    /// before thumbnails existed; `None` when there is no such image.
    pub fn make_thumbnail(state: AppState, hash: String) -> Option<web_sys::Blob> {
        crate::app::images::make_thumbnail(state, &hash).await
    }
    preload preload_make_thumbnail
);

lazy_part!(workspace:
    /// Upgrades a format-1 database in place (a first release's; almost no one has one now,
    /// so the upgrade is not in the first download).
    pub fn upgrade_v1(db: Db) -> Result<crate::app::migrate::Report, String> {
        crate::app::migrate::upgrade_v1(&db).await.map_err(|e| e.to_string())
    }
    preload preload_upgrade_v1
);

lazy_part!(workspace:
    /// The worker client for the end-to-end tests and the benchmark (`workerCall`, see
    /// [`crate::web::worker`]).
    pub fn worker_call(op: String, args: wasm_bindgen::JsValue) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsError> {
        crate::web::worker::dispatch(op, args).await
    }
    preload preload_worker_call
);

/// Fetches every lazy part's module once the browser is idle after the first screen, so a
/// click does not wait for the network. A failed prefetch is forgotten: the part loads (or
/// says it cannot) when it is used.
///
/// The deployment's model catalogue and the storage meter come with the workspace's module,
/// so they are read then too.
pub fn prefetch_when_idle(state: AppState) {
    crate::web::idle::when_idle(move || {
        leptos::task::spawn_local(async move {
            // The workspace first: opening a series is the next thing most users do.
            if load_catalogue(state).await.is_ok() {
                let _ = after_load(state).await;
            }
            // Then the other modules, one at a time (each preload is a no-op once loaded).
            for part in [
                preload_inspector().await,
                preload_plan_dialog().await,
                preload_batch().await,
                preload_bible_panel().await,
                preload_describe_images().await,
                preload_series_settings().await,
                preload_export_menu().await,
                preload_settings_panel().await,
                preload_import().await,
                preload_shortcut_sheet().await,
                preload_brief_planner().await,
            ] {
                let _ = part;
            }
        });
    });
}
