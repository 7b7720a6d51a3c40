//! Application state shared through context: the series list (light summaries), the loaded
//! series (keyed reactive stores), the route, settings, the key, the live status of running
//! frames, notices, and the storage connection with its saver.

use crate::web::idb::{Db, StorageError};
use continuity_core::catalogue::Catalogue;
use continuity_core::model::{Series, SeriesSummary};
use continuity_core::settings::Settings;
use leptos::prelude::*;
use reactive_stores::Store;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::rc::Rc;

pub use crate::app::route::Route;

/// Live state of one frame while a batch runs (not stored: a reload starts from the stored
/// frames, where unfinished frames simply have no new image).
#[derive(Debug, Clone, PartialEq)]
pub enum FrameRun {
    /// Waiting for a free slot.
    Queued,
    /// Waiting for the anchor frame to finish.
    WaitingForAnchor,
    /// Request in flight; `attempt` counts from 1.
    Running {
        /// Attempt number.
        attempt: u32,
    },
    /// A streamed partial preview arrived (object URL of the preview).
    Streaming {
        /// Object URL of the newest partial image.
        preview_url: String,
    },
    /// Waiting before retrying.
    Retrying {
        /// Why, in words.
        reason: String,
        /// Seconds until the next attempt.
        seconds: f64,
    },
    /// The image arrived and is being written to storage.
    Saving,
    /// Cancelled by the user.
    Cancelled {
        /// Whether the request had been sent (so may be billed).
        may_be_billed: bool,
    },
    /// Not sent because of an earlier failure or the budget.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl FrameRun {
    /// The badge it shows (core's words and classes for each live state).
    pub fn badge(&self) -> continuity_core::status::Badge {
        use continuity_core::status::Badge;
        match self {
            FrameRun::Queued => Badge::Queued,
            FrameRun::WaitingForAnchor => Badge::WaitingForAnchor,
            FrameRun::Running { attempt } => Badge::Running { attempt: *attempt },
            FrameRun::Streaming { .. } => Badge::Streaming,
            FrameRun::Retrying { seconds, .. } => Badge::Retrying { seconds: *seconds },
            FrameRun::Saving => Badge::Saving,
            FrameRun::Cancelled { may_be_billed } => Badge::Cancelled {
                may_be_billed: *may_be_billed,
            },
            FrameRun::Skipped { .. } => Badge::Skipped,
        }
    }

    /// Whether the frame's request is still to come or under way (it can be cancelled, not
    /// deleted).
    pub fn is_busy(&self) -> bool {
        !matches!(self, FrameRun::Cancelled { .. } | FrameRun::Skipped { .. })
    }

    /// What the frame says about it, when it says something (why it waits or was not sent).
    pub fn message(&self) -> Option<String> {
        match self {
            FrameRun::Retrying { reason, .. } | FrameRun::Skipped { reason } => {
                Some(reason.clone())
            }
            _ => None,
        }
    }
}

/// What `/api/config` of our server said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerInfo {
    /// Whether the config endpoint answered (the page is served by continuity-server).
    pub available: bool,
    /// `fake` or `openai`.
    pub provider: String,
    /// Whether image requests need an access token.
    pub token_required: bool,
    /// Whether the question has been answered (so the UI does not claim "no server" while
    /// it is still asking).
    pub checked: bool,
    /// Nothing answered at all (offline, the page from the service worker's cache): nothing is
    /// known about the host; asked again when the browser comes back online.
    pub unreachable: bool,
}

impl ServerInfo {
    /// What the endpoint resolution needs to know.
    pub fn caps(&self) -> continuity_core::settings::ServerCaps {
        continuity_core::settings::ServerCaps {
            can_generate: self.available,
            token_required: self.token_required,
        }
    }
}

/// What the progress bar shows about a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchView {
    /// The series it belongs to.
    pub series_id: String,
    /// Counters from the scheduler.
    pub progress: continuity_core::scheduler::Progress,
    /// When it started (ms since the epoch).
    pub started_ms: f64,
    /// When it ended, if it has.
    pub finished_ms: Option<f64>,
    /// Why it stopped early, if it did.
    pub stopped: Option<String>,
}

/// A message shown at the top of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Errors are announced assertively to screen readers.
    pub is_error: bool,
    /// The notice offers "Undo" (after a delete).
    pub undo: bool,
}

/// What the storage meter shows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StorageStatus {
    /// Bytes used by this origin (`navigator.storage.estimate()`), if known.
    pub usage: Option<f64>,
    /// Bytes this origin may use, if known.
    pub quota: Option<f64>,
    /// Whether the browser agreed to keep the data under storage pressure.
    pub persisted: Option<bool>,
}

