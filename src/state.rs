//! Application state shared through context: the projects, the open route, settings, and the
//! live status of running frames. Persistence goes through [`AppState::save`], which always
//! writes the *current* project snapshot (IndexedDB orders transactions, so the last write is
//! the newest state).

use crate::storage::{Db, StorageError};
use continuity_core::catalogue::Catalogue;
use continuity_core::model::Project;
use continuity_core::settings::Settings;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// Which screen is shown; mirrored in `location.hash` so reloads and the back button work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The list of series.
    Projects,
    /// One series, by id.
    Series(String),
}

impl Route {
    /// Reads a route from a URL hash such as `#/series/p_12`.
    pub fn from_hash(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        match path.strip_prefix("series/") {
            Some(id) if !id.is_empty() => Route::Series(id.to_string()),
            _ => Route::Projects,
        }
    }

    /// The URL hash for this route.
    pub fn to_hash(&self) -> String {
        match self {
            Route::Projects => "#/".into(),
            Route::Series(id) => format!("#/series/{id}"),
        }
    }
}

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

/// What `/api/config` of our server said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerInfo {
    /// Whether the config endpoint answered (the page is served by continuity-server).
    pub available: bool,
    /// `fake` or `openai`.
    pub provider: String,
}

/// What the progress bar shows about a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchView {
    /// The series it belongs to.
    pub project_id: String,
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
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct AppState {
    /// All series, newest change first.
    pub projects: RwSignal<Vec<Project>>,
    /// Whether storage finished loading.
    pub loaded: RwSignal<bool>,
    /// The current screen.
    pub route: RwSignal<Route>,
    /// Non-secret settings.
    pub settings: RwSignal<Settings>,
    /// The API key in memory (never rendered, never serialised).
    pub key: RwSignal<String>,
    /// What our server said about itself.
    pub server: RwSignal<ServerInfo>,
    /// The model catalogue.
    pub catalogue: RwSignal<Catalogue>,
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
    db: StoredValue<Option<Db>, LocalStorage>,
}

impl AppState {
    /// Fresh state with nothing loaded yet.
    pub fn new() -> Self {
        Self {
            projects: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            route: RwSignal::new(Route::Projects),
            settings: RwSignal::new(Settings::default()),
            key: RwSignal::new(String::new()),
            server: RwSignal::new(ServerInfo::default()),
            catalogue: RwSignal::new(Catalogue::builtin()),
            runs: RwSignal::new(HashMap::new()),
            notice: RwSignal::new(None),
            settings_open: RwSignal::new(false),
            batch: RwSignal::new(None),
            safety_id: RwSignal::new(None),
            db: StoredValue::new_local(None),
        }
    }

    /// The state provided by [`crate::ui::app::App`].
    pub fn get() -> Self {
        expect_context::<AppState>()
    }

    /// Opens the database and loads every project.
    pub async fn load(self, db_name: &str) {
        match Db::open(db_name).await {
            Ok(db) => {
                match db.load_projects().await {
                    Ok((mut projects, problems)) => {
                        // Requests in flight when the page closed: flag them (may be billed).
                        let mut interrupted = Vec::new();
                        for p in &mut projects {
                            if p.reconcile_interrupted() > 0 {
                                interrupted.push(p.clone());
                            }
                        }
                        for p in &interrupted {
                            let _ = db.save_project(p).await;
                        }
                        self.projects.set(projects);
                        if !interrupted.is_empty() {
                            self.info(format!(
                                "Some frames were still being generated when the page closed; they are marked and can be generated again ({}).",
                                interrupted.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                            ));
                        }
                        if !problems.is_empty() {
                            self.error(format!(
                                "{} stored series could not be read and were left untouched: {}",
                                problems.len(),
                                problems.join(" ")
                            ));
                        }
                    }
                    Err(e) => self.error(e.to_string()),
                }
                self.db.set_value(Some(db));
            }
            Err(e) => self.error(e.to_string()),
        }
        self.loaded.set(true);
    }

    /// The open database, if storage works.
    pub fn db(&self) -> Option<Db> {
        self.db.get_value()
    }

    /// Shows an error banner.
    pub fn error(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            text: text.into(),
            is_error: true,
        }));
    }

    /// Shows an informational banner.
    pub fn info(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            text: text.into(),
            is_error: false,
        }));
    }

    /// A copy of one project.
    pub fn project(&self, id: &str) -> Option<Project> {
        self.projects
            .with_untracked(|ps| ps.iter().find(|p| p.id == id).cloned())
    }

    /// Changes a project in memory, stamps it, and saves it. Returns false if it is gone.
    pub fn update_project(&self, id: &str, change: impl FnOnce(&mut Project)) -> bool {
        let mut found = false;
        self.projects.update(|ps| {
            if let Some(p) = ps.iter_mut().find(|p| p.id == id) {
                change(p);
                p.updated_ms = crate::platform::now_ms();
                found = true;
            }
        });
        if found {
            self.save(id);
        }
        found
    }

    /// Writes the current snapshot of a project to storage in the background.
    pub fn save(&self, id: &str) {
        let (Some(db), Some(project)) = (self.db(), self.project(id)) else {
            return;
        };
        let state = *self;
        spawn_local(async move {
            if let Err(e) = db.save_project(&project).await {
                state.error(e.to_string());
            }
        });
    }

    /// Adds a new project and saves it.
    pub async fn add_project(&self, project: Project) -> Result<(), StorageError> {
        if let Some(db) = self.db() {
            db.save_project(&project).await?;
        }
        self.projects.update(|ps| ps.insert(0, project));
        Ok(())
    }

    /// Deletes a project and its images.
    pub async fn delete_project(&self, id: &str) -> Result<(), StorageError> {
        let Some(project) = self.project(id) else {
            return Ok(());
        };
        if let Some(db) = self.db() {
            db.delete_project(&project).await?;
        }
        self.projects.update(|ps| ps.retain(|p| p.id != id));
        Ok(())
    }

    /// Navigates (and updates the URL hash).
    pub fn go(&self, route: Route) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(&route.to_hash());
        }
        self.route.set(route);
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_round_trip_through_the_hash() {
        for r in [Route::Projects, Route::Series("p_00ff".into())] {
            assert_eq!(Route::from_hash(&r.to_hash()), r);
        }
        assert_eq!(Route::from_hash(""), Route::Projects);
        assert_eq!(Route::from_hash("#/series/"), Route::Projects);
        assert_eq!(Route::from_hash("#/nonsense"), Route::Projects);
    }
}