/// Whether everything is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveStatus {
    /// Changes (records and paid images) not written yet.
    pub unsaved: usize,
    /// The last write problem, in words, while changes are waiting.
    pub problem: Option<String>,
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct AppState {
    /// Every series as a light summary, newest change first.
    pub summaries: RwSignal<Vec<SeriesSummary>>,
    /// Whether storage finished loading.
    pub loaded: RwSignal<bool>,
    /// The current screen.
    pub route: RwSignal<Route>,
    /// Non-secret settings.
    pub settings: RwSignal<Settings>,
    /// The API key in memory (never rendered, never serialised).
    pub key: RwSignal<String>,
    /// This server's access token in memory (never rendered, never serialised).
    pub token: RwSignal<String>,
    /// What our server said about itself.
    pub server: RwSignal<ServerInfo>,
    /// The model catalogue: see [`AppState::catalogue`].
    catalogue: RwSignal<Catalogue>,
    /// Whether the built-in catalogue has been read into `catalogue`.
    catalogue_read: StoredValue<bool>,
    /// Live status of frames in a running batch, by frame id.
    pub runs: RwSignal<HashMap<String, FrameRun>>,
    /// Banner message.
    pub notice: RwSignal<Option<Notice>>,
    /// Whether the settings dialog is open.
    pub settings_open: RwSignal<bool>,
    /// Progress of the running (or last) batch.
    pub batch: RwSignal<Option<BatchView>>,
    /// `safety_identifier` sent with every request: a hash of a random per-browser id.
    pub safety_id: RwSignal<Option<String>>,
    /// The storage meter.
    pub storage: RwSignal<StorageStatus>,
    /// Unsaved changes and write problems.
    pub saving: RwSignal<SaveStatus>,
    /// Series loaded into keyed stores, by id (the open one, and any whose batch still runs).
    series: StoredValue<HashMap<String, Store<Series>>>,
    /// Bumped when a series is loaded or unloaded, so screens waiting for one re-read.
    pub series_loaded: RwSignal<u64>,
    db: StoredValue<Option<Db>, LocalStorage>,
    db_name: StoredValue<&'static str>,
    /// The app's services (the saver, the undo history, the batch runner), one of each,
    /// made on first use: held here, in context, rather than in thread-locals, so two apps in
    /// one page (tests) never share one.
    handles: StoredValue<HashMap<TypeId, Rc<dyn Any>>, LocalStorage>,
    owner: StoredValue<Owner, LocalStorage>,
}

impl AppState {
    /// Fresh state with nothing loaded yet, owned by the current reactive owner.
    pub fn new(db_name: &'static str) -> Self {
        Self {
            summaries: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            route: RwSignal::new(Route::Projects),
            settings: RwSignal::new(Settings::default()),
            key: RwSignal::new(String::new()),
            token: RwSignal::new(String::new()),
            server: RwSignal::new(ServerInfo::default()),
            // Empty until first asked for: reading the built-in catalogue is not first-screen
            // code (the series list never needs it).
            catalogue: RwSignal::new(Catalogue {
                version: 0,
                default_model: String::new(),
                models: Vec::new(),
            }),
            catalogue_read: StoredValue::new(false),
            runs: RwSignal::new(HashMap::new()),
            notice: RwSignal::new(None),
            settings_open: RwSignal::new(false),
            batch: RwSignal::new(None),
            safety_id: RwSignal::new(None),
            storage: RwSignal::new(StorageStatus::default()),
            saving: RwSignal::new(SaveStatus::default()),
            series: StoredValue::new(HashMap::new()),
            series_loaded: RwSignal::new(0),
            db: StoredValue::new_local(None),
            db_name: StoredValue::new(db_name),
            handles: StoredValue::new_local(HashMap::new()),
            owner: StoredValue::new_local(Owner::current().unwrap_or_default()),
        }
    }

    /// The state provided by [`crate::ui::app::App`].
    pub fn get() -> Self {
        expect_context::<AppState>()
    }

    /// The model catalogue: the built-in one, read on first use, until the deployment's
    /// `models.json` replaces it (`crate::parts::load_catalogue`).
    pub fn catalogue(&self) -> RwSignal<Catalogue> {
        if !self.catalogue_read.get_value() {
            self.catalogue_read.set_value(true);
            self.catalogue.set(Catalogue::builtin());
        }
        self.catalogue
    }

    /// The open database, if storage works.
    pub fn db(&self) -> Option<Db> {
        self.db.get_value()
    }

    /// Sets the open database.
    pub fn set_db(&self, db: Option<Db>) {
        self.db.set_value(db);
    }

    /// The database name (tests use a throwaway one).
    pub fn db_name(&self) -> &'static str {
        self.db_name.get_value()
    }

    /// Reopens the database after the browser closed the connection.
    pub async fn reconnect(&self) -> Result<Db, StorageError> {
        let state = *self;
        let db = Db::open(self.db_name(), move || state.version_changed()).await?;
        self.set_db(Some(db.clone()));
        Ok(db)
    }

    /// Another tab opened a newer version of the database: this one closed its connection.
    pub fn version_changed(&self) {
        self.set_db(None);
        self.error("Continuity was updated in another tab. Reload this page to keep working; unsaved changes here are kept until then.");
    }

    /// This app's one `T` (a service's handle), made on first use.
    pub fn handle<T: Default + 'static>(&self) -> Rc<T> {
        self.handles
            .try_update_value(|all| {
                all.entry(TypeId::of::<T>())
                    .or_insert_with(|| Rc::new(T::default()))
                    .clone()
            })
            .and_then(|h| h.downcast::<T>().ok())
            .expect("the app state lives as long as the app")
    }

    /// Runs `f` under the app's own reactive owner: what it creates (an effect, a store) lives
    /// as long as the app, not as long as the screen or lazy part that asked.
    pub fn in_app_owner<T>(&self, f: impl FnOnce() -> T) -> T {
        self.owner.get_value().with(f)
    }

    /// The loaded series `id`, if it is loaded.
    pub fn series(&self, id: &str) -> Option<Store<Series>> {
        self.series.with_value(|m| m.get(id).copied())
    }

    /// Keeps `series` loaded in a keyed store owned by the app (not by a screen, so a batch can
    /// outlive the screen that started it). Returns the store.
    pub fn insert_series(&self, series: Series) -> Store<Series> {
        let id = series.id.clone();
        if let Some(existing) = self.series(&id) {
            return existing;
        }
        let store = self.in_app_owner(|| Store::new(series));
        refresh_keys(store);
        self.series.update_value(|m| {
            m.insert(id, store);
        });
        self.series_loaded.update(|n| *n += 1);
        store
    }

    /// Drops a loaded series from memory (after its changes are saved).
    pub fn unload_series(&self, id: &str) {
        let removed = self.series.try_update_value(|m| m.remove(id)).flatten();
        if let Some(store) = removed {
            store.dispose();
            self.series_loaded.update(|n| *n += 1);
        }
    }

    /// Ids of the loaded series.
    pub fn loaded_series(&self) -> Vec<String> {
        self.series.with_value(|m| m.keys().cloned().collect())
    }

    /// Sets a frame's live status (revoking a streamed preview it replaces).
    pub fn set_run(&self, frame_id: &str, status: FrameRun) {
        self.runs.update(|runs| {
            if let Some(FrameRun::Streaming { preview_url }) = runs.get(frame_id) {
                crate::web::blob::revoke_url(preview_url);
            }
            runs.insert(frame_id.to_string(), status);
        });
    }

    /// Shows an error banner.
    pub fn error(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            text: text.into(),
            is_error: true,
            undo: false,
        }));
    }

    /// Takes the banner down if it still says `text` (a problem that has gone away).
    pub fn clear_notice(&self, text: &str) {
        if self
            .notice
            .with_untracked(|n| n.as_ref().is_some_and(|n| n.text == text))
        {
            self.notice.set(None);
        }
    }

    /// Takes down the batch's "Stopped: …" line if `reason` is what stopped it (a failure
    /// that has since gone away).
    pub fn clear_batch_stop(&self, reason: &str) {
        let said = format!("Stopped: {reason}");
        if self.batch.with_untracked(|b| {
            b.as_ref()
                .is_some_and(|b| b.stopped.as_deref() == Some(said.as_str()))
        }) {
            self.batch.update(|b| {
                if let Some(b) = b {
                    b.stopped = None;
                }
            });
        }
    }

    /// Shows an informational banner.
    pub fn info(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            text: text.into(),
            is_error: false,
            undo: false,
        }));
    }

    /// Shows a notice with an "Undo" button (after a delete).
    pub fn undoable(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            text: text.into(),
            is_error: false,
            undo: true,
        }));
    }

    /// Navigates (and updates the URL hash).
    pub fn go(&self, route: Route) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(&route.to_hash());
        }
        self.route.set(route);
    }

    /// Puts a summary at the top of the list (or replaces it), keeping newest first.
    pub fn upsert_summary(&self, summary: SeriesSummary) {
        self.summaries.update(|list| {
            list.retain(|s| s.id != summary.id);
            list.push(summary);
            list.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms));
        });
    }
}

/// Rebuilds the keyed collections' key maps: after creating a store (in reactive_stores
/// 0.4.4 a first access that is a keyed *write* initialises an empty map and fails silently;
/// `core/tests/store_probe.rs` pins that) and after a write of the whole series (writes
/// through the root do not refresh them, and a stale map would point a key at the wrong item).
pub fn refresh_keys(store: Store<Series>) {
    use continuity_core::model::bible::BibleStoreFields;
    use continuity_core::model::series::SeriesStoreFields;
    store.frames().update_keys();
    store.versions().update_keys();
    store.bible().entities().update_keys();
}
